"""guardduty_findings_info and guardduty_finding against the sandbox."""

from __future__ import annotations

import pytest

BUCKET = "victim-bucket"


def wire_finding(
    finding_id: str,
    *,
    bucket: str | None = BUCKET,
    ftype: str = "Exfiltration:S3/MaliciousIPCaller",
    severity: float = 8.0,
    archived: bool = False,
    sample: bool = False,
    updated: str = "2026-11-29T10:00:00.000Z",
    key: str = "AKIAATTACKER000001",
) -> dict:
    """A GuardDuty finding in the wire / EventBridge shape, as small as the seed validation accepts."""
    resource: dict = {
        "resourceType": "S3Bucket" if bucket else "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": key,
            "principalId": "AIDAATTACKER00000001",
            "userName": "mallory",
            "userType": "IAMUser",
        },
    }
    if bucket:
        resource["s3BucketDetails"] = [
            {
                "arn": f"arn:aws:s3:::{bucket}",
                "name": bucket,
                "type": "Destination",
                "publicAccess": {"effectivePermission": "PUBLIC"},
            }
        ]
    service = {
        "serviceName": "guardduty",
        "detectorId": "0" * 32,
        "archived": archived,
        "count": 3,
        "eventFirstSeen": "2026-11-29T09:00:00.000Z",
        "eventLastSeen": updated,
        "resourceRole": "TARGET",
        "action": {
            "actionType": "AWS_API_CALL",
            "awsApiCallAction": {
                "api": "GetObject",
                "serviceName": "s3.amazonaws.com",
                "callerType": "Remote IP",
                "remoteIpDetails": {"ipAddressV4": "203.0.113.66", "country": {"countryName": "Example"}},
            },
        },
    }
    if sample:
        service["additionalInfo"] = {"value": '{"sample":true}', "type": "default"}
    return {
        "schemaVersion": "2.0",
        "accountId": "123456789012",
        "region": "us-east-1",
        "partition": "aws",
        "id": finding_id,
        "arn": f"arn:aws:guardduty:us-east-1:123456789012:detector/{'0' * 32}/finding/{finding_id}",
        "type": ftype,
        "severity": severity,
        "title": ("[SAMPLE] " if sample else "") + f"{ftype} on {bucket}",
        "description": "test finding",
        "createdAt": "2026-11-29T09:00:00.000Z",
        "updatedAt": updated,
        "resource": resource,
        "service": service,
    }


def fid(n: int) -> str:
    return f"{n:032x}"


def test_bucket_filter_spans_several_pages_and_skips_other_buckets(sandbox, run_module):
    findings = [wire_finding(fid(i), bucket=BUCKET if i % 2 == 0 else "other-bucket") for i in range(130)]
    sandbox.seed({"guardduty_findings": findings})
    failed, result = run_module("guardduty_findings_info", {"bucket": [BUCKET]})
    assert not failed, result
    assert result["guardduty_enabled"] is True
    assert result["matched"] == 65  # 130 findings, every second one on the victim: three ListFindings pages
    assert {b["name"] for f in result["findings"] for b in f["buckets"]} == {BUCKET}
    assert [b["name"] for b in result["buckets"]] == [BUCKET]
    assert result["principals"][0]["access_key_id"] == "AKIAATTACKER000001"
    assert result["remote_ips"][0]["ip"] == "203.0.113.66"
    assert result["findings"][0]["raw"]["Id"] == result["findings"][0]["id"]


def test_archived_and_sample_findings_are_excluded_by_default(sandbox, run_module):
    sandbox.seed(
        {
            "guardduty_findings": [
                wire_finding(fid(1)),
                wire_finding(fid(2), archived=True),
                wire_finding(fid(3), sample=True),
            ]
        }
    )
    failed, result = run_module("guardduty_findings_info", {"bucket": BUCKET})
    assert not failed, result
    assert [f["id"] for f in result["findings"]] == [fid(1)]

    failed, result = run_module(
        "guardduty_findings_info", {"bucket": BUCKET, "include_archived": True, "include_samples": True}
    )
    assert not failed, result
    assert sorted(f["id"] for f in result["findings"]) == [fid(1), fid(2), fid(3)]
    by_id = {f["id"]: f for f in result["findings"]}
    assert by_id[fid(2)]["archived"] is True
    assert by_id[fid(3)]["sample"] is True


@pytest.mark.parametrize(
    ("severity", "label"),
    [(1.0, "Low"), (3.9, "Low"), (4.0, "Medium"), (6.9, "Medium"), (7.0, "High"), (8.9, "High"), (9.0, "Critical")],
)
def test_severity_labels_at_the_range_edges(sandbox, run_module, severity, label):
    sandbox.seed({"guardduty_findings": [wire_finding(fid(7), severity=severity)]})
    failed, result = run_module("guardduty_findings_info", {"finding_ids": [fid(7)]})
    assert not failed, result
    assert result["findings"][0]["severity"] == severity
    assert result["findings"][0]["severity_label"] == label


def test_type_wildcards_and_min_severity(sandbox, run_module):
    sandbox.seed(
        {
            "guardduty_findings": [
                wire_finding(fid(1), ftype="Exfiltration:S3/MaliciousIPCaller", severity=8.0),
                wire_finding(fid(2), ftype="Exfiltration:S3/ObjectRead.Unusual", severity=5.0),
                wire_finding(fid(3), ftype="Policy:S3/BucketBlockPublicAccessDisabled", severity=2.0),
                wire_finding(fid(4), ftype="Discovery:S3/TorIPCaller", severity=5.0),
            ]
        }
    )
    failed, result = run_module("guardduty_findings_info", {"types": ["Exfiltration:S3/*"]})
    assert not failed, result
    assert sorted(f["id"] for f in result["findings"]) == [fid(1), fid(2)]
    retired = next(f for f in result["findings"] if f["id"] == fid(2))
    assert retired["type_canonical"] == "Exfiltration:S3/AnomalousBehavior"

    failed, result = run_module("guardduty_findings_info", {"min_severity": "Medium"})
    assert not failed, result
    assert sorted(f["id"] for f in result["findings"]) == [fid(1), fid(2), fid(4)]
    assert result["findings"][0]["id"] == fid(1)  # most severe first


def test_max_findings_caps_and_says_so(sandbox, run_module):
    sandbox.seed({"guardduty_findings": [wire_finding(fid(i), severity=1.0 + i % 9) for i in range(12)]})
    failed, result = run_module("guardduty_findings_info", {"bucket": BUCKET, "max_findings": 5})
    assert not failed, result
    assert len(result["findings"]) == 5
    assert result["matched"] == 12
    assert result["truncated"] is True
    assert [f["severity"] for f in result["findings"]] == [9.0, 8.0, 7.0, 6.0, 5.0]
    assert result["buckets"][0]["finding_ids"] and len(result["buckets"][0]["finding_ids"]) == 12


def test_no_detector_is_reported_not_raised(sandbox, run_module):
    failed, result = run_module("guardduty_findings_info", {"bucket": BUCKET, "region": "eu-west-3"})
    assert not failed, result
    assert result["guardduty_enabled"] is False
    assert result["findings"] == []
    assert "GuardDuty is not enabled in region eu-west-3" in result["msg"]
    assert "not enabled" in str(result.get("warnings")), result

    failed, result = run_module(
        "guardduty_findings_info", {"bucket": BUCKET, "region": "eu-west-3", "require_detector": True}
    )
    assert failed
    assert "GuardDuty is not enabled in region eu-west-3" in result["msg"]


def test_unknown_detector_is_named(sandbox, run_module):
    sandbox.seed({"guardduty_findings": [wire_finding(fid(1))]})
    failed, result = run_module("guardduty_findings_info", {"detector_id": "f" * 32})
    assert failed
    assert result["msg"] == f"GuardDuty detector {'f' * 32} does not exist in region us-east-1"


def test_invalid_bucket_name_rejected_before_any_call(sandbox, run_module):
    failed, result = run_module(
        "guardduty_findings_info", {"bucket": ["Bad_Bucket"], "endpoint_url": "http://127.0.0.1:9"}
    )
    assert failed
    assert "Bad_Bucket" in result["msg"]


def test_archive_is_check_mode_safe_idempotent_and_reversible(sandbox, run_module):
    sandbox.seed({"guardduty_findings": [wire_finding(fid(1)), wire_finding(fid(2), archived=True)]})
    args = {"finding_ids": [fid(1), fid(2)], "state": "archived", "feedback": "useful", "comments": "incident 42"}

    failed, result = run_module("guardduty_finding", args, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["archived"] == [fid(1)]
    assert result["diff"]["after"][fid(1)] == {"archived": True, "feedback": "USEFUL"}
    _, info = run_module("guardduty_findings_info", {"finding_ids": [fid(1)]})
    assert info["findings"][0]["archived"] is False  # check mode changed nothing

    failed, result = run_module("guardduty_finding", args)
    assert not failed and result["changed"] is True
    assert result["feedback_sent"] == [fid(1), fid(2)]
    gd = sandbox.client("guardduty")
    detector = gd.list_detectors()["DetectorIds"][0]
    stored = {f["Id"]: f for f in gd.get_findings(DetectorId=detector, FindingIds=[fid(1), fid(2)])["Findings"]}
    assert stored[fid(1)]["Service"]["Archived"] is True
    assert stored[fid(1)]["Service"]["UserFeedback"] == "USEFUL"

    failed, result = run_module("guardduty_finding", args)
    assert not failed and result["changed"] is False

    failed, result = run_module("guardduty_finding", {"finding_ids": [fid(1)], "state": "active"})
    assert not failed and result["unarchived"] == [fid(1)]
    stored = gd.get_findings(DetectorId=detector, FindingIds=[fid(1)])["Findings"][0]
    assert stored["Service"]["Archived"] is False


def test_unknown_finding_fails_naming_it_and_changes_nothing(sandbox, run_module):
    sandbox.seed({"guardduty_findings": [wire_finding(fid(1))]})
    failed, result = run_module("guardduty_finding", {"finding_ids": [fid(1), fid(99)], "state": "archived"})
    assert failed
    assert fid(99) in result["msg"]
    _, info = run_module("guardduty_findings_info", {"finding_ids": [fid(1)]})
    assert info["findings"][0]["archived"] is False

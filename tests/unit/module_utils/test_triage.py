"""triage_summary: ranking, de-duplication, window, no-finding behaviour (pure Python)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.filter.triage_summary import triage_summary as triage_filter
from ansible_collections.cloudsec.s3.plugins.module_utils.triage import triage_summary

NOW = "2026-11-29T20:00:00Z"


def finding(
    fid, bucket, severity, first, last, *, updated=None, ftype="Exfiltration:S3/MaliciousIPCaller", key="AKIA1"
):
    return {
        "id": fid,
        "type": ftype,
        "severity": severity,
        "accountId": "123456789012",
        "region": "us-east-1",
        "createdAt": first,
        "updatedAt": updated or last,
        "resource": {
            "resourceType": "S3Bucket",
            "accessKeyDetails": {"accessKeyId": key, "userName": "mallory", "userType": "IAMUser"},
            "s3BucketDetails": [{"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}],
        },
        "service": {"eventFirstSeen": first, "eventLastSeen": last, "archived": False, "count": 1},
    }


def test_buckets_ranked_by_severity_then_latest_activity():
    result = triage_summary(
        [
            finding("a1", "low-bucket", 2.0, "2026-11-29T10:00:00Z", "2026-11-29T19:00:00Z"),
            finding("b1", "hot-bucket", 8.0, "2026-11-29T12:00:00Z", "2026-11-29T13:00:00Z"),
            finding("c1", "warm-bucket", 8.0, "2026-11-29T12:00:00Z", "2026-11-29T18:00:00Z"),
        ],
        now=NOW,
    )
    assert [b["name"] for b in result["buckets"]] == ["warm-bucket", "hot-bucket", "low-bucket"]
    assert result["bucket"] == "warm-bucket"
    assert result["max_severity_label"] == "High"


def test_window_opens_before_the_earliest_activity_on_the_named_bucket():
    result = triage_summary(
        [
            finding("a1", "victim-bucket", 5.0, "2026-11-29T14:30:00Z", "2026-11-29T15:00:00Z"),
            finding("a2", "victim-bucket", 8.0, "2026-11-29T16:00:00Z", "2026-11-29T17:00:00Z"),
            finding("z9", "other-bucket", 9.5, "2026-11-20T00:00:00Z", "2026-11-29T17:00:00Z"),
        ],
        bucket="victim-bucket",
        margin_minutes=90,
        now=NOW,
    )
    assert result["bucket"] == "victim-bucket"
    assert result["window"]["start"] == "2026-11-29T13:00:00Z"
    assert result["window"]["end"] == NOW
    assert result["max_severity"] == 8.0  # the other bucket's critical finding does not count for the victim
    assert result["buckets"][0]["name"] == "other-bucket"


def test_duplicate_findings_keep_the_latest_copy():
    old = finding("a1", "victim-bucket", 5.0, "2026-11-29T14:00:00Z", "2026-11-29T15:00:00Z")
    new = finding("a1", "victim-bucket", 7.0, "2026-11-29T14:00:00Z", "2026-11-29T18:00:00Z")
    result = triage_summary([old, new, old], now=NOW)
    assert result["finding_ids"] == ["a1"]
    assert result["findings"][0]["severity"] == 7.0


def test_no_findings_gives_lookback_window_on_the_named_bucket():
    result = triage_summary([], bucket="quiet-bucket", lookback_days=3, now=NOW, guardduty_enabled=False)
    assert result["bucket"] == "quiet-bucket"
    assert result["has_findings"] is False
    assert result["window"]["start"] == "2026-11-26T20:00:00Z"
    assert result["buckets"][0]["finding_ids"] == []
    assert "GuardDuty is not enabled" in result["message"]


def test_non_s3_findings_are_dropped():
    ec2 = {
        "id": "e1",
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "severity": 2.0,
        "resource": {"resourceType": "Instance"},
    }
    result = triage_summary([ec2], now=NOW)
    assert result["findings"] == []
    assert result["bucket"] is None


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="lookback_days must be positive"):
        triage_summary([], bucket="b-bucket", lookback_days=0, now=NOW)
    with pytest.raises(AnsibleFilterError, match="triage_summary: expected a list of findings"):
        triage_filter({"id": "x"})
    with pytest.raises(AnsibleFilterError, match="triage_summary: not a GuardDuty finding"):
        triage_filter([{"foo": 1}])


def test_filter_output_is_plain_json_data():
    result = triage_filter(
        [finding("a1", "victim-bucket", 5.0, "2026-11-29T14:00:00Z", "2026-11-29T15:00:00Z")],
        bucket="victim-bucket",
        now=NOW,
        keep_raw=False,
    )
    assert "raw" not in result["findings"][0]
    assert result["window"]["start"] == "2026-11-29T13:00:00Z"

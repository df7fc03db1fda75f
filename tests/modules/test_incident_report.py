# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incident_report against a temp directory and against an S3 location in the sandbox."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.sandbox

BUCKET = "acme-customer-exports"
ATTACKER = "arn:aws:iam::123456789012:user/svc-legacy-backup"


@pytest.fixture
def steps():
    """Step results in the roles' shapes: a High finding, the attacker's policy change, a containment action."""
    return {
        "triage": {
            "bucket": BUCKET,
            "max_severity": 8.0,
            "max_severity_label": "High",
            "findings": [
                {
                    "id": "68ce0d9a48f9275c4a14ca1307b60eb7",
                    "type": "Exfiltration:S3/MaliciousIPCaller",
                    "title": "<script>alert(1)</script> S3 API invoked from a known malicious IP address",
                    "severity": 8.0,
                    "severity_label": "High",
                    "archived": False,
                    "buckets": [{"name": BUCKET}],
                    "principal": {"arn": ATTACKER, "access_key_id": "AKIARZPUZDIKE5E2VO5T"},
                    "remote_ips": [{"ip": "203.0.113.66"}],
                }
            ],
        },
        "investigate": {
            "bucket": BUCKET,
            "suspected_principals": [{"arn": ATTACKER, "kind": "iam_user", "suspicion_score": 135, "reasons": []}],
            "timeline": [
                {
                    "time": "2026-11-29T16:58:30Z",
                    "actor_arn": ATTACKER,
                    "event_name": "PutBucketPolicy",
                    "change": True,
                    "count": 1,
                    "error": None,
                }
            ],
        },
        "contain": {
            "incident_id": "INC-2026-0042",
            "actions": [
                {
                    "action": "deactivate_access_key",
                    "detail": "AKIARZPUZDIKE5E2VO5T",
                    "undo": "reactivate AKIARZPUZDIKE5E2VO5T",
                }
            ],
        },
    }


def test_writes_three_files_to_a_local_directory_and_a_second_run_changes_nothing(run_module, tmp_path, steps):
    failed, result = run_module("incident_report", {"location": str(tmp_path), **steps})
    assert not failed, result
    assert result["changed"] is True
    folder = tmp_path / "INC-2026-0042" / BUCKET
    assert result["directory"] == str(folder)
    assert result["paths"] == {
        "json": str(folder / "report.json"),
        "markdown": str(folder / "report.md"),
        "html": str(folder / "report.html"),
    }
    doc = json.loads((folder / "report.json").read_text())
    assert doc["verdict"] == result["verdict"] == "compromised"
    assert doc["incident_id"] == "INC-2026-0042"
    assert [p["arn"] for p in doc["suspected_principals"]] == [ATTACKER]
    assert doc["actions_taken"][0]["undo"] == "reactivate AKIARZPUZDIKE5E2VO5T"
    assert "<script>" not in (folder / "report.html").read_text()
    assert (folder / "report.md").read_text().startswith(f"# Incident report: {BUCKET}")
    assert len(result["summary_lines"]) == 5 and result["summary_lines"][4].endswith("report.html")

    failed, again = run_module("incident_report", {"location": str(tmp_path), **steps})
    assert not failed and again["changed"] is False
    assert json.loads((folder / "report.json").read_text())["generated_at"] == doc["generated_at"]


def test_new_conclusions_replace_the_report(run_module, tmp_path, steps):
    run_module("incident_report", {"location": str(tmp_path), **steps})
    steps["contain"]["actions"].append({"action": "put_bucket_policy", "detail": "quarantine"})
    failed, result = run_module("incident_report", {"location": str(tmp_path), **steps})
    assert not failed and result["changed"] is True
    doc = json.loads((tmp_path / "INC-2026-0042" / BUCKET / "report.json").read_text())
    assert [a["action"] for a in doc["actions_taken"]] == ["deactivate_access_key", "put_bucket_policy"]


def test_check_mode_still_writes_the_report_and_says_so(run_module, tmp_path, steps):
    failed, result = run_module("incident_report", {"location": str(tmp_path), **steps}, check_mode=True)
    assert not failed, result
    doc = json.loads((tmp_path / "INC-2026-0042" / BUCKET / "report.json").read_text())
    assert doc["check_mode"] is True and result["check_mode_run"] is True
    assert doc["actions_taken"][0]["status"] == "planned"


def test_writes_to_an_s3_location_with_content_types(run_module, sandbox, steps):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="acme-ir-evidence")
    args = {"location": "s3://acme-ir-evidence/cases", "mode": "contain", **steps}
    failed, result = run_module("incident_report", args)
    assert not failed, result
    prefix = f"cases/INC-2026-0042/{BUCKET}"
    assert result["paths"]["html"] == f"s3://acme-ir-evidence/{prefix}/report.html"
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="acme-ir-evidence")["Contents"])
    assert listed == [f"{prefix}/report.html", f"{prefix}/report.json", f"{prefix}/report.md"]
    html_obj = s3.get_object(Bucket="acme-ir-evidence", Key=f"{prefix}/report.html")
    assert html_obj["ContentType"].startswith("text/html")
    doc = json.loads(s3.get_object(Bucket="acme-ir-evidence", Key=f"{prefix}/report.json")["Body"].read())
    assert doc["bucket"] == BUCKET and doc["mode"] == "contain" and doc["verdict"] == "compromised"

    failed, again = run_module("incident_report", args)
    assert not failed and again["changed"] is False


def test_missing_evidence_bucket_fails_naming_it(run_module, steps):
    failed, result = run_module("incident_report", {"location": "s3://acme-no-such-evidence/cases", **steps})
    assert failed
    assert "acme-no-such-evidence" in result["msg"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"incident_id": "../../etc"}, "incident_id"),
        ({"incident_id": "INC-1", "bucket": "Not_A_Bucket"}, "Not_A_Bucket"),
        ({"incident_id": "INC-1", "generated_at": "yesterday"}, "generated_at"),
        ({"contain": {}}, "incident_id"),
    ],
)
def test_bad_input_fails_naming_it(run_module, tmp_path, steps, args, named):
    failed, result = run_module("incident_report", {"location": str(tmp_path), **steps, **args})
    assert failed
    assert named in result["msg"]
    assert not any(tmp_path.iterdir())

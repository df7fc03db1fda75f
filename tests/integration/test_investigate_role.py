"""The investigate role through real ansible-playbook against the sandbox's public-exfiltration incident."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

SHOW = "Show investigate_result"


def _result(playbook, out: dict) -> dict:
    hosts = playbook.tasks(out, SHOW)
    assert hosts, json.dumps(out)[-3000:]
    return hosts[0]["investigate_result"]


@pytest.fixture
def exfiltration(sandbox) -> dict:
    return sandbox.scenario("public-exfiltration")["expected"]


def test_role_names_the_attacker_and_anonymous_readers_and_keeps_apps_legitimate(playbook, exfiltration):
    rc, out = playbook("tests/integration/playbooks/investigate.yml", "-e", "bucket=acme-customer-exports")
    assert rc == 0, json.dumps(out)[-3000:]
    res = _result(playbook, out)
    attacker = exfiltration["attacker"]
    assert res["bucket"] == "acme-customer-exports"
    assert set(res["window"]) == {"start", "end"}
    top = res["suspected_principals"][0]
    assert top["arn"] == attacker["principal_arn"]
    assert top["source_ips"] == [attacker["source_ip"]]
    assert top["event_counts"]["GetObject"] == exfiltration["counts"]["attacker_get_object"]
    for key in ("type", "kind", "access_key_ids", "user_agents", "first_seen", "last_seen", "error_count",
                "bytes_out", "objects_touched", "suspicion_score", "reasons"):  # fmt: skip
        assert key in top
    # Detective ran on the attacker (an IAM user) and found the seeded indicators; not on the anonymous actor
    assert top["detective"]["enabled"] is True
    assert top["detective"]["indicator_summary"]["FLAGGED_IP_ADDRESS"] == 1
    assert res["detective"]["investigated"] == [attacker["principal_arn"]]
    anon = [p for p in res["suspected_principals"] if p["kind"] == "anonymous"]
    assert len(anon) == 1 and anon[0]["detective"] == {}
    legit = {p["arn"] for p in res["legitimate_principals"]}
    assert set(exfiltration["legitimate_role_arns"]) <= legit
    changes = [e["event_name"] for e in res["timeline"] if e["change"]]
    assert changes == ["DeleteBucketPublicAccessBlock", "PutBucketPolicy"]
    calls = {c["action"] for c in res["observed_calls"][attacker["principal_arn"]]}
    assert {"s3:GetObject", "s3:ListBucket", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock"} <= calls
    assert res["sources"] == ["trail", "lookup"]


def test_role_takes_window_and_principals_from_triage_result(playbook, sandbox, exfiltration, tmp_path):
    now = datetime.now(timezone.utc)
    triage = {
        "bucket": "acme-customer-exports",
        "window": {
            "start": (now - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "reason": "findings",
        },
        "principals": [{"access_key_id": exfiltration["attacker"]["access_key_id"], "user_name": "svc-legacy-backup"}],
        "remote_ips": [{"ip": exfiltration["attacker"]["source_ip"], "country": "Nowhere"}],
    }
    path = tmp_path / "triage.json"
    path.write_text(json.dumps(triage))
    rc, out = playbook(
        "tests/integration/playbooks/investigate_with_triage.yml",
        "-e",
        "bucket=acme-customer-exports",
        "-e",
        f"triage_file={path}",
    )
    assert rc == 0, json.dumps(out)[-3000:]
    res = _result(playbook, out)
    assert res["window"]["start"] == triage["window"]["start"]
    top = res["suspected_principals"][0]
    assert top["arn"] == exfiltration["attacker"]["principal_arn"]
    assert any(r.startswith("named by findings") for r in top["reasons"])


def test_role_goes_on_when_detective_is_not_enabled(playbook, sandbox):
    now = datetime.now(timezone.utc)
    sandbox.client("s3").create_bucket(Bucket="quiet-bucket")
    record = {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::123456789012:user/ops",
            "accountId": "123456789012",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "userName": "ops",
        },
        "eventTime": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketAcl",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.200",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": {"bucketName": "quiet-bucket"},
        "eventID": "8a3b9d7e-0000-4000-8000-000000000001",
        "readOnly": False,
        "eventCategory": "Management",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
    }
    sandbox.seed({"cloudtrail_events": [record]})
    rc, out = playbook("tests/integration/playbooks/investigate.yml", "-e", "bucket=quiet-bucket")
    assert rc == 0, json.dumps(out)[-3000:]
    res = _result(playbook, out)
    assert res["sources"] == ["lookup"]
    assert any("No CloudTrail trail logs S3 data events" in m for m in res["messages"])
    ops = res["suspected_principals"][0]
    assert ops["arn"] == "arn:aws:iam::123456789012:user/ops"
    assert ops["detective"]["enabled"] is False
    assert res["detective"]["enabled"] is False
    assert any("not enabled" in m for m in res["detective"]["messages"])

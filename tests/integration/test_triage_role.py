"""The triage role, run by ansible-playbook against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.playbook

PLAYBOOK = str(Path(__file__).with_name("playbooks") / "triage.yml")
FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "guardduty"


def _result(playbook, result):
    [published] = playbook.tasks(result, "Publish triage_result for the test")
    return published["triage_result"]


def test_public_exfiltration_names_bucket_attacker_and_window(sandbox, playbook):
    applied = sandbox.scenario("public-exfiltration")
    expected = applied["expected"]
    rc, result = playbook(PLAYBOOK, "-e", f"triage_bucket={expected['victim_bucket']}")
    assert rc == 0, result
    triage = _result(playbook, result)
    assert triage["bucket"] == expected["victim_bucket"]
    assert triage["buckets"][0]["name"] == expected["victim_bucket"]
    assert triage["has_findings"] is True
    assert len(triage["finding_ids"]) == 3  # archived and sample findings are left out
    assert triage["max_severity_label"] in ("High", "Critical")
    keys = {p.get("access_key_id") for p in triage["principals"]}
    assert expected["attacker"]["access_key_id"] in keys
    ips = {r["ip"] for r in triage["remote_ips"]}
    assert expected["attacker"]["source_ip"] in ips
    # the window opens before the attack started and ends now
    assert triage["window"]["start"] < expected["attack_started_at"]
    assert triage["window"]["end"] >= applied["now"][:19]


def test_no_findings_still_lets_the_response_go_on(sandbox, playbook):
    sandbox.client("s3").create_bucket(Bucket="quiet-bucket")
    rc, result = playbook(PLAYBOOK, "-e", "triage_bucket=quiet-bucket", "-e", "triage_lookback_days=3")
    assert rc == 0, result
    triage = _result(playbook, result)
    assert triage["bucket"] == "quiet-bucket"
    assert triage["has_findings"] is False
    assert triage["guardduty_enabled"] is False
    assert "GuardDuty is not enabled" in triage["message"]
    assert "the last 3 days" in triage["window"]["reason"]


def test_finding_from_an_event_drives_the_triage(sandbox, playbook, tmp_path):
    event = json.loads((FIXTURES / "eventbridge_guardduty_event.json").read_text())
    bucket = event["detail"]["resource"]["s3BucketDetails"][0]["name"]
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"triage_finding": event}))
    rc, result = playbook(PLAYBOOK, "-e", f"@{extra}")
    assert rc == 0, result
    triage = _result(playbook, result)
    assert triage["bucket"] == bucket
    assert triage["finding_ids"] == [event["detail"]["id"]]


def test_nothing_to_triage_is_refused_clearly(sandbox, playbook):
    rc, result = playbook(PLAYBOOK)
    assert rc != 0
    assert "Nothing to triage: set triage_bucket, triage_finding_ids or triage_finding" in json.dumps(result)


def test_invalid_bucket_is_rejected_naming_it(sandbox, playbook):
    rc, result = playbook(PLAYBOOK, "-e", "triage_bucket=Not_Valid")
    assert rc != 0
    assert "Not_Valid" in json.dumps(result)

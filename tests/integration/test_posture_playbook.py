"""`ansible-playbook cloudsec.s3.posture` against the public-exfiltration scenario, as a user would run it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.playbook


def test_posture_shows_the_attackers_public_statement(sandbox, playbook):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    rc, result = playbook("cloudsec.s3.posture", "-e", f"bucket={expected['victim_bucket']}")
    assert rc == 0, result
    [info] = playbook.tasks(result, "Read the bucket's security configuration")
    victim = info["buckets"][0]
    assert victim["public_access_block"] is None
    assert victim["policy_status"]["is_public"] is True
    sids = [s.get("Sid") for s in victim["policy"]["Statement"]]
    assert expected["public_statement_sid"] in sids
    [summary] = playbook.tasks(result, "Summarise what makes the bucket reachable")
    text = "\n".join(summary["msg"])
    assert f"Allow statements to *:   {expected['public_statement_sid']}" in text
    assert "Bucket BPA:              NOT SET" in text


def test_posture_without_bucket_names_the_missing_variable(sandbox, playbook):
    rc, result = playbook("cloudsec.s3.posture")
    assert rc != 0
    assert "Set the bucket to inspect: -e bucket=NAME" in str(result)


def test_posture_on_missing_bucket_fails_naming_it(sandbox, playbook):
    rc, result = playbook("cloudsec.s3.posture", "-e", "bucket=no-such-bucket-anywhere")
    assert rc != 0
    [info] = playbook.tasks(result, "Read the bucket's security configuration")
    assert info["msg"] == "Bucket no-such-bucket-anywhere does not exist"

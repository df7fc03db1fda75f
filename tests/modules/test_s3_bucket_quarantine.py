"""s3_bucket_quarantine against the sandbox (scenario public-exfiltration)."""

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import statements_equal

VICTIM = "acme-customer-exports"
ACCOUNT = "123456789012"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/incident-responder"
ATTACKER = f"arn:aws:iam::{ACCOUNT}:user/svc-legacy-backup"
ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


VICTIM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowReportingRoleRead",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app-reporting"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"],
        },
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"],
        },
    ],
}


@pytest.fixture
def scenario(sandbox):
    """The full public-exfiltration scenario (about 5 s)."""
    return sandbox.scenario("public-exfiltration")


@pytest.fixture
def victim(sandbox):
    """Just the victim bucket as the scenario leaves it: owner statement + attacker's PublicRead, no BPA,
    versioning never enabled (fast, for the tests that need nothing else)."""
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=VICTIM)
    s3.put_bucket_policy(Bucket=VICTIM, Policy=json.dumps(VICTIM_POLICY))
    s3.put_object(Bucket=VICTIM, Key="exports/customers.csv", Body=b"id,name\n")
    return VICTIM


@pytest.fixture
def args(tmp_path):
    return {
        "bucket": VICTIM,
        "incident_id": "INC-42",
        "responder_principals": [RESPONDER],
        "state_store": str(tmp_path / "state"),
    }


def bucket_config(s3, bucket=VICTIM):
    """Policy text, BPA and versioning exactly as S3 returns them."""
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        policy = None
    try:
        bpa = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        bpa = None
    versioning = {k: v for k, v in s3.get_bucket_versioning(Bucket=bucket).items() if k != "ResponseMetadata"}
    return {"policy": policy, "bpa": bpa, "versioning": versioning}


def test_quarantine_keeps_owner_statements_and_turns_on_bpa_and_versioning(scenario, sandbox, run_module, args):
    s3 = sandbox.client("s3")
    before = parse_policy(s3.get_bucket_policy(Bucket=VICTIM)["Policy"])
    failed, result = run_module("s3_bucket_quarantine", args)
    assert not failed, result
    assert result["changed"]
    after = parse_policy(s3.get_bucket_policy(Bucket=VICTIM)["Policy"])
    assert after["Statement"][: len(before["Statement"])] == before["Statement"]
    assert len(after["Statement"]) == len(before["Statement"]) + 1
    added = after["Statement"][-1]
    assert added["Sid"] == "CloudsecQuarantineINC42" and added["Effect"] == "Deny"
    assert statements_equal(added, result["statement"])
    assert s3.get_public_access_block(Bucket=VICTIM)["PublicAccessBlockConfiguration"] == ALL_ON
    assert s3.get_bucket_versioning(Bucket=VICTIM)["Status"] == "Enabled"
    record = json.loads(open(os.path.join(args["state_store"], "INC-42", f"bucket-{VICTIM}.json")).read())
    assert record["status"] == "active"
    assert record["prior"]["public_access_block"] is None
    assert parse_policy(record["prior"]["policy_text"]) == before


def test_quarantine_denies_anonymous_and_attacker_but_not_responder_or_caller(scenario, sandbox, run_module, args):
    failed, result = run_module("s3_bucket_quarantine", args)
    assert not failed, result
    s3 = sandbox.client("s3")
    bucket = policy_eval.BucketContext(
        account_id=ACCOUNT,
        bucket_policy=s3.get_bucket_policy(Bucket=VICTIM)["Policy"],
        block_public_access=s3.get_public_access_block(Bucket=VICTIM)["PublicAccessBlockConfiguration"],
        name=VICTIM,
    )
    obj = f"arn:aws:s3:::{VICTIM}/exports/customers.csv"
    ctx = {"aws:SecureTransport": True}
    attacker_identity = policy_eval.PrincipalPolicies.build(
        identity=[
            (
                "LegacyBackupS3FullAccess",
                "user-managed",
                {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
            )
        ]
    )
    anonymous = policy_eval.evaluate(policy_eval.Request("anonymous", "s3:GetObject", obj, ctx), None, bucket)
    attacker = policy_eval.evaluate(policy_eval.Request(ATTACKER, "s3:GetObject", obj, ctx), attacker_identity, bucket)
    responder = policy_eval.evaluate(
        policy_eval.Request(f"arn:aws:sts::{ACCOUNT}:assumed-role/incident-responder/alice", "s3:GetObject", obj, ctx),
        attacker_identity,  # the same s3:* identity policy: only the bucket policy tells them apart
        bucket,
    )
    assert anonymous.decision == policy_eval.EXPLICIT_DENY
    assert attacker.decision == policy_eval.EXPLICIT_DENY
    assert responder.decision == policy_eval.ALLOWED
    caller = policy_eval.evaluate(
        policy_eval.Request(f"arn:aws:iam::{ACCOUNT}:user/moto", "s3:PutBucketPolicy", f"arn:aws:s3:::{VICTIM}", ctx),
        attacker_identity,
        bucket,
    )
    assert caller.decision == policy_eval.ALLOWED


def test_second_quarantine_run_changes_nothing(victim, sandbox, run_module, args):
    assert not run_module("s3_bucket_quarantine", args)[0]
    config = bucket_config(sandbox.client("s3"))
    failed, result = run_module("s3_bucket_quarantine", args)
    assert not failed and not result["changed"] and result["actions"] == []
    assert bucket_config(sandbox.client("s3")) == config
    # the prior state recorded by the first run is kept, not replaced by the quarantined state
    assert result["prior"]["public_access_block"] is None


def test_check_mode_changes_nothing_and_diff_shows_exact_policy(victim, sandbox, run_module, args):
    s3 = sandbox.client("s3")
    config = bucket_config(s3)
    failed, result = run_module("s3_bucket_quarantine", args, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert bucket_config(s3) == config
    assert not os.path.exists(os.path.join(args["state_store"], "INC-42"))
    assert result["diff"]["before"]["policy"] == parse_policy(config["policy"])
    assert result["diff"]["after"]["policy"]["Statement"][-1]["Sid"] == "CloudsecQuarantineINC42"
    assert result["diff"]["after"]["public_access_block"]["block_public_policy"] is True
    assert [a["action"] for a in result["actions"]] == [
        "put_bucket_versioning",
        "put_bucket_policy",
        "put_public_access_block",
    ]


def test_restore_puts_back_the_recorded_policy_bpa_and_versioning(scenario, sandbox, run_module, args):
    s3 = sandbox.client("s3")
    before = bucket_config(s3)
    assert not run_module("s3_bucket_quarantine", args)[0]
    failed, result = run_module("s3_bucket_quarantine", {**args, "state": "absent"})
    assert not failed, result
    after = bucket_config(s3)
    assert after["policy"] == before["policy"]  # exact text
    assert after["bpa"] is None
    # never-enabled versioning cannot go back to "never": it is suspended, and the result says so
    assert before["versioning"] == {}
    assert after["versioning"]["Status"] == "Suspended"
    assert any("never enabled" in note for note in result["notes"])
    failed, again = run_module("s3_bucket_quarantine", {**args, "state": "absent"})
    assert not failed and not again["changed"]
    assert bucket_config(s3) == after


def test_restore_keeps_prior_bpa_and_deletes_policy_that_did_not_exist(sandbox, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="plain-bucket")
    prior_bpa = {**ALL_ON, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket="plain-bucket", PublicAccessBlockConfiguration=prior_bpa)
    s3.put_bucket_versioning(Bucket="plain-bucket", VersioningConfiguration={"Status": "Enabled"})
    args = {**args, "bucket": "plain-bucket"}
    failed, result = run_module("s3_bucket_quarantine", args)
    assert not failed and [a["action"] for a in result["actions"]] == ["put_bucket_policy", "put_public_access_block"]
    assert not run_module("s3_bucket_quarantine", {**args, "state": "absent"})[0]
    config = bucket_config(s3, "plain-bucket")
    assert config == {"policy": None, "bpa": prior_bpa, "versioning": {"Status": "Enabled"}}


def test_restore_after_policy_edit_removes_only_the_quarantine_statement(victim, sandbox, run_module, args):
    s3 = sandbox.client("s3")
    assert not run_module("s3_bucket_quarantine", args)[0]
    edited = parse_policy(s3.get_bucket_policy(Bucket=VICTIM)["Policy"])
    edited["Statement"] = [s for s in edited["Statement"] if s.get("Sid") != "PublicRead"]
    s3.put_bucket_policy(Bucket=VICTIM, Policy=json.dumps(edited))
    failed, result = run_module("s3_bucket_quarantine", {**args, "state": "absent"})
    assert not failed
    sids = [s["Sid"] for s in parse_policy(s3.get_bucket_policy(Bucket=VICTIM)["Policy"])["Statement"]]
    assert sids == ["AllowReportingRoleRead"]
    assert any("changed after the quarantine" in note for note in result["notes"])


def test_empty_responders_is_refused_unless_overridden(victim, sandbox, run_module, args):
    config = bucket_config(sandbox.client("s3"))
    failed, result = run_module("s3_bucket_quarantine", {**args, "responder_principals": []})
    assert failed and "responder_principals is empty" in result["msg"]
    assert bucket_config(sandbox.client("s3")) == config
    failed, result = run_module(
        "s3_bucket_quarantine", {**args, "responder_principals": [], "allow_empty_responders": True}
    )
    assert not failed and result["changed"]


def test_refuses_a_policy_that_would_lock_out_the_caller(victim, sandbox, run_module, args, monkeypatch):
    from ansible_collections.cloudsec.s3.plugins.modules import s3_bucket_quarantine as mod

    real = mod.quarantine_statement
    monkeypatch.setattr(mod, "quarantine_statement", lambda b, i, r, caller, s: real(b, i, r, None, s))
    config = bucket_config(sandbox.client("s3"))
    failed, result = run_module("s3_bucket_quarantine", args)
    assert failed and "lock out" in result["msg"] and "user/moto" in result["msg"]
    assert bucket_config(sandbox.client("s3")) == config


def test_missing_bucket_fails_naming_it(sandbox, run_module, args):
    failed, result = run_module("s3_bucket_quarantine", {**args, "bucket": "no-such-bucket-here"})
    assert failed and "no-such-bucket-here" in result["msg"]


def test_invalid_json_policy_fails_naming_the_bucket(sandbox, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="broken-policy")
    s3.put_bucket_policy(Bucket="broken-policy", Policy='{"Version": "2012-10-17", "Statement": [')
    failed, result = run_module("s3_bucket_quarantine", {**args, "bucket": "broken-policy"})
    assert failed and "broken-policy" in result["msg"] and "not valid JSON" in result["msg"]
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_public_access_block(Bucket="broken-policy")


def test_unwritable_state_store_fails_before_changing_anything(victim, sandbox, run_module, args, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = bucket_config(sandbox.client("s3"))
    failed, result = run_module("s3_bucket_quarantine", {**args, "state_store": str(blocker / "state")})
    assert failed and "not writable" in result["msg"]
    assert bucket_config(sandbox.client("s3")) == config
    failed, result = run_module("s3_bucket_quarantine", {**args, "state_store": "s3://no-such-state-bucket/x"})
    assert failed and "no-such-state-bucket" in result["msg"]
    assert bucket_config(sandbox.client("s3")) == config


def test_state_store_in_s3_records_prior_state(victim, sandbox, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="acme-ir-state")
    failed, result = run_module("s3_bucket_quarantine", {**args, "state_store": "s3://acme-ir-state/cloudsec"})
    assert not failed
    body = s3.get_object(Bucket="acme-ir-state", Key=f"cloudsec/INC-42/bucket-{VICTIM}.json")["Body"].read()
    assert json.loads(body)["prior"]["versioning"]["status"] == "Disabled"
    assert result["state_record"] == f"s3://acme-ir-state/cloudsec/INC-42/bucket-{VICTIM}.json"

"""`ansible-playbook cloudsec.s3.respond` end to end on the sandbox scenarios, then `cloudsec.s3.restore`.

Each test runs the real playbooks as a responder would, then checks the report's conclusions, the containment state
read back from AWS (the sandbox), what the policy engine says about access after containment (moto does not enforce
bucket policies), and that restore puts back exactly what the evidence recorded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval as pe
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy

pytestmark = [pytest.mark.playbook, pytest.mark.slow]

ACCOUNT = "123456789012"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/incident-responder"
EVALUATIONS: list = []  # the policy engine's answers, shown when an access assertion fails


def respond(playbook, tmp_path: Path, **extra) -> tuple[int, dict]:
    varfile = tmp_path / f"vars-{len(list(tmp_path.glob('vars-*')))}.json"
    varfile.write_text(json.dumps({"responder_principals": [RESPONDER], "output_dir": str(tmp_path / "out"), **extra}))
    return playbook("cloudsec.s3.respond", "-e", f"@{varfile}")


def restore(playbook, tmp_path: Path, bucket: str, incident_id: str) -> tuple[int, dict]:
    return playbook(
        "cloudsec.s3.restore",
        "-e",
        f"bucket={bucket}",
        "-e",
        f"incident_id={incident_id}",
        "-e",
        f"output_dir={tmp_path / 'out'}",
    )


def bucket_state(sandbox, bucket: str) -> dict:
    """Policy text, Block Public Access and versioning as S3 reports them."""
    s3 = sandbox.client("s3")
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        policy = None
    try:
        bpa = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        bpa = None
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status") or "Disabled"
    return {"policy": policy, "public_access_block": bpa, "versioning": versioning}


def snapshot_dir(tmp_path: Path, incident_id: str, bucket: str) -> Path:
    [snapshot] = sorted((tmp_path / "out" / incident_id / bucket).glob("snapshot-*"))
    return snapshot


def report_of(tmp_path: Path, incident_id: str, bucket: str) -> dict:
    return json.loads((tmp_path / "out" / incident_id / bucket / "report.json").read_text())


def statements_by_sid(policy_text: str | None) -> dict:
    if not policy_text:
        return {}
    return {s.get("Sid"): s for s in parse_policy(policy_text, name="bucket policy")["Statement"]}


def evaluate(
    bucket: str, policy_text: str, principal: pe.Principal, action: str = "s3:GetObject", identity: list | None = None
) -> str:
    request = pe.Request(
        principal=principal,
        action=action,
        resource=f"arn:aws:s3:::{bucket}/exports/a.csv",
        # a TLS request signed with SigV4, as every SDK sends today
        context={"aws:SecureTransport": "true", "s3:signatureversion": "AWS4-HMAC-SHA256"},
    )
    policies = pe.PrincipalPolicies.build(identity=identity or [])
    context = pe.BucketContext(account_id=ACCOUNT, bucket_policy=policy_text, name=bucket)
    decision = pe.evaluate(request, policies, context)
    EVALUATIONS.append(decision.as_dict())
    return decision.decision


def assert_manifest_verifies(snapshot: Path) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["algorithm"] == "SHA-256"
    for entry in manifest["files"]:
        assert hashlib.sha256((snapshot / entry["name"]).read_bytes()).hexdigest() == entry["sha256"], entry["name"]


def test_public_exfiltration_full_response_then_restore(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    bucket, attacker = expected["victim_bucket"], expected["attacker"]
    before = bucket_state(sandbox, bucket)

    rc, result = respond(playbook, tmp_path, bucket=bucket, incident_id="inc-exfil")
    assert rc == 0, json.dumps(result)[-3000:]

    report = report_of(tmp_path, "inc-exfil", bucket)
    assert report["bucket"] == bucket and report["incident_id"] == "inc-exfil"
    assert report["verdict"] == "compromised"
    suspected = [p["arn"] for p in report["suspected_principals"]]
    assert attacker["principal_arn"] in suspected
    assert not set(expected.get("legitimate_role_arns", [])) & set(suspected)
    # the bucket declares no expected access: the attacker's allowed calls are "intent unknown", never "authorized"
    [thief] = [e for e in report["authorization"] if e["principal"] == attacker["principal_arn"]]
    assert thief["verdict"] == "allowed_intent_unknown"
    assert "authorized" not in {c["verdict"] for c in thief["calls"]}
    assert any(
        "(suspected) was allowed" in r and "s3:PutBucketPolicy" in r and "no expected access is declared" in r
        for r in report["verdict_reasons"]
    ), report["verdict_reasons"]
    markdown = (tmp_path / "out" / "inc-exfil" / bucket / "report.md").read_text()
    assert markdown.count("`authorization_expected_access`") == 1
    assert report["actions_taken"], "the report lists what was done"
    assert all(a.get("undo") for a in report["containment"])

    # containment state, read back from S3 and IAM
    after = bucket_state(sandbox, bucket)
    assert after["public_access_block"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert after["versioning"] == "Enabled"
    owner_statements = statements_by_sid(before["policy"])
    after_statements = statements_by_sid(after["policy"])
    for sid, statement in owner_statements.items():
        assert after_statements.get(sid) == statement, f"owner statement {sid} was changed"
    assert any(str(sid).startswith("CloudsecQuarantine") for sid in after_statements)
    keys = sandbox.client("iam").list_access_keys(UserName=attacker["user_name"])["AccessKeyMetadata"]
    assert {k["Status"] for k in keys} == {"Inactive"}

    # access after containment, by the policy engine
    anonymous = evaluate(bucket, after["policy"], pe.Principal.anonymous())
    thief = evaluate(
        bucket,
        after["policy"],
        pe.Principal.from_arn(attacker["principal_arn"]),
        identity=[
            (
                "LegacyBackupS3FullAccess",
                "managed",
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
            )
        ],
    )
    responder = evaluate(
        bucket,
        after["policy"],
        pe.Principal.from_arn(RESPONDER),
        identity=[
            (
                "ir",
                "inline",
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
            )
        ],
    )
    assert (anonymous, thief, responder) == ("explicit_deny", "explicit_deny", "allowed"), (
        EVALUATIONS,
        after["policy"],
    )

    # the evidence was written before any change and verifies
    snapshot = snapshot_dir(tmp_path, "inc-exfil", bucket)
    assert_manifest_verifies(snapshot)
    assert (snapshot / "policy.txt").read_text() == before["policy"]

    # restore lifts the quarantine and puts back what the evidence recorded; the hardening (full mode) stays
    rc, result = restore(playbook, tmp_path, bucket, "inc-exfil")
    assert rc == 0, json.dumps(result)[-3000:]
    restored = bucket_state(sandbox, bucket)
    recorded = json.loads((snapshot / "security_info.json").read_text())
    recorded_statements = statements_by_sid((snapshot / "policy.txt").read_text())
    restored_statements = statements_by_sid(restored["policy"])
    for sid, statement in recorded_statements.items():
        assert restored_statements.get(sid) == statement, f"recorded statement {sid} not restored"
    extra = set(restored_statements) - set(recorded_statements)
    assert extra and all(str(sid).startswith("CloudsecDeny") for sid in extra), extra  # baseline statements only
    assert recorded["public_access_block"] is None
    # versioning that was never enabled cannot go back to "never": restore suspends it (documented)
    assert recorded["versioning"]["status"] == "Disabled" and restored["versioning"] == "Suspended"
    keys = sandbox.client("iam").list_access_keys(UserName=attacker["user_name"])["AccessKeyMetadata"]
    assert {k["Status"] for k in keys} == {"Active"}

    rc, result = restore(playbook, tmp_path, bucket, "inc-exfil")
    assert rc == 0
    assert bucket_state(sandbox, bucket) == restored, "a second restore changes nothing"


def test_investigate_mode_changes_nothing(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    bucket = expected["victim_bucket"]
    iam = sandbox.client("iam")

    def world():
        buckets = [b["Name"] for b in sandbox.client("s3").list_buckets()["Buckets"]]
        users = [u["UserName"] for u in iam.list_users()["Users"]]
        return {
            "buckets": {b: bucket_state(sandbox, b) for b in buckets},
            "keys": {
                u: [(k["AccessKeyId"], k["Status"]) for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]]
                for u in users
            },
            "user_policies": {u: iam.list_user_policies(UserName=u)["PolicyNames"] for u in users},
            "roles": {
                r["RoleName"]: iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]
                for r in iam.list_roles()["Roles"]
            },
        }

    before = world()
    rc, result = respond(
        playbook, tmp_path, bucket=bucket, incident_id="inc-ro", response_mode="investigate", responder_principals=[]
    )
    assert rc == 0, json.dumps(result)[-3000:]
    assert world() == before
    report = report_of(tmp_path, "inc-ro", bucket)
    assert report["mode"] == "investigate"
    assert report["verdict"] == "compromised"
    assert report["containment"] == []


def test_ransomware_with_stolen_role_credentials(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("ransomware")["expected"]
    bucket, role_arn = expected["victim_bucket"], expected["compromised_role_arn"]
    before = bucket_state(sandbox, bucket)
    assert before["versioning"] == "Suspended"  # the attacker suspended it

    rc, result = respond(playbook, tmp_path, bucket=bucket, incident_id="inc-ransom", response_mode="contain")
    assert rc == 0, json.dumps(result)[-3000:]
    report = report_of(tmp_path, "inc-ransom", bucket)
    assert report["verdict"] == "compromised"
    assert role_arn in [p["arn"] for p in report["suspected_principals"]]

    after = bucket_state(sandbox, bucket)
    assert after["versioning"] == "Enabled", "containment re-enables versioning so later writes cannot destroy data"
    role_name = role_arn.rsplit("/", 1)[-1]
    assert sandbox.client("iam").list_role_policies(RoleName=role_name)["PolicyNames"], "older sessions revoked"

    rc, result = restore(playbook, tmp_path, bucket, "inc-ransom")
    assert rc == 0, json.dumps(result)[-3000:]
    restored = bucket_state(sandbox, bucket)
    assert restored == before


def test_cross_account_backdoor(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("cross-account-backdoor")["expected"]
    bucket, admin = expected["victim_bucket"], expected["attacker"]
    before = bucket_state(sandbox, bucket)

    rc, result = respond(playbook, tmp_path, bucket=bucket, incident_id="inc-backdoor", response_mode="contain")
    assert rc == 0, json.dumps(result)[-3000:]
    report = report_of(tmp_path, "inc-backdoor", bucket)
    assert report["verdict"] == "compromised"
    suspected = [p["arn"] for p in report["suspected_principals"]]
    assert admin["principal_arn"] in suspected or expected["foreign_principal_arn"] in suspected

    after = bucket_state(sandbox, bucket)
    foreign = evaluate(
        bucket,
        after["policy"],
        pe.Principal.from_arn(expected["foreign_principal_arn"]),
        identity=[
            (
                "foreign",
                "inline",
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
            )
        ],
    )
    assert foreign == "explicit_deny"
    keys = sandbox.client("iam").list_access_keys(UserName=admin["user_name"])["AccessKeyMetadata"]
    assert {k["Status"] for k in keys} == {"Inactive"}

    rc, result = restore(playbook, tmp_path, bucket, "inc-backdoor")
    assert rc == 0, json.dumps(result)[-3000:]
    restored = bucket_state(sandbox, bucket)
    assert restored["policy"] == before["policy"]
    assert restored["public_access_block"] == before["public_access_block"]


def test_a_failed_step_reports_where_it_stopped_even_with_tags(sandbox, playbook, tmp_path):
    bucket = sandbox.scenario("public-exfiltration")["expected"]["victim_bucket"]
    before = bucket_state(sandbox, bucket)
    varfile = tmp_path / "vars.json"
    # contain mode with no responder named: refused before anything touches AWS
    varfile.write_text(
        json.dumps(
            {
                "bucket": bucket,
                "response_mode": "contain",
                "incident_id": "inc-stop",
                "output_dir": str(tmp_path / "out"),
            }
        )
    )
    rc, result = playbook("cloudsec.s3.respond", "-e", f"@{varfile}", "--tags", "contain")
    assert rc != 0
    text = json.dumps(result)
    assert "The response stopped at" in text
    assert "set responder_principals" in text
    assert bucket_state(sandbox, bucket) == before

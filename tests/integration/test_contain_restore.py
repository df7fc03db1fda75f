"""evidence -> contain -> restore through real ansible-playbook runs against the public-exfiltration scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval

VICTIM = "acme-customer-exports"
ACCOUNT = "123456789012"
PLAYBOOK = str(Path(__file__).parent / "playbooks" / "contain.yml")


def bucket_config(s3):
    out = {}
    try:
        out["policy"] = s3.get_bucket_policy(Bucket=VICTIM)["Policy"]
    except s3.exceptions.ClientError:
        out["policy"] = None
    try:
        out["bpa"] = s3.get_public_access_block(Bucket=VICTIM)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        out["bpa"] = None
    out["versioning"] = s3.get_bucket_versioning(Bucket=VICTIM).get("Status")
    return out


def facts(result, name):
    for play in result["plays"]:
        for task in play["tasks"]:
            for host in task["hosts"].values():
                value = host.get("ansible_facts", {}).get(name)
                if value is not None:
                    found = value
    return found


@pytest.mark.slow
def test_contain_then_restore_puts_back_the_evidence_snapshot(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    key = expected["attacker"]["access_key_id"]
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    extra = [
        "-e",
        json.dumps(
            {
                "incident_id": "INC-77",
                "attacker_key": key,
                "evidence_location": str(tmp_path / "evidence"),
                "state_store": str(tmp_path / "state"),
            }
        ),
    ]
    before = bucket_config(s3)
    rc, result = playbook(PLAYBOOK, "--check", "--diff", *extra)
    assert rc == 0, json.dumps(result)[-3000:]
    assert bucket_config(s3) == before  # --check changes nothing

    rc, result = playbook(PLAYBOOK, *extra)
    assert rc == 0, json.dumps(result)[-3000:]
    contain = facts(result, "contain_result")
    evidence = facts(result, "evidence_result")
    assert {a["action"] for a in contain["actions"]} >= {
        "put_bucket_policy",
        "put_public_access_block",
        "put_bucket_versioning",
        "deactivate_access_key",
    }
    assert all("cloudsec.s3.restore" in a["undo_command"] for a in contain["actions"])
    # the persistence sweep took the attacker's public statement out, after recording it
    assert [r["kind"] for r in contain["persistence_removed"]] == ["policy_public_grant"]
    contained = bucket_config(s3)
    assert not any(
        s.get("Principal") == "*" and s["Effect"] == "Allow" for s in json.loads(contained["policy"])["Statement"]
    )
    assert contained["versioning"] == "Enabled" and all(contained["bpa"].values())
    assert iam.list_access_keys(UserName="svc-legacy-backup")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    bucket = policy_eval.BucketContext(account_id=ACCOUNT, bucket_policy=contained["policy"], name=VICTIM)
    obj = f"arn:aws:s3:::{VICTIM}/exports/x.csv"
    assert policy_eval.evaluate(policy_eval.Request("anonymous", "s3:GetObject", obj), None, bucket).decision == (
        policy_eval.EXPLICIT_DENY
    )

    rc, again = playbook(PLAYBOOK, *extra)
    assert rc == 0
    assert facts(again, "contain_result")["actions"] == []
    assert not facts(again, "evidence_result")["written"]
    assert bucket_config(s3) == contained

    rc, restored = playbook(
        "cloudsec.s3.restore",
        "-e",
        json.dumps({"bucket": VICTIM, "incident_id": "INC-77", "state_store": str(tmp_path / "state")}),
    )
    assert rc == 0, json.dumps(restored)[-3000:]
    put_back = facts(restored, "contain_result")["persistence_release"]["actions"]
    assert [a["action"] for a in put_back] == ["put_back_policy_statement"]
    snapshot = Path(evidence["path"])
    info = json.loads((snapshot / "security_info.json").read_text())
    after = bucket_config(s3)
    assert after["policy"] == (snapshot / "policy.txt").read_text() == info["policy_text"]
    assert after["bpa"] is None and info["public_access_block"] is None
    assert info["versioning"]["status"] == "Disabled" and after["versioning"] == "Suspended"
    assert iam.list_access_keys(UserName="svc-legacy-backup")["AccessKeyMetadata"][0]["Status"] == "Active"

"""s3_bucket_evidence against the sandbox."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

VICTIM = "acme-customer-exports"
POLICY_TEXT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{VICTIM}/*",
            }
        ],
    },
    indent=1,
)


@pytest.fixture
def victim(sandbox):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=VICTIM)
    s3.put_bucket_policy(Bucket=VICTIM, Policy=POLICY_TEXT)
    for index in range(3):
        s3.put_object(Bucket=VICTIM, Key=f"exports/{index}.csv", Body=b"x" * (index + 1))
    return VICTIM


@pytest.fixture
def args(tmp_path):
    return {"bucket": VICTIM, "incident_id": "INC-9", "location": str(tmp_path / "evidence")}


def verify_local(snapshot_dir: Path) -> dict:
    manifest = json.loads((snapshot_dir / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (snapshot_dir / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert len(data) == entry["size"]
    sums = (snapshot_dir / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{e['sha256']}  {e['name']}" for e in manifest["files"])
    return manifest


def test_evidence_manifest_hashes_verify_and_policy_text_is_exact(victim, run_module, args):
    failed, result = run_module(
        "s3_bucket_evidence", {**args, "findings": [{"id": "f1", "type": "Policy:S3/BucketAnonymousAccessGranted"}]}
    )
    assert not failed, result
    assert result["changed"]
    snapshot_dir = Path(result["path"])
    manifest = verify_local(snapshot_dir)
    names = {e["name"] for e in manifest["files"]}
    assert {"security_info.json", "policy.txt", "acl.json", "inventory.json", "findings.json"} <= names
    assert (snapshot_dir / "policy.txt").read_text() == POLICY_TEXT
    inventory = json.loads((snapshot_dir / "inventory.json").read_text())
    assert inventory["current_objects"] == 3 and inventory["current_bytes"] == 6
    assert result["manifest_path"] == str(snapshot_dir / "manifest.json")
    assert {f["name"]: f["sha256"] for f in result["files"]} == {e["name"]: e["sha256"] for e in manifest["files"]}


def test_second_run_same_incident_changes_nothing(victim, run_module, args):
    first = run_module("s3_bucket_evidence", args)[1]
    failed, second = run_module("s3_bucket_evidence", args)
    assert not failed and not second["changed"]
    assert second["path"] == first["path"]


def test_changed_bucket_keeps_the_first_snapshot_by_default(sandbox, victim, run_module, args):
    first = run_module("s3_bucket_evidence", args)[1]
    sandbox.client("s3").delete_bucket_policy(Bucket=VICTIM)
    failed, second = run_module("s3_bucket_evidence", args)
    assert not failed and not second["changed"] and second["path"] == first["path"]


def test_changed_bucket_gets_a_new_snapshot_and_the_first_is_not_overwritten(sandbox, victim, run_module, args):
    args = {**args, "if_exists": "add_if_changed"}
    first = run_module("s3_bucket_evidence", args)[1]
    before = {p.name: p.read_bytes() for p in Path(first["path"]).iterdir()}
    sandbox.client("s3").delete_bucket_policy(Bucket=VICTIM)
    failed, second = run_module("s3_bucket_evidence", args)
    assert not failed and second["changed"]
    assert second["path"] != first["path"]
    assert second["previous_snapshots"] == [first["snapshot"]]
    assert {p.name: p.read_bytes() for p in Path(first["path"]).iterdir()} == before
    assert "policy.txt" not in {f["name"] for f in second["files"]}
    verify_local(Path(second["path"]))


def test_check_mode_writes_nothing(victim, run_module, args):
    failed, result = run_module("s3_bucket_evidence", args, check_mode=True)
    assert not failed and result["changed"]
    assert not Path(args["location"]).exists()


def test_evidence_in_s3_with_object_lock_retention(sandbox, victim, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="acme-ir-evidence", ObjectLockEnabledForBucket=True)
    failed, result = run_module(
        "s3_bucket_evidence",
        {**args, "location": "s3://acme-ir-evidence/cases", "object_lock_mode": "COMPLIANCE", "retention_days": 30},
    )
    assert not failed, result
    prefix = result["path"].removeprefix("s3://acme-ir-evidence/")
    manifest = json.loads(s3.get_object(Bucket="acme-ir-evidence", Key=f"{prefix}/manifest.json")["Body"].read())
    for entry in manifest["files"]:
        head = s3.head_object(Bucket="acme-ir-evidence", Key=f"{prefix}/{entry['name']}")
        assert head["ObjectLockMode"] == "COMPLIANCE"
        body = s3.get_object(Bucket="acme-ir-evidence", Key=f"{prefix}/{entry['name']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    again = run_module(
        "s3_bucket_evidence",
        {**args, "location": "s3://acme-ir-evidence/cases", "object_lock_mode": "COMPLIANCE", "retention_days": 30},
    )[1]
    assert not again["changed"] and again["path"] == result["path"]


def test_object_lock_on_a_bucket_without_it_fails_before_writing(sandbox, victim, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="plain-evidence")
    failed, result = run_module(
        "s3_bucket_evidence", {**args, "location": "s3://plain-evidence/x", "object_lock_mode": "GOVERNANCE"}
    )
    assert failed and "plain-evidence" in result["msg"] and "Object Lock" in result["msg"]
    assert s3.list_objects_v2(Bucket="plain-evidence").get("KeyCount", 0) == 0


def test_unwritable_location_fails(victim, run_module, args, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    failed, result = run_module("s3_bucket_evidence", {**args, "location": str(blocker / "evidence")})
    assert failed and "not writable" in result["msg"]
    failed, result = run_module("s3_bucket_evidence", {**args, "location": "s3://no-such-evidence-bucket/x"})
    assert failed and "no-such-evidence-bucket" in result["msg"]


def test_missing_bucket_fails_naming_it(sandbox, run_module, args):
    failed, result = run_module("s3_bucket_evidence", {**args, "bucket": "no-such-bucket-here"})
    assert failed and "no-such-bucket-here" in result["msg"]
    assert not any(Path(args["location"]).rglob("*.json"))


def test_invalid_json_policy_is_preserved_as_is(sandbox, run_module, args):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="broken-policy")
    s3.put_bucket_policy(Bucket="broken-policy", Policy='{"Statement": [')
    failed, result = run_module("s3_bucket_evidence", {**args, "bucket": "broken-policy"})
    assert not failed, result
    assert (Path(result["path"]) / "policy.txt").read_text() == '{"Statement": ['

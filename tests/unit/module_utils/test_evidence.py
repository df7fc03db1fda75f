"""evidence.py and state_store.py with a local location (pure file I/O)."""

from __future__ import annotations

import datetime
import json

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import evidence
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import StateStore
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import new_record

NOW = datetime.datetime(2026, 11, 29, 22, 0, tzinfo=datetime.timezone.utc)
FILES = {"policy.txt": b'{"Statement": []}', "acl.json": evidence.to_json_bytes({"Grants": []})}


def test_snapshot_writes_files_manifest_and_sums_that_verify(tmp_path):
    location = evidence.open_location(str(tmp_path))
    result = evidence.write_snapshot(location, "INC-1", "b1", FILES, now=NOW)
    assert result.changed and result.snapshot == "snapshot-001-20261129T220000Z"
    assert evidence.verify_snapshot(location, f"INC-1/b1/{result.snapshot}") == []
    sums = (tmp_path / "INC-1" / "b1" / result.snapshot / "SHA256SUMS").read_text()
    assert f"{evidence.sha256_hex(FILES['policy.txt'])}  policy.txt" in sums


def test_tampered_file_fails_verification(tmp_path):
    location = evidence.open_location(str(tmp_path))
    result = evidence.write_snapshot(location, "INC-1", "b1", FILES, now=NOW)
    (tmp_path / "INC-1" / "b1" / result.snapshot / "policy.txt").write_bytes(b"{}")
    assert evidence.verify_snapshot(location, f"INC-1/b1/{result.snapshot}") == [
        f"policy.txt: sha256 {evidence.sha256_hex(b'{}')} does not match the manifest"
    ]


def test_same_content_is_not_written_again_and_new_content_gets_a_new_snapshot(tmp_path):
    location = evidence.open_location(str(tmp_path))
    first = evidence.write_snapshot(location, "INC-1", "b1", FILES, now=NOW)
    later = NOW + datetime.timedelta(hours=1)
    again = evidence.write_snapshot(location, "INC-1", "b1", FILES, now=later)
    assert not again.changed and again.snapshot == first.snapshot
    changed = evidence.write_snapshot(location, "INC-1", "b1", {**FILES, "policy.txt": b"{}"}, now=later)
    assert changed.changed and changed.snapshot.startswith("snapshot-002-")
    assert changed.previous == [first.snapshot]
    assert (tmp_path / "INC-1" / "b1" / first.snapshot / "policy.txt").read_bytes() == FILES["policy.txt"]


def test_existing_file_is_never_overwritten(tmp_path):
    location = evidence.open_location(str(tmp_path))
    location.write("INC-1/x.json", b"1", exclusive=True)
    with pytest.raises(CloudsecError, match="Refusing to overwrite"):
        location.write("INC-1/x.json", b"2", exclusive=True)
    assert (tmp_path / "INC-1" / "x.json").read_bytes() == b"1"


def test_object_lock_needs_an_s3_location(tmp_path):
    lock = evidence.ObjectLock("COMPLIANCE", NOW)
    with pytest.raises(CloudsecError, match="s3://"):
        evidence.open_location(str(tmp_path), object_lock=lock)
    with pytest.raises(CloudsecError, match="Unsupported location"):
        evidence.open_location("ftp://host/x")


def test_inventory_summary_counts_versions_markers_and_recent_keys():
    old = NOW - datetime.timedelta(days=3)
    recent = NOW - datetime.timedelta(hours=2)
    listing = {
        "Versions": [
            {"Key": "a", "VersionId": "1", "IsLatest": True, "Size": 10, "LastModified": old},
            {"Key": "b", "VersionId": "2", "IsLatest": False, "Size": 5, "LastModified": old},
            {"Key": "c.encrypted", "VersionId": "3", "IsLatest": True, "Size": 7, "LastModified": recent},
        ],
        "DeleteMarkers": [{"Key": "b", "VersionId": "4", "IsLatest": True, "LastModified": recent}],
    }
    summary = evidence.inventory_summary(listing, now=NOW, recent_hours=24)
    assert summary["current_objects"] == 2 and summary["current_bytes"] == 17
    assert summary["versions"] == 3 and summary["noncurrent_versions"] == 1
    assert summary["delete_markers"] == 1 and summary["current_delete_markers"] == 1
    assert sorted(e["key"] for e in summary["recently_changed"]) == ["b", "c.encrypted"]


def test_state_store_round_trip_and_history(tmp_path):
    store = StateStore(str(tmp_path / "state"))
    store.check_writable()
    record = new_record("bucket", "b1", "INC-1", {"policy_text": None})
    store.write("INC-1", "bucket-b1", record)
    assert store.read("INC-1", "bucket-b1")["prior"] == {"policy_text": None}
    assert store.names("INC-1") == ["bucket-b1"]
    restored = {**record, "status": "restored"}
    again = new_record("bucket", "b1", "INC-1", {"policy_text": "{}"}, previous=restored)
    assert again["history"][0]["status"] == "restored" and again["status"] == "active"
    assert store.read("INC-1", "missing") is None


def test_state_store_in_an_unwritable_place_fails_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CloudsecError, match="not writable"):
        StateStore(str(blocker / "state")).check_writable()


def test_json_bytes_are_stable():
    assert evidence.to_json_bytes({"b": 1, "a": [1]}) == evidence.to_json_bytes({"a": [1], "b": 1})
    assert json.loads(evidence.to_json_bytes({"a": 1})) == {"a": 1}

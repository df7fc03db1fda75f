"""The scanner's speed paths give the same answers as the plain ones.

Two paths exist only for speed: gzip decompressed into a buffer sized from the gzip trailer
(``_gunzip_sized``, with the general decompressor as the fallback), and local files scanned in chunks that
are merged in their worker (``_task_paths``) instead of one result per file.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import cloudtrail_scan as cs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cloudtrail"
BUCKET = "victim-bucket"
ACCOUNT = "123456789012"
WINDOW = {"start": "2026-11-01T10:00:00Z", "end": "2026-11-01T12:00:00Z"}

needs_isal = pytest.mark.skipif(cs._igzip_lib is None, reason="isal is not installed")


def record(n: int, user: str = "mallory", minute: int = 0, bucket: str = BUCKET) -> dict:
    return {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::123456789012:user/{user}",
            "accountId": "123456789012",
        },
        "eventTime": f"2026-11-01T11:{minute % 60:02d}:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject" if n % 3 else "PutObject",
        "sourceIPAddress": f"198.51.100.{n % 7}",
        "requestParameters": {"bucketName": bucket, "key": f"k/{n}"},
        "additionalEventData": {"bytesTransferredOut": n},
        "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "recipientAccountId": "123456789012",
    }


def gz(doc: object) -> bytes:
    return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), mtime=0)


def outcome(data: bytes) -> object:
    """What _decompress makes of data: the bytes, or the skip reason."""
    try:
        return cs._decompress(data, True)
    except cs._Skip as skip:
        return skip.reason


GOOD = gz({"Records": [record(1), record(2)]})
SMALL = gz({"Records": []})
ODD_INPUTS = {
    "one member": GOOD,
    "two members": GOOD + SMALL,
    "two members, the last one larger": SMALL + GOOD,
    "trailer says smaller": GOOD[:-4] + (5).to_bytes(4, "little"),
    "trailer says larger": GOOD[:-4] + (10_000).to_bytes(4, "little"),
    "trailer says 4 GB": GOOD[:-4] + b"\xff\xff\xff\xff",
    "trailing zeros": GOOD + b"\0" * 8,
    "trailing garbage": GOOD + b"xyz",
    "bad CRC": GOOD[:-8] + b"\0\0\0\0" + GOOD[-4:],
    "truncated": GOOD[: len(GOOD) // 2],
    "header only": GOOD[:10],
    "corrupt body": GOOD[:12] + b"\xff" * 20 + GOOD[32:],
}


@needs_isal
@pytest.mark.parametrize("name", sorted(ODD_INPUTS))
def test_sized_decompression_agrees_with_the_general_decompressor(name, monkeypatch):
    data = ODD_INPUTS[name]
    fast = outcome(data)
    monkeypatch.setattr(cs, "_igzip_lib", None)  # only the general path (igzip.decompress) is left
    assert fast == outcome(data)


@needs_isal
def test_sized_decompression_agrees_with_the_general_decompressor_on_every_fixture(monkeypatch):
    fixtures = sorted(FIXTURES.glob("*.gz"))
    assert len(fixtures) >= 5
    fast = {p.name: outcome(p.read_bytes()) for p in fixtures}
    monkeypatch.setattr(cs, "_igzip_lib", None)
    assert fast == {p.name: outcome(p.read_bytes()) for p in fixtures}
    multi = fast["multi_member.json.gz"]
    assert multi == gzip.decompress((FIXTURES / "multi_member.json.gz").read_bytes())
    assert b"e-mm-1" in multi and b"e-mm-2" in multi
    assert fast["truncated.json.gz"] == "truncated_gzip"
    assert fast["corrupt.json.gz"] == "corrupt_gzip"


@needs_isal
def test_sized_path_takes_only_a_single_member_of_the_announced_size():
    assert cs._gunzip_sized(GOOD) == gzip.decompress(GOOD)
    assert cs._gunzip_sized(SMALL) == b'{"Records":[]}'
    for declined in ("two members", "two members, the last one larger", "trailer says 4 GB"):
        assert cs._gunzip_sized(ODD_INPUTS[declined]) is None, declined
    # A trailer whose length is wrong is corrupt (isal checks it): declined here, reported by the general path.
    for lying in ("trailer says smaller", "trailer says larger"):
        assert cs._gunzip_sized(ODD_INPUTS[lying]) is None, lying
        assert outcome(ODD_INPUTS[lying]) == "corrupt_gzip"
    for broken in ("truncated", "header only", "corrupt body", "bad CRC", "trailing garbage"):
        assert cs._gunzip_sized(ODD_INPUTS[broken]) is None, broken


def test_chunks_are_contiguous_and_cover_every_file_once():
    items = list(enumerate(f"f{i}" for i in range(37)))
    for workers in (1, 2, 3, 16):
        chunks = cs._chunks(items, workers)
        assert [item for chunk in chunks for item in chunk] == items
        assert len(chunks) <= max(1, workers * cs._CHUNKS_PER_WORKER)
    assert cs._chunks([], 2) == []


@pytest.mark.parametrize("max_events", [3, 1000])
def test_chunks_merged_in_workers_give_the_per_file_answer_with_duplicates_across_chunks(tmp_path, max_events):
    """Local files go through chunks merged in the worker; fetched objects are merged one file at a time."""
    paths = []
    for f in range(12):
        # Files 0-5 are delivered again as files 6-11: every event of the second half is a duplicate.
        recs = [record(10 * (f % 6) + n, user=f"u{n % 3}", minute=f * 5 + n) for n in range(6)]
        recs.append(record(900 + f, bucket="other-bucket"))
        path = tmp_path / f"123456789012_CloudTrail_us-east-1_20261101T11{f:02d}Z_x{f}.json.gz"
        path.write_bytes(gz({"Records": recs}))
        paths.append(str(path))
    bad = tmp_path / "123456789012_CloudTrail_us-east-1_20261101T1130Z_bad.json.gz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    paths.insert(4, str(bad))
    args = {"bucket": BUCKET, **WINDOW, "max_events": max_events}

    def comparable(result: cs.ScanResult) -> dict:
        out = result.to_dict()
        for key in ("elapsed_seconds", "workers"):
            out["stats"].pop(key)
        return out

    chunked = cs.scan(paths, workers=2, **args)
    single = cs.scan(paths, workers=1, **args)
    per_file = cs.scan(paths, workers=1, fetch=lambda key: Path(key).read_bytes(), **args)
    assert len(cs._chunks(list(enumerate(paths)), 2)) > 2  # the duplicates are in other chunks than the originals
    assert comparable(chunked) == comparable(per_file) == comparable(single)
    stats = chunked.stats
    assert stats["duplicates_dropped"] == 36
    assert stats["records_matched"] == 36
    assert stats["skipped_by_reason"] == {"corrupt_gzip": 1}
    assert len(chunked.events) == min(max_events, 36)
    assert chunked.truncated is (max_events < 36)
    assert sum(a["event_count"] for a in chunked.actors) == 36
    assert sum(g["count"] for g in chunked.groups) == 36

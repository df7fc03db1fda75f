"""How many S3 calls the baseline makes per bucket: one read per enabled control, writes only on drift."""

from __future__ import annotations

from collections import Counter

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import baseline as bl
from botocore.exceptions import ClientError

CONTROLS = ["public_access_block", "ownership_controls", "encryption", "versioning"]
ABSENT = {
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_ownership_controls": "OwnershipControlsNotFoundError",
    "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "get_bucket_tagging": "NoSuchTagSet",
}


class RecordingS3:
    """Answers like S3 for buckets with nothing configured (or missing ones), and counts every call."""

    def __init__(self, missing=()):
        self.calls = Counter()
        self.missing = set(missing)

    def __getattr__(self, operation):
        def call(aws_retry=False, Bucket=None, **kwargs):
            self.calls[operation] += 1
            if Bucket in self.missing:
                raise ClientError({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}, operation)
            if operation in ABSENT:
                raise ClientError({"Error": {"Code": ABSENT[operation], "Message": "none"}}, operation)
            return {}  # versioning never enabled, the writes accepted

        return call


def run(s3, buckets, check_mode=True, **settings):
    settings = bl.Settings(controls=settings.pop("controls", CONTROLS), iam_audit=False, max_workers=2, **settings)
    return bl.run_baseline(bl.Clients(s3=s3, account_id="123456789012"), buckets, settings, check_mode=check_mode)


def test_audit_reads_each_control_once_per_bucket_without_an_extra_existence_check():
    s3 = RecordingS3()
    result = run(s3, ["acme-a", "acme-b"], exception_tag=None)
    assert s3.calls == Counter(
        get_public_access_block=2, get_bucket_ownership_controls=2, get_bucket_encryption=2, get_bucket_versioning=2
    )
    assert result["buckets"][0]["controls"]["versioning"]["status"] == "would_change"
    assert result["buckets"][0]["controls"]["versioning"]["before"] == "Disabled"


def test_enforcement_adds_one_write_per_drifting_control():
    s3 = RecordingS3()
    run(s3, ["acme-a"], check_mode=False, exception_tag=None)
    writes = {op: n for op, n in s3.calls.items() if op.startswith("put_")}
    assert writes == {
        "put_public_access_block": 1,
        "put_bucket_ownership_controls": 1,
        "put_bucket_encryption": 1,
        "put_bucket_versioning": 1,
    }
    assert sum(s3.calls.values()) == 8


def test_existence_is_still_checked_when_every_control_is_excepted():
    s3 = RecordingS3(missing=["acme-gone"])
    result = run(
        s3,
        ["acme-gone"],
        exception_tag=None,
        exceptions=[{"bucket": "acme-*", "controls": ["all"], "reason": "archive"}],
    )
    assert s3.calls == Counter(get_bucket_versioning=1)
    entry = result["buckets"][0]
    assert entry["error"] == "Bucket acme-gone does not exist"
    assert {c["status"] for c in entry["controls"].values()} == {"failed"}


@pytest.mark.parametrize("tag", [None, "cloudsec:baseline-exception"])
def test_a_missing_bucket_fails_every_control_and_the_others_complete(tag):
    s3 = RecordingS3(missing=["acme-gone"])
    result = run(s3, ["acme-gone", "acme-here"], exception_tag=tag)
    gone, here = result["buckets"]
    assert gone["error"] == "Bucket acme-gone does not exist"
    assert {c["status"] for c in gone["controls"].values()} == {"failed"}
    assert {c["status"] for c in here["controls"].values()} == {"would_change"}

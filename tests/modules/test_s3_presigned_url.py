"""cloudsec.s3.s3_presigned_url: SigV4 URLs whose expiry is capped by the bucket policy and by 7 days."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import signature_age

BUCKET = "acme-customer-exports"


@pytest.fixture
def shared_object(sandbox):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="reports/2026-11.csv", Body=b"id,total\n1,10\n")
    return sandbox


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def test_url_is_sigv4_with_default_one_hour(shared_object, run_module):
    failed, result = run_module("s3_presigned_url", {"bucket": BUCKET, "object": "reports/2026-11.csv"})
    assert not failed, result
    params = query(result["url"])
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Expires"] == "3600"
    assert result["changed"] is False and result["capped_by"] is None


def test_expiry_is_capped_by_signature_age_deny_and_by_seven_days(shared_object, run_module):
    failed, result = run_module(
        "s3_presigned_url", {"bucket": BUCKET, "object": "reports/2026-11.csv", "expires_in": 10**7}
    )
    assert not failed
    assert (result["expires_in"], result["capped_by"]) == (604800, "sigv4_maximum")
    assert query(result["url"])["X-Amz-Expires"] == "604800"
    policy = {"Version": "2012-10-17", "Statement": [signature_age(BUCKET, 600)]}
    shared_object.client("s3").put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    # moto applies Deny statements without their conditions, so HeadObject would be refused here
    args = {"bucket": BUCKET, "object": "reports/2026-11.csv", "check_object": False}
    failed, result = run_module("s3_presigned_url", args)
    assert not failed, result
    assert (result["expires_in"], result["capped_by"], result["requested_expires_in"]) == (600, "bucket_policy", 3600)
    assert query(result["url"])["X-Amz-Expires"] == "600"


def test_missing_object_fails_naming_it(shared_object, run_module):
    failed, result = run_module("s3_presigned_url", {"bucket": BUCKET, "object": "nope.csv"})
    assert failed and result["msg"] == f"Object nope.csv does not exist in bucket {BUCKET}"

"""cloudsec.s3.s3_account_public_access_block: preview of buckets losing public access, check mode, idempotence."""

from __future__ import annotations

import json

ACCOUNT = "123456789012"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def account_bpa(sandbox):
    control = sandbox.client("s3control")
    try:
        return control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    except control.exceptions.NoSuchPublicAccessBlockConfiguration:
        return None


def test_preview_names_the_public_bucket_and_check_mode_changes_nothing(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="acme-www")
    s3.create_bucket(Bucket="acme-private")
    s3.put_bucket_policy(
        Bucket="acme-www",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::acme-www/*",
                    }
                ],
            }
        ),
    )
    failed, preview = run_module("s3_account_public_access_block", {}, check_mode=True, diff=True)
    assert not failed and preview["changed"], preview
    assert [b["bucket"] for b in preview["would_lose_public_access"]] == ["acme-www"]
    assert preview["would_lose_public_access"][0]["paths"][0]["neutralised_by"] == ["RestrictPublicBuckets"]
    assert preview["diff"] == {
        "before": {},
        "after": dict.fromkeys(
            ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"), True
        ),
    }
    assert account_bpa(sandbox) is None

    failed, refused = run_module("s3_account_public_access_block", {"fail_if_buckets_lose_access": True})
    assert failed and refused["msg"] == "Account-level Block Public Access would cut public access to: acme-www"
    assert account_bpa(sandbox) is None

    failed, result = run_module("s3_account_public_access_block", {})
    assert not failed and result["changed"]
    assert account_bpa(sandbox) == ALL_ON
    failed, again = run_module("s3_account_public_access_block", {})
    assert not failed and again["changed"] is False
    assert again["would_lose_public_access"] == []

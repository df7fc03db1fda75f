"""s3_bucket_security_info against the sandbox: every section, absent configuration, missing buckets."""

from __future__ import annotations

import json

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::open-bucket/*",
        }
    ],
}


def test_bare_bucket_reports_every_section_as_absent_not_as_error(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="bare-bucket")
    failed, result = run_module("s3_bucket_security_info", {"buckets": ["bare-bucket"]})
    assert not failed, result
    bucket = result["buckets"][0]
    assert bucket["errors"] == {}
    for section in (
        "public_access_block",
        "policy",
        "policy_status",
        "ownership_controls",
        "logging",
        "replication",
        "website",
        "cors",
        "lifecycle",
    ):
        assert bucket[section] is None, section
    assert bucket["versioning"] == {"status": "Disabled", "mfa_delete": "Disabled"}
    assert bucket["object_lock"] == {"enabled": False, "default_retention": None}
    assert bucket["tags"] == {}
    assert bucket["access_points"] == []
    assert bucket["notifications"] == {"targets": [], "eventbridge": False}
    assert result["account"] == {"account_id": "123456789012", "public_access_block": None}
    assert result["changed"] is False


def test_public_policy_is_parsed_and_flagged(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="open-bucket")
    s3.put_bucket_policy(Bucket="open-bucket", Policy=json.dumps(POLICY))
    failed, result = run_module(
        "s3_bucket_security_info", {"buckets": "open-bucket", "include": ["policy", "policy_status"]}
    )
    assert not failed, result
    bucket = result["buckets"][0]
    assert bucket["policy"] == POLICY
    assert json.loads(bucket["policy_text"]) == POLICY
    assert bucket["policy_status"] == {"is_public": True}
    assert "acl" not in bucket  # only the sections asked for are read


def test_configured_sections_are_normalised(sandbox, run_module):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="tidy-bucket")
    s3.create_bucket(Bucket="tidy-logs")
    s3.put_bucket_acl(
        Bucket="tidy-logs",
        GrantWrite='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"',
        GrantReadACP='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"',
    )
    s3.put_public_access_block(
        Bucket="tidy-bucket",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket="tidy-bucket", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    s3.put_bucket_encryption(
        Bucket="tidy-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="tidy-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket="tidy-bucket",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "tidy-logs", "TargetPrefix": "tidy/"}},
    )
    s3.put_bucket_cors(
        Bucket="tidy-bucket",
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]},
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="tidy-bucket",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "old-versions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                }
            ]
        },
    )
    s3.put_bucket_website(Bucket="tidy-bucket", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_tagging(Bucket="tidy-bucket", Tagging={"TagSet": [{"Key": "owner", "Value": "data-platform"}]})
    s3.put_bucket_acl(Bucket="tidy-bucket", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    s3control = sandbox.client("s3control")
    s3control.create_access_point(
        AccountId="123456789012",
        Name="forensics",
        Bucket="tidy-bucket",
        VpcConfiguration={"VpcId": "vpc-0abc1234"},
    )
    s3control.put_public_access_block(
        AccountId="123456789012",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )

    failed, result = run_module("s3_bucket_security_info", {"buckets": ["tidy-bucket"]})
    assert not failed, result
    b = result["buckets"][0]
    assert b["errors"] == {}
    assert b["public_access_block"] == {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": False,
    }
    assert result["account"]["public_access_block"]["restrict_public_buckets"] is True
    assert b["ownership_controls"] == "BucketOwnerEnforced"
    assert b["encryption"] == {
        "rules": [{"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn, "bucket_key_enabled": True}]
    }
    assert b["versioning"]["status"] == "Enabled"
    assert b["logging"]["target_bucket"] == "tidy-logs"
    assert b["logging"]["target_prefix"] == "tidy/"
    assert b["cors"] == [{"allowed_methods": ["GET"], "allowed_origins": ["*"]}]
    assert b["lifecycle"][0]["id"] == "old-versions"
    assert b["lifecycle"][0]["noncurrent_version_expiration"] == {"noncurrent_days": 90}
    assert b["website"]["index_document"] == {"suffix": "index.html"}
    assert b["tags"] == {"owner": "data-platform"}
    assert [g["permission"] for g in b["acl"]["public_grants"]] == ["READ"]
    assert b["acl"]["public_grants"][0]["grantee"]["uri"].endswith("/global/AllUsers")
    [ap] = b["access_points"]
    assert ap["name"] == "forensics"
    assert ap["network_origin"] == "VPC"
    assert ap["vpc_id"] == "vpc-0abc1234"


def test_every_bucket_of_the_account_when_none_named(sandbox, run_module):
    s3 = sandbox.client("s3")
    for name in ("alpha-bucket", "beta-bucket", "gamma-bucket"):
        s3.create_bucket(Bucket=name)
    failed, result = run_module("s3_bucket_security_info", {"include": ["versioning"], "include_account": False})
    assert not failed, result
    assert sorted(b["name"] for b in result["buckets"]) == ["alpha-bucket", "beta-bucket", "gamma-bucket"]


def test_missing_bucket_fails_naming_it(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="real-bucket")
    failed, result = run_module("s3_bucket_security_info", {"buckets": ["real-bucket", "ghost-bucket"]})
    assert failed
    assert result["msg"] == "Bucket ghost-bucket does not exist"
    assert result["buckets"] == ["ghost-bucket"]


def test_missing_bucket_is_listed_when_ignored(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="real-bucket")
    failed, result = run_module(
        "s3_bucket_security_info", {"buckets": ["real-bucket", "ghost-bucket"], "ignore_missing": True}
    )
    assert not failed, result
    assert [b["name"] for b in result["buckets"]] == ["real-bucket"]
    assert result["missing"] == ["ghost-bucket"]


def test_invalid_bucket_name_is_rejected_before_any_call(sandbox, run_module):
    # The endpoint is unreachable: a validation error proves no request was attempted first.
    failed, result = run_module(
        "s3_bucket_security_info", {"buckets": ["Not_A_Bucket"], "endpoint_url": "http://127.0.0.1:9"}
    )
    assert failed
    assert "Invalid bucket name 'Not_A_Bucket' in buckets" in result["msg"]

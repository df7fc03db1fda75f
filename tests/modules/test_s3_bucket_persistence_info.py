"""s3_bucket_persistence_info against the sandbox."""

from __future__ import annotations

import datetime
import json

import pytest

ACCOUNT = "123456789012"
FOREIGN = "444455556666"
BUCKET = "acme-finance-ledgers"
ATTACKER = f"arn:aws:iam::{ACCOUNT}:user/ops-admin"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowFinanceRoleRead",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app-finance"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        },
        {
            "Sid": "BackupReplicationAccess",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        },
    ],
}


@pytest.fixture
def backdoored(sandbox):
    """A bucket with the usual persistence tricks, in AWS's own request shapes."""
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(POLICY))
    s3.put_bucket_cors(
        Bucket=BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {"ID": "any", "AllowedMethods": ["GET"], "AllowedOrigins": ["*"]},
                {"ID": "app", "AllowedMethods": ["GET"], "AllowedOrigins": ["https://app.acme.example"]},
            ]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "wipe", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
                {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "old/"}, "Expiration": {"Days": 365}},
            ]
        },
    )
    s3.put_bucket_website(Bucket=BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    return BUCKET


@pytest.fixture
def args():
    return {"bucket": BUCKET}


def kinds(result):
    return sorted({f["kind"] for f in result["findings"]})


def test_sweep_reports_foreign_grant_cors_lifecycle_and_website_without_changing_them(
    sandbox, backdoored, run_module, args
):
    s3 = sandbox.client("s3")
    before = s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    failed, result = run_module("s3_bucket_persistence_info", args)
    assert not failed, result
    assert not result["changed"]
    assert kinds(result) == ["cors_any_origin", "lifecycle_short_expiry", "policy_foreign_grant", "website_hosting"]
    grant = next(f for f in result["findings"] if f["kind"] == "policy_foreign_grant")
    assert grant["sid"] == "BackupReplicationAccess" and FOREIGN in grant["detail"]
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == before


def test_trusted_account_is_not_reported(sandbox, backdoored, run_module, args):
    failed, result = run_module("s3_bucket_persistence_info", {**args, "trusted_accounts": [FOREIGN]})
    assert not failed and "policy_foreign_grant" not in kinds(result)


def test_iam_keys_created_by_suspect_in_timeline_are_reported(sandbox, run_module):
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="backdoor")
    key = iam.create_access_key(UserName="backdoor")["AccessKey"]["AccessKeyId"]
    now = datetime.datetime.now(datetime.timezone.utc)
    timeline = [
        {
            "eventVersion": "1.11",
            "eventTime": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "userIdentity": {"type": "IAMUser", "arn": ATTACKER, "accountId": ACCOUNT},
            "requestParameters": {"userName": "backdoor"},
            "responseElements": {"accessKey": {"accessKeyId": key, "userName": "backdoor", "status": "Active"}},
        },
        {
            "eventTime": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventName": "CreateUser",
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-ingest/x"},
            "requestParameters": {"userName": "someone-else"},
        },
    ]
    params = {"bucket": BUCKET, "suspected_principals": [{"arn": ATTACKER}], "timeline": timeline}
    failed, result = run_module("s3_bucket_persistence_info", params)
    assert not failed, result
    created = [f for f in result["findings"] if f["kind"] == "iam_access_key_created"]
    assert [f["access_key_id"] for f in created] == [key] and created[0]["actor"] == ATTACKER
    assert not any("someone-else" in f["resource"] for f in result["findings"])


def test_info_module_rejects_remove_and_changes_nothing(sandbox, backdoored, run_module, args, tmp_path):
    """remove moved to s3_bucket_persistence: an old playbook passing it fails naming the option."""
    failed, result = run_module(
        "s3_bucket_persistence_info", {**args, "remove": ["all"], "incident_id": "INC-3", "state_store": str(tmp_path)}
    )
    assert failed and "remove" in result["msg"]
    assert sandbox.client("s3").get_bucket_website(Bucket=BUCKET)["IndexDocument"]["Suffix"] == "index.html"


def test_missing_bucket_fails_naming_it(sandbox, run_module):
    failed, result = run_module("s3_bucket_persistence_info", {"bucket": "no-such-bucket-here"})
    assert failed and "no-such-bucket-here" in result["msg"]

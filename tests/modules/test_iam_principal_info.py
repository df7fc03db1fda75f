"""iam_principal_info against the sandbox: every way to name a principal, everything read about it, and the
principals that cannot be read (gone, another account, anonymous) reported rather than failed."""

from __future__ import annotations

import json

ACCOUNT = "123456789012"

S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReadExports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
}
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _user_with_everything(iam) -> str:
    """alice: inline + managed + group (inline and managed) policies, a key, console access, MFA."""
    managed = iam.create_policy(PolicyName="ExportsRead", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="alice-inline", PolicyDocument=json.dumps(S3_READ))
    iam.attach_user_policy(UserName="alice", PolicyArn=managed)
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="alice")
    iam.put_group_policy(GroupName="ops", PolicyName="ops-inline", PolicyDocument=json.dumps(S3_READ))
    iam.attach_group_policy(GroupName="ops", PolicyArn=managed)
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    return iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]


def test_user_arn_resolves_with_own_and_group_policies_keys_mfa_and_console(sandbox, run_module):
    key = _user_with_everything(sandbox.client("iam"))
    failed, result = run_module("iam_principal_info", {"principals": [f"arn:aws:iam::{ACCOUNT}:user/alice"]})
    assert not failed, result
    [alice] = result["principals"]
    assert alice["type"] == "user" and alice["exists"] is True and alice["resolved_from"] == "arn"
    kinds = {(p["name"], p["type"], p["attached_via"]) for p in alice["policies"]}
    assert kinds == {
        ("alice-inline", "user-inline", None),
        ("ExportsRead", "user-managed", None),
        ("ops-inline", "group-inline", "ops"),
        ("ExportsRead", "group-managed", "ops"),
    }
    assert all(p["document"] == S3_READ for p in alice["policies"])
    assert alice["permissions_boundary"] is None
    assert alice["groups"] == [{"name": "ops", "arn": f"arn:aws:iam::{ACCOUNT}:group/ops"}]
    assert [k["access_key_id"] for k in alice["access_keys"]] == [key]
    assert alice["access_keys"][0]["status"] == "Active"
    assert alice["console_access"] is True
    assert len(alice["mfa_devices"]) == 1
    assert alice["errors"] == {}
    assert result["changed"] is False


def test_access_key_id_and_user_name_resolve_to_the_same_user(sandbox, run_module):
    iam = sandbox.client("iam")
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    failed, result = run_module("iam_principal_info", {"principals": [key, "bob"]})
    assert not failed, result
    by_key, by_name = result["principals"]
    assert by_key["arn"] == by_name["arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert by_key["resolved_from"].startswith("access_key")
    assert by_name["resolved_from"] == "user_name"
    assert by_key["console_access"] is False


def test_assumed_role_session_resolves_to_its_role_with_trust_policy_and_boundary(sandbox, run_module):
    iam = sandbox.client("iam")
    boundary = iam.create_policy(PolicyName="S3Only", PolicyDocument=json.dumps(BOUNDARY))["Policy"]["Arn"]
    iam.create_role(
        RoleName="app-reporting",
        Path="/apps/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=boundary,
    )
    iam.put_role_policy(RoleName="app-reporting", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-reporting/i-0abc"
    failed, result = run_module("iam_principal_info", {"principal": session})
    assert not failed, result
    [info] = result["principals"]
    assert info["type"] == "assumed_role" and info["exists"] is True
    assert info["arn"] == session and info["session_name"] == "i-0abc"
    assert info["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/apps/app-reporting"
    assert info["trust_policy"] == TRUST
    assert [(p["name"], p["type"]) for p in info["policies"]] == [("read", "role-inline")]
    assert info["permissions_boundary"]["name"] == "S3Only"
    assert info["permissions_boundary"]["document"] == BOUNDARY
    assert "role_last_used" in info


def test_deleted_principals_are_reported_not_fatal(sandbox, run_module):
    failed, result = run_module(
        "iam_principal_info",
        {
            "principals": [
                f"arn:aws:iam::{ACCOUNT}:user/gone",
                "AKIAIOSFODNN7EXAMPLE",
                f"arn:aws:iam::{ACCOUNT}:role/old",
            ]
        },
    )
    assert not failed, result
    user, key, role = result["principals"]
    assert user["exists"] is False and "does not exist" in user["note"]
    assert key["exists"] is False and "AKIAIOSFODNN7EXAMPLE" in key["note"]
    assert role["exists"] is False


def test_anonymous_cross_account_and_root_are_reported_as_such(sandbox, run_module):
    failed, result = run_module(
        "iam_principal_info",
        {
            "principals": [
                "anonymous",
                "arn:aws:sts::444455556666:assumed-role/data-sync/sync-01",
                f"arn:aws:iam::{ACCOUNT}:root",
            ]
        },
    )
    assert not failed, result
    anonymous, foreign, root = result["principals"]
    assert anonymous["type"] == "anonymous" and anonymous["exists"] is None
    assert foreign["cross_account"] is True and foreign["account_id"] == "444455556666"
    assert "444455556666" in foreign["note"] and foreign["policies"] == []
    assert root["type"] == "root" and root["cross_account"] is False


def test_malformed_principal_fails_naming_it(sandbox, run_module):
    failed, result = run_module("iam_principal_info", {"principals": ["arn:aws:s3:::not-a-principal"]})
    assert failed
    assert "arn:aws:s3:::not-a-principal" in result["msg"]

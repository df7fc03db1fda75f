"""s3_bucket_persistence against the sandbox: removal recorded first, restore puts back exactly what was removed."""

from __future__ import annotations

import datetime
import json
import time

import pytest

ACCOUNT = "123456789012"
FOREIGN = "444455556666"
BUCKET = "acme-finance-ledgers"
ATTACKER = f"arn:aws:iam::{ACCOUNT}:user/ops-admin"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/platform-admin"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/incident-responder"
CALLER_USER = "moto"  # the sandbox's caller is arn:aws:sts::123456789012:user/moto
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
TRUST_BEFORE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUST_ATTACKER = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"}, "Action": "sts:AssumeRole"},
    ],
}
EXFIL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def doc(text_or_dict):
    return json.loads(text_or_dict) if isinstance(text_or_dict, str) else text_or_dict


def stamp(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def backdoored_bucket(sandbox):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=BUCKET)
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


def bucket_state(s3):
    return {
        "policy": doc(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]),
        "cors": s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"],
        "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"],
        "website": s3.get_bucket_website(Bucket=BUCKET).get("IndexDocument"),
    }


def test_bucket_removals_are_recorded_then_restored_exactly(sandbox, backdoored_bucket, run_module, tmp_path):
    s3 = sandbox.client("s3")
    before = bucket_state(s3)
    params = {
        "bucket": BUCKET,
        "remove": ["policy_foreign_grant", "cors_any_origin", "lifecycle_short_expiry", "website_hosting"],
        "incident_id": "INC-3",
        "state_store": str(tmp_path),
    }
    failed, result = run_module("s3_bucket_persistence", params, check_mode=True, diff=True)
    assert not failed and result["changed"] and len(result["removed"]) == 4, result
    assert "BackupReplicationAccess" in json.dumps(result["diff"]["before"])
    assert bucket_state(s3) == before
    assert not (tmp_path / "INC-3").exists()

    failed, result = run_module("s3_bucket_persistence", params)
    assert not failed and result["changed"], result
    assert [s["Sid"] for s in doc(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]] == [
        "AllowFinanceRoleRead"
    ]
    assert [r["ID"] for r in s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]] == ["app"]
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]] == ["archive"]
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_website(Bucket=BUCKET)
    record = json.loads((tmp_path / "INC-3" / f"persistence-{BUCKET}.json").read_text())
    assert len(record["items"]) == 4 and record["status"] == "active"
    failed, again = run_module("s3_bucket_persistence", params)
    assert not failed and not again["changed"] and again["removed"] == []

    restore = {"bucket": BUCKET, "state": "restored", "incident_id": "INC-3", "state_store": str(tmp_path)}
    failed, result = run_module("s3_bucket_persistence", restore, check_mode=True)
    assert not failed and result["changed"] and len(result["actions"]) == 4
    assert [s["Sid"] for s in doc(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]] == [
        "AllowFinanceRoleRead"
    ]
    failed, result = run_module("s3_bucket_persistence", restore)
    assert not failed and result["changed"], result
    assert bucket_state(s3) == before
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == json.dumps(POLICY)  # the recorded text, byte for byte
    failed, result = run_module("s3_bucket_persistence", restore)
    assert not failed and not result["changed"]


def event(name, when, actor, request=None, response=None):
    return {
        "eventTime": stamp(when),
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "userIdentity": {"type": "IAMUser", "arn": actor, "accountId": ACCOUNT},
        "requestParameters": request or {},
        "responseElements": response,
    }


@pytest.fixture
def iam_backdoors(sandbox):
    """IAM persistence left by ATTACKER, and the CloudTrail events that show it (in CloudTrail's shapes)."""
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket=BUCKET)
    iam.create_user(UserName="backdoor")
    iam.create_login_profile(UserName="backdoor", Password="Attacker-Chosen-1!", PasswordResetRequired=False)
    key = iam.create_access_key(UserName="backdoor")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="svc-report")
    iam.put_user_policy(UserName="svc-report", PolicyName="exfil", PolicyDocument=json.dumps(EXFIL))
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="svc-report")
    iam.create_role(RoleName="app-finance", AssumeRolePolicyDocument=json.dumps(TRUST_BEFORE))
    iam.update_assume_role_policy(RoleName="app-finance", PolicyDocument=json.dumps(TRUST_ATTACKER))
    exfil_arn = iam.create_policy(PolicyName="exfil-all", PolicyDocument=json.dumps(EXFIL))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app-finance", PolicyArn=exfil_arn)
    iam.create_role(RoleName="incident-responder", AssumeRolePolicyDocument=json.dumps(TRUST_BEFORE))
    iam.attach_role_policy(RoleName="incident-responder", PolicyArn=exfil_arn)
    read_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
    shared = iam.create_policy(PolicyName="shared-read", PolicyDocument=json.dumps(read_only))["Policy"]["Arn"]
    time.sleep(0.3)
    window_start = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.3)
    iam.create_policy_version(PolicyArn=shared, PolicyDocument=json.dumps(EXFIL), SetAsDefault=True)
    when = datetime.datetime.now(datetime.timezone.utc)
    timeline = [
        event(
            "CreateRole",
            window_start - datetime.timedelta(days=30),
            ADMIN,
            {"roleName": "app-finance", "assumeRolePolicyDocument": json.dumps(TRUST_BEFORE)},
        ),
        event("CreateUser", when, ATTACKER, {"userName": "backdoor"}),
        event("PutUserPolicy", when, ATTACKER, {"userName": "svc-report", "policyName": "exfil"}),
        event("AddUserToGroup", when, ATTACKER, {"userName": "svc-report", "groupName": "admins"}),
        event(
            "UpdateAssumeRolePolicy",
            when,
            ATTACKER,
            {"roleName": "app-finance", "policyDocument": json.dumps(TRUST_ATTACKER)},
        ),
        event("AttachRolePolicy", when, ATTACKER, {"roleName": "app-finance", "policyArn": exfil_arn}),
        event("AttachRolePolicy", when, ATTACKER, {"roleName": "incident-responder", "policyArn": exfil_arn}),
        event("PutUserPolicy", when, ATTACKER, {"userName": CALLER_USER, "policyName": "anything"}),
        event("CreatePolicyVersion", when, ATTACKER, {"policyArn": shared, "setAsDefault": True}),
    ]
    return {
        "key": key,
        "exfil_arn": exfil_arn,
        "shared_arn": shared,
        "params": {
            "bucket": BUCKET,
            "suspected_principals": [{"arn": ATTACKER}],
            "timeline": timeline,
            "window_start": window_start.isoformat(),
            "responder_principals": [RESPONDER],
        },
    }


def iam_state(iam, shared_arn):
    out = {}
    for user in ("backdoor", "svc-report"):
        names = iam.list_user_policies(UserName=user)["PolicyNames"]
        out[user] = {
            "inline": {n: doc(iam.get_user_policy(UserName=user, PolicyName=n)["PolicyDocument"]) for n in names},
            "keys": {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]},
            "groups": [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]],
        }
        try:
            iam.get_login_profile(UserName=user)
            out[user]["login_profile"] = True
        except iam.exceptions.NoSuchEntityException:
            out[user]["login_profile"] = False
    for role in ("app-finance", "incident-responder"):
        out[role] = {
            "attached": sorted(
                p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            ),
            "trust": doc(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]),
        }
    versions = iam.list_policy_versions(PolicyArn=shared_arn)["Versions"]
    out["shared_default"] = next(v["VersionId"] for v in versions if v["IsDefaultVersion"])
    return out


def test_iam_persistence_is_contained_then_restored_exactly(sandbox, iam_backdoors, run_module, tmp_path):
    iam = sandbox.client("iam")
    shared = iam_backdoors["shared_arn"]
    before = iam_state(iam, shared)
    assert before["shared_default"] == "v2" and before["app-finance"]["trust"] == TRUST_ATTACKER
    params = {**iam_backdoors["params"], "remove": ["all"], "incident_id": "INC-9", "state_store": str(tmp_path)}

    failed, result = run_module("s3_bucket_persistence", params, check_mode=True)
    assert not failed and result["changed"], result
    assert iam_state(iam, shared) == before

    failed, result = run_module("s3_bucket_persistence", params)
    assert not failed and result["changed"], result
    after = iam_state(iam, shared)
    # the user the attacker created: denied everything, keys off, no console password - but not deleted
    assert after["backdoor"]["inline"] == {
        "CloudsecPersistenceINC9": {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "CloudsecQuarantineDenyAll", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}],
        }
    }
    assert after["backdoor"]["keys"] == {iam_backdoors["key"]: "Inactive"}
    assert after["backdoor"]["login_profile"] is False
    assert after["svc-report"]["inline"] == {} and after["svc-report"]["groups"] == []
    assert after["app-finance"] == {"attached": [], "trust": TRUST_BEFORE}
    assert after["shared_default"] == "v1"
    # the responder and the caller are never touched
    assert after["incident-responder"] == before["incident-responder"]
    refused = " ".join(r["reason"] for r in result["refused"])
    assert "incident-responder" in refused and "caller" in refused
    record = json.loads((tmp_path / "INC-9" / f"persistence-{BUCKET}.json").read_text())
    inline = next(i for i in record["items"] if i["op"] == "inline_policy")
    assert inline["document"] == EXFIL

    failed, again = run_module("s3_bucket_persistence", params)
    assert not failed and not again["changed"], again["actions"]

    restore = {"bucket": BUCKET, "state": "restored", "incident_id": "INC-9", "state_store": str(tmp_path)}
    failed, result = run_module("s3_bucket_persistence", restore, check_mode=True, diff=True)
    assert not failed and result["changed"] and result["diff"]["after"]
    assert iam_state(iam, shared) == after
    failed, result = run_module("s3_bucket_persistence", restore)
    assert not failed and result["changed"], result
    assert iam_state(iam, shared) == before
    # a new one-time password (moto 5 ignores PasswordResetRequired on CreateLoginProfile, so the note is checked)
    assert set(result["temporary_passwords"]) == {f"arn:aws:iam::{ACCOUNT}:user/backdoor"}
    assert any("cannot be recovered" in n and "changed at first sign-in" in n for n in result["notes"])
    failed, result = run_module("s3_bucket_persistence", restore)
    assert not failed and not result["changed"] and result["actions"] == []


def test_trust_change_without_a_known_prior_document_is_reported_with_the_command(
    sandbox, iam_backdoors, run_module, tmp_path
):
    params = dict(iam_backdoors["params"])
    params["timeline"] = [e for e in params["timeline"] if e["eventName"] != "CreateRole"]
    params.update(remove=["iam_role_trust_changed"], incident_id="INC-9", state_store=str(tmp_path))
    failed, result = run_module("s3_bucket_persistence", params)
    assert not failed and not result["changed"], result
    trust = next(f for f in result["findings"] if f["kind"] == "iam_role_trust_changed")
    assert not trust["removable"] and "update-assume-role-policy --role-name app-finance" in trust["command"]
    role = sandbox.client("iam").get_role(RoleName="app-finance")["Role"]
    assert doc(role["AssumeRolePolicyDocument"]) == TRUST_ATTACKER


def access_point_policy(s3control, name):
    try:
        return doc(s3control.get_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"])
    except s3control.exceptions.ClientError:
        return None


def test_access_point_is_denied_then_restored_and_deleted_only_on_request(sandbox, run_module, tmp_path):
    s3, s3control = sandbox.client("s3"), sandbox.client("s3control")
    s3.create_bucket(Bucket=BUCKET)
    s3control.create_access_point(AccountId=ACCOUNT, Name="ap-exfil", Bucket=BUCKET)
    arn = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/ap-exfil"
    prior = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{FOREIGN}:root"},
                "Action": "s3:GetObject",
                "Resource": f"{arn}/object/*",
            }
        ],
    }
    s3control.put_access_point_policy(AccountId=ACCOUNT, Name="ap-exfil", Policy=json.dumps(prior))
    params = {
        "bucket": BUCKET,
        "remove": ["access_point_created"],
        "incident_id": "INC-5",
        "state_store": str(tmp_path),
    }
    restore = {"bucket": BUCKET, "state": "restored", "incident_id": "INC-5", "state_store": str(tmp_path)}

    failed, result = run_module("s3_bucket_persistence", params)
    assert not failed and result["changed"], result
    denied = access_point_policy(s3control, "ap-exfil")
    assert denied["Statement"][0]["Effect"] == "Deny" and denied["Statement"][0]["Principal"] == "*"
    assert s3control.get_access_point(AccountId=ACCOUNT, Name="ap-exfil")["Bucket"] == BUCKET  # not deleted
    failed, again = run_module("s3_bucket_persistence", params)
    assert not failed and not again["changed"]
    failed, result = run_module("s3_bucket_persistence", restore)
    assert not failed and result["changed"]
    assert access_point_policy(s3control, "ap-exfil") == prior

    deleting = {**params, "incident_id": "INC-6", "delete_access_points": True}
    failed, result = run_module("s3_bucket_persistence", deleting)
    assert not failed and result["changed"], result
    names = [p["Name"] for p in s3control.list_access_points(AccountId=ACCOUNT).get("AccessPointList", [])]
    assert "ap-exfil" not in names
    record = json.loads((tmp_path / "INC-6" / f"persistence-{BUCKET}.json").read_text())
    assert record["items"][0]["configuration"]["Bucket"] == BUCKET and doc(record["items"][0]["policy_text"]) == prior
    failed, result = run_module("s3_bucket_persistence", {**restore, "incident_id": "INC-6"})
    assert not failed and result["changed"], result
    assert s3control.get_access_point(AccountId=ACCOUNT, Name="ap-exfil")["Bucket"] == BUCKET
    assert access_point_policy(s3control, "ap-exfil") == prior


def test_remove_or_restore_without_state_store_is_refused(sandbox, run_module):
    failed, result = run_module("s3_bucket_persistence", {"bucket": BUCKET, "remove": ["all"]})
    assert failed and "state_store" in result["msg"]
    failed, result = run_module("s3_bucket_persistence", {"bucket": BUCKET, "state": "restored", "incident_id": "I-1"})
    assert failed and "state_store" in result["msg"]

"""ACL grants, Block Public Access and the "is this bucket public" analysis of the local policy engine."""

from __future__ import annotations

import json

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import ALLOWED
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import EXPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import IMPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Principal
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import bucket_public_access
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import statement_is_public

OWNER = "111122223333"
OTHER = "444455556666"
OWNER_CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
OTHER_CANONICAL = "be32e9a1b1c6f7d3e0d1a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a"
OBJECT = "arn:aws:s3:::victim-bucket/index.html"
BUCKET = "arn:aws:s3:::victim-bucket"
FULL_BPA = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def acl(*grants):
    """A GetBucketAcl response as boto3 returns it."""
    owner_grant = {
        "Grantee": {"Type": "CanonicalUser", "ID": OWNER_CANONICAL, "DisplayName": "owner"},
        "Permission": "FULL_CONTROL",
    }
    return {"Owner": {"ID": OWNER_CANONICAL, "DisplayName": "owner"}, "Grants": [owner_grant, *grants]}


def group_grant(group, permission):
    return {
        "Grantee": {"Type": "Group", "URI": f"http://acs.amazonaws.com/groups/global/{group}"},
        "Permission": permission,
    }


def public_statement(sid="PublicRead", condition=None, action="s3:GetObject"):
    statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*",
        "Action": action,
        "Resource": "arn:aws:s3:::victim-bucket/*",
    }
    if condition:
        statement["Condition"] = condition
    return statement


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# ------------------------------------------------------------------------------------------------------ ACL grants


def test_all_users_read_grant_lets_anonymous_list_but_not_get_objects():
    bucket = BucketContext(account_id=OWNER, acl=acl(group_grant("AllUsers", "READ")), name="victim-bucket")
    listing = evaluate(Request("anonymous", "s3:ListBucket", BUCKET), None, bucket)
    assert listing.decision == ALLOWED
    assert [(r.policy_type, r.sid) for r in listing.deciding] == [
        ("acl", "http://acs.amazonaws.com/groups/global/AllUsers")
    ]
    assert evaluate(Request("anonymous", "s3:GetObject", OBJECT), None, bucket).decision == IMPLICIT_DENY


def test_all_users_write_grant_lets_anonymous_put_and_delete_objects():
    bucket = BucketContext(account_id=OWNER, acl=acl(group_grant("AllUsers", "WRITE")))
    assert evaluate(Request("anonymous", "s3:PutObject", OBJECT), None, bucket).allowed
    assert evaluate(Request("anonymous", "s3:DeleteObject", OBJECT), None, bucket).allowed
    assert not evaluate(Request("anonymous", "s3:PutBucketAcl", BUCKET), None, bucket).allowed


def test_read_acp_and_write_acp_map_to_bucket_acl_actions():
    bucket = BucketContext(
        account_id=OWNER, acl=acl(group_grant("AllUsers", "READ_ACP"), group_grant("AllUsers", "WRITE_ACP"))
    )
    assert evaluate(Request("anonymous", "s3:GetBucketAcl", BUCKET), None, bucket).allowed
    assert evaluate(Request("anonymous", "s3:PutBucketAcl", BUCKET), None, bucket).allowed
    assert not evaluate(Request("anonymous", "s3:ListBucket", BUCKET), None, bucket).allowed


def test_object_acl_read_grant_allows_get_object():
    object_acl = {"Grants": [group_grant("AllUsers", "READ")]}
    bucket = BucketContext(account_id=OWNER, acl=acl(), object_acl=object_acl)
    assert evaluate(Request("anonymous", "s3:GetObject", OBJECT), None, bucket).allowed


def test_authenticated_users_grant_reaches_any_aws_account_but_not_anonymous():
    bucket = BucketContext(account_id=OWNER, acl=acl(group_grant("AuthenticatedUsers", "FULL_CONTROL")))
    stranger = f"arn:aws:iam::{OTHER}:user/eve"
    stranger_policies = PrincipalPolicies.build(
        identity=[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]
    )
    assert evaluate(Request(stranger, "s3:ListBucket", BUCKET), stranger_policies, bucket).allowed
    assert not evaluate(Request("anonymous", "s3:ListBucket", BUCKET), None, bucket).allowed


def test_acl_grant_to_another_accounts_canonical_id_still_needs_its_identity_side():
    grant = {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_CANONICAL}, "Permission": "READ"}
    bucket = BucketContext(account_id=OWNER, acl=acl(grant))
    eve = Principal.from_arn(f"arn:aws:iam::{OTHER}:user/eve", canonical_id=OTHER_CANONICAL)
    assert not evaluate(Request(eve, "s3:ListBucket", BUCKET), PrincipalPolicies(), bucket).allowed
    policies = PrincipalPolicies.build(
        identity=[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}]
    )
    decision = evaluate(Request(eve, "s3:ListBucket", BUCKET), policies, bucket)
    assert decision.allowed
    assert any(ref.policy_type == "acl" for ref in decision.deciding)


def test_owner_full_control_grant_does_not_allow_an_iam_user_without_policies():
    bucket = BucketContext(account_id=OWNER, acl=acl())
    alice = f"arn:aws:iam::{OWNER}:user/alice"
    assert evaluate(Request(alice, "s3:ListBucket", BUCKET), PrincipalPolicies(), bucket).decision == IMPLICIT_DENY


def test_bucket_owner_enforced_disables_acl_grants():
    bucket = BucketContext(
        account_id=OWNER, acl=acl(group_grant("AllUsers", "READ")), object_ownership="BucketOwnerEnforced"
    )
    decision = evaluate(Request("anonymous", "s3:ListBucket", BUCKET), None, bucket)
    assert decision.decision == IMPLICIT_DENY
    assert "BucketOwnerEnforced" in decision.details["acl"]


# ---------------------------------------------------------------------------------------------- Block Public Access


@pytest.mark.parametrize("level", ["bucket", "account"])
def test_ignore_public_acls_neutralises_public_grants(level):
    settings = {"IgnorePublicAcls": True}
    bucket = BucketContext(
        account_id=OWNER,
        acl=acl(group_grant("AllUsers", "READ")),
        block_public_access=settings if level == "bucket" else None,
        account_block_public_access=settings if level == "account" else None,
    )
    assert evaluate(Request("anonymous", "s3:ListBucket", BUCKET), None, bucket).decision == IMPLICIT_DENY


def test_restrict_public_buckets_ignores_public_policy_for_anonymous_and_other_accounts():
    bucket_policy = policy(public_statement())
    open_bucket = BucketContext(account_id=OWNER, bucket_policy=bucket_policy)
    restricted = BucketContext(
        account_id=OWNER, bucket_policy=bucket_policy, block_public_access={"RestrictPublicBuckets": True}
    )
    assert evaluate(Request("anonymous", "s3:GetObject", OBJECT), None, open_bucket).allowed
    decision = evaluate(Request("anonymous", "s3:GetObject", OBJECT), None, restricted)
    assert decision.decision == IMPLICIT_DENY
    assert "RestrictPublicBuckets" in decision.details["bucket_policy"]
    eve_policies = PrincipalPolicies.build(
        identity=[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]
    )
    eve = f"arn:aws:iam::{OTHER}:user/eve"
    assert evaluate(Request(eve, "s3:GetObject", OBJECT), eve_policies, open_bucket).allowed
    assert not evaluate(Request(eve, "s3:GetObject", OBJECT), eve_policies, restricted).allowed


def test_restrict_public_buckets_keeps_same_account_access():
    restricted = BucketContext(
        account_id=OWNER, bucket_policy=policy(public_statement()), block_public_access={"RestrictPublicBuckets": True}
    )
    alice = f"arn:aws:iam::{OWNER}:user/alice"
    assert evaluate(Request(alice, "s3:GetObject", OBJECT), PrincipalPolicies(), restricted).allowed


def test_restrict_public_buckets_does_not_touch_a_non_public_policy():
    statement = public_statement(condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}})
    bucket = BucketContext(account_id=OWNER, bucket_policy=policy(statement), block_public_access=FULL_BPA)
    request = Request("anonymous", "s3:GetObject", OBJECT, {"aws:SourceVpce": "vpce-1a2b"})
    assert evaluate(request, None, bucket).allowed


def test_restrict_public_buckets_keeps_explicit_denies():
    deny_http = {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::victim-bucket/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    bucket = BucketContext(
        account_id=OWNER, bucket_policy=policy(public_statement(), deny_http), block_public_access=FULL_BPA
    )
    alice = f"arn:aws:iam::{OWNER}:user/alice"
    request = Request(alice, "s3:GetObject", OBJECT, {"aws:SecureTransport": False})
    assert evaluate(request, PrincipalPolicies(), bucket).decision == EXPLICIT_DENY


# ------------------------------------------------------------------------------------------------- public analysis


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}},
        {"StringEquals": {"aws:SourceVpc": "vpc-1a2b"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"StringEquals": {"aws:PrincipalAccount": OWNER}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}},
        {"StringEquals": {"aws:SourceAccount": OWNER}},
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/cdn"}},
        {"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
        {"ForAnyValue:StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}},
    ],
    ids=lambda c: next(iter(c)) + ":" + next(iter(next(iter(c.values())))),
)
def test_star_principal_with_fixed_restricting_condition_is_not_public(condition):
    statement = parse_policy(policy(public_statement(condition=condition)))["Statement"][0]
    assert not statement_is_public(statement)
    result = bucket_public_access(policy(public_statement(condition=condition)), acl())
    assert not result.is_public
    assert result.paths == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}},
        {"IpAddress": {"aws:SourceIp": "::/0"}},
        {"StringLike": {"aws:SourceVpc": "vpc-*"}},
        {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b"}},
        {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b"}},
        {"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1a2b"}},
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringEquals": {"s3:prefix": "public/"}},
        {"StringEquals": {"aws:PrincipalAccount": "${aws:username}"}},
    ],
    ids=lambda c: "none" if c is None else next(iter(c)) + ":" + next(iter(next(iter(c.values())))),
)
def test_star_principal_without_restricting_condition_is_public(condition):
    result = bucket_public_access(policy(public_statement(condition=condition)), acl(), bucket_name="victim-bucket")
    assert result.is_public
    [path] = result.paths
    assert path.source == "bucket_policy"
    assert path.statement.sid == "PublicRead"
    assert path.statement.policy_name == "bucket policy of victim-bucket"


def test_not_principal_allow_is_public_and_deny_statements_are_not():
    not_principal = {
        "Sid": "AllButBob",
        "Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::victim-bucket/*",
    }
    deny_all = {"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    result = bucket_public_access(policy(not_principal, deny_all), None)
    assert [p.statement.sid for p in result.paths] == ["AllButBob"]


def test_account_principal_policy_is_not_public():
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::victim-bucket/*",
    }
    assert not bucket_public_access(policy(statement), None).is_public


def test_public_acl_grants_are_reported_with_their_permission():
    result = bucket_public_access(
        None, acl(group_grant("AllUsers", "READ"), group_grant("AuthenticatedUsers", "WRITE")), bucket_name="b"
    )
    assert result.is_public
    assert [(p.source, p.statement.sid, p.grant["Permission"]) for p in result.paths] == [
        ("acl", "AllUsers", "READ"),
        ("acl", "AuthenticatedUsers", "WRITE"),
    ]
    assert "s3:listbucket" in result.paths[0].detail


def test_block_public_access_neutralises_policy_and_acl_paths():
    result = bucket_public_access(
        policy(public_statement()), acl(group_grant("AllUsers", "READ")), None, account_block_public_access=FULL_BPA
    )
    assert not result.is_public
    assert result.public_without_block
    assert result.neutralised
    assert [p.neutralised_by for p in result.paths] == [["RestrictPublicBuckets"], ["IgnorePublicAcls"]]


def test_block_public_policy_alone_does_not_neutralise_an_existing_public_policy():
    result = bucket_public_access(
        policy(public_statement()), None, {"BlockPublicPolicy": True, "BlockPublicAcls": True}
    )
    assert result.is_public


def test_access_point_with_public_policy_is_a_public_path_unless_vpc_or_blocked():
    ap_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ApPublic",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:eu-west-1:111122223333:accesspoint/shared/object/*",
            }
        ],
    }
    internet = {"Name": "shared", "Policy": json.dumps(ap_policy), "NetworkOrigin": "Internet"}
    result = bucket_public_access(None, None, access_points=[internet])
    assert result.is_public
    assert [(p.source, p.statement.policy_name, p.statement.sid) for p in result.paths] == [
        ("access_point", "access point shared", "ApPublic")
    ]
    vpc = {**internet, "NetworkOrigin": "VPC"}
    assert not bucket_public_access(None, None, access_points=[vpc]).is_public
    blocked = {**internet, "PublicAccessBlockConfiguration": FULL_BPA}
    assert not bucket_public_access(None, None, access_points=[blocked]).is_public

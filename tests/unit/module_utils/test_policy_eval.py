"""Evaluation rules of the local policy engine, one test per rule of AWS's published evaluation logic."""

from __future__ import annotations

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import ALLOWED
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import EXPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import IMPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Principal
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import compile_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate

OWNER = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{OWNER}:user/alice"
EVE = f"arn:aws:iam::{OTHER}:user/eve"
ROLE = f"arn:aws:iam::{OWNER}:role/app/reader"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/reader/i-0abc"
OBJECT = "arn:aws:s3:::victim-bucket/reports/q1.csv"
BUCKET = "arn:aws:s3:::victim-bucket"


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(action="s3:GetObject", resource="arn:aws:s3:::victim-bucket/*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:GetObject", resource="arn:aws:s3:::victim-bucket/*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def identity(*statements, name="inline", policy_type="user-inline", **kwargs):
    return PrincipalPolicies.build(identity=[(name, policy_type, doc(*statements))], **kwargs)


def bucket(*statements, **kwargs):
    return BucketContext(account_id=OWNER, bucket_policy=doc(*statements) if statements else None, **kwargs)


def decide(principal, action="s3:GetObject", resource=OBJECT, policies=None, bkt=None, context=None):
    return evaluate(Request(principal, action, resource, context or {}), policies, bkt)


# ------------------------------------------------------------------------------------------------- basic decisions


def test_no_policy_at_all_is_an_implicit_deny():
    decision = decide(ALICE, policies=PrincipalPolicies(), bkt=bucket())
    assert decision.decision == IMPLICIT_DENY
    assert decision.deciding == []


def test_identity_allow_names_the_deciding_statement():
    decision = decide(ALICE, policies=identity(allow(Sid="ReadAll"), name="alice-read"), bkt=bucket())
    assert decision.decision == ALLOWED
    [ref] = decision.deciding
    assert (ref.policy_name, ref.policy_type, ref.sid, ref.index) == ("alice-read", "user-inline", "ReadAll", 0)


def test_explicit_deny_in_bucket_policy_wins_over_identity_allow():
    policies = identity(allow())
    bkt = bucket(deny(Sid="NoReports", Principal="*", resource="arn:aws:s3:::victim-bucket/reports/*"))
    decision = decide(ALICE, policies=policies, bkt=bkt)
    assert decision.decision == EXPLICIT_DENY
    assert [ref.sid for ref in decision.deciding] == ["NoReports"]


def test_explicit_deny_in_identity_policy_wins_over_bucket_policy_allow():
    policies = identity(deny(Sid="NoGet"))
    bkt = bucket(allow(Sid="AliceRead", Principal={"AWS": ALICE}))
    assert decide(ALICE, policies=policies, bkt=bkt).decision == EXPLICIT_DENY


def test_action_matching_is_case_insensitive_with_wildcards():
    policies = identity(allow(action=["S3:get*", "s3:List?ucket"]))
    assert decide(ALICE, "s3:GetObject", policies=policies).allowed
    assert decide(ALICE, "s3:ListBucket", resource="arn:aws:s3:::victim-bucket/x", policies=policies).allowed
    assert not decide(ALICE, "s3:PutObject", policies=policies).allowed


def test_resource_matching_is_case_sensitive():
    policies = identity(allow(resource="arn:aws:s3:::victim-bucket/Reports/*"))
    assert decide(ALICE, resource="arn:aws:s3:::victim-bucket/Reports/a", policies=policies).allowed
    assert not decide(ALICE, resource="arn:aws:s3:::victim-bucket/reports/a", policies=policies).allowed


def test_not_action_allows_everything_except_the_listed_actions():
    policies = identity(
        {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "arn:aws:s3:::victim-bucket/*"},
    )
    assert decide(ALICE, "s3:PutObject", policies=policies).allowed
    assert not decide(ALICE, "s3:DeleteObject", policies=policies).allowed


def test_not_resource_deny_applies_everywhere_except_the_listed_resources():
    policies = identity(
        allow(action="s3:*", resource="*"),
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::victim-bucket", "arn:aws:s3:::victim-bucket/*"],
        },
    )
    assert decide(ALICE, resource=OBJECT, policies=policies).decision == ALLOWED
    assert decide(ALICE, resource="arn:aws:s3:::other/x", policies=policies).decision == EXPLICIT_DENY


def test_statement_without_resource_in_bucket_policy_is_a_policy_of_its_own_resource():
    bkt = bucket({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "s3:GetObject"})
    assert decide(ALICE, bkt=bkt).allowed


# ------------------------------------------------------------------------------------- same account / cross account


def test_same_account_bucket_policy_alone_suffices_for_an_iam_user():
    bkt = bucket(allow(Sid="AliceRead", Principal={"AWS": ALICE}))
    decision = decide(ALICE, policies=PrincipalPolicies(), bkt=bkt)
    assert decision.decision == ALLOWED
    assert [ref.sid for ref in decision.deciding] == ["AliceRead"]


def test_cross_account_bucket_policy_alone_is_not_enough():
    bkt = bucket(allow(Sid="EveRead", Principal={"AWS": EVE}))
    decision = decide(EVE, policies=PrincipalPolicies(), bkt=bkt)
    assert decision.decision == IMPLICIT_DENY
    assert "identity" in decision.reason


def test_cross_account_identity_policy_alone_is_not_enough():
    decision = decide(EVE, policies=identity(allow()), bkt=bucket())
    assert decision.decision == IMPLICIT_DENY
    assert "resource" in decision.reason


def test_cross_account_needs_and_gets_both_sides():
    bkt = bucket(allow(Sid="OtherAccountRead", Principal={"AWS": OTHER}))
    decision = decide(EVE, policies=identity(allow(Sid="EveRead"), name="eve-read"), bkt=bkt)
    assert decision.decision == ALLOWED
    assert {ref.sid for ref in decision.deciding} == {"EveRead", "OtherAccountRead"}


def test_grant_to_own_account_in_bucket_policy_delegates_to_iam():
    bkt = bucket(allow(Principal={"AWS": f"arn:aws:iam::{OWNER}:root"}))
    assert decide(ALICE, policies=PrincipalPolicies(), bkt=bkt).decision == IMPLICIT_DENY
    assert decide(ALICE, policies=identity(allow()), bkt=bkt).decision == ALLOWED


def test_root_user_is_allowed_in_its_own_account_but_not_past_an_explicit_deny():
    root = f"arn:aws:iam::{OWNER}:root"
    assert decide(root, bkt=bucket()).allowed
    assert decide(root, bkt=bucket(deny(Principal="*"))).decision == EXPLICIT_DENY


def test_resource_account_defaults_to_bucket_account_and_can_be_given():
    bkt = BucketContext(account_id=None, bucket_policy=doc(allow(Principal={"AWS": ALICE})))
    assert evaluate(Request(ALICE, "s3:GetObject", OBJECT), None, bkt).allowed
    assert not evaluate(Request(ALICE, "s3:GetObject", OBJECT, resource_account=OTHER), None, bkt).allowed


# ---------------------------------------------------------------------------------------------------- anonymous


def test_anonymous_request_needs_the_resource_side():
    public = bucket(allow(Sid="PublicRead", Principal="*"))
    assert decide("anonymous", bkt=public).allowed
    assert [r.sid for r in decide("anonymous", bkt=public).deciding] == ["PublicRead"]
    assert not decide("anonymous", bkt=bucket(allow(Principal={"AWS": OWNER}))).allowed
    assert not decide("anonymous", policies=identity(allow()), bkt=bucket()).allowed


def test_anonymous_is_not_matched_by_an_account_principal_but_is_by_aws_star():
    assert decide("anonymous", bkt=bucket(allow(Principal={"AWS": "*"}))).allowed


def test_service_principal_is_matched_by_its_service_name():
    bkt = bucket(allow(action="s3:PutObject", Principal={"Service": "logging.s3.amazonaws.com"}))
    assert decide(Principal.service("logging.s3.amazonaws.com"), "s3:PutObject", bkt=bkt).allowed
    assert not decide(Principal.service("cloudtrail.amazonaws.com"), "s3:PutObject", bkt=bkt).allowed


# --------------------------------------------------------------------------------------------------- NotPrincipal


def test_not_principal_deny_applies_to_everyone_not_listed():
    bkt = bucket(
        allow(action="s3:*", Principal="*"),
        deny(
            action="s3:*",
            Sid="OnlyAlice",
            NotPrincipal={"AWS": [ALICE, f"arn:aws:iam::{OWNER}:root"]},
        ),
    )
    assert decide(ALICE, bkt=bkt).allowed
    bob = decide(f"arn:aws:iam::{OWNER}:user/bob", bkt=bkt)
    assert bob.decision == EXPLICIT_DENY
    assert [r.sid for r in bob.deciding] == ["OnlyAlice"]
    assert decide("anonymous", bkt=bkt).decision == EXPLICIT_DENY


def test_not_principal_listing_only_the_role_does_not_exclude_its_sessions():
    # NotPrincipal documentation: a session is excluded only when the session ARN, the role ARN and the account
    # are all listed.
    role_only = bucket(deny(action="s3:*", NotPrincipal={"AWS": [ROLE, f"arn:aws:iam::{OWNER}:root"]}))
    assert decide(SESSION, policies=identity(allow()), bkt=role_only).decision == EXPLICIT_DENY
    full = bucket(deny(action="s3:*", NotPrincipal={"AWS": [ROLE, SESSION, f"arn:aws:iam::{OWNER}:root"]}))
    assert decide(SESSION, policies=identity(allow()), bkt=full).decision == ALLOWED


def test_not_principal_listing_the_user_without_its_account_still_denies_it():
    bkt = bucket(deny(action="s3:*", NotPrincipal={"AWS": [ALICE]}))
    assert decide(ALICE, policies=identity(allow()), bkt=bkt).decision == EXPLICIT_DENY


# ----------------------------------------------------------------------------------------- roles and their sessions


def test_bucket_policy_naming_the_role_matches_its_sessions():
    bkt = bucket(allow(Sid="ReaderRole", Principal={"AWS": ROLE}))
    decision = decide(SESSION, policies=PrincipalPolicies(), bkt=bkt)
    assert decision.allowed
    assert [r.sid for r in decision.deciding] == ["ReaderRole"]
    other_role = f"arn:aws:sts::{OWNER}:assumed-role/writer/i-0abc"
    assert not decide(other_role, policies=PrincipalPolicies(), bkt=bkt).allowed


# ------------------------------------------------------------------------------------------- permission boundaries


def test_boundary_limits_identity_based_allow():
    boundary = ("s3-read-boundary", "permissions-boundary", doc(allow(action="s3:List*", resource="*")))
    policies = PrincipalPolicies.build(
        identity=[("alice-admin", "user-managed", doc(allow(action="s3:*", resource="*")))],
        permissions_boundary=boundary,
    )
    decision = decide(ALICE, policies=policies, bkt=bucket())
    assert decision.decision == IMPLICIT_DENY
    assert "permissions boundary" in decision.reason
    assert decide(ALICE, "s3:ListBucket", BUCKET, policies=policies, bkt=bucket()).allowed


def test_boundary_allow_alone_grants_nothing():
    policies = PrincipalPolicies.build(permissions_boundary=doc(allow(action="s3:*", resource="*")))
    assert decide(ALICE, policies=policies, bkt=bucket()).decision == IMPLICIT_DENY


def test_deny_in_boundary_is_an_explicit_deny():
    policies = PrincipalPolicies.build(
        identity=[doc(allow(action="s3:*", resource="*"))],
        permissions_boundary=doc(allow(action="s3:*", resource="*"), deny(Sid="NoGet")),
    )
    assert decide(ALICE, policies=policies).decision == EXPLICIT_DENY


def test_boundary_does_not_limit_bucket_policy_grant_to_the_iam_user_in_same_account():
    policies = PrincipalPolicies.build(permissions_boundary=doc(allow(action="s3:List*")))
    bkt = bucket(allow(Principal={"AWS": ALICE}))
    assert decide(ALICE, policies=policies, bkt=bkt).allowed


def test_boundary_limits_bucket_policy_grant_to_the_role_but_not_to_the_session():
    policies = PrincipalPolicies.build(permissions_boundary=doc(allow(action="s3:List*")))
    assert not decide(SESSION, policies=policies, bkt=bucket(allow(Principal={"AWS": ROLE}))).allowed
    assert decide(SESSION, policies=policies, bkt=bucket(allow(Principal={"AWS": SESSION}))).allowed


# ------------------------------------------------------------------------------------------------ session policies


def test_session_policy_limits_identity_based_allow():
    policies = PrincipalPolicies.build(
        identity=[("reader", "role-inline", doc(allow(action="s3:*")))],
        session_policies=[("session", "session", doc(allow(action="s3:GetObject")))],
    )
    assert decide(SESSION, "s3:GetObject", policies=policies).allowed
    denied = decide(SESSION, "s3:PutObject", policies=policies)
    assert denied.decision == IMPLICIT_DENY
    assert "session policy" in denied.reason


def test_session_policy_allow_alone_grants_nothing():
    policies = PrincipalPolicies.build(session_policies=[doc(allow(action="s3:*"))])
    assert not decide(SESSION, policies=policies).allowed


def test_session_policy_limits_grant_to_the_role_arn_but_not_to_the_session_arn():
    policies = PrincipalPolicies.build(session_policies=[doc(allow(action="s3:List*"))])
    assert not decide(SESSION, policies=policies, bkt=bucket(allow(Principal={"AWS": ROLE}))).allowed
    assert decide(SESSION, policies=policies, bkt=bucket(allow(Principal={"AWS": SESSION}))).allowed


# ----------------------------------------------------------------------------------------------- policy variables


def test_username_variable_scopes_resource_to_the_caller():
    policies = identity(allow(resource="arn:aws:s3:::victim-bucket/home/${aws:username}/*"))
    assert decide(ALICE, resource="arn:aws:s3:::victim-bucket/home/alice/a", policies=policies).allowed
    assert not decide(ALICE, resource="arn:aws:s3:::victim-bucket/home/bob/a", policies=policies).allowed


def test_unresolvable_variable_makes_the_statement_not_match():
    # aws:username does not exist for a role session.
    policies = identity(allow(resource="arn:aws:s3:::victim-bucket/home/${aws:username}/*"))
    assert not decide(SESSION, resource="arn:aws:s3:::victim-bucket/home/reader/a", policies=policies).allowed


def test_userid_and_principal_account_variables_resolve_from_the_caller():
    caller = Principal.from_arn(SESSION, userid="AROAEXAMPLEID:i-0abc")
    policies = identity(
        allow(resource="arn:aws:s3:::victim-bucket/${aws:PrincipalAccount}/${aws:userid}/*"),
    )
    assert decide(
        caller, resource=f"arn:aws:s3:::victim-bucket/{OWNER}/AROAEXAMPLEID:i-0abc/x", policies=policies
    ).allowed


def test_escape_variables_are_literal_characters_not_wildcards():
    policies = identity(allow(resource="arn:aws:s3:::victim-bucket/${*}${?}${$}"))
    assert decide(ALICE, resource="arn:aws:s3:::victim-bucket/*?$", policies=policies).allowed
    assert not decide(ALICE, resource="arn:aws:s3:::victim-bucket/ab$", policies=policies).allowed


def test_variables_are_literal_text_in_a_2008_policy():
    policies = PrincipalPolicies.build(
        identity=[doc(allow(resource="arn:aws:s3:::victim-bucket/${aws:username}/*"), version="2008-10-17")]
    )
    assert not decide(ALICE, resource="arn:aws:s3:::victim-bucket/alice/a", policies=policies).allowed
    assert decide(ALICE, resource="arn:aws:s3:::victim-bucket/${aws:username}/a", policies=policies).allowed


def test_variable_default_value_is_used_when_key_is_missing():
    policies = identity(allow(resource="arn:aws:s3:::victim-bucket/${aws:PrincipalTag/team, 'none'}/*"))
    assert decide(ALICE, resource="arn:aws:s3:::victim-bucket/none/a", policies=policies).allowed


# ---------------------------------------------------------------------------------------------------- bad input


def test_malformed_identity_policy_error_names_the_policy():
    with pytest.raises(PolicyError, match="alice-inline"):
        PrincipalPolicies.build(identity=[("alice-inline", "user-inline", '{"Statement": [}')])


def test_malformed_bucket_policy_error_names_the_bucket():
    with pytest.raises(PolicyError, match="bucket policy of victim-bucket"):
        BucketContext(account_id=OWNER, bucket_policy="{not json", name="victim-bucket")


def test_unknown_operator_never_grants_and_warns():
    policies = identity(allow(Sid="Odd", Condition={"StringFuzzyMatch": {"aws:username": "alice"}}), name="odd")
    decision = decide(ALICE, policies=policies)
    assert decision.decision == IMPLICIT_DENY
    assert any("StringFuzzyMatch" in w and "odd" in w for w in decision.warnings)


def test_unknown_operator_lets_deny_apply_and_warns():
    policies = identity(allow(), deny(Sid="OddDeny", Condition={"StringFuzzyMatch": {"aws:username": "bob"}}))
    decision = decide(ALICE, policies=policies)
    assert decision.decision == EXPLICIT_DENY
    assert any("StringFuzzyMatch" in w for w in decision.warnings)


def test_compile_policy_reports_unknown_operators_up_front():
    compiled = compile_policy(doc(allow(Condition={"NullIfExists": {"aws:username": "true"}})), name="p")
    assert compiled.warnings and "NullIfExists" in compiled.warnings[0]


def test_unknown_principal_arn_shape_is_rejected_naming_it():
    with pytest.raises(ValueError, match="arn:aws:s3:::nope"):
        Principal.from_arn("arn:aws:s3:::nope")

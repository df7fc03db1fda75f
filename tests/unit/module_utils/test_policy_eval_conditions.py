"""Condition operators of the local policy engine, one test per operator family, from the IAM condition docs."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import ALLOWED
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import EXPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
OBJECT = "arn:aws:s3:::victim-bucket/data/file.bin"


def allowed_with(condition, context, principal=ALICE):
    """An identity Allow carrying ``condition``: does it allow a request with ``context``?"""
    policies = PrincipalPolicies.build(
        identity=[
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition}],
            }
        ]
    )
    return evaluate(Request(principal, "s3:GetObject", OBJECT, context), policies).decision == ALLOWED


def denied_by_bucket_deny(condition, context, principal=ALICE):
    """A bucket-policy Deny for everyone carrying ``condition``, next to an identity Allow: does the Deny apply?"""
    policies = PrincipalPolicies.build(
        identity=[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]
    )
    bucket = BucketContext(
        account_id=ACCOUNT,
        bucket_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Guard",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::victim-bucket", "arn:aws:s3:::victim-bucket/*"],
                    "Condition": condition,
                }
            ],
        },
    )
    return evaluate(Request(principal, "s3:GetObject", OBJECT, context), policies, bucket).decision == EXPLICIT_DENY


# ------------------------------------------------------------------------------------------------------- strings


def test_string_equals_is_case_sensitive_and_ignore_case_is_not():
    assert allowed_with({"StringEquals": {"s3:prefix": "Data"}}, {"s3:prefix": "Data"})
    assert not allowed_with({"StringEquals": {"s3:prefix": "Data"}}, {"s3:prefix": "data"})
    assert allowed_with({"StringEqualsIgnoreCase": {"s3:prefix": "Data"}}, {"s3:prefix": "DATA"})
    assert not allowed_with({"StringNotEqualsIgnoreCase": {"s3:prefix": "Data"}}, {"s3:prefix": "DATA"})


def test_condition_keys_are_case_insensitive():
    assert allowed_with({"StringEquals": {"AWS:SourceVpce": "vpce-1a2b"}}, {"aws:sourcevpce": "vpce-1a2b"})


def test_multiple_values_are_or_and_multiple_keys_are_and():
    condition = {"StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"], "s3:prefix": "data/"}}
    assert allowed_with(condition, {"aws:SourceVpce": "vpce-2", "s3:prefix": "data/"})
    assert not allowed_with(condition, {"aws:SourceVpce": "vpce-2", "s3:prefix": "other/"})
    assert not allowed_with(condition, {"aws:SourceVpce": "vpce-3", "s3:prefix": "data/"})


def test_multiple_operators_are_and():
    condition = {"StringEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "true"}}
    assert allowed_with(condition, {"aws:SourceVpce": "vpce-1", "aws:SecureTransport": True})
    assert not allowed_with(condition, {"aws:SourceVpce": "vpce-1", "aws:SecureTransport": False})


def test_string_like_wildcards_and_not_like():
    assert allowed_with({"StringLike": {"s3:prefix": "home/*/docs/?.txt"}}, {"s3:prefix": "home/alice/docs/a.txt"})
    assert not allowed_with({"StringLike": {"s3:prefix": "home/*/docs/?.txt"}}, {"s3:prefix": "home/alice/docs/ab.txt"})
    assert not allowed_with({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/x"})
    assert allowed_with({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "tmp/x"})


def test_negated_string_operator_with_several_values_needs_all_to_differ():
    condition = {"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}
    assert not allowed_with(condition, {"aws:SourceVpce": "vpce-2"})
    assert allowed_with(condition, {"aws:SourceVpce": "vpce-9"})


def test_policy_variable_in_condition_value():
    condition = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert allowed_with(condition, {"s3:prefix": "home/alice/x"})
    assert not allowed_with(condition, {"s3:prefix": "home/bob/x"})


# ---------------------------------------------------------------------------------------------- aws:SourceVpce


def test_source_vpce_deny_applies_when_key_is_absent():
    # The standard "only through my VPC endpoint" deny: requests from the internet carry no aws:SourceVpce.
    condition = {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b"}}
    assert denied_by_bucket_deny(condition, {})
    assert denied_by_bucket_deny(condition, {"aws:SourceVpce": "vpce-other"})
    assert not denied_by_bucket_deny(condition, {"aws:SourceVpce": "vpce-1a2b"})


def test_source_vpce_positive_allow_does_not_match_when_key_is_absent():
    assert not allowed_with({"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}, {})


def test_if_exists_makes_an_absent_key_match():
    assert allowed_with({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b"}}, {})
    assert not allowed_with({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b"}}, {"aws:SourceVpce": "vpce-x"})
    assert denied_by_bucket_deny({"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b"}}, {})


# ------------------------------------------------------------------------------------------------------- numbers


def test_signature_age_numeric_deny_caps_presigned_url_age():
    condition = {"NumericGreaterThan": {"s3:signatureAge": "600000"}}
    assert denied_by_bucket_deny(condition, {"s3:signatureAge": 600001})
    assert not denied_by_bucket_deny(condition, {"s3:signatureAge": "600000"})
    assert not denied_by_bucket_deny(condition, {}), "a header-signed request has no s3:signatureAge"


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("NumericEquals", "10", True),
        ("NumericNotEquals", "10", False),
        ("NumericLessThan", "11", True),
        ("NumericLessThanEquals", "10", True),
        ("NumericGreaterThan", "10", False),
        ("NumericGreaterThanEquals", "10.0", True),
    ],
)
def test_numeric_operators(operator, value, expected):
    assert allowed_with({operator: {"s3:max-keys": value}}, {"s3:max-keys": 10}) is expected


def test_numeric_operator_with_non_numeric_request_value_does_not_match():
    assert not allowed_with({"NumericLessThan": {"s3:max-keys": "100"}}, {"s3:max-keys": "lots"})


# --------------------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "cutoff", ["2026-03-01T12:00:00Z", "2026-03-01T13:00:00+01:00", "1772366400"], ids=["iso-z", "iso-offset", "epoch"]
)
def test_date_operators_accept_iso_and_epoch_values(cutoff):
    # aws:TokenIssueTime deny: the session-revocation policy AWS's console writes.
    condition = {"DateLessThan": {"aws:TokenIssueTime": cutoff}}
    assert denied_by_bucket_deny(condition, {"aws:TokenIssueTime": "2026-03-01T11:59:59Z"})
    assert not denied_by_bucket_deny(condition, {"aws:TokenIssueTime": "2026-03-01T12:00:01Z"})
    assert denied_by_bucket_deny(condition, {"aws:TokenIssueTime": 1772366399})


def test_date_equals_greater_and_not_equals():
    assert allowed_with({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01"}}, {"aws:CurrentTime": "2026-01-01"})
    assert allowed_with({"DateEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1767225600"})
    assert not allowed_with({"DateNotEquals": {"aws:CurrentTime": "2026-01-01"}}, {"aws:CurrentTime": "1767225600"})
    assert not allowed_with(
        {"DateLessThanEquals": {"aws:CurrentTime": "2026-01-01"}}, {"aws:CurrentTime": "2026-02-01"}
    )


# ------------------------------------------------------------------------------------------------------- booleans


def test_secure_transport_bool_deny_applies_to_http_only():
    condition = {"Bool": {"aws:SecureTransport": "false"}}
    assert denied_by_bucket_deny(condition, {"aws:SecureTransport": False})
    assert denied_by_bucket_deny(condition, {"aws:SecureTransport": "FALSE"})
    assert not denied_by_bucket_deny(condition, {"aws:SecureTransport": "true"})


def test_secure_transport_absent_key_does_not_match_bool():
    assert not denied_by_bucket_deny({"Bool": {"aws:SecureTransport": "false"}}, {})
    assert denied_by_bucket_deny({"BoolIfExists": {"aws:SecureTransport": "false"}}, {})


def test_binary_equals_compares_decoded_bytes():
    value = base64.b64encode(b"\x01\x02secret").decode()
    assert allowed_with({"BinaryEquals": {"custom:key": value}}, {"custom:key": value})
    other = base64.b64encode(b"other").decode()
    assert not allowed_with({"BinaryEquals": {"custom:key": value}}, {"custom:key": other})


# --------------------------------------------------------------------------------------------------- IP addresses


def test_ip_address_ipv4_cidr():
    condition = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7"]}}
    assert allowed_with(condition, {"aws:SourceIp": "203.0.113.44"})
    assert allowed_with(condition, {"aws:SourceIp": "198.51.100.7"})
    assert not allowed_with(condition, {"aws:SourceIp": "203.0.114.1"})


def test_ip_address_ipv6_cidr_and_no_cross_family_match():
    condition = {"IpAddress": {"aws:SourceIp": "2001:db8:1234::/48"}}
    assert allowed_with(condition, {"aws:SourceIp": "2001:db8:1234:ffff::1"})
    assert not allowed_with(condition, {"aws:SourceIp": "2001:db8:9999::1"})
    assert not allowed_with(condition, {"aws:SourceIp": "32.1.13.184"})


def test_not_ip_address_deny_applies_outside_the_range():
    condition = {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    assert denied_by_bucket_deny(condition, {"aws:SourceIp": "192.0.2.10"})
    assert not denied_by_bucket_deny(condition, {"aws:SourceIp": "2001:db8::5"})


# ----------------------------------------------------------------------------------------------------------- ARNs


def test_arn_like_checks_each_component_case_sensitively():
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}
    assert allowed_with(condition, {"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"})
    assert not allowed_with(condition, {"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:444455556666:trail/main"})
    assert not allowed_with(condition, {"aws:SourceArn": "arn:aws:CloudTrail:eu-west-1:111122223333:trail/main"})
    # a wildcard in one component does not swallow the colon into the next one
    assert not allowed_with(
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:trail/*"}},
        {"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"},
    )


def test_arn_equals_and_negated_arn_operators():
    arn = "arn:aws:iam::111122223333:role/responder"
    assert allowed_with({"ArnEquals": {"aws:PrincipalArn": arn}}, {"aws:PrincipalArn": arn})
    assert not allowed_with({"ArnNotEquals": {"aws:PrincipalArn": arn}}, {"aws:PrincipalArn": arn})
    assert allowed_with(
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/attacker*"}}, {"aws:PrincipalArn": arn}
    )


def test_principal_arn_is_derived_from_the_caller():
    assert allowed_with({"ArnEquals": {"aws:PrincipalArn": ALICE}}, {})
    session = "arn:aws:sts::111122223333:assumed-role/responder/jane"
    condition = {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/responder"}}
    assert allowed_with(condition, {}, principal=session)


# ----------------------------------------------------------------------------------------------------------- Null


def test_null_operator_tests_key_presence():
    assert allowed_with({"Null": {"s3:x-amz-server-side-encryption": "true"}}, {})
    assert not allowed_with(
        {"Null": {"s3:x-amz-server-side-encryption": "true"}}, {"s3:x-amz-server-side-encryption": "AES256"}
    )
    assert allowed_with(
        {"Null": {"s3:x-amz-server-side-encryption": "false"}}, {"s3:x-amz-server-side-encryption": "AES256"}
    )


# ------------------------------------------------------------------------------------------------ set operators


def test_for_all_values_is_vacuously_true_for_missing_or_empty_key():
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}
    assert allowed_with(condition, {})
    assert allowed_with(condition, {"aws:TagKeys": []})
    assert allowed_with(condition, {"aws:TagKeys": ["team"]})
    assert not allowed_with(condition, {"aws:TagKeys": ["team", "owner"]})


def test_for_any_value_needs_one_match_and_is_false_for_missing_key():
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}
    assert allowed_with(condition, {"aws:TagKeys": ["owner", "env"]})
    assert not allowed_with(condition, {"aws:TagKeys": ["owner"]})
    assert not allowed_with(condition, {})


def test_for_all_values_with_negated_operator_checks_every_value():
    condition = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}
    assert allowed_with(condition, {"aws:TagKeys": ["team", "env"]})
    assert not allowed_with(condition, {"aws:TagKeys": ["team", "secret"]})


def test_for_any_value_string_like_over_multivalued_key():
    condition = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/ou-sec*/"}}
    assert allowed_with(condition, {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-dev/", "o-abc/r-1/ou-security/"]})

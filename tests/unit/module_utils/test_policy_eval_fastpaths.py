"""The engine's compiled fast paths give the same answers as the generic matching they replace.

Resource patterns are decided per resource class (``resource_class`` / ``pattern_class``) and conditions run as
specialised tests (``_Condition.test``); each is checked here against an independent reference (a small glob
matcher written for this file) or against the generic ``_Condition.holds``, over every pattern kind: exact, prefix,
suffix, infix, ``?``, ``*`` alone, policy variables, NotResource, and the case rules.
"""

from __future__ import annotations

import itertools

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval as pe
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import ALLOWED
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import EXPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import IMPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate

ACCOUNT = "111122223333"
B = "arn:aws:s3:::data-bkt"

PATTERNS = [
    "*",
    B,
    f"{B}*",
    f"{B}/*",
    f"{B}/public/*",
    f"{B}/public/report.csv",
    f"{B}/public/*.csv",
    f"{B}/pub*",
    f"{B}/public/2026/*",
    f"{B}/?ublic/*",
    f"{B}/public/report.cs?",
    "*/public/*",
    "*.csv",
    "arn:aws:s3:::data-*/public/*",
    "arn:aws:s3:::DATA-BKT/public/*",
    f"{B}/Public/*",
    f"{B}/public",
    f"{B}/public/",
    f"{B}/p*c/*",
    "arn:aws:s3:::other/*",
    f"{B}/public/*/deep/*",
    f"{B}/ta*",
]
RESOURCES = [
    B,
    "arn:aws:s3:::data-bkt2",
    "arn:aws:s3:::DATA-BKT",
    f"{B}/",
    f"{B}/top.csv",
    f"{B}/public",
    f"{B}/public/",
    f"{B}/public/report.csv",
    f"{B}/public/report.csx",
    f"{B}/public/2026/q1/report.csv",
    f"{B}/public/x/deep/y",
    f"{B}/Public/report.csv",
    f"{B}/pxblic/a",
    f"{B}/private/report.csv",
    f"{B}/tail",
    "arn:aws:s3:::other/public/a.csv",
    "arn:aws:s3:::other",
]


def glob(pattern: str, value: str) -> bool:
    """Reference matcher, independent of the engine: ``*`` any run of characters, ``?`` one, case-sensitive."""

    def match(p: int, v: int) -> bool:
        while p < len(pattern):
            char = pattern[p]
            if char == "*":
                return any(match(p + 1, k) for k in range(v, len(value) + 1))
            if v == len(value) or (char != "?" and char != value[v]):
                return False
            p, v = p + 1, v + 1
        return v == len(value)

    return match(0, 0)


def policies(statement: dict) -> PrincipalPolicies:
    return PrincipalPolicies.build(identity=[{"Version": "2012-10-17", "Statement": [statement]}])


def allowed(identity: PrincipalPolicies, resource: str, user: str = "alice", action: str = "s3:GetObject") -> bool:
    request = Request(f"arn:aws:iam::{ACCOUNT}:user/{user}", action, resource)
    return evaluate(request, identity).decision == ALLOWED


# ------------------------------------------------------------------------------------------------ resource classes


def test_resource_class_is_the_arn_up_to_its_second_slash_or_the_whole_arn_without_one():
    assert pe.resource_class(B) == B
    assert pe.resource_class(f"{B}/top.csv") == f"{B}/"
    assert pe.resource_class(f"{B}/public/2026/q1.csv") == f"{B}/public/"
    assert pe.resource_class(f"{B}/public/") == f"{B}/public/"


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_class_agrees_with_the_reference_glob_for_every_resource(pattern):
    for resource in RESOURCES:
        kind = pe.pattern_class(pattern, pe.resource_class(resource), False)
        if kind == pe._YES:
            assert glob(pattern, resource), (pattern, resource)
        elif kind == pe._NO:
            assert not glob(pattern, resource), (pattern, resource)


def test_pattern_class_decides_prefix_exact_and_bucket_patterns_without_a_per_request_check():
    public = pe.resource_class(f"{B}/public/report.csv")
    assert pe.pattern_class(f"{B}/public/*", public, False) == pe._YES
    assert pe.pattern_class(f"{B}/*", public, False) == pe._YES
    assert pe.pattern_class(f"{B}/private/*", public, False) == pe._NO
    assert pe.pattern_class(f"{B}/Public/*", public, False) == pe._NO  # resources are case-sensitive
    assert pe.pattern_class(B, public, False) == pe._NO
    assert pe.pattern_class(B, pe.resource_class(B), False) == pe._YES
    assert pe.pattern_class(f"{B}/*", pe.resource_class(B), False) == pe._NO
    # only the request can tell: a suffix, an exact object, a '?' or a variable inside the class
    assert pe.pattern_class(f"{B}/public/*.csv", public, False) == pe._MAYBE
    assert pe.pattern_class(f"{B}/public/report.csv", public, False) == pe._MAYBE
    assert pe.pattern_class(f"{B}/?ublic/*", public, False) == pe._MAYBE
    assert pe.pattern_class(f"{B}/public/${{aws:username}}/*", public, True) == pe._MAYBE
    assert pe.pattern_class(f"{B}/home/${{aws:username}}/*", public, True) == pe._NO


@pytest.mark.parametrize("not_resource", [False, True])
def test_evaluation_with_resource_index_matches_the_reference_glob(not_resource):
    element = "NotResource" if not_resource else "Resource"
    for pattern in PATTERNS:
        identity = policies({"Effect": "Allow", "Action": "s3:GetObject", element: pattern})
        for resource in RESOURCES:
            assert allowed(identity, resource) == (glob(pattern, resource) != not_resource), (pattern, resource)


@pytest.mark.parametrize(
    ("pattern", "user", "expanded"),
    [
        (f"{B}/home/${{aws:username}}/*", "alice", f"{B}/home/alice/*"),
        (f"{B}/${{aws:username}}", "alice", f"{B}/alice"),
        (f"{B}/${{aws:username}}/*", "bob", f"{B}/bob/*"),
        (f"{B}/home/${{aws:username}}-?", "bob", f"{B}/home/bob-?"),
        (f"{B}/home/${{aws:PrincipalTag/team, 'shared'}}/*", "bob", f"{B}/home/shared/*"),
        (f"{B}/lit${{*}}/*", "bob", None),
    ],
)
def test_variables_in_resources_resolve_per_request_inside_the_index(pattern, user, expanded):
    identity = policies({"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern})
    candidates = [
        *RESOURCES,
        f"{B}/home/{user}/a.csv",
        f"{B}/home/other/a.csv",
        f"{B}/{user}",
        f"{B}/{user}/x",
        f"{B}/home/{user}-1",
        f"{B}/home/shared/x",
        f"{B}/lit*/x",
        f"{B}/litX/x",
    ]
    for resource in candidates:
        if expanded is None:  # ${*} is a literal asterisk
            expected = resource.startswith(f"{B}/lit*/")
        else:
            expected = glob(expanded, resource)
        assert allowed(identity, resource, user=user) == expected, resource


def test_actions_stay_case_insensitive_with_wildcards_and_question_marks():
    identity = policies({"Effect": "Allow", "Action": ["S3:get?bject", "s3:LIST*"], "Resource": f"{B}/*"})
    assert allowed(identity, f"{B}/public/a", action="s3:GetObject")
    assert allowed(identity, f"{B}/public/a", action="S3:LISTBUCKETVERSIONS")
    assert not allowed(identity, f"{B}/public/a", action="s3:GetObjectTagging")


# ------------------------------------------------------------------------------------------------------ plans


def bucket(statements: list[dict]) -> BucketContext:
    return BucketContext(account_id=ACCOUNT, bucket_policy={"Version": "2012-10-17", "Statement": statements})


def test_plans_are_per_bucket_policy_even_for_the_same_caller_and_resource_class():
    identity = PrincipalPolicies.build()
    caller = f"arn:aws:iam::{ACCOUNT}:user/alice"
    grant = {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject", "Resource": f"{B}/*"}
    deny = {**grant, "Effect": "Deny"}
    request = Request(caller, "s3:GetObject", f"{B}/public/a")
    assert evaluate(request, identity, bucket([grant])).decision == ALLOWED
    assert evaluate(request, identity, bucket([deny])).decision == EXPLICIT_DENY
    assert evaluate(request, identity, bucket([{**grant, "Principal": "*", "Resource": B}])).decision == IMPLICIT_DENY
    assert evaluate(request, identity, None).decision == IMPLICIT_DENY


def test_plans_are_per_caller_for_the_bucket_policy():
    ctx = bucket(
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "s3:*",
                "Resource": "*",
            }
        ]
    )
    identity = PrincipalPolicies.build()
    for user, expected in (("alice", ALLOWED), ("bob", IMPLICIT_DENY), ("alice", ALLOWED)):
        request = Request(f"arn:aws:iam::{ACCOUNT}:user/{user}", "s3:GetObject", f"{B}/a/b")
        assert evaluate(request, identity, ctx).decision == expected, user


def test_a_full_plan_cache_starts_over_without_changing_answers(monkeypatch):
    identity = policies({"Effect": "Allow", "Action": "s3:*", "Resource": [f"{B}/public/*", B]})
    expected = {resource: allowed(identity, resource) for resource in RESOURCES}
    monkeypatch.setattr(pe, "_PLAN_CACHE_SIZE", 2)
    fresh = policies({"Effect": "Allow", "Action": "s3:*", "Resource": [f"{B}/public/*", B]})
    for resource in RESOURCES * 2:
        assert allowed(fresh, resource) == expected[resource], resource
    assert len(fresh._plans) <= 2


def test_deciding_statements_keep_identity_then_boundary_then_bucket_order():
    identity = PrincipalPolicies.build(
        identity=[
            (
                "first",
                "user-inline",
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
                },
            ),
            (
                "second",
                "user-managed",
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": "B", "Effect": "Deny", "Action": "s3:Get*", "Resource": f"{B}/*"}],
                },
            ),
        ],
        permissions_boundary=(
            "edge",
            "permissions-boundary",
            {"Version": "2012-10-17", "Statement": [{"Sid": "C", "Effect": "Deny", "Action": "*", "Resource": "*"}]},
        ),
    )
    ctx = bucket([{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{B}/*"}])
    decision = evaluate(Request(f"arn:aws:iam::{ACCOUNT}:user/alice", "s3:GetObject", f"{B}/x/y"), identity, ctx)
    assert decision.decision == EXPLICIT_DENY
    assert [(ref.policy_name, ref.sid) for ref in decision.deciding] == [
        ("first", "A"),
        ("second", "B"),
        ("edge", "C"),
        ("bucket policy of bucket", "D"),
    ]


# -------------------------------------------------------------------------------------------------- conditions

SPECIALISED = [
    ("StringEquals", ["a", "B"]),
    ("StringNotEquals", ["a"]),
    ("StringEqualsIfExists", ["a"]),
    ("StringNotEqualsIfExists", ["a", "b"]),
    ("Bool", ["true"]),
    ("Bool", ["False"]),
    ("BoolIfExists", ["false"]),
    ("StringLike", ["rep*", "x?z"]),
    ("StringNotLike", ["*.csv"]),
    ("StringLikeIfExists", ["a*"]),
    ("IpAddress", ["10.0.0.0/8", "2001:db8::/32"]),
    ("NotIpAddress", ["192.0.2.0/24"]),
    ("IpAddressIfExists", ["10.1.2.3"]),
    ("NumericLessThan", ["10"]),
    ("NumericGreaterThanEquals", ["10", "20.5"]),
    ("NumericNotEquals", ["3"]),
    ("NumericEqualsIfExists", ["3"]),
    ("DateGreaterThan", ["2026-01-01T00:00:00Z"]),
    ("DateLessThanEquals", ["1767225600"]),
    ("DateNotEquals", ["2026-01-01"]),
]
GENERIC = [
    ("ForAnyValue:StringEquals", ["a"]),
    ("ForAllValues:StringLike", ["a*"]),
    ("Null", ["true"]),
    ("StringEquals", ["${aws:username}"]),
    ("ArnLike", ["arn:aws:iam::*:role/*"]),
    ("StringEqualsIgnoreCase", ["A"]),
    ("StringLike", []),
]
VALUES = [
    None,
    (),
    ("a",),
    ("A",),
    ("b",),
    ("a", "b"),
    ("c", "d"),
    ("true",),
    ("TRUE",),
    ("false",),
    ("report.csv",),
    ("xyz",),
    ("xz",),
    ("10.2.3.4",),
    ("10.1.2.3/32",),
    ("192.0.2.9",),
    ("2001:db8::1",),
    ("not-an-ip",),
    ("5",),
    ("10",),
    ("20.5",),
    ("3", "30"),
    ("abc",),
    ("2026-06-01T00:00:00Z",),
    ("2025-12-31",),
    ("1767225600",),
]


def contexts():
    for value in VALUES:
        yield {} if value is None else {"k:key": value}
    yield {"k:key": ("a",), "aws:username": ("a",)}


@pytest.mark.parametrize(("operator", "values"), SPECIALISED)
def test_specialised_condition_tests_agree_with_the_generic_operator(operator, values):
    condition = pe._Condition(operator, "K:Key", values, True, "p")
    assert getattr(condition.test, "__self__", None) is not condition  # a specialised test, not holds itself
    for ctx in contexts():
        assert condition.test(ctx) == condition.holds(ctx), (operator, values, ctx)


@pytest.mark.parametrize(("operator", "values"), GENERIC)
def test_other_operators_keep_the_generic_test(operator, values):
    condition = pe._Condition(operator, "K:Key", values, True, "p")
    assert condition.test == condition.holds
    for ctx in contexts():
        condition.test(ctx)  # runs without error on every shape of value


def test_conditions_in_one_statement_must_all_hold_in_the_fast_path():
    identity = policies(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    for tls, ip, expected in (
        (True, "10.1.1.1", ALLOWED),
        (False, "10.1.1.1", IMPLICIT_DENY),
        (True, "11.0.0.1", IMPLICIT_DENY),
    ):
        context = {"aws:SecureTransport": tls, "aws:SourceIp": ip}
        assert evaluate(Request(alice, "s3:GetObject", f"{B}/a", context), identity).decision == expected


# ------------------------------------------------------------------------------------------------------ context


class Tagged(str):
    """Stands for Ansible's tagged strings: a str subclass."""


def test_context_normalisation_fast_paths_keep_every_value_shape():
    caller = pe.Principal.from_arn(f"arn:aws:iam::{ACCOUNT}:user/alice")
    ctx = pe.normalise_context(
        {
            "aws:SecureTransport": True,
            "AWS:SourceIp": Tagged("10.0.0.1"),
            "s3:signatureAge": 600001,
            "aws:TagKeys": ["a", True, 2],
            "aws:SourceVpce": None,
            "aws:Referer": "x",
        },
        caller,
    )
    assert ctx["aws:securetransport"] == ("true",)
    assert ctx["aws:sourceip"] == ("10.0.0.1",)
    assert ctx["s3:signatureage"] == ("600001",)
    assert ctx["aws:tagkeys"] == ("a", "true", "2")
    assert ctx["aws:referer"] == ("x",)
    assert "aws:sourcevpce" not in ctx
    assert ctx["aws:username"] == ("alice",)
    ctx["aws:username"] = ("changed",)  # one request's context never leaks into the caller's defaults
    assert pe.normalise_context({}, caller)["aws:username"] == ("alice",)


def test_every_combination_of_two_patterns_matches_like_the_reference():
    for first, second in itertools.combinations(PATTERNS[:12], 2):
        identity = policies({"Effect": "Allow", "Action": "s3:GetObject", "Resource": [first, second]})
        for resource in RESOURCES:
            assert allowed(identity, resource) == (glob(first, resource) or glob(second, resource)), (first, second)

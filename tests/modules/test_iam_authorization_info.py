"""iam_authorization_info against the sandbox: the public-exfiltration conclusions, expected access from tags,
SimulatePrincipalPolicy cross-checks (agreement, disagreement, unavailable) and bad input."""

from __future__ import annotations

import json

import botocore.exceptions
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import simulate

ACCOUNT = "123456789012"
VICTIM = "acme-customer-exports"

EXPECTED = [
    {"principal": "role/app-reporting", "actions": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]},
    {"principal": "role/app-ingest", "actions": ["s3:PutObject"], "resources": ["exports/*"]},
    {"principal": "role/app-analytics", "actions": ["s3:GetObject"], "resources": ["reports/*"]},
    {"principal": "role/app-analytics", "actions": ["s3:ListBucket"]},
]


def _sids(call: dict) -> list:
    return [ref["sid"] for ref in call["deciding_statements"]]


def test_public_exfiltration_names_public_statement_wildcard_policy_and_legitimate_reader(sandbox, run_module):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    key = "exports/customers/customers-2026-11-28.csv"

    failed, anon = run_module(
        "iam_authorization_info",
        {
            "principal": "anonymous",
            "bucket": VICTIM,
            "calls": [{"action": "GetObject", "resource": key, "count": 40, "error_count": 0}],
            "expected_access": EXPECTED,
        },
    )
    assert not failed, anon
    [call] = anon["calls"]
    assert call["decision"] == "allowed"
    assert _sids(call) == [expected["public_statement_sid"]]
    assert call["verdict"] == "allowed_but_unexpected"
    assert anon["simulation"]["status"] == "not_applicable"
    public = [e for e in anon["excessive_permissions"] if e["sid"] == expected["public_statement_sid"]]
    assert public and "public_grant" in public[0]["reasons"]
    assert public[0]["fix"]["action"] == "remove_bucket_policy_statement"
    assert anon["least_privilege_statement"] is None
    assert anon["public_access"]["is_public"] is True

    failed, attacker = run_module(
        "iam_authorization_info",
        {
            "principal": expected["attacker"]["access_key_id"],
            "bucket": VICTIM,
            "calls": [
                {"action": "DeleteBucketPublicAccessBlock"},
                {"action": "PutBucketPolicy", "context": {"aws:SourceIp": expected["attacker"]["source_ip"]}},
            ],
            "expected_access": EXPECTED,
        },
    )
    assert not failed, attacker
    assert attacker["principal"]["arn"] == expected["attacker"]["principal_arn"]
    assert attacker["verdict"] == "allowed_but_unexpected" and attacker["flagged"] is True
    put = attacker["calls"][1]
    assert put["iam_action"] == "s3:PutBucketPolicy" and put["decision"] == "allowed"
    assert [ref["policy_name"] for ref in put["deciding_statements"]] == [expected["excessive_policy"]["name"]]
    assert attacker["calls"][0]["iam_action"] == "s3:PutBucketPublicAccessBlock"
    [wildcard] = [
        e for e in attacker["excessive_permissions"] if e["policy_name"] == expected["excessive_policy"]["name"]
    ]
    assert {"wildcard_action", "wildcard_resource"} <= set(wildcard["reasons"])
    assert wildcard["policy_arn"] == expected["excessive_policy"]["arn"]
    assert wildcard["fix"]["action"] == "detach_policy"
    assert put["excessive_permissions"][0]["policy_name"] == expected["excessive_policy"]["name"]
    assert attacker["simulation"]["status"] == "available"
    assert attacker["simulation"]["disagreements"] == []
    assert put["simulation"]["decision"] == "allowed"

    reporting = next(arn for arn in expected["legitimate_role_arns"] if arn.endswith("/app-reporting"))
    session = reporting.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/i-0123456789abcdef0"
    failed, legit = run_module(
        "iam_authorization_info",
        {
            "principal": session,
            "bucket": VICTIM,
            "calls": [{"action": "GetObject", "resource": key}, {"action": "ListObjects"}],
            "expected_access": EXPECTED,
        },
    )
    assert not failed, legit
    assert [c["verdict"] for c in legit["calls"]] == ["authorized", "authorized"]
    assert all(c["expected"] is True for c in legit["calls"])
    assert legit["verdict"] == "authorized" and legit["flagged"] is False
    assert legit["excessive_permissions"] == []
    assert legit["simulation"]["status"] == "available" and legit["simulation"]["disagreements"] == []
    statement = legit["least_privilege_statement"]
    assert statement["Action"] == ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]
    assert statement["Resource"] == [f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"]


def test_attacker_without_any_expected_access_is_allowed_with_intent_unknown_not_authorized(sandbox, run_module):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    failed, attacker = run_module(
        "iam_authorization_info",
        {
            "principal": expected["attacker"]["principal_arn"],
            "bucket": VICTIM,
            "calls": [{"action": "DeleteBucketPublicAccessBlock"}, {"action": "PutBucketPolicy"}],
            "simulate": False,
        },
    )
    assert not failed, attacker
    assert attacker["expected_access"] == {"source": "none", "entries": [], "known": False}
    assert [(c["decision"], c["expected"], c["verdict"]) for c in attacker["calls"]] == [
        ("allowed", None, "allowed_intent_unknown"),
        ("allowed", None, "allowed_intent_unknown"),
    ]
    assert attacker["verdict"] == "allowed_intent_unknown"
    assert attacker["call_verdicts"]["allowed_intent_unknown"] == 2 and attacker["call_verdicts"]["authorized"] == 0


def test_tagged_expected_access_that_does_not_name_the_principal_makes_its_calls_unexpected(sandbox, run_module):
    _bucket_with_reader(sandbox, {"cloudsec:expected-access": "role/app-reporting=s3:GetObject"})
    failed, result = run_module(
        "iam_authorization_info",
        {"principal": "reader", "bucket": "tagged-bucket", "calls": [{"action": "GetObject"}], "simulate": False},
    )
    assert not failed, result
    assert result["expected_access"]["known"] is True and result["expected_access"]["entries"] == []
    [call] = result["calls"]
    assert (call["decision"], call["expected"], call["verdict"]) == ("allowed", False, "allowed_but_unexpected")
    assert result["verdict"] == "allowed_but_unexpected" and result["flagged"] is True


def _bucket_with_reader(sandbox, tags: dict | None = None) -> None:
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket="tagged-bucket")
    if tags:
        s3.put_bucket_tagging(
            Bucket="tagged-bucket", Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
    iam.create_user(UserName="reader")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadAll", "Effect": "Allow", "Action": ["s3:Get*", "s3:ListBucket"], "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName="reader", PolicyName="reader-inline", PolicyDocument=json.dumps(policy))


def test_expected_access_comes_from_the_bucket_tag(sandbox, run_module):
    _bucket_with_reader(sandbox, {"cloudsec:expected-access": "user/reader=s3:GetObject@public/"})
    failed, result = run_module(
        "iam_authorization_info",
        {
            "principal": "reader",
            "bucket": "tagged-bucket",
            "calls": [{"action": "GetObject", "resource": "public/a.txt"}, {"action": "GetObject", "resource": "hr/b"}],
            "simulate": False,
        },
    )
    assert not failed, result
    assert result["expected_access"]["source"] == "tag"
    assert [c["verdict"] for c in result["calls"]] == ["authorized", "allowed_but_unexpected"]
    [excess] = result["excessive_permissions"]
    assert excess["sid"] == "ReadAll"
    assert {"wildcard_action", "wildcard_resource", "beyond_expected"} <= set(excess["reasons"])
    assert "s3:GetBucketPolicy" in excess["actions_beyond_expected"]
    assert result["least_privilege_statement"]["Resource"] == ["arn:aws:s3:::tagged-bucket/public/*"]
    assert result["simulation"]["status"] == "not_applicable"


def test_simulation_disagreement_is_reported_not_hidden(sandbox, run_module):
    _bucket_with_reader(sandbox)
    reader = f"arn:aws:iam::{ACCOUNT}:user/reader"
    sandbox.seed(
        {
            "iam_simulations": [
                {"principal_arn": reader, "action": "s3:GetObject", "resource": "*", "decision": "explicitDeny"}
            ]
        }
    )
    failed, result = run_module(
        "iam_authorization_info",
        {"principal": reader, "bucket": "tagged-bucket", "calls": [{"action": "s3:GetObject", "resource": "k"}]},
    )
    assert not failed, result
    [disagreement] = result["simulation"]["disagreements"]
    assert disagreement["engine"] == "allowed" and disagreement["simulation"] == "explicit_deny"
    assert result["calls"][0]["decision"] == "allowed"  # the engine's own answer is kept, next to the simulator's


def test_simulation_api_failure_reports_unavailable():
    class FailingIam:
        def get_paginator(self, name):
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "500", "Message": "Not implemented"}}, "SimulatePrincipalPolicy"
            )

    result = simulate(FailingIam(), f"arn:aws:iam::{ACCOUNT}:user/reader", [("s3:GetObject", "arn:aws:s3:::b/k")])
    assert result["status"] == "unavailable"
    assert "500" in result["reason"]


def test_principal_that_no_longer_exists_is_reported_and_denied(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="tagged-bucket")
    failed, result = run_module(
        "iam_authorization_info",
        {
            "principal": f"arn:aws:iam::{ACCOUNT}:user/gone",
            "bucket": "tagged-bucket",
            "calls": [{"action": "GetObject"}],
        },
    )
    assert not failed, result
    assert result["principal"]["exists"] is False
    assert result["calls"][0]["decision"] == "implicit_deny"
    assert result["verdict"] == "unauthorized"
    assert result["simulation"]["status"] == "not_applicable"


def test_bad_expected_access_fails_naming_the_entry(sandbox, run_module):
    sandbox.client("s3").create_bucket(Bucket="tagged-bucket")
    failed, result = run_module(
        "iam_authorization_info",
        {"principal": "anonymous", "bucket": "tagged-bucket", "expected_access": [{"principal": "role/x"}]},
    )
    assert failed
    assert "expected_access[0]" in result["msg"] and "actions" in result["msg"]


def test_malformed_expected_access_tag_fails_naming_the_tag(sandbox, run_module):
    _bucket_with_reader(sandbox, {"cloudsec:expected-access": "user/reader s3:GetObject"})
    failed, result = run_module("iam_authorization_info", {"principal": "reader", "bucket": "tagged-bucket"})
    assert failed
    assert "cloudsec:expected-access" in result["msg"] and "tagged-bucket" in result["msg"]

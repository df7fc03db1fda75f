"""The authorization role run by ansible-playbook on the public-exfiltration scenario, fed the way the investigate
role publishes its result, and run alone from variables."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.playbook

PLAYBOOK = "tests/integration/playbooks/authorization.yml"
EXPECTED_ACCESS = [
    {"principal": "role/app-reporting", "actions": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]},
    {"principal": "role/app-ingest", "actions": ["s3:PutObject"], "resources": ["exports/*"]},
    {"principal": "role/app-analytics", "actions": ["s3:GetObject"], "resources": ["reports/*"]},
    {"principal": "role/app-analytics", "actions": ["s3:ListBucket"]},
]


def _result(playbook, result: dict) -> dict:
    [published] = playbook.tasks(result, "Publish authorization_result for the test")
    return published["authorization_result"]


def _investigate_result(expected: dict) -> tuple[dict, str]:
    """The investigate role's result for the scenario, and the app-reporting session in it."""
    attacker = expected["attacker"]
    reporting = next(a for a in expected["legitimate_role_arns"] if a.endswith("/app-reporting"))
    session = reporting.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/i-0123456789abcdef0"
    key = "exports/customers/customers-2026-11-28.csv"
    investigate_result = {
        "bucket": expected["victim_bucket"],
        "suspected_principals": [
            {"arn": attacker["principal_arn"], "type": "IAMUser", "access_key_ids": [attacker["access_key_id"]],
             "source_ips": [attacker["source_ip"]]},
            {"arn": None, "type": "AWSAccount", "kind": "anonymous", "account_id": "ANONYMOUS_PRINCIPAL",
             "source_ips": expected["anonymous_ips"]},
        ],
        "observed_calls": {
            attacker["principal_arn"]: [
                {"action": "DeleteBucketPublicAccessBlock", "resource": f"arn:aws:s3:::{expected['victim_bucket']}",
                 "count": 1, "error_count": 0},
                {"action": "PutBucketPolicy", "resource": f"arn:aws:s3:::{expected['victim_bucket']}", "count": 1,
                 "error_count": 0},
            ],
            "anonymous": [{"action": "GetObject", "resource": key, "count": 40, "error_count": 0}],
            session: [{"action": "GetObject", "resource": key, "count": 900, "error_count": 0}],
        },
    }  # fmt: skip
    return investigate_result, session


def test_role_reads_investigate_result_and_flags_the_attacker_and_the_public_statement(sandbox, playbook, tmp_path):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    attacker = expected["attacker"]
    investigate_result, session = _investigate_result(expected)
    varfile = tmp_path / "vars.json"
    varfile.write_text(
        json.dumps({"investigate_result": investigate_result, "authorization_expected_access": EXPECTED_ACCESS})
    )
    rc, result = playbook(PLAYBOOK, "-e", f"@{varfile}")
    assert rc == 0, result
    authz = _result(playbook, result)
    assert authz["bucket"] == expected["victim_bucket"]
    by_label = {p["principal"]["label"]: p for p in authz["principals"]}
    assert set(by_label) == {attacker["principal_arn"], "anonymous", session}

    anon = by_label["anonymous"]
    assert anon["verdict"] == "allowed_but_unexpected"
    assert anon["calls"][0]["deciding_statements"][0]["sid"] == expected["public_statement_sid"]

    bad = by_label[attacker["principal_arn"]]
    assert bad["verdict"] == "allowed_but_unexpected" and bad["flagged"]
    assert bad["calls"][1]["deciding_statements"][0]["policy_name"] == expected["excessive_policy"]["name"]
    assert expected["excessive_policy"]["name"] in [e["policy_name"] for e in bad["excessive_permissions"]]

    good = by_label[session]
    assert good["verdict"] == "authorized" and not good["flagged"]
    assert good["least_privilege_statement"]["Action"] == ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]

    summary = authz["summary"]
    assert sorted(summary["flagged"]) == sorted([attacker["principal_arn"], "anonymous"])
    assert summary["authorized"] == [session]
    assert summary["intent_unknown"] == []
    fixes = {(e["policy_name"], e["fix"]["action"]) for e in authz["excessive_permissions"]}
    assert (expected["excessive_policy"]["name"], "detach_policy") in fixes
    assert (f"bucket policy of {expected['victim_bucket']}", "remove_bucket_policy_statement") in fixes
    assert authz["public_access"]["is_public"] is True


def test_without_expected_access_the_attacker_is_allowed_with_intent_unknown_not_authorized(
    sandbox, playbook, tmp_path
):
    expected = sandbox.scenario("public-exfiltration")["expected"]
    attacker = expected["attacker"]["principal_arn"]
    investigate_result, session = _investigate_result(expected)
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps({"investigate_result": investigate_result, "authorization_simulate": False}))
    rc, result = playbook(PLAYBOOK, "-e", f"@{varfile}")
    assert rc == 0, result
    authz = _result(playbook, result)
    by_label = {p["principal"]["label"]: p for p in authz["principals"]}

    bad = by_label[attacker]
    assert bad["expected_access"]["known"] is False
    assert [(c["decision"], c["verdict"]) for c in bad["calls"]] == [("allowed", "allowed_intent_unknown")] * 2
    assert bad["verdict"] == "allowed_intent_unknown"
    assert by_label[session]["verdict"] == "allowed_intent_unknown"
    assert by_label["anonymous"]["verdict"] == "allowed_but_unexpected"

    summary = authz["summary"]
    assert summary["authorized"] == []
    assert sorted(summary["intent_unknown"]) == sorted([attacker, session])
    assert summary["allowed_but_unexpected"] == ["anonymous"]
    [shown] = [
        host
        for play in result["plays"]
        for task in play["tasks"]
        if task["task"]["name"].endswith("Report who was allowed, by what, and what grants too much")
        for host in task["hosts"].values()
    ]
    [line] = [m for m in shown["msg"] if m.startswith("Allowed, intent unknown")]
    assert "authorization_expected_access" in line and "cloudsec:expected-access" in line and attacker in line


def test_role_without_a_bucket_fails_naming_the_variable(sandbox, playbook):
    rc, result = playbook(PLAYBOOK, "-e", '{"authorization_principals": ["anonymous"]}')
    assert rc != 0
    assert "set authorization_bucket" in json.dumps(result)

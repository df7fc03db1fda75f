"""authorization (pure): event-name mapping, expected access (variable and tag forms), verdicts, excessive
permissions and the least-privilege statement, on principals and buckets in the shapes the gatherers return."""

from __future__ import annotations

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import VERDICTS
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import AuthorizationError
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import analyse_principal
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import call_resource
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import glob_may_match_prefix
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import iam_action
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import parse_expected_access
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import parse_expected_access_tags
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import prepare_calls
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import principal_verdict
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate

ACCOUNT = "111122223333"
BUCKET = "acme-data"
ARN = f"arn:aws:s3:::{BUCKET}"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _user(name: str, *policies, policy_type: str = "user-inline") -> dict:
    return {
        "input": name,
        "type": "user",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "name": name,
        "account_id": ACCOUNT,
        "exists": True,
        "cross_account": False,
        "policies": [
            {"name": pname, "type": policy_type, "arn": None, "attached_via": None, "document": doc}
            for pname, doc in policies
        ],
        "permissions_boundary": None,
    }


def _bucket(policy=None, grants=(), bpa=None, ownership=None) -> dict:
    return {
        "name": BUCKET,
        "policy": policy,
        "acl": {"owner": {"id": "owner-canonical"}, "grants": list(grants)},
        "public_access_block": bpa,
        "ownership_controls": ownership,
        "tags": {},
    }


ANONYMOUS = {"input": "anonymous", "type": "anonymous", "name": "anonymous", "exists": None, "policies": []}
PUBLIC_READ = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"{ARN}/*",
}


def _analyse(resolved, bucket, calls, expected=(), **kw):
    parsed = parse_expected_access(list(expected), bucket=BUCKET, account_id=ACCOUNT)
    return analyse_principal(
        resolved,
        bucket,
        prepare_calls(calls, BUCKET),
        parsed,
        expected_source="variable" if expected else "none",
        bucket_account_id=ACCOUNT,
        **kw,
    )


# ------------------------------------------------------------------------------------------------ actions, resources


@pytest.mark.parametrize(
    ("given", "mapped"),
    [
        ("ListObjects", "s3:ListBucket"),
        ("ListObjectsV2", "s3:ListBucket"),
        ("HeadObject", "s3:GetObject"),
        ("DeleteBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
        ("s3:ListObjects", "s3:ListBucket"),
        ("PutBucketPolicy", "s3:PutBucketPolicy"),
        ("sts:GetCallerIdentity", "sts:GetCallerIdentity"),
    ],
)
def test_cloudtrail_event_names_map_to_the_iam_action_that_authorises_them(given, mapped):
    assert iam_action(given) == mapped


def test_call_resource_builds_object_and_bucket_arns():
    assert call_resource("s3:GetObject", "exports/a.csv", BUCKET) == f"{ARN}/exports/a.csv"
    assert call_resource("s3:GetObject", f"{BUCKET}/exports/a.csv", BUCKET) == f"{ARN}/exports/a.csv"
    assert call_resource("s3:GetObject", None, BUCKET) == f"{ARN}/*"
    assert call_resource("s3:ListBucket", None, BUCKET) == ARN
    assert call_resource("s3:GetObject", "arn:aws:s3:::other/k", BUCKET) == "arn:aws:s3:::other/k"


def test_glob_prefix_reachability_decides_whether_a_resource_pattern_reaches_a_bucket():
    assert glob_may_match_prefix("arn:aws:s3:::acme-*/reports/*", f"{ARN}/")
    assert glob_may_match_prefix("*", f"{ARN}/")
    assert glob_may_match_prefix("arn:aws:s3:::acme-d?ta/${aws:username}/*", f"{ARN}/")
    assert not glob_may_match_prefix("arn:aws:s3:::other-bucket/*", f"{ARN}/")
    assert not glob_may_match_prefix("arn:aws:s3:::acme-data", f"{ARN}/")


# ------------------------------------------------------------------------------------------------ expected access


def test_expected_access_short_principals_expand_in_the_bucket_account():
    [entry] = parse_expected_access(
        [{"principal": "role/app-reporting", "actions": ["GetObject"], "resources": ["reports/*"]}],
        bucket=BUCKET,
        account_id=ACCOUNT,
    )
    assert entry.principal == f"arn:aws:iam::{ACCOUNT}:role/app-reporting"
    assert entry.actions == ("s3:GetObject",)
    assert entry.resources == (f"{ARN}/reports/*",)


def test_expected_access_tag_compact_form_and_numbered_continuations():
    tags = {
        "cloudsec:expected-access": "role/app-reporting=s3:GetObject+s3:ListBucket",
        "cloudsec:expected-access-2": "role/app-analytics=s3:GetObject@reports/ account/444455556666=s3:GetObject",
        "owner": "data",
    }
    entries = parse_expected_access_tags(tags, bucket=BUCKET, account_id=ACCOUNT)
    assert [e.principal for e in entries] == [
        f"arn:aws:iam::{ACCOUNT}:role/app-reporting",
        f"arn:aws:iam::{ACCOUNT}:role/app-analytics",
        "arn:aws:iam::444455556666:root",
    ]
    assert entries[1].resources == (f"{ARN}/reports/*",)
    assert entries[0].source == f"bucket tag cloudsec:expected-access of {BUCKET}"


def test_expected_access_tag_accepts_json():
    tags = {"cloudsec:expected-access": '[{"principal": "anonymous", "actions": ["s3:GetObject"]}]'}
    [entry] = parse_expected_access_tags(tags, bucket=BUCKET, account_id=ACCOUNT)
    assert entry.principal == "anonymous"


@pytest.mark.parametrize(
    ("entries", "fragment"),
    [
        ([{"principal": "role/x"}], "expected_access[0]: needs both principal and actions"),
        ([{"principal": "role/x", "actions": []}], "expected_access[0]: actions"),
        ([{"principal": "somebody", "actions": ["s3:GetObject"]}], "principal 'somebody'"),
        ([{"principal": "role/x", "actions": ["s3:GetObject"], "who": 1}], "unknown key(s) who"),
        ("role/x", "expected a list"),
    ],
)
def test_bad_expected_access_names_the_entry(entries, fragment):
    with pytest.raises(AuthorizationError, match=None) as err:
        parse_expected_access(entries, bucket=BUCKET, account_id=ACCOUNT)
    assert fragment in str(err.value)


def test_bad_tag_value_names_the_tag_and_bucket():
    with pytest.raises(AuthorizationError) as err:
        parse_expected_access_tags({"cloudsec:expected-access": "role/x"}, bucket=BUCKET, account_id=ACCOUNT)
    assert f"bucket tag cloudsec:expected-access of {BUCKET}" in str(err.value)


# ------------------------------------------------------------------------------------------------ verdicts


def test_anonymous_read_is_decided_by_the_public_statement_and_unexpected():
    result = _analyse(
        ANONYMOUS,
        _bucket(_doc(PUBLIC_READ)),
        [{"action": "GetObject", "resource": "k.csv"}],
        [{"principal": "role/app", "actions": ["s3:GetObject"]}],
    )
    [call] = result["calls"]
    assert call["decision"] == "allowed"
    assert [(r["policy_type"], r["sid"]) for r in call["deciding_statements"]] == [("bucket-policy", "PublicRead")]
    assert call["verdict"] == "allowed_but_unexpected"
    assert call["excessive_permissions"][0]["reasons"] == ["public_grant", "beyond_expected"]


def test_anonymous_read_is_blocked_by_restrict_public_buckets():
    result = _analyse(
        ANONYMOUS,
        _bucket(_doc(PUBLIC_READ), bpa={"restrict_public_buckets": True}),
        [{"action": "GetObject", "resource": "k.csv"}],
    )
    assert result["calls"][0]["decision"] == "implicit_deny"
    assert result["verdict"] == "unauthorized"


def test_public_acl_grant_is_excessive_for_anonymous_unless_acls_are_disabled():
    grant = {
        "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "permission": "READ",
    }
    open_acl = _analyse(ANONYMOUS, _bucket(grants=[grant]), [{"action": "ListObjects"}])
    assert open_acl["calls"][0]["decision"] == "allowed"
    assert open_acl["calls"][0]["deciding_statements"][0]["policy_type"] == "acl"
    assert open_acl["excessive_permissions"][0]["fix"]["action"] == "remove_acl_grant"
    # nothing declared, but public access is never assumed intended: the advice stays "remove it"
    assert any("anonymous callers: remove it rather than narrow it" in line for line in open_acl["remediation"])
    enforced = _analyse(
        ANONYMOUS, _bucket(grants=[grant], ownership="BucketOwnerEnforced"), [{"action": "ListObjects"}]
    )
    assert enforced["calls"][0]["decision"] == "implicit_deny"
    assert enforced["excessive_permissions"] == []


def test_without_expected_access_same_account_user_is_allowed_intent_unknown_not_authorized():
    user = _user("app", ("app-read", _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARN}/*"})))
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}])
    assert result["calls"][0]["decision"] == "allowed"
    assert result["calls"][0]["verdict"] == "allowed_intent_unknown"
    assert result["calls"][0]["expected"] is None
    assert result["verdict"] == "allowed_intent_unknown"
    assert result["call_verdicts"] == {
        "authorized": 0,
        "unauthorized": 0,
        "allowed_but_unexpected": 0,
        "allowed_intent_unknown": 1,
    }
    assert result["expected_access"] == {"source": "none", "entries": [], "known": False}
    assert result["excessive_permissions"] == []


@pytest.mark.parametrize(
    ("expected", "verdict"),
    [
        pytest.param([], "allowed_intent_unknown", id="no-expected-access-at-all"),
        pytest.param(
            [{"principal": "role/app-reporting", "actions": ["s3:GetObject"]}],
            "allowed_but_unexpected",
            id="expected-access-names-someone-else",
        ),
        pytest.param(
            [{"principal": "user/svc-legacy-backup", "actions": ["s3:GetObject"]}],
            "allowed_but_unexpected",
            id="expected-access-names-it-for-other-actions",
        ),
        pytest.param(
            [{"principal": "user/svc-legacy-backup", "actions": ["s3:PutBucketPolicy"]}],
            "authorized",
            id="expected-access-covers-the-call",
        ),
    ],
)
def test_intent_is_unknown_only_when_the_bucket_has_no_expected_access_at_all(expected, verdict):
    user = _user("svc-legacy-backup", ("all-s3", _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))
    result = _analyse(user, _bucket(), [{"action": "PutBucketPolicy"}], expected)
    [call] = result["calls"]
    assert call["decision"] == "allowed"
    assert (call["verdict"], result["verdict"]) == (verdict, verdict)
    assert call["expected"] is (None if not expected else verdict == "authorized")


@pytest.mark.parametrize(
    "resolved",
    [
        pytest.param(ANONYMOUS, id="anonymous"),
        pytest.param(
            {
                "input": "arn:aws:iam::444455556666:user/outsider",
                "type": "user",
                "arn": "arn:aws:iam::444455556666:user/outsider",
                "name": "outsider",
                "account_id": "444455556666",
                "cross_account": True,
                "exists": None,
                "policies": [],
            },
            id="cross-account",
        ),
    ],
)
def test_without_expected_access_public_and_cross_account_access_stays_unexpected(resolved):
    everyone = {
        "Sid": "Everyone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{ARN}/*",
    }
    result = _analyse(resolved, _bucket(_doc(everyone)), [{"action": "GetObject", "resource": "k"}])
    [call] = result["calls"]
    assert call["decision"] == "allowed" and call["expected"] is None
    assert call["verdict"] == result["verdict"] == "allowed_but_unexpected"
    assert result["flagged"] is True


def test_intent_unknown_outranks_denied_calls_of_the_same_principal():
    user = _user("app", ("app-read", _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARN}/*"})))
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}, {"action": "PutBucketPolicy"}])
    assert [c["verdict"] for c in result["calls"]] == ["allowed_intent_unknown", "unauthorized"]
    assert result["verdict"] == "allowed_intent_unknown"


@pytest.mark.parametrize(
    ("calls", "verdict"),
    [
        (["authorized", "allowed_intent_unknown", "allowed_but_unexpected", "unauthorized"], "allowed_but_unexpected"),
        (["unauthorized", "allowed_but_unexpected", "authorized"], "allowed_but_unexpected"),
        (["authorized", "allowed_intent_unknown", "unauthorized"], "allowed_intent_unknown"),
        (["allowed_intent_unknown", "authorized"], "allowed_intent_unknown"),
        (["unauthorized", "authorized"], "authorized"),
        (["unauthorized", "unauthorized"], "unauthorized"),
        ([], "unauthorized"),
    ],
)
def test_principal_verdict_is_the_most_alarming_call_verdict(calls, verdict):
    assert principal_verdict(calls) == verdict
    assert principal_verdict(reversed(calls)) == verdict
    assert set(calls) <= set(VERDICTS)


def test_wildcard_managed_policy_allows_put_bucket_policy_and_is_excessive():
    user = _user(
        "svc-legacy-backup",
        ("LegacyBackupS3FullAccess", _doc({"Sid": "AllS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
        policy_type="user-managed",
    )
    user["policies"][0]["arn"] = f"arn:aws:iam::{ACCOUNT}:policy/LegacyBackupS3FullAccess"
    result = _analyse(
        user, _bucket(), [{"action": "PutBucketPolicy"}], [{"principal": "role/app", "actions": ["s3:GetObject"]}]
    )
    [call] = result["calls"]
    assert call["decision"] == "allowed" and call["verdict"] == "allowed_but_unexpected"
    assert call["deciding_statements"][0]["policy_name"] == "LegacyBackupS3FullAccess"
    [excess] = result["excessive_permissions"]
    assert excess["reasons"] == ["wildcard_action", "wildcard_resource", "beyond_expected"]
    assert "s3:PutBucketPolicy" in excess["actions_beyond_expected"]
    assert excess["fix"]["action"] == "detach_policy"
    assert "LegacyBackupS3FullAccess" in excess["fix"]["text"] and "user svc-legacy-backup" in excess["fix"]["text"]
    assert result["least_privilege_statement"] is None
    assert any("No access to acme-data is expected" in line for line in result["remediation"])


def test_without_declared_expected_access_the_remediation_does_not_say_remove():
    """Nothing declared: telling the responder to remove the access could cut off an application that needs it."""
    user = _user(
        "svc-legacy-backup", ("Wide", _doc({"Sid": "AllS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    )
    result = _analyse(user, _bucket(), [{"action": "PutBucketPolicy"}])
    assert result["calls"][0]["verdict"] == "allowed_intent_unknown"
    assert result["excessive_permissions"] and result["least_privilege_statement"] is None
    assert not any("remove it rather than narrow it" in line for line in result["remediation"])
    [hint] = [line for line in result["remediation"] if line.startswith("No expected access is declared")]
    assert "acme-data" in hint and "cloudsec:expected-access" in hint and "authorization_expected_access" in hint


def test_admin_policy_is_reported_as_admin():
    user = _user("ops-admin", ("Admin", _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})))
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}])
    assert result["excessive_permissions"][0]["reasons"][:2] == ["admin_policy", "wildcard_resource"]


def test_statement_scoped_to_another_bucket_is_not_reported():
    user = _user("u", ("other", _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::other/*"})))
    result = _analyse(user, _bucket(), [], [{"principal": "user/u", "actions": ["s3:GetObject"]}])
    assert result["excessive_permissions"] == []


def test_exact_grant_within_expected_access_is_not_excessive_and_authorized():
    user = _user(
        "reporting",
        ("read", _doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [ARN, f"{ARN}/*"]})),
    )
    result = _analyse(
        user,
        _bucket(),
        [{"action": "GetObject", "resource": "r.csv"}, {"action": "ListObjectsV2"}],
        [{"principal": "user/reporting", "actions": ["s3:GetObject", "s3:ListBucket"]}],
    )
    assert [c["verdict"] for c in result["calls"]] == ["authorized", "authorized"]
    assert result["verdict"] == "authorized" and result["flagged"] is False
    assert result["excessive_permissions"] == []


def test_denied_call_is_unauthorized_and_an_observed_success_is_noted():
    user = _user("nobody")
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k", "count": 3, "error_count": 0}])
    [call] = result["calls"]
    assert call["decision"] == "implicit_deny" and call["verdict"] == "unauthorized"
    assert call["observed"]["outcome"] == "succeeded"
    assert "does not see" in call["notes"][0]


def test_cross_account_grant_is_evaluated_on_the_resource_side_and_flagged():
    grant = {
        "Sid": "BackupReplicationAccess",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "s3:*",
        "Resource": [ARN, f"{ARN}/*"],
    }
    foreign = {
        "input": "arn:aws:sts::444455556666:assumed-role/data-sync/sync-01",
        "type": "assumed_role",
        "arn": "arn:aws:sts::444455556666:assumed-role/data-sync/sync-01",
        "name": "data-sync",
        "account_id": "444455556666",
        "cross_account": True,
        "exists": None,
        "policies": [],
    }
    result = _analyse(foreign, _bucket(_doc(grant)), [{"action": "GetObject", "resource": "ledger.csv"}])
    [call] = result["calls"]
    assert call["decision"] == "allowed"
    assert "BackupReplicationAccess" in [r["sid"] for r in call["deciding_statements"]]
    assert call["verdict"] == "allowed_but_unexpected"
    [excess] = result["excessive_permissions"]
    assert excess["reasons"][0] == "cross_account_grant" and excess["sid"] == "BackupReplicationAccess"


def test_least_privilege_statement_allows_the_expected_access_and_nothing_else():
    user = _user("app", ("wide", _doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})))
    expected = [
        {"principal": "user/app", "actions": ["s3:GetObject"], "resources": ["reports/*"]},
        {"principal": "user/app", "actions": ["s3:ListBucket"], "resources": [ARN]},
    ]
    result = _analyse(user, _bucket(), [], expected)
    statement = result["least_privilege_statement"]
    assert statement["Sid"] == "CloudsecLeastPrivilegeApp"
    policies = PrincipalPolicies.build(identity=[("least", "user-inline", _doc(statement))])
    caller = f"arn:aws:iam::{ACCOUNT}:user/app"

    def decide(action, resource):
        return evaluate(Request(caller, action, resource), policies).decision

    assert decide("s3:GetObject", f"{ARN}/reports/q1.csv") == "allowed"
    assert decide("s3:ListBucket", ARN) == "allowed"
    assert decide("s3:GetObject", f"{ARN}/hr/salaries.csv") == "implicit_deny"
    assert decide("s3:PutBucketPolicy", ARN) == "implicit_deny"
    assert any("CloudsecLeastPrivilegeApp" in line for line in result["remediation"])


def test_unknown_condition_operator_is_a_warning_and_never_grants():
    user = _user(
        "u",
        (
            "odd",
            _doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"{ARN}/*",
                    "Condition": {"StringFancy": {"aws:SourceIp": "1.2.3.4"}},
                }
            ),
        ),
    )
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}])
    assert result["calls"][0]["decision"] == "implicit_deny"
    assert result["warnings"] and "StringFancy" in result["warnings"][0]


def test_malformed_policy_document_names_the_policy():
    user = _user("u", ("broken-inline", "{not json"))
    with pytest.raises(AuthorizationError) as err:
        _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}])
    assert "broken-inline" in str(err.value)


def test_simulation_disagreement_is_listed_with_both_answers():
    user = _user("u", ("read", _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})))
    resource = f"{ARN}/k"
    simulation = {
        "status": "available",
        "results": {("s3:GetObject", resource): {"decision": "implicit_deny", "matched_statements": []}},
    }
    result = _analyse(user, _bucket(), [{"action": "GetObject", "resource": "k"}], simulation=simulation)
    [disagreement] = result["simulation"]["disagreements"]
    assert (disagreement["engine"], disagreement["simulation"]) == ("allowed", "implicit_deny")

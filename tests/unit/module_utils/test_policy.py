"""Policy documents: parsing errors that name the policy, normalisation, equality, Sid merge."""

from __future__ import annotations

import json

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import SidConflict
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import policies_equal

# A bucket policy as GetBucketPolicy returns it (a string), written by an owner by hand.
OWNER_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Id": "owner-policy",
        "Statement": [
            {
                "Sid": "AllowCdnRead",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/cdn"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::victim-bucket/*",
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": "arn:aws:s3:::victim-bucket/logs/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": 111122223333}},
            },
        ],
    },
    indent=4,
)

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::victim-bucket", "arn:aws:s3:::victim-bucket/*"],
    "Condition": {"Bool": {"aws:SecureTransport": False}},
}


# ---------------------------------------------------------------------------------------------------------- parsing


def test_parse_normalises_single_statement_and_scalar_values_to_lists():
    doc = parse_policy(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    )
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}],
    }


def test_parse_keeps_star_principal_and_lists_principal_mapping_values():
    doc = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"},
            ]
        }
    )
    assert doc["Statement"][0]["Principal"] == "*"
    assert doc["Statement"][1]["Principal"] == {"AWS": ["*"]}


def test_parse_turns_condition_values_into_lists_of_strings():
    doc = parse_policy(OWNER_POLICY, name="victim-bucket")
    assert doc["Statement"][1]["Condition"] == {"StringEquals": {"aws:SourceAccount": ["111122223333"]}}
    tls = parse_policy({"Version": "2012-10-17", "Statement": [TLS_ONLY]})
    assert tls["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": ["false"]}}


def test_parse_keeps_version_and_id_and_missing_version_stays_missing():
    assert parse_policy(OWNER_POLICY)["Id"] == "owner-policy"
    assert "Version" not in parse_policy({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})


def test_malformed_json_error_names_policy_and_position():
    with pytest.raises(PolicyError) as err:
        parse_policy('{"Version": "2012-10-17", "Statement": [', name="bucket policy of victim-bucket")
    message = str(err.value)
    assert "bucket policy of victim-bucket" in message
    assert "malformed JSON" in message
    assert "line 1 column" in message


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Action": "s3:*", "Resource": "*"}, "missing Effect"),
        ({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}, "Effect must be"),
        ({"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}, "both Action and NotAction"),
        ({"Effect": "Allow", "Resource": "*"}, "missing Action or NotAction"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "x"}, "both Resource and NotResource"),
        (
            {"Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": "*"}, "Action": "s3:*"},
            "both Principal and NotPrincipal",
        ),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "must not be empty"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": 7}, "expected a string"),
        ({"Effect": "Allow", "Principal": "arn:aws:iam::1:root", "Action": "s3:*"}, "string principal"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Conditions": {}}, "unknown element"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": "x"}}, "Condition.Bool"),
    ],
)
def test_invalid_statement_error_names_policy_statement_and_problem(statement, problem):
    with pytest.raises(PolicyError) as err:
        parse_policy(
            {"Version": "2012-10-17", "Statement": [{"Sid": "Ok", "Effect": "Deny", "Action": "*"}, statement]},
            name="user-inline/alice",
        )
    message = str(err.value)
    assert message.startswith("policy 'user-inline/alice'")
    assert "Statement[1]" in message
    assert problem in message


def test_duplicate_sids_are_rejected():
    with pytest.raises(PolicyError, match="duplicate statement Sid 'A'"):
        parse_policy(
            {
                "Statement": [
                    {"Sid": "A", "Effect": "Deny", "Action": "*"},
                    {"Sid": "A", "Effect": "Deny", "Action": "*"},
                ]
            }
        )


def test_document_that_is_not_an_object_or_has_no_statement_is_rejected():
    with pytest.raises(PolicyError, match="must be a JSON object"):
        parse_policy("[]", name="p")
    with pytest.raises(PolicyError, match="missing Statement"):
        parse_policy({"Version": "2012-10-17"}, name="p")
    with pytest.raises(PolicyError, match="Version must be"):
        parse_policy({"Version": "2012-10-18", "Statement": []}, name="p")


# --------------------------------------------------------------------------------------------------------- equality


def test_equality_ignores_statement_order_value_order_and_whitespace():
    doc = json.loads(OWNER_POLICY)
    shuffled = {
        "Id": "owner-policy",
        "Version": "2012-10-17",
        "Statement": [
            {**doc["Statement"][1], "Action": "s3:PutObject"},
            {**doc["Statement"][0], "Action": ["s3:getobject"]},
        ],
    }
    assert policies_equal(OWNER_POLICY, json.dumps(shuffled, separators=(",", ":")))
    reordered_values = {"Version": "2012-10-17", "Statement": [{**TLS_ONLY, "Resource": TLS_ONLY["Resource"][::-1]}]}
    assert policies_equal({"Version": "2012-10-17", "Statement": [TLS_ONLY]}, reordered_values)


def test_equality_treats_account_id_and_root_arn_principal_as_the_same():
    a = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]}
    b = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
                "Action": "s3:*",
                "Resource": "*",
            }
        ]
    }
    assert policies_equal(a, b)


def test_equality_sees_real_differences():
    base = {"Version": "2012-10-17", "Statement": [TLS_ONLY]}
    assert not policies_equal(base, {"Version": "2012-10-17", "Statement": [{**TLS_ONLY, "Effect": "Allow"}]})
    assert not policies_equal(
        base, {"Version": "2012-10-17", "Statement": [{**TLS_ONLY, "Resource": "arn:aws:s3:::x"}]}
    )
    assert not policies_equal(base, None)
    assert policies_equal(None, "null")


# ------------------------------------------------------------------------------------------------------------ merge


def test_merge_into_no_policy_creates_a_2012_document():
    doc, changes = merge_statements(None, [TLS_ONLY])
    assert doc["Version"] == "2012-10-17"
    assert [s["Sid"] for s in doc["Statement"]] == ["DenyInsecureTransport"]
    assert [c.action for c in changes] == ["added"]
    assert changes.changed


def test_merge_keeps_foreign_statements_byte_equal_after_normalisation():
    before = parse_policy(OWNER_POLICY)
    doc, changes = merge_statements(OWNER_POLICY, [TLS_ONLY])
    assert doc["Statement"][:2] == before["Statement"]
    assert json.dumps(doc["Statement"][:2]) == json.dumps(before["Statement"])
    assert doc["Id"] == "owner-policy"
    assert doc["Version"] == "2012-10-17"
    assert [c.action for c in changes] == ["added"]


def test_merge_keeps_version_of_current_document():
    current = {
        "Version": "2008-10-17",
        "Statement": [{"Sid": "Old", "Effect": "Deny", "Action": "*", "Principal": "*"}],
    }
    doc, _ = merge_statements(current, [TLS_ONLY])
    assert doc["Version"] == "2008-10-17"


def test_merge_of_equal_statement_in_other_spelling_is_unchanged():
    current, _ = merge_statements(OWNER_POLICY, [TLS_ONLY])
    respelled = {**TLS_ONLY, "Action": ["S3:*"], "Resource": TLS_ONLY["Resource"][::-1]}
    doc, changes = merge_statements(dump_policy(current), [respelled])
    assert doc == current
    assert [c.action for c in changes] == ["unchanged"]
    assert not changes.changed


def test_merge_reports_sid_collision_with_different_content_and_does_not_overwrite():
    owners = {**TLS_ONLY, "Resource": "arn:aws:s3:::victim-bucket/*"}
    current = {"Version": "2012-10-17", "Statement": [owners]}
    doc, changes = merge_statements(current, [TLS_ONLY])
    assert doc == parse_policy(current)
    assert [c.sid for c in changes.conflicts] == ["DenyInsecureTransport"]
    assert not changes.changed


def test_merge_raises_sid_conflict_naming_the_sid_when_asked():
    current = {"Version": "2012-10-17", "Statement": [{**TLS_ONLY, "Effect": "Allow"}]}
    with pytest.raises(SidConflict) as err:
        merge_statements(current, [TLS_ONLY], raise_on_conflict=True, name="bucket policy of victim-bucket")
    assert err.value.sid == "DenyInsecureTransport"
    assert "DenyInsecureTransport" in str(err.value)
    assert "victim-bucket" in str(err.value)


def test_merge_overwrites_conflicting_sid_in_place_when_told():
    current, _ = merge_statements(OWNER_POLICY, [{**TLS_ONLY, "Resource": "arn:aws:s3:::victim-bucket/*"}])
    for overwrite in (True, ["DenyInsecureTransport"]):
        doc, changes = merge_statements(current, [TLS_ONLY], overwrite_conflicts=overwrite)
        assert doc["Statement"][:2] == current["Statement"][:2]
        assert doc["Statement"][2]["Resource"] == TLS_ONLY["Resource"]
        assert [c.action for c in changes] == ["replaced"]
    _, changes = merge_statements(current, [TLS_ONLY], overwrite_conflicts=["SomethingElse"])
    assert [c.action for c in changes] == ["conflict"]


def test_merge_absent_removes_only_the_named_sid():
    current, _ = merge_statements(OWNER_POLICY, [TLS_ONLY])
    doc, changes = merge_statements(current, ["DenyInsecureTransport", "NotThere"], state="absent")
    assert doc == parse_policy(OWNER_POLICY)
    assert [c.action for c in changes] == ["removed", "absent"]


def test_removing_the_last_statement_gives_none():
    current = {"Version": "2012-10-17", "Statement": [TLS_ONLY]}
    doc, changes = merge_statements(current, [TLS_ONLY], state="absent")
    assert doc is None
    assert changes.changed


def test_merge_requires_sid_on_requested_statements():
    with pytest.raises(PolicyError, match="needs a non-empty Sid"):
        merge_statements(None, [{"Effect": "Deny", "Action": "*", "Principal": "*"}])


def test_merge_rejects_malformed_current_policy_naming_it():
    with pytest.raises(PolicyError, match=r"bucket policy of victim-bucket.*malformed JSON"):
        merge_statements("{not json", [TLS_ONLY], name="bucket policy of victim-bucket")

"""Standard bucket-policy statement builders, the filters exposing them, and the presigned-URL age cap."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.filter.policy_statements import FilterModule
from ansible_collections.cloudsec.s3.plugins.module_utils import statements as st
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import statement_is_public

RESPONDER = "arn:aws:iam::123456789012:role/incident-responder"
RESOURCES = ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"]


@pytest.mark.parametrize(
    ("statement", "condition"),
    [
        (st.tls_only("acme-data"), {"Bool": {"aws:SecureTransport": ["false"]}}),
        (st.min_tls_version("acme-data", "1.2"), {"NumericLessThan": {"s3:TlsVersion": ["1.2"]}}),
        (st.sigv4_only("acme-data"), {"StringNotEquals": {"s3:signatureversion": ["AWS4-HMAC-SHA256"]}}),
        (st.signature_age("acme-data", 600), {"NumericGreaterThan": {"s3:signatureAge": ["600000"]}}),
    ],
)
def test_deny_statements_cover_bucket_and_objects_with_their_condition(statement, condition):
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Action"] == ["s3:*"] and statement["Resource"] == RESOURCES
    assert statement["Condition"] == condition
    assert parse_policy({"Statement": [statement]})["Statement"][0] == statement  # already normalised


def test_vpce_statement_exempts_responders_so_the_owner_is_not_locked_out():
    statement = st.vpce_only("arn:aws:s3:::acme-data", ["vpce-0a1b2c3d4e5f60718"], [RESPONDER])
    assert statement["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": ["vpce-0a1b2c3d4e5f60718"]},
        "ArnNotLike": {"aws:PrincipalArn": [RESPONDER]},
    }
    with pytest.raises(ValueError, match="exempt_principals must name at least one"):
        st.vpce_only("acme-data", ["vpce-0a1b2c3d4e5f60718"], [])


def test_org_statement_spares_aws_services_and_delegation_is_not_public():
    org = st.org_only("acme-data", "o-a1b2c3d4e5", [RESPONDER])
    assert org["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": ["false"]}
    assert org["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": [RESPONDER]}
    delegation = st.access_point_delegation("acme-data", "123456789012")
    assert delegation["Condition"] == {"StringEquals": {"s3:DataAccessPointAccount": ["123456789012"]}}
    assert statement_is_public(delegation) is False


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: st.tls_only("Bad_Bucket"), "Invalid bucket name 'Bad_Bucket'"),
        (lambda: st.min_tls_version("acme-data", "1.9"), "Invalid minimum TLS version '1.9'"),
        (lambda: st.signature_age("acme-data", 700000), "between 1 and 604800 seconds"),
        (lambda: st.vpce_only("acme-data", ["vpc-123"], [RESPONDER]), "Invalid VPC endpoint id 'vpc-123'"),
        (lambda: st.vpce_only("acme-data", ["vpce-0a1b2c3d"], ["responder"]), "Invalid principal ARN 'responder'"),
        (lambda: st.org_only("acme-data", "org-1"), "Invalid organization id 'org-1'"),
        (lambda: st.access_point_delegation("acme-data", "1234"), "Invalid AWS account id '1234'"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_quarantine_sids_are_protected():
    st.check_not_protected(["CloudsecDenyInsecureTransport"])
    with pytest.raises(ValueError, match="CloudsecQuarantineDenyAll"):
        st.check_not_protected(["CloudsecQuarantineDenyAll"])


def test_merging_builder_output_twice_is_unchanged():
    wanted = list(st.baseline_statements("acme-data", {"tls_only": True, "sigv4_only": True}).values())
    document, changes = merge_statements(None, wanted)
    assert [c.action for c in changes] == ["added", "added"]
    _document, changes = merge_statements(document, wanted)
    assert [c.action for c in changes] == ["unchanged", "unchanged"]


@pytest.mark.parametrize(
    ("condition", "limit"),
    [
        ({"NumericGreaterThan": {"s3:signatureAge": "600000"}}, 600),
        ({"NumericGreaterThanEquals": {"s3:signatureAge": ["600000"]}}, 599),
        ({"NumericGreaterThan": {"s3:signatureage": ["90500"]}}, 90),
        ({"NumericLessThan": {"s3:signatureAge": ["600000"]}}, None),
    ],
)
def test_signature_age_limit_reads_the_tightest_deny(condition, limit):
    policy = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": condition}]}
    assert st.signature_age_limit(policy) == limit
    allow = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Condition": condition}]}
    assert st.signature_age_limit(allow) is None


def test_filters_build_the_same_statements_and_name_bad_input():
    filters = FilterModule().filters()
    assert filters["tls_only_statement"]("acme-data") == st.tls_only("acme-data")
    assert filters["vpce_only_statement"]("acme-data", ["vpce-0a1b2c3d4e5f60718"], [RESPONDER]) == st.vpce_only(
        "acme-data", ["vpce-0a1b2c3d4e5f60718"], [RESPONDER]
    )
    with pytest.raises(AnsibleFilterError, match="signature_age_statement: Invalid maximum signature age"):
        filters["signature_age_statement"]("acme-data", "ten minutes")

"""quarantine.py: the quarantine statement, exemptions and the lock-out check (pure)."""

from __future__ import annotations

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval
from ansible_collections.cloudsec.s3.plugins.module_utils import quarantine as q
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy

ACCOUNT = "123456789012"
BUCKET = "acme-customer-exports"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/ir/incident-responder"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/automation/awx-job-17"
OWNER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}
OBJECT = f"arn:aws:s3:::{BUCKET}/exports/customers.csv"


def quarantined(services=()):
    statement = q.quarantine_statement(BUCKET, "INC-1", [RESPONDER], CALLER, services)
    document, _changes = merge_statements(OWNER, [statement])
    return statement, policy_eval.BucketContext(account_id=ACCOUNT, bucket_policy=document, name=BUCKET)


def decide(bucket, principal, action="s3:GetObject", resource=OBJECT):
    request = policy_eval.Request(principal, action, resource, {"aws:SecureTransport": True})
    return policy_eval.evaluate(request, None, bucket).decision


def test_quarantine_statement_denies_everything_on_bucket_and_objects():
    statement, _ = quarantined()
    assert statement["Sid"] == "CloudsecQuarantineINC1"
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == ["s3:*"]
    assert statement["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    parse_policy({"Version": "2012-10-17", "Statement": [statement]})  # a valid statement


def test_quarantine_denies_anonymous_and_outsiders_even_when_the_owner_made_it_public():
    _, bucket = quarantined()
    assert decide(bucket, "anonymous") == policy_eval.EXPLICIT_DENY
    assert decide(bucket, f"arn:aws:iam::{ACCOUNT}:user/svc-legacy-backup") == policy_eval.EXPLICIT_DENY
    assert decide(bucket, "arn:aws:sts::444455556666:assumed-role/data-sync/sync-01") == policy_eval.EXPLICIT_DENY


def test_quarantine_keeps_responder_sessions_and_the_callers_role():
    _, bucket = quarantined()
    responder_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/incident-responder/alice"
    assert decide(bucket, responder_session) != policy_eval.EXPLICIT_DENY
    other_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/automation/another-session"
    assert decide(bucket, other_session, "s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}") != policy_eval.EXPLICIT_DENY


def test_named_service_principals_are_exempt_and_others_are_not():
    _, bucket = quarantined(["logging.s3.amazonaws.com"])
    assert decide(bucket, "logging.s3.amazonaws.com", "s3:PutObject") != policy_eval.EXPLICIT_DENY
    assert decide(bucket, "cloudtrail.amazonaws.com", "s3:PutObject") == policy_eval.EXPLICIT_DENY


def test_lockout_check_reports_a_caller_left_out_of_the_exemptions():
    statement = q.quarantine_statement(BUCKET, "INC-1", [RESPONDER], None)
    document, _ = merge_statements(OWNER, [statement])
    problems = q.lockout_problems(document, BUCKET, ACCOUNT, [CALLER, RESPONDER], statement["Sid"])
    assert len(problems) == 1 and CALLER in problems[0]
    statement = q.quarantine_statement(BUCKET, "INC-1", [RESPONDER], CALLER)
    document, _ = merge_statements(OWNER, [statement])
    assert q.lockout_problems(document, BUCKET, ACCOUNT, [CALLER, RESPONDER], statement["Sid"]) == []


def test_exemption_patterns_cover_paths_sessions_and_root():
    assert q.exemption_patterns(f"arn:aws:iam::{ACCOUNT}:user/ops/alice") == [
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:user/*/alice",
    ]
    assert q.exemption_patterns(CALLER)[0] == f"arn:aws:iam::{ACCOUNT}:role/automation"
    assert q.exemption_patterns(f"arn:aws:iam::{ACCOUNT}:root") == [f"arn:aws:iam::{ACCOUNT}:root"]
    with pytest.raises(ValueError, match="not-an-arn"):
        q.exemption_patterns("not-an-arn")


def test_empty_responders_are_refused_unless_allowed():
    with pytest.raises(ValueError, match="responder_principals is empty"):
        q.validate_responders([], allow_empty=False)
    assert q.validate_responders([], allow_empty=True) == []
    with pytest.raises(ValueError, match="alice"):
        q.validate_responders(["alice"], allow_empty=False)


def test_same_principal_treats_a_session_as_its_role():
    assert q.same_principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/incident-responder/bob", RESPONDER)
    assert not q.same_principal(f"arn:aws:iam::{ACCOUNT}:role/app-ingest", RESPONDER)
    assert q.same_principal(f"arn:aws:iam::{ACCOUNT}:user/x", f"arn:aws:iam::{ACCOUNT}:user/*")


def test_revoke_sessions_policy_uses_token_issue_time_cutoff():
    cutoff = q.format_cutoff("2026-11-29T21:40:00+01:00")
    assert cutoff == "2026-11-29T20:40:00Z"
    statement = q.revoke_sessions_policy(cutoff)["Statement"][0]
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": [cutoff]}}
    with pytest.raises(ValueError, match="yesterday"):
        q.format_cutoff("yesterday")


def test_incident_id_is_validated_and_reduced_for_the_sid():
    assert q.quarantine_sid("INC-2026.0042_a") == "CloudsecQuarantineINC20260042a"
    with pytest.raises(ValueError, match="incident_id"):
        q.validate_incident_id("../etc")

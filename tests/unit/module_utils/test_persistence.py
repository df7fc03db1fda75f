"""persistence.py: which IAM changes of the timeline are removable, and where a role's earlier trust comes from."""

from __future__ import annotations

import datetime
import json

import botocore.exceptions
from ansible_collections.cloudsec.s3.plugins.module_utils import persistence as p

ACCOUNT = "123456789012"
ATTACKER = f"arn:aws:iam::{ACCOUNT}:user/ops-admin"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/platform-admin"
NOW = datetime.datetime(2026, 11, 29, 22, 0, tzinfo=datetime.timezone.utc)
TRUST_BEFORE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}],
}


class NoListingIam:
    """An IAM client whose ListUsers is denied: the sweep then relies on the timeline alone."""

    def get_paginator(self, operation):
        raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)


def event(name, hours_ago, actor, **request):
    return {
        "eventTime": (NOW - datetime.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventName": name,
        "userIdentity": {"arn": actor},
        "requestParameters": request,
    }


def sweep(timeline, suspects=(ATTACKER,)):
    params = {
        "timeline": timeline,
        "suspected_principals": list(suspects),
        "window_start": (NOW - datetime.timedelta(days=2)).isoformat(),
        "window_end": NOW.isoformat(),
    }
    out = p.Sweep(None, None, NoListingIam(), None, "acme-finance-ledgers", ACCOUNT, params)
    out.sweep_iam()
    return {f["kind"]: f for f in out.findings}


def test_suspects_changes_are_removable_and_trust_prior_comes_from_an_earlier_event_by_someone_else():
    found = sweep(
        [
            event("CreateRole", 24 * 30, ADMIN, roleName="app", assumeRolePolicyDocument=json.dumps(TRUST_BEFORE)),
            event("UpdateAssumeRolePolicy", 5, ATTACKER, roleName="app", policyDocument='{"Statement": []}'),
            event(
                "AttachRolePolicy", 4, ATTACKER, roleName="app", policyArn="arn:aws:iam::aws:policy/AdministratorAccess"
            ),
            event("CreateUser", 3, ADMIN, userName="not-by-a-suspect"),
        ]
    )
    assert set(found) == {"iam_role_trust_changed", "iam_policy_attached"}
    trust = found["iam_role_trust_changed"]
    assert trust["removable"] and trust["prior_trust_policy"] == TRUST_BEFORE and "command" not in trust
    attached = found["iam_policy_attached"]
    assert attached["removable"] and attached["change"] == "managed_policy" and attached["entity_name"] == "app"


def test_trust_prior_written_by_the_suspect_is_not_trusted_and_the_command_is_given():
    found = sweep(
        [
            event("UpdateAssumeRolePolicy", 30, ATTACKER, roleName="app", policyDocument=json.dumps(TRUST_BEFORE)),
            event("UpdateAssumeRolePolicy", 5, ATTACKER, roleName="app", policyDocument='{"Statement": []}'),
        ]
    )
    trust = found["iam_role_trust_changed"]
    assert not trust["removable"] and "--role-name app" in trust["command"]


def test_without_suspects_iam_changes_are_listed_but_only_access_keys_are_removable():
    found = sweep(
        [
            event("CreateUser", 3, ADMIN, userName="new-hire"),
            {
                **event("CreateAccessKey", 2, ADMIN, userName="new-hire"),
                "responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLEKEY000001", "userName": "new-hire"}},
            },
        ],
        suspects=(),
    )
    assert (
        not found["iam_user_created"]["removable"] and "no suspected_principals" in found["iam_user_created"]["detail"]
    )
    assert found["iam_access_key_created"]["removable"]

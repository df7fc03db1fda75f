# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GuardDuty findings of several accounts: the sandbox account sees all of them (delegated administrator), a
member account's credentials see only that account's."""

from __future__ import annotations

import boto3
import pytest

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import clients

pytestmark = pytest.mark.sandbox


def _member_account(sandbox):
    """A member account of an organization of the sandbox account."""
    org = sandbox.client("organizations")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
    return status["AccountId"]


def _member_client(sandbox, service, member):
    """A client with long-term keys of an IAM user of the member account (moto maps the key id to its account)."""
    iam = clients.client(sandbox.endpoint, "iam")  # its own client: sandbox.client() ones are shared between tests
    iam.meta.events.register(
        "before-sign.iam.*", lambda request, **_: request.headers.add_header("x-moto-account-id", member)
    )
    iam.create_user(UserName="member-responder")
    key = iam.create_access_key(UserName="member-responder")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )
    return session.client(service, endpoint_url=sandbox.endpoint)


def test_findings_keep_their_account_and_members_see_only_their_own(sandbox, wire_finding):
    member_id = _member_account(sandbox)
    sandbox.seed(
        {
            "guardduty_findings": [
                wire_finding(id="f-admin"),
                wire_finding(id="f-member", accountId=member_id),
                wire_finding(id="f-replayed", accountId="999988887777"),  # not in the organization
            ]
        }
    )
    admin = sandbox.client("guardduty")
    (admin_detector,) = admin.list_detectors()["DetectorIds"]
    ids = admin.list_findings(DetectorId=admin_detector)["FindingIds"]
    assert sorted(ids) == ["f-admin", "f-member", "f-replayed"]
    found = {f["Id"]: f for f in admin.get_findings(DetectorId=admin_detector, FindingIds=ids)["Findings"]}
    assert found["f-admin"]["AccountId"] == ACCOUNT_ID and found["f-replayed"]["AccountId"] == ACCOUNT_ID
    assert found["f-member"]["AccountId"] == member_id
    assert f":{member_id}:detector/" in found["f-member"]["Arn"]

    member = _member_client(sandbox, "guardduty", member_id)
    (member_detector,) = member.list_detectors()["DetectorIds"]
    assert member_detector != admin_detector
    assert member.list_findings(DetectorId=member_detector)["FindingIds"] == ["f-member"]
    assert [
        f["Id"]
        for f in member.get_findings(DetectorId=member_detector, FindingIds=["f-admin", "f-member", "f-replayed"])[
            "Findings"
        ]
    ] == ["f-member"]
    with pytest.raises(member.exceptions.BadRequestException):
        member.list_findings(DetectorId=admin_detector)  # not the member's detector


def test_seeded_account_id_must_be_twelve_digits(sandbox, wire_finding):
    from sandbox.clients import ControlError

    with pytest.raises(ControlError, match="\"accountId\" 'acme' is not a 12-digit account id"):
        sandbox.seed({"guardduty_findings": [wire_finding(accountId="acme")]})

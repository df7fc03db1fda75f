# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeded organization and the AssumeRole checks the sandbox adds to moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox import ACCOUNT_ID
from sandbox import organization


def test_assumed_role_works_in_the_member_account_and_a_missing_role_or_wrong_external_id_is_refused(
    sandbox: Any,
) -> None:
    org = organization.seed_organization(
        sandbox.endpoint,
        {"accounts": 2, "buckets_per_account": 3, "suspended": [], "unassumable": [1], "external_id": "xid-7"},
    )
    member, unassumable = org["accounts"]
    assert org["management_account_id"] == ACCOUNT_ID and member["ou_path"] == "Root/Workloads/Prod"
    sts = sandbox.client("sts")
    with pytest.raises(ClientError, match=r"AccessDenied.*ExternalId"):
        sts.assume_role(RoleArn=member["role_arn"], RoleSessionName="no-external-id")
    with pytest.raises(ClientError, match=rf"AccessDenied.*{unassumable['role_arn']}.*does not exist"):
        sts.assume_role(RoleArn=unassumable["role_arn"], RoleSessionName="probe", ExternalId="xid-7")
    creds = sts.assume_role(RoleArn=member["role_arn"], RoleSessionName="probe", ExternalId="xid-7")["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    assert session.client("sts", endpoint_url=sandbox.endpoint).get_caller_identity()["Account"] == member["id"]
    s3 = session.client("s3", endpoint_url=sandbox.endpoint)
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == member["buckets"]
    public, unencrypted, hardened = member["buckets"]
    assert '"Principal": "*"' in s3.get_bucket_policy(Bucket=public)["Policy"]
    assert s3.get_bucket_versioning(Bucket=unencrypted).get("Status") is None
    assert s3.get_bucket_versioning(Bucket=hardened)["Status"] == "Enabled"
    assert sandbox.client("s3").list_buckets()["Buckets"] == []  # nothing landed in the management account
    with pytest.raises(organization.OrganizationSeedError, match="already has an organization"):
        organization.seed_organization(sandbox.endpoint)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"accounts": -1}, "spec.accounts: expected a whole number >= 0"),
        ({"accounts": 2, "unassumable": [2]}, r"spec.unassumable: indexes \[2\] out of range for 2"),
        ({"acounts": 2}, r"unknown keys \['acounts'\]"),
        ({"external_id": ""}, "spec.external_id: expected a non-empty string"),
    ],
)
def test_bad_spec_names_the_key(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(organization.OrganizationSeedError, match=message):
        organization.normalise_spec(spec)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seed an AWS Organization into a running sandbox: OUs, member accounts, their responder role and buckets.

moto keeps one backend per account and hands out, for ``sts:AssumeRole``, credentials that belong to the
role's account: S3 and IAM calls made with them land in that member account. moto also creates
``OrganizationAccountAccessRole`` in every account it creates, so the seeder works inside each member
account through that role, as an administrator of a real organization would.

moto answers AssumeRole even for a role that does not exist; the sandbox refuses that (``sandbox/sts_guard.py``),
so an account seeded without the responder role (``spec={"unassumable": [i]}``) really cannot be assumed.

``seed_organization(endpoint, spec)`` with ``spec`` (every key optional):

* ``accounts``: number of member accounts (default 3);
* ``buckets_per_account``: buckets in every member account (default 2);
* ``prefix``: bucket name prefix, buckets are ``<prefix>-<account_id>-<i>`` (default ``org``);
* ``suspended``: indexes of member accounts closed after seeding, so their status is SUSPENDED
  (default: the last account when there are at least 2, else none; ``[]`` keeps every account ACTIVE);
* ``unassumable``: indexes of member accounts seeded without the responder role (default none);
* ``external_id``: when set, the responder role's trust policy requires this ``sts:ExternalId``;
* ``role_name``: the responder role (default ``cloudsec-s3-responder``);
* ``workers``: threads used for the per-account work (default 8).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.config

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import clients

ROLE_NAME = "cloudsec-s3-responder"
ADMIN_ROLE = "OrganizationAccountAccessRole"
OU_PATHS = ("Root/Security", "Root/Workloads", "Root/Workloads/Prod", "Root/Workloads/Dev")
# member account i goes to PLACEMENT[i % 3]: (OU path, name stem, env tag)
PLACEMENT = (
    ("Root/Workloads/Prod", "prod", "prod"),
    ("Root/Workloads/Dev", "dev", "dev"),
    ("Root/Security", "security", "security"),
)
TEAMS = ("payments", "platform", "data")
# bucket i of an account gets PROFILES[i % 3]; every profile except "hardened" drifts from the baseline
PROFILES = ("public", "unencrypted", "hardened")
SPEC_KEYS = {
    "accounts",
    "buckets_per_account",
    "prefix",
    "suspended",
    "unassumable",
    "external_id",
    "role_name",
    "workers",
}


class OrganizationSeedError(RuntimeError):
    """The organization cannot be seeded as asked; the message says why."""


def _int(spec: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OrganizationSeedError(f"spec.{key}: expected a whole number >= {minimum}, got {value!r}")
    return value


def _indexes(spec: dict[str, Any], key: str, default: list[int], count: int) -> list[int]:
    value = spec.get(key, default)
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise OrganizationSeedError(f"spec.{key}: expected a list of member account indexes, got {value!r}")
    bad = [i for i in value if not 0 <= i < count]
    if bad:
        raise OrganizationSeedError(f"spec.{key}: indexes {bad} out of range for {count} member accounts")
    return sorted(set(value))


def normalise_spec(spec: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``spec`` and fill in the defaults; raises OrganizationSeedError naming the bad key."""
    spec = dict(spec or {})
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise OrganizationSeedError(f"spec: unknown keys {unknown} (allowed: {', '.join(sorted(SPEC_KEYS))})")
    count = _int(spec, "accounts", 3, 0)
    out = {
        "accounts": count,
        "buckets_per_account": _int(spec, "buckets_per_account", 2, 0),
        "workers": _int(spec, "workers", 8, 1),
        "suspended": _indexes(spec, "suspended", [count - 1] if count >= 2 else [], count),
        "unassumable": _indexes(spec, "unassumable", [], count),
    }
    for key, default in (("prefix", "org"), ("role_name", ROLE_NAME)):
        value = spec.get(key, default)
        if not isinstance(value, str) or not value:
            raise OrganizationSeedError(f"spec.{key}: expected a non-empty string, got {value!r}")
        out[key] = value
    external_id = spec.get("external_id")
    if external_id is not None and (not isinstance(external_id, str) or not external_id):
        raise OrganizationSeedError(f"spec.external_id: expected a non-empty string, got {external_id!r}")
    out["external_id"] = external_id
    return out


def trust_policy(management_account_id: str, external_id: str | None = None) -> dict[str, Any]:
    """The responder role's trust policy: the management account may assume it (with the ExternalId if given)."""
    statement: dict[str, Any] = {
        "Sid": "TrustManagementAccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{management_account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _member_clients(endpoint: str, shared: boto3.session.Session, sts: Any, account_id: str) -> dict[str, Any]:
    """IAM and S3 clients inside ``account_id`` through moto's OrganizationAccountAccessRole.

    Every client comes from one shared boto3 session, so the service models are loaded once (a new session per
    account costs about a second); create them in one thread, use them from many.
    """
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}", RoleSessionName="sandbox-org-seed")[
        "Credentials"
    ]
    keys = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    cfg = botocore.config.Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=16)
    return {service: shared.client(service, endpoint_url=endpoint, config=cfg, **keys) for service in ("iam", "s3")}


def _public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def _seed_bucket(s3: Any, name: str, profile: str) -> None:
    s3.create_bucket(Bucket=name)
    if profile == "public":
        s3.put_object(Bucket=name, Key="README.txt", Body=b"seeded by sandbox.organization\n")
        s3.put_bucket_policy(Bucket=name, Policy=_public_policy(name))
    elif profile == "hardened":  # moto leaves a new bucket without default encryption or versioning
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


def _seed_role(iam: Any, spec: dict[str, Any], management: str) -> None:
    iam.create_role(
        RoleName=spec["role_name"],
        AssumeRolePolicyDocument=json.dumps(trust_policy(management, spec["external_id"])),
        Description="cloudsec.s3 responder: assumed by the management account (sandbox)",
    )
    iam.attach_role_policy(RoleName=spec["role_name"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def _existing_organization(org: Any) -> str | None:
    try:
        return org.describe_organization()["Organization"]["Id"]
    except org.exceptions.AWSOrganizationsNotInUseException:
        return None


def seed_organization(endpoint: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create the organization, OUs, member accounts, responder roles and buckets; return what was made.

    Raises OrganizationSeedError for a bad ``spec`` or when the sandbox already has an organization
    (reset it first: ``python -m sandbox reset``).
    """
    spec = normalise_spec(spec)
    org = clients.client(endpoint, "organizations")
    existing = _existing_organization(org)
    if existing:
        raise OrganizationSeedError(
            f"the sandbox already has an organization ({existing}); reset it first (python -m sandbox reset)"
        )
    organization = org.create_organization(FeatureSet="ALL")["Organization"]
    management = organization["MasterAccountId"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    ous = {"Root": root_id}
    for path in OU_PATHS:
        parent, name = path.rsplit("/", 1)
        ous[path] = org.create_organizational_unit(ParentId=ous[parent], Name=name)["OrganizationalUnit"]["Id"]
    # the management account's own responder role, so the inventory's management host can be assumed too
    iam = clients.client(endpoint, "iam")
    iam.create_role(
        RoleName=spec["role_name"],
        AssumeRolePolicyDocument=json.dumps(trust_policy(management, spec["external_id"])),
        Description="cloudsec.s3 responder (sandbox management account)",
    )

    accounts: list[dict[str, Any]] = []
    for i in range(spec["accounts"]):
        ou_path, stem, env = PLACEMENT[i % len(PLACEMENT)]
        name = f"{stem}-{i + 1:02d}"
        tags = {"env": env, "team": TEAMS[i % len(TEAMS)]}
        status = org.create_account(
            AccountName=name,
            Email=f"{name}@example.com",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["CreateAccountStatus"]
        account_id = status["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ous[ou_path])
        buckets = [f"{spec['prefix']}-{account_id}-{b}" for b in range(spec["buckets_per_account"])]
        accounts.append(
            {
                "id": account_id,
                "name": name,
                "email": f"{name}@example.com",
                "status": "ACTIVE",
                "ou_path": ou_path,
                "ou_id": ous[ou_path],
                "tags": tags,
                "role_arn": f"arn:aws:iam::{account_id}:role/{spec['role_name']}",
                "assumable": i not in spec["unassumable"],
                "buckets": buckets,
                "bucket_profiles": {b: PROFILES[n % len(PROFILES)] for n, b in enumerate(buckets)},
            }
        )

    shared = boto3.session.Session(region_name=REGION)
    sts = clients.client(endpoint, "sts")
    jobs: list[tuple[Any, ...]] = []
    for account in accounts:
        member = _member_clients(endpoint, shared, sts, account["id"])
        if account["assumable"]:
            jobs.append((_seed_role, member["iam"], spec, management))
        jobs.extend((_seed_bucket, member["s3"], name, profile) for name, profile in account["bucket_profiles"].items())
    with ThreadPoolExecutor(max_workers=spec["workers"]) as pool:
        for future in [pool.submit(*job) for job in jobs]:
            future.result()

    for i in spec["suspended"]:
        org.close_account(AccountId=accounts[i]["id"])
        accounts[i]["status"] = org.describe_account(AccountId=accounts[i]["id"])["Account"]["Status"]

    return {
        "management_account_id": management,
        "organization_id": organization["Id"],
        "root_id": root_id,
        "ous": ous,
        "accounts": accounts,
        "role_name": spec["role_name"],
        "external_id": spec["external_id"],
    }


__all__ = ["ACCOUNT_ID", "OrganizationSeedError", "normalise_spec", "seed_organization", "trust_policy"]

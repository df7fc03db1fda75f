# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the security-relevant configuration of S3 buckets, normalised to snake_case.

Each section is read with one (or a few) retried API calls. "Not configured" answers (NoSuchBucketPolicy,
NoSuchPublicAccessBlockConfiguration …) become ``None``; any other error of one section (AccessDenied on
GetBucketReplication, say) is recorded in the bucket's ``errors`` and does not stop the other sections or buckets.
A bucket that does not exist raises ``CloudsecError`` naming it.

The functions take boto3 clients wrapped by amazon.aws's RetryingBotoClientWrapper (``aws_retry=True``); they do not
import Ansible, so the evidence and baseline code reuse them from threads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import error_code
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate_tokens

ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"

MISSING_BUCKET_CODES = ("NoSuchBucket", "404", "NotFound")

# section name -> error codes that mean "this configuration is not set"
ABSENT_CODES: dict[str, tuple[str, ...]] = {
    "public_access_block": ("NoSuchPublicAccessBlockConfiguration",),
    "policy": ("NoSuchBucketPolicy",),
    "policy_status": ("NoSuchBucketPolicy",),
    "ownership_controls": ("OwnershipControlsNotFoundError",),
    "encryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "object_lock": ("ObjectLockConfigurationNotFoundError",),
    "replication": ("ReplicationConfigurationNotFoundError",),
    "website": ("NoSuchWebsiteConfiguration",),
    "cors": ("NoSuchCORSConfiguration",),
    "lifecycle": ("NoSuchLifecycleConfiguration",),
    "tags": ("NoSuchTagSet",),
    "access_points": ("NoSuchAccessPointPolicy",),
    "acl": (),
    "versioning": (),
    "logging": (),
    "notifications": (),
}

SECTIONS: tuple[str, ...] = (
    "public_access_block",
    "policy",
    "policy_status",
    "acl",
    "ownership_controls",
    "encryption",
    "versioning",
    "object_lock",
    "logging",
    "replication",
    "website",
    "cors",
    "lifecycle",
    "notifications",
    "tags",
    "access_points",
)


def normalize_public_access_block(config: dict[str, Any] | None) -> dict[str, bool] | None:
    if config is None:
        return None
    return {
        "block_public_acls": bool(config.get("BlockPublicAcls", False)),
        "ignore_public_acls": bool(config.get("IgnorePublicAcls", False)),
        "block_public_policy": bool(config.get("BlockPublicPolicy", False)),
        "restrict_public_buckets": bool(config.get("RestrictPublicBuckets", False)),
    }


def normalize_grantee(grantee: dict[str, Any]) -> dict[str, Any]:
    out = {
        "type": grantee.get("Type"),
        "id": grantee.get("ID"),
        "uri": grantee.get("URI"),
        "display_name": grantee.get("DisplayName"),
        "email_address": grantee.get("EmailAddress"),
    }
    return {k: v for k, v in out.items() if v is not None}


def normalize_acl(acl: dict[str, Any]) -> dict[str, Any]:
    owner = acl.get("Owner") or {}
    grants = [
        {"grantee": normalize_grantee(g.get("Grantee") or {}), "permission": g.get("Permission")}
        for g in acl.get("Grants") or []
    ]
    public = [g for g in grants if g["grantee"].get("uri") in (ALL_USERS_URI, AUTHENTICATED_USERS_URI)]
    return {
        "owner": {"id": owner.get("ID"), "display_name": owner.get("DisplayName")},
        "grants": grants,
        "public_grants": public,
    }


def normalize_encryption(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    rules = []
    for rule in config.get("Rules") or []:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        rules.append(
            {
                "sse_algorithm": default.get("SSEAlgorithm"),
                "kms_master_key_id": default.get("KMSMasterKeyID"),
                "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False)),
            }
        )
    return {"rules": rules}


def normalize_versioning(resp: dict[str, Any]) -> dict[str, str]:
    # A bucket that was never versioned has no Status at all; we call that "Disabled".
    return {"status": resp.get("Status") or "Disabled", "mfa_delete": resp.get("MFADelete") or "Disabled"}


def normalize_object_lock(config: dict[str, Any] | None) -> dict[str, Any]:
    if not config:
        return {"enabled": False, "default_retention": None}
    retention = (config.get("Rule") or {}).get("DefaultRetention")
    return {
        "enabled": config.get("ObjectLockEnabled") == "Enabled",
        "default_retention": (
            {"mode": retention.get("Mode"), "days": retention.get("Days"), "years": retention.get("Years")}
            if retention
            else None
        ),
    }


def normalize_logging(resp: dict[str, Any]) -> dict[str, Any] | None:
    enabled = resp.get("LoggingEnabled")
    if not enabled:
        return None
    return {
        "target_bucket": enabled.get("TargetBucket"),
        "target_prefix": enabled.get("TargetPrefix", ""),
        "target_grants": [
            {"grantee": normalize_grantee(g.get("Grantee") or {}), "permission": g.get("Permission")}
            for g in enabled.get("TargetGrants") or []
        ],
    }


def normalize_notifications(resp: dict[str, Any]) -> dict[str, Any]:
    targets = []
    for key, kind, arn_key in (
        ("TopicConfigurations", "sns", "TopicArn"),
        ("QueueConfigurations", "sqs", "QueueArn"),
        ("LambdaFunctionConfigurations", "lambda", "LambdaFunctionArn"),
    ):
        for conf in resp.get(key) or []:
            targets.append({"type": kind, "arn": conf.get(arn_key), "id": conf.get("Id"), "events": conf.get("Events")})
    return {"targets": targets, "eventbridge": "EventBridgeConfiguration" in resp}


def snake(value: Any) -> Any:
    """CamelCase keys to snake_case, recursively (values untouched)."""
    if isinstance(value, dict):
        return {_snake_key(k): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def _snake_key(key: str) -> str:
    out = []
    for i, ch in enumerate(key):
        if ch.isupper() and i and (not key[i - 1].isupper() or (i + 1 < len(key) and key[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def parse_policy_text(text: str | None, bucket: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CloudsecError(f"The bucket policy of {bucket} is not valid JSON: {exc}", bucket=bucket) from exc


def bucket_region(s3: Any, bucket: str) -> str:
    constraint = s3.get_bucket_location(aws_retry=True, Bucket=bucket).get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


class _Reader:
    """Reads the sections of one bucket, collecting per-section errors."""

    def __init__(self, s3: Any, s3control: Any | None, account_id: str | None, bucket: str) -> None:
        self.s3 = s3
        self.s3control = s3control
        self.account_id = account_id
        self.bucket = bucket
        self.errors: dict[str, str] = {}

    def read(self, section: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except botocore_errors() as exc:
            code = error_code(exc)
            if code in ABSENT_CODES.get(section, ()):
                return None
            if code in MISSING_BUCKET_CODES:
                raise CloudsecError(f"Bucket {self.bucket} does not exist", bucket=self.bucket, exception=exc) from exc
            self.errors[section] = describe_client_error(exc)
            return None

    # one method per section ------------------------------------------------------------------------------
    def public_access_block(self) -> Any:
        resp = self.s3.get_public_access_block(aws_retry=True, Bucket=self.bucket)
        return normalize_public_access_block(resp.get("PublicAccessBlockConfiguration"))

    def policy(self) -> Any:
        return self.s3.get_bucket_policy(aws_retry=True, Bucket=self.bucket).get("Policy")

    def policy_status(self) -> Any:
        status = self.s3.get_bucket_policy_status(aws_retry=True, Bucket=self.bucket).get("PolicyStatus") or {}
        return {"is_public": bool(status.get("IsPublic", False))}

    def acl(self) -> Any:
        return normalize_acl(self.s3.get_bucket_acl(aws_retry=True, Bucket=self.bucket))

    def ownership_controls(self) -> Any:
        resp = self.s3.get_bucket_ownership_controls(aws_retry=True, Bucket=self.bucket)
        rules = (resp.get("OwnershipControls") or {}).get("Rules") or []
        return rules[0].get("ObjectOwnership") if rules else None

    def encryption(self) -> Any:
        resp = self.s3.get_bucket_encryption(aws_retry=True, Bucket=self.bucket)
        return normalize_encryption(resp.get("ServerSideEncryptionConfiguration"))

    def versioning(self) -> Any:
        return normalize_versioning(self.s3.get_bucket_versioning(aws_retry=True, Bucket=self.bucket))

    def object_lock(self) -> Any:
        resp = self.s3.get_object_lock_configuration(aws_retry=True, Bucket=self.bucket)
        return normalize_object_lock(resp.get("ObjectLockConfiguration"))

    def logging(self) -> Any:
        return normalize_logging(self.s3.get_bucket_logging(aws_retry=True, Bucket=self.bucket))

    def replication(self) -> Any:
        resp = self.s3.get_bucket_replication(aws_retry=True, Bucket=self.bucket)
        return snake(resp.get("ReplicationConfiguration"))

    def website(self) -> Any:
        resp = self.s3.get_bucket_website(aws_retry=True, Bucket=self.bucket)
        return snake({k: v for k, v in resp.items() if k != "ResponseMetadata"})

    def cors(self) -> Any:
        return snake(self.s3.get_bucket_cors(aws_retry=True, Bucket=self.bucket).get("CORSRules"))

    def lifecycle(self) -> Any:
        return snake(self.s3.get_bucket_lifecycle_configuration(aws_retry=True, Bucket=self.bucket).get("Rules"))

    def notifications(self) -> Any:
        resp = self.s3.get_bucket_notification_configuration(aws_retry=True, Bucket=self.bucket)
        return normalize_notifications(resp)

    def tags(self) -> Any:
        tag_set = self.s3.get_bucket_tagging(aws_retry=True, Bucket=self.bucket).get("TagSet") or []
        return {t["Key"]: t["Value"] for t in tag_set}

    def _get_access_point(self, operation: str, name: str) -> Any:
        return getattr(self.s3control, operation)(aws_retry=True, AccountId=self.account_id, Name=name)

    def access_points(self) -> Any:
        if self.s3control is None or not self.account_id:
            return None
        listed = paginate_tokens(
            self.s3control, "list_access_points", "AccessPointList", AccountId=self.account_id, Bucket=self.bucket
        )
        points = []
        for ap in listed:
            entry = {
                "name": ap.get("Name"),
                "arn": ap.get("AccessPointArn"),
                "alias": ap.get("Alias"),
                "network_origin": ap.get("NetworkOrigin"),
                "vpc_id": (ap.get("VpcConfiguration") or {}).get("VpcId"),
                "public_access_block": None,
                "policy": None,
            }
            name = ap.get("Name")
            detail = self.read("access_points", partial(self._get_access_point, "get_access_point", name))
            if detail:
                entry["public_access_block"] = normalize_public_access_block(
                    detail.get("PublicAccessBlockConfiguration")
                )
            policy = self.read("access_points", partial(self._get_access_point, "get_access_point_policy", name))
            if policy and policy.get("Policy"):
                try:
                    entry["policy"] = json.loads(policy["Policy"])
                except ValueError:
                    entry["policy"] = policy["Policy"]
            points.append(entry)
        return points


def gather_bucket(
    s3: Any,
    bucket: str,
    *,
    s3control: Any | None = None,
    account_id: str | None = None,
    sections: tuple[str, ...] | list[str] = SECTIONS,
) -> dict[str, Any]:
    """Everything security-relevant about one bucket (see the s3_bucket_security_info RETURN docs)."""
    reader = _Reader(s3, s3control, account_id, bucket)
    result: dict[str, Any] = {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    # The location call doubles as the existence check: a missing bucket fails here, naming it.
    result["region"] = reader.read("region", lambda: bucket_region(s3, bucket))
    for section in sections:
        value = reader.read(section, getattr(reader, section))
        if section == "policy":
            result["policy_text"] = value
            try:
                result["policy"] = parse_policy_text(value, bucket)
            except CloudsecError as exc:
                result["policy"] = None
                reader.errors["policy"] = exc.message
        else:
            result[section] = value
    if "versioning" in sections and result.get("versioning") is None and "versioning" not in reader.errors:
        result["versioning"] = normalize_versioning({})
    if "object_lock" in sections and result.get("object_lock") is None and "object_lock" not in reader.errors:
        result["object_lock"] = normalize_object_lock(None)
    if "tags" in sections and result.get("tags") is None and "tags" not in reader.errors:
        result["tags"] = {}
    result["errors"] = reader.errors
    return jsonable(result)


def list_buckets(s3: Any) -> list[dict[str, Any]]:
    """Name and creation date of every bucket the credentials can list."""
    resp = s3.list_buckets(aws_retry=True)
    return [{"name": b["Name"], "creation_date": b.get("CreationDate")} for b in resp.get("Buckets") or []]


def account_public_access_block(s3control: Any, account_id: str) -> tuple[dict[str, bool] | None, str | None]:
    """Account-level Block Public Access: (settings or None when not set, error text or None)."""
    try:
        resp = s3control.get_public_access_block(aws_retry=True, AccountId=account_id)
    except botocore_errors() as exc:
        if error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return None, None
        return None, describe_client_error(exc)
    return normalize_public_access_block(resp.get("PublicAccessBlockConfiguration")), None


def gather_buckets(
    s3: Any,
    buckets: list[str],
    *,
    s3control: Any | None = None,
    account_id: str | None = None,
    sections: tuple[str, ...] | list[str] = SECTIONS,
    max_workers: int = 8,
    missing_ok: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Gather many buckets concurrently. Returns (results in input order, {bucket: error} for failed buckets).

    With ``missing_ok`` false a missing bucket raises CloudsecError naming it (after the others finished).
    """

    def one(name: str) -> tuple[str, dict[str, Any] | None, CloudsecError | None]:
        try:
            return name, gather_bucket(s3, name, s3control=s3control, account_id=account_id, sections=sections), None
        except CloudsecError as exc:
            return name, None, exc

    workers = max(1, min(max_workers, len(buckets) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, buckets))
    results = [result for _name, result, _exc in outcomes if result is not None]
    failures = {name: exc.message for name, _result, exc in outcomes if exc is not None}
    if failures and not missing_ok:
        ordered = sorted(failures)
        message = (
            failures[ordered[0]]
            if len(ordered) == 1
            else f"{len(ordered)} buckets could not be read: " + ("; ".join(failures[n] for n in ordered))
        )
        raise CloudsecError(message, buckets=ordered)
    return results, failures

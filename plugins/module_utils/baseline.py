# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 hardening baseline: control catalogue, exceptions, and audit / enforcement of many buckets.

``run_baseline(clients, buckets, settings, check_mode=...)`` reads each bucket's configuration for every enabled
control, decides per control whether it is compliant, and (outside check mode) writes only what drifted. Buckets
run in a thread pool of ``settings.max_workers``; the clients are amazon.aws retrying wrappers (``aws_retry=True``
retries throttling with jittered backoff). One bucket failing (missing, AccessDenied on a control, a rejected
write) is reported in that bucket's entry and never stops the others.

Account-wide reads happen once per run, not once per bucket: the access-point inventory, the IAM policies that
grant wildcard S3 access, and the CloudTrail trail's event selectors. S3 data events for all drifting buckets are
added with a single ``PutEventSelectors`` after the buckets are done, merging into the trail's existing advanced
event selectors (basic selectors are converted to their advanced equivalent first, never dropped).

Control result: ``{status, fsbp, cis, detail}`` plus ``before`` / ``after`` when a change was (or would be) made.
Status is ``compliant``, ``changed``, ``would_change`` (check mode), ``excepted`` (with the reason in detail),
``non_compliant`` (report-only controls, and policy Sids that collide with an owner's statement of different
content, which are left alone unless ``overwrite_conflicts``) or ``failed`` (with the error in detail).

No Ansible imports: the module, the benchmark and the tests drive it directly.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import error_code
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate_tokens
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import normalize_public_access_block
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import STATEMENT_CONTROLS
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import baseline_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import check_not_protected

COMPLIANT = "compliant"
CHANGED = "changed"
WOULD_CHANGE = "would_change"
EXCEPTED = "excepted"
NON_COMPLIANT = "non_compliant"
FAILED = "failed"
STATUSES = (COMPLIANT, CHANGED, WOULD_CHANGE, EXCEPTED, NON_COMPLIANT, FAILED)

MISSING_BUCKET_CODES = ("NoSuchBucket", "404", "NotFound")
DATA_EVENTS_SELECTOR = "cloudsec-s3-data-events"
LIFECYCLE_RULE_ID = "cloudsec-noncurrent-versions"
DEFAULT_EXCEPTION_TAG = "cloudsec:baseline-exception"
DEFAULT_EXCEPTION_PROFILES: dict[str, dict[str, Any]] = {
    "public-website": {
        "controls": [
            "public_access_block",
            "policy_tls_only",
            "policy_sigv4_only",
            "policy_vpce_only",
            "policy_org_only",
        ],
        "reason": "public static website (anonymous HTTP reads are intended)",
    },
}

_KMS_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|mrk-[0-9a-f]{32})|alias/[A-Za-z0-9/_-]+)$"
)
_TAG_SPLIT = re.compile(r"[\s+/]+")
_WILDCARD_ACTIONS = ("*", "s3:*")
_WILDCARD_MANAGED = {
    "arn:aws:iam::aws:policy/AmazonS3FullAccess": "s3:*",
    "arn:aws:iam::aws:policy/AdministratorAccess": "*",
    "arn:aws:iam::aws:policy/PowerUserAccess": "NotAction iam:*, organizations:*, account:*",
}


@dataclass(frozen=True)
class Control:
    name: str
    title: str
    fsbp: str | None
    cis: str | None
    report_only: bool = False


CONTROLS: dict[str, Control] = {
    c.name: c
    for c in (
        Control("public_access_block", "Bucket-level Block Public Access, all four settings on", "S3.8", "2.1.4"),
        Control("ownership_controls", "ACLs disabled (Object Ownership BucketOwnerEnforced)", "S3.12", None),
        Control(
            "encryption", "Default encryption (SSE-S3, or SSE-KMS with the given key and bucket keys)", "S3.4", None
        ),
        Control("versioning", "Versioning enabled", "S3.14", None),
        Control("policy_tls_only", "Bucket policy denies requests without TLS (aws:SecureTransport)", "S3.5", "2.1.1"),
        Control("policy_min_tls_version", "Bucket policy denies outdated TLS versions (s3:TlsVersion)", None, None),
        Control("policy_sigv4_only", "Bucket policy denies requests not signed with SigV4", None, None),
        Control("policy_signature_age", "Bucket policy caps presigned-URL age (s3:signatureAge)", None, None),
        Control(
            "policy_vpce_only", "Bucket policy denies access outside the VPC endpoints (responders exempt)", None, None
        ),
        Control("policy_org_only", "Bucket policy denies principals outside the organization", "S3.6", None),
        Control(
            "policy_access_point_delegation", "Bucket policy delegates access control to access points", None, None
        ),
        Control("logging", "Server access logging enabled", "S3.9", None),
        Control("data_events", "CloudTrail S3 data events (read and write) for the bucket", "S3.22, S3.23", "3.8, 3.9"),
        Control("lifecycle_noncurrent", "Lifecycle rule expiring noncurrent versions", "S3.10, S3.13", None),
        Control("access_points", "Access points block public access (report only)", "S3.19", None, True),
        Control(
            "iam_wildcard_s3", "No IAM user or role policy grants wildcard S3 access (report only)", None, "1.16", True
        ),
    )
}
DEFAULT_CONTROLS = ("public_access_block", "ownership_controls", "encryption", "versioning", "access_points")


@dataclass
class Settings:
    """What the baseline asks for. Controls whose settings are empty are not enabled."""

    controls: list[str] | None = None  # None: every control whose settings are given (see enabled_controls)
    kms_key_id: str | None = None
    logging_target_bucket: str | None = None
    logging_target_prefix: str = "{bucket}/"
    trail_name: str | None = None
    noncurrent_version_days: int | None = None
    statements: dict[str, Any] = field(default_factory=dict)
    overwrite_conflicts: bool = False
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    exception_tag: str | None = DEFAULT_EXCEPTION_TAG
    exception_profiles: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(DEFAULT_EXCEPTION_PROFILES))
    iam_audit: bool = True
    max_workers: int = 16

    def enabled_controls(self) -> list[str]:
        if self.controls is not None:
            return [name for name in CONTROLS if name in set(self.controls)]
        names = list(DEFAULT_CONTROLS)
        spec_keys = {
            "policy_tls_only": "tls_only",
            "policy_min_tls_version": "min_tls_version",
            "policy_sigv4_only": "sigv4_only",
            "policy_signature_age": "max_signature_age",
            "policy_vpce_only": "vpce_ids",
            "policy_org_only": "org_id",
            "policy_access_point_delegation": "access_point_delegation",
        }
        names += [control for control, key in spec_keys.items() if self.statements.get(key)]
        if self.logging_target_bucket:
            names.append("logging")
        if self.trail_name:
            names.append("data_events")
        if self.noncurrent_version_days:
            names.append("lifecycle_noncurrent")
        if self.iam_audit:
            names.append("iam_wildcard_s3")
        return [name for name in CONTROLS if name in set(names)]


def validate_settings(settings: Settings) -> None:
    """ValueError naming the option for input that can be checked before any AWS call."""
    if settings.controls is not None:
        unknown = [c for c in settings.controls if c not in CONTROLS]
        if unknown:
            raise ValueError(f"Unknown control(s) in controls: {', '.join(unknown)}; known: {', '.join(CONTROLS)}")
    if settings.kms_key_id is not None and not _KMS_ARN.match(settings.kms_key_id):
        raise ValueError(
            f"Invalid KMS key ARN {settings.kms_key_id!r} in kms_key_id: expected "
            "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID or arn:aws:kms:REGION:ACCOUNT:alias/NAME"
        )
    if settings.noncurrent_version_days is not None and settings.noncurrent_version_days < 1:
        raise ValueError(f"noncurrent_version_days must be at least 1, got {settings.noncurrent_version_days}")
    if settings.max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {settings.max_workers}")
    if "{bucket}" not in settings.logging_target_prefix and settings.logging_target_prefix.count("{"):
        raise ValueError(
            f"logging_target_prefix may only use the {{bucket}} placeholder: {settings.logging_target_prefix!r}"
        )
    for index, item in enumerate(settings.exceptions):
        where = f"exceptions[{index}]"
        if not isinstance(item, Mapping) or not item.get("bucket"):
            raise ValueError(f"{where}: needs a bucket (name or glob)")
        if not item.get("reason"):
            raise ValueError(f"{where} ({item.get('bucket')}): needs a reason")
        controls = item.get("controls") or ["all"]
        unknown = [c for c in controls if c != "all" and c not in CONTROLS]
        if unknown:
            raise ValueError(f"{where} ({item['bucket']}): unknown control(s) {', '.join(unknown)}")
    for name, profile in settings.exception_profiles.items():
        unknown = [c for c in profile.get("controls") or [] if c != "all" and c not in CONTROLS]
        if unknown:
            raise ValueError(f"exception_profiles.{name}: unknown control(s) {', '.join(unknown)}")
    # the statement builders validate VPC endpoint ids, organization id, principals and ages
    baseline_statements("validation-bucket", settings.statements, account_id="000000000000")


def select_buckets(all_names: Iterable[str], pattern: str) -> list[str]:
    """Bucket names matching a shell glob (CloudsecError when none does, saying so)."""
    names = list(all_names)
    chosen = [name for name in names if fnmatch.fnmatchcase(name, pattern)]
    if not chosen:
        raise CloudsecError(
            f"bucket_pattern {pattern!r} matches none of the {len(names)} buckets of the account",
            bucket_pattern=pattern,
        )
    return chosen


# --------------------------------------------------------------------------------------------------------------------
# exceptions


def exceptions_for(bucket: str, tags: Mapping[str, str] | None, settings: Settings) -> tuple[dict[str, str], list[str]]:
    """``({control: reason}, warnings)`` for one bucket, from the exceptions variable and the exception tag."""
    out: dict[str, str] = {}
    warnings: list[str] = []
    for item in settings.exceptions:
        if fnmatch.fnmatchcase(bucket, item["bucket"]):
            for control in _expand(item.get("controls") or ["all"]):
                out.setdefault(control, f"exception variable: {item['reason']}")
    tag = settings.exception_tag
    value = (tags or {}).get(tag) if tag else None
    if value:
        profile = settings.exception_profiles.get(value)
        if profile is not None:
            controls = profile.get("controls") or ["all"]
            reason = f"tag {tag}={value}: {profile.get('reason') or value}"
        else:
            controls = [c for c in _TAG_SPLIT.split(value) if c]
            reason = f"tag {tag}={value}"
            unknown = [c for c in controls if c != "all" and c not in CONTROLS]
            if unknown:
                warnings.append(
                    f"tag {tag}={value} names unknown control(s) or profile(s): {', '.join(unknown)} (ignored)"
                )
                controls = [c for c in controls if c not in unknown]
        for control in _expand(controls):
            out.setdefault(control, reason)
    return out, warnings


def _expand(controls: Iterable[str]) -> list[str]:
    controls = list(controls)
    return list(CONTROLS) if "all" in controls else controls


# --------------------------------------------------------------------------------------------------------------------
# account-wide reads


def _policy_document(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, str):
        try:
            raw = json.loads(urllib.parse.unquote(raw))
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


def _wildcard_resources(document: Mapping[str, Any] | None) -> list[str]:
    """Resources on which a policy allows every S3 action (``*`` or ``s3:*``, or a NotAction not excluding S3)."""
    found: list[str] = []
    statements = (document or {}).get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action")
        not_actions = statement.get("NotAction")
        if actions is not None:
            actions = [actions] if isinstance(actions, str) else actions
            if not any(str(a).lower() in _WILDCARD_ACTIONS for a in actions):
                continue
        elif not_actions is not None:
            not_actions = [not_actions] if isinstance(not_actions, str) else not_actions
            if any(str(a).lower() in ("s3:*", "*") for a in not_actions):
                continue
        else:
            continue
        resources = statement.get("Resource", "*")
        resources = [resources] if isinstance(resources, str) else list(resources or [])
        found.extend(r for r in resources if r == "*" or r.startswith(("arn:aws:s3:::", "arn:*")))
    return list(dict.fromkeys(found))


def iam_wildcard_grants(iam: Any) -> list[dict[str, Any]]:
    """Every IAM user and role policy (inline or attached) that allows all S3 actions, with its resources."""
    details = paginate(iam, "get_account_authorization_details", Filter=["User", "Role", "LocalManagedPolicy"])
    managed: dict[str, list[str]] = {}
    for policy in details.get("Policies") or []:
        default = next((v for v in policy.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")), None)
        resources = _wildcard_resources(_policy_document((default or {}).get("Document")))
        if resources:
            managed[policy["Arn"]] = resources
    grants: list[dict[str, Any]] = []
    for kind, list_key, inline_key in (
        ("user", "UserDetailList", "UserPolicyList"),
        ("role", "RoleDetailList", "RolePolicyList"),
    ):
        for principal in details.get(list_key) or []:
            arn = principal.get("Arn")
            for inline in principal.get(inline_key) or []:
                resources = _wildcard_resources(_policy_document(inline.get("PolicyDocument")))
                if resources:
                    grants.append(
                        {
                            "principal": arn,
                            "type": kind,
                            "policy": inline.get("PolicyName"),
                            "policy_type": "inline",
                            "resources": resources,
                        }
                    )
            for attached in principal.get("AttachedManagedPolicies") or []:
                policy_arn = attached.get("PolicyArn")
                if policy_arn in managed:
                    resources = managed[policy_arn]
                elif policy_arn in _WILDCARD_MANAGED:
                    resources = ["*"]
                else:
                    continue
                grants.append(
                    {
                        "principal": arn,
                        "type": kind,
                        "policy": policy_arn,
                        "policy_type": "managed",
                        "resources": resources,
                    }
                )
    return grants


def grants_for_bucket(grants: Iterable[Mapping[str, Any]], bucket: str) -> list[dict[str, Any]]:
    arn = f"arn:aws:s3:::{bucket}"
    out = []
    for grant in grants:
        if any(
            r == "*" or fnmatch.fnmatchcase(arn, r) or fnmatch.fnmatchcase(arn + "/x", r) for r in grant["resources"]
        ):
            out.append(dict(grant))
    return out


def access_point_inventory(s3control: Any, account_id: str) -> dict[str, list[dict[str, Any]]]:
    """Access points of the account grouped by bucket, each with its Block Public Access and network origin."""
    listed = paginate_tokens(s3control, "list_access_points", "AccessPointList", AccountId=account_id)
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for point in listed:
        detail = s3control.get_access_point(aws_retry=True, AccountId=account_id, Name=point["Name"])
        bpa = detail.get("PublicAccessBlockConfiguration") or {}
        by_bucket.setdefault(point.get("Bucket", ""), []).append(
            {
                "name": point["Name"],
                "network_origin": point.get("NetworkOrigin"),
                "blocks_public_access": all(
                    bpa.get(k)
                    for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
                ),
            }
        )
    return by_bucket


# --------------------------------------------------------------------------------------------------------------------
# CloudTrail advanced event selectors


def basic_to_advanced(selectors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The advanced event selectors equivalent to basic ``EventSelectors`` (so merging never drops them)."""
    out: list[dict[str, Any]] = []
    for index, selector in enumerate(selectors):
        read_write = selector.get("ReadWriteType", "All")
        read_only: list[dict[str, Any]] = []
        if read_write == "ReadOnly":
            read_only = [{"Field": "readOnly", "Equals": ["true"]}]
        elif read_write == "WriteOnly":
            read_only = [{"Field": "readOnly", "Equals": ["false"]}]
        if selector.get("IncludeManagementEvents", True):
            fields = [{"Field": "eventCategory", "Equals": ["Management"]}, *read_only]
            excluded = selector.get("ExcludeManagementEventSources") or []
            if excluded:
                fields.append({"Field": "eventSource", "NotEquals": list(excluded)})
            out.append({"Name": f"Management events (from basic selector {index})", "FieldSelectors": fields})
        for resource in selector.get("DataResources") or []:
            fields = [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": [resource["Type"]]},
                *read_only,
            ]
            values = [v for v in resource.get("Values") or [] if v not in ("arn:aws:s3", "arn:aws:s3:::")]
            if values:
                fields.append({"Field": "resources.ARN", "StartsWith": values})
            out.append(
                {"Name": f"{resource['Type']} data events (from basic selector {index})", "FieldSelectors": fields}
            )
    return out


def _selector_coverage(selector: Mapping[str, Any], bucket: str) -> set[str]:
    """Which of ``{"read", "write"}`` S3 object data events of ``bucket`` one advanced selector logs."""
    fields = {f["Field"]: f for f in selector.get("FieldSelectors") or []}
    if (fields.get("eventCategory") or {}).get("Equals") != ["Data"]:
        return set()
    if (fields.get("resources.type") or {}).get("Equals") != ["AWS::S3::Object"]:
        return set()
    if set(fields) - {"eventCategory", "resources.type", "resources.ARN", "readOnly"}:
        return set()  # narrowed by event name, user ... : not the whole bucket
    arn_field = fields.get("resources.ARN")
    if arn_field is not None:
        prefix = f"arn:aws:s3:::{bucket}/"
        if set(arn_field) - {"Field", "StartsWith"}:
            return set()
        if not any(prefix.startswith(p) for p in arn_field.get("StartsWith") or []):
            return set()
    read_only = (fields.get("readOnly") or {}).get("Equals")
    if read_only == ["true"]:
        return {"read"}
    if read_only == ["false"]:
        return {"write"}
    return {"read", "write"}


def data_events_coverage(selectors: Iterable[Mapping[str, Any]], bucket: str) -> set[str]:
    covered: set[str] = set()
    for selector in selectors:
        covered |= _selector_coverage(selector, bucket)
    return covered


def add_buckets_to_selectors(selectors: list[dict[str, Any]], buckets: Iterable[str]) -> list[dict[str, Any]]:
    """The selectors with ``buckets`` added to the cloudsec selector (created at the end when absent)."""
    out = json.loads(json.dumps(selectors))
    ours = next((s for s in out if s.get("Name") == DATA_EVENTS_SELECTOR), None)
    if ours is None:
        ours = {
            "Name": DATA_EVENTS_SELECTOR,
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "resources.ARN", "StartsWith": []},
            ],
        }
        out.append(ours)
    arn_field = next(f for f in ours["FieldSelectors"] if f["Field"] == "resources.ARN")
    values = arn_field.setdefault("StartsWith", [])
    for bucket in buckets:
        prefix = f"arn:aws:s3:::{bucket}/"
        if prefix not in values:
            values.append(prefix)
    return out


# --------------------------------------------------------------------------------------------------------------------
# per-bucket engine


class _Absent(Exception):
    """A read answered "not configured"."""


_UNREAD = object()


@dataclass
class Clients:
    s3: Any
    s3control: Any | None = None
    iam: Any | None = None
    cloudtrail: Any | None = None
    account_id: str | None = None


class _BucketRun:
    def __init__(self, engine: Baseline, name: str) -> None:
        self.engine = engine
        self.name = name
        self.s3 = engine.clients.s3
        self.controls: dict[str, dict[str, Any]] = {}
        self.versioning_status: Any = _UNREAD  # GetBucketVersioning's Status, once read

    def result(self, control: str, status: str, detail: str, before: Any = None, after: Any = None) -> None:
        spec = CONTROLS[control]
        fsbp = spec.fsbp
        if control == "encryption" and self.engine.settings.kms_key_id:
            fsbp = "S3.4, S3.17"
        entry: dict[str, Any] = {"status": status, "fsbp": fsbp, "cis": spec.cis, "detail": detail}
        if status in (CHANGED, WOULD_CHANGE):
            entry["before"] = before
            entry["after"] = after
        self.controls[control] = entry

    def read(self, call: Callable[[], Any], absent: tuple[str, ...] = ()) -> Any:
        try:
            return call()
        except botocore_errors() as exc:
            code = error_code(exc)
            if code in absent:
                raise _Absent() from exc
            if code in MISSING_BUCKET_CODES:
                raise CloudsecError(f"Bucket {self.name} does not exist", bucket=self.name) from exc
            raise

    def apply(self, control: str, before: Any, after: Any, write: Callable[[], Any], drift: str, done: str) -> None:
        if self.engine.check_mode:
            self.result(control, WOULD_CHANGE, drift, before, after)
            return
        write()
        self.result(control, CHANGED, done, before, after)

    # controls -----------------------------------------------------------------------------------------------------
    def public_access_block(self) -> None:
        desired = {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        try:
            current = self.read(
                lambda: self.s3.get_public_access_block(aws_retry=True, Bucket=self.name)[
                    "PublicAccessBlockConfiguration"
                ],
                ("NoSuchPublicAccessBlockConfiguration",),
            )
        except _Absent:
            current = None
        if current and all(current.get(k) for k in desired):
            self.result("public_access_block", COMPLIANT, "all four Block Public Access settings are on")
            return
        off = [k for k in desired if not (current or {}).get(k)]
        self.apply(
            "public_access_block",
            current,
            desired,
            lambda: self.s3.put_public_access_block(
                aws_retry=True, Bucket=self.name, PublicAccessBlockConfiguration=desired
            ),
            f"Block Public Access settings off: {', '.join(off)}",
            f"turned on: {', '.join(off)}",
        )

    def ownership_controls(self) -> None:
        try:
            resp = self.read(
                lambda: self.s3.get_bucket_ownership_controls(aws_retry=True, Bucket=self.name),
                ("OwnershipControlsNotFoundError",),
            )
            rules = (resp.get("OwnershipControls") or {}).get("Rules") or []
            current = rules[0].get("ObjectOwnership") if rules else None
        except _Absent:
            current = None
        if current == "BucketOwnerEnforced":
            self.result("ownership_controls", COMPLIANT, "ACLs are disabled (BucketOwnerEnforced)")
            return
        desired = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        self.apply(
            "ownership_controls",
            current,
            "BucketOwnerEnforced",
            lambda: self.s3.put_bucket_ownership_controls(aws_retry=True, Bucket=self.name, OwnershipControls=desired),
            f"object ownership is {current or 'not set (ACLs enabled)'}",
            "object ownership set to BucketOwnerEnforced (ACLs disabled)",
        )

    def encryption(self) -> None:
        key = self.engine.settings.kms_key_id
        try:
            resp = self.read(
                lambda: self.s3.get_bucket_encryption(aws_retry=True, Bucket=self.name),
                ("ServerSideEncryptionConfigurationNotFoundError",),
            )
            rules = (resp.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        except _Absent:
            rules = []
        current = None
        if rules:
            default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
            current = {
                "sse_algorithm": default.get("SSEAlgorithm"),
                "kms_master_key_id": default.get("KMSMasterKeyID"),
                "bucket_key_enabled": bool(rules[0].get("BucketKeyEnabled", False)),
            }
        if key:
            desired = {"sse_algorithm": "aws:kms", "kms_master_key_id": key, "bucket_key_enabled": True}
            rule = {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                "BucketKeyEnabled": True,
            }
            ok = current == desired
        else:
            desired = {"sse_algorithm": "AES256", "kms_master_key_id": None, "bucket_key_enabled": False}
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            # SSE-KMS / DSSE-KMS already in place is at least as strong: never downgraded to SSE-S3
            ok = bool(current and current["sse_algorithm"] in ("AES256", "aws:kms", "aws:kms:dsse"))
        if ok:
            self.result("encryption", COMPLIANT, f"default encryption {current['sse_algorithm']}")
            return
        self.apply(
            "encryption",
            current,
            desired,
            lambda: self.s3.put_bucket_encryption(
                aws_retry=True, Bucket=self.name, ServerSideEncryptionConfiguration={"Rules": [rule]}
            ),
            f"default encryption is {current['sse_algorithm'] if current else 'not set'}, "
            f"wanted {desired['sse_algorithm']}",
            f"default encryption set to {desired['sse_algorithm']}"
            + (f" with key {key} and bucket keys" if key else ""),
        )

    def versioning(self) -> None:
        status = self.versioning_status
        if status is _UNREAD:
            status = self.read(lambda: self.s3.get_bucket_versioning(aws_retry=True, Bucket=self.name)).get("Status")
        current = status or "Disabled"
        if current == "Enabled":
            self.result("versioning", COMPLIANT, "versioning is enabled")
            return
        self.apply(
            "versioning",
            current,
            "Enabled",
            lambda: self.s3.put_bucket_versioning(
                aws_retry=True, Bucket=self.name, VersioningConfiguration={"Status": "Enabled"}
            ),
            f"versioning is {current}",
            f"versioning enabled (was {current})",
        )

    def policy(self, controls: list[str]) -> None:
        engine = self.engine
        wanted = baseline_statements(self.name, engine.settings.statements, engine.clients.account_id)
        wanted = {c: s for c, s in wanted.items() if c in controls}
        check_not_protected(s["Sid"] for s in wanted.values())
        try:
            text = self.read(
                lambda: self.s3.get_bucket_policy(aws_retry=True, Bucket=self.name)["Policy"], ("NoSuchBucketPolicy",)
            )
        except _Absent:
            text = None
        try:
            current = parse_optional_policy(text, f"bucket policy of {self.name}")
            merged, changes = merge_statements(
                current,
                list(wanted.values()),
                overwrite_conflicts=engine.settings.overwrite_conflicts,
                name=f"bucket policy of {self.name}",
            )
        except PolicyError as exc:
            for control in wanted:
                self.result(control, FAILED, str(exc))
            return
        by_sid = {change.sid: change for change in changes}
        pending = [c for c in wanted if by_sid[wanted[c]["Sid"]].changed]
        if pending and not engine.check_mode:
            try:
                self.s3.put_bucket_policy(aws_retry=True, Bucket=self.name, Policy=dump_policy(merged))
            except botocore_errors() as exc:
                for control in pending:
                    self.result(control, FAILED, f"PutBucketPolicy failed: {describe_client_error(exc)}")
                pending_failed = True
            else:
                pending_failed = False
        else:
            pending_failed = False
        for control, statement in wanted.items():
            change = by_sid[statement["Sid"]]
            sid = statement["Sid"]
            if change.action == "unchanged":
                self.result(control, COMPLIANT, f"statement {sid} present")
            elif change.action == "conflict":
                self.result(
                    control,
                    NON_COMPLIANT,
                    f"statement Sid {sid} already exists with different content; left as it is "
                    "(set overwrite_conflicts to replace it)",
                )
            elif not pending_failed:
                status = WOULD_CHANGE if engine.check_mode else CHANGED
                verb = "add" if change.action == "added" else "replace"
                detail = f"would {verb} statement {sid}" if engine.check_mode else f"{change.action} statement {sid}"
                self.result(control, status, detail, change.before, change.after)

    def logging(self) -> None:
        settings = self.engine.settings
        target = settings.logging_target_bucket
        if self.name == target:
            self.result("logging", EXCEPTED, "this is the access-log target bucket (logging into itself would loop)")
            return
        current = self.read(lambda: self.s3.get_bucket_logging(aws_retry=True, Bucket=self.name)).get("LoggingEnabled")
        if current:
            self.result(
                "logging",
                COMPLIANT,
                f"access logs go to {current.get('TargetBucket')}/{current.get('TargetPrefix', '')}",
            )
            return
        desired = {
            "TargetBucket": target,
            "TargetPrefix": settings.logging_target_prefix.replace("{bucket}", self.name),
        }
        self.apply(
            "logging",
            None,
            desired,
            lambda: self.s3.put_bucket_logging(
                aws_retry=True, Bucket=self.name, BucketLoggingStatus={"LoggingEnabled": desired}
            ),
            "server access logging is off",
            f"access logs sent to {desired['TargetBucket']}/{desired['TargetPrefix']}",
        )

    def lifecycle_noncurrent(self) -> None:
        days = self.engine.settings.noncurrent_version_days
        try:
            rules = self.read(
                lambda: self.s3.get_bucket_lifecycle_configuration(aws_retry=True, Bucket=self.name)["Rules"],
                ("NoSuchLifecycleConfiguration",),
            )
        except _Absent:
            rules = []
        for rule in rules:
            whole_bucket = (
                not (rule.get("Filter") or {}) or (rule.get("Filter") == {"Prefix": ""}) or rule.get("Prefix") == ""
            )
            expiration = rule.get("NoncurrentVersionExpiration") or {}
            if rule.get("Status") == "Enabled" and whole_bucket and expiration.get("NoncurrentDays"):
                if rule.get("ID") != LIFECYCLE_RULE_ID or expiration.get("NoncurrentDays") == days:
                    self.result(
                        "lifecycle_noncurrent",
                        COMPLIANT,
                        f"rule {rule.get('ID')} expires noncurrent versions after {expiration['NoncurrentDays']} days",
                    )
                    return
        ours = {
            "ID": LIFECYCLE_RULE_ID,
            "Status": "Enabled",
            "Filter": {},
            "NoncurrentVersionExpiration": {"NoncurrentDays": days},
        }
        new_rules = [r for r in rules if r.get("ID") != LIFECYCLE_RULE_ID] + [ours]
        self.apply(
            "lifecycle_noncurrent",
            rules or None,
            new_rules,
            lambda: self.s3.put_bucket_lifecycle_configuration(
                aws_retry=True, Bucket=self.name, LifecycleConfiguration={"Rules": new_rules}
            ),
            "no enabled whole-bucket rule expires noncurrent versions",
            f"rule {LIFECYCLE_RULE_ID} added (noncurrent versions expire after {days} days; other rules kept)",
        )

    def data_events(self) -> None:
        engine = self.engine
        covered = data_events_coverage(engine.trail_selectors, self.name)
        trail = engine.settings.trail_name
        if covered == {"read", "write"}:
            self.result("data_events", COMPLIANT, f"trail {trail} logs read and write data events of the bucket")
            return
        missing = sorted({"read", "write"} - covered)
        with engine.lock:
            engine.pending_data_events.append(self.name)
        self.result(
            "data_events",
            WOULD_CHANGE if engine.check_mode else CHANGED,
            f"trail {trail} does not log {' and '.join(missing)} data events of the bucket",
            sorted(covered),
            ["read", "write"],
        )

    def access_points(self) -> None:
        points = self.engine.access_points.get(self.name, [])
        open_points = [p["name"] for p in points if not p["blocks_public_access"]]
        if open_points:
            self.result(
                "access_points",
                NON_COMPLIANT,
                f"access point(s) without full Block Public Access: {', '.join(open_points)} "
                "(cannot be changed in place: recreate them with cloudsec.s3.s3_access_point)",
            )
        else:
            names = ", ".join(f"{p['name']} ({p['network_origin']})" for p in points) or "none"
            self.result("access_points", COMPLIANT, f"access points: {names}")

    def iam_wildcard_s3(self) -> None:
        grants = grants_for_bucket(self.engine.iam_grants, self.name)
        if grants:
            who = ", ".join(sorted({f"{g['principal']} ({g['policy']})" for g in grants}))
            self.result("iam_wildcard_s3", NON_COMPLIANT, f"wildcard S3 access granted to: {who}")
        else:
            self.result("iam_wildcard_s3", COMPLIANT, "no IAM user or role policy grants wildcard S3 access to it")

    # driver -------------------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        engine = self.engine
        settings = engine.settings
        entry: dict[str, Any] = {"name": self.name, "controls": self.controls}
        enabled = engine.enabled
        try:
            tags: dict[str, str] = {}
            if settings.exception_tag:
                try:
                    tag_set = self.read(
                        lambda: self.s3.get_bucket_tagging(aws_retry=True, Bucket=self.name)["TagSet"],
                        ("NoSuchTagSet",),
                    )
                    tags = {t["Key"]: t["Value"] for t in tag_set}
                except _Absent:
                    tags = {}
            else:
                # existence check, since every other read may be skipped or excepted; the answer is kept for the
                # versioning control, so checking existence costs no extra call when that control runs
                self.versioning_status = self.read(
                    lambda: self.s3.get_bucket_versioning(aws_retry=True, Bucket=self.name)
                ).get("Status")
            excepted, warnings = exceptions_for(self.name, tags, settings)
        except CloudsecError as exc:
            entry["error"] = exc.message
            for control in enabled:
                self.result(control, FAILED, exc.message)
            return entry
        except botocore_errors() as exc:
            excepted, warnings = exceptions_for(self.name, {}, settings)
            warnings.append(f"tags could not be read ({describe_client_error(exc)}); tag exceptions not applied")
        if warnings:
            entry["warnings"] = warnings
        policy_controls: list[str] = []
        try:
            for control in enabled:
                if control in excepted:
                    self.result(control, EXCEPTED, excepted[control])
                elif control in STATEMENT_CONTROLS:
                    policy_controls.append(control)
                else:
                    self._guarded([control], getattr(self, control))
            if policy_controls:
                self._guarded(policy_controls, lambda: self.policy(policy_controls))
        except CloudsecError as exc:  # the bucket disappeared half-way
            entry["error"] = exc.message
            for control in enabled:
                self.result(control, FAILED, exc.message)
        entry["controls"] = {c: self.controls[c] for c in enabled if c in self.controls}
        return entry

    def _guarded(self, controls: list[str], call: Callable[[], None]) -> None:
        """Run one control (or the policy group); an AWS or input error fails only those controls."""
        try:
            call()
        except botocore_errors() as exc:
            for control in controls:
                self.result(control, FAILED, describe_client_error(exc))
        except ValueError as exc:
            for control in controls:
                self.result(control, FAILED, str(exc))


class Baseline:
    """One audit / enforcement run over many buckets (see the module docstring)."""

    def __init__(self, clients: Clients, settings: Settings, *, check_mode: bool = False) -> None:
        self.clients = clients
        self.settings = settings
        self.check_mode = check_mode
        self.enabled = settings.enabled_controls()
        self.lock = threading.Lock()
        self.pending_data_events: list[str] = []
        self.trail_selectors: list[dict[str, Any]] = []
        self.trail_arn: str | None = None
        self.basic_selectors: list[dict[str, Any]] = []
        self.access_points: dict[str, list[dict[str, Any]]] = {}
        self.iam_grants: list[dict[str, Any]] = []
        self.account: dict[str, Any] = {"account_id": clients.account_id}

    def prepare(self) -> None:
        """Account-wide reads and the checks that fail the whole run (missing log target, trail)."""
        s = self.settings
        c = self.clients
        if "logging" in self.enabled and s.logging_target_bucket:
            try:
                c.s3.head_bucket(aws_retry=True, Bucket=s.logging_target_bucket)
            except botocore_errors() as exc:
                if error_code(exc) in MISSING_BUCKET_CODES:
                    raise CloudsecError(
                        f"Logging target bucket {s.logging_target_bucket} does not exist (logging_target_bucket)",
                        logging_target_bucket=s.logging_target_bucket,
                    ) from exc
                raise
        if "data_events" in self.enabled and s.trail_name:
            try:
                resp = c.cloudtrail.get_event_selectors(aws_retry=True, TrailName=s.trail_name)
            except botocore_errors() as exc:
                if error_code(exc) in ("TrailNotFoundException", "InvalidTrailNameException"):
                    raise CloudsecError(
                        f"CloudTrail trail {s.trail_name} does not exist (cloudtrail_trail)",
                        cloudtrail_trail=s.trail_name,
                    ) from exc
                raise
            self.trail_arn = resp.get("TrailARN")
            self.basic_selectors = resp.get("EventSelectors") or []
            self.trail_selectors = list(resp.get("AdvancedEventSelectors") or []) or basic_to_advanced(
                self.basic_selectors
            )
        if "access_points" in self.enabled and c.s3control is not None and c.account_id:
            try:
                self.access_points = access_point_inventory(c.s3control, c.account_id)
            except botocore_errors() as exc:
                self.account["access_points_error"] = describe_client_error(exc)
        if "iam_wildcard_s3" in self.enabled and c.iam is not None:
            try:
                self.iam_grants = iam_wildcard_grants(c.iam)
            except botocore_errors() as exc:
                self.account["iam_error"] = describe_client_error(exc)
            self.account["iam_wildcard_s3"] = self.iam_grants

    def run(self, buckets: list[str]) -> dict[str, Any]:
        self.prepare()
        workers = max(1, min(self.settings.max_workers, len(buckets) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            entries = list(pool.map(lambda name: _BucketRun(self, name).run(), buckets))
        self._finish_data_events(entries)
        changed = any(control.get("status") == CHANGED for entry in entries for control in entry["controls"].values())
        return {"changed": changed, "buckets": entries, "account": self.account, "summary": summarise(entries)}

    def _finish_data_events(self, entries: list[dict[str, Any]]) -> None:
        pending = sorted(set(self.pending_data_events))
        self.account["data_events"] = (
            {"trail": self.settings.trail_name, "added_buckets": []} if self.settings.trail_name else None
        )
        if not pending or self.check_mode:
            if self.account["data_events"] is not None:
                self.account["data_events"]["added_buckets"] = pending
            return
        new = add_buckets_to_selectors(self.trail_selectors, pending)
        try:
            self.clients.cloudtrail.put_event_selectors(
                aws_retry=True, TrailName=self.settings.trail_name, AdvancedEventSelectors=new
            )
        except botocore_errors() as exc:
            message = f"PutEventSelectors on trail {self.settings.trail_name} failed: {describe_client_error(exc)}"
            for entry in entries:
                control = entry["controls"].get("data_events")
                if control and control["status"] == CHANGED:
                    entry["controls"]["data_events"] = {
                        "status": FAILED,
                        "fsbp": control["fsbp"],
                        "cis": control["cis"],
                        "detail": message,
                    }
            return
        self.account["data_events"]["added_buckets"] = pending
        self.account["data_events"]["selectors_before"] = self.trail_selectors
        self.account["data_events"]["selectors_after"] = new


def summarise(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status, per control and over all, and the buckets that are fully compliant."""
    per_control: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(STATUSES, 0)
    compliant_buckets = 0
    failed_buckets = []
    for entry in entries:
        statuses = [c["status"] for c in entry["controls"].values()]
        if all(s in (COMPLIANT, EXCEPTED) for s in statuses):
            compliant_buckets += 1
        if entry.get("error") or FAILED in statuses:
            failed_buckets.append(entry["name"])
        for name, control in entry["controls"].items():
            per_control.setdefault(name, dict.fromkeys(STATUSES, 0))[control["status"]] += 1
            totals[control["status"]] += 1
    return {
        "buckets": len(entries),
        "compliant_buckets": compliant_buckets,
        "failed_buckets": failed_buckets,
        "statuses": totals,
        "controls": per_control,
    }


def control_catalogue() -> list[dict[str, Any]]:
    return [
        {"name": c.name, "title": c.title, "fsbp": c.fsbp, "cis": c.cis, "report_only": c.report_only}
        for c in CONTROLS.values()
    ]


def run_baseline(clients: Clients, buckets: list[str], settings: Settings, *, check_mode: bool = False) -> dict:
    validate_settings(settings)
    return Baseline(clients, settings, check_mode=check_mode).run(buckets)


# --------------------------------------------------------------------------------------------------------------------
# account-level Block Public Access preview

BPA_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _public_inputs(s3: Any, bucket: str) -> dict[str, Any]:
    def optional(call: Callable[[], Any], *absent: str) -> Any:
        try:
            return call()
        except botocore_errors() as exc:
            if error_code(exc) in absent:
                return None
            raise

    ownership = optional(
        lambda: s3.get_bucket_ownership_controls(aws_retry=True, Bucket=bucket)["OwnershipControls"]["Rules"],
        "OwnershipControlsNotFoundError",
    )
    return {
        "policy": optional(lambda: s3.get_bucket_policy(aws_retry=True, Bucket=bucket)["Policy"], "NoSuchBucketPolicy"),
        "acl": s3.get_bucket_acl(aws_retry=True, Bucket=bucket),
        "bpa": optional(
            lambda: s3.get_public_access_block(aws_retry=True, Bucket=bucket)["PublicAccessBlockConfiguration"],
            "NoSuchPublicAccessBlockConfiguration",
        ),
        "ownership": ownership[0].get("ObjectOwnership") if ownership else None,
    }


def public_access_preview(
    s3: Any,
    buckets: list[str],
    current_account_bpa: Mapping[str, Any] | None,
    new_account_bpa: Mapping[str, Any],
    max_workers: int = 16,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Buckets public under the current account Block Public Access and not under ``new_account_bpa``.

    Uses the policy engine (``policy_eval.bucket_public_access``) over each bucket's policy, ACL, own Block Public
    Access and object ownership. Returns ``(losing, errors)``; ``losing`` items are ``{bucket, paths}`` with the
    public paths that the new settings would neutralise, ``errors`` maps a bucket to why it could not be analysed.
    """
    from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import bucket_public_access

    def one(bucket: str) -> tuple[str, dict[str, Any] | None, str | None]:
        try:
            inputs = _public_inputs(s3, bucket)
            common = dict(object_ownership=inputs["ownership"], bucket_name=bucket)
            now = bucket_public_access(inputs["policy"], inputs["acl"], inputs["bpa"], current_account_bpa, **common)
            after = bucket_public_access(inputs["policy"], inputs["acl"], inputs["bpa"], new_account_bpa, **common)
        except botocore_errors() as exc:
            return bucket, None, describe_client_error(exc)
        except (PolicyError, ValueError) as exc:
            return bucket, None, str(exc)
        if now.is_public and not after.is_public:
            lost = [
                p.as_dict()
                for p in after.paths
                if not p.effective and p.detail in {q.detail for q in now.paths if q.effective}
            ]
            return bucket, {"bucket": bucket, "paths": lost}, None
        return bucket, None, None

    workers = max(1, min(max_workers, len(buckets) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, buckets))
    losing = [item for _b, item, _e in outcomes if item is not None]
    errors = {bucket: error for bucket, _i, error in outcomes if error}
    return losing, errors


def describe_access_point(control: Any, account_id: str, name: str) -> dict[str, Any] | None:
    """An access point as the access point modules return it, or None when it does not exist."""
    try:
        point = control.get_access_point(aws_retry=True, AccountId=account_id, Name=name)
    except botocore_errors() as exc:
        if error_code(exc) in ("NoSuchAccessPoint", "NotFound", "404"):
            return None
        raise
    try:
        text = control.get_access_point_policy(aws_retry=True, AccountId=account_id, Name=name).get("Policy")
    except botocore_errors() as exc:
        if error_code(exc) not in ("NoSuchAccessPointPolicy", "NoSuchAccessPoint"):
            raise
        text = None
    return {
        "name": point.get("Name"),
        "bucket": point.get("Bucket"),
        "arn": point.get("AccessPointArn"),
        "alias": point.get("Alias"),
        "network_origin": point.get("NetworkOrigin"),
        "vpc_id": (point.get("VpcConfiguration") or {}).get("VpcId"),
        "public_access_block": normalize_public_access_block(point.get("PublicAccessBlockConfiguration") or {}),
        "policy": json.loads(text) if text else None,
    }

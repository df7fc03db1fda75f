# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Was a principal allowed to make the calls it made on a bucket, was it meant to, and what grants too much (pure).

Built on the policy engine (:mod:`policy_eval`). The inputs are plain data: the principal as
``iam_principals.resolve_principal`` describes it, the bucket as ``s3_security.gather_bucket`` returns it, the
observed calls, and the expected access.

Expected access
    Who is meant to do what on the bucket: a list of ``{principal, actions, resources}``. ``principal`` is an ARN or
    an fnmatch pattern over ARNs (``arn:aws:iam::123456789012:role/app-*``), a short form resolved in the bucket's
    account (``role/app-reporting``, ``user/alice``, ``account/444455556666``), ``anonymous`` or ``*``.
    ``actions`` are IAM action patterns (``s3:GetObject``, ``s3:Get*``; a bare ``GetObject`` means ``s3:GetObject``).
    ``resources`` (optional) are ARN patterns or object-key prefixes ending in ``*`` (``reports/*``); without them
    the entry covers the bucket and every object in it.

    From bucket tags: ``cloudsec:expected-access`` (and ``cloudsec:expected-access-2``, ``-3`` … when one tag value,
    limited to 256 characters, is not enough). S3 tag values only admit letters, digits, spaces and ``+ - = . _ : /
    @``, so the tag format is compact: entries separated by spaces, ``PRINCIPAL=ACTION+ACTION[@KEYPREFIX]``::

        role/app-reporting=s3:GetObject+s3:ListBucket role/app-analytics=s3:GetObject@reports/

    A JSON list (as for the variable) is accepted too where the tagging system allows its characters.

Verdicts (per call)
    ``authorized`` (allowed and expected), ``allowed_but_unexpected`` (allowed, but expected access does not name
    it), ``allowed_intent_unknown`` (allowed, and no expected access is declared for the bucket at all, so whether it
    was meant cannot be told: declare it to decide), ``unauthorized`` (the policies do not allow it: an observed
    success then means access from somewhere the engine does not see). ``allowed_intent_unknown`` (with
    ``expected: null``) is only given to same-account IAM principals; anonymous, public and cross-account access
    without expected access is ``allowed_but_unexpected``: such access is never assumed to be intended.

Verdicts (per principal)
    The most alarming of its calls' verdicts: ``allowed_but_unexpected``, then ``allowed_intent_unknown``, then
    ``authorized``; ``unauthorized`` when nothing it did was allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import ALLOWED
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Principal
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import PrincipalPolicies
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import is_public_grant
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import statement_is_public

AUTHORIZED = "authorized"
UNAUTHORIZED = "unauthorized"
ALLOWED_BUT_UNEXPECTED = "allowed_but_unexpected"
ALLOWED_INTENT_UNKNOWN = "allowed_intent_unknown"
VERDICTS = (AUTHORIZED, UNAUTHORIZED, ALLOWED_BUT_UNEXPECTED, ALLOWED_INTENT_UNKNOWN)

EXPECTED_ACCESS_TAG = "cloudsec:expected-access"
EXTERNAL_IDENTITY_POLICY = "identity policies in the caller's account (not visible; assumed to allow)"
ANONYMOUS_NAMES = frozenset({"anonymous", "anonymous_principal", "*", ""})


class AuthorizationError(ValueError):
    """Bad input (expected access, tag, call); the message names the input and the problem."""


# --------------------------------------------------------------------------------------------------------------------
# S3 actions: the IAM action of a CloudTrail event name, bucket vs object level, and the catalogue used to say which
# actions a statement grants on a bucket.

# CloudTrail eventName -> IAM action, where they differ (S3 API reference, "Actions, resources and condition keys").
_EVENT_ACTIONS = {
    "listobjects": "s3:ListBucket",
    "listobjectsv2": "s3:ListBucket",
    "headbucket": "s3:ListBucket",
    "headobject": "s3:GetObject",
    "selectobjectcontent": "s3:GetObject",
    "copyobject": "s3:PutObject",
    "createmultipartupload": "s3:PutObject",
    "uploadpart": "s3:PutObject",
    "uploadpartcopy": "s3:PutObject",
    "completemultipartupload": "s3:PutObject",
    "deleteobjects": "s3:DeleteObject",
    "listbuckets": "s3:ListAllMyBuckets",
    "listobjectversions": "s3:ListBucketVersions",
    "listmultipartuploads": "s3:ListBucketMultipartUploads",
    "listparts": "s3:ListMultipartUploadParts",
    "deletebucketpublicaccessblock": "s3:PutBucketPublicAccessBlock",
    "getbucketencryption": "s3:GetEncryptionConfiguration",
    "putbucketencryption": "s3:PutEncryptionConfiguration",
    "deletebucketencryption": "s3:PutEncryptionConfiguration",
    "getbucketlifecycle": "s3:GetLifecycleConfiguration",
    "getbucketlifecycleconfiguration": "s3:GetLifecycleConfiguration",
    "putbucketlifecycle": "s3:PutLifecycleConfiguration",
    "putbucketlifecycleconfiguration": "s3:PutLifecycleConfiguration",
    "deletebucketlifecycle": "s3:PutLifecycleConfiguration",
    "getbucketreplication": "s3:GetReplicationConfiguration",
    "putbucketreplication": "s3:PutReplicationConfiguration",
    "deletebucketreplication": "s3:PutReplicationConfiguration",
    "getbucketcors": "s3:GetBucketCORS",
    "putbucketcors": "s3:PutBucketCORS",
    "deletebucketcors": "s3:PutBucketCORS",
    "deletebuckettagging": "s3:PutBucketTagging",
    "deletebucketownershipcontrols": "s3:PutBucketOwnershipControls",
    "getobjectlockconfiguration": "s3:GetBucketObjectLockConfiguration",
    "putobjectlockconfiguration": "s3:PutBucketObjectLockConfiguration",
    "getbucketnotificationconfiguration": "s3:GetBucketNotification",
    "putbucketnotificationconfiguration": "s3:PutBucketNotification",
    "getbucketaccelerateconfiguration": "s3:GetAccelerateConfiguration",
    "putbucketaccelerateconfiguration": "s3:PutAccelerateConfiguration",
    "getbucketrequestpayment": "s3:GetBucketRequestPayment",
    "deletebucketwebsite": "s3:DeleteBucketWebsite",
    "getobjectattributes": "s3:GetObject",
}

# Catalogue of S3 actions on a general purpose bucket or its objects (enough to show what a wildcard reaches).
S3_BUCKET_ACTIONS = (
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketAcl",
    "s3:PutBucketAcl",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:GetBucketLogging",
    "s3:PutBucketLogging",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetBucketWebsite",
    "s3:PutBucketWebsite",
    "s3:DeleteBucketWebsite",
    "s3:GetBucketCORS",
    "s3:PutBucketCORS",
    "s3:GetBucketNotification",
    "s3:PutBucketNotification",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetAccelerateConfiguration",
    "s3:PutAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:PutBucketRequestPayment",
    "s3:DeleteBucket",
)
S3_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:RestoreObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
_OBJECT_ACTIONS_LOWER = frozenset(a.lower() for a in S3_OBJECT_ACTIONS)


def iam_action(action: str) -> str:
    """The IAM action of an observed call: ``GetObject``, ``s3:GetObject``, ``ListObjectsV2`` (CloudTrail event name)
    -> ``s3:GetObject`` / ``s3:ListBucket``. A bare name means S3; other services pass through unchanged."""
    if not isinstance(action, str) or not action.strip():
        raise AuthorizationError(f"call action {action!r}: expected an action name like s3:GetObject or GetObject")
    action = action.strip()
    service, sep, name = action.partition(":")
    if not sep:
        service, name = "s3", action
    if service.lower() != "s3":
        return action
    mapped = _EVENT_ACTIONS.get(name.lower())
    return mapped or f"s3:{name}"


def is_object_action(action: str) -> bool:
    """Whether an S3 IAM action applies to objects (``bucket/key``) rather than to the bucket."""
    return action.lower() in _OBJECT_ACTIONS_LOWER or (
        action.lower().startswith("s3:") and "object" in action.lower() and "bucket" not in action.lower()
    )


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def call_resource(action: str, resource: Any, bucket: str) -> str:
    """The resource ARN of a call: an ARN is kept; a key (or ``bucket/key``) becomes the object ARN; nothing becomes
    the bucket ARN for bucket-level actions and ``bucket/*`` for object-level ones."""
    if isinstance(resource, str) and resource.startswith("arn:"):
        return resource
    if isinstance(resource, str) and resource:
        key = resource[len(bucket) + 1 :] if resource.startswith(f"{bucket}/") else resource
        if key == bucket:
            return bucket_arn(bucket)
        return f"{bucket_arn(bucket)}/{key.lstrip('/')}"
    return f"{bucket_arn(bucket)}/*" if is_object_action(action) else bucket_arn(bucket)


# --------------------------------------------------------------------------------------------------------------------
# globbing helpers


def glob_may_match_prefix(pattern: str, prefix: str, ignore_case: bool = False) -> bool:
    """Whether some string starting with ``prefix`` matches the IAM glob ``pattern`` (``*``, ``?``; ``${...}``
    policy variables count as ``*``)."""
    pattern = re.sub(r"\$\{[^}]*\}", "*", pattern)
    if ignore_case:
        pattern, prefix = pattern.lower(), prefix.lower()
    states = _closure({0}, pattern)
    for ch in prefix:
        following = set()
        for pos in states:
            if pos == len(pattern):
                continue
            token = pattern[pos]
            if token == "*":
                following.add(pos)
            elif token == "?" or token == ch:
                following.add(pos + 1)
        states = _closure(following, pattern)
        if not states:
            return False
    return True


def _closure(states: set[int], pattern: str) -> set[int]:
    out = set(states)
    stack = list(states)
    while stack:
        pos = stack.pop()
        if pos < len(pattern) and pattern[pos] == "*" and pos + 1 not in out:
            out.add(pos + 1)
            stack.append(pos + 1)
    return out


def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    # fnmatch treats [..] as a class; IAM has no classes, so escape them.
    safe = pattern.replace("[", "[[]")
    if ignore_case:
        return fnmatchcase(value.lower(), safe.lower())
    return fnmatchcase(value, safe)


def _covers(pattern: str, action: str) -> bool:
    return _glob(pattern, action, True)


# --------------------------------------------------------------------------------------------------------------------
# expected access


@dataclass(frozen=True)
class ExpectedAccess:
    """One entry of expected access: ``principal`` is an ARN pattern, ``anonymous`` or ``*``."""

    principal: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "actions": list(self.actions),
            "resources": list(self.resources),
            "source": self.source,
        }


_SHORT_PRINCIPAL = re.compile(r"^(user|role|group|assumed-role|account)/(.+)$")


def expand_principal(text: str, account_id: str | None, where: str) -> str:
    """``role/x`` -> ``arn:aws:iam::ACCOUNT:role/x``; ``account/N`` or ``N`` -> ``arn:aws:iam::N:root``;
    ``anonymous``/``*``/ARNs/patterns unchanged."""
    if not isinstance(text, str) or not text.strip():
        raise AuthorizationError(f"{where}: principal must be a non-empty string (an ARN, a pattern or 'anonymous')")
    text = text.strip()
    if text.lower() in ("anonymous", "anonymous_principal"):
        return "anonymous"
    if text == "*" or text.startswith("arn:"):
        return text
    if re.fullmatch(r"\d{12}", text):
        return f"arn:aws:iam::{text}:root"
    match = _SHORT_PRINCIPAL.match(text)
    if match:
        kind, rest = match.groups()
        if kind == "account":
            return f"arn:aws:iam::{rest}:root"
        if not account_id:
            raise AuthorizationError(f"{where}: short principal {text!r} needs the bucket's account id")
        service = "sts" if kind == "assumed-role" else "iam"
        return f"arn:aws:{service}::{account_id}:{kind}/{rest}"
    raise AuthorizationError(
        f"{where}: principal {text!r} is not an ARN, a pattern over ARNs, 'role/NAME', 'user/NAME', "
        "'account/ID' or 'anonymous'"
    )


def _expected_resources(resources: Any, bucket: str, where: str) -> tuple[str, ...]:
    if resources in (None, [], ""):
        return (bucket_arn(bucket), f"{bucket_arn(bucket)}/*")
    items = resources if isinstance(resources, list) else [resources]
    out = []
    for item in items:
        if not isinstance(item, str) or not item:
            raise AuthorizationError(f"{where}: resources must be ARNs or key prefixes, got {item!r}")
        if item.startswith("arn:"):
            out.append(item)
        else:
            key = item.lstrip("/")
            out.append(f"{bucket_arn(bucket)}/{key}")
    return tuple(dict.fromkeys(out))


def _expected_actions(actions: Any, where: str) -> tuple[str, ...]:
    items = actions if isinstance(actions, list) else [actions]
    if not items or actions in (None, ""):
        raise AuthorizationError(f"{where}: actions must name at least one action pattern (s3:GetObject, s3:Get*)")
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise AuthorizationError(f"{where}: actions must be strings, got {item!r}")
        item = item.strip()
        out.append(item if ":" in item or item == "*" else f"s3:{item}")
    return tuple(dict.fromkeys(out))


def parse_expected_access(
    entries: Any, *, bucket: str, account_id: str | None, source: str = "expected_access"
) -> list[ExpectedAccess]:
    """Validate a list of ``{principal, actions, resources}`` (the variable form)."""
    if entries is None:
        return []
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        raise AuthorizationError(f"{source}: expected a list of {{principal, actions, resources}}")
    out = []
    for index, entry in enumerate(entries):
        where = f"{source}[{index}]"
        if not isinstance(entry, Mapping):
            raise AuthorizationError(f"{where}: expected a mapping with principal and actions")
        unknown = sorted(set(entry) - {"principal", "actions", "resources"})
        if unknown:
            raise AuthorizationError(
                f"{where}: unknown key(s) {', '.join(unknown)} (use principal, actions, resources)"
            )
        if "principal" not in entry or "actions" not in entry:
            raise AuthorizationError(f"{where}: needs both principal and actions")
        out.append(
            ExpectedAccess(
                expand_principal(entry["principal"], account_id, where),
                _expected_actions(entry["actions"], where),
                _expected_resources(entry.get("resources"), bucket, where),
                source,
            )
        )
    return out


def _compact_entries(text: str, where: str) -> list[dict[str, Any]]:
    entries = []
    for token in re.split(r"[\s;,]+", text.strip()):
        if not token:
            continue
        principal, sep, rest = token.partition("=")
        if not sep or not principal or not rest:
            raise AuthorizationError(
                f"{where}: entry {token!r} is not PRINCIPAL=ACTION+ACTION[@KEYPREFIX] "
                "(for example role/app-reporting=s3:GetObject+s3:ListBucket)"
            )
        actions, _at, prefix = rest.partition("@")
        entry: dict[str, Any] = {"principal": principal, "actions": [a for a in actions.split("+") if a]}
        if prefix:
            entry["resources"] = [prefix if prefix.endswith("*") else prefix + "*"]
        entries.append(entry)
    return entries


def parse_expected_access_tags(
    tags: Mapping[str, str] | None, *, bucket: str, account_id: str | None, tag_key: str = EXPECTED_ACCESS_TAG
) -> list[ExpectedAccess]:
    """Expected access from the bucket's tags ``tag_key``, ``tag_key-2`` …; ``[]`` when there is none."""
    out: list[ExpectedAccess] = []
    if not tags:
        return out
    keys = [k for k in tags if k == tag_key or re.fullmatch(re.escape(tag_key) + r"-\d+", k)]
    for key in sorted(keys, key=lambda k: (k != tag_key, len(k), k)):
        value = tags[key]
        where = f"bucket tag {key} of {bucket}"
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise AuthorizationError(f"{where}: empty value")
        if text[0] in "[{":
            try:
                entries = json.loads(text)
            except ValueError as exc:
                raise AuthorizationError(f"{where}: not valid JSON ({exc})") from exc
        else:
            entries = _compact_entries(text, where)
        out.extend(parse_expected_access(entries, bucket=bucket, account_id=account_id, source=where))
    return out


def principal_forms(principal: Principal, resolved: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The names a principal can be matched by in expected access: its ARN, for a session the role ARN (with and
    without path), the account root ARN is not included (an account pattern must be written as such)."""
    if principal.kind == "anonymous":
        return ("anonymous",)
    if principal.kind == "service":
        return (principal.name or "",)
    forms = [principal.arn or ""]
    if principal.kind == "role_session":
        forms.append(principal.role_arn or "")
    resolved = resolved or {}
    for key in ("role_arn", "arn"):
        value = resolved.get(key)
        if isinstance(value, str) and value:
            forms.append(value)
    return tuple(dict.fromkeys(f for f in forms if f))


def _principal_matches(pattern: str, forms: tuple[str, ...], principal: Principal) -> bool:
    if pattern == "*":
        return True
    if pattern == "anonymous":
        return principal.kind == "anonymous"
    if principal.kind == "anonymous":
        return False
    if pattern.endswith(":root") and principal.account_id and "*" not in pattern and "?" not in pattern:
        return pattern.split(":")[4] == principal.account_id
    return any(_glob(pattern, form, False) for form in forms)


def expected_for(
    expected: Iterable[ExpectedAccess], principal: Principal, forms: tuple[str, ...]
) -> list[ExpectedAccess]:
    """The expected-access entries that name this principal."""
    return [entry for entry in expected if _principal_matches(entry.principal, forms, principal)]


def match_expected(entries: Iterable[ExpectedAccess], action: str, resource: str) -> ExpectedAccess | None:
    """The first entry (already filtered to the principal) covering ``action`` on ``resource``."""
    for entry in entries:
        if any(_covers(pattern, action) for pattern in entry.actions) and any(
            _glob(pattern, resource, False) for pattern in entry.resources
        ):
            return entry
    return None


# --------------------------------------------------------------------------------------------------------------------
# evaluation inputs from gathered data


def acl_from_snake(acl: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not acl:
        return None
    grants = []
    for grant in acl.get("grants") or []:
        grantee = grant.get("grantee") or {}
        boto = {
            "Type": grantee.get("type"),
            "ID": grantee.get("id"),
            "URI": grantee.get("uri"),
            "DisplayName": grantee.get("display_name"),
        }
        grants.append({"Grantee": {k: v for k, v in boto.items() if v}, "Permission": grant.get("permission")})
    return {"Owner": {"ID": (acl.get("owner") or {}).get("id")}, "Grants": grants}


def bpa_from_snake(config: Mapping[str, Any] | None) -> dict[str, bool] | None:
    if not config:
        return None
    names = {
        "block_public_acls": "BlockPublicAcls",
        "ignore_public_acls": "IgnorePublicAcls",
        "block_public_policy": "BlockPublicPolicy",
        "restrict_public_buckets": "RestrictPublicBuckets",
    }
    return {names.get(k, k): bool(v) for k, v in config.items()}


def bucket_context(
    bucket_info: Mapping[str, Any],
    *,
    account_id: str | None,
    account_block_public_access: Mapping[str, Any] | None = None,
) -> BucketContext:
    """A :class:`BucketContext` from a ``gather_bucket`` result (snake_case sections)."""
    name = bucket_info["name"]
    policy = bucket_info.get("policy")
    if policy is None and bucket_info.get("policy_text"):
        policy = bucket_info["policy_text"]
    try:
        return BucketContext(
            account_id=account_id,
            bucket_policy=(f"bucket policy of {name}", "bucket-policy", policy) if policy else None,
            acl=acl_from_snake(bucket_info.get("acl")),
            object_ownership=bucket_info.get("ownership_controls"),
            block_public_access=bpa_from_snake(bucket_info.get("public_access_block")),
            account_block_public_access=bpa_from_snake(account_block_public_access),
            name=name,
        )
    except PolicyError as exc:
        raise AuthorizationError(str(exc)) from exc


def caller_principal(resolved: Mapping[str, Any]) -> Principal:
    """The engine's :class:`Principal` for a resolved principal (``iam_principals.resolve_principal`` output)."""
    kind = resolved.get("type")
    if kind == "anonymous":
        return Principal.anonymous()
    if kind == "service":
        return Principal.service(resolved.get("name") or resolved.get("input") or "")
    arn = resolved.get("arn") or resolved.get("input")
    return Principal.from_arn(arn, userid=resolved.get("id"))


def principal_policies(resolved: Mapping[str, Any], *, bucket_account_id: str | None) -> PrincipalPolicies:
    """The identity side from a resolved principal. For a principal of another account, whose policies cannot be
    read from here, the identity side is assumed to allow (the resource side then decides what is reported)."""
    if resolved.get("cross_account"):
        allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        return PrincipalPolicies.build(identity=[(EXTERNAL_IDENTITY_POLICY, "external", allow_all)])
    specs = []
    for policy in resolved.get("policies") or []:
        if policy.get("document") is None:
            continue
        specs.append((policy["name"], policy["type"], policy["document"]))
    boundary = resolved.get("permissions_boundary") or None
    boundary_spec = None
    if boundary and boundary.get("document") is not None:
        boundary_spec = (boundary.get("name") or "permissions-boundary", "permissions-boundary", boundary["document"])
    try:
        return PrincipalPolicies.build(identity=specs, permissions_boundary=boundary_spec)
    except PolicyError as exc:
        raise AuthorizationError(f"{resolved.get('arn') or resolved.get('input')}: {exc}") from exc


# --------------------------------------------------------------------------------------------------------------------
# calls


@dataclass
class PreparedCall:
    """One observed call, ready for the engine (and for SimulatePrincipalPolicy)."""

    index: int
    action: str
    iam_action: str
    resource: str
    context: dict[str, Any]
    observed: dict[str, Any]


def _call_context(call: Mapping[str, Any]) -> dict[str, Any]:
    context = dict(call.get("context") or {})
    ips = call.get("source_ips")
    if "aws:SourceIp" not in context and isinstance(ips, list) and len(ips) == 1:
        context["aws:SourceIp"] = ips[0]
    if "aws:SourceIp" not in context and isinstance(call.get("source_ip"), str):
        context["aws:SourceIp"] = call["source_ip"]
    vpce = call.get("vpc_endpoint_id")
    if "aws:SourceVpce" not in context and isinstance(vpce, str) and vpce:
        context["aws:SourceVpce"] = vpce
    return context


def prepare_calls(calls: Any, bucket: str) -> list[PreparedCall]:
    """Validate and normalise observed calls (``{action, resource, context, count, error_count, ...}``)."""
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise AuthorizationError("calls: expected a list of {action, resource, context}")
    out = []
    for index, call in enumerate(calls):
        if isinstance(call, str):
            call = {"action": call}
        if not isinstance(call, Mapping):
            raise AuthorizationError(f"calls[{index}]: expected a mapping with at least an action")
        try:
            action = iam_action(call.get("action"))
        except AuthorizationError as exc:
            raise AuthorizationError(f"calls[{index}]: {exc}") from exc
        if call.get("context") is not None and not isinstance(call.get("context"), Mapping):
            raise AuthorizationError(f"calls[{index}].context: expected a mapping of condition key to value")
        observed = {k: call[k] for k in ("count", "error_count", "first_seen", "last_seen") if k in call}
        out.append(
            PreparedCall(
                index,
                str(call["action"]),
                action,
                call_resource(action, call.get("resource"), bucket),
                _call_context(call),
                observed,
            )
        )
    return out


def _observed_outcome(observed: Mapping[str, Any]) -> str:
    count, errors = observed.get("count"), observed.get("error_count")
    if not isinstance(count, int) or not isinstance(errors, int):
        return "unknown"
    if errors <= 0:
        return "succeeded"
    if errors >= count:
        return "failed"
    return "partly_failed"


def call_verdict(allowed: bool, expected: bool | None, principal: Principal, resource_side_only: bool) -> str:
    if not allowed:
        return UNAUTHORIZED
    if expected is True:
        return AUTHORIZED
    if expected is False:
        return ALLOWED_BUT_UNEXPECTED
    # no expected access at all: anonymous, public and cross-account access is never assumed intended; for a
    # same-account identity the policies allow it, but whether it was meant is unknown (not "authorized")
    if principal.kind in ("anonymous", "service") or resource_side_only:
        return ALLOWED_BUT_UNEXPECTED
    return ALLOWED_INTENT_UNKNOWN


def principal_verdict(verdicts: Iterable[str]) -> str:
    """``allowed_but_unexpected`` when any allowed call was not expected; else ``allowed_intent_unknown`` when an
    allowed call's intent is unknown (no expected access declared); else ``authorized`` when something was allowed
    and all of it expected; ``unauthorized`` when nothing it did was allowed (or nothing was observed)."""
    seen = set(verdicts)
    for verdict in (ALLOWED_BUT_UNEXPECTED, ALLOWED_INTENT_UNKNOWN, AUTHORIZED):
        if verdict in seen:
            return verdict
    return UNAUTHORIZED


# --------------------------------------------------------------------------------------------------------------------
# excessive permissions


def _statement_actions(statement: Mapping[str, Any]) -> list[str]:
    return list(statement.get("Action") or statement.get("NotAction") or [])


def _s3_actions_granted(statement: Mapping[str, Any], object_level: bool, bucket_level: bool) -> list[str]:
    catalogue = (S3_OBJECT_ACTIONS if object_level else ()) + (S3_BUCKET_ACTIONS if bucket_level else ())
    patterns = _statement_actions(statement)
    if "NotAction" in statement:
        return [a for a in catalogue if not any(_covers(p, a) for p in patterns)]
    return [a for a in catalogue if any(_covers(p, a) for p in patterns)]


def _reach(statement: Mapping[str, Any], bucket: str) -> tuple[bool, bool]:
    """(reaches the bucket itself, reaches objects in it)."""
    arn = bucket_arn(bucket)
    if "NotResource" in statement:
        patterns = statement["NotResource"]
        bucket_hit = not any(_glob(p, arn, False) for p in patterns)
        objects_hit = not any(_glob(p, f"{arn}/*", False) and p.endswith("*") for p in patterns)
        return bucket_hit, objects_hit
    patterns = statement.get("Resource") or ["*"]
    bucket_hit = any(_glob(re.sub(r"\$\{[^}]*\}", "*", p), arn, False) for p in patterns)
    objects_hit = any(glob_may_match_prefix(p, f"{arn}/") for p in patterns)
    return bucket_hit, objects_hit


def _wildcard_resource(statement: Mapping[str, Any]) -> bool:
    if "NotResource" in statement:
        return True
    for pattern in statement.get("Resource") or []:
        if pattern == "*" or (pattern.startswith("arn:aws:s3:::") and pattern[len("arn:aws:s3:::") :].startswith("*")):
            return True
    return False


def _admin(statement: Mapping[str, Any]) -> bool:
    return any(p in ("*", "*:*") for p in statement.get("Action") or []) and "*" in (statement.get("Resource") or [])


def _wildcard_s3_action(statement: Mapping[str, Any]) -> bool:
    if "NotAction" in statement:
        return True
    for pattern in statement.get("Action") or []:
        service = pattern.partition(":")[0]
        if ("*" in pattern or "?" in pattern) and _glob(service, "s3", True):
            return True
    return False


def _beyond_expected(granted: list[str], entries: list[ExpectedAccess], bucket: str) -> list[str]:
    arn = bucket_arn(bucket)
    out = []
    for action in granted:
        resource = f"{arn}/*" if action.lower() in _OBJECT_ACTIONS_LOWER else arn
        covered = False
        for entry in entries:
            if not any(_covers(p, action) for p in entry.actions):
                continue
            if any(
                _glob(p, resource, False) or glob_may_match_prefix(p, resource.rstrip("*")) for p in entry.resources
            ):
                covered = True
                break
        if not covered:
            out.append(action)
    return out


def _attachment(policy: Mapping[str, Any], resolved: Mapping[str, Any]) -> str:
    via = policy.get("attached_via")
    if via:
        return f"group {via}"
    kind = resolved.get("type")
    if kind == "assumed_role":
        return f"role {resolved.get('role_name') or resolved.get('name')}"
    return f"{kind} {resolved.get('name')}"


def _statement_label(sid: str | None, index: int) -> str:
    return f"statement {sid!r}" if sid else f"statement #{index}"


def _identity_fix(policy: Mapping[str, Any], resolved: Mapping[str, Any], sid: str | None, index: int) -> dict:
    holder = _attachment(policy, resolved)
    label = _statement_label(sid, index)
    if policy["type"].endswith("-inline"):
        return {
            "action": "edit_inline_policy",
            "target": holder,
            "policy_name": policy["name"],
            "statement": label,
            "text": f"Edit inline policy {policy['name']} of {holder}: remove or narrow {label}",
        }
    kind = "AWS-managed" if policy["type"] == "aws-managed" else "customer-managed"
    text = f"Detach {kind} policy {policy['name']} ({policy.get('arn')}) from {holder}"
    if policy.get("attached_via"):
        text += f" (or remove {resolved.get('type')} {resolved.get('name')} from the group)"
    text += f"; its {label} grants more than is expected"
    return {
        "action": "detach_policy",
        "target": holder,
        "policy_name": policy["name"],
        "policy_arn": policy.get("arn"),
        "statement": label,
        "text": text,
    }


def excessive_permissions(
    resolved: Mapping[str, Any],
    principal: Principal,
    bucket_ctx: BucketContext,
    bucket: str,
    entries: list[ExpectedAccess],
    expectations_known: bool,
) -> list[dict[str, Any]]:
    """Statements that give this principal more on ``bucket`` than it should have, each with the fix.

    Identity statements: admin (``*`` on ``*``), wildcard S3 actions, wildcard resources (every bucket), and
    actions on this bucket beyond expected access. Bucket policy statements and ACL grants reaching the principal:
    public grants and cross-account grants not covered by expected access, and actions beyond expected access."""
    out: list[dict[str, Any]] = []
    if not resolved.get("cross_account"):
        for policy in resolved.get("policies") or []:
            document = policy.get("document")
            if document is None:
                continue
            try:
                parsed = parse_policy(document, policy["name"])
            except PolicyError as exc:
                raise AuthorizationError(str(exc)) from exc
            for index, statement in enumerate(parsed["Statement"]):
                if statement.get("Effect") != "Allow":
                    continue
                bucket_hit, objects_hit = _reach(statement, bucket)
                granted = _s3_actions_granted(statement, objects_hit, bucket_hit)
                if not granted:
                    continue
                reasons = []
                if _admin(statement):
                    reasons.append("admin_policy")
                elif _wildcard_s3_action(statement):
                    reasons.append("wildcard_action")
                if _wildcard_resource(statement):
                    reasons.append("wildcard_resource")
                beyond = _beyond_expected(granted, entries, bucket) if expectations_known else []
                if beyond:
                    reasons.append("beyond_expected")
                if not reasons:
                    continue
                sid = statement.get("Sid")
                out.append(
                    {
                        "source": "identity",
                        "policy_name": policy["name"],
                        "policy_type": policy["type"],
                        "policy_arn": policy.get("arn"),
                        "attached_to": _attachment(policy, resolved),
                        "sid": sid,
                        "index": index,
                        "statement": statement,
                        "reasons": reasons,
                        "actions_on_bucket": granted,
                        "actions_beyond_expected": beyond,
                        "fix": _identity_fix(policy, resolved, sid, index),
                    }
                )
    out.extend(_resource_side_excess(principal, bucket_ctx, bucket, entries, expectations_known))
    return out


def _resource_side_excess(
    principal: Principal, bucket_ctx: BucketContext, bucket: str, entries: list[ExpectedAccess], known: bool
) -> list[dict[str, Any]]:
    out = []
    policy = bucket_ctx.bucket_policy
    cross = principal.kind not in ("anonymous", "service") and principal.account_id != bucket_ctx.account_id
    if policy is not None:
        for compiled in policy.statements:
            statement = compiled.statement
            if statement.get("Effect") != "Allow" or not compiled.principal_strength(principal):
                continue
            bucket_hit, objects_hit = _reach(statement, bucket)
            granted = _s3_actions_granted(statement, objects_hit, bucket_hit)
            if not granted:
                continue
            beyond = _beyond_expected(granted, entries, bucket) if known else granted
            reasons = []
            public = statement_is_public(statement)
            if public and beyond:
                reasons.append("public_grant")
            elif cross and beyond:
                reasons.append("cross_account_grant")
            if _wildcard_s3_action(statement) and beyond:
                reasons.append("wildcard_action")
            if known and beyond:
                reasons.append("beyond_expected")
            if not reasons:
                continue
            label = _statement_label(compiled.ref.sid, compiled.ref.index)
            out.append(
                {
                    "source": "bucket_policy",
                    "policy_name": compiled.ref.policy_name,
                    "policy_type": "bucket-policy",
                    "policy_arn": None,
                    "attached_to": f"bucket {bucket}",
                    "sid": compiled.ref.sid,
                    "index": compiled.ref.index,
                    "statement": statement,
                    "reasons": reasons,
                    "actions_on_bucket": granted,
                    "actions_beyond_expected": beyond if known else [],
                    "fix": {
                        "action": "remove_bucket_policy_statement",
                        "target": f"bucket {bucket}",
                        "sid": compiled.ref.sid,
                        "index": compiled.ref.index,
                        "statement": label,
                        "text": f"Remove {label} from the bucket policy of {bucket} (keep the other statements)",
                    },
                }
            )
    if not bucket_ctx.acls_disabled:
        for index, grant in enumerate(bucket_ctx.grants):
            if not is_public_grant(grant):
                continue
            uri = grant["Grantee"]["URI"]
            if uri.endswith("AuthenticatedUsers") and principal.kind == "anonymous":
                continue
            group = uri.rsplit("/", 1)[-1]
            out.append(
                {
                    "source": "acl",
                    "policy_name": f"acl of {bucket}",
                    "policy_type": "acl",
                    "policy_arn": None,
                    "attached_to": f"bucket {bucket}",
                    "sid": group,
                    "index": index,
                    "statement": dict(grant),
                    "reasons": ["public_grant"],
                    "actions_on_bucket": [],
                    "actions_beyond_expected": [],
                    "fix": {
                        "action": "remove_acl_grant",
                        "target": f"bucket {bucket}",
                        "index": index,
                        "statement": f"grant #{index}",
                        "text": f"Remove the {grant.get('Permission')} grant to {group} from the ACL of {bucket} "
                        "(or set Object Ownership to BucketOwnerEnforced)",
                    },
                }
            )
    return out


# --------------------------------------------------------------------------------------------------------------------
# least privilege


def least_privilege_statement(
    entries: list[ExpectedAccess], principal: Principal, bucket: str, for_bucket_policy: bool = False
) -> dict[str, Any] | None:
    """One Allow statement granting exactly the expected access of this principal on ``bucket`` (identity-policy
    form; with ``for_bucket_policy`` or an anonymous caller, bucket-policy form with a Principal). ``None`` when no
    access is expected."""
    if not entries:
        return None
    actions: list[str] = []
    resources: list[str] = []
    for entry in entries:
        actions.extend(entry.actions)
        resources.extend(entry.resources)
    name = re.sub(r"[^A-Za-z0-9]", "", (principal.name or principal.kind).title()) or "Principal"
    statement: dict[str, Any] = {
        "Sid": f"CloudsecLeastPrivilege{name}"[:100],
        "Effect": "Allow",
        "Action": sorted(dict.fromkeys(actions), key=str.lower),
        "Resource": sorted(dict.fromkeys(resources)),
    }
    if for_bucket_policy or principal.kind == "anonymous":
        if principal.kind == "anonymous":
            statement = {"Sid": statement["Sid"], "Effect": "Allow", "Principal": "*", **_without_sid(statement)}
        else:
            arn = principal.role_arn if principal.kind == "role_session" else principal.arn
            statement = {
                "Sid": statement["Sid"],
                "Effect": "Allow",
                "Principal": {"AWS": arn},
                **_without_sid(statement),
            }
    return statement


def _without_sid(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k not in ("Sid", "Effect")}


# --------------------------------------------------------------------------------------------------------------------
# the whole analysis of one principal on one bucket


def _ref_key(ref: Mapping[str, Any]) -> tuple:
    return (ref.get("policy_name"), ref.get("index"))


def _excess_ref(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The short form of an excessive-permission entry, as listed under each call it let through."""
    return {k: entry[k] for k in ("policy_name", "policy_type", "sid", "index", "reasons")} | {
        "fix": entry["fix"]["text"]
    }


def analyse_principal(
    resolved: Mapping[str, Any],
    bucket_info: Mapping[str, Any],
    calls: list[PreparedCall],
    expected: list[ExpectedAccess],
    *,
    expected_source: str,
    bucket_account_id: str | None,
    account_block_public_access: Mapping[str, Any] | None = None,
    simulation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate every call, give verdicts, find excessive permissions and the least-privilege statement.

    ``simulation``: ``{"status": "available", "results": {(iam_action, resource): {...}}}`` or
    ``{"status": "unavailable" | "not_applicable", "reason": ...}``."""
    bucket = bucket_info["name"]
    principal = caller_principal(resolved)
    forms = principal_forms(principal, resolved)
    ctx = bucket_context(
        bucket_info, account_id=bucket_account_id, account_block_public_access=account_block_public_access
    )
    policies = principal_policies(resolved, bucket_account_id=bucket_account_id)
    identity_only = PrincipalPolicies.build(
        identity=policies.identity, permissions_boundary=policies.permissions_boundary
    )
    known = bool(expected)
    mine = expected_for(expected, principal, forms)
    resource_side_only = bool(resolved.get("cross_account")) or principal.kind in ("anonymous", "service")
    excessive = excessive_permissions(resolved, principal, ctx, bucket, mine, known)
    by_statement = {(e["policy_name"], e["index"]): e for e in excessive}
    sim = simulation or {"status": "not_applicable", "reason": "not requested"}
    sim_results = sim.get("results") or {}
    disagreements = []
    out_calls = []
    warnings: list[str] = []
    for call in calls:
        request = Request(principal, call.iam_action, call.resource, call.context, resource_account=bucket_account_id)
        decision = evaluate(request, policies, ctx)
        entry = match_expected(mine, call.iam_action, call.resource) if known else None
        expected_flag = (entry is not None) if known else None
        verdict = call_verdict(decision.allowed, expected_flag, principal, resource_side_only)
        deciding = [ref.as_dict() for ref in decision.deciding]
        for ref in deciding:
            if ref["policy_name"] == EXTERNAL_IDENTITY_POLICY:
                ref["policy_type"] = "external"
        notes = []
        outcome = _observed_outcome(call.observed)
        if decision.allowed and outcome == "failed":
            notes.append("the engine allows this call but every observed attempt failed")
        if not decision.allowed and outcome in ("succeeded", "partly_failed"):
            notes.append("the engine denies this call but it succeeded: access from a source the engine does not see")
        row: dict[str, Any] = {
            "index": call.index,
            "action": call.action,
            "iam_action": call.iam_action,
            "resource": call.resource,
            "context": call.context,
            "observed": {**call.observed, "outcome": outcome},
            "decision": decision.decision,
            "reason": decision.reason,
            "deciding_statements": deciding,
            "details": decision.details,
            "expected": expected_flag,
            "expected_by": entry.as_dict() if entry else None,
            "verdict": verdict,
            "excessive_permissions": [
                _excess_ref(by_statement[_ref_key(ref)]) for ref in deciding if _ref_key(ref) in by_statement
            ],
            "warnings": list(decision.warnings),
            "notes": notes,
            "simulation": None,
        }
        for warning in decision.warnings:
            if warning not in warnings:
                warnings.append(warning)
        if sim.get("status") == "available":
            identity_decision = evaluate(request, identity_only, None).decision
            found = sim_results.get((call.iam_action, call.resource))
            if found is not None:
                row["simulation"] = {**found, "engine_identity_decision": identity_decision}
                if found["decision"] != identity_decision:
                    disagreements.append(
                        {
                            "index": call.index,
                            "action": call.iam_action,
                            "resource": call.resource,
                            "engine": identity_decision,
                            "simulation": found["decision"],
                            "simulation_matched_statements": found.get("matched_statements", []),
                            "missing_context_values": found.get("missing_context_values", []),
                        }
                    )
        out_calls.append(row)
    verdict = principal_verdict(c["verdict"] for c in out_calls)
    least = least_privilege_statement(mine, principal, bucket)
    remediation = [e["fix"]["text"] for e in excessive]
    if least is None and excessive:
        who = "anonymous callers" if principal.kind == "anonymous" else (principal.arn or "this principal")
        if known or resource_side_only:  # anonymous and cross-account access is never assumed intended
            remediation.append(f"No access to {bucket} is expected for {who}: remove it rather than narrow it")
        else:  # nothing declared: "remove it" could cut off an application of the account that needs this access
            remediation.append(
                f"No expected access is declared for {bucket}, so the least-privilege grant for {who} is unknown: "
                f"declare it (authorization_expected_access or the bucket tag {EXPECTED_ACCESS_TAG}) before narrowing"
            )
    elif least is not None and excessive:
        remediation.append(f"Grant instead exactly the expected access: statement {least['Sid']}")
    summary = {v: sum(1 for c in out_calls if c["verdict"] == v) for v in VERDICTS}
    return {
        "principal": _principal_summary(resolved, principal),
        "bucket": bucket,
        "verdict": verdict if out_calls else None,
        "flagged": verdict == ALLOWED_BUT_UNEXPECTED or bool(excessive),
        "calls": out_calls,
        "call_verdicts": summary,
        "excessive_permissions": excessive,
        "least_privilege_statement": least,
        "remediation": remediation,
        "expected_access": {
            "source": expected_source,
            "entries": [e.as_dict() for e in mine],
            "known": known,
        },
        "simulation": {
            "status": sim.get("status"),
            "reason": sim.get("reason"),
            "disagreements": disagreements,
        },
        "warnings": warnings,
    }


def _principal_summary(resolved: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    return {
        "label": resolved.get("arn") or resolved.get("input"),
        "input": resolved.get("input"),
        "arn": resolved.get("arn"),
        "type": resolved.get("type"),
        "name": resolved.get("name"),
        "account_id": resolved.get("account_id"),
        "exists": resolved.get("exists"),
        "cross_account": bool(resolved.get("cross_account")),
        "role_arn": resolved.get("role_arn") or principal.role_arn,
    }


__all__ = [
    "ALLOWED",
    "ALLOWED_BUT_UNEXPECTED",
    "ALLOWED_INTENT_UNKNOWN",
    "AUTHORIZED",
    "UNAUTHORIZED",
    "AuthorizationError",
    "ExpectedAccess",
    "analyse_principal",
    "call_resource",
    "excessive_permissions",
    "iam_action",
    "least_privilege_statement",
    "match_expected",
    "parse_expected_access",
    "parse_expected_access_tags",
    "prepare_calls",
]

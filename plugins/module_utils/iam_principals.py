# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Resolve an IAM principal and gather everything that decides what it may do (IAM read calls, retried).

``classify(value, account_id)`` (pure) says what a principal string is: an IAM user / role ARN, an assumed-role
session ARN, the account root, a federated user, a principal of another account, an access key id, a user name,
an AWS service principal or ``anonymous``. ``resolve_principal(iam, value, account_id=...)`` then reads, for users,
the groups, inline / attached / group policies with their documents (managed policies at their default version),
the permissions boundary, access keys with status and last use, MFA devices and console access; for roles (and
sessions, which resolve to their role) the policies, boundary, trust policy and last use.

Principals that no longer exist are reported with ``exists: false``; principals of another account, the root user,
services and anonymous callers are reported as such (their policies cannot be read from here). A failure of one
read (AccessDenied on ListMFADevices, say) is recorded in ``errors`` and does not stop the others.

Functions take boto3 IAM clients wrapped by amazon.aws's RetryingBotoClientWrapper (``aws_retry=True``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import error_code
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate

_ACCESS_KEY = re.compile(r"^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,124}$")
_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_IAM_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)$")
ANONYMOUS = frozenset({"anonymous", "anonymous_principal", "*"})
NOT_FOUND = ("NoSuchEntity", "NoSuchEntityException")


class PrincipalInputError(ValueError):
    """A principal string that is none of the accepted forms; the message names it."""


def classify(value: Any, account_id: str | None) -> dict[str, Any]:
    """What a principal string denotes (pure). Keys: ``input``, ``type`` (``user``, ``role``, ``assumed_role``,
    ``root``, ``federated_user``, ``anonymous``, ``service``, ``access_key``, ``user_name``), ``arn``, ``account_id``,
    ``name``, ``path``, ``session_name``, ``cross_account``."""
    if not isinstance(value, str):
        raise PrincipalInputError(
            f"principal {value!r}: expected a string (ARN, access key id, user name or anonymous)"
        )
    text = value.strip()
    base: dict[str, Any] = {
        "input": value,
        "arn": None,
        "account_id": None,
        "name": None,
        "path": None,
        "session_name": None,
        "cross_account": False,
    }
    if text.lower() in ANONYMOUS or text == "":
        return {**base, "type": "anonymous", "name": "anonymous"}
    if text.endswith(".amazonaws.com") and ":" not in text:
        return {**base, "type": "service", "name": text.lower()}
    if _ACCESS_KEY.match(text):
        return {**base, "type": "access_key", "access_key_id": text}
    match = _IAM_ARN.match(text)
    if match:
        account, rest, service = match["account"], match["rest"], match["service"]
        out = {**base, "arn": text, "account_id": account, "cross_account": bool(account_id) and account != account_id}
        kind, _slash, path = rest.partition("/")
        if rest == "root":
            return {**out, "type": "root", "name": "root"}
        if service == "iam" and kind in ("user", "role") and path:
            parts = path.split("/")
            return {
                **out,
                "type": kind,
                "name": parts[-1],
                "path": "/" + "/".join(parts[:-1]) + "/" if parts[:-1] else "/",
            }
        if service == "sts" and kind == "assumed-role" and "/" in path:
            role, session = path.split("/", 1)
            return {**out, "type": "assumed_role", "name": role, "session_name": session}
        if service == "sts" and kind == "federated-user" and path:
            return {**out, "type": "federated_user", "name": path}
        raise PrincipalInputError(f"principal {value!r}: unsupported IAM/STS principal type {kind!r}")
    if text.startswith("arn:"):
        raise PrincipalInputError(f"principal {value!r}: not an IAM user, role, assumed-role, root or federated ARN")
    if _USER_NAME.match(text):
        return {**base, "type": "user_name", "name": text}
    raise PrincipalInputError(
        f"principal {value!r}: not an ARN, an access key id (AKIA…/ASIA…), an IAM user name or 'anonymous'"
    )


def policy_document(value: Any) -> Any:
    """A policy document as IAM returns it (a dict from boto3, or URL-encoded / plain JSON text) as a dict."""
    if isinstance(value, str):
        text = value
        if text.lstrip().startswith("%7B") or "%22" in text:
            text = unquote(text)
        try:
            return json.loads(text)
        except ValueError:
            return value  # left as text: the policy engine reports it, naming the policy
    return value


class _Reader:
    """Reads the sections of one principal, collecting per-section errors; caches managed policy documents."""

    def __init__(self, iam: Any, cache: dict[str, Any]) -> None:
        self.iam = iam
        self.cache = cache
        self.errors: dict[str, str] = {}

    def read(self, section: str, call: Callable[[], Any], default: Any = None) -> Any:
        try:
            return call()
        except botocore_errors() as exc:
            self.errors[section] = describe_client_error(exc)
            return default

    def managed_document(self, arn: str) -> dict[str, Any]:
        """``{arn, name, version_id, document}`` of a managed policy's default version (cached per ARN)."""
        if arn not in self.cache:
            policy = self.iam.get_policy(aws_retry=True, PolicyArn=arn)["Policy"]
            version = policy.get("DefaultVersionId")
            document = self.iam.get_policy_version(aws_retry=True, PolicyArn=arn, VersionId=version)["PolicyVersion"]
            self.cache[arn] = {
                "arn": arn,
                "name": policy.get("PolicyName") or arn.rsplit("/", 1)[-1],
                "version_id": version,
                "document": policy_document(document.get("Document")),
            }
        return self.cache[arn]

    def inline(self, kind: str, name: str, policy_type: str, via: str | None = None) -> list[dict[str, Any]]:
        names = paginate(self.iam, f"list_{kind}_policies", **{f"{kind.title()}Name": name}).get("PolicyNames") or []
        out = []
        for pname in names:
            resp = getattr(self.iam, f"get_{kind}_policy")(
                aws_retry=True, **{f"{kind.title()}Name": name, "PolicyName": pname}
            )
            out.append(
                {
                    "name": pname,
                    "type": policy_type,
                    "arn": None,
                    "attached_via": via,
                    "version_id": None,
                    "document": policy_document(resp.get("PolicyDocument")),
                }
            )
        return out

    def attached(self, kind: str, name: str, policy_type: str, via: str | None = None) -> list[dict[str, Any]]:
        listed = paginate(self.iam, f"list_attached_{kind}_policies", **{f"{kind.title()}Name": name})
        out = []
        for item in listed.get("AttachedPolicies") or []:
            arn = item["PolicyArn"]
            managed = self.managed_document(arn)
            aws_managed = arn.split(":")[4] == "aws"
            out.append(
                {
                    "name": managed["name"],
                    "type": "aws-managed" if aws_managed else policy_type,
                    "arn": arn,
                    "attached_via": via,
                    "version_id": managed["version_id"],
                    "document": managed["document"],
                }
            )
        return out

    def boundary(self, entity: dict[str, Any]) -> dict[str, Any] | None:
        arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if not arn:
            return None
        managed = self.read("permissions_boundary", lambda: self.managed_document(arn))
        if managed is None:
            return {"arn": arn, "name": arn.rsplit("/", 1)[-1], "version_id": None, "document": None}
        return dict(managed)


def _tags(entity: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in entity.get("Tags") or []}


def user_for_access_key(iam: Any, access_key_id: str) -> tuple[str | None, str]:
    """The user owning a long-term access key: GetAccessKeyLastUsed, else every user's ListAccessKeys.
    Returns (user name or None, how it was found)."""
    try:
        user = iam.get_access_key_last_used(aws_retry=True, AccessKeyId=access_key_id).get("UserName")
        if user:
            return user, "GetAccessKeyLastUsed"
    except botocore_errors():
        pass
    for user in paginate(iam, "list_users").get("Users") or []:
        keys = paginate(iam, "list_access_keys", UserName=user["UserName"]).get("AccessKeyMetadata") or []
        if any(k.get("AccessKeyId") == access_key_id for k in keys):
            return user["UserName"], "ListAccessKeys"
    return None, "not found"


def _user(reader: _Reader, out: dict[str, Any], name: str) -> dict[str, Any]:
    iam = reader.iam
    try:
        user = iam.get_user(aws_retry=True, UserName=name)["User"]
    except botocore_errors() as exc:
        if error_code(exc) in NOT_FOUND:
            return {**out, "exists": False}
        raise
    out.update(
        type="user",
        exists=True,
        arn=user["Arn"],
        name=user["UserName"],
        id=user.get("UserId"),
        path=user.get("Path"),
        account_id=user["Arn"].split(":")[4],
        create_date=user.get("CreateDate"),
        password_last_used=user.get("PasswordLastUsed"),
        tags=_tags(user),
    )
    groups = reader.read("groups", lambda: paginate(iam, "list_groups_for_user", UserName=name).get("Groups"), [])
    out["groups"] = [{"name": g["GroupName"], "arn": g["Arn"]} for g in groups or []]
    policies = reader.read("inline_policies", lambda: reader.inline("user", name, "user-inline"), [])
    policies += reader.read("attached_policies", lambda: reader.attached("user", name, "user-managed"), [])
    for group in out["groups"]:
        gname = group["name"]
        policies += reader.read(f"group {gname}", lambda g=gname: reader.inline("group", g, "group-inline", via=g), [])
        policies += reader.read(
            f"group {gname} attached", lambda g=gname: reader.attached("group", g, "group-managed", via=g), []
        )
    out["policies"] = policies
    out["permissions_boundary"] = reader.boundary(user)
    keys = reader.read("access_keys", lambda: paginate(iam, "list_access_keys", UserName=name), {})
    out["access_keys"] = []
    for key in (keys or {}).get("AccessKeyMetadata") or []:
        kid = key["AccessKeyId"]
        last = reader.read(
            f"access key {kid}", lambda k=kid: iam.get_access_key_last_used(aws_retry=True, AccessKeyId=k), {}
        )
        used = (last or {}).get("AccessKeyLastUsed") or {}
        out["access_keys"].append(
            {
                "access_key_id": kid,
                "status": key.get("Status"),
                "create_date": key.get("CreateDate"),
                "last_used_date": used.get("LastUsedDate"),
                "last_used_service": used.get("ServiceName"),
                "last_used_region": used.get("Region"),
            }
        )
    mfa = reader.read("mfa_devices", lambda: paginate(iam, "list_mfa_devices", UserName=name), {})
    out["mfa_devices"] = [
        {"serial_number": d.get("SerialNumber"), "enable_date": d.get("EnableDate")}
        for d in (mfa or {}).get("MFADevices") or []
    ]
    try:
        profile = iam.get_login_profile(aws_retry=True, UserName=name).get("LoginProfile") or {}
        out["console_access"] = True
        out["login_profile_create_date"] = profile.get("CreateDate")
    except botocore_errors() as exc:
        if error_code(exc) in NOT_FOUND:
            out["console_access"] = False
        else:
            out["console_access"] = None
            reader.errors["console_access"] = describe_client_error(exc)
    return out


def login_profile(iam, user: str) -> dict[str, Any]:
    """Whether ``user`` has a console password (``exists``) and whether it must be reset (for a faithful restore)."""
    try:
        profile = iam.get_login_profile(aws_retry=True, UserName=user)["LoginProfile"]
    except botocore_errors() as exc:
        if error_code(exc) in NOT_FOUND:
            return {"exists": False}
        raise
    return {"exists": True, "password_reset_required": bool(profile.get("PasswordResetRequired", False))}


def _role(reader: _Reader, out: dict[str, Any], name: str) -> dict[str, Any]:
    iam = reader.iam
    try:
        role = iam.get_role(aws_retry=True, RoleName=name)["Role"]
    except botocore_errors() as exc:
        if error_code(exc) in NOT_FOUND:
            return {**out, "exists": False}
        raise
    last = role.get("RoleLastUsed") or {}
    out.update(
        exists=True,
        id=role.get("RoleId"),
        path=role.get("Path"),
        role_name=role["RoleName"],
        role_arn=role["Arn"],
        create_date=role.get("CreateDate"),
        description=role.get("Description"),
        max_session_duration=role.get("MaxSessionDuration"),
        tags=_tags(role),
        trust_policy=policy_document(role.get("AssumeRolePolicyDocument")),
        role_last_used={"last_used_date": last.get("LastUsedDate"), "region": last.get("Region")},
    )
    if out["type"] == "role":
        out.update(arn=role["Arn"], name=role["RoleName"])
    policies = reader.read("inline_policies", lambda: reader.inline("role", name, "role-inline"), [])
    policies += reader.read("attached_policies", lambda: reader.attached("role", name, "role-managed"), [])
    out["policies"] = policies
    out["permissions_boundary"] = reader.boundary(role)
    return out


def _empty(classified: dict[str, Any]) -> dict[str, Any]:
    out = dict(classified)
    out.update(
        exists=None,
        id=None,
        groups=[],
        policies=[],
        permissions_boundary=None,
        access_keys=[],
        mfa_devices=[],
        console_access=None,
        trust_policy=None,
        role_last_used=None,
        tags={},
        resolved_from=None,
        note=None,
        errors={},
    )
    return out


def resolve_principal(
    iam: Any, value: Any, *, account_id: str | None, cache: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve one principal and read its policies and credentials (see the module docstring).

    Raises :class:`PrincipalInputError` for a string that is no principal at all; AWS errors other than "no such
    entity" on the principal itself propagate (the caller reports them naming the principal)."""
    classified = classify(value, account_id)
    out = _empty(classified)
    reader = _Reader(iam, cache if cache is not None else {})
    kind = classified["type"]
    if kind == "anonymous":
        out.update(resolved_from="anonymous", note="anonymous caller: only the bucket policy and ACL apply")
        return jsonable(out)
    if kind == "service":
        out.update(resolved_from="service", note="AWS service principal: only resource-based policies apply")
        return jsonable(out)
    if classified["cross_account"]:
        out.update(
            resolved_from="arn",
            note=f"principal of account {classified['account_id']}, not the account of these credentials "
            f"({account_id}): its identity policies cannot be read from here",
        )
        return jsonable(out)
    if kind == "root":
        out.update(resolved_from="arn", exists=True, note="the account root user: not limited by IAM policies")
        return jsonable(out)
    if kind == "federated_user":
        out.update(resolved_from="arn", note="federated user session: its permissions come from the issuing user")
        return jsonable(out)
    if kind == "access_key":
        key = classified["access_key_id"]
        if key.startswith("ASIA"):
            out.update(
                type="access_key",
                exists=None,
                resolved_from="access_key",
                note="temporary (ASIA) key: IAM cannot map it to a principal; use the session ARN from CloudTrail",
            )
            return jsonable(out)
        user, how = user_for_access_key(iam, key)
        if user is None:
            out.update(exists=False, resolved_from="access_key", note=f"access key {key} belongs to no IAM user")
            return jsonable(out)
        out.update(type="user", name=user, resolved_from=f"access_key ({how})")
        out = _user(reader, out, user)
    elif kind == "user_name":
        out.update(type="user", resolved_from="user_name")
        out = _user(reader, out, classified["name"])
    elif kind == "user":
        out.update(resolved_from="arn")
        out = _user(reader, out, classified["name"])
    else:  # role or assumed_role
        out.update(resolved_from="arn")
        if kind == "assumed_role":
            out["role_name"] = classified["name"]
            out["role_arn"] = f"arn:aws:iam::{classified['account_id']}:role/{classified['name']}"
        out = _role(reader, out, classified["name"])
    if out.get("exists") is False and out.get("note") is None:
        out["note"] = f"{out['type']} {out.get('name')} does not exist (any more) in account {account_id}"
    if out.get("account_id") is None and account_id:
        out["account_id"] = account_id
        if out.get("exists") is False and out["type"] == "user" and out.get("arn") is None:
            out["arn"] = f"arn:aws:iam::{account_id}:user/{out['name']}"
    out["errors"] = reader.errors
    return jsonable(out)


def simulation_source_arn(resolved: dict[str, Any]) -> str | None:
    """The PolicySourceArn for SimulatePrincipalPolicy: a user or role ARN (a session resolves to its role)."""
    if resolved.get("exists") is not True or resolved.get("cross_account"):
        return None
    if resolved.get("type") == "user":
        return resolved.get("arn")
    if resolved.get("type") in ("role", "assumed_role"):
        return resolved.get("role_arn") or resolved.get("arn")
    return None


_SIM_DECISIONS = {"allowed": "allowed", "implicitDeny": "implicit_deny", "explicitDeny": "explicit_deny"}


def simulate(iam: Any, source_arn: str, pairs: list[tuple[str, str]], chunk: int = 50) -> dict[str, Any]:
    """SimulatePrincipalPolicy for (action, resource) pairs, one request per action (resources in chunks).

    Returns ``{"status": "available", "results": {(action, resource): {decision, matched_statements,
    missing_context_values}}}`` or ``{"status": "unavailable", "reason": ...}`` when the API errors or is missing."""
    by_action: dict[str, list[str]] = {}
    for action, resource in pairs:
        resources = by_action.setdefault(action, [])
        if resource not in resources:
            resources.append(resource)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for action, resources in by_action.items():
            for start in range(0, len(resources), chunk):
                part = resources[start : start + chunk]
                resp = paginate(
                    iam,
                    "simulate_principal_policy",
                    PolicySourceArn=source_arn,
                    ActionNames=[action],
                    ResourceArns=part,
                )
                for row in resp.get("EvaluationResults") or []:
                    key = (action, row.get("EvalResourceName") or part[0])
                    results[key] = {
                        "decision": _SIM_DECISIONS.get(row.get("EvalDecision"), row.get("EvalDecision")),
                        "matched_statements": [
                            {
                                "source_policy_id": s.get("SourcePolicyId"),
                                "source_policy_type": s.get("SourcePolicyType"),
                            }
                            for s in row.get("MatchedStatements") or []
                        ],
                        "missing_context_values": list(row.get("MissingContextValues") or []),
                    }
    except botocore_errors() as exc:
        return {"status": "unavailable", "reason": f"SimulatePrincipalPolicy failed: {describe_client_error(exc)}"}
    except Exception as exc:
        return {"status": "unavailable", "reason": f"SimulatePrincipalPolicy failed: {exc}"}
    return {"status": "available", "reason": None, "results": results}

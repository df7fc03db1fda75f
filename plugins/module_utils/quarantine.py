# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Quarantine policy documents and the lock-out check (pure Python, no Ansible imports).

The bucket quarantine is one Deny statement, merged by Sid into the owner's bucket policy::

    {"Sid": "CloudsecQuarantine<incident>", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": [responders..., caller...]},
                   "StringNotEqualsIfExists": {"aws:PrincipalServiceName": [services...]}}}

Why a condition on ``aws:PrincipalArn`` and not ``NotPrincipal``: a ``NotPrincipal`` Deny only exempts a role
session when the exact session ARN (``assumed-role/ROLE/SESSION``) *and* the account are listed, session names
change with every assumption and cannot be wildcarded there, and listing the account would exempt every principal
in it. ``aws:PrincipalArn`` carries the role ARN for every session of the role (and the user ARN for users), and
``ArnNotLike`` accepts wildcards, so a responder role stays exempt whatever its session is called. Anonymous
requests have no ``aws:PrincipalArn``: the negated operator then holds and they are denied. AWS service principals
have no ``aws:PrincipalArn`` either; those named in ``service_principals`` are exempted by their
``aws:PrincipalServiceName`` (``...IfExists`` so that the condition still holds for every non-service caller).

IAM principal quarantine policies: a deny-all inline policy and the ``aws:TokenIssueTime`` session revocation that
the IAM console calls ``AWSRevokeOlderSessions``.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import secrets
import string
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.policy import VERSION_2012
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import EXPLICIT_DENY
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import BucketContext
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Principal
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import Request
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import evaluate

QUARANTINE_SID_PREFIX = "CloudsecQuarantine"
REVOKE_SESSIONS_PREFIX = "CloudsecRevokeSessions"

_INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_IAM_OR_STS = re.compile(r"^arn:(?P<partition>[\w-]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)$")
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")

# Requests the caller and the responders must still be able to make once the quarantine is in place: read and
# lift the quarantine, and read the data for the investigation.
LOCKOUT_ACTIONS: tuple[tuple[str, bool], ...] = (
    ("s3:GetBucketPolicy", False),
    ("s3:PutBucketPolicy", False),
    ("s3:DeleteBucketPolicy", False),
    ("s3:PutBucketPublicAccessBlock", False),
    ("s3:PutBucketVersioning", False),
    ("s3:ListBucket", False),
    ("s3:GetObject", True),
)


def validate_incident_id(value: object, option: str = "incident_id") -> str:
    """An incident id is used in a statement Sid and in file and key names: letters, digits, ``.``, ``_``, ``-``."""
    if not isinstance(value, str) or not _INCIDENT_ID.match(value):
        raise ValueError(
            f"Invalid {option} {value!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def statement_sid(prefix: str, incident_id: str) -> str:
    """``prefix`` + the incident id reduced to letters and digits (IAM accepts only [A-Za-z0-9] in a Sid)."""
    return prefix + re.sub(r"[^A-Za-z0-9]", "", incident_id)


def quarantine_sid(incident_id: str) -> str:
    return statement_sid(QUARANTINE_SID_PREFIX, incident_id)


def _arn_parts(arn: str) -> re.Match | None:
    return _IAM_OR_STS.match(arn)


def exemption_patterns(arn: str) -> list[str]:
    """The ``aws:PrincipalArn`` values that identify ``arn`` (a user, role, session, root or federated user).

    Users and roles get their name with and without a path wildcard (IAM names are unique in an account whatever
    their path, and a session ARN does not carry the role's path). A pattern with ``*`` / ``?`` is kept as given.
    """
    if "*" in arn or "?" in arn:
        return [arn]
    match = _arn_parts(arn)
    if not match:
        raise ValueError(f"principal {arn!r}: expected an IAM user, role, root or STS session ARN")
    partition, service, account, rest = match["partition"], match["service"], match["account"], match["rest"]
    kind, _sep, path = rest.partition("/")
    if rest == "root":
        return [f"arn:{partition}:iam::{account}:root"]
    if kind in ("user", "role") and path:
        # sts ...:user/NAME is what some emulators return for long-term keys; it is an IAM user.
        name = path.rsplit("/", 1)[-1]
        return [f"arn:{partition}:iam::{account}:{kind}/{name}", f"arn:{partition}:iam::{account}:{kind}/*/{name}"]
    if service == "sts" and kind == "assumed-role" and "/" in path:
        role = path.split("/", 1)[0]
        return [f"arn:{partition}:iam::{account}:role/{role}", f"arn:{partition}:iam::{account}:role/*/{role}"]
    if service == "sts" and kind == "federated-user" and path:
        return [arn]
    raise ValueError(f"principal {arn!r}: unsupported principal type {kind!r}")


def principal_arn_of(arn: str) -> str:
    """The IAM ARN that owns a caller ARN: the role for a session, the user for a user, itself otherwise."""
    match = _arn_parts(arn)
    if not match:
        return arn
    partition, service, account, rest = match["partition"], match["service"], match["account"], match["rest"]
    kind, _sep, path = rest.partition("/")
    if service == "sts" and kind == "assumed-role" and "/" in path:
        return f"arn:{partition}:iam::{account}:role/{path.split('/', 1)[0]}"
    if service == "sts" and kind == "user" and path:
        return f"arn:{partition}:iam::{account}:user/{path}"
    return arn


def _name_of(arn: str) -> tuple[str, str] | None:
    """(kind, name) of an IAM user / role ARN, or of the role of a session."""
    match = _arn_parts(principal_arn_of(arn))
    if not match:
        return None
    kind, _sep, path = match["rest"].partition("/")
    if kind in ("user", "role") and path:
        return kind, path.rsplit("/", 1)[-1]
    return None


def same_principal(a: str, b: str) -> bool:
    """Whether two ARNs name the same IAM identity (a session is its role; paths are ignored; ``*`` globs in
    ``b`` are honoured)."""
    if "*" in b or "?" in b:
        return fnmatch.fnmatchcase(principal_arn_of(a), b) or fnmatch.fnmatchcase(a, b)
    left, right = _arn_parts(principal_arn_of(a)), _arn_parts(principal_arn_of(b))
    if not left or not right:
        return a == b
    if left["account"] != right["account"]:
        return False
    return _name_of(a) == _name_of(b) if _name_of(a) else principal_arn_of(a) == principal_arn_of(b)


def protected_reason(arn: str, caller_arn: str | None, responders: Iterable[str]) -> str | None:
    """Why ``arn`` must not be contained (the caller's own identity or a responder), or ``None`` when it may be."""
    if caller_arn and (same_principal(caller_arn, arn) or same_principal(arn, principal_arn_of(caller_arn))):
        return f"it is the caller's own identity ({caller_arn})"
    for responder in responders:
        if same_principal(arn, responder):
            return f"it is a responder ({responder})"
    return None


def temporary_password() -> str:
    """A one-time console password meeting the default IAM password policy (to be changed at first sign-in)."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _unused in range(20))
    return core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.digits) + "!#"


def validate_responders(responders: Iterable[str] | None, *, allow_empty: bool) -> list[str]:
    """Responder ARNs (users, roles, sessions, root, or patterns with ``*``), de-duplicated; empty only when asked."""
    out: list[str] = []
    for value in responders or []:
        if not isinstance(value, str) or not value.startswith("arn:"):
            raise ValueError(f"Invalid responder_principals entry {value!r}: expected an IAM user or role ARN")
        exemption_patterns(value)  # raises naming the entry
        if value not in out:
            out.append(value)
    if not out and not allow_empty:
        raise ValueError(
            "responder_principals is empty: the quarantine would deny everyone except the caller, so nobody else "
            "could investigate or lift it. Name the responder roles, or set allow_empty_responders: true"
        )
    return out


def validate_service_principals(services: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for value in services or []:
        if not isinstance(value, str) or not _SERVICE_PRINCIPAL.match(value):
            raise ValueError(
                f"Invalid service_principals entry {value!r}: expected a service principal such as "
                "logging.s3.amazonaws.com"
            )
        if value not in out:
            out.append(value)
    return out


def quarantine_statement(
    bucket: str,
    incident_id: str,
    responders: Iterable[str],
    caller_arn: str | None,
    service_principals: Iterable[str] = (),
    partition: str = "aws",
) -> dict[str, Any]:
    """The Deny statement that quarantines ``bucket`` (see the module docstring)."""
    exempt: list[str] = []
    for arn in [*responders, *([caller_arn] if caller_arn else [])]:
        for pattern in exemption_patterns(arn):
            if pattern not in exempt:
                exempt.append(pattern)
    condition: dict[str, dict[str, list[str]]] = {"ArnNotLike": {"aws:PrincipalArn": exempt}}
    services = list(dict.fromkeys(service_principals))
    if services:
        condition["StringNotEqualsIfExists"] = {"aws:PrincipalServiceName": services}
    return {
        "Sid": quarantine_sid(incident_id),
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
        "Condition": condition,
    }


def principal_for_evaluation(arn: str) -> Principal:
    """A policy_eval Principal for a caller / responder ARN; a role is evaluated as one of its sessions."""
    canonical = principal_arn_of(arn)
    named = _name_of(arn)
    match = _arn_parts(canonical)
    if named and named[0] == "role" and match:
        if ":assumed-role/" in arn:
            return Principal.from_arn(arn)
        session = f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{named[1]}/cloudsec-lockout-check"
        return Principal.from_arn(session)
    return Principal.from_arn(canonical)


def lockout_problems(
    policy: Mapping[str, Any],
    bucket: str,
    account_id: str,
    principals: Iterable[str],
    deny_sid: str,
) -> list[str]:
    """Which of ``principals`` (caller, responders; wildcard patterns are skipped) the ``deny_sid`` statement of
    ``policy`` would explicitly deny one of :data:`LOCKOUT_ACTIONS`. Empty list: nobody is locked out."""
    context = BucketContext(account_id=account_id, bucket_policy=dict(policy), name=bucket)
    problems: list[str] = []
    for arn in principals:
        if "*" in arn or "?" in arn:
            continue
        caller = principal_for_evaluation(arn)
        for action, on_object in LOCKOUT_ACTIONS:
            resource = f"arn:aws:s3:::{bucket}/cloudsec-lockout-check" if on_object else f"arn:aws:s3:::{bucket}"
            decision = evaluate(Request(caller, action, resource, {"aws:SecureTransport": True}), None, context)
            if decision.decision == EXPLICIT_DENY and any(ref.sid == deny_sid for ref in decision.deciding):
                problems.append(f"{arn} would be denied {action} on {bucket} by statement {deny_sid}")
                break
    return problems


def deny_all_policy() -> dict[str, Any]:
    """Inline IAM policy denying every action (the containment of a user or role)."""
    return {
        "Version": VERSION_2012,
        "Statement": [{"Sid": "CloudsecQuarantineDenyAll", "Effect": "Deny", "Action": ["*"], "Resource": ["*"]}],
    }


def format_cutoff(cutoff: datetime.datetime | str | None, now: datetime.datetime | None = None) -> str:
    """ISO-8601 UTC text (``YYYY-MM-DDTHH:MM:SSZ``) of the session cut-off; ``None`` means now."""
    if cutoff is None:
        value = now or datetime.datetime.now(datetime.timezone.utc)
    elif isinstance(cutoff, str):
        text = cutoff.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"Invalid session cutoff {cutoff!r}: expected an ISO-8601 date-time") from None
    else:
        value = cutoff
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def revoke_sessions_policy(cutoff: str) -> dict[str, Any]:
    """Inline role policy denying everything to sessions issued before ``cutoff`` (AWSRevokeOlderSessions)."""
    return {
        "Version": VERSION_2012,
        "Statement": [
            {
                "Sid": "CloudsecRevokeOlderSessions",
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": [cutoff]}},
            }
        ],
    }

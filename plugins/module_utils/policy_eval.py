# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Local IAM / S3 request evaluation and "is this bucket public" analysis (pure Python).

The rules follow AWS's published policy evaluation logic (IAM User Guide, "Policy evaluation logic",
"Cross-account policy evaluation logic", "Permissions boundaries", "Session policies", "NotPrincipal";
S3 User Guide, "Access control list (ACL) overview", "Blocking public access" / "The meaning of public").

Usage::

    identity = PrincipalPolicies.build(identity=[("alice-inline", "user-inline", doc), ...])
    bucket = BucketContext(account_id="111122223333", bucket_policy=policy_text, acl=get_bucket_acl_response)
    decision = evaluate(Request("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
                                "arn:aws:s3:::bucket/key", {"aws:SecureTransport": True}), identity, bucket)

Policies are compiled once (:func:`compile_policy`): actions into sets and one regex, resources into matchers,
principals into lookup sets and conditions into typed operator nodes, each with a specialised test (operator
resolved, values pre-parsed). :func:`evaluate` then runs one cached *plan* per (action, resource class, caller,
bucket policy): only the statements of the caller's policies and the bucket policy that can apply, in evaluation
order, with the Principal already matched and the Resource already decided where the resource class settles it
(:func:`resource_class`). Nothing is cached per request: conditions and the remaining resource checks run every time.

Modelled and deliberately not modelled:

* Explicit deny in any policy (identity, boundary, session, bucket policy) wins.
* Same account: an identity-based allow (limited by the permissions boundary and session policies) or a
  resource-based allow suffices. A bucket-policy allow naming the IAM user, the assumed-role session ARN or
  everyone (for a user) is not limited by the boundary or session policies; one naming the role ARN (or everyone,
  for a role session) is limited by them, as AWS documents. A grant to the account (``123456789012`` /
  ``arn:aws:iam::123456789012:root``, or an ACL grant to the account's canonical id) delegates to IAM and does not
  by itself allow an IAM user or role.
* Cross account: both the identity side (in the caller's account) and the resource side must allow.
* The account root user has every permission in its own account (boundaries and identity policies do not apply
  to it); cross-account it still needs the resource side.
* Anonymous callers and AWS service principals need the resource side (bucket policy or ACL) alone.
* Block Public Access: ``RestrictPublicBuckets`` (bucket or account) ignores the allows of a public bucket policy
  for callers outside the bucket account (anonymous included) except AWS service principals;
  ``IgnorePublicAcls`` ignores ACL grants to AllUsers / AuthenticatedUsers; ``BucketOwnerEnforced`` ignores ACLs.
* Not modelled: SCPs, RCPs, VPC endpoint policies, KMS key policies, object ownership of objects written by other
  accounts, access-point delegation of requests.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Any
from typing import Union

from ansible_collections.cloudsec.s3.plugins.module_utils.policy import VERSION_2012
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy

ALLOWED = "allowed"
IMPLICIT_DENY = "implicit_deny"
EXPLICIT_DENY = "explicit_deny"

ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"

# How a resource-side grant reaches the caller (see module docstring).
_DIRECT = 3  # names the user / session itself, or everyone (for a user, anonymous or service caller)
_ROLE = 2  # names the role of a session (or everyone, for a role session): limited by boundary / session policies
_ACCOUNT = 1  # names the caller's account: delegation, needs the identity side

# Broadest aws:SourceIp networks still counted as restricting ("not too broad") for Block Public Access.
MIN_RESTRICTING_IPV4_PREFIX = 8
MIN_RESTRICTING_IPV6_PREFIX = 32


# --------------------------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class StatementRef:
    """One statement of one policy: where a decision came from."""

    policy_name: str
    policy_type: str
    sid: str | None
    index: int

    def as_dict(self) -> dict[str, Any]:
        return {"policy_name": self.policy_name, "policy_type": self.policy_type, "sid": self.sid, "index": self.index}


@dataclass
class Decision:
    """The outcome of :func:`evaluate`.

    ``deciding``: for ``explicit_deny`` the matching Deny statements; for ``allowed`` the Allow statements that made
    it (identity, boundary and session allows, bucket-policy statements or ACL grants as ``policy_type="acl"`` with
    the grant index); empty for ``implicit_deny``. ``reason`` explains in one sentence; ``details`` gives per policy
    kind ``allow`` / ``deny`` / ``none`` / ``not_applicable`` / ``ignored``.
    """

    decision: str
    deciding: list[StatementRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "deciding_statements": [ref.as_dict() for ref in self.deciding],
            "warnings": list(self.warnings),
            "reason": self.reason,
            "details": dict(self.details),
        }


# --------------------------------------------------------------------------------------------------------------------
# the caller


_IAM_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)$")


class Principal:
    """Who makes a request: an IAM user, a role (session), a federated user, the account root, an AWS service or
    nobody (anonymous). Build one with :meth:`from_arn`, :meth:`anonymous` or :meth:`service`."""

    __slots__ = (
        "_auto",
        "account_id",
        "arn",
        "canonical_id",
        "key",
        "kind",
        "name",
        "partition",
        "session_name",
        "userid",
    )

    def __init__(
        self,
        kind: str,
        arn: str | None = None,
        account_id: str | None = None,
        name: str | None = None,
        session_name: str | None = None,
        userid: str | None = None,
        canonical_id: str | None = None,
        partition: str = "aws",
    ) -> None:
        self.kind = kind
        self.arn = arn
        self.account_id = account_id
        self.name = name
        self.session_name = session_name
        self.userid = userid
        self.canonical_id = canonical_id
        self.partition = partition
        self.key = f"{kind}|{arn or name or ''}|{canonical_id or ''}"
        self._auto: dict[str, tuple] | None = None

    def __repr__(self) -> str:
        return f"Principal({self.kind!r}, {self.arn or self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Principal) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    @classmethod
    def anonymous(cls) -> Principal:
        return cls("anonymous")

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls("service", name=name.lower())

    @classmethod
    def from_arn(cls, arn: str, *, userid: str | None = None, canonical_id: str | None = None) -> Principal:
        """Parse a caller ARN (as CloudTrail ``userIdentity.arn`` gives it), ``"anonymous"`` or a service name."""
        if arn in ("anonymous", "*", "", None):
            return cls.anonymous()
        if arn.endswith(".amazonaws.com") and ":" not in arn:
            return cls.service(arn)
        match = _IAM_ARN.match(arn)
        if not match:
            raise ValueError(f"principal {arn!r}: not an IAM/STS ARN, 'anonymous' or a service principal")
        account, rest, partition = match["account"], match["rest"], match["partition"]
        resource_type, _sep, path = rest.partition("/")
        if rest == "root":
            return cls("root", arn, account, userid=userid or account, canonical_id=canonical_id, partition=partition)
        if match["service"] == "iam" and resource_type == "user" and path:
            return cls("user", arn, account, path.rsplit("/", 1)[-1], None, userid, canonical_id, partition)
        if match["service"] == "iam" and resource_type == "role" and path:
            return cls("role", arn, account, path.rsplit("/", 1)[-1], None, userid, canonical_id, partition)
        if match["service"] == "sts" and resource_type == "assumed-role" and "/" in path:
            role, session = path.split("/", 1)
            return cls("role_session", arn, account, role, session, userid, canonical_id, partition)
        if match["service"] == "sts" and resource_type == "federated-user" and path:
            return cls("federated_user", arn, account, path, None, userid, canonical_id, partition)
        raise ValueError(f"principal {arn!r}: unsupported IAM/STS principal type {resource_type!r}")

    @property
    def role_arn(self) -> str | None:
        """For a role or role session, the role ARN as IAM writes it without a path (sessions do not carry it)."""
        if self.kind in ("role", "role_session"):
            return f"arn:{self.partition}:iam::{self.account_id}:role/{self.name}"
        return None

    @property
    def principal_arn(self) -> str | None:
        """The value of ``aws:PrincipalArn``: the role ARN for sessions, the caller ARN otherwise."""
        return self.role_arn if self.kind == "role_session" else self.arn

    def auto_context(self) -> dict[str, str]:
        """Global condition keys that follow from the caller (used when the request context lacks them)."""
        out: dict[str, str] = {}
        if self.kind == "anonymous":
            out["aws:principaltype"] = "Anonymous"
            out["aws:userid"] = "anonymous"
            return out
        if self.kind == "service":
            out["aws:principalservicename"] = self.name or ""
            return out
        if self.account_id:
            out["aws:principalaccount"] = self.account_id
        arn = self.principal_arn
        if arn:
            out["aws:principalarn"] = arn
        out["aws:principaltype"] = {
            "user": "User",
            "role": "AssumedRole",
            "role_session": "AssumedRole",
            "federated_user": "FederatedUser",
            "root": "Account",
        }[self.kind]
        if self.kind == "user" and self.name:
            out["aws:username"] = self.name
        if self.userid:
            out["aws:userid"] = self.userid
        return out


@dataclass
class Request:
    """One request to evaluate. ``principal`` is a :class:`Principal` or an ARN / ``"anonymous"``; ``context`` holds
    condition keys as AWS names them (any case; values as strings, numbers, booleans or lists); ``resource_account``
    is the account owning the resource (default: the bucket's ``account_id``, else the caller's account)."""

    principal: Principal | str
    action: str
    resource: str
    context: Mapping[str, Any] | None = None
    resource_account: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.principal, Principal):
            self.principal = Principal.from_arn(self.principal)


def _context_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat()
    return str(value)


_TRUE = ("true",)
_FALSE = ("false",)
_LOWER_KEYS: dict[str, str] = {}  # condition key as the caller spells it -> lower case (keys are few)


def normalise_context(context: Mapping[str, Any] | None, caller: Principal | None = None) -> dict[str, tuple]:
    """Lower-case keys, tuple-of-string values; keys derived from ``caller`` fill in what is missing."""
    if caller is not None:
        auto = caller._auto
        if auto is None:
            auto = caller._auto = {key: (value,) for key, value in caller.auto_context().items()}
        out = auto.copy()
    else:
        out = {}
    if context:
        lowered = _LOWER_KEYS
        for key, value in context.items():
            name = lowered.get(key)
            if name is None:
                name = key.lower()
                if len(lowered) < 4096:
                    lowered[key] = name
            # exact-type fast paths first; subclasses (e.g. Ansible's tagged strings) take the general ones below
            kind = value.__class__
            if kind is str:
                out[name] = (value,)
            elif kind is bool:
                out[name] = _TRUE if value else _FALSE
            elif value is None:
                continue
            elif isinstance(value, str):
                out[name] = (value,)
            elif isinstance(value, (list, tuple, set, frozenset)):
                out[name] = tuple(_context_text(v) for v in value)
            else:
                out[name] = (_context_text(value),)
    return out


# --------------------------------------------------------------------------------------------------------------------
# wildcards and policy variables


def _glob_source(text: str) -> str:
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text)


@lru_cache(maxsize=8192)
def _compile(source: str, ignore_case: bool) -> re.Pattern:
    return re.compile(source, re.S | re.I if ignore_case else re.S)


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class _Template:
    """A policy value containing ``${...}`` variables (only in 2012-10-17 policies).

    ``parts`` holds ``(literal_text, literal_regex, None, None)`` for fixed text and ``(None, None, key, default)``
    for a variable; the compiled regex is cached per tuple of variable values."""

    __slots__ = ("_cache", "keys", "parts")

    def __init__(self, text: str) -> None:
        parts: list[tuple[str | None, str | None, str | None, str | None]] = []
        pos = 0
        for match in _VARIABLE.finditer(text):
            if match.start() > pos:
                literal = text[pos : match.start()]
                parts.append((literal, _glob_source(literal), None, None))
            inner = match.group(1).strip()
            if inner in _ESCAPES:
                parts.append((_ESCAPES[inner], re.escape(_ESCAPES[inner]), None, None))
            else:
                key, _sep, default = inner.partition(",")
                default = default.strip()
                if len(default) >= 2 and default[0] == default[-1] == "'":
                    default_value: str | None = default[1:-1]
                else:
                    default_value = None
                parts.append((None, None, key.strip().lower(), default_value))
            pos = match.end()
        if pos < len(text):
            literal = text[pos:]
            parts.append((literal, _glob_source(literal), None, None))
        self.parts = tuple(parts)
        self.keys = tuple((key, default) for _lit, _src, key, default in parts if key is not None)
        self._cache: dict[tuple, Any] = {}

    def _binding(self, ctx: Mapping[str, tuple]) -> tuple[str, ...] | None:
        values = []
        for key, default in self.keys:
            found = ctx.get(key)
            if found is not None and len(found) == 1:
                values.append(found[0])
            elif found is None and default is not None:
                values.append(default)
            else:
                return None  # unresolvable: the element does not match
        return tuple(values)

    def text(self, ctx: Mapping[str, tuple]) -> str | None:
        binding = self._binding(ctx)
        if binding is None:
            return None
        values = iter(binding)
        return "".join(literal if literal is not None else next(values) for literal, _src, _key, _dflt in self.parts)

    def regex(self, ctx: Mapping[str, tuple], ignore_case: bool = False) -> re.Pattern | None:
        binding = self._binding(ctx)
        if binding is None:
            return None
        cache_key = (binding, ignore_case)
        pattern = self._cache.get(cache_key)
        if pattern is None:
            values = iter(binding)
            source = "".join(
                source if source is not None else re.escape(next(values)) for _lit, source, _key, _dflt in self.parts
            )
            pattern = _compile(source, ignore_case)
            if len(self._cache) < 1024:
                self._cache[cache_key] = pattern
        return pattern


def _maybe_template(text: str, variables: bool) -> str | _Template:
    return _Template(text) if variables and "${" in text else text


class _Matcher:
    """Matches a string against a list of patterns with ``*`` / ``?`` (and variables)."""

    __slots__ = ("any", "exact", "ignore_case", "regex", "templates")

    def __init__(self, patterns: Iterable[str], ignore_case: bool, variables: bool) -> None:
        exact: set[str] = set()
        wild: list[str] = []
        templates: list[_Template] = []
        self.any = False
        for pattern in patterns:
            item = _maybe_template(pattern, variables)
            if isinstance(item, _Template):
                templates.append(item)
            elif pattern == "*":
                self.any = True
            elif _has_wildcard(pattern):
                wild.append(_glob_source(pattern))
            else:
                exact.add(pattern.lower() if ignore_case else pattern)
        self.ignore_case = ignore_case
        self.exact = frozenset(exact)
        self.regex = _compile("|".join(f"(?:{w})" for w in wild), ignore_case).fullmatch if wild else None
        self.templates = tuple(templates)

    def match(self, value: str, ctx: Mapping[str, tuple]) -> bool:
        if self.any:
            return True
        if (value.lower() if self.ignore_case else value) in self.exact:
            return True
        if self.regex is not None and self.regex(value) is not None:
            return True
        for template in self.templates:
            pattern = template.regex(ctx, self.ignore_case)
            if pattern is not None and pattern.fullmatch(value) is not None:
                return True
        return False


# Resource index. A request's resource is reduced to its *class*: the text up to and including its second "/"
# (``arn:aws:s3:::bucket/reports/``), up to its only "/" when it has one, or the whole resource when it has none (a
# bucket ARN). A class ending in "/" stands for every resource that starts with it; a class without "/" is one
# resource. Each Resource pattern is decided for a whole class where that is possible (matches none of it, matches all
# of it) and left to a per-request check otherwise; a plan (see PrincipalPolicies.plan) keeps only the statements that
# may match and skips the per-request check for those that match the whole class.
_NO, _YES, _MAYBE = 0, 1, 2


def resource_class(resource: str) -> str:
    """The index key of a resource ARN (see the comment above)."""
    first = resource.find("/")
    if first < 0:
        return resource
    second = resource.find("/", first + 1)
    return resource[: (second if second >= 0 else first) + 1]


def _literal_prefix(pattern: str, variables: bool) -> str:
    """The text every match of ``pattern`` starts with: up to its first ``*`` or ``?`` (or ``${`` with variables)."""
    end = len(pattern)
    for mark in ("*", "?", "${") if variables else ("*", "?"):
        found = pattern.find(mark)
        if 0 <= found < end:
            end = found
    return pattern[:end]


def pattern_class(pattern: str, rclass: str, variables: bool) -> int:
    """Whether a Resource pattern matches no resource of the class (``_NO``), every one (``_YES``) or some (``_MAYBE``).

    Sound by construction: every match of a pattern starts with its literal prefix, and every resource of a class
    ending in "/" starts with the class, so the two must agree on their common length; ``literal*`` matches every
    resource of a class that starts with ``literal``."""
    template = variables and "${" in pattern
    if pattern == "*" and not template:
        return _YES
    literal = _literal_prefix(pattern, variables)
    if "/" not in rclass:  # the class is one resource
        if not template:
            return _YES if _glob_matches(pattern, rclass) else _NO
        return _MAYBE if rclass.startswith(literal) else _NO
    if literal == pattern and not template:  # no wildcard: only that one resource, which must be in the class
        return _MAYBE if pattern.startswith(rclass) else _NO
    common = min(len(literal), len(rclass))
    if literal[:common] != rclass[:common]:
        return _NO
    if not template and pattern == literal + "*" and len(literal) <= len(rclass):
        return _YES
    return _MAYBE


def _glob_matches(pattern: str, value: str) -> bool:
    """The reference (case-sensitive) glob match: ``*`` any run of characters, ``?`` exactly one."""
    if not _has_wildcard(pattern):
        return pattern == value
    return _compile(_glob_source(pattern), False).fullmatch(value) is not None


# --------------------------------------------------------------------------------------------------------------------
# principals in policies


def _parse_account(value: str) -> str | None:
    if len(value) == 12 and value.isdigit():
        return value
    match = _IAM_ARN.match(value)
    if match and match["rest"] == "root":
        return match["account"]
    return None


class _PrincipalMatcher:
    __slots__ = ("accounts", "any", "arns", "canonical", "federated", "roles", "services", "sessions", "users")

    def __init__(self, value: str | Mapping[str, list[str]]) -> None:
        self.any = value == "*"
        self.accounts: set[str] = set()
        self.users: set[tuple[str, str]] = set()
        self.roles: set[tuple[str, str]] = set()
        self.sessions: set[tuple[str, str, str]] = set()
        self.arns: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        self.canonical: set[str] = set()
        if self.any:
            return
        for kind, ids in value.items():
            for item in ids:
                if kind == "AWS":
                    self._add_aws(item)
                elif kind == "Service":
                    if item == "*":
                        self.any = True
                    self.services.add(item.lower())
                elif kind == "Federated":
                    self.federated.add(item)
                elif kind == "CanonicalUser":
                    self.canonical.add(item)

    def _add_aws(self, item: str) -> None:
        if item == "*":
            self.any = True
            return
        account = _parse_account(item)
        if account:
            self.accounts.add(account)
            return
        self.arns.add(item)
        try:
            parsed = Principal.from_arn(item)
        except ValueError:
            return
        if parsed.kind == "user":
            self.users.add((parsed.account_id, parsed.name))
        elif parsed.kind == "role":
            self.roles.add((parsed.account_id, parsed.name))
        elif parsed.kind == "role_session":
            self.sessions.add((parsed.account_id, parsed.name, parsed.session_name))

    def strength(self, caller: Principal) -> int:
        """How this Principal element reaches ``caller``: 0 (not at all), _ACCOUNT, _ROLE or _DIRECT."""
        kind = caller.kind
        if self.any:
            return _ROLE if kind in ("role", "role_session") else _DIRECT
        if kind == "anonymous":
            return 0
        if kind == "service":
            return _DIRECT if caller.name in self.services else 0
        if caller.canonical_id and caller.canonical_id in self.canonical:
            return _ACCOUNT
        account = caller.account_id
        if kind == "user":
            if (account, caller.name) in self.users:
                return _DIRECT
        elif kind == "role_session":
            if (account, caller.name, caller.session_name) in self.sessions:
                return _DIRECT
            if (account, caller.name) in self.roles:
                return _ROLE
        elif kind == "role":
            if (account, caller.name) in self.roles:
                return _ROLE
        elif caller.arn in self.arns:
            return _DIRECT
        if account in self.accounts:
            return _ACCOUNT
        return 0

    def excludes(self, caller: Principal) -> bool:
        """For NotPrincipal: the caller is excluded only when every identity it acts as is listed (its account, and
        for a session the role and the session ARN), as the NotPrincipal documentation requires."""
        if self.any:
            return True
        kind = caller.kind
        if kind == "anonymous":
            return False
        if kind == "service":
            return caller.name in self.services
        account_listed = caller.account_id in self.accounts
        if kind == "root":
            return account_listed
        if kind == "user":
            return account_listed and (caller.account_id, caller.name) in self.users
        if kind == "role_session":
            return (
                account_listed
                and (caller.account_id, caller.name) in self.roles
                and (caller.account_id, caller.name, caller.session_name) in self.sessions
            )
        if kind == "role":
            return account_listed and (caller.account_id, caller.name) in self.roles
        return account_listed and caller.arn in self.arns


# --------------------------------------------------------------------------------------------------------------------
# conditions


_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}
_POSITIVE = {
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "numericequals",
    "numericlessthan",
    "numericlessthanequals",
    "numericgreaterthan",
    "numericgreaterthanequals",
    "dateequals",
    "datelessthan",
    "datelessthanequals",
    "dategreaterthan",
    "dategreaterthanequals",
    "bool",
    "binaryequals",
    "ipaddress",
    "arnequals",
    "arnlike",
    "null",
}
_COMPARE = {
    "equals": lambda a, b: a == b,
    "lessthan": lambda a, b: a < b,
    "lessthanequals": lambda a, b: a <= b,
    "greaterthan": lambda a, b: a > b,
    "greaterthanequals": lambda a, b: a >= b,
}


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date / date-time (UTC when no offset) or an epoch number."""
    text = text.strip()
    number = _parse_number(text)
    if number is not None:
        return number
    try:
        if len(text) == 10:
            parsed = datetime.datetime.fromisoformat(text + "T00:00:00")
        else:
            parsed = datetime.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def _parse_network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _never(_value: str) -> None:
    return None


def _arn_parts(text: str) -> list[str] | None:
    parts = text.split(":", 5)
    return parts if len(parts) == 6 else None


class _Condition:
    """One (operator, key) pair of a Condition block, compiled."""

    __slots__ = (
        "base",
        "fixed",
        "if_exists",
        "key",
        "missing",
        "negated",
        "operator",
        "set_op",
        "test",
        "unknown",
        "values",
        "warning",
    )

    def __init__(self, operator: str, key: str, values: list[str], variables: bool, policy: str) -> None:
        self.operator = operator
        self.key = key.lower()
        self.unknown = False
        self.warning = ""
        self.fixed: frozenset[str] | None = None
        self.missing = False
        name = operator
        self.set_op: str | None = None
        lowered = name.lower()
        if lowered.startswith("forallvalues:"):
            self.set_op, lowered = "all", lowered[len("forallvalues:") :]
        elif lowered.startswith("foranyvalue:"):
            self.set_op, lowered = "any", lowered[len("foranyvalue:") :]
        self.if_exists = lowered.endswith("ifexists") and lowered != "ifexists"
        if self.if_exists:
            lowered = lowered[: -len("ifexists")]
        self.negated = lowered in _NEGATED
        self.base = _NEGATED.get(lowered, lowered)
        if self.base not in _POSITIVE or (self.base == "null" and (self.if_exists or self.set_op)):
            self.unknown = True
            self.warning = f"policy {policy!r}: unsupported condition operator {operator!r} (key {key!r})"
            self.values = ()
            self.test = self.holds
            return
        self.values = tuple(self._compile_value(v, variables) for v in values)
        # Result when the key is absent from the request (IfExists / ForAllValues: true; ForAnyValue: false;
        # otherwise false for positive and true for negated operators).
        if self.if_exists or self.set_op == "all":
            self.missing = True
        elif self.set_op == "any":
            self.missing = False
        else:
            self.missing = self.negated
        # Fast path: exact string / boolean comparison against fixed values is a set intersection.
        if self.base in ("stringequals", "bool") and not any(isinstance(v, _Template) for v in self.values):
            self.fixed = frozenset(self.values)
        self.test = self._specialise(values)

    def _specialise(self, texts: list[str]):
        """``holds`` for this operator alone: a closure with the operator resolved and the values pre-parsed, for the
        common operators (string equals / like, Bool, IP address, numeric, date, their negations and IfExists forms);
        ``holds`` itself for the rest (ForAllValues / ForAnyValue, Null, policy variables, ARN, binary, IgnoreCase)."""
        base, key, missing, negated = self.base, self.key, self.missing, self.negated
        if self.set_op is not None or base == "null" or any(isinstance(v, _Template) for v in self.values):
            return self.holds
        fixed = self.fixed
        if fixed is not None and base == "stringequals":

            def string_equals(ctx: Mapping[str, tuple]) -> bool:
                actual = ctx.get(key)
                if not actual:
                    return missing
                return fixed.isdisjoint(actual) == negated

            return string_equals
        if fixed is not None:  # bool

            def bool_equals(ctx: Mapping[str, tuple]) -> bool:
                actual = ctx.get(key)
                if not actual:
                    return missing
                if len(actual) == 1:
                    return (actual[0].lower() in fixed) != negated
                return fixed.isdisjoint([v.lower() for v in actual]) == negated

            return bool_equals
        if base == "stringlike" and texts:
            fullmatch = _compile("|".join(f"(?:{_glob_source(t)})" for t in texts), False).fullmatch

            def string_like(ctx: Mapping[str, tuple]) -> bool:
                actual = ctx.get(key)
                if not actual:
                    return missing
                for value in actual:
                    if fullmatch(value) is not None:
                        return not negated
                return negated

            return string_like
        if base == "ipaddress":
            networks = tuple(net for net in self.values if net is not None)

            def ip_address(ctx: Mapping[str, tuple]) -> bool:
                actual = ctx.get(key)
                if not actual:
                    return missing
                for value in actual:
                    address = _parse_address(value)
                    if address is not None:
                        version, number = address
                        for net_version, first, mask in networks:
                            if net_version == version and number & mask == first:
                                return not negated
                return negated

            return ip_address
        if base.startswith(("numeric", "date")):
            numeric = base.startswith("numeric")
            parse = _parse_number if numeric else parse_date
            compare = _COMPARE[base[len("numeric") :] if numeric else base[len("date") :]]
            bounds = tuple(v for v in self.values if v is not None)

            def ordered(ctx: Mapping[str, tuple]) -> bool:
                actual = ctx.get(key)
                if not actual:
                    return missing
                for value in actual:
                    number = parse(value)
                    if number is not None:
                        for bound in bounds:
                            if compare(number, bound):
                                return not negated
                return negated

            return ordered
        return self.holds

    def _compile_value(self, value: str, variables: bool):
        base = self.base
        if base in ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"):
            item = _maybe_template(value, variables)
            if isinstance(item, _Template):
                return item
            if base == "stringequalsignorecase":
                return value.casefold()
            if base == "stringlike":
                return _compile(_glob_source(value), False).fullmatch
            if base in ("arnequals", "arnlike"):
                parts = _arn_parts(value)
                if parts is None:
                    return _never  # not an ARN: matches nothing (a wildcard may not span components)
                return tuple(_compile(_glob_source(p), False).fullmatch for p in parts)
            return value
        if base.startswith("numeric"):
            return _parse_number(value)
        if base.startswith("date"):
            return parse_date(value)
        if base == "bool" or base == "null":
            return value.lower()
        if base == "binaryequals":
            return _parse_binary(value)
        if base == "ipaddress":
            network = _parse_network(value)
            # (version, first address, netmask) as integers: containment is two integer operations
            return None if network is None else (network.version, int(network.network_address), int(network.netmask))
        return value  # pragma: no cover - every base is handled above

    def _match_value(self, actual: str, ctx: Mapping[str, tuple]) -> bool:
        """Whether one request value matches any policy value under the positive (base) operator."""
        base = self.base
        if base == "stringequals":
            for expected in self.values:
                if isinstance(expected, _Template):
                    expected = expected.text(ctx)
                if expected == actual:
                    return True
            return False
        if base == "stringlike":
            for expected in self.values:
                if isinstance(expected, _Template):
                    pattern = expected.regex(ctx)
                    if pattern is not None and pattern.fullmatch(actual):
                        return True
                elif expected(actual) is not None:
                    return True
            return False
        if base == "stringequalsignorecase":
            folded = actual.casefold()
            for expected in self.values:
                if isinstance(expected, _Template):
                    expected = expected.text(ctx)
                    expected = expected.casefold() if expected is not None else None
                if expected == folded:
                    return True
            return False
        if base == "bool":
            return actual.lower() in self.values
        if base.startswith("numeric"):
            number = _parse_number(actual)
            compare = _COMPARE[base[len("numeric") :]]
            return number is not None and any(v is not None and compare(number, v) for v in self.values)
        if base.startswith("date"):
            when = parse_date(actual)
            compare = _COMPARE[base[len("date") :]]
            return when is not None and any(v is not None and compare(when, v) for v in self.values)
        if base == "ipaddress":
            address = _parse_address(actual)
            if address is None:
                return False
            version, number = address
            return any(net is not None and net[0] == version and number & net[2] == net[1] for net in self.values)
        if base in ("arnequals", "arnlike"):
            parts = _arn_parts(actual)
            for expected in self.values:
                if isinstance(expected, _Template):
                    text = expected.text(ctx)
                    if text is None:
                        continue
                    expected_parts = _arn_parts(text)
                    if expected_parts is None:
                        continue
                    expected = tuple(_compile(_glob_source(p), False).fullmatch for p in expected_parts)
                if isinstance(expected, tuple):
                    if parts is not None and all(m(p) is not None for m, p in zip(expected, parts, strict=True)):
                        return True
                elif expected(actual) is not None:
                    return True
            return False
        if base == "binaryequals":
            decoded = _parse_binary(actual)
            return decoded is not None and decoded in self.values
        return False  # pragma: no cover

    def holds(self, ctx: Mapping[str, tuple]) -> bool:
        actual = ctx.get(self.key)
        if self.base == "null":
            present = bool(actual)
            return any((not present) if v == "true" else present for v in self.values if v in ("true", "false"))
        if not actual:
            return self.missing
        negated = self.negated
        if self.set_op is None:
            fixed = self.fixed
            if fixed is not None:
                if self.base == "bool":
                    actual = [v.lower() for v in actual]
                return fixed.isdisjoint(actual) == negated
            found = any(self._match_value(v, ctx) for v in actual)
            return not found if negated else found
        if self.set_op == "any":
            return any(self._match_value(v, ctx) != negated for v in actual)
        return all(self._match_value(v, ctx) != negated for v in actual)


@lru_cache(maxsize=4096)
def _parse_address(text: str) -> tuple[int, int] | None:
    """(IP version, address as an integer) of a request's IP value, or None when it is not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        network = _parse_network(text)
        if network is None or network.num_addresses != 1:
            return None
        address = network.network_address
    return address.version, int(address)


# --------------------------------------------------------------------------------------------------------------------
# compiled policies


class CompiledStatement:
    __slots__ = (
        "_strengths",
        "actions",
        "conditions",
        "deny",
        "has_unknown",
        "not_action",
        "not_principal",
        "not_resource",
        "principal",
        "ref",
        "resource_patterns",
        "resources",
        "statement",
        "tests",
        "unknown_warnings",
        "variables",
    )

    def __init__(self, statement: Mapping[str, Any], ref: StatementRef, variables: bool) -> None:
        self.statement = statement
        self.ref = ref
        self.deny = statement["Effect"] == "Deny"
        self.not_action = "NotAction" in statement
        self.actions = _Matcher(statement.get("Action") or statement.get("NotAction"), True, False)
        resources = statement.get("Resource") or statement.get("NotResource")
        self.not_resource = "NotResource" in statement
        self.resources = _Matcher(resources, False, variables) if resources is not None else None
        self.resource_patterns = tuple(resources) if resources is not None else None
        self.variables = variables
        principal = statement.get("Principal") or statement.get("NotPrincipal")
        self.not_principal = "NotPrincipal" in statement
        self.principal = _PrincipalMatcher(principal) if principal is not None else None
        conditions = []
        for operator, block in (statement.get("Condition") or {}).items():
            for key, values in block.items():
                conditions.append(_Condition(operator, key, values, variables, ref.policy_name))
        self.conditions = tuple(conditions)
        self.unknown_warnings = tuple(c.warning for c in conditions if c.unknown)
        self.has_unknown = bool(self.unknown_warnings)
        self.tests = tuple(c.test for c in conditions)
        self._strengths: dict[str, int] = {}

    def matches_action(self, action: str) -> bool:
        return self.actions.match(action, {}) != self.not_action

    def matches_resource(self, resource: str, ctx: Mapping[str, tuple]) -> bool:
        if self.resources is None:  # e.g. trust policies: the statement applies to the resource it is attached to
            return True
        return self.resources.match(resource, ctx) != self.not_resource

    def resource_class_match(self, rclass: str) -> int:
        """Whether this statement's Resource / NotResource matches none (``_NO``), all (``_YES``) or some (``_MAYBE``)
        of the resources of a class (:func:`resource_class`)."""
        if self.resource_patterns is None:
            return _YES
        found = _NO
        for pattern in self.resource_patterns:
            kind = pattern_class(pattern, rclass, self.variables)
            if kind == _YES:
                found = _YES
                break
            if kind == _MAYBE:
                found = _MAYBE
        if self.not_resource and found != _MAYBE:
            return _NO if found == _YES else _YES
        return found

    def plan_entry(self, rclass: str, strength: int) -> tuple | None:
        """This statement as a plan entry for a resource class, or None when it cannot match any resource of it.

        ``(ref, deny, resource matcher or None, not_resource, single test or None, tests or None, statement or None,
        strength)``: the matcher is None when the whole class matches; one condition is a single test, several a
        tuple; the statement itself is given (and the tests are not) when it has an unknown operator, so the safe
        direction and its warning are applied by :meth:`conditions_hold`."""
        kind = self.resource_class_match(rclass)
        if kind == _NO:
            return None
        matcher = self.resources if kind == _MAYBE else None
        tests = self.tests
        if self.has_unknown:
            return (self.ref, self.deny, matcher, self.not_resource, None, None, self, strength)
        if len(tests) == 1:
            return (self.ref, self.deny, matcher, self.not_resource, tests[0], None, None, strength)
        return (self.ref, self.deny, matcher, self.not_resource, None, tests or None, None, strength)

    def principal_strength(self, caller: Principal) -> int:
        cache = self._strengths
        found = cache.get(caller.key)
        if found is None:
            found = self._principal_strength(caller)
            if len(cache) < 4096:
                cache[caller.key] = found
        return found

    def _principal_strength(self, caller: Principal) -> int:
        if self.principal is None:
            return 0
        if self.not_principal:
            if self.principal.excludes(caller):
                return 0
            return _ROLE if caller.kind in ("role", "role_session") else _DIRECT
        return self.principal.strength(caller)

    def conditions_hold(self, ctx: Mapping[str, tuple], warnings: list[str] | None) -> bool:
        for condition in self.conditions:
            if condition.unknown:
                # Safe direction: an unknown operator never grants, and always lets a Deny apply.
                if warnings is not None and condition.warning not in warnings:
                    warnings.append(condition.warning)
                if not self.deny:
                    return False
                continue
            if not condition.test(ctx):
                return False
        return True


class CompiledPolicy:
    """A parsed policy compiled for evaluation; statements are looked up per action through a cache."""

    __slots__ = ("_by_action", "_plans", "document", "name", "policy_type", "statements", "warnings")

    def __init__(self, document: Mapping[str, Any], name: str, policy_type: str) -> None:
        self.document = document
        self.name = name
        self.policy_type = policy_type
        variables = document.get("Version") == VERSION_2012
        self.statements = tuple(
            CompiledStatement(s, StatementRef(name, policy_type, s.get("Sid"), i), variables)
            for i, s in enumerate(document["Statement"])
        )
        self.warnings = [w for s in self.statements for w in s.unknown_warnings]
        self._by_action: dict[str, tuple[CompiledStatement, ...]] = {}
        self._plans: dict[tuple, tuple[tuple, ...]] = {}

    def for_action(self, action: str) -> tuple[CompiledStatement, ...]:
        found = self._by_action.get(action)
        if found is None:
            found = tuple(s for s in self.statements if s.matches_action(action))
            if len(self._by_action) < 4096:
                self._by_action[action] = found
        return found

    def plan(self, action: str, rclass: str, caller: Principal | None = None) -> tuple[tuple, ...]:
        """The statements that may apply to ``action`` on a resource of class ``rclass``, as plan entries
        (:meth:`CompiledStatement.plan_entry`), in document order.

        With ``caller`` (resource-based policies) only statements whose Principal reaches the caller are kept, with
        their strength; without it (identity-based policies) Principal is not looked at, and the plan is cached here
        (a managed policy is shared by many principals). Per-caller plans are cached by :meth:`PrincipalPolicies.plan`.
        """
        if caller is not None:
            return self._build_plan(action, rclass, caller)
        key = (action, rclass)
        found = self._plans.get(key)
        if found is None:
            found = self._build_plan(action, rclass, None)
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            self._plans[key] = found
        return found

    def _build_plan(self, action: str, rclass: str, caller: Principal | None) -> tuple[tuple, ...]:
        entries = []
        for statement in self.for_action(action):
            strength = _DIRECT if caller is None else statement.principal_strength(caller)
            if strength:
                entry = statement.plan_entry(rclass, strength)
                if entry is not None:
                    entries.append(entry)
        return tuple(entries)


# Plans kept per policy (and per PrincipalPolicies) before the cache starts over.
_PLAN_CACHE_SIZE = 16384
# Where a matching Allow of a request plan goes (index into evaluate's ``sinks``).
_TO_IDENTITY, _TO_BOUNDARY, _TO_SESSION, _TO_RESOURCE = 0, 1, 2, 3


def compile_policy(
    document: str | bytes | Mapping[str, Any] | CompiledPolicy, name: str = "policy", policy_type: str = "identity"
) -> CompiledPolicy:
    """Parse (raising :class:`~policy.PolicyError` naming ``name``) and compile one policy.

    ``policy_type``: ``user-inline``, ``user-managed``, ``group-inline``, ``group-managed``, ``role-inline``,
    ``role-managed``, ``aws-managed``, ``identity``, ``permissions-boundary``, ``session``, ``bucket-policy``,
    ``access-point-policy`` — it is copied into every :class:`StatementRef`."""
    if isinstance(document, CompiledPolicy):
        return document
    return CompiledPolicy(parse_policy(document, name), name, policy_type)


# Union, not "|": this alias is evaluated at import time and modules may run on Python < 3.10.
PolicySpec = Union[CompiledPolicy, tuple[str, str, Any], Mapping[str, Any], str]  # noqa: UP007


def _compile_spec(spec: PolicySpec, default_name: str, default_type: str) -> CompiledPolicy:
    if isinstance(spec, CompiledPolicy):
        return spec
    if isinstance(spec, tuple):
        name, policy_type, document = spec
        return compile_policy(document, name, policy_type)
    return compile_policy(spec, default_name, default_type)


@dataclass
class PrincipalPolicies:
    """The identity side of a caller: its identity policies (user, groups, role; inline and managed), permissions
    boundary and session policies, compiled."""

    identity: tuple[CompiledPolicy, ...] = ()
    permissions_boundary: CompiledPolicy | None = None
    session_policies: tuple[CompiledPolicy, ...] = ()
    _plans: dict[tuple, tuple] = field(default_factory=dict, repr=False, compare=False)

    def plan(
        self, action: str, rclass: str, caller: Principal, bucket_policy: CompiledPolicy | None
    ) -> tuple[tuple, ...]:
        """Everything :func:`evaluate` has to check for ``caller`` doing ``action`` on a resource of class ``rclass``
        (:func:`resource_class`): the identity policies, the permissions boundary, the session policies (none of them
        for callers without an identity side or the root user) and then the bucket policy, their plans concatenated in
        that order; cached per (action, class, caller, bucket policy).

        Entries are :meth:`CompiledStatement.plan_entry` tuples whose last item is replaced by the list an Allow goes
        to (``_TO_IDENTITY``, ``_TO_BOUNDARY``, ``_TO_SESSION``, ``_TO_RESOURCE``) and what is appended there (the
        ref, or ``(ref, strength)`` for the bucket policy). The shared empty :class:`PrincipalPolicies` used for
        callers without one keeps at most ``_PLAN_CACHE_SIZE`` plans (and the bucket policies they name) alive."""
        key = (action, rclass, caller.key, None if bucket_policy is None else id(bucket_policy))
        found = self._plans.get(key)
        if found is not None:  # the entry holds the policy, so no other object can have its id meanwhile
            return found[1]
        entries = []
        if caller.kind in _IDENTITY_KINDS and caller.kind != "root":
            parts = [(policy, _TO_IDENTITY) for policy in self.identity]
            if self.permissions_boundary is not None:
                parts.append((self.permissions_boundary, _TO_BOUNDARY))
            parts.extend((policy, _TO_SESSION) for policy in self.session_policies)
            for policy, sink in parts:
                entries.extend((*entry[:7], sink, entry[0]) for entry in policy.plan(action, rclass))
        if bucket_policy is not None:
            entries.extend(
                (*entry[:7], _TO_RESOURCE, (entry[0], entry[7])) for entry in bucket_policy.plan(action, rclass, caller)
            )
        plan = tuple(entries)
        if len(self._plans) >= _PLAN_CACHE_SIZE:
            self._plans.clear()
        self._plans[key] = (bucket_policy, plan)
        return plan

    @classmethod
    def build(
        cls,
        identity: Iterable[PolicySpec] = (),
        permissions_boundary: PolicySpec | None = None,
        session_policies: Iterable[PolicySpec] = (),
    ) -> PrincipalPolicies:
        """Items are :class:`CompiledPolicy`, ``(name, policy_type, document)`` tuples or bare documents."""
        return cls(
            tuple(_compile_spec(p, f"identity-{i}", "identity") for i, p in enumerate(identity)),
            None
            if permissions_boundary is None
            else _compile_spec(permissions_boundary, "permissions-boundary", "permissions-boundary"),
            tuple(_compile_spec(p, f"session-{i}", "session") for i, p in enumerate(session_policies)),
        )


_NO_POLICIES = PrincipalPolicies()
_IDENTITY_KINDS = frozenset({"user", "role", "role_session", "federated_user", "root"})


def _bpa_flag(config: Mapping[str, Any] | None, flag: str) -> bool:
    if not config:
        return False
    config = config.get("PublicAccessBlockConfiguration", config)
    return bool(config.get(flag))


def effective_block_public_access(*configs: Mapping[str, Any] | None) -> dict[str, bool]:
    """Each Block Public Access flag is on when any level (bucket, account, access point) has it on."""
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return {flag: any(_bpa_flag(c, flag) for c in configs) for flag in flags}


# ACL permission -> S3 actions (S3 User Guide, "Mapping of ACL permissions and access policy permissions").
_BUCKET_ACL_ACTIONS = {
    "READ": frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"}),
    "WRITE": frozenset({"s3:putobject", "s3:deleteobject"}),
    "READ_ACP": frozenset({"s3:getbucketacl"}),
    "WRITE_ACP": frozenset({"s3:putbucketacl"}),
}
_BUCKET_ACL_ACTIONS["FULL_CONTROL"] = frozenset().union(*_BUCKET_ACL_ACTIONS.values())
_OBJECT_ACL_ACTIONS = {
    "READ": frozenset({"s3:getobject", "s3:getobjectversion", "s3:getobjecttorrent"}),
    "WRITE": frozenset(),
    "READ_ACP": frozenset({"s3:getobjectacl", "s3:getobjectversionacl"}),
    "WRITE_ACP": frozenset({"s3:putobjectacl", "s3:putobjectversionacl"}),
}
_OBJECT_ACL_ACTIONS["FULL_CONTROL"] = frozenset().union(*_OBJECT_ACL_ACTIONS.values())


def acl_actions(permission: str, *, object_acl: bool = False, grantee_is_owner: bool = False) -> frozenset[str]:
    """The S3 actions (lower case) an ACL permission grants on a bucket ACL (or an object ACL)."""
    table = _OBJECT_ACL_ACTIONS if object_acl else _BUCKET_ACL_ACTIONS
    actions = table.get(permission, frozenset())
    if not object_acl and grantee_is_owner and permission in ("WRITE", "FULL_CONTROL"):
        actions = actions | {"s3:deleteobjectversion"}
    return actions


def _grants(
    acl: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    if acl is None:
        return (), None
    if isinstance(acl, Mapping):
        return tuple(acl.get("Grants") or ()), (acl.get("Owner") or {}).get("ID")
    return tuple(acl), None


def is_public_grant(grant: Mapping[str, Any]) -> bool:
    return (grant.get("Grantee") or {}).get("URI") in (ALL_USERS_URI, AUTHENTICATED_USERS_URI)


def _grant_strength(grant: Mapping[str, Any], caller: Principal, owner_id: str | None, same_account: bool) -> int:
    grantee = grant.get("Grantee") or {}
    uri = grantee.get("URI")
    if uri == ALL_USERS_URI:
        return _DIRECT
    if uri == AUTHENTICATED_USERS_URI:
        return _DIRECT if caller.kind not in ("anonymous", "service") else 0
    if uri == LOG_DELIVERY_URI:
        return _DIRECT if caller.kind == "service" and caller.name == LOG_DELIVERY_SERVICE else 0
    if grantee.get("Type") == "CanonicalUser" and grantee.get("ID"):
        if caller.kind in ("anonymous", "service"):
            return 0
        if caller.canonical_id == grantee["ID"] or (same_account and owner_id == grantee["ID"]):
            return _ACCOUNT
    return 0


@dataclass
class BucketContext:
    """The resource side of a bucket: its owner account, bucket policy, ACL (GetBucketAcl response or its Grants),
    object ownership, and Block Public Access at bucket and account level (PublicAccessBlockConfiguration dicts)."""

    account_id: str | None = None
    bucket_policy: PolicySpec | None = None
    acl: Any = None
    object_acl: Any = None
    owner_canonical_id: str | None = None
    object_ownership: str | None = None
    block_public_access: Mapping[str, Any] | None = None
    account_block_public_access: Mapping[str, Any] | None = None
    name: str = "bucket"

    def __post_init__(self) -> None:
        if self.bucket_policy is not None:
            self.bucket_policy = _compile_spec(self.bucket_policy, f"bucket policy of {self.name}", "bucket-policy")
        self.grants, owner = _grants(self.acl)
        self.object_grants, _public = _grants(self.object_acl)
        if self.owner_canonical_id is None:
            self.owner_canonical_id = owner
        self.bpa = effective_block_public_access(self.block_public_access, self.account_block_public_access)
        self.acls_disabled = self.object_ownership == "BucketOwnerEnforced"
        self.policy_public = self.bucket_policy is not None and any(
            statement_is_public(s.statement) for s in self.bucket_policy.statements
        )
        self.restrict_policy = self.policy_public and self.bpa["RestrictPublicBuckets"]


# --------------------------------------------------------------------------------------------------------------------
# evaluation


def _acl_allows(bucket: BucketContext, request_action: str, resource: str, caller: Principal, same_account: bool):
    if not bucket.grants and not bucket.object_grants:
        return [], ""
    if bucket.acls_disabled:
        return [], "ignored (BucketOwnerEnforced)"
    out = []
    ignore_public = bucket.bpa["IgnorePublicAcls"]
    ignored_public = False
    is_object = "/" in resource.split(":::", 1)[-1]
    for source, grants, object_acl in (("acl", bucket.grants, False), ("object-acl", bucket.object_grants, True)):
        if object_acl and not is_object:
            continue
        for index, grant in enumerate(grants):
            grantee = grant.get("Grantee") or {}
            owner = bucket.owner_canonical_id is not None and grantee.get("ID") == bucket.owner_canonical_id
            if request_action not in acl_actions(
                grant.get("Permission", ""), object_acl=object_acl, grantee_is_owner=owner
            ):
                continue
            strength = _grant_strength(grant, caller, bucket.owner_canonical_id, same_account)
            if not strength:
                continue
            if ignore_public and is_public_grant(grant):
                ignored_public = True
                continue
            sid = grantee.get("URI") or grantee.get("ID")
            out.append((StatementRef(f"{source} of {bucket.name}", "acl", sid, index), strength))
    return out, ("ignored public grants (IgnorePublicAcls)" if ignored_public else "")


def evaluate(
    request: Request, principal_policies: PrincipalPolicies | None = None, bucket: BucketContext | None = None
) -> Decision:
    """Evaluate one request following AWS's evaluation logic (see the module docstring for the rules)."""
    caller = request.principal
    action = request.action.lower()
    resource = request.resource
    ctx = normalise_context(request.context, caller)
    kind = caller.kind
    account_id = caller.account_id
    resource_account = request.resource_account or (bucket.account_id if bucket else None) or account_id
    if resource_account:
        ctx.setdefault("aws:resourceaccount", (resource_account,))
    same_account = account_id is not None and account_id == resource_account
    warnings: list[str] = []
    denies: list[StatementRef] = []
    identity_capable = kind in _IDENTITY_KINDS
    first = resource.find("/")  # resource_class(resource), inlined
    if first < 0:
        rclass = resource
    else:
        second = resource.find("/", first + 1)
        rclass = resource[: (second if second >= 0 else first) + 1]

    id_allows: list[StatementRef] = []
    boundary_allows: list[StatementRef] = []
    session_allows: list[StatementRef] = []
    rb_policy: list[tuple[StatementRef, int]] = []
    sinks = (id_allows, boundary_allows, session_allows, rb_policy)  # indexed by _TO_IDENTITY ... _TO_RESOURCE
    policies = principal_policies or _NO_POLICIES
    bucket_policy = None if bucket is None else bucket.bucket_policy
    # The hot loop: apply the request plan (PrincipalPolicies.plan); matching Denies go to ``denies``, matching
    # Allows to their list in ``sinks``. Kept inline: a function call per request is measurable here.
    for ref, deny, matcher, not_resource, test, tests, slow, sink, payload in policies.plan(
        action, rclass, caller, bucket_policy
    ):
        if matcher is not None and matcher.match(resource, ctx) == not_resource:
            continue
        if test is not None:
            if not test(ctx):
                continue
        elif tests is not None:
            failed = False
            for condition in tests:
                if not condition(ctx):
                    failed = True
                    break
            if failed:
                continue
        elif slow is not None and not slow.conditions_hold(ctx, warnings):
            continue
        if deny:
            denies.append(ref)
        else:
            sinks[sink].append(payload)
    details: dict[str, str] = {"identity": "allow" if id_allows else "none"}
    boundary_ok = policies.permissions_boundary is None or bool(boundary_allows)
    session_ok = not policies.session_policies or bool(session_allows)
    if policies.permissions_boundary is not None:
        details["permissions_boundary"] = "allow" if boundary_allows else "none"
    if policies.session_policies:
        details["session"] = "allow" if session_allows else "none"

    rb_allows: list[tuple[StatementRef, int]] = []
    if bucket is not None:
        if bucket_policy is not None:
            if rb_policy and bucket.restrict_policy and not same_account and kind != "service":
                details["bucket_policy"] = "ignored (RestrictPublicBuckets)"
            else:
                rb_allows = rb_policy
                details["bucket_policy"] = "allow" if rb_policy else "none"
        if bucket.grants or bucket.object_grants:
            acl, note = _acl_allows(bucket, action, resource, caller, same_account)
            rb_allows.extend(acl)
            details["acl"] = note or ("allow" if acl else "none")
        else:
            details["acl"] = "none"
    if denies:
        details["decision_by"] = "explicit deny"
        return Decision(EXPLICIT_DENY, denies, warnings, "an explicit Deny statement matches the request", details)

    limits = boundary_allows + session_allows
    direct: list[StatementRef] = []
    via_role: list[StatementRef] = []
    for ref, strength in rb_allows:  # a plain loop: a comprehension costs a function call per request
        if strength == _DIRECT:
            direct.append(ref)
        elif strength == _ROLE:
            via_role.append(ref)
    if caller.kind == "root":
        identity_ok = True
    else:
        identity_ok = identity_capable and bool(id_allows) and boundary_ok and session_ok

    if not identity_capable:
        if direct:
            return Decision(ALLOWED, direct, warnings, "the resource-based policy or ACL grants this caller", details)
        return Decision(
            IMPLICIT_DENY, [], warnings, f"no resource-based statement or grant allows this {caller.kind}", details
        )
    if same_account:
        if caller.kind == "root":
            return Decision(ALLOWED, [], warnings, "the account root user has every permission in its account", details)
        if direct:
            return Decision(
                ALLOWED, direct, warnings, "a resource-based statement names this caller (same account)", details
            )
        if via_role and boundary_ok and session_ok:
            return Decision(
                ALLOWED, via_role + limits, warnings, "a resource-based statement names the caller's role", details
            )
        if identity_ok:
            return Decision(ALLOWED, id_allows + limits, warnings, "an identity-based policy allows it", details)
        if id_allows and not boundary_ok:
            reason = "the identity-based allow is outside the permissions boundary"
        elif (id_allows or via_role) and not session_ok:
            reason = "the allow is outside the session policy"
        else:
            reason = "no identity-based or resource-based statement allows it"
        return Decision(IMPLICIT_DENY, [], warnings, reason, details)
    # cross account
    if identity_ok and rb_allows:
        resource_refs = [ref for ref, _stmt in rb_allows]
        return Decision(
            ALLOWED,
            ([] if caller.kind == "root" else id_allows + limits) + resource_refs,
            warnings,
            "cross-account: both the caller's identity side and the resource side allow it",
            details,
        )
    if not rb_allows:
        reason = "cross-account: no resource-based statement or grant allows the caller"
    elif id_allows and not boundary_ok:
        reason = "cross-account: the identity-based allow is outside the permissions boundary"
    elif id_allows and not session_ok:
        reason = "cross-account: the identity-based allow is outside the session policy"
    else:
        reason = "cross-account: the resource side allows it but no identity-based policy of the caller does"
    return Decision(IMPLICIT_DENY, [], warnings, reason, details)


# --------------------------------------------------------------------------------------------------------------------
# public access analysis (S3 User Guide, "The meaning of public")


_NON_PUBLIC_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    }
)
_RESTRICTING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}
)


def _fixed_value(value: str) -> bool:
    return not _has_wildcard(value) and "${" not in value and value != ""


def restricting_condition(operator: str, key: str, values: list[str]) -> bool:
    """Whether one condition limits a statement to fixed, non-public values (so the statement is not public)."""
    lowered = operator.lower()
    if lowered.startswith("forallvalues:") or lowered.endswith("ifexists"):
        return False  # true when the key is missing: restricts nothing
    if lowered.startswith("foranyvalue:"):
        lowered = lowered[len("foranyvalue:") :]
    key = key.lower()
    if lowered not in _RESTRICTING_OPERATORS or key not in _NON_PUBLIC_KEYS or not values:
        return False
    if lowered == "ipaddress" or key == "aws:sourceip":
        if lowered != "ipaddress":
            return False
        for value in values:
            network = _parse_network(value)
            if network is None:
                return False
            floor = MIN_RESTRICTING_IPV4_PREFIX if network.version == 4 else MIN_RESTRICTING_IPV6_PREFIX
            if network.prefixlen < floor:
                return False
        return True
    if key == "aws:userid":
        return all(_fixed_value(v) for v in values)
    return all(_fixed_value(v) for v in values)


def _principal_is_public(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal is None:
        return False
    if principal == "*":
        return True
    return any(_has_wildcard(item) for ids in principal.values() for item in ids)


def statement_is_public(statement: Mapping[str, Any]) -> bool:
    """An Allow statement (normalised) granting to everyone without a restricting condition is public."""
    if statement.get("Effect") != "Allow" or not _principal_is_public(statement):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        for key, values in block.items():
            if restricting_condition(operator, key, values):
                return False
    return True


@dataclass
class PublicAccessPath:
    """One way a bucket is (or would be) public."""

    source: str  # "bucket_policy", "acl", "access_point"
    detail: str
    statement: StatementRef | None = None
    grant: Mapping[str, Any] | None = None
    neutralised_by: list[str] = field(default_factory=list)

    @property
    def effective(self) -> bool:
        return not self.neutralised_by

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "detail": self.detail,
            "statement": self.statement.as_dict() if self.statement else None,
            "grant": dict(self.grant) if self.grant else None,
            "neutralised_by": list(self.neutralised_by),
            "effective": self.effective,
        }


@dataclass
class PublicAccessResult:
    """``is_public``: public now, after Block Public Access; ``public_without_block``: public if BPA were off
    (what turning BPA off would expose, or what BPA currently neutralises)."""

    is_public: bool
    public_without_block: bool
    paths: list[PublicAccessPath]
    block_public_access: dict[str, bool]

    @property
    def neutralised(self) -> bool:
        return self.public_without_block and not self.is_public

    def as_dict(self) -> dict[str, Any]:
        return {
            "is_public": self.is_public,
            "public_without_block": self.public_without_block,
            "neutralised": self.neutralised,
            "paths": [p.as_dict() for p in self.paths],
            "block_public_access": dict(self.block_public_access),
        }


def _policy_paths(policy: CompiledPolicy, source: str, label: str) -> list[PublicAccessPath]:
    out = []
    for compiled in policy.statements:
        statement = compiled.statement
        if statement_is_public(statement):
            actions = ", ".join(statement.get("Action") or [f"all but {a}" for a in statement.get("NotAction", [])])
            out.append(
                PublicAccessPath(
                    source,
                    f"{label}: statement grants {actions} to everyone without a restricting condition",
                    compiled.ref,
                )
            )
    return out


def bucket_public_access(
    bucket_policy: PolicySpec | None,
    acl_grants: Any = None,
    block_public_access: Mapping[str, Any] | None = None,
    account_block_public_access: Mapping[str, Any] | None = None,
    *,
    access_points: Iterable[Mapping[str, Any]] = (),
    object_ownership: str | None = None,
    bucket_name: str = "bucket",
) -> PublicAccessResult:
    """Is the bucket public, through what, and does Block Public Access neutralise it.

    ``acl_grants``: a GetBucketAcl response or its ``Grants``. ``access_points``: dicts with ``Name``, ``Policy``
    (text or dict), ``NetworkOrigin`` (``Internet`` / ``VPC``) and ``PublicAccessBlockConfiguration``.
    """
    bpa = effective_block_public_access(block_public_access, account_block_public_access)
    paths: list[PublicAccessPath] = []
    if bucket_policy is not None:
        policy = _compile_spec(bucket_policy, f"bucket policy of {bucket_name}", "bucket-policy")
        for path in _policy_paths(policy, "bucket_policy", "bucket policy"):
            if bpa["RestrictPublicBuckets"]:
                path.neutralised_by.append("RestrictPublicBuckets")
            paths.append(path)
    grants, _public = _grants(acl_grants)
    for index, grant in enumerate(grants):
        if not is_public_grant(grant):
            continue
        group = "AllUsers" if grant["Grantee"]["URI"] == ALL_USERS_URI else "AuthenticatedUsers"
        permission = grant.get("Permission", "")
        actions = sorted(acl_actions(permission))
        path = PublicAccessPath(
            "acl",
            f"ACL grants {permission} ({', '.join(actions)}) to {group}",
            StatementRef(f"acl of {bucket_name}", "acl", group, index),
            grant,
        )
        if object_ownership == "BucketOwnerEnforced":
            path.neutralised_by.append("BucketOwnerEnforced")
        if bpa["IgnorePublicAcls"]:
            path.neutralised_by.append("IgnorePublicAcls")
        paths.append(path)
    for point in access_points:
        name = point.get("Name", "access point")
        if not point.get("Policy"):
            continue
        policy = _compile_spec(point["Policy"], f"access point {name}", "access-point-policy")
        own = effective_block_public_access(point.get("PublicAccessBlockConfiguration"))
        for path in _policy_paths(policy, "access_point", f"access point {name}"):
            if point.get("NetworkOrigin", "Internet").lower() == "vpc":
                path.neutralised_by.append("NetworkOrigin VPC")
            if own["RestrictPublicBuckets"]:
                path.neutralised_by.append("access point RestrictPublicBuckets")
            if bpa["RestrictPublicBuckets"]:
                path.neutralised_by.append("RestrictPublicBuckets")
            paths.append(path)
    return PublicAccessResult(
        is_public=any(p.effective for p in paths),
        public_without_block=any(
            not (set(p.neutralised_by) - {"RestrictPublicBuckets", "IgnorePublicAcls"}) for p in paths
        ),
        paths=paths,
        block_public_access=bpa,
    )

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM / S3 policy documents: parse, normalise, compare and merge statements by Sid (pure Python).

Normalised form (what :func:`parse_policy` returns, and what every other function here works on):

* ``Statement`` is always a list of statement dicts, in document order.
* ``Action`` / ``NotAction`` / ``Resource`` / ``NotResource`` are always lists of strings (``"*"`` becomes ``["*"]``),
  duplicates dropped, order kept.
* ``Principal`` / ``NotPrincipal`` is either the string ``"*"`` (the only string form IAM accepts) or a dict whose
  values are lists of strings (``{"AWS": "*"}`` becomes ``{"AWS": ["*"]}``).
* ``Condition`` is ``{operator: {key: [str, ...]}}``; booleans become ``"true"`` / ``"false"`` and numbers their
  decimal text, as IAM itself compares them.
* ``Version`` and ``Id`` are kept as written (a missing Version stays missing: IAM then uses 2008-10-17, where
  policy variables are not substituted).

Nothing is reordered in the normalised document, so writing it back changes only representation, never meaning.
Order-insensitive comparison uses :func:`canonical_policy`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_VERSIONS = (VERSION_2012, VERSION_2008)
_DOC_KEYS = ("Version", "Id", "Statement")
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_EXCLUSIVE = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the policy and the problem."""

    def __init__(self, policy_name: str, problem: str) -> None:
        self.policy_name = policy_name
        self.problem = problem
        super().__init__(f"policy {policy_name!r}: {problem}")


class SidConflict(PolicyError):
    """A statement Sid already exists in the policy with different content."""

    def __init__(self, policy_name: str, sid: str) -> None:
        self.sid = sid
        super().__init__(
            policy_name,
            f"statement Sid {sid!r} already exists with different content (not overwritten; "
            "set overwrite_conflicts to replace it)",
        )


# --------------------------------------------------------------------------------------------------------------------
# parsing and normalisation


def _scalar_text(value: Any, name: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    raise PolicyError(name, f"{where}: expected a string, got {type(value).__name__}")


def _string_list(value: Any, name: str, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(name, f"{where}: expected a string or a list of strings, got {type(item).__name__}")
        if item not in seen:
            seen.add(item)
            out.append(item)
    if not out:
        raise PolicyError(name, f"{where}: must not be empty")
    return out


def _principal(value: Any, name: str, where: str) -> str | dict[str, list[str]]:
    if value == "*":
        return "*"
    if isinstance(value, str):
        raise PolicyError(name, f'{where}: a string principal must be "*"; use {{"AWS": "{value}"}} for an ARN')
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(name, f"{where}: expected \"*\" or a mapping like {{'AWS': [...]}}")
    out: dict[str, list[str]] = {}
    for kind, ids in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(name, f"{where}: unknown principal type {kind!r}")
        out[kind] = _string_list(ids, name, f"{where}.{kind}")
    return out


def _condition(value: Any, name: str, where: str) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, Mapping):
        raise PolicyError(name, f"{where}: expected a mapping of operator to {{key: values}}")
    out: dict[str, dict[str, list[str]]] = {}
    for operator, block in value.items():
        if not isinstance(operator, str) or not operator:
            raise PolicyError(name, f"{where}: condition operator must be a non-empty string")
        if not isinstance(block, Mapping) or not block:
            raise PolicyError(name, f"{where}.{operator}: expected a non-empty mapping of condition key to values")
        keys: dict[str, list[str]] = {}
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            texts = [_scalar_text(v, name, f"{where}.{operator}.{key}") for v in items]
            keys[key] = list(dict.fromkeys(texts))
        out[operator] = keys
    return out


def _statement(raw: Any, name: str, index: int) -> dict[str, Any]:
    label = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(name, f"{label}: expected a mapping, got {type(raw).__name__}")
    if isinstance(raw.get("Sid"), str) and raw.get("Sid"):
        label = f"Statement[{index}] (Sid {raw['Sid']!r})"
    unknown = [key for key in raw if key not in _STATEMENT_KEYS]
    if unknown:
        raise PolicyError(name, f"{label}: unknown element(s) {', '.join(map(repr, unknown))}")
    for first, second in _EXCLUSIVE:
        if first in raw and second in raw:
            raise PolicyError(name, f"{label}: has both {first} and {second}; use one of them")
    effect = raw.get("Effect")
    if effect is None:
        raise PolicyError(name, f"{label}: missing Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(name, f'{label}: Effect must be "Allow" or "Deny", got {effect!r}')
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError(name, f"{label}: missing Action or NotAction")
    out: dict[str, Any] = {}
    for key in _STATEMENT_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        where = f"{label}.{key}"
        if key == "Sid":
            if not isinstance(value, str):
                raise PolicyError(name, f"{where}: expected a string")
            out[key] = value
        elif key == "Effect":
            out[key] = value
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _principal(value, name, where)
        elif key == "Condition":
            out[key] = _condition(value, name, where)
        else:
            out[key] = _string_list(value, name, where)
    return out


def _load(source: str | bytes | Mapping[str, Any], name: str) -> Mapping[str, Any]:
    if isinstance(source, (bytes, bytearray)):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if isinstance(source, str):
        if not source.strip():
            raise PolicyError(name, "empty policy text")
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PolicyError(
                name, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})"
            ) from None
    else:
        data = source
    if not isinstance(data, Mapping):
        raise PolicyError(name, f"a policy document must be a JSON object, got {type(data).__name__}")
    return data


def parse_policy(source: str | bytes | Mapping[str, Any], name: str = "policy") -> dict[str, Any]:
    """Parse and normalise a policy document given as JSON text or as a dict (see the module docstring).

    Raises :class:`PolicyError` naming ``name`` and the element at fault. Sids must be unique within a policy
    (IAM and S3 both reject duplicates), because statements are addressed by Sid.
    """
    data = _load(source, name)
    unknown = [key for key in data if key not in _DOC_KEYS]
    if unknown:
        raise PolicyError(name, f"unknown top-level element(s) {', '.join(map(repr, unknown))}")
    if "Version" in data and data["Version"] not in _VERSIONS:
        raise PolicyError(name, f"Version must be {VERSION_2012!r} or {VERSION_2008!r}, got {data['Version']!r}")
    if "Statement" not in data:
        raise PolicyError(name, "missing Statement")
    raw_statements = data["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyError(name, "Statement must be a statement or a list of statements")
    statements = [_statement(raw, name, index) for index, raw in enumerate(raw_statements)]
    seen: set[str] = set()
    for statement in statements:
        sid = statement.get("Sid")
        if sid:
            if sid in seen:
                raise PolicyError(name, f"duplicate statement Sid {sid!r}")
            seen.add(sid)
    out: dict[str, Any] = {}
    if "Version" in data:
        out["Version"] = data["Version"]
    if "Id" in data:
        out["Id"] = _scalar_text(data["Id"], name, "Id")
    out["Statement"] = statements
    return out


def parse_optional_policy(source: str | bytes | Mapping[str, Any] | None, name: str = "policy") -> dict | None:
    """Like :func:`parse_policy`, but ``None``, ``""`` and ``"null"`` (no policy) give ``None``."""
    if source is None:
        return None
    if isinstance(source, (str, bytes)) and source.strip() in ("", "null", b"", b"null"):
        return None
    return parse_policy(source, name)


def dump_policy(document: Mapping[str, Any]) -> str:
    """Compact JSON text of a (normalised) document, keys in the order given, ready for PutBucketPolicy."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------------------------------------------------
# comparison


def _canonical_aws_principal(value: str) -> str:
    # IAM stores a bare account id as its root ARN; both mean the same principal.
    if len(value) == 12 and value.isdigit():
        return f"arn:aws:iam::{value}:root"
    return value


def canonical_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """An order-insensitive form of one normalised statement: sorted value lists, lower-case actions and
    condition keys (IAM compares both case-insensitively), account ids as root ARNs. Used for equality only."""
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ("Action", "NotAction"):
            out[key] = sorted({item.lower() for item in value})
        elif key in ("Resource", "NotResource"):
            out[key] = sorted(set(value))
        elif key in ("Principal", "NotPrincipal"):
            if value == "*":
                out[key] = {"AWS": ["*"]}
            else:
                out[key] = {
                    kind: sorted({_canonical_aws_principal(v) if kind == "AWS" else v for v in ids})
                    for kind, ids in value.items()
                }
        elif key == "Condition":
            out[key] = {
                operator: {k.lower(): sorted(set(v)) for k, v in block.items()} for operator, block in value.items()
            }
        else:
            out[key] = value
    return out


def _statement_key(statement: Mapping[str, Any]) -> str:
    return json.dumps(canonical_statement(statement), sort_keys=True, separators=(",", ":"))


def canonical_policy(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An order- and whitespace-insensitive form of a normalised document (statements sorted)."""
    if document is None:
        return None
    out = {key: value for key, value in document.items() if key != "Statement"}
    out.setdefault("Version", VERSION_2008)
    out["Statement"] = sorted(_statement_key(s) for s in document["Statement"])
    return out


def statements_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two normalised statements mean the same, ignoring order of value lists and action case."""
    return _statement_key(a) == _statement_key(b)


def policies_equal(
    a: str | bytes | Mapping[str, Any] | None, b: str | bytes | Mapping[str, Any] | None, name: str = "policy"
) -> bool:
    """Whether two policies (text, dicts or None for "no policy") are the same document, ignoring statement order,
    value-list order, duplicates, whitespace and the single-value-vs-list spelling."""
    left = parse_optional_policy(a, f"{name} (first)")
    right = parse_optional_policy(b, f"{name} (second)")
    return canonical_policy(left) == canonical_policy(right)


# --------------------------------------------------------------------------------------------------------------------
# merge by Sid


@dataclass(frozen=True)
class StatementChange:
    """What :func:`merge_statements` did (or refused to do) with one requested Sid.

    ``action`` is one of ``added``, ``replaced``, ``removed``, ``unchanged``, ``absent`` (asked to remove a Sid
    that is not there) or ``conflict`` (the Sid exists with different content and was left as it is).
    """

    sid: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def changed(self) -> bool:
        return self.action in ("added", "replaced", "removed")


@dataclass
class MergeChanges:
    """The per-Sid outcome of a merge, in request order."""

    items: list[StatementChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(item.changed for item in self.items)

    @property
    def conflicts(self) -> list[StatementChange]:
        return [item for item in self.items if item.action == "conflict"]

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [
            {"sid": item.sid, "action": item.action, "before": item.before, "after": item.after} for item in self.items
        ]


def merge_statements(
    current: str | bytes | Mapping[str, Any] | None,
    statements: Iterable[Mapping[str, Any] | str],
    *,
    state: str = "present",
    overwrite_conflicts: bool | Iterable[str] = False,
    raise_on_conflict: bool = False,
    name: str = "bucket policy",
) -> tuple[dict[str, Any] | None, MergeChanges]:
    """Add, replace or remove statements by Sid, leaving every other statement exactly as normalised.

    ``current`` is the existing policy (text, dict, or ``None`` / ``"null"`` for no policy). With
    ``state="present"`` each statement (which must carry a Sid) is appended when its Sid is new, left alone when an
    equal statement is there, and when the Sid exists with different content it is replaced only if
    ``overwrite_conflicts`` is true (or is a collection naming that Sid); otherwise the existing statement is kept
    and the change is reported as ``conflict`` (or :class:`SidConflict` is raised with ``raise_on_conflict``).
    With ``state="absent"`` the statements are Sids (strings) or statements whose Sid is removed.

    Returns ``(document, changes)``. ``document`` keeps the current Version and Id (a new policy gets
    2012-10-17); it is ``None`` when no statement is left, meaning "delete the bucket policy".
    """
    if state not in ("present", "absent"):
        raise ValueError(f"state must be 'present' or 'absent', got {state!r}")
    document = parse_optional_policy(current, name)
    if isinstance(overwrite_conflicts, bool):
        may_overwrite = (lambda sid: True) if overwrite_conflicts else (lambda sid: False)
    else:
        allowed = set(overwrite_conflicts)
        may_overwrite = allowed.__contains__
    requested = _requested_statements(statements, state, name)
    if document is None:
        document = {"Version": VERSION_2012, "Statement": []}
    else:
        document = copy.deepcopy(document)
    existing = document["Statement"]
    by_sid = {statement["Sid"]: index for index, statement in enumerate(existing) if statement.get("Sid")}
    changes = MergeChanges()
    removed: set[int] = set()
    for sid, statement in requested:
        index = by_sid.get(sid)
        if state == "absent":
            if index is None or index in removed:
                changes.items.append(StatementChange(sid, "absent"))
            else:
                removed.add(index)
                changes.items.append(StatementChange(sid, "removed", before=existing[index]))
            continue
        if index is None:
            existing.append(statement)
            by_sid[sid] = len(existing) - 1
            changes.items.append(StatementChange(sid, "added", after=statement))
        elif statements_equal(existing[index], statement):
            changes.items.append(StatementChange(sid, "unchanged", before=existing[index], after=existing[index]))
        elif may_overwrite(sid):
            before = existing[index]
            existing[index] = statement
            changes.items.append(StatementChange(sid, "replaced", before=before, after=statement))
        else:
            if raise_on_conflict:
                raise SidConflict(name, sid)
            changes.items.append(StatementChange(sid, "conflict", before=existing[index], after=statement))
    if removed:
        document["Statement"] = [s for index, s in enumerate(existing) if index not in removed]
    if not document["Statement"]:
        return None, changes
    return document, changes


def _requested_statements(
    statements: Iterable[Mapping[str, Any] | str], state: str, name: str
) -> list[tuple[str, dict[str, Any] | None]]:
    if isinstance(statements, (Mapping, str)):
        statements = [statements]
    out: list[tuple[str, dict[str, Any] | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(statements):
        label = f"{name} (requested statement {index})"
        if isinstance(item, str):
            if state != "absent":
                raise PolicyError(label, "a bare Sid is only accepted with state=absent; give the full statement")
            sid, statement = item, None
        else:
            sid = item.get("Sid") if isinstance(item, Mapping) else None
            if not isinstance(sid, str) or not sid:
                raise PolicyError(label, "every merged statement needs a non-empty Sid")
            statement = _statement(item, label, index) if state == "present" else None
        if not sid:
            raise PolicyError(label, "empty Sid")
        if sid in seen:
            raise PolicyError(label, f"Sid {sid!r} requested more than once")
        seen.add(sid)
        out.append((sid, statement))
    return out

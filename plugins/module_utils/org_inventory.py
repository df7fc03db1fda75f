# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The pure part of the ``cloudsec.s3.aws_accounts`` inventory (no Ansible, no AWS imports).

An *account record* is a plain dict, the same whether it came from AWS Organizations or from a static list:
``{"id", "name", "email", "status", "arn", "ou_id", "ou_path", "tags": {..}, "role_arn"?}``. This module
filters records, builds the host name, the role ARN and the host variables of each, and names the groups.
"""

from __future__ import annotations

import re
import string
from typing import Any

DEFAULT_ROLE_ARN_TEMPLATE = "arn:{partition}:iam::{account_id}:role/{role_name}"
DEFAULT_HOSTNAME_TEMPLATE = "{account_name}"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_HOST_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
_GROUP_BAD = re.compile(r"[^A-Za-z0-9_]+")
TEMPLATE_FIELDS = ("account_id", "account_name", "account_email", "partition", "role_name", "region", "ou_path")


class InventoryInputError(ValueError):
    """A bad inventory option or account entry; the message names it."""


def _format(template: str, option: str, values: dict[str, str], account_id: str) -> str:
    try:
        fields = [part[1] for part in string.Formatter().parse(template) if part[1] is not None]
    except ValueError as exc:
        raise InventoryInputError(f"{option} {template!r} is not a valid template: {exc}") from None
    unknown = sorted({f for f in fields if f not in values})
    if unknown:
        raise InventoryInputError(
            f"{option} {template!r} uses unknown fields {unknown} for account {account_id}; "
            f"known fields: {', '.join(sorted(values))}"
        )
    return template.format(**values)


def role_arn(template: str, account: dict[str, Any], role_name: str, partition: str) -> str:
    """The role ARN for ``account`` from ``template``; InventoryInputError names the template and the account."""
    values = {
        "account_id": account["id"],
        "account_name": account.get("name", ""),
        "account_email": account.get("email", ""),
        "partition": partition,
        "role_name": role_name,
        "ou_path": account.get("ou_path", ""),
    }
    arn = _format(template, "role_arn_template", values, account["id"])
    return check_role_arn(arn, account["id"], f"role_arn_template {template!r}")


def check_role_arn(arn: str, account_id: str, source: str) -> str:
    """``arn`` when it is a valid IAM role ARN, else InventoryInputError naming ``source`` and the account."""
    if not _ROLE_ARN.match(arn):
        raise InventoryInputError(
            f"{source} gives {arn!r} for account {account_id}, which is not a valid IAM role ARN "
            "(expected arn:<partition>:iam::<12-digit account id>:role/<name>)"
        )
    return arn


def sanitise_hostname(name: str) -> str:
    """A safe inventory host name: runs of characters other than letters, digits, ``_ . -`` become ``_``."""
    return _HOST_BAD.sub("_", name).strip("_")


def group_name(prefix: str, *parts: str) -> str:
    """``prefix_part1_part2`` in lower case with every run of other characters as ``_`` (a valid group name)."""
    raw = "_".join([prefix, *[p for p in parts if p != ""]])
    return _GROUP_BAD.sub("_", raw).strip("_").lower()


def ou_groups(ou_path: str) -> list[str]:
    """The nested OU group names of a path, outermost first: Root/A/B -> [ou_root, ou_root_a, ou_root_a_b]."""
    parts = [p for p in ou_path.split("/") if p]
    return [group_name("ou", *parts[: i + 1]) for i in range(len(parts))]


def normalise_ou(value: str) -> str:
    """An OU filter: ids (``ou-...``, ``r-...``) as they are; paths without a trailing slash, rooted at Root."""
    value = value.strip()
    if re.match(r"^(ou|r)-[a-z0-9-]+$", value):
        return value
    value = value.strip("/")
    if value != "Root" and not value.startswith("Root/"):
        value = f"Root/{value}"
    return value


def ou_matches(account: dict[str, Any], patterns: list[str]) -> bool:
    """True when the account's OU id equals a pattern, or its OU path is a pattern path or below it."""
    path = account.get("ou_path") or ""
    for pattern in (normalise_ou(p) for p in patterns):
        if pattern in (account.get("ou_id"), path) or path.startswith(pattern + "/"):
            return True
        if pattern.startswith(("ou-", "r-")) and pattern in (account.get("ou_ids") or []):
            return True
    return False


def select_accounts(
    accounts: list[dict[str, Any]],
    *,
    statuses: list[str],
    include_ous: list[str],
    exclude_ous: list[str],
    include_tags: dict[str, Any],
    exclude_accounts: list[str],
    include_management_account: bool,
    management_account_id: str | None,
) -> list[dict[str, Any]]:
    """The accounts that pass every filter, in their given order."""
    wanted_statuses = {s.upper() for s in statuses}
    excluded = {str(a) for a in exclude_accounts}
    out = []
    for account in accounts:
        if wanted_statuses and (account.get("status") or "ACTIVE").upper() not in wanted_statuses:
            continue
        if account["id"] in excluded or (account.get("name") and account["name"] in excluded):
            continue
        if not include_management_account and management_account_id and account["id"] == management_account_id:
            continue
        if include_ous and not ou_matches(account, include_ous):
            continue
        if exclude_ous and ou_matches(account, exclude_ous):
            continue
        tags = account.get("tags") or {}
        if any(str(tags.get(k)) != str(v) for k, v in include_tags.items()):
            continue
        out.append(account)
    return out


def static_account(entry: Any, index: int) -> dict[str, Any]:
    """An account record from one ``accounts`` option entry; InventoryInputError names the entry."""
    where = f"accounts[{index}]"
    if isinstance(entry, (str, int)) and not isinstance(entry, bool):
        entry = {"id": str(entry)}
    if not isinstance(entry, dict):
        raise InventoryInputError(f"{where}: expected a mapping with at least 'id', got {type(entry).__name__}")
    unknown = sorted(set(entry) - {"id", "name", "email", "status", "arn", "tags", "ou_id", "ou_path", "role_arn"})
    if unknown:
        raise InventoryInputError(f"{where}: unknown keys {unknown}")
    account_id = str(entry.get("id", "")).strip()
    if not _ACCOUNT_ID.match(account_id):
        raise InventoryInputError(f"{where}.id: {entry.get('id')!r} is not a 12-digit AWS account id")
    tags = entry.get("tags") or {}
    if not isinstance(tags, dict):
        raise InventoryInputError(f"{where}.tags: expected a mapping of tag key to value")
    record = {
        "id": account_id,
        "name": str(entry.get("name") or account_id),
        "email": str(entry.get("email") or ""),
        "status": str(entry.get("status") or "ACTIVE").upper(),
        "arn": str(entry.get("arn") or ""),
        "ou_id": str(entry.get("ou_id") or ""),
        "ou_path": normalise_ou(str(entry["ou_path"])) if entry.get("ou_path") else "",
        "tags": {str(k): str(v) for k, v in tags.items()},
    }
    if entry.get("role_arn"):
        record["role_arn"] = check_role_arn(str(entry["role_arn"]), account_id, f"{where}.role_arn")
    return record


def build_hosts(
    accounts: list[dict[str, Any]],
    *,
    regions: list[str],
    hostname_template: str,
    role_arn_template: str,
    role_name: str,
    partition: str,
    external_id: str | None,
    management_account_id: str | None,
) -> list[tuple[str, dict[str, Any]]]:
    """(hostname, host vars) for every account (x region), hostnames unique: a clash falls back to the id."""
    if partition not in PARTITIONS:
        raise InventoryInputError(f"partition {partition!r} is not an AWS partition ({', '.join(PARTITIONS)})")
    rows = []
    for account in accounts:
        arn = account.get("role_arn") or role_arn(role_arn_template, account, role_name, partition)
        for region in regions or [""]:
            values = {
                "account_id": account["id"],
                "account_name": account.get("name") or account["id"],
                "account_email": account.get("email", ""),
                "partition": partition,
                "role_name": role_name,
                "region": region,
                "ou_path": account.get("ou_path", ""),
            }
            name = sanitise_hostname(_format(hostname_template, "hostname_template", values, account["id"]))
            fallback = account["id"]
            if region and "{region}" not in hostname_template:
                name, fallback = f"{name}_{region}", f"{fallback}_{region}"
            host_vars: dict[str, Any] = {
                "account_id": account["id"],
                "account_name": values["account_name"],
                "account_email": values["account_email"],
                "account_status": account.get("status") or "ACTIVE",
                "account_arn": account.get("arn", ""),
                "ou_id": account.get("ou_id", ""),
                "ou_path": account.get("ou_path", ""),
                "account_tags": dict(account.get("tags") or {}),
                "assume_role_arn": arn,
                "is_management_account": bool(management_account_id) and account["id"] == management_account_id,
                "ansible_connection": "local",
            }
            if external_id:
                host_vars["assume_role_external_id"] = external_id
            if region:
                host_vars["aws_region"] = region
            rows.append((name, fallback, host_vars))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    return [(name if name and counts[name] == 1 else fallback, hv) for name, fallback, hv in rows]


def host_groups(host_vars: dict[str, Any]) -> list[str]:
    """The groups of one host: its OU path groups (outermost first), tag groups and region group."""
    groups = ou_groups(host_vars.get("ou_path") or "")
    groups += [group_name("tag", k, v) for k, v in sorted((host_vars.get("account_tags") or {}).items())]
    if host_vars.get("aws_region"):
        groups.append(group_name("region", host_vars["aws_region"]))
    return groups

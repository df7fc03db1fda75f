# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organization report: one document over every account a baseline or a triage ran in.

Pure logic, no Ansible and no AWS imports.

* ``build_baseline_report(accounts, ...)`` takes one entry per account (``account_id``, ``account_name``, ``status``
  ``ok`` or ``failed``, ``error``, and the account's ``baseline_result`` under ``baseline``) and returns the
  accounts x controls summary, the per-bucket detail and the failed accounts.
* ``build_triage_report(findings, accounts, ...)`` takes GuardDuty findings of many accounts (any shape
  ``findings.normalize_finding`` accepts; each carries its ``account_id`` and ``region``) and returns the affected
  buckets of the organization ranked by severity, then finding count, then last activity, each with the regions of
  its findings, with per-account counts and the regions whose findings could not be read (``failed_regions``).
* ``render_markdown`` / ``render_html`` / ``render_json`` turn either document into text, with the table helpers
  and the page style of the incident report (``report.py``), so every value is escaped the same way.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.findings import normalize_finding
from ansible_collections.cloudsec.s3.plugins.module_utils.report import _html_table
from ansible_collections.cloudsec.s3.plugins.module_utils.report import _md_table
from ansible_collections.cloudsec.s3.plugins.module_utils.report import h
from ansible_collections.cloudsec.s3.plugins.module_utils.report import html_page
from ansible_collections.cloudsec.s3.plugins.module_utils.report import iso
from ansible_collections.cloudsec.s3.plugins.module_utils.report import md
from ansible_collections.cloudsec.s3.plugins.module_utils.report import parse_time
from ansible_collections.cloudsec.s3.plugins.module_utils.report import render_json
from ansible_collections.cloudsec.s3.plugins.module_utils.report import severity_label

SCHEMA = "cloudsec.s3/org-report/v1"
KINDS = ("baseline", "triage")
#: Control outcomes of s3_bucket_baseline, in the order the report shows them.
STATUSES = ("compliant", "changed", "would_change", "excepted", "non_compliant", "failed")
ACCOUNT_STATUSES = ("ok", "failed")
#: The error of a failed region when none was recorded.
REGION_UNREADABLE = "the findings could not be read in this region"

__all__ = [
    "SCHEMA",
    "account_outcomes",
    "build_baseline_report",
    "build_triage_report",
    "content_digest",
    "render_html",
    "render_json",
    "render_markdown",
    "summary_lines",
]


class OrgReportError(ValueError):
    """Input the report cannot be built from; the message names the entry."""


def _d(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _moment(generated_at: Any) -> datetime.datetime:
    if generated_at in (None, ""):
        return datetime.datetime.now(datetime.timezone.utc)
    moment = parse_time(generated_at)
    if moment is None:
        raise OrgReportError(f"generated_at {generated_at!r} is not an ISO-8601 time")
    return moment


def content_digest(report: Mapping[str, Any]) -> str:
    """SHA-256 of the report without its time of writing and file paths: equal digests mean equal conclusions."""
    body = {k: v for k, v in report.items() if k not in ("generated_at", "content_digest", "paths")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _who(item: Mapping[str, Any], where: str) -> dict[str, str]:
    """``account_id``, ``account_name`` and ``host`` of an account or a failed region; id or host must be set."""
    account_id = _s(item.get("account_id"))
    host = _s(item.get("host"))
    if not account_id and not host:
        raise OrgReportError(f"{where}: neither account_id nor host is set")
    return {
        "account_id": account_id,
        "account_name": _s(item.get("account_name")) or host or account_id,
        "host": host or account_id,
    }


def _account_entry(index: int, raw: Any) -> dict[str, Any]:
    """One account as the report shows it; the status is ``failed`` when asked, or when it has no result."""
    item = _d(raw)
    if not item:
        raise OrgReportError(f"accounts[{index}]: expected a mapping, got {type(raw).__name__}")
    who = _who(item, f"accounts[{index}]")
    status = _s(item.get("status")) or "ok"
    if status not in ACCOUNT_STATUSES:
        named = who["account_id"] or who["host"]
        raise OrgReportError(
            f"accounts[{index}] ({named}): status {status!r} is not one of {', '.join(ACCOUNT_STATUSES)}"
        )
    return {
        **who,
        "ou_path": _s(item.get("ou_path")) or None,
        "status": status,
        "error": _s(item.get("error")) or None,
    }


def account_outcomes(
    hosts: Iterable[str],
    hostvars: Mapping[str, Any],
    *,
    result_var: str | None = None,
    failure_var: str | None = None,
    result_key: str | None = None,
    judge: bool = True,
    missing: str = "the run did not complete in this account (see the task errors above)",
    region_failures_var: str | None = None,
) -> list[dict[str, Any]]:
    """One ``accounts`` entry per host of an organization run, from what its play left in ``hostvars``.

    A host failed when the account role recorded ``status: failed`` (``cloudsec_account``), when its rescue set
    ``failure_var``, or when ``result_var`` is named and missing (the run stopped before publishing it). The error
    is, first found, the account role's, the rescue's, then ``missing``. With ``judge`` false every host is ``ok``
    (the delegated-administrator triage lists accounts it did not run in). The host's result goes under
    ``result_key`` when the host did not fail.

    With ``region_failures_var`` (the host variable mapping each region whose read failed to its error), each entry
    also gets ``failed_regions``: one ``{account_id, account_name, host, region, error}`` per region, in the order
    recorded. A failed region does not fail the account: the other regions were read.
    """
    out: list[dict[str, Any]] = []
    for host in hosts:
        hv = hostvars[host]  # read key by key: Ansible's hostvars template each value on access
        account = _d(hv.get("cloudsec_account"))
        failure = _s(hv.get(failure_var)) if failure_var else ""
        failed = judge and (
            account.get("status") == "failed"
            or (failure_var is not None and failure_var in hv)
            or (result_var is not None and result_var not in hv)
        )
        entry = {
            "host": host,
            "account_id": _s(hv.get("account_id") or account.get("account_id")),
            "account_name": _s(hv.get("account_name") or account.get("account_name")) or host,
            "ou_path": _s(hv.get("ou_path")),
            "status": "failed" if failed else "ok",
            "error": _s(account.get("error")) or failure or (missing if failed else ""),
        }
        if result_key:
            entry[result_key] = {} if failed else _d(hv.get(result_var)) if result_var else {}
        if region_failures_var:
            who = {k: entry[k] for k in ("account_id", "account_name", "host")}
            entry["failed_regions"] = [
                {**who, "region": _s(region), "error": _s(error) or REGION_UNREADABLE}
                for region, error in _d(hv.get(region_failures_var)).items()
            ]
        out.append(entry)
    return out


def _sorted_accounts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda a: (a["account_name"].lower(), a["account_id"], a["host"]))


# --------------------------------------------------------------------------------------------------------------------
# baseline


def build_baseline_report(
    accounts: Iterable[Any],
    *,
    check_mode: bool = False,
    generated_at: Any = None,
) -> dict[str, Any]:
    """The organization baseline report (see the module docstring); ``accounts`` must not be empty."""
    moment = _moment(generated_at)
    entries: list[dict[str, Any]] = []
    buckets: list[dict[str, Any]] = []
    control_meta: dict[str, dict[str, Any]] = {}
    org_controls: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(STATUSES, 0)
    seen: set[str] = set()
    for index, raw in enumerate(accounts):
        entry = _account_entry(index, raw)
        key = entry["host"]  # one account may be several hosts (one per region)
        if key in seen:
            raise OrgReportError(f"accounts[{index}]: host {key} is listed twice")
        seen.add(key)
        baseline = _d(_d(raw).get("baseline"))
        if entry["status"] == "ok" and not baseline:
            entry["status"] = "failed"
            entry["error"] = entry["error"] or "the baseline did not run in this account (no result)"
        entry.update(
            buckets=0,
            compliant_buckets=0,
            failed_buckets=[],
            statuses=dict.fromkeys(STATUSES, 0),
            controls={},
            public_access_block_status=None,
        )
        if entry["status"] == "ok":
            account = _d(baseline.get("account"))
            entry["account_id"] = entry["account_id"] or _s(account.get("account_id"))
            entry["public_access_block_status"] = _s(account.get("public_access_block_status")) or None
            for item in _l(baseline.get("catalogue")):
                c = _d(item)
                if c.get("name"):
                    control_meta.setdefault(_s(c["name"]), {"fsbp": c.get("fsbp"), "cis": c.get("cis")})
            for raw_bucket in _l(baseline.get("buckets")):
                b = _d(raw_bucket)
                controls = {_s(k): _d(v) for k, v in _d(b.get("controls")).items()}
                statuses = {name: _s(c.get("status")) or "failed" for name, c in controls.items()}
                compliant = bool(statuses) and all(s in ("compliant", "excepted") for s in statuses.values())
                failed = bool(b.get("error")) or "failed" in statuses.values()
                entry["buckets"] += 1
                entry["compliant_buckets"] += int(compliant and not b.get("error"))
                if failed:
                    entry["failed_buckets"].append(_s(b.get("name")))
                for name, status in statuses.items():
                    per = entry["controls"].setdefault(name, dict.fromkeys(STATUSES, 0))
                    org = org_controls.setdefault(name, dict.fromkeys(STATUSES, 0))
                    for counts in (per, org, entry["statuses"], totals):
                        counts[status] = counts.get(status, 0) + 1
                    control_meta.setdefault(
                        name, {"fsbp": controls[name].get("fsbp"), "cis": controls[name].get("cis")}
                    )
                buckets.append(
                    {
                        "account_id": entry["account_id"],
                        "account_name": entry["account_name"],
                        "host": entry["host"],
                        "name": _s(b.get("name")),
                        "compliant": compliant and not b.get("error"),
                        "error": _s(b.get("error")) or None,
                        "controls": statuses,
                        "details": {
                            name: _s(c.get("detail"))
                            for name, c in controls.items()
                            if statuses[name] not in ("compliant",) and c.get("detail")
                        },
                    }
                )
        entries.append(entry)
    if not entries:
        raise OrgReportError("accounts is empty: the report needs at least one account")
    entries = _sorted_accounts(entries)
    order = {a["host"]: i for i, a in enumerate(entries)}
    buckets.sort(key=lambda b: (order.get(b["host"], len(order)), b["name"]))
    failed = [a for a in entries if a["status"] == "failed"]
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": "baseline",
        "generated_at": iso(moment),
        "mode": "audit" if check_mode else "enforce",
        "check_mode": bool(check_mode),
        "controls": [
            {"name": name, "fsbp": control_meta.get(name, {}).get("fsbp"), "cis": control_meta.get(name, {}).get("cis")}
            for name in sorted(org_controls)
        ],
        "summary": {
            "accounts": len(entries),
            "accounts_ok": len(entries) - len(failed),
            "accounts_failed": len(failed),
            "buckets": len(buckets),
            "compliant_buckets": sum(1 for b in buckets if b["compliant"]),
            "statuses": totals,
            "controls": {name: org_controls[name] for name in sorted(org_controls)},
        },
        "accounts": entries,
        "failed_accounts": [
            {"account_id": a["account_id"], "account_name": a["account_name"], "host": a["host"], "error": a["error"]}
            for a in failed
        ],
        "buckets": buckets,
    }
    report["content_digest"] = content_digest(report)
    return report


# --------------------------------------------------------------------------------------------------------------------
# triage


def _finding_buckets(finding: Mapping[str, Any]) -> list[str]:
    names = [_s(_d(b).get("name")) for b in _l(finding.get("buckets"))]
    return [n for n in dict.fromkeys(names) if n]


def _region_names(regions: Iterable[Any]) -> list[str]:
    """The regions asked, without repeats, in the order given."""
    out: dict[str, None] = {}
    for index, raw in enumerate(regions):
        if not isinstance(raw, str) or not raw.strip():
            raise OrgReportError(f"regions[{index}]: expected a region name, got {raw!r}")
        out[raw.strip()] = None
    return list(out)


def _failed_region_entry(index: int, raw: Any) -> dict[str, Any]:
    """One region whose findings could not be read, with the account (or host) that tried."""
    item = _d(raw)
    if not item:
        raise OrgReportError(f"failed_regions[{index}]: expected a mapping, got {type(raw).__name__}")
    region = _s(item.get("region")).strip()
    if not region:
        raise OrgReportError(f"failed_regions[{index}]: region is not set")
    return {
        **_who(item, f"failed_regions[{index}] ({region})"),
        "region": region,
        "error": _s(item.get("error")) or REGION_UNREADABLE,
    }


def build_triage_report(
    findings: Iterable[Any],
    accounts: Iterable[Any] = (),
    *,
    mode: str = "delegated_admin",
    generated_at: Any = None,
    include_archived: bool = False,
    regions: Iterable[Any] = (),
    failed_regions: Iterable[Any] = (),
) -> dict[str, Any]:
    """The organization triage report: affected buckets of every account, ranked (see the module docstring).

    ``accounts``: the accounts that were asked (per-account mode), with their status; accounts that only appear in
    findings are added as ``ok``. Archived findings are left out unless ``include_archived``. ``regions``: the
    regions read, as the report states them (default: the regions of the findings and of ``failed_regions``).
    ``failed_regions``: one entry per account (or host) and region whose findings could not be read, with the
    ``error``; a failed region does not fail its account, whose other regions count as usual.
    """
    moment = _moment(generated_at)
    asked = _region_names(regions)
    failed_reads: dict[tuple[str, str], dict[str, Any]] = {}
    for index, raw in enumerate(failed_regions):
        failure = _failed_region_entry(index, raw)
        key = (failure["host"], failure["region"])
        if key in failed_reads:
            raise OrgReportError(f"failed_regions[{index}]: region {key[1]} of {key[0]} is listed twice")
        failed_reads[key] = failure
    entries: dict[str, dict[str, Any]] = {}
    # An inventory with one host per account and region lists an account once per host: one entry per account,
    # failed when any of its hosts failed, each error named by its host.
    host_errors: dict[str, dict[str, str]] = {}
    for index, raw in enumerate(accounts):
        entry = _account_entry(index, raw)
        key = entry["account_id"] or entry["host"]
        hosts = host_errors.setdefault(key, {})
        if entry["host"] in hosts:
            raise OrgReportError(f"accounts[{index}]: account {key} is listed twice")
        hosts[entry["host"]] = (entry["error"] or "failed") if entry["status"] == "failed" else ""
        kept = entries.setdefault(key, entry)
        failures = {host: error for host, error in hosts.items() if error}
        if kept is not entry and failures:
            kept["status"] = "failed"
            kept["error"] = "; ".join(f"{host}: {error}" for host, error in failures.items())
    by_id: dict[tuple[str, str], dict[str, Any]] = {}
    for index, raw in enumerate(findings):
        try:
            finding = normalize_finding(raw)
        except ValueError as exc:
            raise OrgReportError(f"findings[{index}]: {exc}") from None
        if finding.get("archived") and not include_archived:
            continue
        # a finding id is unique in its account and region; the same finding read twice is kept once (the newest)
        key = (_s(finding.get("account_id")), _s(finding.get("region")), _s(finding.get("id")) or f"#{index}")
        known = by_id.get(key)
        if known is None or _s(finding.get("updated_at")) > _s(known.get("updated_at")):
            by_id[key] = finding
    ranked: dict[tuple[str, str], dict[str, Any]] = {}
    per_account: dict[str, dict[str, Any]] = {}
    for (account_id, region, fid), f in by_id.items():
        severity = f.get("severity")
        severity = float(severity) if severity is not None else 0.0
        last_seen = _s(f.get("last_seen") or f.get("updated_at"))
        counts = per_account.setdefault(account_id, {"findings": 0, "high_findings": 0, "max_severity": 0.0})
        counts["findings"] += 1
        counts["high_findings"] += int(severity >= 7.0)
        counts["max_severity"] = max(counts["max_severity"], severity)
        for name in _finding_buckets(f):
            b = ranked.setdefault(
                (account_id, name),
                {
                    "account_id": account_id,
                    "name": name,
                    "max_severity": 0.0,
                    "finding_count": 0,
                    "first_seen": None,
                    "last_seen": None,
                    "finding_types": [],
                    "finding_ids": [],
                    "regions": [],
                    "finding_regions": {},
                },
            )
            b["max_severity"] = max(b["max_severity"], severity)
            b["finding_count"] += 1
            first = _s(f.get("first_seen") or f.get("created_at"))
            if first and (b["first_seen"] is None or first < b["first_seen"]):
                b["first_seen"] = first
            if last_seen and (b["last_seen"] is None or last_seen > b["last_seen"]):
                b["last_seen"] = last_seen
            if f.get("type") and f["type"] not in b["finding_types"]:
                b["finding_types"].append(_s(f["type"]))
            b["finding_ids"].append(fid)
            b["finding_regions"][fid] = region
            if region and region not in b["regions"]:
                b["regions"] = sorted([*b["regions"], region])
    for account_id in per_account:
        if account_id not in entries:
            entries[account_id] = _account_entry(0, {"account_id": account_id or "unknown"})
    names = {key: e["account_name"] for key, e in entries.items()}
    # most severe first, then most findings, then the most recent activity (ISO text sorts by time)
    buckets = sorted(
        ranked.values(),
        key=lambda b: (
            -b["max_severity"],
            -b["finding_count"],
            _invert(b["last_seen"] or ""),
            b["account_id"],
            b["name"],
        ),
    )
    for rank, b in enumerate(buckets, start=1):
        b["rank"] = rank
        b["account_name"] = names.get(b["account_id"], b["account_id"])
        b["max_severity_label"] = severity_label(b["max_severity"]) if b["finding_count"] else None
    failed_region_list = sorted(
        failed_reads.values(), key=lambda r: (r["account_name"].lower(), r["account_id"], r["host"], r["region"])
    )
    account_list = []
    for entry in _sorted_accounts(list(entries.values())):
        counts = per_account.get(entry["account_id"], {"findings": 0, "high_findings": 0, "max_severity": 0.0})
        affected = [b for b in buckets if b["account_id"] == entry["account_id"]]
        entry.update(
            failed_regions=[
                r["region"]
                for r in failed_region_list
                if (r["account_id"] and r["account_id"] == entry["account_id"]) or r["host"] == entry["host"]
            ],
            findings=counts["findings"],
            high_findings=counts["high_findings"],
            affected_buckets=len(affected),
            max_severity=counts["max_severity"] if counts["findings"] else None,
            max_severity_label=severity_label(counts["max_severity"]) if counts["findings"] else None,
        )
        account_list.append(entry)
    failed = [a for a in account_list if a["status"] == "failed"]
    seen_regions = {key[1] for key in by_id} | {r["region"] for r in failed_region_list}
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": "triage",
        "generated_at": iso(moment),
        "mode": mode,
        "check_mode": False,
        "regions": asked or sorted(r for r in seen_regions if r),
        "summary": {
            "accounts": len(account_list),
            "accounts_with_findings": sum(1 for a in account_list if a["findings"]),
            "accounts_failed": len(failed),
            "regions_failed": len(failed_region_list),
            "findings": len(by_id),
            "affected_buckets": len(buckets),
            "max_severity": max((b["max_severity"] for b in buckets), default=None),
        },
        "accounts": account_list,
        "failed_accounts": [
            {"account_id": a["account_id"], "account_name": a["account_name"], "host": a["host"], "error": a["error"]}
            for a in failed
        ],
        "failed_regions": failed_region_list,
        "buckets": buckets,
    }
    report["content_digest"] = content_digest(report)
    return report


def _invert(text: str) -> tuple[int, ...]:
    """A key that sorts ISO times newest first inside an otherwise ascending sort."""
    return tuple(-ord(c) for c in text)


# --------------------------------------------------------------------------------------------------------------------
# rendering


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """A few lines for the end of the play."""
    s = _d(report.get("summary"))
    failed = _l(report.get("failed_accounts"))
    lines = []
    if report.get("kind") == "triage":
        top = _l(report.get("buckets"))[:3]
        regions = ", ".join(_s(r) for r in _l(report.get("regions")))
        lines.append(
            f"Organization triage ({report.get('mode')}): {s.get('findings', 0)} S3 findings on "
            f"{s.get('affected_buckets', 0)} buckets in {s.get('accounts_with_findings', 0)} "
            f"of {s.get('accounts', 0)} accounts" + (f", regions {regions}" if regions else "")
        )
        lines += [
            f"#{b['rank']} {b['name']} (account {b['account_name']} {b['account_id']}"
            f"{', ' + ', '.join(_l(b.get('regions'))) if b.get('regions') else ''}): "
            f"{b['max_severity_label']} {b['max_severity']:g}, {b['finding_count']} findings, "
            f"last seen {b['last_seen'] or '-'}"
            for b in top
        ]
    else:
        st = _d(s.get("statuses"))
        drift = st.get("would_change", 0) + st.get("changed", 0)
        lines.append(
            f"Organization baseline ({report.get('mode')}): {s.get('accounts_ok', 0)} of {s.get('accounts', 0)} "
            f"accounts ran, {s.get('compliant_buckets', 0)} of {s.get('buckets', 0)} buckets compliant, "
            f"{drift} controls {'would change' if report.get('check_mode') else 'changed'}, "
            f"{st.get('failed', 0)} failed"
        )
    if failed:
        lines.append(
            "FAILED accounts: "
            + "; ".join(f"{a['account_name']} ({a['account_id'] or a['host']}): {a['error']}" for a in failed)
        )
    failed_regions = _l(report.get("failed_regions"))
    if failed_regions:
        lines.append(
            "FAILED regions: "
            + "; ".join(
                f"{r['account_name']} ({r['account_id'] or r['host']}) {r['region']}: {r['error']}"
                for r in failed_regions
            )
        )
    return lines


def _control_header(control: Mapping[str, Any]) -> str:
    ids = " / ".join(
        x for x in (_s(control.get("fsbp")), "CIS " + _s(control.get("cis")) if control.get("cis") else "") if x
    )
    return f"{control['name']} ({ids})" if ids else _s(control["name"])


def _cell(counts: Mapping[str, int]) -> str:
    """``5 ok`` or ``2 would_change, 1 failed (of 5)``: what needs a look, per account and control."""
    total = sum(counts.values())
    if not total:
        return "-"
    bad = [f"{counts[s]} {s}" for s in STATUSES if s not in ("compliant", "excepted") and counts.get(s)]
    return f"{', '.join(bad)} (of {total})" if bad else f"{total} ok"


def _accounts_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    if report.get("kind") == "triage":
        accounts = _l(report.get("accounts"))
        # the column only when a region of a listed account failed (per-account mode over several regions)
        regions = any(a.get("failed_regions") for a in accounts)
        headers = ["Account", "Id", "Status", "Findings", "High or critical", "Affected buckets", "Max severity"]
        rows = [
            [
                a["account_name"],
                a["account_id"],
                a["status"],
                a["findings"],
                a["high_findings"],
                a["affected_buckets"],
                f"{a['max_severity_label']} {a['max_severity']:g}" if a["max_severity"] is not None else "-",
                *([", ".join(_l(a.get("failed_regions"))) or "-"] if regions else []),
            ]
            for a in accounts
        ]
        return headers + (["Failed regions"] if regions else []), rows
    headers = ["Account", "Id", "OU", "Status", "Buckets", "Compliant", *STATUSES, "Account BPA"]
    rows = [
        [
            a["account_name"],
            a["account_id"],
            a["ou_path"] or "",
            a["status"],
            a["buckets"],
            a["compliant_buckets"],
            *[a["statuses"].get(s, 0) for s in STATUSES],
            a["public_access_block_status"] or "-",
        ]
        for a in _l(report.get("accounts"))
    ]
    return headers, rows


def _matrix_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    controls = _l(report.get("controls"))
    headers = ["Account", *[_control_header(c) for c in controls]]
    rows = [
        [a["account_name"], *[_cell(a["controls"].get(c["name"], {})) for c in controls]]
        for a in _l(report.get("accounts"))
        if a["status"] == "ok"
    ]
    return headers, rows


def _counts_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Account", "Control", *STATUSES]
    rows = [
        [a["account_name"], c["name"], *[a["controls"].get(c["name"], {}).get(s, 0) for s in STATUSES]]
        for a in _l(report.get("accounts"))
        if a["status"] == "ok"
        for c in _l(report.get("controls"))
        if c["name"] in a["controls"]
    ]
    return headers, rows


def _bucket_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    controls = [c["name"] for c in _l(report.get("controls"))]
    headers = ["Account", "Bucket", *controls]
    rows = [
        [b["account_name"], b["name"], *[b["controls"].get(c, "-") for c in controls]]
        for b in _l(report.get("buckets"))
    ]
    return headers, rows


def _ranked_table(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Rank", "Bucket", "Account", "Id", "Regions", "Severity", "Findings", "Last seen", "Finding types"]
    rows = [
        [
            b["rank"],
            b["name"],
            b["account_name"],
            b["account_id"],
            ", ".join(_l(b.get("regions"))),
            f"{b['max_severity_label']} {b['max_severity']:g}",
            b["finding_count"],
            b["last_seen"] or "",
            b["finding_types"],
        ]
        for b in _l(report.get("buckets"))
    ]
    return headers, rows


def _failed_lines(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(who, error) per failed account; a list rather than a table, so the whole AWS error shows."""
    return [
        (f"{a['account_name']} ({a['account_id'] or '-'}, host {a['host']})", a["error"] or "")
        for a in _l(report.get("failed_accounts"))
    ]


def _failed_region_lines(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(who and region, error) per region whose findings could not be read (triage)."""
    return [
        (f"{r['account_name']} ({r['account_id'] or '-'}, host {r['host']}) region {r['region']}", r["error"] or "")
        for r in _l(report.get("failed_regions"))
    ]


def _failure_sections(report: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(who, error)]) of the lists of failures: accounts, and for triage the regions."""
    sections = [("Failed accounts", _failed_lines(report))]
    if report.get("kind") == "triage":
        sections.append(("Failed regions", _failed_region_lines(report)))
    return sections


def _sections(report: Mapping[str, Any]) -> list[tuple[str, tuple[list[str], list[list[Any]]]]]:
    if report.get("kind") == "triage":
        return [
            ("Affected buckets, most severe first", _ranked_table(report)),
            ("Accounts", _accounts_table(report)),
        ]
    return [
        ("Accounts", _accounts_table(report)),
        ("Accounts x controls", _matrix_table(report)),
        ("Buckets", _bucket_table(report)),
        ("Counts per account and control", _counts_table(report)),
    ]


def _title(report: Mapping[str, Any]) -> str:
    if report.get("kind") == "triage":
        return f"Organization S3 triage ({_s(report.get('mode'))})"
    return f"Organization S3 baseline ({_s(report.get('mode'))})"


def render_markdown(report: Mapping[str, Any]) -> str:
    out = [f"# {md(_title(report))}", "", f"Generated {md(report.get('generated_at'))}.", ""]
    out += [f"- {md(line, 600)}" for line in summary_lines(report)]
    out.append("")
    for heading, failed in _failure_sections(report):
        out += [f"## {heading}", ""]
        out += [f"- {md(who)}: {md(error, 1000)}" for who, error in failed] or ["_None._"]
        out.append("")
    for heading, table in _sections(report):
        out += [f"## {heading}", ""]
        out += _md_table(*table)
    if report.get("kind") == "baseline":
        details = [
            f"- {md(b['account_name'])} `{md(b['name'])}` {md(name)}: {md(text, 400)}"
            for b in _l(report.get("buckets"))
            for name, text in b["details"].items()
        ]
        out += ["## Details (everything not compliant)", "", *(details or ["_None._"]), ""]
    out += ["---", f"Report {md(report.get('schema'))}, content digest {md(report.get('content_digest'))}.", ""]
    return "\n".join(out)


def render_html(report: Mapping[str, Any]) -> str:
    body = [f"<h1>{h(_title(report))}</h1>", f"<p>Generated {h(report.get('generated_at'))}.</p>", "<ul>"]
    body += [f"<li>{h(line, 600)}</li>" for line in summary_lines(report)]
    body.append("</ul>")
    for heading, failed in _failure_sections(report):
        body.append(f"<h2>{h(heading)}</h2>")
        if failed:
            items = "".join(f"<li><b>{h(who)}</b>: {h(error, 1000)}</li>" for who, error in failed)
            body.append(f"<ul>{items}</ul>")
        else:
            body.append('<p class="none">None.</p>')
    for heading, (headers, rows) in _sections(report):
        body.append(f"<h2>{h(heading)}</h2>")
        classes = None
        if heading == "Accounts":
            classes = ["sus" if a["status"] == "failed" else "" for a in _l(report.get("accounts"))]
        elif heading.startswith("Affected buckets"):
            classes = ["sus" if b["max_severity"] >= 7.0 else "" for b in _l(report.get("buckets"))]
        body.append(_html_table(headers, rows, classes))
    body.append(f"<footer>{h(report.get('schema'))} - content digest {h(report.get('content_digest'))}</footer>")
    return html_page(_title(report), body)

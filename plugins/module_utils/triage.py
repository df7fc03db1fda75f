# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Step 1 of the response: from GuardDuty findings to "which bucket, how bad, whom to look at, over what window".

Pure Python; used by the ``cloudsec.s3.triage_summary`` filter that the ``triage`` role calls.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.findings import normalize_finding
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import parse_time
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import severity_label
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import summarise
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import to_iso8601


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def triage_summary(
    findings: Iterable[Mapping[str, Any]] | None,
    *,
    bucket: str | None = None,
    lookback_days: float = 7,
    margin_minutes: float = 60,
    guardduty_enabled: bool = True,
    now: Any = None,
    keep_raw: bool = True,
) -> dict[str, Any]:
    """The ``triage_result`` fact.

    ``findings``: findings in any shape (normalised, boto3, wire or EventBridge); duplicates (same id) are merged,
    keeping the most recently updated copy; findings not about S3 are dropped. ``bucket``: the bucket the responder
    named, which stays the primary bucket even with no finding on it (GuardDuty may be off or slow).
    The time window the next step should search runs from the earliest ``first_seen`` of the primary bucket's
    findings minus ``margin_minutes`` to ``now``; with no findings, the last ``lookback_days``.
    """
    moment = parse_time(now) if now is not None else _dt.datetime.now(_dt.timezone.utc)
    if lookback_days <= 0:
        raise ValueError(f"lookback_days must be positive, got {lookback_days}")
    if margin_minutes < 0:
        raise ValueError(f"margin_minutes must not be negative, got {margin_minutes}")

    by_id: dict[str, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    for raw in findings or []:
        finding = normalize_finding(raw)
        if not finding.get("s3_related"):
            continue
        fid = finding.get("id")
        if fid is None:
            anonymous.append(finding)
            continue
        known = by_id.get(fid)
        if known is None or (finding.get("updated_at") or "") > (known.get("updated_at") or ""):
            by_id[fid] = finding
    merged = list(by_id.values()) + anonymous
    merged.sort(key=lambda f: (-(f.get("severity") or 0.0), f.get("id") or ""))

    summary = summarise(merged)
    ranked = summary["buckets"]
    primary = bucket or (ranked[0]["name"] if ranked else None)
    if primary and not any(b["name"] == primary for b in ranked):
        ranked = [
            {
                "name": primary,
                "arn": f"arn:aws:s3:::{primary}",
                "max_severity": None,
                "max_severity_label": None,
                "first_seen": None,
                "last_seen": None,
                "effective_permission": None,
                "public": False,
                "finding_ids": [],
                "finding_types": [],
            },
            *ranked,
        ]
    on_primary = [f for f in merged if any(b.get("name") == primary for b in f.get("buckets", []))]
    first_seen = [f.get("first_seen") or f.get("created_at") for f in on_primary]
    first_seen = [t for t in first_seen if t]
    if first_seen:
        start = parse_time(min(first_seen)) - _dt.timedelta(minutes=margin_minutes)
        window_reason = f"earliest finding activity on {primary} minus {margin_minutes:g} minutes"
    else:
        start = moment - _dt.timedelta(days=lookback_days)
        window_reason = f"no finding on {primary or 'any bucket'}: the last {lookback_days:g} days"
    start = min(start, moment)

    severities = [f["severity"] for f in on_primary if f.get("severity") is not None]
    max_severity = max(severities) if severities else None
    if not guardduty_enabled:
        message = "GuardDuty is not enabled in this region: no findings; the response goes on with the named bucket"
    elif not merged:
        message = (
            f"No current GuardDuty finding on {primary or 'any bucket'}; the response goes on with the named bucket"
        )
    else:
        message = (
            f"{len(on_primary)} finding(s) on {primary}, highest severity {max_severity:g} "
            f"({severity_label(max_severity)}); {len(merged)} S3 finding(s) in all"
            if max_severity is not None
            else f"{len(merged)} S3 finding(s), none on {primary}"
        )

    def strip(f: dict[str, Any]) -> dict[str, Any]:
        return f if keep_raw else {k: v for k, v in f.items() if k != "raw"}

    return {
        "bucket": primary,
        "buckets": ranked,
        "findings": [strip(f) for f in merged],
        "finding_ids": [f["id"] for f in merged if f.get("id")],
        "max_severity": max_severity,
        "max_severity_label": severity_label(max_severity) if max_severity is not None else None,
        "principals": summary["principals"],
        "remote_ips": summary["remote_ips"],
        "window": {"start": _iso(start), "end": _iso(moment), "reason": window_reason},
        "guardduty_enabled": bool(guardduty_enabled),
        "has_findings": bool(on_primary),
        "message": message,
        "generated_at": to_iso8601(moment),
    }

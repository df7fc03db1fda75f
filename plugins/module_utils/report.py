# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The incident report: one document built from the step results, rendered as JSON, Markdown and HTML.

Pure logic, no Ansible and no AWS imports.

* ``build_report(...)`` takes the result facts of the response steps (``triage_result``, ``investigate_result``,
  ``authorization_result``, ``evidence_result``, ``contain_result``, ``harden_result``; any of them may be missing
  or partial) and returns the report document, which is exactly what ``report.json`` holds.
* ``render_json``, ``render_markdown`` and ``render_html`` turn that document into text. The HTML page is
  self-contained (inline CSS and SVG, a Content-Security-Policy that forbids scripts and remote content) and every
  value in it is escaped: finding titles, user agents, object keys and session names are attacker-controlled.
* ``compute_verdict`` holds the verdict rule (documented on the function), ``summary_lines`` the five lines a
  playbook prints at the end.

The verdict is one of ``compromised``, ``suspicious``, ``no_evidence`` and ``inconclusive``.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import math
import re
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

SCHEMA = "cloudsec.s3/incident-report/v1"
#: The files a report module can write (doc fragment cloudsec.s3.report_formats).
FORMATS = ("json", "markdown", "html")
VERDICTS = ("compromised", "suspicious", "no_evidence", "inconclusive")
# authorization verdicts of a call or principal that the report treats specially (values of authorization.VERDICTS)
INTENT_UNKNOWN = "allowed_intent_unknown"
_SUSPECT_CALL_VERDICTS = ("allowed_but_unexpected", "unauthorized")
HIGH_SEVERITY = 7.0
CHANGE_FAMILIES = {
    "policy": ("PutBucketPolicy", "DeleteBucketPolicy"),
    "acl": ("PutBucketAcl", "PutObjectAcl", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls"),
    "block_public_access": (
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutAccountPublicAccessBlock",
        "DeletePublicAccessBlock",
        "PutPublicAccessBlock",
    ),
}
MAX_TEXT = 160  # longest single value shown in the Markdown / HTML tables (user agents can be kilobytes)
MAX_BINS = 480
_CHECK_NOTE = " (check mode: read-only, nothing was changed)"
_BIN_SIZES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)
_SERIES = 6  # actors drawn as their own series; the rest are "other actors"
_SUSPECT_COLOURS = ("#c0392b", "#e67e22", "#8e44ad", "#d35400", "#a93226", "#b9770e")
_OTHER_COLOURS = ("#2e86c1", "#17a589", "#7f8c8d", "#1f618d", "#229954", "#5d6d7e")
_REST_COLOUR = "#bdc3c7"


def formats_argument_spec() -> dict[str, Any]:
    """The ``formats`` option of the report modules (Ansible argument_spec form)."""
    return dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS))


def requested_formats(formats: Iterable[str]) -> list[str]:
    """The formats asked for, without repeats, in their order; ValueError when there are none."""
    out = list(dict.fromkeys(formats))
    if not out:
        raise ValueError(f"formats is empty: name at least one of {', '.join(FORMATS)}")
    return out


# --------------------------------------------------------------------------------------------------------------------
# small helpers


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, Mapping) else {}  # type: ignore[return-value]


def _l(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_s(v) for v in value if v not in (None, ""))
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _num(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _int(value: Any) -> int:
    return int(_num(value))


def parse_time(value: Any) -> datetime.datetime | None:
    """An ISO-8601 text (``Z`` or offset, optional fraction) or a datetime, as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_actor(arn: Any) -> str:
    """A readable actor label: ``user/name``, ``role/name``, ``anonymous``, ``account 444455556666`` ..."""
    text = _s(arn)
    if not text:
        return "unknown"
    if text in ("ANONYMOUS_PRINCIPAL", "anonymous", "*"):
        return "anonymous"
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6:
            resource = parts[5]
            if resource == "root":
                return f"account {parts[4]}"
            if resource.startswith("assumed-role/"):
                return "role/" + resource.split("/", 1)[1]
            return resource
    return text


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_family(event_name: Any) -> str | None:
    """``policy``, ``acl`` or ``block_public_access`` for the calls that change who can reach the bucket."""
    name = _s(event_name)
    for family, names in CHANGE_FAMILIES.items():
        if name in names:
            return family
    return None


def severity_label(severity: float | None) -> str | None:
    if severity is None:
        return None
    if severity >= 9.0:
        return "Critical"
    if severity >= 7.0:
        return "High"
    if severity >= 4.0:
        return "Medium"
    return "Low"


# --------------------------------------------------------------------------------------------------------------------
# gathering the step results into the report's own shapes


def _findings(triage: Mapping[str, Any], bucket: str) -> list[dict[str, Any]]:
    out = []
    for finding in _l(triage.get("findings")):
        f = _d(finding)
        if not f:
            continue
        principal = _d(f.get("principal"))
        names = [_d(b).get("name") for b in _l(f.get("buckets"))]
        out.append(
            {
                "id": _s(f.get("id")),
                "type": _s(f.get("type")),
                "title": _s(f.get("title")),
                "severity": _num(f.get("severity")),
                "severity_label": _s(f.get("severity_label")) or severity_label(_num(f.get("severity"))),
                "archived": bool(f.get("archived")),
                "first_seen": _s(f.get("first_seen")),
                "last_seen": _s(f.get("last_seen")),
                "count": _int(f.get("count") or 1),
                "buckets": [n for n in names if n],
                "names_bucket": (bucket in names) if bucket else bool(names),
                "principal_arn": _s(principal.get("arn")) or None,
                "access_key_id": _s(principal.get("access_key_id")) or None,
                "user_name": _s(principal.get("user_name")) or None,
                "remote_ips": [_s(_d(ip).get("ip")) for ip in _l(f.get("remote_ips")) if _d(ip).get("ip")],
                "apis": sorted({_s(_d(c).get("api")) for c in _l(f.get("api_calls")) if _d(c).get("api")}),
            }
        )
    out.sort(key=lambda f: (-f["severity"], f["last_seen"]), reverse=False)
    return out


def _actor_label(item: Any) -> str:
    if isinstance(item, str):
        return item
    a = _d(item)
    return _s(a.get("arn") or a.get("label") or a.get("principal_arn") or _l(a.get("access_key_ids"))[:1] or "")


def _authorization_index(authorization: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for entry in _l(authorization.get("principals")):
        e = _d(entry)
        principal = _d(e.get("principal"))
        for key in (principal.get("label"), principal.get("arn"), principal.get("input"), principal.get("role_arn")):
            if key and _s(key) not in index:
                index[_s(key)] = e
    return index


def _authorization_entries(authorization: Mapping[str, Any], suspected: set[str]) -> list[dict[str, Any]]:
    out = []
    for entry in _l(authorization.get("principals")):
        e = _d(entry)
        principal = _d(e.get("principal"))
        label = _s(principal.get("label") or principal.get("arn") or principal.get("input"))
        calls = []
        for call in _l(e.get("calls")):
            c = _d(call)
            observed = _d(c.get("observed"))
            calls.append(
                {
                    "action": _s(c.get("iam_action") or c.get("action")),
                    "resource": _s(c.get("resource")),
                    "decision": _s(c.get("decision")) or None,
                    "verdict": _s(c.get("verdict")) or None,
                    "expected": c.get("expected"),
                    "count": _int(observed.get("count")),
                    "error_count": _int(observed.get("error_count")),
                    "outcome": _s(observed.get("outcome")) or None,
                    "deciding_statements": [
                        {
                            "policy_name": _s(_d(s).get("policy_name")),
                            "policy_type": _s(_d(s).get("policy_type")),
                            "sid": _d(s).get("sid"),
                        }
                        for s in _l(c.get("deciding_statements"))
                    ],
                    "notes": [_s(n) for n in _l(c.get("notes"))],
                }
            )
        fixes = []
        for ex in _l(e.get("excessive_permissions")):
            x = _d(ex)
            fix = x.get("fix")
            fixes.append(
                {
                    "policy_name": _s(x.get("policy_name")),
                    "policy_type": _s(x.get("policy_type")),
                    "sid": x.get("sid"),
                    "reasons": [_s(r) for r in _l(x.get("reasons"))],
                    "fix": _s(_d(fix).get("text") if isinstance(fix, Mapping) else fix),
                }
            )
        out.append(
            {
                "principal": label,
                "type": _s(principal.get("type")) or None,
                "suspected": label in suspected or _s(principal.get("arn")) in suspected,
                "verdict": _s(e.get("verdict")) or None,
                "flagged": bool(e.get("flagged")),
                "calls": calls,
                "excessive_permissions": fixes,
                "remediation": [_s(r) for r in _l(e.get("remediation"))],
            }
        )
    return out


def _actors(investigate: Mapping[str, Any], auth_index: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group, suspected in (("suspected_principals", True), ("legitimate_principals", False)):
        for item in _l(investigate.get(group)):
            a = _d(item)
            if not a and isinstance(item, str):
                a = {"arn": item}
            arn = _actor_label(a)
            auth = auth_index.get(arn, {})
            out.append(
                {
                    "arn": arn,
                    "label": short_actor(arn),
                    "suspected": suspected,
                    "kind": _s(a.get("kind")) or None,
                    "type": _s(a.get("type")) or None,
                    "account_id": _s(a.get("account_id")) or None,
                    "access_key_ids": [_s(k) for k in _l(a.get("access_key_ids")) if k],
                    "source_ips": [_s(k) for k in _l(a.get("source_ips")) if k],
                    "user_agents": [_s(k) for k in _l(a.get("user_agents")) if k],
                    "event_count": _int(
                        a.get("event_count") or sum(_int(v) for v in _d(a.get("event_counts")).values())
                    ),
                    "event_counts": {_s(k): _int(v) for k, v in _d(a.get("event_counts")).items()},
                    "error_count": _int(a.get("error_count")),
                    "bytes_out": _int(a.get("bytes_out")),
                    "objects_touched": _int(a.get("objects_touched")),
                    "first_seen": _s(a.get("first_seen")) or None,
                    "last_seen": _s(a.get("last_seen")) or None,
                    "suspicion_score": _num(a.get("suspicion_score")),
                    "reasons": [_s(r) for r in _l(a.get("reasons"))],
                    "detective": _s(_d(a.get("detective")).get("indicator_summary")) or None,
                    "authorization_verdict": _s(auth.get("verdict")) or None,
                }
            )
    return out


def _undo_text(action: Mapping[str, Any], fallback: str) -> str:
    for key in ("undo_command", "undo", "restore_command", "rollback"):
        value = action.get(key)
        if value:
            return _s(value)
    return fallback


def _contain_actions(contain: Mapping[str, Any], check_mode: bool) -> list[dict[str, Any]]:
    """Containment actions from whatever shape landed: ``actions`` at the top, or nested per bucket / principal."""
    fallback = _s(contain.get("undo_command") or contain.get("undo") or contain.get("restore_command"))
    out: list[dict[str, Any]] = []

    def add(items: Iterable[Any], target: str, undo_default: str) -> None:
        for item in items:
            a = _d(item)
            if not a:
                if isinstance(item, str) and item:
                    a = {"action": item}
                else:
                    continue
            status = _s(a.get("status"))
            if not status:
                status = "planned" if check_mode or a.get("check_mode") else "done"
            out.append(
                {
                    "step": "contain",
                    "action": _s(a.get("action") or a.get("name") or a.get("control")),
                    "target": _s(a.get("target") or a.get("principal") or a.get("bucket") or target),
                    "detail": _s(a.get("detail") or a.get("msg") or a.get("description")),
                    "status": status,
                    "undo": _undo_text(a, undo_default),
                }
            )

    add(_l(contain.get("actions")), _s(contain.get("bucket")), fallback)
    if out:  # the contain role flattens the bucket's and the principals' actions into ``actions``
        return out
    for key in ("bucket_quarantine", "quarantine", "bucket"):
        nested = contain.get(key)
        if isinstance(nested, Mapping):
            add(_l(nested.get("actions")), _s(nested.get("bucket")), _undo_text(nested, fallback))
    for key in ("principals", "principal_quarantine", "buckets", "account"):
        nested = contain.get(key)
        if isinstance(nested, Mapping):
            nested = [nested]
        for entry in _l(nested):
            e = _d(entry)
            if isinstance(e.get("actions"), list):
                add(e["actions"], _s(e.get("principal") or e.get("bucket") or e.get("name")), _undo_text(e, fallback))
    return out


def _harden_controls(harden: Mapping[str, Any], bucket: str, check_mode: bool) -> list[dict[str, Any]]:
    """Hardening controls from ``controls`` (dict or list), or ``buckets[].controls`` as s3_bucket_baseline returns."""
    out: list[dict[str, Any]] = []

    def add(controls: Any, target: str) -> None:
        if isinstance(controls, Mapping):
            items = [dict(_d(v), name=k) for k, v in controls.items()]
        else:
            items = [_d(c) for c in _l(controls)]
        for c in items:
            if not c:
                continue
            status = _s(c.get("status")) or ("planned" if check_mode else "unknown")
            before, after = c.get("before"), c.get("after")
            undo = _undo_text(c, "")
            if not undo and status in ("changed", "would_change") and "before" in c:
                undo = f"set {c.get('name') or c.get('control')} on {target} back to {_s(before) or 'not set'}"
            out.append(
                {
                    "step": "harden",
                    "action": _s(c.get("name") or c.get("control") or c.get("title")),
                    "target": _s(c.get("bucket") or target),
                    "detail": _s(c.get("detail") or c.get("title")),
                    "status": status,
                    "fsbp": _s(c.get("fsbp")) or None,
                    "cis": _s(c.get("cis")) or None,
                    "before": before,
                    "after": after,
                    "undo": undo,
                }
            )

    add(harden.get("controls"), _s(harden.get("bucket") or bucket))
    for entry in _l(harden.get("buckets")):
        e = _d(entry)
        add(e.get("controls"), _s(e.get("name") or e.get("bucket") or bucket))
    return out


def _evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    snapshots = [_d(s) for s in _l(evidence.get("snapshots")) if _d(s)]
    if not snapshots:
        snapshots = [_d(s) for s in _l(evidence.get("buckets")) if _d(s)]
    if not snapshots and evidence:
        snapshots = [dict(evidence)]
    out_snaps = []
    for snap in snapshots:
        files = [
            {"name": _s(_d(f).get("name")), "size": _int(_d(f).get("size")), "sha256": _s(_d(f).get("sha256"))}
            for f in _l(snap.get("files"))
            if _d(f)
        ]
        if not files and not snap.get("manifest_path") and not snap.get("path"):
            continue
        out_snaps.append(
            {
                "bucket": _s(snap.get("bucket")) or None,
                "path": _s(snap.get("path")) or None,
                "manifest_path": _s(snap.get("manifest_path") or snap.get("manifest")) or None,
                "content_digest": _s(snap.get("content_digest")) or None,
                "files": files,
            }
        )
    return {
        "location": _s(evidence.get("location")) or None,
        "incident_id": _s(evidence.get("incident_id")) or None,
        "snapshots": out_snaps,
    }


# --------------------------------------------------------------------------------------------------------------------
# timeline


_SESSION_ARN = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/.+$")


def role_of(arn: str) -> str:
    """The role ARN of a role-session ARN (``arn:aws:sts::A:assumed-role/R/S`` -> ``arn:aws:iam::A:role/R``)."""
    match = _SESSION_ARN.match(arn)
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}" if match else arn


def _event_actor(event: Mapping[str, Any]) -> str:
    if _s(event.get("principal_kind")) == "assumed_role" and event.get("issuer_arn"):
        return _s(event.get("issuer_arn"))
    return role_of(_s(event.get("principal_arn") or event.get("actor_arn") or event.get("arn") or "unknown"))


def _timeline_actor(entry: Mapping[str, Any]) -> str:
    actor = entry.get("actor_arn") or entry.get("arn") or entry.get("actor") or entry.get("principal_arn")
    return role_of(_s(actor or "unknown"))


def timeline_summary(investigate: Mapping[str, Any], suspected: Iterable[str]) -> dict[str, Any]:
    """Events per time bin by actor, and the bucket changes, from ``investigate_result``.

    Per actor, the exact event times of ``events`` are used, unless the (possibly capped) ``events`` list holds fewer
    of that actor's calls than the ``timeline`` entries count: then the timeline's grouped entries are spread evenly
    over their ``time`` .. ``last_time``. The bin is one minute when the activity spans at most ``MAX_BINS``
    minutes, else the smallest of 2, 5, 10, 15, 30, 60 ... minutes that keeps the chart to ``MAX_BINS`` bins.
    """
    suspected_set = set(suspected)
    events = [_d(e) for e in _l(investigate.get("events")) if _d(e)]
    timeline = [_d(t) for t in _l(investigate.get("timeline")) if _d(t)]

    from_events: dict[str, list[datetime.datetime]] = {}
    for event in events:
        moment = parse_time(event.get("time"))
        if moment is not None:
            from_events.setdefault(_event_actor(event), []).append(moment)
    from_timeline: dict[str, list[tuple[datetime.datetime, datetime.datetime, int]]] = {}
    timeline_counts: dict[str, int] = {}
    for entry in timeline:
        start = parse_time(entry.get("time"))
        if start is None:
            continue
        end = parse_time(entry.get("last_time")) or start
        count = max(1, _int(entry.get("count") or 1))
        actor = _timeline_actor(entry)
        from_timeline.setdefault(actor, []).append((start, max(start, end), count))
        timeline_counts[actor] = timeline_counts.get(actor, 0) + count

    points: dict[str, list[tuple[datetime.datetime, float]]] = {}
    for actor in set(from_events) | set(from_timeline):
        exact = from_events.get(actor, [])
        if len(exact) >= timeline_counts.get(actor, 0):
            points[actor] = [(m, 1.0) for m in exact]
        else:
            spread: list[tuple[datetime.datetime, float]] = []
            for start, end, count in from_timeline[actor]:
                minutes = int((end - start).total_seconds() // 60) + 1
                slots = min(count, minutes)
                for i in range(slots):
                    spread.append((start + datetime.timedelta(minutes=i * minutes / slots), count / slots))
            points[actor] = spread

    changes = []
    for entry in timeline:
        if not entry.get("change"):
            continue
        moment = parse_time(entry.get("time"))
        actor = _timeline_actor(entry)
        changes.append(
            {
                "time": iso(moment) if moment else _s(entry.get("time")),
                "actor": actor,
                "actor_label": short_actor(actor),
                "event_name": _s(entry.get("event_name")),
                "family": change_family(entry.get("event_name")) or "other",
                "source_ip": _s(entry.get("source_ip")) or None,
                "error": _s(entry.get("error")) or None,
                "suspected_actor": actor in suspected_set,
            }
        )
    changes.sort(key=lambda c: c["time"])

    all_times = [m for pts in points.values() for m, _w in pts]
    all_times += [t for t in (parse_time(c["time"]) for c in changes) if t]
    totals = {actor: sum(w for _m, w in pts) for actor, pts in points.items()}
    result: dict[str, Any] = {
        "window": {
            "start": _s(_d(investigate.get("window")).get("start")) or None,
            "end": _s(_d(investigate.get("window")).get("end")) or None,
        },
        "events_in_chart": round(sum(totals.values())),
        "events_found": _int(_d(investigate.get("summary")).get("events_found")) or len(events),
        "events_truncated": bool(investigate.get("events_truncated")),
        "bin_minutes": 1,
        "start": None,
        "end": None,
        "actors": [],
        "changes": changes,
        "access_changes": [c for c in changes if c["family"] != "other"],
    }
    if not all_times:
        return result
    start = min(all_times).replace(second=0, microsecond=0)
    end = max(all_times).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    span = max(1, int((end - start).total_seconds() // 60))
    bin_minutes = next((b for b in _BIN_SIZES if math.ceil(span / b) <= MAX_BINS), _BIN_SIZES[-1])
    nbins = max(1, math.ceil(span / bin_minutes))
    ordered = sorted(totals, key=lambda a: (a not in suspected_set, -totals[a], a))
    actors = []
    for actor in ordered:
        bins = [0.0] * nbins
        for moment, weight in points[actor]:
            index = min(nbins - 1, int((moment - start).total_seconds() // 60) // bin_minutes)
            bins[index] += weight
        actors.append(
            {
                "actor": actor,
                "label": short_actor(actor),
                "suspected": actor in suspected_set,
                "events": round(totals[actor]),
                "bins": [round(b, 2) for b in bins],
                "peak": round(max(bins), 2),
            }
        )
    result.update(
        {
            "bin_minutes": bin_minutes,
            "start": iso(start),
            "end": iso(start + datetime.timedelta(minutes=nbins * bin_minutes)),
        }
    )
    result["actors"] = actors
    return result


# --------------------------------------------------------------------------------------------------------------------
# verdict


def compute_verdict(
    *,
    findings: list[dict[str, Any]],
    actors: list[dict[str, Any]],
    authorization: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    has_triage: bool,
    has_investigation: bool,
) -> tuple[str, list[str]]:
    """The verdict and the reasons for it, from the evidence gathered.

    ``compromised`` when at least one of:

    1. a current (not archived) GuardDuty finding of High or Critical severity (>= 7) names the bucket;
    2. a suspected principal was allowed calls that nobody expected (authorization verdict ``allowed_but_unexpected``);
    3. a suspected principal's call was judged unauthorized, yet CloudTrail shows it succeeded;
    4. a suspected principal successfully changed the bucket's configuration (policy, ACL, Block Public Access,
       versioning ...: a timeline entry with ``change`` and no error).

    ``suspicious`` when none of those hold but at least one of: a current finding of lower severity names the bucket;
    an actor is suspected (for example its calls came from outside the trusted networks but were all denied).

    A suspected principal whose allowed calls have the authorization verdict ``allowed_intent_unknown`` (no expected
    access was declared, so the policies allow the calls but nothing says whether they were meant) does not by
    itself make the bucket compromised; the reasons say so, under either verdict, so that "allowed" is not read as
    "fine".

    ``no_evidence`` when findings or CloudTrail were read and show none of the above; ``inconclusive`` when neither
    triage nor investigation results were given, so nothing was looked at.
    """
    compromised: list[str] = []
    suspicious: list[str] = []
    current = [f for f in findings if f["names_bucket"] and not f["archived"]]
    for f in current:
        text = f"{f['severity_label'] or 'severity'} {f['severity']:g} GuardDuty finding {f['type']}"
        (compromised if f["severity"] >= HIGH_SEVERITY else suspicious).append(f"{text} names the bucket")
    intent_unknown: list[str] = []
    suspected = {a["arn"] for a in actors if a["suspected"]}
    for entry in authorization:
        if not (entry["suspected"] or entry["principal"] in suspected):
            continue
        name = short_actor(entry["principal"])
        if entry["verdict"] == "allowed_but_unexpected":
            unexpected = sorted({c["action"] for c in entry["calls"] if c["verdict"] == "allowed_but_unexpected"})
            compromised.append(f"{name} was allowed calls nobody expected: {', '.join(unexpected) or 'see calls'}")
        unknown = sorted({c["action"] for c in entry["calls"] if c["verdict"] == INTENT_UNKNOWN})
        if unknown:
            intent_unknown.append(
                f"{name} (suspected) was allowed {', '.join(unknown)} by the policies, but no expected access is "
                "declared: whether that access was meant is unknown"
            )
        succeeded = sorted(
            {
                c["action"]
                for c in entry["calls"]
                if c["verdict"] == "unauthorized" and c["count"] > c["error_count"] and c["count"] > 0
            }
        )
        if succeeded:
            compromised.append(f"{name} made calls judged unauthorized that succeeded: {', '.join(succeeded)}")
        elif entry["verdict"] == "unauthorized":
            suspicious.append(f"{name} attempted calls it is not allowed (denied)")
    done_changes = sorted(
        {(c["actor_label"], c["event_name"]) for c in changes if not c["error"] and c["actor"] in suspected}
    )
    for label, event_name in done_changes:
        compromised.append(f"{label} changed the bucket: {event_name}")
    for a in actors:
        if a["suspected"]:
            suspicious.append(f"{a['label']} is suspected: {'; '.join(a['reasons'][:2]) or 'flagged by investigation'}")
    if compromised:
        return "compromised", _unique(compromised + intent_unknown)
    if suspicious:
        return "suspicious", _unique(suspicious + intent_unknown)
    if has_triage or has_investigation:
        looked = " and ".join(
            x for x, ok in (("GuardDuty findings", has_triage), ("CloudTrail", has_investigation)) if ok
        )
        return "no_evidence", [f"{looked} show no suspected actor and no finding on the bucket"]
    return "inconclusive", ["no triage or investigation results were given: nothing was looked at"]


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# --------------------------------------------------------------------------------------------------------------------
# the report document


def build_report(
    *,
    bucket: str = "",
    incident_id: str = "",
    mode: str = "",
    check_mode: bool = False,
    triage: Any = None,
    investigate: Any = None,
    authorization: Any = None,
    evidence: Any = None,
    contain: Any = None,
    harden: Any = None,
    generated_at: datetime.datetime | str | None = None,
    failure: Any = None,
) -> dict[str, Any]:
    """The report document (what ``report.json`` holds); every step result is optional.

    ``failure`` (``{"task", "message"}``) marks a response that stopped early: the report then lists the steps done
    and the steps of the mode that are left.
    """
    triage_d, inv_d, auth_d = _d(triage), _d(investigate), _d(authorization)
    ev_d, contain_d, harden_d = _d(evidence), _d(contain), _d(harden)
    bucket = (
        bucket
        or _s(triage_d.get("bucket"))
        or _s(inv_d.get("bucket"))
        or _s(auth_d.get("bucket"))
        or _s(ev_d.get("bucket"))
        or _s(contain_d.get("bucket"))
        or _s(harden_d.get("bucket"))
    )
    incident_id = incident_id or _s(ev_d.get("incident_id")) or _s(contain_d.get("incident_id"))
    if not mode:
        mode = "full" if harden_d else "contain" if contain_d else "investigate"
    moment = parse_time(generated_at) if generated_at else datetime.datetime.now(datetime.timezone.utc)
    moment = moment or datetime.datetime.now(datetime.timezone.utc)

    findings = _findings(triage_d, bucket)
    auth_index = _authorization_index(auth_d)
    actors = _actors(inv_d, auth_index)
    suspected = [a["arn"] for a in actors if a["suspected"]]
    auth_entries = _authorization_entries(auth_d, set(suspected))
    timeline = timeline_summary(inv_d, suspected)
    verdict, reasons = compute_verdict(
        findings=findings,
        actors=actors,
        authorization=auth_entries,
        changes=timeline["changes"],
        has_triage=bool(triage_d),
        has_investigation=bool(inv_d),
    )
    contain_actions = _contain_actions(contain_d, check_mode)
    harden_controls = _harden_controls(harden_d, bucket, check_mode)
    applied = [c for c in harden_controls if c["status"] in ("changed", "would_change", "planned")]

    severity = triage_d.get("max_severity")
    current_on_bucket = [f for f in findings if f["names_bucket"] and not f["archived"]]
    if severity is None and current_on_bucket:
        severity = max(f["severity"] for f in current_on_bucket)
    severity_num = _num(severity) if severity is not None else None
    fixes = _statements_to_fix(auth_d, auth_entries)
    public = _d(auth_d.get("public_access"))

    steps = {
        "triage": bool(triage_d),
        "investigate": bool(inv_d),
        "authorization": bool(auth_d),
        "evidence": bool(ev_d),
        "contain": bool(contain_d),
        "harden": bool(harden_d),
    }
    planned = list(STEPS_BY_MODE.get(mode, STEPS_BY_MODE["full"]))
    done = [name for name in planned if steps.get(name)]
    failure_d = _d(failure)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": iso(moment),
        "incident_id": incident_id or None,
        "bucket": bucket or None,
        "mode": mode,
        "check_mode": bool(check_mode),
        "verdict": verdict,
        "verdict_reasons": reasons,
        "severity": severity_num,
        "severity_label": _s(triage_d.get("max_severity_label")) or severity_label(severity_num),
        "bucket_public": public.get("is_public") if public else None,
        "steps": steps,
        "steps_done": done,
        "steps_left": [name for name in planned if name not in done],
        "failure": (
            {"task": _s(failure_d.get("task")) or "unknown task", "message": truncate(_s(failure_d.get("message")))}
            if failure_d
            else None
        ),
        "summary": {},
        "findings": findings,
        "suspected_principals": [a for a in actors if a["suspected"]],
        "legitimate_principals": [a for a in actors if not a["suspected"]],
        "timeline_summary": timeline,
        "authorization": auth_entries,
        "statements_to_fix": fixes,
        "actions_taken": contain_actions + applied,
        "containment": contain_actions,
        "hardening": harden_controls,
        "evidence": _evidence(ev_d),
        "messages": [_s(m) for m in _l(inv_d.get("messages")) + _l(_d(inv_d.get("detective")).get("messages")) if m],
    }
    report["summary"] = _summary(report)
    report["content_digest"] = content_digest(report)
    return report


#: The steps each response mode runs (the report step itself is not listed).
STEPS_BY_MODE = {
    "investigate": ("triage", "investigate", "authorization"),
    "contain": ("triage", "investigate", "authorization", "evidence", "contain"),
    "full": ("triage", "investigate", "authorization", "evidence", "contain", "harden"),
}


def failure_lines(report: Mapping[str, Any]) -> list[str]:
    """What stopped the response and what is left, as plain sentences (empty when it did not stop)."""
    failure = _d(report.get("failure"))
    if not failure:
        return []
    return [
        f"The response STOPPED at: {_s(failure.get('task'))}: {_s(failure.get('message'))}",
        "Steps done: " + (", ".join(_l(report.get("steps_done"))) or "none"),
        "Steps left: " + (", ".join(_l(report.get("steps_left"))) or "none"),
    ]


def _statements_to_fix(auth: Mapping[str, Any], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    sources = [_d(x) for x in _l(auth.get("excessive_permissions"))]
    for entry in entries:
        for ex in entry["excessive_permissions"]:
            sources.append(ex)
    for x in sources:
        fix = x.get("fix")
        text = _s(_d(fix).get("text") if isinstance(fix, Mapping) else fix)
        key = f"{x.get('policy_name')}|{x.get('sid')}|{text}"
        if key in out or not (text or x.get("policy_name")):
            continue
        out[key] = {
            "policy_name": _s(x.get("policy_name")),
            "policy_type": _s(x.get("policy_type")) or None,
            "sid": x.get("sid"),
            "attached_to": _s(x.get("attached_to")) or None,
            "reasons": [_s(r) for r in _l(x.get("reasons"))],
            "fix": text,
        }
    return list(out.values())


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    steps = report["steps"]
    done_word = "would be" if report["check_mode"] else ""
    what = []
    if steps["triage"]:
        what.append(f"read {len(report['findings'])} GuardDuty findings")
    if steps["investigate"]:
        t = report["timeline_summary"]
        actors = len(report["suspected_principals"]) + len(report["legitimate_principals"])
        what.append(f"read {t['events_found']} CloudTrail events of {actors} actors")
    if steps["authorization"]:
        what.append(f"evaluated the authorization of {len(report['authorization'])} principals")
    if steps["evidence"]:
        files = sum(len(s["files"]) for s in report["evidence"]["snapshots"])
        what.append(f"wrote evidence ({files} files, SHA-256 manifest)")
    contain = report["containment"]
    if steps["contain"]:
        what.append(f"{len(contain)} containment actions" + (f" {done_word} applied" if done_word else " applied"))
    changed = [c for c in report["hardening"] if c["status"] in ("changed", "would_change", "planned")]
    if steps["harden"]:
        what.append(f"{len(changed)} hardening controls" + (f" {done_word} changed" if done_word else " changed"))
    return {
        "what_was_done": what,
        "findings_on_bucket": len([f for f in report["findings"] if f["names_bucket"] and not f["archived"]]),
        "suspected": [a["arn"] for a in report["suspected_principals"]],
        "access_changes": len(report["timeline_summary"]["access_changes"]),
        "actions": len(report["actions_taken"]),
    }


def content_digest(report: Mapping[str, Any]) -> str:
    """SHA-256 of the report without its time of writing: equal digests mean the same conclusions."""
    body = {k: v for k, v in report.items() if k not in ("generated_at", "content_digest", "paths")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def summary_lines(report: Mapping[str, Any], path: str = "") -> list[str]:
    """Five lines for the end of the play."""
    s = _d(report.get("summary"))
    suspects = [short_actor(a) for a in _l(s.get("suspected"))]
    severity = report.get("severity_label") or "no finding"
    mode = _s(report.get("mode")) + (" (check mode, nothing changed)" if report.get("check_mode") else "")
    reasons = _l(report.get("verdict_reasons"))
    stopped = failure_lines(report)
    lines = [
        f"Incident {report.get('incident_id') or '-'}: bucket {report.get('bucket') or '-'} is "
        f"{_s(report.get('verdict')).upper().replace('_', ' ')} (severity {severity}, mode {mode})",
        f"Why: {_s(reasons[0]) if reasons else '-'}" + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""),
        f"Suspected: {', '.join(suspects[:4]) or 'none'}" + (f" (+{len(suspects) - 4})" if len(suspects) > 4 else ""),
        f"Done: {'; '.join(_l(s.get('what_was_done'))) or 'nothing'}",
        f"Report: {path or '-'}",
    ]
    return [*stopped[:1], *lines, *stopped[1:]]


def render_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


# --------------------------------------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#<>!])")
_WS = re.compile(r"\s+")


def md(value: Any, limit: int = MAX_TEXT) -> str:
    """A value safe inside Markdown text and table cells: one line, no HTML, no links, no formatting."""
    text = truncate(_WS.sub(" ", _s(value)).strip(), limit)
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(lambda m: "&lt;" if m[1] == "<" else "&gt;" if m[1] == ">" else "\\" + m[1], text)


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["_None._", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _h in headers) + "|"]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


_SPARK = " ▁▂▃▄▅▆▇█"


def sparkline(bins: list[float], width: int = 60) -> str:
    if not bins:
        return ""
    step = max(1, math.ceil(len(bins) / width))
    merged = [sum(bins[i : i + step]) for i in range(0, len(bins), step)]
    peak = max(merged) or 1.0
    return "".join(_SPARK[0 if v <= 0 else max(1, round(v / peak * 8))] for v in merged)


# Tables shared by the Markdown and HTML renderers: (headers, rows) per report section.


def _findings_table(findings: list[Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Severity", "Type", "Title", "Last seen", "Principal", "Remote IPs", "Archived", "Id"]
    rows = [
        [
            f"{f['severity_label']} {_fmt_sev(f['severity'])}",
            f["type"],
            f["title"],
            f["last_seen"],
            f["principal_arn"] or f["access_key_id"] or "",
            f["remote_ips"],
            _yes_no(f["archived"]),
            f["id"],
        ]
        for f in findings
    ]
    return headers, rows


def _actors_table(actors: list[Any]) -> tuple[list[str], list[list[Any]]]:
    headers = [
        "Actor",
        "Suspected",
        "Kind",
        "Score",
        "Events",
        "Errors",
        "Bytes out",
        "Objects",
        "Keys",
        "Source IPs",
        "User agents",
        "Authorization",
        "Why",
    ]
    rows = [
        [
            a["arn"],
            "yes" if a["suspected"] else "no",
            a["kind"],
            f"{a['suspicion_score']:g}",
            a["event_count"],
            a["error_count"],
            _bytes(a["bytes_out"]),
            a["objects_touched"],
            a["access_key_ids"],
            a["source_ips"][:5],
            a["user_agents"][:2],
            a["authorization_verdict"] or "-",
            "; ".join(a["reasons"][:3]),
        ]
        for a in actors
    ]
    return headers, rows


def _changes_table(changes: list[Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Mark", "Time", "Change", "Kind", "Actor", "Source IP", "Error"]
    rows = [
        [_mark(i), c["time"], c["event_name"], c["family"], c["actor"], c["source_ip"] or "", c["error"] or ""]
        for i, c in enumerate(changes)
    ]
    return headers, rows


def _has_intent_unknown(entries: list[Any]) -> bool:
    return any(
        _d(e).get("verdict") == INTENT_UNKNOWN
        or any(_d(c).get("verdict") == INTENT_UNKNOWN for c in _l(_d(e).get("calls")))
        for e in entries
    )


def _intent_unknown_hint(code: str) -> str:
    """The one line telling the reader how to turn ``allowed_intent_unknown`` into a decision; ``code`` formats a
    name as code in the target format (the text is ours, not input, so it needs no escaping)."""
    return (
        f"{code.format(INTENT_UNKNOWN)}: the policies allow the call, but no expected access is declared for this "
        "bucket, so whether it was meant is unknown. To decide, declare who may do what in the variable "
        f"{code.format('authorization_expected_access')} or the bucket tag {code.format('cloudsec:expected-access')} "
        "and run the authorization step again."
    )


def _calls_table(calls: list[Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["Action", "Resource", "Decision", "Verdict", "Calls", "Errors", "Deciding statements"]
    rows = [
        [
            c["action"],
            c["resource"],
            c["decision"],
            c["verdict"],
            c["count"],
            c["error_count"],
            "; ".join(_statement_name(d) for d in c["deciding_statements"]),
        ]
        for c in calls
    ]
    return headers, rows


def _fixes_table(fixes: list[Any], fix_limit: int | None = None) -> tuple[list[str], list[list[Any]]]:
    headers = ["Policy", "Sid", "Attached to", "Why", "Fix"]
    rows = [
        [
            x["policy_name"],
            x["sid"] or "",
            x["attached_to"] or "",
            x["reasons"],
            truncate(x["fix"], fix_limit) if fix_limit else x["fix"],
        ]
        for x in fixes
    ]
    return headers, rows


def _containment_table(actions: list[Any]) -> tuple[list[str], list[list[Any]]]:
    return ["Action", "Target", "Detail", "Status", "Undo"], [
        [a["action"], a["target"], a["detail"], a["status"], a["undo"]] for a in actions
    ]


def _hardening_table(controls: list[Any]) -> tuple[list[str], list[list[Any]]]:
    return ["Control", "Bucket", "Status", "FSBP", "CIS", "Detail", "Undo"], [
        [c["action"], c["target"], c["status"], c["fsbp"] or "", c["cis"] or "", c["detail"], c["undo"]]
        for c in controls
    ]


def render_markdown(report: Mapping[str, Any]) -> str:
    r = report
    s = _d(r.get("summary"))
    t = _d(r.get("timeline_summary"))
    out = [f"# Incident report: {md(r.get('bucket') or 'unknown bucket')}", ""]
    out += [
        f"**Verdict: {md(_s(r.get('verdict')).upper().replace('_', ' '))}**",
        "",
        "| | |",
        "|---|---|",
        f"| Incident | {md(r.get('incident_id') or '-')} |",
        f"| Bucket | {md(r.get('bucket') or '-')} |",
        f"| Severity | {md(r.get('severity_label') or 'no finding')} {md(_fmt_sev(r.get('severity')))} |",
        f"| Mode | {md(r.get('mode'))}{_CHECK_NOTE if r.get('check_mode') else ''} |",
        f"| Bucket public | {md(_yes_no(r.get('bucket_public')))} |",
        f"| Generated | {md(r.get('generated_at'))} |",
        "",
        "## Summary",
        "",
    ]
    out += [f"> **{md(line, 600)}**" if i == 0 else f"> {md(line, 600)}" for i, line in enumerate(failure_lines(r))]
    out += [""] if r.get("failure") else []
    out += [f"- {md(reason, 300)}" for reason in _l(r.get("verdict_reasons"))]
    out += ["", "What was done: " + md("; ".join(_l(s.get("what_was_done"))) or "nothing", 600), ""]
    out += [line for m in _l(r.get("messages")) for line in (f"> {md(m, 300)}", "")]
    out += ["## Findings", ""]
    out += _md_table(*_findings_table(_l(r.get("findings"))))
    out += ["## Actors", ""]
    actors = _l(r.get("suspected_principals")) + _l(r.get("legitimate_principals"))
    out += _md_table(*_actors_table(actors))
    out += ["## Timeline", ""]
    if t.get("actors"):
        out += [
            f"Events per {t['bin_minutes']} minute{'s' if t['bin_minutes'] != 1 else ''} by actor, "
            f"{md(t['start'])} to {md(t['end'])} ({t['events_in_chart']} events charted of "
            f"{t['events_found']} found{', list capped' if t.get('events_truncated') else ''}).",
            "",
            "| Actor | Events | Activity |",
            "|---|---|---|",
        ]
        out += [f"| {md(a['label'])} | {a['events']} | `{sparkline(a['bins'])}` |" for a in t["actors"]]
        out.append("")
    else:
        out += ["_No CloudTrail events were given._", ""]
    out += ["### Changes to the bucket", ""]
    out += _md_table(*_changes_table(_l(t.get("changes"))))
    out += ["## Authorization", ""]
    if _has_intent_unknown(_l(r.get("authorization"))):
        out += [_intent_unknown_hint("`{}`"), ""]
    for entry in _l(r.get("authorization")):
        flag = " (suspected)" if entry["suspected"] else ""
        out += [f"### {md(entry['principal'])}{flag}: {md(entry['verdict'] or 'no calls')}", ""]
        out += _md_table(*_calls_table(entry["calls"]))
        out += [f"- Fix: {md(x, 400)}" for x in entry["remediation"]]
        if entry["remediation"]:
            out.append("")
    out += ["### Statements to fix", ""]
    out += _md_table(*_fixes_table(_l(r.get("statements_to_fix"))))
    out += ["## Containment", ""]
    out += _md_table(*_containment_table(_l(r.get("containment"))))
    out += ["## Hardening", ""]
    out += _md_table(*_hardening_table(_l(r.get("hardening"))))
    ev = _d(r.get("evidence"))
    out += ["## Evidence", ""]
    if not ev.get("snapshots"):
        out += ["_No evidence was written._", ""]
    for snap in _l(ev.get("snapshots")):
        out += [f"Manifest: {md(snap['manifest_path'] or snap['path'] or '-', 400)}", ""]
        out += _md_table(["File", "Size", "SHA-256"], [[f["name"], f["size"], f["sha256"]] for f in snap["files"]])
    out += ["---", f"Report {md(r.get('schema'))}, content digest {md(r.get('content_digest'))}.", ""]
    return "\n".join(out)


def _fmt_sev(value: Any) -> str:
    return "" if value is None else f"({_num(value):g})"


def _yes_no(value: Any) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _bytes(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)  # pragma: no cover


def _mark(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _statement_name(statement: Mapping[str, Any]) -> str:
    sid = statement.get("sid")
    name = _s(statement.get("policy_name"))
    return f"{name} / {sid}" if sid not in (None, "") else f"{name} (statement {statement.get('index', '?')})"


# --------------------------------------------------------------------------------------------------------------------
# HTML


def h(value: Any, limit: int = MAX_TEXT) -> str:
    """Any value as escaped HTML text (quotes included), on one line, truncated."""
    return html.escape(truncate(_WS.sub(" ", _s(value)).strip(), limit), quote=True)


def _html_table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    if not rows:
        return '<p class="none">None.</p>'
    head = "".join(f"<th>{h(x)}</th>" for x in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{h(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{h(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def timeline_svg(timeline: Mapping[str, Any], width: int = 960, height: int = 300) -> str:
    """Stacked bars of events per bin by actor, with the bucket's access changes marked (letters match the table)."""
    actors = _l(timeline.get("actors"))
    start = parse_time(timeline.get("start"))
    if not actors or start is None:
        return '<p class="none">No CloudTrail events to chart.</p>'
    bin_minutes = max(1, _int(timeline.get("bin_minutes")) or 1)
    nbins = max(len(_l(a.get("bins"))) for a in actors)
    series = actors[:_SERIES]
    rest = actors[_SERIES:]
    if rest:
        merged = [sum(_l(a.get("bins"))[i] if i < len(_l(a.get("bins"))) else 0 for a in rest) for i in range(nbins)]
        series = [*series, {"label": f"{len(rest)} other actors", "bins": merged, "suspected": False, "events": 0}]
    colours = []
    sus_i = oth_i = 0
    for a in series:
        if a.get("label", "").endswith("other actors") and rest and a is series[-1]:
            colours.append(_REST_COLOUR)
        elif a.get("suspected"):
            colours.append(_SUSPECT_COLOURS[sus_i % len(_SUSPECT_COLOURS)])
            sus_i += 1
        else:
            colours.append(_OTHER_COLOURS[oth_i % len(_OTHER_COLOURS)])
            oth_i += 1
    stacks = [sum(_num(_l(a.get("bins"))[i]) for a in series if i < len(_l(a.get("bins")))) for i in range(nbins)]
    peak = max(stacks) or 1.0
    left, right, top, bottom = 48, 12, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_w = plot_w / nbins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Events per {bin_minutes} minute(s) by actor" class="chart">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ddd"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h - frac * plot_h
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="ax">{peak * frac:.0f}</text>')
    for i in range(nbins):
        y = top + plot_h
        for a, colour in zip(series, colours, strict=True):
            bins = _l(a.get("bins"))
            value = _num(bins[i]) if i < len(bins) else 0.0
            if value <= 0:
                continue
            bar_h = value / peak * plot_h
            y -= bar_h
            when = iso(start + datetime.timedelta(minutes=i * bin_minutes))
            parts.append(
                f'<rect x="{left + i * bar_w:.2f}" y="{y:.2f}" width="{max(bar_w * 0.9, 0.6):.2f}" '
                f'height="{bar_h:.2f}" fill="{colour}"><title>{h(when)} {h(a.get("label"))}: {value:g}</title></rect>'
            )
    end = parse_time(timeline.get("end")) or start + datetime.timedelta(minutes=nbins * bin_minutes)
    total_minutes = max(1.0, (end - start).total_seconds() / 60)
    ticks = 6
    for k in range(ticks + 1):
        x = left + plot_w * k / ticks
        moment = start + datetime.timedelta(minutes=total_minutes * k / ticks)
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="ax">'
            f"{h(moment.strftime('%H:%M'))}</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 6}" class="ax">{h(start.strftime("%Y-%m-%d"))} UTC, '
        f"bins of {bin_minutes} min</text>"
    )
    for index, change in enumerate(_l(timeline.get("changes"))):
        moment = parse_time(change.get("time"))
        if moment is None:
            continue
        x = left + max(0.0, min(1.0, (moment - start).total_seconds() / 60 / total_minutes)) * plot_w
        colour = "#c0392b" if change.get("family") != "other" else "#7f8c8d"
        label = f"{_mark(index)}: {change.get('time')} {change.get('event_name')} by {change.get('actor_label')}"
        parts.append(
            f'<g class="mark"><title>{h(label, 400)}</title>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{colour}" '
            f'stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle" class="mk" fill="{colour}">{h(_mark(index))}</text>'
            "</g>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<span class="lg"><i style="background:{colour}"></i>{h(a.get("label"))}'
        f"{' (suspected)' if a.get('suspected') else ''}</span>"
        for a, colour in zip(series, colours, strict=True)
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


_CSS = """
body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:1200px;
padding:0 16px}h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;border-bottom:2px solid #eee;padding-bottom:4px;
margin-top:28px}h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;width:100%;margin:6px 0 10px;
font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;word-break:break-word}
th{background:#f4f6f7}tr.sus td{background:#fdecea}.verdict{display:inline-block;padding:6px 14px;border-radius:4px;
font-weight:700;color:#fff;font-size:16px}.v-compromised{background:#c0392b}.v-suspicious{background:#e67e22}
.v-no_evidence{background:#27ae60}.v-inconclusive{background:#7f8c8d}.kv td:first-child{width:160px;font-weight:600}
.none{color:#888;font-style:italic}.chart{width:100%;height:auto}.ax{font-size:10px;fill:#666}.mk{font-size:12px;
font-weight:700}.legend{margin:4px 0 8px}.lg{margin-right:14px;font-size:12px;white-space:nowrap}
.lg i{display:inline-block;width:10px;height:10px;margin-right:4px}
.note{background:#fff8e1;border-left:4px solid #f1c40f;padding:6px 10px;margin:6px 0}tr.unk td{background:#fff8e1}
code{font-size:12px}footer{color:#888;font-size:12px;margin-top:30px}
"""

#: The page's Content-Security-Policy: no scripts, no fetches, only the inline style and data: images.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def html_page(title: str, body: list[str]) -> str:
    """A self-contained HTML page (inline style, strict CSP) around ``body``, the already escaped HTML blocks."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{h(title)}</title><style>{_CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def render_html(report: Mapping[str, Any]) -> str:
    r = report
    s = _d(r.get("summary"))
    t = _d(r.get("timeline_summary"))
    verdict = _s(r.get("verdict")) if _s(r.get("verdict")) in VERDICTS else "inconclusive"
    mode = h(r.get("mode")) + (_CHECK_NOTE if r.get("check_mode") else "")
    body = [
        f"<h1>Incident report: {h(r.get('bucket') or 'unknown bucket')}</h1>",
        f'<p><span class="verdict v-{verdict}">{h(verdict.upper().replace("_", " "))}</span></p>',
        '<table class="kv"><tbody>',
        f"<tr><td>Incident</td><td>{h(r.get('incident_id') or '-')}</td></tr>",
        f"<tr><td>Bucket</td><td>{h(r.get('bucket') or '-')}</td></tr>",
        f"<tr><td>Severity</td><td>{h(r.get('severity_label') or 'no finding')} {h(_fmt_sev(r.get('severity')))}"
        "</td></tr>",
        f"<tr><td>Mode</td><td>{mode}</td></tr>",
        f"<tr><td>Bucket public</td><td>{h(_yes_no(r.get('bucket_public')))}</td></tr>",
        f"<tr><td>Generated</td><td>{h(r.get('generated_at'))}</td></tr>",
        "</tbody></table>",
        "<h2>Summary</h2>",
        *[f'<p class="note"><b>{h(line, 600)}</b></p>' for line in failure_lines(r)],
        "<ul>",
        *[f"<li>{h(x, 400)}</li>" for x in _l(r.get("verdict_reasons"))],
        "</ul>",
        f"<p><b>What was done:</b> {h('; '.join(_l(s.get('what_was_done'))) or 'nothing', 800)}</p>",
        *[f'<p class="note">{h(m, 400)}</p>' for m in _l(r.get("messages"))],
        "<h2>Findings</h2>",
    ]
    findings = _l(r.get("findings"))
    body.append(
        _html_table(
            *_findings_table(findings),
            ["sus" if f["severity"] >= HIGH_SEVERITY and not f["archived"] else "" for f in findings],
        )
    )
    actors = _l(r.get("suspected_principals")) + _l(r.get("legitimate_principals"))
    body.append("<h2>Actors</h2>")
    body.append(
        _html_table(
            *_actors_table(actors),
            ["sus" if a["suspected"] else "" for a in actors],
        )
    )
    body.append("<h2>Timeline</h2>")
    if t.get("actors"):
        body.append(
            f"<p>Events per {h(t.get('bin_minutes'))} minute(s) by actor, {h(t.get('start'))} to {h(t.get('end'))}: "
            f"{h(t.get('events_in_chart'))} events charted of {h(t.get('events_found'))} found"
            f"{' (event list capped)' if t.get('events_truncated') else ''}. Dashed lines mark changes to the bucket "
            "(red: policy, ACL or Block Public Access).</p>"
        )
    body.append(timeline_svg(t))
    changes = _l(t.get("changes"))
    body.append("<h3>Changes to the bucket</h3>")
    body.append(
        _html_table(
            *_changes_table(changes),
            ["sus" if c["suspected_actor"] else "" for c in changes],
        )
    )
    body.append("<h2>Authorization</h2>")
    entries = _l(r.get("authorization"))
    if not entries:
        body.append('<p class="none">No authorization results were given.</p>')
    if _has_intent_unknown(entries):
        body.append(f'<p class="note">{_intent_unknown_hint("<code>{}</code>")}</p>')
    for entry in entries:
        flag = " (suspected)" if entry["suspected"] else ""
        body.append(f"<h3>{h(entry['principal'])}{flag}: {h(entry['verdict'] or 'no calls')}</h3>")
        body.append(
            _html_table(
                *_calls_table(entry["calls"]),
                [
                    "sus" if c["verdict"] in _SUSPECT_CALL_VERDICTS else "unk" if c["verdict"] == INTENT_UNKNOWN else ""
                    for c in entry["calls"]
                ],
            )
        )
        if entry["remediation"]:
            body.append("<ul>" + "".join(f"<li>Fix: {h(x, 400)}</li>" for x in entry["remediation"]) + "</ul>")
    body.append("<h3>Statements to fix</h3>")
    body.append(_html_table(*_fixes_table(_l(r.get("statements_to_fix")), fix_limit=400)))
    body.append("<h2>Containment</h2>")
    body.append(_html_table(*_containment_table(_l(r.get("containment")))))
    body.append("<h2>Hardening</h2>")
    body.append(_html_table(*_hardening_table(_l(r.get("hardening")))))
    body.append("<h2>Evidence</h2>")
    ev = _d(r.get("evidence"))
    if not ev.get("snapshots"):
        body.append('<p class="none">No evidence was written.</p>')
    for snap in _l(ev.get("snapshots")):
        body.append(f"<p>Manifest: <code>{h(snap['manifest_path'] or snap['path'] or '-', 400)}</code></p>")
        body.append(
            _html_table(["File", "Size", "SHA-256"], [[f["name"], f["size"], f["sha256"]] for f in snap["files"]])
        )
    body.append(f"<footer>{h(r.get('schema'))} - content digest {h(r.get('content_digest'))}</footer>")
    title = f"Incident report {_s(r.get('incident_id'))} {_s(r.get('bucket'))}".strip()
    return html_page(title, body)

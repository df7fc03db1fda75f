# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who acted on a bucket, how suspicious each actor is, what happened in what order (pure Python).

Input: events in the scanner's normalised shape (:data:`cloudtrail_scan._FIELDS` as dict keys), from trail files,
LookupEvents or Athena. Output:

* :func:`build_actors`: one actor per principal. Role sessions are folded into their role (``arn`` is the role
  ARN, the sessions are listed in ``session_arns``); anonymous callers and presigned-URL access are actors of their
  own ``kind``. Each actor carries the evidence the issue asks for (keys, IPs, user agents, counts, first / last
  seen, errors, bytes out, objects touched) and, after :func:`rank_actors`, ``suspicion_score``, ``reasons`` and
  ``suspected``.
* :func:`rank_actors`: a score from signals that each add a weight and a reason: calls from outside the trusted
  networks, anonymous or cross-account access, presigned URLs, a burst of errors followed by success, mass reads,
  changes to the bucket's policy / ACL / Block Public Access / versioning, being named by findings, attack-tool
  user agents. AWS services acting for the account score nothing unless named by a finding.
* :func:`timeline`: the bucket's events in time order, runs of the same call collapsed, bucket changes flagged.
* :func:`observed_calls`: per principal, the (IAM action, resource ARN) pairs it exercised, with counts; the
  authorization step evaluates exactly these.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

ANONYMOUS = "ANONYMOUS_PRINCIPAL"

#: CloudTrail event name -> IAM action, where the two differ (otherwise ``s3:<EventName>``).
ACTION_OF_EVENT = {
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListParts": "s3:ListMultipartUploadParts",
    "HeadObject": "s3:GetObject",
    "GetObjectAttributes": "s3:GetObject",
    "SelectObjectContent": "s3:GetObject",
    "CopyObject": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListBuckets": "s3:ListAllMyBuckets",
    "DeleteBucketPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketCors": "s3:GetBucketCORS",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "DeleteObjectTagging": "s3:DeleteObjectTagging",
}

#: Events that change who can reach the bucket or whether its data survives (flagged ``change`` in the timeline).
CHANGE_EVENTS = frozenset(
    {
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutObjectAcl",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutAccountPublicAccessBlock",
        "DeleteAccountPublicAccessBlock",
        "PutBucketVersioning",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketReplication",
        "DeleteBucketReplication",
        "PutBucketLifecycle",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
        "PutBucketLogging",
        "PutBucketCors",
        "PutBucketWebsite",
        "PutObjectLockConfiguration",
        "PutBucketNotification",
        "PutBucketNotificationConfiguration",
    }
)

#: Object-level events (their resource is ``arn:aws:s3:::bucket/key``).
OBJECT_EVENTS = frozenset(
    {
        "GetObject",
        "HeadObject",
        "PutObject",
        "CopyObject",
        "DeleteObject",
        "DeleteObjects",
        "GetObjectAcl",
        "PutObjectAcl",
        "GetObjectTagging",
        "PutObjectTagging",
        "DeleteObjectTagging",
        "GetObjectAttributes",
        "RestoreObject",
        "SelectObjectContent",
        "UploadPart",
        "UploadPartCopy",
        "CreateMultipartUpload",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "ListParts",
        "GetObjectRetention",
        "PutObjectRetention",
        "GetObjectLegalHold",
        "PutObjectLegalHold",
    }
)

READ_EVENTS = frozenset({"GetObject", "HeadObject", "SelectObjectContent", "GetObjectAttributes"})

#: Networks that are inside the organisation by default (RFC 1918, shared address space, IPv6 ULA, loopback).
DEFAULT_TRUSTED_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "127.0.0.0/8")

#: User agent fragments of attack tooling and penetration-test distributions.
TOOL_AGENTS = (
    "kali",
    "parrot",
    "pentoo",
    "pacu",
    "cloudfox",
    "s3scanner",
    "nmap",
    "sqlmap",
    "trufflehog",
    "scoutsuite",
)

DEFAULT_WEIGHTS = {
    "flagged": 40,
    "anonymous": 40,
    "cross_account": 35,
    "external_ip": 30,
    "bucket_change": 40,
    "error_burst": 20,
    "mass_read": 15,
    "presigned_url": 15,
    "tool_agent": 10,
}


@dataclass
class Flags:
    """What other evidence (GuardDuty findings, triage) names: principals, keys, user names, IPs."""

    principal_arns: frozenset[str] = frozenset()
    access_key_ids: frozenset[str] = frozenset()
    user_names: frozenset[str] = frozenset()
    source_ips: frozenset[str] = frozenset()

    @classmethod
    def from_lists(
        cls,
        principal_arns: Iterable[str] | None = None,
        access_key_ids: Iterable[str] | None = None,
        user_names: Iterable[str] | None = None,
        source_ips: Iterable[str] | None = None,
    ) -> Flags:
        def clean(values: Iterable[str] | None) -> frozenset[str]:
            return frozenset(v for v in values or () if isinstance(v, str) and v)

        return cls(clean(principal_arns), clean(access_key_ids), clean(user_names), clean(source_ips))


@dataclass
class RankOptions:
    bucket_account_id: str | None = None
    trusted_networks: tuple[str, ...] = DEFAULT_TRUSTED_NETWORKS
    threshold: int = 40
    mass_read_objects: int = 25
    error_burst: int = 5
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


# --------------------------------------------------------------------------------------------- helpers


def iam_action(event_name: str | None, event_source: str | None = "s3.amazonaws.com") -> str:
    """The IAM action a CloudTrail event exercises (``ListObjectsV2`` -> ``s3:ListBucket``)."""
    name = event_name or "Unknown"
    if name in ACTION_OF_EVENT:
        return ACTION_OF_EVENT[name]
    service = (event_source or "s3.amazonaws.com").split(".", 1)[0]
    if service == "s3-control":
        service = "s3"
    return f"{service}:{name}"


def role_arn_of_session(arn: str | None) -> str | None:
    """``arn:aws:sts::ACCT:assumed-role/NAME/SESSION`` -> ``arn:aws:iam::ACCT:role/NAME`` (None when not a session).

    Roles with a path lose it (the session ARN does not carry it); prefer the ``sessionIssuer`` ARN when known.
    """
    if not arn or ":assumed-role/" not in arn:
        return None
    head, rest = arn.split(":assumed-role/", 1)
    partition_account = head.replace(":sts:", ":iam:", 1)
    role = rest.split("/", 1)[0]
    return f"{partition_account}:role/{role}"


def detective_entity(arn: str | None) -> str | None:
    """The IAM user or role ARN Detective accepts for a principal ARN (sessions map to their role), or None."""
    if not arn:
        return None
    if ":iam::" in arn and (":user/" in arn or ":role/" in arn):
        return arn
    return role_arn_of_session(arn)


def parse_networks(values: Iterable[str]) -> list[Any]:
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise ValueError(f"trusted network {v!r} is not an IP address or CIDR block") from None
    return out


def _is_external(ip: str | None, kind: str | None, nets: list[Any]) -> bool:
    if kind not in ("ipv4", "ipv6") or not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not any(addr.version == n.version and addr in n for n in nets)


def _actor_key(ev: dict[str, Any]) -> tuple[str, str]:
    kind = ev.get("principal_kind") or "unknown"
    arn = ev.get("principal_arn") or "unknown"
    if kind == "anonymous":
        return ANONYMOUS, kind
    if ev.get("principal_type") == "AssumedRole":
        arn = ev.get("issuer_arn") or role_arn_of_session(arn) or arn
    return arn, kind


# --------------------------------------------------------------------------------------------- actors


def build_actors(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One actor per (principal, kind), in order of event count."""
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in events:
        key = _actor_key(ev)
        a = acc.get(key)
        if a is None:
            a = acc[key] = {
                "arn": key[0],
                "kind": key[1],
                "type": ev.get("principal_type"),
                "account_id": ev.get("account_id"),
                "_akids": set(),
                "_ips": {},
                "_uas": set(),
                "_sessions": set(),
                "_objects": set(),
                "_read_objects": set(),
                "event_counts": {},
                "event_count": 0,
                "first_seen": ev["time"],
                "last_seen": ev["time"],
                "error_count": 0,
                "error_counts": {},
                "bytes_out": 0,
                "bytes_in": 0,
                "_times": [],
            }
        if ev.get("access_key_id"):
            a["_akids"].add(ev["access_key_id"])
        ip = ev.get("source_ip")
        if ip:
            a["_ips"][ip] = a["_ips"].get(ip, 0) + 1
        if ev.get("user_agent"):
            a["_uas"].add(ev["user_agent"])
        if ev.get("principal_type") == "AssumedRole" and ev.get("principal_arn"):
            a["_sessions"].add(ev["principal_arn"])
        name = ev.get("event_name") or "Unknown"
        a["event_counts"][name] = a["event_counts"].get(name, 0) + 1
        a["event_count"] += 1
        a["first_seen"] = min(a["first_seen"], ev["time"])
        a["last_seen"] = max(a["last_seen"], ev["time"])
        if ev.get("error_code"):
            a["error_count"] += 1
            a["error_counts"][ev["error_code"]] = a["error_counts"].get(ev["error_code"], 0) + 1
        a["bytes_out"] += ev.get("bytes_out") or 0
        a["bytes_in"] += ev.get("bytes_in") or 0
        if ev.get("key"):
            a["_objects"].add(ev["key"])
            if name in READ_EVENTS and not ev.get("error_code"):
                a["_read_objects"].add(ev["key"])
        a["_times"].append((ev["time"], bool(ev.get("error_code")), ev.get("source_ip"), ev.get("source_ip_kind")))
    out = []
    for a in acc.values():
        ips = a.pop("_ips")
        a["access_key_ids"] = sorted(a.pop("_akids"))
        a["source_ips"] = sorted(ips)
        a["source_ip_counts"] = dict(sorted(ips.items()))
        a["user_agents"] = sorted(a.pop("_uas"))
        a["session_arns"] = sorted(a.pop("_sessions"))
        a["objects_touched"] = len(a.pop("_objects"))
        a["objects_read"] = len(a.pop("_read_objects"))
        a["event_counts"] = dict(sorted(a["event_counts"].items()))
        a["detective_entity_arn"] = detective_entity(a["arn"]) if a["kind"] in ("iam_user", "assumed_role") else None
        a["_times"].sort()
        out.append(a)
    out.sort(key=lambda x: (-x["event_count"], x["arn"], x["kind"]))
    return out


def _error_burst_then_success(times: list[tuple], minimum: int) -> tuple[int, str | None]:
    """Largest run of consecutive errors (>= minimum) followed later by a success; (run length, success time)."""
    best = 0
    run = 0
    when = None
    for t, err, _ip, _kind in times:
        if err:
            run += 1
            continue
        if run >= minimum and run > best:
            best, when = run, t
        run = 0
    return best, when


def _user_name(arn: str) -> str | None:
    if ":user/" in arn:
        return arn.rsplit("/", 1)[-1]
    return None


def _score(actor: dict[str, Any], hits: list[tuple[str, str]], weights: dict[str, int], threshold: int) -> None:
    actor["suspicion_score"] = sum(weights[signal] for signal, _reason in hits)
    actor["signals"] = [signal for signal, _reason in hits]
    actor["reasons"] = [reason for _signal, reason in hits]
    actor["suspected"] = actor["suspicion_score"] >= threshold


def _adder(hits: list[tuple[str, str]]) -> Any:
    def add(signal: str, reason: str) -> None:
        hits.append((signal, reason))

    return add


def rank_actors(actors: list[dict[str, Any]], flags: Flags | None = None, options: RankOptions | None = None) -> None:
    """Add ``suspicion_score``, ``reasons`` and ``suspected`` to each actor and sort by score (in place)."""
    flags = flags or Flags()
    options = options or RankOptions()
    w = {**DEFAULT_WEIGHTS, **(options.weights or {})}
    nets = parse_networks(options.trusted_networks)
    for a in actors:
        times = a.pop("_times", [])
        hits: list[tuple[str, str]] = []
        add = _adder(hits)

        named = []
        if a["arn"] in flags.principal_arns or any(s in flags.principal_arns for s in a.get("session_arns") or ()):
            named.append(f"principal {a['arn']}")
        for k in a["access_key_ids"]:
            if k in flags.access_key_ids:
                named.append(f"access key {k}")
        user = _user_name(a["arn"])
        if user and user in flags.user_names:
            named.append(f"user {user}")
        named_ips = [ip for ip in a["source_ips"] if ip in flags.source_ips]
        if named_ips:
            named.append("IP " + ", ".join(named_ips))
        if named:
            add("flagged", "named by findings: " + "; ".join(named))
        if a["kind"] == "aws_service":
            _score(a, hits, w, options.threshold)
            continue
        if a["kind"] == "anonymous":
            add("anonymous", f"anonymous (unauthenticated) access: {a['event_count']} requests")
        if a["kind"] == "presigned_url":
            add("presigned_url", "access through presigned URLs (query-string authentication)")
        foreign = (
            a.get("account_id")
            and options.bucket_account_id
            and a["account_id"]
            not in (
                options.bucket_account_id,
                ANONYMOUS,
            )
        )
        if a["kind"] == "cross_account" or foreign:
            add("cross_account", f"cross-account access from account {a.get('account_id')}")
        external = sorted({ip for _t, _e, ip, kind in times if _is_external(ip, kind, nets)})
        if external:
            shown = ", ".join(external[:5]) + (" …" if len(external) > 5 else "")
            add("external_ip", f"calls from outside the trusted networks: {shown}")
        changes = sorted(n for n in a["event_counts"] if n in CHANGE_EVENTS)
        if changes:
            add("bucket_change", "changed the bucket: " + ", ".join(changes))
        burst, when = _error_burst_then_success(times, options.error_burst)
        if burst:
            add("error_burst", f"{burst} failed calls in a row, then success at {when}")
        if a.get("objects_read", 0) >= options.mass_read_objects:
            add("mass_read", f"read {a['objects_read']} distinct objects ({a['bytes_out']} bytes out)")
        tools = [ua for ua in a["user_agents"] if any(t in ua.lower() for t in TOOL_AGENTS)]
        if tools:
            add("tool_agent", f"attack-tool user agent: {tools[0]}")
        _score(a, hits, w, options.threshold)
    actors.sort(key=lambda x: (-x["suspicion_score"], -x["event_count"], x["arn"], x["kind"]))


# --------------------------------------------------------------------------------------------- timeline


def timeline(
    events: Iterable[dict[str, Any]], actors_of_interest: Iterable[str] | None = None, max_entries: int = 1000
) -> tuple[list[dict[str, Any]], bool]:
    """Events in time order as timeline entries; consecutive repeats of one call by one actor are one entry.

    With ``actors_of_interest`` (actor ARNs), only their events and every bucket change are kept. Returns the
    entries (at most ``max_entries``, changes first kept when cutting) and whether entries were dropped.
    """
    wanted = set(actors_of_interest) if actors_of_interest is not None else None
    entries: list[dict[str, Any]] = []
    last_by_actor: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in sorted(events, key=lambda e: (e["time"], e.get("event_id") or "")):
        actor, kind = _actor_key(ev)
        change = (ev.get("event_name") or "") in CHANGE_EVENTS
        if wanted is not None and actor not in wanted and not change:
            continue
        sig = (ev.get("event_name"), ev.get("source_ip"), ev.get("error_code"))
        prev = last_by_actor.get((actor, kind))
        if prev is not None and not change and prev["_sig"] == sig and prev is entries[-1]:
            prev["count"] += 1
            prev["last_time"] = ev["time"]
            if ev.get("key"):
                prev["_keys"].add(ev["key"])
            continue
        entry = {
            "time": ev["time"],
            "last_time": ev["time"],
            "actor_arn": actor,
            "actor_kind": kind,
            "event_name": ev.get("event_name"),
            "source_ip": ev.get("source_ip"),
            "error": ev.get("error_code"),
            "change": change,
            "count": 1,
            "_sig": sig,
            "_keys": {ev["key"]} if ev.get("key") else set(),
        }
        entries.append(entry)
        last_by_actor[(actor, kind)] = entry
    for e in entries:
        e.pop("_sig")
        keys = e.pop("_keys")
        e["objects"] = len(keys)
        e["key"] = next(iter(keys)) if len(keys) == 1 else None
    truncated = len(entries) > max_entries
    if truncated:
        changes = [e for e in entries if e["change"]]
        rest = [e for e in entries if not e["change"]][: max(0, max_entries - len(changes))]
        entries = sorted(changes[:max_entries] + rest, key=lambda e: e["time"])
    return entries, truncated


# --------------------------------------------------------------------------------------------- observed calls


def _common_prefix(keys: list[str]) -> str:
    """Longest common string prefix (not path-aware on purpose: S3 keys are strings, ``*`` matches any)."""
    if not keys:
        return ""
    low, high = min(keys), max(keys)
    n = 0
    while n < len(low) and n < len(high) and low[n] == high[n]:
        n += 1
    return low[:n]


def observed_calls(
    events: Iterable[dict[str, Any]], bucket: str, object_detail_limit: int = 20
) -> dict[str, list[dict[str, Any]]]:
    """``{principal_arn: [{action, resource, count, first_seen, last_seen, error_count, objects}]}``.

    Object actions list one entry per object while a principal touched at most ``object_detail_limit`` objects
    with that action; beyond that one entry covers them all, its resource the objects' common prefix + ``*``.
    """
    per: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    objects: dict[tuple[str, str], set[str]] = {}
    for ev in events:
        actor, _kind = _actor_key(ev)
        name = ev.get("event_name") or "Unknown"
        action = iam_action(name, ev.get("event_source"))
        if action == "s3:ListAllMyBuckets":
            resource = "*"
        elif name in OBJECT_EVENTS and ev.get("key"):
            resource = f"arn:aws:s3:::{bucket}/{ev['key']}"
            objects.setdefault((actor, action), set()).add(ev["key"])
        else:
            resource = f"arn:aws:s3:::{bucket}"
        calls = per.setdefault(actor, {})
        c = calls.get((action, resource))
        if c is None:
            c = calls[(action, resource)] = {
                "action": action,
                "resource": resource,
                "count": 0,
                "first_seen": ev["time"],
                "last_seen": ev["time"],
                "error_count": 0,
                "objects": 1 if resource.startswith(f"arn:aws:s3:::{bucket}/") else 0,
            }
        c["count"] += 1
        c["first_seen"] = min(c["first_seen"], ev["time"])
        c["last_seen"] = max(c["last_seen"], ev["time"])
        c["error_count"] += 1 if ev.get("error_code") else 0
    out: dict[str, list[dict[str, Any]]] = {}
    for actor, calls in per.items():
        rows: list[dict[str, Any]] = []
        collapsed: dict[str, dict[str, Any]] = {}
        for (action, _resource), c in calls.items():
            keys = objects.get((actor, action), set())
            if c["objects"] and len(keys) > object_detail_limit:
                m = collapsed.get(action)
                if m is None:
                    prefix = _common_prefix(sorted(keys))
                    m = collapsed[action] = {
                        **c,
                        "resource": f"arn:aws:s3:::{bucket}/{prefix}*",
                        "count": 0,
                        "error_count": 0,
                        "objects": len(keys),
                    }
                m["count"] += c["count"]
                m["error_count"] += c["error_count"]
                m["first_seen"] = min(m["first_seen"], c["first_seen"])
                m["last_seen"] = max(m["last_seen"], c["last_seen"])
                continue
            rows.append(c)
        rows.extend(collapsed.values())
        rows.sort(key=lambda r: (r["action"], r["resource"]))
        out[actor] = rows
    return dict(sorted(out.items()))


def analyse(
    events: list[dict[str, Any]],
    bucket: str,
    *,
    flags: Flags | None = None,
    options: RankOptions | None = None,
    timeline_max: int = 1000,
    object_detail_limit: int = 20,
) -> dict[str, Any]:
    """Actors ranked, the timeline of suspected actors and bucket changes, observed calls of every actor."""
    actors = build_actors(events)
    rank_actors(actors, flags, options)
    suspected = [a["arn"] for a in actors if a["suspected"]]
    entries, cut = timeline(events, suspected, timeline_max)
    return {
        "actors": actors,
        "timeline": entries,
        "timeline_truncated": cut,
        "observed_calls": observed_calls(events, bucket, object_detail_limit),
    }

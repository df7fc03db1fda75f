# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write seeded CloudTrail records as real log files into the bucket of a trail kept by moto.

Layout, as CloudTrail delivers it::

    [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 random characters>.json.gz

Records are grouped by 5-minute delivery windows of their event time; a window's files are
"delivered" a few minutes after the window closes (so delivery time >= event time). Randomness (the
delivery delay and the file-name suffix) comes from a generator seeded with the input, so the same
records always give the same keys.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import string
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

from sandbox import ACCOUNT_ID
from sandbox.shapes import parse_timestamp
from sandbox.state import SeedError

WINDOW = timedelta(minutes=5)
_SUFFIX_CHARS = string.ascii_letters + string.digits


@dataclass
class LogFile:
    bucket: str
    key: str
    records: list[dict[str, Any]]

    def body(self) -> bytes:
        payload = json.dumps({"Records": self.records}, separators=(",", ":")).encode()
        return gzip.compress(payload, mtime=0)


@dataclass
class TrailInfo:
    name: str
    region: str
    bucket: str
    prefix: str
    multi_region: bool
    event_selectors: list[dict[str, Any]]
    advanced_event_selectors: list[dict[str, Any]]


def event_bucket(record: dict[str, Any]) -> str | None:
    params = record.get("requestParameters") or {}
    if isinstance(params, dict) and isinstance(params.get("bucketName"), str):
        return params["bucketName"]
    for res in record.get("resources") or []:
        arn = res.get("ARN") or ""
        if ":s3:::" in arn:
            return arn.split(":::", 1)[1].split("/", 1)[0]
    return None


def _basic_covers(selectors: list[dict[str, Any]], bucket: str | None) -> bool:
    for selector in selectors:
        for data in selector.get("DataResources") or []:
            if data.get("Type") != "AWS::S3::Object":
                continue
            for value in data.get("Values") or []:
                if value in ("arn:aws:s3", "arn:aws:s3:::"):
                    return True
                if bucket and (value == f"arn:aws:s3:::{bucket}" or value.startswith(f"arn:aws:s3:::{bucket}/")):
                    return True
    return False


def _advanced_covers(selectors: list[dict[str, Any]], bucket: str | None) -> bool:
    arn = f"arn:aws:s3:::{bucket}/" if bucket else None
    for selector in selectors:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {})
        if "Data" not in (category.get("Equals") or []):
            continue
        kind = fields.get("resources.type", {})
        if kind and "AWS::S3::Object" not in (kind.get("Equals") or []):
            continue
        arn_field = fields.get("resources.ARN")
        if not arn_field:
            return True
        if arn is None:
            continue
        starts = arn_field.get("StartsWith") or []
        equals = arn_field.get("Equals") or []
        not_starts = arn_field.get("NotStartsWith") or []
        if any(arn.startswith(p) or p.startswith(arn) for p in starts) or any(e.startswith(arn) for e in equals):
            if not any(arn.startswith(p) for p in not_starts):
                return True
    return False


def covers(trail: TrailInfo, bucket: str | None) -> bool:
    """Whether the trail's (basic or advanced) event selectors log S3 data events for ``bucket``."""
    return _basic_covers(trail.event_selectors, bucket) or _advanced_covers(trail.advanced_event_selectors, bucket)


def logs_data_events(trail: TrailInfo) -> bool:
    """Whether the trail logs S3 data events at all (for any bucket)."""
    basic = any(d.get("Type") == "AWS::S3::Object" for s in trail.event_selectors for d in s.get("DataResources") or [])
    advanced = any(
        "Data" in (f.get("Equals") or [])
        for s in trail.advanced_event_selectors
        for f in s.get("FieldSelectors") or []
        if f.get("Field") == "eventCategory"
    )
    return basic or advanced


def moto_trails() -> list[TrailInfo]:
    """Every trail of the sandbox account, read from moto's CloudTrail backend."""
    from moto.cloudtrail.models import cloudtrail_backends

    found: dict[str, TrailInfo] = {}
    account = cloudtrail_backends[ACCOUNT_ID]
    for region in account.regions:
        if region not in account:  # do not create backends for regions nobody used
            continue
        for trail in account[region].trails.values():
            found[trail.arn] = TrailInfo(
                name=trail.trail_name,
                region=trail.region_name,
                bucket=trail.bucket_name,
                prefix=(trail.s3_key_prefix or "").strip("/"),
                multi_region=bool(trail.is_multi_region),
                event_selectors=list(trail.event_selectors or []),
                advanced_event_selectors=list(trail.advanced_event_selectors or []),
            )
    return sorted(found.values(), key=lambda t: (t.region, t.name))


def choose_trail(trails: list[TrailInfo], record: dict[str, Any]) -> TrailInfo | None:
    """The trail that would have logged ``record``: one covering its bucket, else one logging data events,
    else any trail (in its region or multi-region)."""
    region = record.get("awsRegion")
    usable = [t for t in trails if t.multi_region or t.region == region] or trails
    bucket = event_bucket(record)
    for pick in (lambda t: covers(t, bucket), logs_data_events, lambda t: True):
        for trail in usable:
            if pick(trail):
                return trail
    return None


def _window_start(moment: datetime) -> datetime:
    moment = moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % 5)


def plan(
    records: list[tuple[int, dict[str, Any]]],
    trails: list[TrailInfo],
    *,
    records_per_file: int | None = None,
    account_id: str = ACCOUNT_ID,
) -> list[LogFile]:
    """Log files for ``records`` (pairs of seed index and record); raise SeedError if no trail can take them."""
    if not records:
        return []
    digest = hashlib.sha256(
        json.dumps([r for _, r in records], sort_keys=True, default=str).encode() + str(records_per_file).encode()
    ).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    groups: dict[tuple[str, str, datetime], tuple[TrailInfo, list[dict[str, Any]]]] = {}
    for index, record in records:
        trail = choose_trail(trails, record)
        if trail is None:
            raise SeedError(
                f"cloudtrail_events[{index}]: data event but the sandbox has no CloudTrail trail to deliver its "
                "log file (create a trail whose bucket exists, with S3 data event selectors, before seeding)"
            )
        region = record.get("awsRegion") or trail.region
        window = _window_start(parse_timestamp(record["eventTime"]))
        groups.setdefault((trail.name + "@" + trail.region, region, window), (trail, []))[1].append(record)

    files: list[LogFile] = []
    for key in sorted(groups, key=lambda k: (k[2], k[0], k[1])):
        trail, members = groups[key]
        region, window = key[1], key[2]
        members.sort(key=lambda r: (parse_timestamp(r["eventTime"]), r.get("eventID", "")))
        size = records_per_file or len(members)
        for start in range(0, len(members), size):
            delivered = window + WINDOW + timedelta(minutes=rng.randint(1, 4), seconds=rng.randint(0, 59))
            suffix = "".join(rng.choice(_SUFFIX_CHARS) for _ in range(16))
            name = f"{account_id}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz"
            folder = f"AWSLogs/{account_id}/CloudTrail/{region}/{delivered:%Y/%m/%d}"
            prefix = f"{trail.prefix}/" if trail.prefix else ""
            files.append(LogFile(trail.bucket, f"{prefix}{folder}/{name}", members[start : start + size]))
    return files


def check_buckets(files: list[LogFile]) -> None:
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT_ID]["aws"]
    for bucket in sorted({f.bucket for f in files}):
        if bucket not in backend.buckets:
            raise SeedError(f"cloudtrail_events: the trail bucket {bucket!r} does not exist in the sandbox")


def write(files: list[LogFile]) -> list[str]:
    """Put the log files into moto's S3 (in-process); return the ``s3://`` URLs written."""
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT_ID]["aws"]
    written = []
    for log in files:
        backend.put_object(log.bucket, log.key, log.body(), disable_notification=True)
        written.append(f"s3://{log.bucket}/{log.key}")
    return written

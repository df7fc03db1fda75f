# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudTrail LookupEvents (JSON 1.1) over seeded CloudTrail records, and seeding of those records.

Seeded records are CloudTrail records as they appear in log files. Management events feed
LookupEvents; data events are written as log files by :mod:`sandbox.trail_logs`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sandbox import REGION
from sandbox import shapes
from sandbox.state import STATE
from sandbox.state import ApiError
from sandbox.state import Call
from sandbox.state import SeedError
from sandbox.state import json11_error
from sandbox.state import json_response
from sandbox.state import make_token
from sandbox.state import read_token

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
ATTRIBUTE_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
CATEGORIES = ("Management", "Data", "Insight", "NetworkActivity")


# --------------------------------------------------------------------------- record -> Event
def username(record: dict[str, Any]) -> str | None:
    """The ``Username`` LookupEvents shows: the IAM user name, the role session name, or ``root``."""
    identity = record.get("userIdentity") or {}
    if identity.get("userName"):
        return identity["userName"]
    kind = identity.get("type")
    if kind == "AssumedRole" and identity.get("arn"):
        return identity["arn"].rsplit("/", 1)[-1]
    if kind == "Root":
        return "root"
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    return issuer.get("userName")


def _resource_name(resource_type: str, arn: str) -> str:
    if arn.startswith("arn:") and ":s3:::" in arn:
        return arn.split(":::", 1)[1]
    if resource_type.startswith("AWS::IAM::") and "/" in arn:
        return arn.rsplit("/", 1)[-1]
    return arn


def resources(record: dict[str, Any]) -> list[dict[str, str]]:
    """``Resources`` as LookupEvents reports them, from the record's resources or its request parameters."""
    out: list[dict[str, str]] = []
    for res in record.get("resources") or []:
        kind, arn = res.get("type") or "", res.get("ARN") or res.get("arn") or ""
        if kind or arn:
            out.append({"ResourceType": kind, "ResourceName": _resource_name(kind, arn)})
    params = record.get("requestParameters") or {}
    if not out and isinstance(params, dict):
        if params.get("bucketName"):
            out.append({"ResourceType": "AWS::S3::Bucket", "ResourceName": str(params["bucketName"])})
        for key, kind in (
            ("userName", "AWS::IAM::User"),
            ("roleName", "AWS::IAM::Role"),
            ("policyArn", "AWS::IAM::Policy"),
        ):
            if params.get(key):
                out.append({"ResourceType": kind, "ResourceName": str(params[key])})
    return out


def to_event(record: dict[str, Any]) -> dict[str, Any]:
    read_only = record.get("readOnly")
    event = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": str(read_only).lower() if read_only is not None else None,
        "AccessKeyId": (record.get("userIdentity") or {}).get("accessKeyId"),
        "EventTime": shapes.parse_timestamp(record["eventTime"]),
        "EventSource": record["eventSource"],
        "Username": username(record),
        "Resources": resources(record),
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }
    return {k: v for k, v in event.items() if v is not None}


def _attribute_matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event["Resources"])
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event["Resources"])
    return event.get(key) == value


# --------------------------------------------------------------------------- LookupEvents
def _lookup(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    attributes = body.get("LookupAttributes") or []
    if not isinstance(attributes, list) or len(attributes) > 1:
        raise ApiError(400, "InvalidLookupAttributesException", "You can only specify one lookup attribute.")
    wanted = None
    if attributes:
        attr = attributes[0]
        key, value = attr.get("AttributeKey"), attr.get("AttributeValue")
        if key not in ATTRIBUTE_KEYS:
            raise ApiError(400, "InvalidLookupAttributesException", f"Invalid attribute key: {key}.")
        if not isinstance(value, str) or not 1 <= len(value) <= 2000:
            raise ApiError(400, "InvalidLookupAttributesException", "Attribute value must be 1-2000 characters.")
        wanted = (key, value)
    category = body.get("EventCategory")
    if category is not None and category != "insight":
        raise ApiError(400, "InvalidEventCategoryException", f"Invalid event category: {category}.")
    max_results = body.get("MaxResults", 50)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise ApiError(400, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    try:
        start = shapes.parse_timestamp(body["StartTime"]) if body.get("StartTime") is not None else None
        end = shapes.parse_timestamp(body["EndTime"]) if body.get("EndTime") is not None else None
    except ValueError as exc:
        raise ApiError(400, "InvalidTimeRangeException", str(exc)) from None
    if start and end and start > end:
        raise ApiError(400, "InvalidTimeRangeException", "StartTime must be before EndTime.")
    params = [call.region, attributes, body.get("StartTime"), body.get("EndTime"), category, max_results]
    offset = read_token(body.get("NextToken"), params)
    if offset is None:
        raise ApiError(400, "InvalidNextTokenException", "Invalid NextToken: it does not belong to this request.")

    events = []
    if category is None:  # insight events are never seeded: an insight lookup is empty
        for record in STATE.cloudtrail_events:
            if (record.get("awsRegion") or REGION) != call.region:
                continue
            event = to_event(record)
            when = event["EventTime"]
            if (start and when < start) or (end and when > end):
                continue
            if wanted and not _attribute_matches(event, *wanted):
                continue
            events.append(event)
    events.sort(key=lambda e: (e["EventTime"], e["EventId"]), reverse=True)  # newest first
    page = events[offset : offset + max_results]
    result: dict[str, Any] = {"Events": page}
    if offset + max_results < len(events):
        result["NextToken"] = make_token(offset + max_results, params)
    return shapes.json_body("cloudtrail", "LookupEvents", result)


def handle(call: Call) -> Any:
    """Answer LookupEvents; ``None`` lets moto answer the trail operations."""
    target = call.headers.get("X-Amz-Target", "")
    if target != TARGET_PREFIX + "LookupEvents":
        return None
    try:
        body = call.json()
        with STATE.lock:
            result = _lookup(call, body)
    except ApiError as err:
        return json11_error(err)
    return json_response(200, result, "application/x-amz-json-1.1")


# --------------------------------------------------------------------------- seeding
def _event_id(record: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def prepare(items: Any) -> list[dict[str, Any]]:
    """Validate seeded CloudTrail records; return them with defaults filled in; raise SeedError."""
    if not isinstance(items, list):
        raise SeedError("cloudtrail_events: expected a list of CloudTrail records")
    out = []
    for index, item in enumerate(items):
        where = f"cloudtrail_events[{index}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object (a CloudTrail record), got {type(item).__name__}")
        for key in ("eventTime", "eventName", "eventSource"):
            if not item.get(key):
                raise SeedError(f'{where}: missing "{key}"')
            if not isinstance(item[key], str):
                raise SeedError(f'{where}: "{key}" must be a string')
        try:
            shapes.parse_timestamp(item["eventTime"])
        except ValueError:
            raise SeedError(f'{where}: "eventTime" {item["eventTime"]!r} is not a timestamp') from None
        category = item.get("eventCategory", "Management")
        if category not in CATEGORIES:
            raise SeedError(f'{where}: "eventCategory" must be one of {", ".join(CATEGORIES)}, got {category!r}')
        for key in ("userIdentity", "requestParameters", "additionalEventData"):
            if item.get(key) is not None and not isinstance(item[key], dict):
                raise SeedError(f'{where}: "{key}" must be an object')
        if item.get("resources") is not None and not (
            isinstance(item["resources"], list) and all(isinstance(r, dict) for r in item["resources"])
        ):
            raise SeedError(f'{where}: "resources" must be a list of objects')
        record = dict(item)
        record.setdefault("eventVersion", "1.11")
        record.setdefault("awsRegion", REGION)
        record.setdefault("eventCategory", "Management")
        record.setdefault("managementEvent", record["eventCategory"] == "Management")
        record.setdefault("eventType", "AwsApiCall")
        record.setdefault("eventID", _event_id(item))
        out.append(record)
    return out


def apply(records: list[dict[str, Any]]) -> None:
    """Management records become visible to LookupEvents (data events never are)."""
    STATE.cloudtrail_events.extend(r for r in records if r["eventCategory"] == "Management")

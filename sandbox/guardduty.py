# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GuardDuty findings APIs (REST-JSON, camelCase wire) that moto 5.2.5 lacks.

Detectors live in moto's GuardDuty backend (imported in-process, so a detector created through the API
is the one the findings hang off). Findings are stored per region in their wire shape.

Organizations: a seeded finding whose ``accountId`` is an account of the sandbox's organization (seeded with
``sandbox.organization``) keeps it and hangs off that account's detector; any other finding (for example one
exported from a real account and replayed here) is attached to the sandbox account, as before. The sandbox
account plays the GuardDuty delegated administrator: its detector sees the findings of every account. A caller
whose credentials belong to a member account (assumed-role credentials from ``sts:AssumeRole``; moto maps the
access key id to its account) sees its own detector and only its own account's findings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime
from datetime import timezone
from typing import Any

from sandbox import ACCOUNT_ID
from sandbox import shapes
from sandbox.state import STATE
from sandbox.state import ApiError
from sandbox.state import Call
from sandbox.state import SeedError
from sandbox.state import json_response
from sandbox.state import make_token
from sandbox.state import read_token
from sandbox.state import rest_json_error

NOT_OWNED = "The request is rejected because the input detectorId is not owned by the current account."
INVALID_INPUT = "The request is rejected because an invalid or out-of-range value is specified as an input parameter."

_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/")
_ROUTE = re.compile(r"^/detector/([^/]+)/findings(?:/(get|create|archive|unarchive|feedback|statistics))?$")

# S3 finding types with default severity (2 low, 5 medium, 8 high, 9 critical), the API the sample shows,
# and the resource type GuardDuty reports (data-event findings: S3Bucket; management-event ones: AccessKey).
S3_FINDING_TYPES: dict[str, tuple[float, str, str]] = {
    "Discovery:S3/AnomalousBehavior": (2.0, "ListObjects", "S3Bucket"),
    "Discovery:S3/MaliciousIPCaller": (8.0, "ListObjects", "S3Bucket"),
    "Discovery:S3/MaliciousIPCaller.Custom": (5.0, "ListObjects", "S3Bucket"),
    "Discovery:S3/TorIPCaller": (5.0, "ListObjects", "S3Bucket"),
    "Exfiltration:S3/AnomalousBehavior": (8.0, "GetObject", "S3Bucket"),
    "Exfiltration:S3/MaliciousIPCaller": (8.0, "GetObject", "S3Bucket"),
    "Impact:S3/AnomalousBehavior.Delete": (8.0, "DeleteObject", "S3Bucket"),
    "Impact:S3/AnomalousBehavior.Permission": (8.0, "PutBucketAcl", "S3Bucket"),
    "Impact:S3/AnomalousBehavior.Write": (5.0, "PutObject", "S3Bucket"),
    "Impact:S3/MaliciousIPCaller": (8.0, "PutObject", "S3Bucket"),
    "PenTest:S3/KaliLinux": (5.0, "ListObjects", "S3Bucket"),
    "PenTest:S3/ParrotLinux": (5.0, "ListObjects", "S3Bucket"),
    "PenTest:S3/PentooLinux": (5.0, "ListObjects", "S3Bucket"),
    "Policy:S3/AccountBlockPublicAccessDisabled": (2.0, "PutAccountPublicAccessBlock", "AccessKey"),
    "Policy:S3/BucketBlockPublicAccessDisabled": (2.0, "DeleteBucketPublicAccessBlock", "AccessKey"),
    "Policy:S3/BucketAnonymousAccessGranted": (8.0, "PutBucketPolicy", "AccessKey"),
    "Policy:S3/BucketPublicAccessGranted": (8.0, "PutBucketPolicy", "AccessKey"),
    "Stealth:S3/ServerAccessLoggingDisabled": (2.0, "PutBucketLogging", "AccessKey"),
    "UnauthorizedAccess:S3/MaliciousIPCaller.Custom": (8.0, "GetObject", "S3Bucket"),
    "UnauthorizedAccess:S3/TorIPCaller": (8.0, "GetObject", "S3Bucket"),
    "Object:S3/MaliciousFile": (8.0, "PutObject", "S3Object"),
    "AttackSequence:S3/CompromisedData": (9.0, "GetObject", "S3Bucket"),
}
_TYPE_PATTERN = re.compile(r"^[A-Za-z]+:[A-Za-z0-9]+/[A-Za-z0-9.]+(?:![A-Za-z0-9]+)?$")

_LIST_OPS = ("eq", "neq", "equals", "notEquals")
_NUM_OPS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "greaterThan": lambda a, b: a > b,
    "greaterThanOrEqual": lambda a, b: a >= b,
    "lessThan": lambda a, b: a < b,
    "lessThanOrEqual": lambda a, b: a <= b,
}
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")


# --------------------------------------------------------------------------- moto detectors
def _backend(region: str, account: str = ACCOUNT_ID) -> Any:
    from moto.guardduty.models import guardduty_backends

    return guardduty_backends[account][region]


def valid_region(region: str) -> bool:
    from moto.guardduty.models import guardduty_backends

    return region in guardduty_backends[ACCOUNT_ID].regions


def detector_exists(region: str, detector_id: str, account: str = ACCOUNT_ID) -> bool:
    return valid_region(region) and detector_id in _backend(region, account).detectors


def ensure_detector(region: str, account: str = ACCOUNT_ID) -> str:
    """The account's detector in ``region`` (default the sandbox account), created in moto if there is none."""
    backend = _backend(region, account)
    if backend.detectors:
        return next(iter(backend.detectors))
    return backend.create_detector(
        enable=True, finding_publishing_frequency="SIX_HOURS", data_sources={}, tags={}, features=[]
    )


def caller_account(call: Call) -> str:
    """The account the request's credentials belong to, resolved the way moto does (header, then access key id)."""
    headers = call.headers or {}
    explicit = headers.get("x-moto-account-id")
    if explicit:
        return str(explicit)
    match = _CREDENTIAL.search(headers.get("Authorization") or "")
    if not match:
        return ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    return get_account_id_from(match.group(1))


def organization_accounts() -> set[str]:
    """Ids of the accounts in the sandbox account's organization (empty when it has none)."""
    from moto.organizations.models import organizations_backends

    try:
        backend = organizations_backends[ACCOUNT_ID]["aws"]
        return {a.id for a in backend.accounts if a.id != ACCOUNT_ID}
    except Exception:  # no organization, or moto changed its model: behave as a single account
        return set()


def _visible(finding: dict[str, Any], detector_id: str, account: str) -> bool:
    """A finding belongs to the detector it was attached to; the administrator also sees every member's."""
    if finding.get("service", {}).get("detectorId") == detector_id:
        return True
    return account == ACCOUNT_ID and finding.get("accountId") != ACCOUNT_ID


# --------------------------------------------------------------------------- criteria
def resolve(finding: dict[str, Any], dotted: str) -> list[Any]:
    """Values at a dotted wire path, through lists; ``additionalInfo`` is read into its JSON ``value``."""
    values: list[Any] = [finding]
    for part in dotted.split("."):
        nxt: list[Any] = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if not isinstance(item, dict):
                    continue
                if part in item:
                    nxt.append(item[part])
                elif "value" in item and isinstance(item["value"], str) and item["value"].startswith("{"):
                    try:  # service.additionalInfo = {"value": "<json>", "type": "default"}
                        inner = json.loads(item["value"])
                    except ValueError:
                        continue
                    if isinstance(inner, dict) and part in inner:
                        nxt.append(inner[part])
        values = nxt
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    if not flat and dotted == "service.archived":
        flat = [False]
    return flat


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_number(value: Any, dotted: str) -> float | None:
    """Numbers as they are; ISO timestamps and timestamp-typed members as epoch milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        leaf = dotted.rsplit(".", 1)[-1]
        if leaf == "createdAt" and value < 1e11:  # S3BucketDetail.CreatedAt: epoch seconds on the wire
            return float(value) * 1000.0
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        if _DATE_LIKE.match(value):
            try:
                return shapes.parse_timestamp(value).timestamp() * 1000.0
            except ValueError:
                return None
    return None


def _equal(field_value: Any, wanted: str, dotted: str) -> bool:
    if _as_text(field_value).lower() == str(wanted).lower() and isinstance(field_value, bool):
        return True
    if _as_text(field_value) == str(wanted):
        return True
    left, right = _as_number(field_value, dotted), _as_number(wanted, dotted)
    return left is not None and right is not None and left == right


def matches(finding: dict[str, Any], dotted: str, condition: dict[str, Any]) -> bool:
    values = resolve(finding, dotted)
    for op in ("eq", "equals"):
        if op in condition and not any(_equal(v, w, dotted) for v in values for w in condition[op]):
            return False
    for op in ("neq", "notEquals"):
        if op in condition and any(_equal(v, w, dotted) for v in values for w in condition[op]):
            return False
    for op, compare in _NUM_OPS.items():
        if op in condition:
            bound = float(condition[op])
            numbers = [n for n in (_as_number(v, dotted) for v in values) if n is not None]
            if not any(compare(n, bound) for n in numbers):
                return False
    return True


def _criteria(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    criteria = body.get("findingCriteria") or {}
    if not isinstance(criteria, dict):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    criterion = criteria.get("criterion") or {}
    if not isinstance(criterion, dict):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    for name, cond in criterion.items():
        if not isinstance(cond, dict) or not cond:
            raise ApiError(400, "BadRequestException", f"{INVALID_INPUT} (criterion {name})", "InvalidInputException")
        for op, value in cond.items():
            ok = (op in _LIST_OPS and isinstance(value, list) and len(value) <= 50) or (
                op in _NUM_OPS and isinstance(value, (int, float)) and not isinstance(value, bool)
            )
            if not ok:
                raise ApiError(
                    400, "BadRequestException", f"{INVALID_INPUT} (criterion {name}.{op})", "InvalidInputException"
                )
    return criterion


def _sort_key(finding: dict[str, Any], attribute: str) -> tuple[int, float, str]:
    values = resolve(finding, attribute)
    if not values:
        return (2, 0.0, "")
    number = _as_number(values[0], attribute)
    if number is not None:
        return (0, number, "")
    return (1, 0.0, _as_text(values[0]))


def _sorted(findings: list[dict[str, Any]], sort: Any) -> list[dict[str, Any]]:
    if not sort:
        return findings
    if not isinstance(sort, dict) or not sort.get("attributeName"):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    order = sort.get("orderBy", "ASC")
    if order not in ("ASC", "DESC"):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    return sorted(findings, key=lambda f: _sort_key(f, sort["attributeName"]), reverse=order == "DESC")


def _selected(call: Call, detector_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    criterion = _criteria(body)
    account = caller_account(call)
    return [
        f
        for f in STATE.findings.get(call.region, {}).values()
        if _visible(f, detector_id, account) and all(matches(f, name, cond) for name, cond in criterion.items())
    ]


def _ids(body: dict[str, Any]) -> list[str]:
    ids = body.get("findingIds")
    if not isinstance(ids, list) or len(ids) > 50 or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    return ids


# --------------------------------------------------------------------------- operations
def _list_findings(call: Call, detector_id: str, body: dict[str, Any]) -> Any:
    max_results = body.get("maxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    selected = _sorted(_selected(call, detector_id, body), body.get("sortCriteria"))
    params = [call.region, detector_id, body.get("findingCriteria"), body.get("sortCriteria")]
    start = read_token(body.get("nextToken"), params)
    if start is None:
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    page = selected[start : start + max_results]
    out: dict[str, Any] = {"findingIds": [f["id"] for f in page]}
    if start + max_results < len(selected):
        out["nextToken"] = make_token(start + max_results, params)
    return out


def _get_findings(call: Call, detector_id: str, body: dict[str, Any]) -> Any:
    wanted = _ids(body)
    stored = STATE.findings.get(call.region, {})
    account = caller_account(call)
    found = [stored[i] for i in dict.fromkeys(wanted) if i in stored and _visible(stored[i], detector_id, account)]
    return {"findings": _sorted(found, body.get("sortCriteria"))}


def _set_archived(call: Call, detector_id: str, body: dict[str, Any], archived: bool) -> Any:
    stored = STATE.findings.get(call.region, {})
    account = caller_account(call)
    for fid in _ids(body):
        if fid in stored and _visible(stored[fid], detector_id, account):
            stored[fid]["service"]["archived"] = archived
    return {}


def _feedback(call: Call, detector_id: str, body: dict[str, Any]) -> Any:
    feedback = body.get("feedback")
    if feedback not in ("USEFUL", "NOT_USEFUL"):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    stored = STATE.findings.get(call.region, {})
    account = caller_account(call)
    for fid in _ids(body):
        if fid in stored and _visible(stored[fid], detector_id, account):
            stored[fid]["service"]["userFeedback"] = feedback
    return {}


def _statistics(call: Call, detector_id: str, body: dict[str, Any]) -> Any:
    selected = _selected(call, detector_id, body)
    types = body.get("findingStatisticTypes") or []
    group_by = body.get("groupBy")
    if not types and not group_by:
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    if any(t != "COUNT_BY_SEVERITY" for t in types):
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    stats: dict[str, Any] = {}
    if types:
        stats["CountBySeverity"] = dict(Counter(_as_text(float(f["severity"])) for f in selected))
    if group_by:
        stats.update(_grouped(selected, group_by, body))
    return shapes.json_body("guardduty", "GetFindingsStatistics", {"FindingStatistics": stats})


def _grouped(selected: list[dict[str, Any]], group_by: str, body: dict[str, Any]) -> dict[str, Any]:
    def key_of(f: dict[str, Any]) -> tuple[Any, ...]:
        if group_by == "ACCOUNT":
            return (f["accountId"],)
        if group_by == "DATE":
            day = shapes.parse_timestamp(f["updatedAt"]).replace(hour=0, minute=0, second=0, microsecond=0)
            return (day,)
        if group_by == "FINDING_TYPE":
            return (f["type"],)
        if group_by == "SEVERITY":
            return (float(f["severity"]),)
        if group_by == "RESOURCE":
            names = resolve(f, "resource.s3BucketDetails.name") or resolve(f, "resource.accessKeyDetails.accessKeyId")
            return (f["accountId"], names[0] if names else "", f["resource"].get("resourceType", ""))
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for f in selected:
        groups.setdefault(key_of(f), []).append(f)
    rows = []
    for key, members in groups.items():
        last = max(shapes.parse_timestamp(m["updatedAt"]) for m in members)
        row: dict[str, Any] = {"TotalFindings": len(members), "LastGeneratedAt": last}
        if group_by == "ACCOUNT":
            row["AccountId"] = key[0]
        elif group_by == "DATE":
            row.update(Date=key[0], Severity=max(float(m["severity"]) for m in members))
        elif group_by == "FINDING_TYPE":
            row["FindingType"] = key[0]
        elif group_by == "SEVERITY":
            row["Severity"] = key[0]
        else:
            row.update(AccountId=key[0], ResourceId=key[1], ResourceType=key[2])
        rows.append(row)
    rows.sort(key=lambda r: r["TotalFindings"], reverse=body.get("orderBy", "DESC") == "DESC")
    limit = body.get("maxResults", 25)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    name = {
        "ACCOUNT": "GroupedByAccount",
        "DATE": "GroupedByDate",
        "FINDING_TYPE": "GroupedByFindingType",
        "SEVERITY": "GroupedBySeverity",
        "RESOURCE": "GroupedByResource",
    }[group_by]
    return {name: rows[:limit]}


def _create_samples(call: Call, detector_id: str, body: dict[str, Any]) -> Any:
    types = body.get("findingTypes")
    if types is None or types == []:
        types = list(S3_FINDING_TYPES)
    if not isinstance(types, list) or len(types) > 50:
        raise ApiError(400, "BadRequestException", INVALID_INPUT, "InvalidInputException")
    for ftype in types:
        if not isinstance(ftype, str) or not _TYPE_PATTERN.match(ftype):
            raise ApiError(
                400, "BadRequestException", f"{INVALID_INPUT} (findingTypes: {ftype!r})", "InvalidInputException"
            )
    store = STATE.findings.setdefault(call.region, {})
    for ftype in types:
        STATE.sample_counter += 1
        finding = sample_finding(ftype, call.region, detector_id, STATE.sample_counter, account=caller_account(call))
        store[finding["id"]] = finding
    return {}


def sample_finding(
    ftype: str, region: str, detector_id: str, serial: int, now: datetime | None = None, account: str = ACCOUNT_ID
) -> dict:
    """A sample finding of ``ftype`` in wire shape, with the placeholders GuardDuty's samples use."""
    now = now or datetime.now(timezone.utc)
    stamp = shapes.iso8601(now)
    severity, api, resource_type = S3_FINDING_TYPES.get(ftype, (5.0, "GetObject", "AccessKey"))
    fid = hashlib.sha256(f"{region}/{detector_id}/{serial}/{ftype}".encode()).hexdigest()[:32]
    bucket = "generatedfindings3bucket"  # lower case: bucket names cannot hold capitals
    resource: dict[str, Any] = {
        "resourceType": resource_type,
        "accessKeyDetails": {
            "accessKeyId": "GeneratedFindingAccessKeyId",
            "principalId": "GeneratedFindingPrincipalId",
            "userName": "GeneratedFindingUserName",
            "userType": "IAMUser",
        },
        "s3BucketDetails": [
            {
                "arn": f"arn:aws:s3:::{bucket}",
                "name": bucket,
                "type": "Destination",
                "createdAt": int(now.timestamp()) - 86400 * 30,
                "owner": {"id": "GeneratedFindingCanonicalId"},
                "tags": [{"key": "GeneratedFindingTagKey", "value": "GeneratedFindingTagValue"}],
                "defaultServerSideEncryption": {"encryptionType": "AES256"},
                "publicAccess": {
                    "effectivePermission": "NOT_PUBLIC",
                    "permissionConfiguration": {
                        "bucketLevelPermissions": {
                            "accessControlList": {"allowsPublicReadAccess": False, "allowsPublicWriteAccess": False},
                            "bucketPolicy": {"allowsPublicReadAccess": False, "allowsPublicWriteAccess": False},
                            "blockPublicAccess": {
                                "ignorePublicAcls": False,
                                "restrictPublicBuckets": False,
                                "blockPublicAcls": False,
                                "blockPublicPolicy": False,
                            },
                        },
                    },
                },
            }
        ],
    }
    if resource_type == "S3Object":
        resource["s3BucketDetails"][0]["s3ObjectDetails"] = [
            {
                "objectArn": f"arn:aws:s3:::{bucket}/GeneratedFindingObjectKey",
                "key": "GeneratedFindingObjectKey",
                "eTag": "GeneratedFindingETag",
                "hash": "GeneratedFindingHash",
                "versionId": "GeneratedFindingVersionId",
            }
        ]
    return {
        "accountId": account,
        "region": region,
        "partition": "aws",
        "id": fid,
        "arn": f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}/finding/{fid}",
        "type": ftype,
        "schemaVersion": "2.0",
        "severity": severity,
        "confidence": 5.0,
        "title": f"[SAMPLE] {ftype} was observed on bucket {bucket}",
        "description": f"[SAMPLE] This is a sample finding of type {ftype}. It does not describe real activity.",
        "createdAt": stamp,
        "updatedAt": stamp,
        "resource": resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector_id,
            "archived": False,
            "count": 1,
            "eventFirstSeen": stamp,
            "eventLastSeen": stamp,
            "resourceRole": "TARGET",
            "additionalInfo": {"value": json.dumps({"sample": True}), "type": "default"},
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": api,
                    "serviceName": "s3.amazonaws.com",
                    "callerType": "Remote IP",
                    "remoteIpDetails": {
                        "ipAddressV4": "198.51.100.1",
                        "city": {"cityName": "GeneratedFindingCityName"},
                        "country": {"countryName": "GeneratedFindingCountryName"},
                        "geoLocation": {"lat": 0.0, "lon": 0.0},
                        "organization": {
                            "asn": "-1",
                            "asnOrg": "GeneratedFindingASNOrg",
                            "isp": "GeneratedFindingISP",
                            "org": "GeneratedFindingORG",
                        },
                    },
                    "affectedResources": {"AWS::S3::Bucket": bucket},
                },
            },
        },
    }


_OPS = {
    None: _list_findings,
    "get": _get_findings,
    "create": _create_samples,
    "archive": lambda c, d, b: _set_archived(c, d, b, True),
    "unarchive": lambda c, d, b: _set_archived(c, d, b, False),
    "feedback": _feedback,
    "statistics": _statistics,
}


def handle(call: Call) -> Any:
    """Answer the findings operations; ``None`` lets moto answer everything else (detectors, filters)."""
    match = _ROUTE.match(call.path)
    if not match or call.method != "POST":
        return None
    detector_id, sub = match.group(1), match.group(2)
    try:
        if not detector_exists(call.region, detector_id, caller_account(call)):
            raise ApiError(400, "BadRequestException", NOT_OWNED, "InvalidInputException")
        body = call.json()
        with STATE.lock:
            result = _OPS[sub](call, detector_id, body)
    except ApiError as err:
        return rest_json_error(err)
    return json_response(200, result)


# --------------------------------------------------------------------------- seeding
def prepare(items: Any) -> list[dict[str, Any]]:
    """Validate seeded findings (boto3 or wire shape) and return them in wire shape; raise SeedError."""
    if not isinstance(items, list):
        raise SeedError("guardduty_findings: expected a list of findings")
    finding_shape = shapes.shape("guardduty", "Finding")
    out = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        where = f"guardduty_findings[{index}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object, got {type(item).__name__}")
        try:
            wire = shapes.to_wire(finding_shape, item, protocol="rest-json")
        except shapes.ShapeError as exc:
            raise SeedError(f"{where}: {exc}") from None
        wire.setdefault("accountId", ACCOUNT_ID)
        if not isinstance(wire["accountId"], str) or not re.fullmatch(r"\d{12}", wire["accountId"]):
            raise SeedError(f'{where}: "accountId" {wire["accountId"]!r} is not a 12-digit account id')
        wire.setdefault("partition", "aws")
        wire.setdefault("schemaVersion", "2.0")
        wire.setdefault("arn", "placeholder")
        missing = shapes.missing_required(finding_shape, wire)
        if missing:
            raise SeedError(f'{where}: missing "{missing}"')
        if not valid_region(wire["region"]):
            raise SeedError(f'{where}: "region" {wire["region"]!r} is not an AWS region')
        for key in ("createdAt", "updatedAt"):
            try:
                shapes.parse_timestamp(wire[key])
            except ValueError:
                raise SeedError(f'{where}: "{key}" {wire[key]!r} is not a timestamp') from None
        if (wire["region"], wire["id"]) in seen:
            raise SeedError(f"{where}: duplicate finding id {wire['id']!r}")
        seen.add((wire["region"], wire["id"]))
        out.append(wire)
    return out


def apply(findings: list[dict[str, Any]]) -> None:
    """Attach prepared findings to their account's detector of their region (created if absent).

    The account is the finding's ``accountId`` when the sandbox's organization has that account, else the sandbox
    account; for a member account's finding the sandbox account (the administrator) gets a detector there too.
    """
    members = organization_accounts()
    for wire in findings:
        region = wire["region"]
        account = wire["accountId"] if wire.get("accountId") in members else ACCOUNT_ID
        detector_id = ensure_detector(region, account)
        if account != ACCOUNT_ID:
            ensure_detector(region)  # the administrator's detector, which sees the member's finding
        partition = wire.get("partition") or "aws"
        wire["accountId"] = account
        wire["arn"] = f"arn:{partition}:guardduty:{region}:{account}:detector/{detector_id}/finding/{wire['id']}"
        service = wire.setdefault("service", {})
        service["detectorId"] = detector_id
        service.setdefault("serviceName", "guardduty")
        service.setdefault("archived", False)
        STATE.findings.setdefault(region, {})[wire["id"]] = wire

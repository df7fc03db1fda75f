# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Detective (REST-JSON, ISO-8601 timestamps), which moto 5.2.5 does not have at all.

No graph seeded means ``ListGraphs`` returns an empty list: that is how "Detective is not enabled"
looks to a caller. Investigations started for an entity with seeded indicators get those indicators.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from datetime import timezone
from typing import Any

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import shapes
from sandbox.state import STATE
from sandbox.state import ApiError
from sandbox.state import Call
from sandbox.state import SeedError
from sandbox.state import json_response
from sandbox.state import make_token
from sandbox.state import read_token
from sandbox.state import rest_json_error

NOT_FOUND = "The request refers to a nonexistent resource."
GRAPH_ARN = re.compile(r"^arn:aws[-\w]*:detective:([a-z0-9-]+):(\d{12}):graph:([a-f0-9]{32})$")
ENTITY_ARN = re.compile(r"^arn:aws[-\w]*:iam::\d{12}:(user|role)/.+$")
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
STATUSES = ("RUNNING", "FAILED", "SUCCESSFUL")
STATES = ("ACTIVE", "ARCHIVED")
PACKAGES = ("DETECTIVE_CORE", "EKS_AUDIT", "ASFF_SECURITYHUB_FINDING")
PACKAGE_STATES = ("STARTED", "STOPPED", "DISABLED")

_OPERATIONS = {
    "/graphs/list": "ListGraphs",
    "/graph/datasources/list": "ListDatasourcePackages",
    "/investigations/startInvestigation": "StartInvestigation",
    "/investigations/getInvestigation": "GetInvestigation",
    "/investigations/listInvestigations": "ListInvestigations",
    "/investigations/listIndicators": "ListIndicators",
    "/investigations/updateInvestigationState": "UpdateInvestigationState",
}


def _validation(message: str) -> ApiError:
    return ApiError(400, "ValidationException", message)


def _limit(body: dict[str, Any], maximum: int) -> int:
    value = body.get("MaxResults", maximum)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise _validation(f"MaxResults must be between 1 and {maximum}.")
    return value


def _page(items: list[Any], body: dict[str, Any], maximum: int, params: Any) -> tuple[list[Any], str | None]:
    limit = _limit(body, maximum)
    start = read_token(body.get("NextToken"), params)
    if start is None:
        raise _validation("Invalid NextToken.")
    nxt = make_token(start + limit, params) if start + limit < len(items) else None
    return items[start : start + limit], nxt


def _graph(body: dict[str, Any]) -> dict[str, Any]:
    arn = body.get("GraphArn")
    if not isinstance(arn, str) or not arn:
        raise _validation("GraphArn is required.")
    graph = STATE.detective.graphs.get(arn)
    if graph is None:
        raise ApiError(404, "ResourceNotFoundException", NOT_FOUND)
    return graph


def _investigation(body: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(body)
    inv = STATE.detective.investigations.get(str(body.get("InvestigationId")))
    if inv is None or inv["GraphArn"] != graph["Arn"]:
        raise ApiError(404, "ResourceNotFoundException", NOT_FOUND)
    return inv


def _summary(inv: dict[str, Any]) -> dict[str, Any]:
    keys = ("InvestigationId", "Severity", "Status", "State", "CreatedTime", "EntityArn", "EntityType")
    return {k: inv[k] for k in keys}


def _new_investigation_id(graph_arn: str, entity_arn: str) -> str:
    STATE.detective.counter += 1
    digest = hashlib.sha256(f"{graph_arn}/{entity_arn}/{STATE.detective.counter}".encode()).digest()
    return f"{int.from_bytes(digest[:9], 'big') % 10**21:021d}"


def new_investigation(
    graph_arn: str,
    entity_arn: str,
    scope_start: datetime,
    scope_end: datetime,
    created: datetime | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An investigation record; its behaviour comes from the seeded entity (or ``overrides``)."""
    behaviour = dict(STATE.detective.entities.get(entity_arn, {}))
    behaviour.update(overrides or {})
    indicators = list(behaviour.get("indicators") or [])
    return {
        "GraphArn": graph_arn,
        "InvestigationId": _new_investigation_id(graph_arn, entity_arn),
        "EntityArn": entity_arn,
        "EntityType": "IAM_ROLE" if ":role/" in entity_arn else "IAM_USER",
        "CreatedTime": created or datetime.now(timezone.utc),
        "ScopeStartTime": scope_start,
        "ScopeEndTime": scope_end,
        "FinalStatus": behaviour.get("status") or "SUCCESSFUL",
        "PollsLeft": int(behaviour.get("running_polls") or 0),
        "Status": "RUNNING" if behaviour.get("running_polls") else behaviour.get("status") or "SUCCESSFUL",
        "Severity": behaviour.get("severity") or ("HIGH" if indicators else "INFORMATIONAL"),
        "State": behaviour.get("state") or "ACTIVE",
        "Indicators": indicators,
    }


# --------------------------------------------------------------------------- operations
def _list_graphs(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    graphs = [g for g in STATE.detective.graphs.values() if g["Region"] == call.region]
    page, nxt = _page(graphs, body, 200, ["graphs", call.region])
    return {"GraphList": [{"Arn": g["Arn"], "CreatedTime": g["CreatedTime"]} for g in page], "NextToken": nxt}


def _list_packages(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(body)
    packages = sorted(graph["Packages"].items())
    page, nxt = _page(packages, body, 10, ["packages", graph["Arn"]])
    return {
        "DatasourcePackages": {
            name: {
                "DatasourcePackageIngestState": state,
                "LastIngestStateChange": {state: {"Timestamp": graph["CreatedTime"]}},
            }
            for name, state in page
        },
        "NextToken": nxt,
    }


def _times(body: dict[str, Any]) -> tuple[datetime, datetime]:
    try:
        start = shapes.parse_timestamp(body["ScopeStartTime"])
        end = shapes.parse_timestamp(body["ScopeEndTime"])
    except (KeyError, ValueError):
        raise _validation("ScopeStartTime and ScopeEndTime are required timestamps.") from None
    if start >= end:
        raise _validation("ScopeStartTime must be before ScopeEndTime.")
    return start, end


def _start(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(body)
    entity = body.get("EntityArn")
    if not isinstance(entity, str) or not ENTITY_ARN.match(entity):
        raise _validation(f"EntityArn must be the ARN of an IAM user or role, got {entity!r}.")
    start, end = _times(body)
    inv = new_investigation(graph["Arn"], entity, start, end)
    STATE.detective.investigations[inv["InvestigationId"]] = inv
    return {"InvestigationId": inv["InvestigationId"]}


def _get(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    inv = _investigation(body)
    if inv["Status"] == "RUNNING":
        if inv["PollsLeft"] > 0:
            inv["PollsLeft"] -= 1
        else:
            inv["Status"] = inv["FinalStatus"]
    keys = (
        "GraphArn",
        "InvestigationId",
        "EntityArn",
        "EntityType",
        "CreatedTime",
        "ScopeStartTime",
        "ScopeEndTime",
        "Status",
        "Severity",
        "State",
    )
    return {k: inv[k] for k in keys}


def _filter_value(criteria: dict[str, Any], name: str) -> str | None:
    item = criteria.get(name)
    if item is None:
        return None
    if not isinstance(item, dict) or not isinstance(item.get("Value"), str):
        raise _validation(f"FilterCriteria.{name}.Value must be a string.")
    return item["Value"]


def _list_investigations(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(body)
    criteria = body.get("FilterCriteria") or {}
    if not isinstance(criteria, dict):
        raise _validation("FilterCriteria must be an object.")
    wanted = {name: _filter_value(criteria, name) for name in ("Severity", "Status", "State", "EntityArn")}
    created = criteria.get("CreatedTime") or {}
    try:
        low = shapes.parse_timestamp(created["StartInclusive"]) if created.get("StartInclusive") else None
        high = shapes.parse_timestamp(created["EndInclusive"]) if created.get("EndInclusive") else None
    except ValueError:
        raise _validation("FilterCriteria.CreatedTime holds an invalid timestamp.") from None
    selected = [
        inv
        for inv in STATE.detective.investigations.values()
        if inv["GraphArn"] == graph["Arn"]
        and all(value is None or inv[name] == value for name, value in wanted.items())
        and (low is None or inv["CreatedTime"] >= low)
        and (high is None or inv["CreatedTime"] <= high)
    ]
    sort = body.get("SortCriteria") or {}
    field = sort.get("Field", "CREATED_TIME")
    if field not in ("SEVERITY", "STATUS", "CREATED_TIME"):
        raise _validation(f"SortCriteria.Field {field!r} is not valid.")
    key = {
        "SEVERITY": lambda i: SEVERITIES.index(i["Severity"]),
        "STATUS": lambda i: i["Status"],
        "CREATED_TIME": lambda i: i["CreatedTime"],
    }[field]
    selected.sort(key=lambda i: (key(i), i["InvestigationId"]), reverse=sort.get("SortOrder", "DESC") == "DESC")
    page, nxt = _page(selected, body, 100, ["investigations", graph["Arn"], criteria, sort])
    return {"InvestigationDetails": [_summary(i) for i in page], "NextToken": nxt}


def _list_indicators(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    inv = _investigation(body)
    kind = body.get("IndicatorType")
    indicators = [i for i in inv["Indicators"] if kind is None or i["IndicatorType"] == kind]
    page, nxt = _page(indicators, body, 100, ["indicators", inv["InvestigationId"], kind])
    return {
        "GraphArn": inv["GraphArn"],
        "InvestigationId": inv["InvestigationId"],
        "Indicators": page,
        "NextToken": nxt,
    }


def _update_state(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    inv = _investigation(body)
    if body.get("State") not in STATES:
        raise _validation(f"State must be one of {', '.join(STATES)}.")
    inv["State"] = body["State"]
    return {}


_HANDLERS = {
    "ListGraphs": _list_graphs,
    "ListDatasourcePackages": _list_packages,
    "StartInvestigation": _start,
    "GetInvestigation": _get,
    "ListInvestigations": _list_investigations,
    "ListIndicators": _list_indicators,
    "UpdateInvestigationState": _update_state,
}


def handle(call: Call) -> Any:
    """Answer every Detective request (moto has no Detective backend)."""
    operation = _OPERATIONS.get(call.path) if call.method == "POST" else None
    try:
        if operation is None:
            raise ApiError(
                400, "ValidationException", f"The sandbox does not emulate Detective {call.method} {call.path}."
            )
        body = call.json()
        with STATE.lock:
            result = _HANDLERS[operation](call, body)
            wire = shapes.json_body("detective", operation, {k: v for k, v in result.items() if v is not None})
    except ApiError as err:
        return rest_json_error(err, message_key="Message")
    return json_response(200, wire)


# --------------------------------------------------------------------------- seeding
def _seed_time(value: Any, where: str) -> datetime:
    try:
        return shapes.parse_timestamp(value)
    except ValueError:
        raise SeedError(f"{where}: {value!r} is not a timestamp") from None


def _one_of(value: Any, allowed: tuple[str, ...], where: str) -> None:
    if value is not None and value not in allowed:
        raise SeedError(f"{where}: must be one of {', '.join(allowed)}, got {value!r}")


def _indicators(items: Any, where: str) -> list[dict[str, Any]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise SeedError(f"{where}: expected a list of indicators")
    indicator_shape = shapes.shape("detective", "Indicator")
    allowed = tuple(indicator_shape.members["IndicatorType"].enum)
    out = []
    for i, item in enumerate(items):
        try:
            wire = shapes.to_wire(indicator_shape, item, protocol="rest-json")
        except shapes.ShapeError as exc:
            raise SeedError(f"{where}[{i}]: {exc}") from None
        if wire.get("IndicatorType") not in allowed:
            raise SeedError(f'{where}[{i}]: "IndicatorType" must be one of {", ".join(allowed)}')
        out.append(wire)
    return out


def _behaviour(item: dict[str, Any], where: str) -> dict[str, Any]:
    _one_of(item.get("severity"), SEVERITIES, f"{where}.severity")
    _one_of(item.get("status"), ("FAILED", "SUCCESSFUL"), f"{where}.status")
    _one_of(item.get("state"), STATES, f"{where}.state")
    polls = item.get("running_polls", 0)
    if isinstance(polls, bool) or not isinstance(polls, int) or polls < 0:
        raise SeedError(f"{where}.running_polls: expected a whole number >= 0")
    return {
        "severity": item.get("severity"),
        "status": item.get("status"),
        "state": item.get("state"),
        "running_polls": polls,
        "indicators": _indicators(item.get("indicators"), f"{where}.indicators"),
    }


def prepare(data: Any) -> dict[str, Any]:
    """Validate the ``detective`` seed section; return what :func:`apply` needs; raise SeedError."""
    if not isinstance(data, dict):
        raise SeedError("detective: expected an object with graphs / entities / investigations")
    unknown = set(data) - {"graphs", "entities", "investigations"}
    if unknown:
        raise SeedError(f"detective: unknown keys {sorted(unknown)} (allowed: graphs, entities, investigations)")
    graphs: list[dict[str, Any]] = []
    regions: set[str] = set()
    for i, item in enumerate(data.get("graphs") or []):
        where = f"detective.graphs[{i}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object")
        region = item.get("region") or REGION
        hex_id = hashlib.sha256(f"graph/{ACCOUNT_ID}/{region}".encode()).hexdigest()[:32]
        if item.get("arn"):
            match = GRAPH_ARN.match(str(item["arn"]))
            if not match:
                raise SeedError(f"{where}.arn: not a Detective graph ARN: {item['arn']!r}")
            region, hex_id = item.get("region") or match.group(1), match.group(3)
        if region in regions:
            raise SeedError(f"{where}: a second graph in {region} (Detective allows one per account and Region)")
        regions.add(region)
        packages = item.get("datasource_packages") or {"DETECTIVE_CORE": "STARTED"}
        if not isinstance(packages, dict):
            raise SeedError(f"{where}.datasource_packages: expected an object like {{'DETECTIVE_CORE': 'STARTED'}}")
        for name, state in packages.items():
            _one_of(name, PACKAGES, f"{where}.datasource_packages")
            _one_of(state, PACKAGE_STATES, f"{where}.datasource_packages.{name}")
        created = _seed_time(item.get("created_time", "2026-01-01T00:00:00Z"), f"{where}.created_time")
        graphs.append(
            {
                "Arn": f"arn:aws:detective:{region}:{ACCOUNT_ID}:graph:{hex_id}",
                "Region": region,
                "CreatedTime": created,
                "Packages": dict(packages),
            }
        )
    entities: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(data.get("entities") or []):
        where = f"detective.entities[{i}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object")
        arn = item.get("entity_arn")
        if not isinstance(arn, str) or not ENTITY_ARN.match(arn):
            raise SeedError(f'{where}: missing "entity_arn" (the ARN of an IAM user or role)')
        entities[arn] = _behaviour(item, where)
    investigations = []
    known_graphs = {g["Arn"]: g for g in graphs}
    for i, item in enumerate(data.get("investigations") or []):
        where = f"detective.investigations[{i}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object")
        arn = item.get("entity_arn")
        if not isinstance(arn, str) or not ENTITY_ARN.match(arn):
            raise SeedError(f'{where}: missing "entity_arn" (the ARN of an IAM user or role)')
        graph_arn = item.get("graph_arn")
        if graph_arn is None:
            region = item.get("region") or REGION
            candidates = [g["Arn"] for g in graphs if g["Region"] == region] or [
                g["Arn"] for g in STATE.detective.graphs.values() if g["Region"] == region
            ]
            if not candidates:
                raise SeedError(f"{where}: no Detective graph in {region} to hold it (seed detective.graphs too)")
            graph_arn = candidates[0]
        elif graph_arn not in known_graphs and graph_arn not in STATE.detective.graphs:
            raise SeedError(f"{where}.graph_arn: unknown graph {graph_arn!r}")
        start = _seed_time(item.get("scope_start_time"), f"{where}.scope_start_time")
        end = _seed_time(item.get("scope_end_time"), f"{where}.scope_end_time")
        created = _seed_time(item.get("created_time", shapes.iso8601(end)), f"{where}.created_time")
        behaviour = _behaviour(item, where)
        if item.get("indicators") is None:
            behaviour.pop("indicators")
        investigations.append((graph_arn, arn, start, end, created, behaviour))
    return {"graphs": graphs, "entities": entities, "investigations": investigations}


def apply(plan: dict[str, Any]) -> None:
    detective = STATE.detective
    for graph in plan["graphs"]:
        for arn in [a for a, g in detective.graphs.items() if g["Region"] == graph["Region"]]:
            del detective.graphs[arn]
        detective.graphs[graph["Arn"]] = graph
    detective.entities.update(plan["entities"])
    for graph_arn, entity, start, end, created, behaviour in plan["investigations"]:
        overrides = {k: v for k, v in behaviour.items() if v is not None}
        inv = new_investigation(graph_arn, entity, start, end, created=created, overrides=overrides)
        detective.investigations[inv["InvestigationId"]] = inv

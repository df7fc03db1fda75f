# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Amazon Detective investigations of one principal (no Ansible imports; the client is passed in).

Detective has no botocore paginators, so every list is paged here by hand. The workflow the module runs:
:func:`find_graph` (``ListGraphs``; none means Detective is not enabled in the Region), :func:`entity_arn_for`
(Detective takes IAM user or role ARNs: an assumed-role session ARN becomes its role), :func:`start_or_reuse`
(an existing investigation of the same entity and scope is reused), :func:`wait_for` (poll ``GetInvestigation``
until it is no longer RUNNING or the timeout passes), :func:`indicators` (``ListIndicators``, normalised to
snake_case with the indicator type first).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from datetime import timezone
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import call as _call
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import error_code as _code
from ansible_collections.cloudsec.s3.plugins.module_utils.suspicion import detective_entity

_DETAIL_KEYS = {
    "TTP_OBSERVED": "TTPsObservedDetail",
    "IMPOSSIBLE_TRAVEL": "ImpossibleTravelDetail",
    "FLAGGED_IP_ADDRESS": "FlaggedIpAddressDetail",
    "NEW_GEOLOCATION": "NewGeolocationDetail",
    "NEW_ASO": "NewAsoDetail",
    "NEW_USER_AGENT": "NewUserAgentDetail",
    "RELATED_FINDING": "RelatedFindingDetail",
    "RELATED_FINDING_GROUP": "RelatedFindingGroupDetail",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DENIED = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation")


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    token = None
    while True:
        call = dict(params)
        if token:
            call["NextToken"] = token
        page = _call(client, operation, **call)
        items.extend(page.get(key) or [])
        token = page.get("NextToken")
        if not token:
            return items


def snake(name: str) -> str:
    """``APISuccessCount`` -> ``api_success_count``, ``TTPsObservedDetail`` -> ``tt_ps_observed_detail``."""
    return _CAMEL.sub("_", name).lower()


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


class NotEnabled(Exception):
    """Detective cannot be used in this Region with these credentials (no graph, or not its administrator)."""


def find_graph(client: Any, region: str | None = None) -> str:
    """The behavior graph ARN of the Region; raise :class:`NotEnabled` when there is none."""
    where = f" in {region}" if region else ""
    try:
        graphs = _pages(client, "list_graphs", "GraphList")
    except Exception as exc:
        if _code(exc) in _DENIED:
            raise NotEnabled(
                f"Amazon Detective cannot be used{where}: access denied on ListGraphs (only the graph's administrator "
                "account can list it, and the credentials need detective:ListGraphs)"
            ) from exc
        raise
    if not graphs:
        raise NotEnabled(
            f"Amazon Detective is not enabled{where} (no behavior graph). Enable it (it needs GuardDuty) to get "
            "investigations of principals; the investigation goes on without it."
        )
    graphs.sort(key=lambda g: str(g.get("CreatedTime") or ""))
    return graphs[0]["Arn"]


def entity_arn_for(principal_arn: str) -> str:
    """The IAM user or role ARN Detective investigates for ``principal_arn``; ValueError for anything else."""
    entity = detective_entity(principal_arn)
    if entity is None:
        raise ValueError(
            f"principal_arn {principal_arn!r} is not an IAM user, IAM role or assumed-role session ARN; Detective "
            "investigates only IAM users and roles"
        )
    return entity


def normalise_investigation(inv: dict[str, Any]) -> dict[str, Any]:
    return {
        "investigation_id": inv.get("InvestigationId"),
        "graph_arn": inv.get("GraphArn"),
        "entity_arn": inv.get("EntityArn"),
        "entity_type": inv.get("EntityType"),
        "status": inv.get("Status"),
        "severity": inv.get("Severity"),
        "state": inv.get("State"),
        "created_time": _iso(inv.get("CreatedTime")),
        "scope_start_time": _iso(inv.get("ScopeStartTime")),
        "scope_end_time": _iso(inv.get("ScopeEndTime")),
    }


def normalise_indicator(indicator: dict[str, Any]) -> dict[str, Any]:
    """``{"type": "FLAGGED_IP_ADDRESS", "ip_address": "...", "reason": "..."}``: the detail flattened, snake_case.

    A related finding's own ``Type`` becomes ``finding_type``.
    """
    kind = indicator.get("IndicatorType") or "UNKNOWN"
    detail = indicator.get("IndicatorDetail") or {}
    member = _DETAIL_KEYS.get(kind)
    body = detail.get(member) if member else None
    if body is None and len(detail) == 1:
        body = next(iter(detail.values()))
    out: dict[str, Any] = {"type": kind}
    for key, value in (body or {}).items():
        name = snake(key)
        if name == "type":  # RelatedFindingDetail.Type is the GuardDuty finding type, not the indicator's
            name = "finding_type" if kind == "RELATED_FINDING" else "detail_type"
        out[name] = _iso(value)
    return out


def list_investigations(
    client: Any, graph_arn: str, entity_arn: str | None = None, filters: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    criteria: dict[str, Any] = {}
    if entity_arn:
        criteria["EntityArn"] = {"Value": entity_arn}
    for name, value in (filters or {}).items():
        if value:
            criteria[name] = {"Value": value}
    params: dict[str, Any] = {"GraphArn": graph_arn, "MaxResults": 100}
    if criteria:
        params["FilterCriteria"] = criteria
    items = _pages(client, "list_investigations", "InvestigationDetails", **params)
    return [normalise_investigation({**i, "GraphArn": graph_arn}) for i in items]


def _same_scope(inv: dict[str, Any], start: datetime, end: datetime) -> bool:
    return inv.get("scope_start_time") == _iso(start) and inv.get("scope_end_time") == _iso(end)


def start_or_reuse(
    client: Any, graph_arn: str, entity_arn: str, start: datetime, end: datetime, reuse: bool = True
) -> tuple[str, bool]:
    """(investigation id, started) - an ACTIVE investigation of the same entity and scope is reused."""
    if reuse:
        for summary in list_investigations(client, graph_arn, entity_arn):
            if summary["state"] == "ACTIVE" and summary["status"] != "FAILED":
                full = get(client, graph_arn, summary["investigation_id"])
                if _same_scope(full, start, end):
                    return summary["investigation_id"], False
    resp = _call(
        client,
        "start_investigation",
        GraphArn=graph_arn,
        EntityArn=entity_arn,
        ScopeStartTime=start,
        ScopeEndTime=end,
    )
    return resp["InvestigationId"], True


def get(client: Any, graph_arn: str, investigation_id: str) -> dict[str, Any]:
    return normalise_investigation(
        _call(client, "get_investigation", GraphArn=graph_arn, InvestigationId=investigation_id)
    )


def wait_for(
    client: Any,
    graph_arn: str,
    investigation_id: str,
    timeout: float,
    poll: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, Any], bool, int]:
    """Poll until the investigation is no longer RUNNING; (investigation, timed_out, polls)."""
    began = clock()
    polls = 0
    while True:
        inv = get(client, graph_arn, investigation_id)
        polls += 1
        if inv["status"] != "RUNNING":
            return inv, False, polls
        if clock() - began >= timeout:
            return inv, True, polls
        sleep(min(poll, max(0.0, timeout - (clock() - began))) or poll)


def indicators(client: Any, graph_arn: str, investigation_id: str) -> list[dict[str, Any]]:
    items = _pages(
        client, "list_indicators", "Indicators", GraphArn=graph_arn, InvestigationId=investigation_id, MaxResults=100
    )
    return [normalise_indicator(i) for i in items]


def indicator_summary(items: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item["type"]] = out.get(item["type"], 0) + 1
    return dict(sorted(out.items()))

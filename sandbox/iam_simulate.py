# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM SimulatePrincipalPolicy (query protocol, XML) answered from seeded decision rules.

A rule is ``{"principal_arn", "action", "resource", "decision", "matched_statements"}``; ``action`` and
``resource`` (and ``principal_arn``) may hold ``*`` / ``?`` wildcards, actions match case-insensitively
as in IAM. When several rules match one (action, resource) pair, ``explicitDeny`` beats ``allowed``
beats ``implicitDeny``; with no rule the answer is ``implicitDeny``. The policy source must be a user,
role or group that exists in moto's IAM.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

from sandbox import ACCOUNT_ID
from sandbox import shapes
from sandbox.state import STATE
from sandbox.state import ApiError
from sandbox.state import Call
from sandbox.state import SeedError
from sandbox.state import make_token
from sandbox.state import read_token
from sandbox.state import request_id

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")
_RANK = {"implicitDeny": 0, "allowed": 1, "explicitDeny": 2}
SOURCE_TYPES = ("user", "group", "role", "aws-managed", "user-managed", "resource", "none")


def principal_exists(arn: str) -> bool:
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT_ID]["aws"]
    for collection in (backend.users.values(), backend.roles.values(), backend.groups.values()):
        if any(getattr(item, "arn", None) == arn for item in collection):
            return True
    return False


def _members(form: dict[str, list[str]], name: str) -> list[str]:
    prefix = f"{name}.member."
    indexed = [
        (int(k[len(prefix) :]), v[0]) for k, v in form.items() if k.startswith(prefix) and k[len(prefix) :].isdigit()
    ]
    return [value for _, value in sorted(indexed)]


def decide(principal: str, action: str, resource: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Decision, matched statements and missing context keys for one (action, resource) pair."""
    best = "implicitDeny"
    hits: list[dict[str, Any]] = []
    for rule in STATE.iam_simulations:
        if not fnmatchcase(principal, rule["principal_arn"]):
            continue
        if not fnmatchcase(action.lower(), rule["action"].lower()) or not fnmatchcase(resource, rule["resource"]):
            continue
        if _RANK[rule["decision"]] > _RANK[best]:
            best, hits = rule["decision"], [rule]
        elif rule["decision"] == best:
            hits.append(rule)
    statements = [s for rule in hits for s in rule["matched_statements"]]
    missing = sorted({k for rule in hits for k in rule["missing_context_values"]})
    return best, statements, missing


def _simulate(form: dict[str, list[str]]) -> dict[str, Any]:
    source = (form.get("PolicySourceArn") or [""])[0]
    if not source:
        raise ApiError(400, "InvalidInput", "PolicySourceArn is required.")
    if not principal_exists(source):
        raise ApiError(404, "NoSuchEntity", f"Could not find an IAM user, role or group with ARN {source}.")
    actions = _members(form, "ActionNames")
    if not actions:
        raise ApiError(400, "InvalidInput", "ActionNames must name at least one action.")
    resource_arns = _members(form, "ResourceArns") or ["*"]
    try:
        max_items = int((form.get("MaxItems") or ["100"])[0])
    except ValueError:
        raise ApiError(400, "InvalidInput", "MaxItems must be a number.") from None
    if not 1 <= max_items <= 1000:
        raise ApiError(400, "InvalidInput", "MaxItems must be between 1 and 1000.")
    rows = []
    for action in actions:
        for resource in resource_arns:
            decision, statements, missing = decide(source, action, resource)
            rows.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision,
                    "MatchedStatements": statements,
                    "MissingContextValues": missing,
                }
            )
    params = [source, actions, resource_arns, max_items]
    start = read_token((form.get("Marker") or [None])[0], params)
    if start is None:
        raise ApiError(400, "InvalidInput", "Marker does not belong to this request.")
    page = rows[start : start + max_items]
    result: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": start + max_items < len(rows)}
    if result["IsTruncated"]:
        result["Marker"] = make_token(start + max_items, params)
    return result


def handle(call: Call) -> Any:
    """Answer SimulatePrincipalPolicy; ``None`` lets moto answer every other IAM action."""
    form = parse_qs(call.body.decode("utf-8", errors="replace")) if call.body else {}
    for key, value in call.query.items():
        form.setdefault(key, [value])
    if (form.get("Action") or [""])[0] != "SimulatePrincipalPolicy":
        return None
    rid = request_id()
    try:
        with STATE.lock:
            result = _simulate(form)
    except ApiError as err:
        body = shapes.query_error_xml(err.code, err.message, rid)
        return Response(body, status=err.status, content_type="text/xml")
    return Response(
        shapes.query_xml("iam", "SimulatePrincipalPolicy", result, rid), status=200, content_type="text/xml"
    )


# --------------------------------------------------------------------------- seeding
def prepare(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise SeedError("iam_simulations: expected a list of rules")
    out = []
    for i, item in enumerate(items):
        where = f"iam_simulations[{i}]"
        if not isinstance(item, dict):
            raise SeedError(f"{where}: expected an object")
        for key in ("principal_arn", "action", "decision"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise SeedError(f'{where}: missing "{key}"')
        if item["decision"] not in DECISIONS:
            raise SeedError(f'{where}: "decision" must be one of {", ".join(DECISIONS)}, got {item["decision"]!r}')
        resource = item.get("resource", "*")
        if not isinstance(resource, str):
            raise SeedError(f'{where}: "resource" must be a string')
        statements = []
        for j, stmt in enumerate(item.get("matched_statements") or []):
            if not isinstance(stmt, dict) or not isinstance(stmt.get("source_policy_id"), str):
                raise SeedError(f'{where}.matched_statements[{j}]: missing "source_policy_id"')
            kind = stmt.get("source_policy_type", "user")
            if kind not in SOURCE_TYPES:
                raise SeedError(f'{where}.matched_statements[{j}]: "source_policy_type" must be one of {SOURCE_TYPES}')
            statements.append({"SourcePolicyId": stmt["source_policy_id"], "SourcePolicyType": kind})
        missing = item.get("missing_context_values") or []
        if not isinstance(missing, list) or not all(isinstance(k, str) for k in missing):
            raise SeedError(f'{where}: "missing_context_values" must be a list of context key names')
        out.append(
            {
                "principal_arn": item["principal_arn"],
                "action": item["action"],
                "resource": resource,
                "decision": item["decision"],
                "matched_statements": statements,
                "missing_context_values": list(missing),
            }
        )
    return out


def apply(rules: list[dict[str, Any]]) -> None:
    STATE.iam_simulations.extend(rules)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sts:AssumeRole checks moto leaves out.

moto answers AssumeRole for any ARN, even a role that does not exist, so "this account's role cannot be
assumed" could never be shown. The sandbox refuses, before moto sees the request, an AssumeRole whose role
does not exist in the target account's IAM, or whose trust policy asks for an ``sts:ExternalId`` the request
does not carry. Everything else (and every other STS action) goes to moto unchanged, which then hands out
credentials that belong to the role's account.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote

from werkzeug.wrappers import Response

from sandbox import shapes
from sandbox.state import Call
from sandbox.state import request_id

_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")


def _form(call: Call) -> dict[str, str]:
    form = parse_qs(call.body.decode("utf-8", errors="replace")) if call.body else {}
    for key, value in call.query.items():
        form.setdefault(key, [value])
    return {k: v[0] for k, v in form.items() if v}


def _denied(role_arn: str, why: str) -> Response:
    message = f"User: arn:aws:sts::sandbox:caller is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    body = shapes.query_error_xml("AccessDenied", f"{message} ({why})", request_id())
    return Response(body, status=403, content_type="text/xml")


def _external_ids(trust: Any) -> list[str]:
    """The ExternalId values a trust policy requires (StringEquals / StringLike on sts:ExternalId)."""
    if isinstance(trust, str):
        try:
            trust = json.loads(unquote(trust))
        except ValueError:
            return []
    if not isinstance(trust, dict):
        return []
    statements = trust.get("Statement") or []
    wanted: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        for operator in ("StringEquals", "StringLike"):
            block = (statement.get("Condition") or {}).get(operator) or {}
            for key, value in block.items():
                if key.lower() == "sts:externalid":
                    wanted.extend(value if isinstance(value, list) else [value])
    return [str(v) for v in wanted]


def handle(call: Call) -> Any:
    """Refuse AssumeRole for a missing role or a missing/wrong ExternalId; ``None`` lets moto answer."""
    form = _form(call)
    if form.get("Action") != "AssumeRole":
        return None
    role_arn = form.get("RoleArn", "")
    match = _ROLE_ARN.match(role_arn)
    if not match:
        return None  # moto validates the shape and answers with its own error
    partition, account_id, role_name = match.groups()
    from moto.iam.models import iam_backends

    roles = iam_backends[account_id][partition].roles.values()
    role = next((r for r in roles if r.name == role_name), None)
    if role is None:
        return _denied(role_arn, f"the role {role_name} does not exist in account {account_id}")
    required = _external_ids(role.assume_role_policy_document)
    if required and form.get("ExternalId") not in required:
        return _denied(role_arn, "the trust policy requires an sts:ExternalId that the request does not match")
    return None

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's own in-memory state (what moto does not keep), request/response helpers and page tokens.

One ``STATE`` object per server process. Handlers take ``STATE.lock`` while they read or change it;
moto keeps its own state (buckets, users, detectors, trails) and is reached in-process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from werkzeug.wrappers import Response

from sandbox import ACCOUNT_ID


class SeedError(ValueError):
    """A seed payload is invalid; the message names the item (``guardduty_findings[3]: missing "type"``)."""


class ApiError(Exception):
    """An AWS error answer; each handler module turns it into its protocol's error format."""

    def __init__(self, status: int, code: str, message: str, wire_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.wire_type = wire_type or code


@dataclass
class Call:
    """One incoming AWS request, body already buffered."""

    service: str
    region: str
    method: str
    path: str
    headers: Any
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "SerializationException", f"request body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "SerializationException", "request body must be a JSON object")
        return data


@dataclass
class DetectiveState:
    graphs: dict[str, dict[str, Any]] = field(default_factory=dict)  # graph arn -> graph record
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)  # entity arn -> behaviour
    investigations: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> investigation record
    counter: int = 0


@dataclass
class SandboxState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    # region -> finding id -> finding in wire (camelCase) shape; insertion order is the default order
    findings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # CloudTrail management records (as in log files), served by LookupEvents
    cloudtrail_events: list[dict[str, Any]] = field(default_factory=list)
    detective: DetectiveState = field(default_factory=DetectiveState)
    # SimulatePrincipalPolicy rules, in seed order
    iam_simulations: list[dict[str, Any]] = field(default_factory=list)
    log_files_written: list[str] = field(default_factory=list)
    sample_counter: int = 0

    def reset(self) -> None:
        with self.lock:
            self.findings.clear()
            self.cloudtrail_events.clear()
            self.detective = DetectiveState()
            self.iam_simulations.clear()
            self.log_files_written.clear()
            self.sample_counter = 0

    def summary(self) -> dict[str, int]:
        with self.lock:
            return {
                "guardduty_findings": sum(len(v) for v in self.findings.values()),
                "cloudtrail_events": len(self.cloudtrail_events),
                "detective_graphs": len(self.detective.graphs),
                "detective_investigations": len(self.detective.investigations),
                "iam_simulations": len(self.iam_simulations),
                "log_files_written": len(self.log_files_written),
            }


STATE = SandboxState()


def request_id() -> str:
    return str(uuid.uuid4())


def json_response(status: int, body: Any, content_type: str = "application/json", headers: Any = None) -> Response:
    resp = Response(json.dumps(body, separators=(",", ":")), status=status, content_type=content_type)
    resp.headers["x-amzn-RequestId"] = request_id()
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def rest_json_error(err: ApiError, message_key: str = "message") -> Response:
    """REST-JSON error: botocore reads the code from ``x-amzn-ErrorType`` (header wins over ``__type``)."""
    return json_response(
        err.status,
        {"__type": err.wire_type, message_key: err.message},
        headers={"x-amzn-ErrorType": err.code},
    )


def json11_error(err: ApiError) -> Response:
    """JSON 1.1 error: ``{"__type": code, "message": ...}``."""
    return json_response(err.status, {"__type": err.code, "message": err.message}, "application/x-amz-json-1.1")


def params_digest(params: Any) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def make_token(offset: int, params: Any) -> str:
    """An opaque page token bound to the request parameters it was issued for."""
    raw = json.dumps({"o": offset, "p": params_digest(params)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(token: str | None, params: Any) -> int | None:
    """Offset of ``token``; ``None`` if it is malformed or was issued for other parameters."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        return None
    if data.get("p") != params_digest(params) or offset < 0:
        return None
    return offset


def account_id() -> str:
    return ACCOUNT_ID

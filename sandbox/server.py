# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's WSGI application: the APIs moto lacks, control endpoints, and moto for everything else.

The service of a request is read from its SigV4 credential scope (``Credential=AK/20260101/<region>/
<service>/aws4_request``), as moto's own dispatcher does. GuardDuty findings, CloudTrail LookupEvents,
Detective and IAM SimulatePrincipalPolicy are answered here; every other request goes, body intact,
to moto's ``DomainDispatcherApplication`` in the same process, so both sides share one state.

Control endpoints (JSON): ``GET /_sandbox/health``, ``POST /_sandbox/reset``, ``POST /_sandbox/seed``.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sys
from typing import Any

# moto reads this when its IAM backend is built: AWS-managed policies (AWSDenyAll ...) must exist.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wrappers import Response

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import cloudtrail
from sandbox import detective
from sandbox import guardduty
from sandbox import iam_simulate
from sandbox import shapes
from sandbox import sts_guard
from sandbox import trail_logs
from sandbox.state import STATE
from sandbox.state import Call
from sandbox.state import SeedError
from sandbox.state import json_response

SEED_KEYS = (
    "guardduty_findings",
    "cloudtrail_events",
    "detective",
    "iam_simulations",
    "athena_query_results",
    "log_file_options",
)
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_HANDLERS = {
    "guardduty": guardduty.handle,
    "cloudtrail": cloudtrail.handle,
    "detective": detective.handle,
    "iam": iam_simulate.handle,
    "sts": sts_guard.handle,
}


def credential_scope(environ: dict[str, Any]) -> tuple[str | None, str]:
    """(service, region) from the SigV4 ``Authorization`` header, or (None, default region)."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(2).lower(), match.group(1)
    return None, REGION


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


# --------------------------------------------------------------------------- seeding
def _prepare_log_options(options: Any) -> dict[str, Any]:
    if options is None:
        return {"records_per_file": None, "include_management_events": False}
    if not isinstance(options, dict):
        raise SeedError("log_file_options: expected an object")
    unknown = set(options) - {"records_per_file", "include_management_events"}
    if unknown:
        raise SeedError(f"log_file_options: unknown keys {sorted(unknown)}")
    per_file = options.get("records_per_file")
    if per_file is not None and (isinstance(per_file, bool) or not isinstance(per_file, int) or per_file < 1):
        raise SeedError("log_file_options.records_per_file: expected a whole number >= 1")
    include = options.get("include_management_events", False)
    if not isinstance(include, bool):
        raise SeedError("log_file_options.include_management_events: expected true or false")
    return {"records_per_file": per_file, "include_management_events": include}


def _prepare_athena(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise SeedError("athena_query_results: expected a list of {rows, column_info} objects")
    row_shape, column_shape = shapes.shape("athena", "Row"), shapes.shape("athena", "ColumnInfo")
    out = []
    for i, item in enumerate(items):
        where = f"athena_query_results[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("rows"), list):
            raise SeedError(f'{where}: missing "rows" (a list of {{"Data": [{{"VarCharValue": ...}}]}})')
        try:
            rows = [
                shapes.to_wire(row_shape, r, protocol="json", path=f"rows[{j}]") for j, r in enumerate(item["rows"])
            ]
            columns = [
                shapes.to_wire(column_shape, c, protocol="json", path=f"column_info[{j}]")
                for j, c in enumerate(item.get("column_info") or [])
            ]
        except shapes.ShapeError as exc:
            raise SeedError(f"{where}.{exc}") from None
        region = item.get("region", REGION)
        if not isinstance(region, str):
            raise SeedError(f'{where}: "region" must be a string')
        out.append({"rows": rows, "column_info": columns, "region": region})
    return out


def seed(payload: Any) -> dict[str, Any]:
    """Validate the whole payload, then apply it; on any error raise SeedError and change nothing."""
    if not isinstance(payload, dict):
        raise SeedError("seed payload: expected a JSON object")
    unknown = sorted(set(payload) - set(SEED_KEYS))
    if unknown:
        raise SeedError(f"seed payload: unknown keys {unknown} (allowed: {', '.join(SEED_KEYS)})")
    with STATE.lock:
        findings = guardduty.prepare(payload["guardduty_findings"]) if "guardduty_findings" in payload else []
        records = cloudtrail.prepare(payload["cloudtrail_events"]) if "cloudtrail_events" in payload else []
        options = _prepare_log_options(payload.get("log_file_options"))
        to_files = [
            (i, r)
            for i, r in enumerate(records)
            if r["eventCategory"] == "Data"
            or (options["include_management_events"] and r["eventCategory"] == "Management")
        ]
        files = trail_logs.plan(to_files, trail_logs.moto_trails(), records_per_file=options["records_per_file"])
        trail_logs.check_buckets(files)
        detective_plan = detective.prepare(payload["detective"]) if "detective" in payload else None
        rules = iam_simulate.prepare(payload["iam_simulations"]) if "iam_simulations" in payload else []
        athena = _prepare_athena(payload["athena_query_results"]) if "athena_query_results" in payload else []

        written = trail_logs.write(files)
        STATE.log_files_written.extend(written)
        guardduty.apply(findings)
        cloudtrail.apply(records)
        if detective_plan is not None:
            detective.apply(detective_plan)
        iam_simulate.apply(rules)
        if athena:
            from moto.moto_api._internal.models import moto_api_backend

            for result in athena:
                moto_api_backend.set_athena_result(
                    rows=result["rows"],
                    column_info=result["column_info"],
                    account_id=ACCOUNT_ID,
                    region=result["region"],
                )
    return {
        "status": "seeded",
        "applied": {
            "guardduty_findings": len(findings),
            "cloudtrail_events": len(records),
            "cloudtrail_data_events": sum(1 for r in records if r["eventCategory"] == "Data"),
            "detective_graphs": len(detective_plan["graphs"]) if detective_plan else 0,
            "detective_entities": len(detective_plan["entities"]) if detective_plan else 0,
            "detective_investigations": len(detective_plan["investigations"]) if detective_plan else 0,
            "iam_simulations": len(rules),
            "athena_query_results": len(athena),
        },
        "log_files": written,
        "detectors": {f["region"]: f["service"]["detectorId"] for f in findings},
    }


def reset() -> None:
    """Forget the sandbox's own state and all of moto's."""
    from moto.moto_api._internal.models import moto_api_backend

    with STATE.lock:
        STATE.reset()
        moto_api_backend.reset()


# --------------------------------------------------------------------------- WSGI
class SandboxApp:
    """WSGI app: control endpoints, the emulated APIs, then moto."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication
        from moto.moto_server.werkzeug_app import create_backend_app

        from sandbox import moto_patches

        moto_patches.apply()
        self.moto = DomainDispatcherApplication(create_backend_app)

    def control(self, method: str, path: str, body: bytes) -> Response:
        if path == "/_sandbox/health" and method == "GET":
            return json_response(
                200, {"status": "ok", "account_id": ACCOUNT_ID, "region": REGION, "state": STATE.summary()}
            )
        if path == "/_sandbox/reset" and method == "POST":
            reset()
            return json_response(200, {"status": "reset"})
        if path == "/_sandbox/seed" and method == "POST":
            try:
                payload = json.loads(body or b"{}")
            except ValueError as exc:
                return json_response(400, {"message": f"seed payload is not valid JSON: {exc}"})
            try:
                return json_response(200, seed(payload))
            except SeedError as exc:
                return json_response(400, {"message": str(exc)})
        return json_response(404, {"message": f"no sandbox control endpoint {method} {path}"})

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_sandbox/"):
            return self.control(method, path, body)(environ, start_response)
        service, region = credential_scope(environ)
        handler = _HANDLERS.get(service or "")
        if handler is not None:
            call = Call(
                service=service or "",
                region=region,
                method=method,
                path=path,
                headers=EnvironHeaders(environ),
                body=body,
                query=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
            )
            response = handler(call)
            if response is not None:
                return response(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
        return self.moto(environ, start_response)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 picks a free one); raises OSError if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def make_server(host: str, port: int, *, verbose: bool = False) -> Any:
    """A threaded werkzeug server for :class:`SandboxApp`; raises OSError if the port is taken.

    The socket is bound here rather than by werkzeug, which would print its own advice and exit.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as _make_server

    class Handler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    sock = bind(host, port)
    try:
        server = _make_server(
            host, sock.getsockname()[1], SandboxApp(), threaded=True, request_handler=Handler, fd=sock.fileno()
        )
    finally:
        sock.close()  # werkzeug holds its own duplicate of the descriptor
    server.daemon_threads = True
    return server


def serve(host: str, port: int, *, verbose: bool = False) -> None:
    """Serve until killed; the first stdout line is ``sandbox listening on http://HOST:PORT``."""
    server = make_server(host, port, verbose=verbose)
    print(f"sandbox listening on http://{host}:{server.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        sys.stdout.flush()

"""boto3 clients and control calls against a running sandbox.

Used by the scenarios, the CLI and the tests. The S3 Control fix mirrors what the collection's own
client factory does for custom endpoints: botocore prefixes the account id to the host
(``123456789012.127.0.0.1``), which cannot resolve locally, so the prefix is stripped before signing.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import boto3
import botocore.config

from sandbox import ACCOUNT_ID
from sandbox import REGION

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_ACCOUNT_PREFIX = re.compile(r"^(https?://)\d{12}\.")


def _strip_account_prefix(request: Any, **_: Any) -> None:
    request.url = _ACCOUNT_PREFIX.sub(r"\1", request.url)


def client(endpoint: str, service: str, region: str = REGION, **config: Any) -> Any:
    """A boto3 client for ``service`` that talks to the sandbox at ``endpoint``."""
    cfg = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}, **config)
    c = boto3.session.Session(region_name=region, **CREDENTIALS).client(service, endpoint_url=endpoint, config=cfg)
    if service == "s3control":
        c.meta.events.register("before-sign.s3-control.*", _strip_account_prefix)
    return c


def client_env(endpoint: str, region: str = REGION) -> dict[str, str]:
    """Environment variables that point boto3 (and so ansible-playbook) at the sandbox."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "SANDBOX_ACCOUNT_ID": ACCOUNT_ID,
    }


class ControlError(RuntimeError):
    """The sandbox refused a control request (reset, seed); the message says why."""


def _post(endpoint: str, path: str, payload: Any = None, timeout: float = 120.0) -> Any:
    data = json.dumps(payload if payload is not None else {}).encode()
    req = urllib.request.Request(
        endpoint.rstrip("/") + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        try:
            detail = json.loads(detail).get("message", detail)
        except ValueError:
            pass
        raise ControlError(f"sandbox {path} failed ({exc.code}): {detail}") from exc
    except urllib.error.URLError as exc:
        raise ControlError(f"sandbox not reachable at {endpoint}: {exc.reason}") from exc
    return json.loads(body) if body else {}


def reset(endpoint: str) -> Any:
    """Forget everything: moto's state and the sandbox's own (findings, events, Detective, simulations)."""
    return _post(endpoint, "/_sandbox/reset")


def seed(endpoint: str, payload: dict[str, Any]) -> Any:
    """Load findings, CloudTrail records, Detective data ... (see sandbox/README.md for the format)."""
    return _post(endpoint, "/_sandbox/seed", payload)

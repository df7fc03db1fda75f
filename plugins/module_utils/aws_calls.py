# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client-agnostic helpers for AWS calls, with no Ansible imports (so pure module_utils can use them with fakes).

``aws.py`` re-exports them for modules.
"""

from __future__ import annotations

from typing import Any


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_error(exc: BaseException, *codes: str) -> bool:
    return error_code(exc) in codes


def describe_client_error(exc: BaseException) -> str:
    """'Code: message' of a botocore error, for per-item error reports."""
    code = error_code(exc)
    message = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        message = str(response.get("Error", {}).get("Message", ""))
    if code:
        return f"{code}: {message}" if message else code
    return str(exc)


def call(client: Any, operation: str, **params: Any) -> Any:
    """Call ``operation``, with retries when ``client`` is amazon.aws's retrying wrapper (``.client`` + ``.retry``)."""
    method = getattr(client, operation)
    if hasattr(client, "retry") and hasattr(client, "client"):
        return method(aws_retry=True, **params)
    return method(**params)

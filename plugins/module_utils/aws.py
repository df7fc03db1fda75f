# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS access shared by every cloudsec.s3 module.

* ``client(module, service)``: a boto3 client from ``AnsibleAWSModule`` (credentials, region, profile and
  ``endpoint_url`` handled exactly as amazon.aws does) wrapped so that calls made with ``aws_retry=True`` are
  retried with jittered exponential backoff on throttling and transient errors.
* ``paginate(client, operation, **params)``: the full result of a paginated call, retried as a whole
  (amazon.aws's wrapper never retries paginators by itself).
* the S3 Control endpoint fix: botocore puts the account id in front of the host (``123456789012.<host>``), which
  only resolves on real AWS. For a custom endpoint (sandbox, VPC endpoint URL …) the prefix is stripped before
  signing; on AWS's own endpoints nothing changes.
* error conventions: ``error_code(exc)`` and ``is_error(exc, *codes)`` for expected errors handled by code;
  ``CloudsecError`` for failures whose message names the bad input (bucket, principal, option).
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import urlparse

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports missing botocore itself

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Re-exported: modules import every AWS helper from here; pure module_utils import them from aws_calls directly.
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import call  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import describe_client_error  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import error_code  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import is_error  # noqa: F401  # pylint: disable=unused-import

# Error codes retried on top of amazon.aws's list (Throttling, RequestLimitExceeded, ServiceUnavailable …).
RETRY_ERROR_CODES = [
    "SlowDown",
    "ThrottlingException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "OperationAborted",
    "InternalServerException",
    "InternalServerErrorException",
    "ServiceUnavailableException",
    "EC2ThrottledException",
]

DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=RETRY_ERROR_CODES)

_ACCOUNT_HOST_PREFIX = re.compile(r"^(https?://)\d{12}\.")
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")


class CloudsecError(Exception):
    """A failure whose message is meant for the person running the play (names the bucket, principal, option)."""

    def __init__(self, message: str, *, exception: BaseException | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.exception = exception
        self.details = details


def is_custom_endpoint(endpoint_url: str | None) -> bool:
    """True when ``endpoint_url`` is not one of AWS's own public endpoints."""
    if not endpoint_url:
        return False
    host = (urlparse(endpoint_url).hostname or "").lower()
    return not host.endswith(_AWS_HOST_SUFFIXES)


def _strip_account_prefix(request: Any, **_: Any) -> None:
    request.url = _ACCOUNT_HOST_PREFIX.sub(r"\1", request.url)


def fix_s3control_endpoint(raw_client: Any) -> Any:
    """Make an S3 Control client work against a custom endpoint (see module docstring)."""
    if is_custom_endpoint(raw_client.meta.endpoint_url):
        raw_client.meta.events.register("before-sign.s3-control.*", _strip_account_prefix)
    return raw_client


def client(module: Any, service: str, retry_decorator: Any = None, **extra_params: Any) -> Any:
    """A retrying boto3 client built from the module's AWS options."""
    wrapped = module.client(service, retry_decorator=retry_decorator or DEFAULT_RETRY, **extra_params)
    if service == "s3control":
        fix_s3control_endpoint(wrapped.client)
    return wrapped


def raw_client(wrapped: Any) -> Any:
    """The plain boto3 client inside amazon.aws's RetryingBotoClientWrapper (or the client itself)."""
    return getattr(wrapped, "client", wrapped)


@DEFAULT_RETRY
def paginate(wrapped_client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Full result of a paginated operation; the whole pagination is retried on throttling."""
    paginator = raw_client(wrapped_client).get_paginator(operation)
    return paginator.paginate(**params).build_full_result()


def paginate_tokens(
    wrapped_client: Any,
    operation: str,
    result_key: str,
    *,
    token_in: str = "NextToken",
    token_out: str = "NextToken",
    **params: Any,
) -> list[Any]:
    """Pagination by hand for operations botocore has no paginator for (Detective, S3 Control access points)."""
    items: list[Any] = []
    method = getattr(wrapped_client, operation)
    while True:
        page = method(aws_retry=True, **params)
        items.extend(page.get(result_key) or [])
        token = page.get(token_out)
        if not token:
            return items
        params[token_in] = token


def caller_identity(sts_client: Any) -> dict[str, str]:
    """Account, ARN and user id of the credentials in use."""
    ident = sts_client.get_caller_identity(aws_retry=True)
    return {"account_id": ident["Account"], "arn": ident["Arn"], "user_id": ident["UserId"]}


def jsonable(value: Any) -> Any:
    """Datetimes to ISO-8601 strings (UTC, 'Z'), bytes to text, recursively: safe for exit_json."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def botocore_errors() -> tuple[type[BaseException], ...]:
    """The botocore exception types a module should catch around AWS calls."""
    return (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input validation done before any AWS call, with messages that name the bad value (pure Python)."""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:.+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: Any) -> str | None:
    """Why ``name`` is not a valid general purpose S3 bucket name, or None when it is.

    Rules from the S3 user guide, "General purpose bucket naming rules".
    """
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not 3 <= len(name) <= 63:
        return f"must be 3 to 63 characters long, it has {len(name)}"
    if not _BUCKET_CHARS.match(name):
        return "may contain only lowercase letters, digits, dots (.) and hyphens (-)"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a lowercase letter or a digit"
    if ".." in name:
        return "must not contain two adjacent dots"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "must not be formatted as an IP address"
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with the reserved prefix {prefix!r}"
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with the reserved suffix {suffix!r}"
    return None


def validate_bucket_name(name: object, option: str = "bucket") -> str:
    problem = bucket_name_problem(name)
    if problem:
        raise ValueError(f"Invalid bucket name {name!r} in {option}: {problem}")
    return name  # type: ignore[return-value]


def validate_bucket_names(names: Iterable[object], option: str = "buckets") -> list[str]:
    """Validated, de-duplicated names in their original order."""
    seen: dict[str, None] = {}
    for name in names:
        seen[validate_bucket_name(name, option)] = None
    return list(seen)


def validate_arn(value: object, option: str = "principal") -> str:
    if not isinstance(value, str) or not _ARN.match(value):
        raise ValueError(f"Invalid ARN {value!r} in {option}: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")
    return value


def validate_account_id(value: object, option: str = "account_id") -> str:
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        raise ValueError(f"Invalid AWS account id {value!r} in {option}: expected 12 digits")
    return value


def parse_aware_time(value: object, option: str) -> datetime.datetime:
    """An ISO-8601 time with a time zone, as UTC; ValueError naming ``option`` otherwise."""
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ValueError(f"{option} {value!r} is not an ISO 8601 date and time such as 2026-11-01T08:00:00Z") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{option} {value!r} has no time zone; add Z or an offset such as +00:00")
    return moment.astimezone(datetime.timezone.utc)

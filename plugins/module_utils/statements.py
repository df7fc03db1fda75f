# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Builders of the standard S3 bucket-policy statements of the hardening baseline (pure Python).

Every builder returns one statement in the normalised shape of ``policy.py`` (lists everywhere, condition values as
text), with a fixed default ``Sid`` so that ``policy.merge_statements`` can add, compare and remove it by Sid without
touching the owner's other statements. Each takes the bucket name (or its ARN) and raises ``ValueError`` naming the
bad input. The same functions are exposed as Jinja filters by ``plugins/filter/policy_statements.py``.

Condition keys (S3 User Guide, "Bucket policy examples" and "Amazon S3 condition keys"):

* ``aws:SecureTransport`` (Bool) - deny plain HTTP.
* ``s3:TlsVersion`` (Numeric) - deny TLS older than a version.
* ``s3:signatureversion`` (String) - ``AWS4-HMAC-SHA256`` is SigV4; deny everything else (SigV2, anonymous).
* ``s3:signatureAge`` (Numeric, milliseconds) - deny presigned / signed requests older than a limit.
* ``aws:SourceVpce`` (String) + ``aws:PrincipalArn`` (ARN) - deny outside named VPC endpoints, except responders.
* ``aws:PrincipalOrgID`` (String) - deny principals outside an organization (AWS service principals excepted).
* ``s3:DataAccessPointAccount`` (String) - delegate access control to the account's access points.

Sids starting with ``CloudsecQuarantine`` belong to the containment step; :func:`check_not_protected` refuses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

SIGV4 = "AWS4-HMAC-SHA256"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
PROTECTED_SID_PREFIXES = ("CloudsecQuarantine",)

SID_TLS_ONLY = "CloudsecDenyInsecureTransport"
SID_MIN_TLS = "CloudsecDenyOutdatedTls"
SID_SIGV4_ONLY = "CloudsecDenyNonSigV4"
SID_SIGNATURE_AGE = "CloudsecDenyOldSignatures"
SID_VPCE_ONLY = "CloudsecDenyOutsideVpce"
SID_ORG_ONLY = "CloudsecDenyOutsideOrganization"
SID_ACCESS_POINTS = "CloudsecDelegateToAccessPoints"

_VPCE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_TLS = re.compile(r"^1\.[0-3]$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):[A-Za-z0-9+=,.@_/*?-]+$")
_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_resources(bucket: str) -> list[str]:
    """``[bucket ARN, bucket ARN/*]`` from a bucket name or bucket ARN (ValueError naming a bad one)."""
    if not isinstance(bucket, str):
        raise ValueError(f"bucket must be a bucket name or ARN, got {type(bucket).__name__}")
    match = _BUCKET_ARN.match(bucket)
    if match:
        arn = bucket
        name = match.group(1)
    else:
        name = bucket
        arn = f"arn:aws:s3:::{bucket}"
    if not _BUCKET.match(name):
        raise ValueError(f"Invalid bucket name {bucket!r}: expected an S3 bucket name or arn:aws:s3:::NAME")
    return [arn, f"{arn}/*"]


def _deny(bucket: str, sid: str, condition: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:*"],
        "Resource": bucket_resources(bucket),
        "Condition": condition,
    }


def _as_list(value: str | Iterable[str] | None, option: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{option} must be a list of strings, got an item of type {type(item).__name__}")
    return list(dict.fromkeys(items))


def _principal_arns(value: str | Iterable[str] | None, option: str) -> list[str]:
    arns = _as_list(value, option)
    for arn in arns:
        if not _PRINCIPAL_ARN.match(arn):
            raise ValueError(
                f"Invalid principal ARN {arn!r} in {option}: expected arn:aws:iam::ACCOUNT:role/NAME, "
                "arn:aws:iam::ACCOUNT:user/NAME or arn:aws:iam::ACCOUNT:root"
            )
    return arns


def tls_only(bucket: str, sid: str = SID_TLS_ONLY) -> dict[str, Any]:
    """Deny every request not made over TLS (FSBP S3.5, CIS 2.1.1)."""
    return _deny(bucket, sid, {"Bool": {"aws:SecureTransport": ["false"]}})


def min_tls_version(bucket: str, version: str | float = "1.2", sid: str = SID_MIN_TLS) -> dict[str, Any]:
    """Deny requests made with a TLS version older than ``version`` (``"1.2"`` or ``"1.3"``)."""
    text = str(version)
    if not _TLS.match(text):
        raise ValueError(f"Invalid minimum TLS version {version!r}: expected '1.2' or '1.3'")
    return _deny(bucket, sid, {"NumericLessThan": {"s3:TlsVersion": [text]}})


def sigv4_only(bucket: str, sid: str = SID_SIGV4_ONLY) -> dict[str, Any]:
    """Deny requests not signed with Signature Version 4 (SigV2 and unsigned requests)."""
    return _deny(bucket, sid, {"StringNotEquals": {"s3:signatureversion": [SIGV4]}})


def signature_age(bucket: str, max_age_seconds: int, sid: str = SID_SIGNATURE_AGE) -> dict[str, Any]:
    """Deny requests whose signature is older than ``max_age_seconds`` (caps presigned-URL lifetime).

    ``s3:signatureAge`` is in milliseconds; the value written is ``max_age_seconds * 1000``.
    """
    if isinstance(max_age_seconds, bool) or not isinstance(max_age_seconds, int):
        try:
            max_age_seconds = int(str(max_age_seconds))
        except ValueError:
            raise ValueError(f"Invalid maximum signature age {max_age_seconds!r}: expected whole seconds") from None
    if not 1 <= max_age_seconds <= MAX_PRESIGN_SECONDS:
        raise ValueError(
            f"Invalid maximum signature age {max_age_seconds}: must be between 1 and {MAX_PRESIGN_SECONDS} seconds"
        )
    return _deny(bucket, sid, {"NumericGreaterThan": {"s3:signatureAge": [str(max_age_seconds * 1000)]}})


def vpce_only(
    bucket: str,
    vpce_ids: str | Iterable[str],
    exempt_principals: str | Iterable[str],
    sid: str = SID_VPCE_ONLY,
) -> dict[str, Any]:
    """Deny requests that do not come through one of ``vpce_ids``, except from ``exempt_principals``.

    The exception (``ArnNotLike aws:PrincipalArn``) keeps responders and administrators able to reach the bucket
    from outside the VPC, so the owner cannot lock themselves out; at least one exempt principal is required.
    """
    ids = _as_list(vpce_ids, "vpce_ids")
    if not ids:
        raise ValueError("vpce_ids must name at least one VPC endpoint (vpce-...)")
    for vpce in ids:
        if not _VPCE.match(vpce):
            raise ValueError(f"Invalid VPC endpoint id {vpce!r} in vpce_ids: expected vpce- followed by hex digits")
    exempt = _principal_arns(exempt_principals, "exempt_principals")
    if not exempt:
        raise ValueError(
            "exempt_principals must name at least one responder or administrator ARN, "
            "otherwise the statement locks everyone outside the VPC endpoints out, the owner included"
        )
    return _deny(
        bucket,
        sid,
        {"StringNotEquals": {"aws:SourceVpce": ids}, "ArnNotLike": {"aws:PrincipalArn": exempt}},
    )


def org_only(
    bucket: str,
    org_id: str,
    exempt_principals: str | Iterable[str] | None = None,
    sid: str = SID_ORG_ONLY,
) -> dict[str, Any]:
    """Deny principals outside organization ``org_id`` (AWS service principals such as log delivery excepted)."""
    if not isinstance(org_id, str) or not _ORG.match(org_id):
        raise ValueError(f"Invalid organization id {org_id!r}: expected o- followed by 10 to 32 letters or digits")
    condition: dict[str, dict[str, list[str]]] = {
        "StringNotEquals": {"aws:PrincipalOrgID": [org_id]},
        "BoolIfExists": {"aws:PrincipalIsAWSService": ["false"]},
    }
    exempt = _principal_arns(exempt_principals, "exempt_principals")
    if exempt:
        condition["ArnNotLike"] = {"aws:PrincipalArn": exempt}
    return _deny(bucket, sid, condition)


def access_point_delegation(bucket: str, account_id: str, sid: str = SID_ACCESS_POINTS) -> dict[str, Any]:
    """Allow any request made through an access point owned by ``account_id`` (the access point's policy decides)."""
    if not isinstance(account_id, str) or not _ACCOUNT.match(account_id):
        raise ValueError(f"Invalid AWS account id {account_id!r}: expected 12 digits")
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": ["*"]},
        "Action": ["*"],
        "Resource": bucket_resources(bucket),
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": [account_id]}},
    }


# control name (as used by the baseline) -> Sid of its statement
STATEMENT_CONTROLS: dict[str, str] = {
    "policy_tls_only": SID_TLS_ONLY,
    "policy_min_tls_version": SID_MIN_TLS,
    "policy_sigv4_only": SID_SIGV4_ONLY,
    "policy_signature_age": SID_SIGNATURE_AGE,
    "policy_vpce_only": SID_VPCE_ONLY,
    "policy_org_only": SID_ORG_ONLY,
    "policy_access_point_delegation": SID_ACCESS_POINTS,
}


def baseline_statements(bucket: str, spec: Mapping[str, Any], account_id: str | None = None) -> dict[str, dict]:
    """The statements a baseline ``spec`` asks for, keyed by control name (see ``STATEMENT_CONTROLS``).

    ``spec`` keys (all optional): ``tls_only`` (bool), ``min_tls_version`` (str), ``sigv4_only`` (bool),
    ``max_signature_age`` (seconds), ``vpce_ids`` + ``exempt_principals``, ``org_id`` (+ ``exempt_principals``),
    ``access_point_delegation`` (bool; needs ``account_id``).
    """
    out: dict[str, dict] = {}
    exempt = spec.get("exempt_principals") or []
    if spec.get("tls_only"):
        out["policy_tls_only"] = tls_only(bucket)
    if spec.get("min_tls_version"):
        out["policy_min_tls_version"] = min_tls_version(bucket, spec["min_tls_version"])
    if spec.get("sigv4_only"):
        out["policy_sigv4_only"] = sigv4_only(bucket)
    if spec.get("max_signature_age"):
        out["policy_signature_age"] = signature_age(bucket, spec["max_signature_age"])
    if spec.get("vpce_ids"):
        out["policy_vpce_only"] = vpce_only(bucket, spec["vpce_ids"], exempt)
    if spec.get("org_id"):
        out["policy_org_only"] = org_only(bucket, spec["org_id"], exempt)
    if spec.get("access_point_delegation"):
        if not account_id:
            raise ValueError("access_point_delegation needs the account id")
        out["policy_access_point_delegation"] = access_point_delegation(bucket, account_id)
    return out


def check_not_protected(sids: Iterable[str], prefixes: Iterable[str] = PROTECTED_SID_PREFIXES) -> None:
    """ValueError when a Sid to be written or removed belongs to the containment step (``CloudsecQuarantine*``)."""
    prefixes = tuple(prefixes)
    for sid in sids:
        if isinstance(sid, str) and sid.startswith(prefixes):
            raise ValueError(
                f"Statement Sid {sid!r} belongs to the containment step (prefix {', '.join(prefixes)}); "
                "it is managed by cloudsec.s3.s3_bucket_quarantine and is never changed by the baseline"
            )


def signature_age_limit(policy: Mapping[str, Any] | None) -> int | None:
    """The tightest presigned-URL age (seconds) a bucket policy allows through its ``s3:signatureAge`` denies.

    Looks at unconditional-enough Deny statements: ``NumericGreaterThan`` N ms gives N // 1000 seconds,
    ``NumericGreaterThanEquals`` N ms gives (N - 1) // 1000. ``None`` when the policy sets no such limit.
    """
    if not policy:
        return None
    limit: int | None = None
    for statement in policy.get("Statement") or []:
        if statement.get("Effect") != "Deny":
            continue
        for operator, block in (statement.get("Condition") or {}).items():
            base = operator.replace("IfExists", "")
            if base not in ("NumericGreaterThan", "NumericGreaterThanEquals"):
                continue
            for key, values in block.items():
                if key.lower() != "s3:signatureage":
                    continue
                for value in values if isinstance(values, list) else [values]:
                    try:
                        millis = int(float(str(value)))
                    except ValueError:
                        continue
                    seconds = (millis - 1) // 1000 if base == "NumericGreaterThanEquals" else millis // 1000
                    limit = seconds if limit is None else min(limit, seconds)
    return limit

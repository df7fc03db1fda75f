# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fast scanner for CloudTrail trail log files (pure Python, no Ansible imports).

CloudTrail delivers S3 data events only as gzipped ``{"Records": [...]}`` files in the trail's bucket. This
module finds the files of a time window (:func:`list_log_keys`, :func:`prune_keys`), reads them from local
paths or from S3 through a caller-supplied ``fetch(key) -> bytes``, and answers "who did what to this
bucket" (:func:`scan`): the matching events, normalised; a summary per actor; counts per
(principal, source IP, event name); and statistics that say what was read, skipped and why.

Speed: gzip through ISA-L (``isal``), decompressed into one buffer of the size the gzip trailer announces,
and JSON through ``msgspec`` typed structs that hold only the fields used here, when those wheels are
installed (the standard library otherwise); local files go to a process pool in runs of contiguous files,
each worker merging its run and sending back one set of aggregates and at most ``max_events`` events; a
file whose bytes do not contain the bucket name is not JSON-decoded at all. S3 objects are fetched by a
thread pool and fed to the process pool one by one as they arrive, in memory.

Robustness: corrupt or truncated gzip, invalid JSON, files that are not CloudTrail, records that are not
objects or lack fields, malformed source IPs: each is counted and reported in ``stats``; a bad file never
stops the scan. Bad arguments raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import multiprocessing
import os
import re
import time
from bisect import bisect_right
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from itertools import accumulate
from operator import itemgetter
from typing import Any

try:
    from isal import igzip as _igzip
    from isal import igzip_lib as _igzip_lib
except ImportError:  # pragma: no cover - exercised by forcing decoder="stdlib"
    _igzip = _igzip_lib = None

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised by forcing decoder="stdlib"
    msgspec = None

ANONYMOUS_PRINCIPAL = "ANONYMOUS_PRINCIPAL"
DEFAULT_MAX_EVENTS = 10_000
DEFAULT_SLACK = timedelta(hours=1)
DEFAULT_MARGIN = timedelta(days=1)
DEFAULT_FETCH_THREADS = 16
_CHUNKS_PER_WORKER = 4
_AGGREGATE_KEYS = frozenset(("actors", "groups", "contrib", "events"))

#: Reasons a file can be skipped, as reported in ``stats["skipped"][n]["reason"]``.
SKIP_REASONS = (
    "corrupt_gzip",
    "truncated_gzip",
    "invalid_json",
    "not_cloudtrail",
    "digest_file",
    "read_error",
    "fetch_failed",
    "scan_error",
)

_KEY_TIME = re.compile(r"_(\d{8}T\d{4})Z_")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_GZIP_MAGIC = b"\x1f\x8b"

_KINDS_BY_TYPE = {
    "IAMUser": "iam_user",
    "AssumedRole": "assumed_role",
    "Role": "assumed_role",
    "Root": "root",
    "FederatedUser": "federated",
    "SAMLUser": "federated",
    "WebIdentityUser": "federated",
    "IdentityCenterUser": "identity_center",
    "AWSAccount": "cross_account",
    "AWSService": "aws_service",
}


# --------------------------------------------------------------------------------------------- arguments


def _as_utc(value: datetime | str, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{name} {value!r} is not an ISO 8601 date and time") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime or an ISO 8601 string, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} has no time zone; give an aware datetime (UTC)")
    return value.astimezone(timezone.utc)


def _check_window(start: datetime | str, end: datetime | str, now: datetime | None = None) -> tuple[datetime, datetime]:
    start_dt = _as_utc(start, "start")
    end_dt = _as_utc(end, "end")
    if end_dt < start_dt:
        raise ValueError(f"window end {end_dt.isoformat()} is before window start {start_dt.isoformat()}")
    now = now or datetime.now(timezone.utc)
    if start_dt > now:
        raise ValueError(f"window start {start_dt.isoformat()} is in the future (now is {now.isoformat()})")
    return start_dt, end_dt


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_set(values: Iterable[str] | str | None, name: str) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    out = set()
    for v in values:
        if not isinstance(v, str) or not v:
            raise ValueError(f"{name} must be a list of non-empty strings, got {v!r}")
        out.add(v)
    return frozenset(out) if out else None


# --------------------------------------------------------------------------------------------- keys


def key_time(key: str) -> datetime | None:
    """The delivery time in a CloudTrail log file name (``..._20261101T1005Z_...``), or None."""
    m = _KEY_TIME.search(key.rsplit("/", 1)[-1])
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def is_log_key(key: str) -> bool:
    """True for a CloudTrail log file key; False for digest files, Insights files and anything else."""
    name = key.rsplit("/", 1)[-1]
    return (
        "/CloudTrail/" in f"/{key}"
        and "_CloudTrail_" in name
        and "CloudTrail-Digest" not in key
        and name.endswith((".json.gz", ".json"))
    )


def prune_keys(
    keys: Iterable[str],
    start: datetime | str,
    end: datetime | str,
    slack: timedelta = DEFAULT_SLACK,
) -> list[str]:
    """Keep the keys whose delivery timestamp can hold events of ``[start, end]``.

    A file holds events from before its delivery time, so keep delivery times in
    ``[start, end + slack]`` (``start`` taken to the minute, as file names are). Keys without a timestamp in
    their name are kept: nothing can be said about them.
    """
    start_dt = _as_utc(start, "start").replace(second=0, microsecond=0)
    end_dt = _as_utc(end, "end") + slack
    if slack < timedelta(0):
        raise ValueError(f"slack {slack} must not be negative")
    kept = []
    for key in keys:
        when = key_time(key)
        if when is None or start_dt <= when <= end_dt:
            kept.append(key)
    return kept


@dataclass
class LogKeyListing:
    """Keys found by :func:`list_log_keys`; iterate it or pass it straight to :func:`scan`."""

    keys: list[str]
    listed: int = 0
    pruned: int = 0
    ignored: int = 0
    prefixes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def _days(first: datetime, last: datetime) -> list[datetime]:
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=1)
    return out


def list_log_keys(
    list_fn: Callable[[str, str], Iterable[str | dict[str, Any]]],
    bucket_name_of_trail: str,
    prefix: str | None,
    account_ids: Iterable[str],
    regions: Iterable[str],
    start: datetime | str,
    end: datetime | str,
    margin: timedelta = DEFAULT_MARGIN,
    *,
    organization_id: str | None = None,
    slack: timedelta = DEFAULT_SLACK,
) -> LogKeyListing:
    """List the trail's log file keys for the window, one date folder at a time.

    ``list_fn(bucket, prefix)`` yields keys (strings, or ``list_objects_v2`` ``Contents`` items) under a
    prefix. Only the folders ``[<prefix>/]AWSLogs/[<organization_id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/``
    of the days from ``start - margin`` to ``end + margin`` are listed; digest and other non-log keys are
    ignored, and keys are pruned by their delivery timestamp with :func:`prune_keys`.
    """
    start_dt, end_dt = _check_window(start, end)
    if not isinstance(bucket_name_of_trail, str) or not bucket_name_of_trail:
        raise ValueError("bucket_name_of_trail must be the name of the trail's S3 bucket")
    accounts = [account_ids] if isinstance(account_ids, str) else list(account_ids or [])
    if not accounts:
        raise ValueError("account_ids must name at least one 12-digit AWS account id")
    for acct in accounts:
        if not isinstance(acct, str) or not _ACCOUNT_ID.match(acct):
            raise ValueError(f"account id {acct!r} is not a 12-digit AWS account id")
    region_list = [regions] if isinstance(regions, str) else list(regions or [])
    if not region_list:
        raise ValueError("regions must name at least one AWS Region")
    for region in region_list:
        if not isinstance(region, str) or not _REGION.match(region):
            raise ValueError(f"region {region!r} is not an AWS Region name such as us-east-1")
    if organization_id is not None and not _ORG_ID.match(organization_id):
        raise ValueError(f"organization_id {organization_id!r} is not an AWS Organizations id such as o-a1b2c3d4e5")
    if margin < timedelta(0):
        raise ValueError(f"margin {margin} must not be negative")

    base = f"{prefix.strip('/')}/AWSLogs/" if prefix and prefix.strip("/") else "AWSLogs/"
    if organization_id:
        base += f"{organization_id}/"
    listing = LogKeyListing(keys=[])
    days = _days(start_dt - margin, end_dt + max(margin, slack))
    candidates = []
    for acct in accounts:
        for region in region_list:
            for day in days:
                folder = f"{base}{acct}/CloudTrail/{region}/{day:%Y/%m/%d}/"
                listing.prefixes.append(folder)
                for item in list_fn(bucket_name_of_trail, folder):
                    key = item.get("Key") if isinstance(item, dict) else item
                    if not isinstance(key, str):
                        continue
                    listing.listed += 1
                    if not is_log_key(key):
                        listing.ignored += 1
                        continue
                    candidates.append(key)
    listing.keys = prune_keys(candidates, start_dt, end_dt, slack)
    listing.pruned = len(candidates) - len(listing.keys)
    return listing


# --------------------------------------------------------------------------------------------- decoding

if msgspec is not None:

    class _SessionIssuer(msgspec.Struct, gc=False):
        arn: str | None = None

    class _SessionContext(msgspec.Struct, gc=False):
        sessionIssuer: _SessionIssuer | None = None

    class _UserIdentity(msgspec.Struct, gc=False):
        type: str | None = None
        arn: str | None = None
        accountId: str | None = None
        accessKeyId: str | None = None
        invokedBy: str | None = None
        sessionContext: _SessionContext | None = None

    class _RequestParameters(msgspec.Struct, gc=False):
        bucketName: str | None = None
        key: str | None = None

    class _AdditionalData(msgspec.Struct, gc=False):
        SignatureVersion: str | None = None
        AuthenticationMethod: str | None = None
        bytesTransferredIn: int | float | None = None
        bytesTransferredOut: int | float | None = None

    class _TlsDetails(msgspec.Struct, gc=False):
        tlsVersion: str | None = None

    class _Record(msgspec.Struct, gc=False):
        eventTime: str | None = None
        eventSource: str | None = None
        eventName: str | None = None
        awsRegion: str | None = None
        sourceIPAddress: str | None = None
        userAgent: str | None = None
        userIdentity: _UserIdentity | None = None
        requestParameters: _RequestParameters | None = None
        additionalEventData: _AdditionalData | None = None
        errorCode: str | None = None
        requestID: str | None = None
        eventID: str | None = None
        readOnly: bool | str | None = None
        eventCategory: str | None = None
        managementEvent: bool | str | None = None
        recipientAccountId: str | None = None
        vpcEndpointId: str | None = None
        tlsDetails: _TlsDetails | None = None

    class _AnyObject(msgspec.Struct, gc=False):
        """Any JSON object, contents skipped."""

    class _Probe(msgspec.Struct, gc=False):
        """The fields that decide whether a record matches; a full _Record is decoded only for matches."""

        eventTime: str | None = None
        eventName: str | None = None
        userIdentity: _AnyObject | None = None
        requestParameters: _RequestParameters | None = None

    class _RawLog(msgspec.Struct, gc=False):
        Records: list[msgspec.Raw] | msgspec.UnsetType | None = msgspec.UNSET

    _RAW_LOG = msgspec.json.Decoder(_RawLog)
    _RECORD = msgspec.json.Decoder(_Record)
    _PROBE = msgspec.json.Decoder(_Probe)
    _GENERIC = msgspec.json.Decoder()


class _Skip(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# Deflate expands at most about 1032:1, so a gzip trailer claiming more than this is not believed.
_MAX_DEFLATE_RATIO = 1032


def _gunzip_sized(data: bytes) -> bytes | None:
    """``data`` decompressed in one call into a buffer of the size its gzip trailer announces, or None.

    The trailer's last 4 bytes (ISIZE) give the uncompressed size of the last member (mod 2**32). Allocating
    that much at once saves the repeated buffer growth of a plain decompress, and with it most of the page
    faults and copies: about a fifth of the CPU of decompressing a CloudTrail file. Only the common case is
    handled here, one member that fits the announced size; None (multi-member files, a wrong or absurd size,
    trailing bytes, any error) sends the caller to the general decompressor, which also classifies errors.
    """
    size = int.from_bytes(data[-4:], "little") + 1
    if len(data) < 18 or size > _MAX_DEFLATE_RATIO * len(data):
        return None
    try:
        member = _igzip_lib.IgzipDecompressor(flag=_igzip_lib.DECOMP_GZIP)
        out = member.decompress(data, size)
    except Exception:  # IsalError and the like: let the general path name the problem
        return None
    if not member.eof or member.unused_data:
        return None
    return out


def _decompress(data: bytes, fast: bool) -> bytes:
    """Decompress every gzip member of ``data`` (a log file may hold several); plain JSON passes through."""
    if data[:2] != _GZIP_MAGIC:
        if data.lstrip()[:1] == b"{":  # an already decompressed log file
            return data
        raise _Skip("corrupt_gzip", "not gzip data (bad magic bytes)")
    if fast and _igzip_lib is not None:
        out = _gunzip_sized(data)
        if out is not None:
            return out
    try:
        return _igzip.decompress(data) if fast and _igzip is not None else gzip.decompress(data)
    except EOFError:
        raise _Skip("truncated_gzip", f"gzip stream ends early ({len(data)} compressed bytes)") from None
    except Exception as exc:  # zlib.error, isal's IsalError, gzip.BadGzipFile
        raise _Skip("corrupt_gzip", f"gzip data is corrupt: {exc}") from None


# --------------------------------------------------------------------------------------------- per record


@dataclass(frozen=True)
class _Query:
    bucket: str
    bucket_bytes: bytes
    start: str
    end: str
    principals: frozenset[str] | None
    event_names: frozenset[str] | None
    access_key_ids: frozenset[str] | None
    source_ips: frozenset[str] | None
    networks: tuple[Any, ...]
    max_events: int
    fast_gzip: bool
    fast_json: bool
    prefilter: bool


def _canon_time(value: Any) -> str | None:
    """``eventTime`` as ``YYYY-MM-DDTHH:MM:SSZ`` (CloudTrail's own form), or None when it is not a time."""
    if not isinstance(value, str):
        return None
    if len(value) == 20 and value[10] == "T" and value[19] == "Z":
        return value
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return _iso(dt)


def _kind(ptype: str | None, account: str | None, arn: str | None, auth: str | None, recipient: str | None) -> str:
    if account == ANONYMOUS_PRINCIPAL:
        return "anonymous"
    if ptype == "AWSService":
        return "aws_service"
    if auth == "QueryString":
        return "presigned_url"
    if account and recipient and account != recipient:
        return "cross_account"
    if ptype is None and arn is None:
        return "unknown"
    return _KINDS_BY_TYPE.get(ptype or "", "unknown")


_IP_CACHE: dict[str, str] = {}


def ip_kind(value: str | None) -> str:
    """``ipv4``, ``ipv6``, ``aws_service`` (a service name such as ``s3.amazonaws.com``), ``missing`` or ``invalid``."""
    if not value:
        return "missing"
    kind = _IP_CACHE.get(value)
    if kind is None:
        if value.endswith(".amazonaws.com") or value == "AWS Internal":
            kind = "aws_service"
        else:
            try:
                kind = f"ipv{ipaddress.ip_address(value).version}"
            except ValueError:
                kind = "invalid"
        if len(_IP_CACHE) < 100_000:
            _IP_CACHE[value] = kind
    return kind


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _num(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value)


def _category(category: Any, management: Any) -> str | None:
    if isinstance(category, str):
        return category
    flag = _bool(management)
    if flag is None:
        return None
    return "Management" if flag else "Data"


# The fields of one matching event, in this order, as a tuple (cheap to build, pickle and sort).
EVENT_FIELDS = _FIELDS = (
    "time",
    "event_name",
    "event_source",
    "category",
    "principal_arn",
    "issuer_arn",
    "principal_type",
    "principal_kind",
    "account_id",
    "access_key_id",
    "source_ip",
    "user_agent",
    "bucket",
    "key",
    "error_code",
    "bytes_out",
    "bytes_in",
    "auth_method",
    "signature_version",
    "tls_version",
    "vpc_endpoint_id",
    "event_id",
    "request_id",
    "read_only",
    "region",
    "recipient_account_id",
    "source_ip_kind",
)


def _event(
    t: str,
    name: str | None,
    source: str | None,
    category: str | None,
    arn: str | None,
    issuer: str | None,
    ptype: str | None,
    account: str | None,
    akid: str | None,
    invoked: str | None,
    ip: str | None,
    ua: str | None,
    bucket: str,
    key: str | None,
    error: str | None,
    bout: int,
    bin_: int,
    auth: str | None,
    sigv: str | None,
    tls: str | None,
    vpce: str | None,
    eid: str | None,
    rid: str | None,
    ro: bool | None,
    region: str | None,
    recipient: str | None,
) -> tuple:
    principal = arn or issuer or invoked or account or "unknown"
    kind = _kind(ptype, account, arn, auth, recipient)
    return (
        t, name, source, category, principal, issuer, ptype, kind, account, akid, ip, ua, bucket, key, error,
        bout, bin_, auth, sigv, tls, vpce, eid, rid, ro, region, recipient, ip_kind(ip),
    )  # fmt: skip


def _from_struct(r: Any, t: str, bucket: str) -> tuple:
    ui = r.userIdentity
    if ui is not None:
        sc = ui.sessionContext
        issuer = sc.sessionIssuer.arn if sc is not None and sc.sessionIssuer is not None else None
        arn, ptype, account, akid, invoked = ui.arn, ui.type, ui.accountId, ui.accessKeyId, ui.invokedBy
    else:
        issuer = arn = ptype = account = akid = invoked = None
    ad = r.additionalEventData
    if ad is not None:
        bout, bin_ = _num(ad.bytesTransferredOut), _num(ad.bytesTransferredIn)
        auth, sigv = ad.AuthenticationMethod, ad.SignatureVersion
    else:
        bout = bin_ = 0
        auth = sigv = None
    tls = r.tlsDetails.tlsVersion if r.tlsDetails is not None else None
    return _event(
        t, r.eventName, r.eventSource, _category(r.eventCategory, r.managementEvent), arn, issuer, ptype, account,
        akid, invoked, r.sourceIPAddress, r.userAgent, bucket, r.requestParameters.key, r.errorCode, bout, bin_,
        auth, sigv, tls, r.vpcEndpointId, r.eventID, r.requestID, _bool(r.readOnly), r.awsRegion,
        r.recipientAccountId,
    )  # fmt: skip


def _str(d: dict, name: str) -> str | None:
    v = d.get(name)
    return v if isinstance(v, str) else None


def _dict(d: Any, name: str) -> dict | None:
    v = d.get(name) if isinstance(d, dict) else None
    return v if isinstance(v, dict) else None


def _from_dict(r: dict, t: str, bucket: str, rp: dict) -> tuple:
    ui = _dict(r, "userIdentity")
    if ui is not None:
        issuer_d = _dict(_dict(ui, "sessionContext"), "sessionIssuer")
        issuer = _str(issuer_d, "arn") if issuer_d is not None else None
        arn, ptype, account = _str(ui, "arn"), _str(ui, "type"), _str(ui, "accountId")
        akid, invoked = _str(ui, "accessKeyId"), _str(ui, "invokedBy")
    else:
        issuer = arn = ptype = account = akid = invoked = None
    ad = _dict(r, "additionalEventData")
    if ad is not None:
        bout, bin_ = _num(ad.get("bytesTransferredOut")), _num(ad.get("bytesTransferredIn"))
        auth, sigv = _str(ad, "AuthenticationMethod"), _str(ad, "SignatureVersion")
    else:
        bout = bin_ = 0
        auth = sigv = None
    tls_d = _dict(r, "tlsDetails")
    tls = _str(tls_d, "tlsVersion") if tls_d is not None else None
    return _event(
        t, _str(r, "eventName"), _str(r, "eventSource"), _category(r.get("eventCategory"), r.get("managementEvent")),
        arn, issuer, ptype, account, akid, invoked, _str(r, "sourceIPAddress"), _str(r, "userAgent"), bucket,
        _str(rp, "key"), _str(r, "errorCode"), bout, bin_, auth, sigv, tls, _str(r, "vpcEndpointId"),
        _str(r, "eventID"), _str(r, "requestID"), _bool(r.get("readOnly")), _str(r, "awsRegion"),
        _str(r, "recipientAccountId"),
    )  # fmt: skip


# Tuple positions used below.
_T, _NAME, _PRINCIPAL, _ISSUER, _PTYPE, _KIND, _ACCOUNT, _AKID, _IP, _UA = 0, 1, 4, 5, 6, 7, 8, 9, 10, 11
_KEY, _ERR, _BOUT, _BIN, _EID, _IPKIND = 13, 14, 15, 16, 21, 26


def _wanted(ev: tuple, q: _Query) -> bool:
    if q.event_names is not None and ev[_NAME] not in q.event_names:
        return False
    if q.principals is not None and not (
        ev[_PRINCIPAL] in q.principals or ev[_ISSUER] in q.principals or ev[_ACCOUNT] in q.principals
    ):
        return False
    if q.access_key_ids is not None and ev[_AKID] not in q.access_key_ids:
        return False
    if q.source_ips is not None or q.networks:
        ip = ev[_IP]
        if q.source_ips is not None and ip in q.source_ips:
            return True
        if not q.networks or ev[_IPKIND] not in ("ipv4", "ipv6"):
            return False
        addr = ipaddress.ip_address(ip)
        return any(addr.version == n.version and addr in n for n in q.networks)
    return True


# --------------------------------------------------------------------------------------------- per file


def _new_file_result(index: int, source: str) -> dict[str, Any]:
    return {
        "index": index,
        "source": source,
        "skip": None,
        "bytes_compressed": 0,
        "bytes_decompressed": 0,
        "prefiltered": False,
        "generic": False,
        "generic_records": 0,
        "records": 0,
        "invalid": 0,
        "missing": {},
        "bad_time": 0,
        "bad_ips": 0,
        "bad_ip_values": set(),
        "matched": [],
    }


def _count_missing(res: dict[str, Any], names: Iterable[str]) -> None:
    missing = res["missing"]
    for name in names:
        missing[name] = missing.get(name, 0) + 1


def _in_window(t: str, q: _Query, res: dict[str, Any]) -> str | None:
    if len(t) != 20 or t[10] != "T" or t[19] != "Z":
        t = _canon_time(t)
        if t is None:
            res["bad_time"] += 1
            return None
    return t if q.start <= t <= q.end else None


_REQUIRED = (("eventTime", str), ("userIdentity", dict), ("eventName", str))


def _struct_time(r: Any, q: _Query, res: dict[str, Any]) -> str | None:
    """The record's time when a _Probe or _Record is about the bucket and inside the window; counts what is missing."""
    rp = r.requestParameters
    if rp is None or rp.bucketName != q.bucket:
        return None
    t = r.eventTime
    if t is None or r.userIdentity is None or r.eventName is None:
        _count_missing(res, [n for n in ("eventTime", "userIdentity", "eventName") if getattr(r, n) is None])
        if t is None:
            return None
    return _in_window(t, q, res)


def _match_dict(r: Any, q: _Query, res: dict[str, Any]) -> tuple | None:
    if not isinstance(r, dict):
        res["invalid"] += 1
        return None
    rp = r.get("requestParameters")
    if not isinstance(rp, dict) or rp.get("bucketName") != q.bucket:
        return None
    t = r.get("eventTime")
    lacks = [
        n
        for n, kind in (("eventTime", str), ("userIdentity", dict), ("eventName", str))
        if not isinstance(r.get(n), kind)
    ]
    if lacks:
        _count_missing(res, lacks)
        if not isinstance(t, str):
            return None
    t = _in_window(t, q, res)
    return None if t is None else _from_dict(r, t, q.bucket, rp)


def _compact_candidates(raw: bytes, recs: list, needle: bytes) -> list[int] | None:
    """Indexes of the records whose bytes contain ``needle``, found with one pass of ``bytes.find``.

    CloudTrail writes compact JSON, so record ``i`` starts at ``start + sum(len(r) + 1 for r before it)``.
    The layout is checked (every computed start is a ``{`` and the list ends with ``]``); None when it does
    not hold (pretty-printed JSON, a record that is not an object), and the caller checks record by record.
    """
    n = len(recs)
    if n == 0:
        return []
    start = raw.find(bytes(recs[0]))
    if start < 0:
        return None
    offsets = list(accumulate([len(r) + 1 for r in recs], initial=start))
    end = offsets[n] - 1
    if end >= len(raw) or raw[end] != 0x5D:  # "]"
        return None
    if n > 1:
        if itemgetter(*offsets[:n])(raw).count(0x7B) != n:  # every record starts with "{"
            return None
    elif raw[start] != 0x7B:
        return None
    out = []
    find = raw.find
    p = find(needle, start, end)
    while p != -1:
        i = bisect_right(offsets, p) - 1
        out.append(i)
        p = find(needle, offsets[i + 1], end)
    return out


def _typed_matches(raw: bytes, doc: Any, q: _Query, res: dict[str, Any]) -> list[tuple]:
    """Records as raw JSON slices; only those whose bytes name the bucket (or are not objects) are decoded."""
    recs = doc.Records
    if recs is msgspec.UNSET:
        raise _Skip("not_cloudtrail", "no Records key at the top level")
    if recs is None:
        raise _Skip("not_cloudtrail", "Records is null")
    res["records"] = len(recs)
    needle = q.bucket_bytes
    # Compact JSON has no blanks, so a record about the bucket contains exactly this:
    picked = _compact_candidates(raw, recs, b'"bucketName":"' + needle + b'"')
    if picked is None:
        candidates = []
        for r in recs:
            b = bytes(r)
            if b[:1] != b"{" or needle in b:
                candidates.append(r)
    else:
        candidates = [recs[i] for i in picked]
    probe, decode = _PROBE.decode, _RECORD.decode
    out = []
    for r in candidates:
        probed = False
        try:
            t = _struct_time(probe(r), q, res)
            probed = True
            if t is None:
                continue
            ev = _from_struct(decode(r), t, q.bucket)
        except msgspec.ValidationError:  # this record does not fit the structs: take it apart generically
            res["generic_records"] += 1
            # After a successful probe this record's missing fields are counted already: count into scratch.
            counts = {"missing": {}, "bad_time": 0, "invalid": 0} if probed else res
            ev = _match_dict(_GENERIC.decode(r), q, counts)
        if ev is not None:
            out.append(ev)
    return out


def _generic_matches(doc: Any, q: _Query, res: dict[str, Any]) -> list[tuple]:
    if not isinstance(doc, dict) or "Records" not in doc:
        raise _Skip("not_cloudtrail", "no Records key at the top level")
    recs = doc["Records"]
    if not isinstance(recs, list):
        raise _Skip("not_cloudtrail", "Records is null" if recs is None else "Records is not a list")
    res["records"] = len(recs)
    out = []
    for r in recs:
        ev = _match_dict(r, q, res)
        if ev is not None:
            out.append(ev)
    return out


def _decode_matches(raw: bytes, q: _Query, res: dict[str, Any]) -> list[tuple]:
    if q.fast_json and msgspec is not None:
        try:
            return _typed_matches(raw, _RAW_LOG.decode(raw), q, res)
        except msgspec.ValidationError:  # the top level does not fit: the whole file generically
            res["generic"] = True
            try:
                return _generic_matches(_GENERIC.decode(raw), q, res)
            except msgspec.DecodeError as exc:
                raise _Skip("invalid_json", f"invalid JSON: {exc}") from None
        except msgspec.DecodeError as exc:
            raise _Skip("invalid_json", f"invalid JSON: {exc}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _Skip("invalid_json", f"invalid JSON: {exc}") from None
    return _generic_matches(doc, q, res)


def _scan_bytes(index: int, source: str, data: bytes, q: _Query) -> dict[str, Any]:
    res = _new_file_result(index, source)
    res["bytes_compressed"] = len(data)
    try:
        raw = _decompress(data, q.fast_gzip)
        del data
        res["bytes_decompressed"] = len(raw)
        if q.prefilter and q.bucket_bytes not in raw:
            res["prefiltered"] = True
            return res
        matches = _decode_matches(raw, q, res)
    except _Skip as skip:
        res["skip"] = (skip.reason, skip.detail)
        return res
    kept = []
    for ev in matches:
        if not _wanted(ev, q):
            continue
        if ev[_IPKIND] == "invalid":
            res["bad_ips"] += 1
            if len(res["bad_ip_values"]) < 20:
                res["bad_ip_values"].add(ev[_IP])
        kept.append(ev)
    res["matched"] = kept
    return res


def _scan_path(index: int, path: str, q: _Query) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        res = _new_file_result(index, path)
        res["skip"] = ("read_error", f"cannot read {path}: {exc.strerror or exc}")
        return res
    return _scan_bytes(index, path, data, q)


def _aggregate(res: dict[str, Any], max_events: int) -> dict[str, Any]:
    """Fold a file's matching events into per-actor and per-group aggregates (runs in the worker)."""
    matched = res.pop("matched")
    actors: dict[tuple, list] = {}
    groups: dict[tuple, list] = {}
    contrib = []
    for ev in matched:
        t, name, principal, kind, ip, err = ev[_T], ev[_NAME], ev[_PRINCIPAL], ev[_KIND], ev[_IP], ev[_ERR]
        is_err = 1 if err else 0
        akey = (principal, kind)
        a = actors.get(akey)
        if a is None:
            a = actors[akey] = [ev[_PTYPE], ev[_ACCOUNT], ev[_ISSUER], set(), set(), set(), {}, t, t, 0, 0, 0, set(), 0]
        if ev[_AKID]:
            a[3].add(ev[_AKID])
        if ip:
            a[4].add(ip)
        if ev[_UA]:
            a[5].add(ev[_UA])
        counted = name if name is not None else "unknown"  # event_counts keys stay strings
        counts = a[6]
        counts[counted] = counts.get(counted, 0) + 1
        if t < a[7]:
            a[7] = t
        if t > a[8]:
            a[8] = t
        a[9] += is_err
        a[10] += ev[_BOUT]
        a[11] += ev[_BIN]
        if ev[_KEY] is not None:
            a[12].add(ev[_KEY])
        a[13] += 1
        gkey = (principal, ip, name)
        g = groups.get(gkey)
        if g is None:
            groups[gkey] = [1, is_err, t, t]
        else:
            g[0] += 1
            g[1] += is_err
            if t < g[2]:
                g[2] = t
            if t > g[3]:
                g[3] = t
        contrib.append((ev[_EID], akey, gkey, counted, is_err, ev[_BOUT], ev[_BIN]))
    if len(matched) > max_events:
        matched.sort(key=lambda e: (e[_T], e[_EID] or ""))
        matched = matched[:max_events]
    res["events"] = matched
    res["actors"] = actors
    res["groups"] = groups
    res["contrib"] = contrib
    return res


def _task_path(index: int, path: str, q: _Query) -> dict[str, Any]:
    try:
        return _aggregate(_scan_path(index, path, q), q.max_events)
    except Exception as exc:  # a bug or an exotic input must not stop the other files
        return _failed(index, path, "scan_error", f"{type(exc).__name__}: {exc}")


def _task_paths(items: list[tuple[int, str]], q: _Query) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Scan a run of files in one task: per-file stats, and the files' aggregates merged into one partial.

    Merging in the worker sends one set of actors and groups and at most ``max_events`` events back per chunk
    instead of per file, which is most of what the parent used to unpickle and merge.
    """
    merger = _Merger(keep_contrib=True)
    files = []
    for index, path in items:
        res = _task_path(index, path, q)
        if res["skip"] is None:
            merger.add(res)
        files.append({k: v for k, v in res.items() if k not in _AGGREGATE_KEYS})
    return files, merger.partial(q.max_events)


def _task_bytes(index: int, source: str, data: bytes, q: _Query) -> dict[str, Any]:
    try:
        return _aggregate(_scan_bytes(index, source, data, q), q.max_events)
    except Exception as exc:
        return _failed(index, source, "scan_error", f"{type(exc).__name__}: {exc}")


def _failed(index: int, source: str, reason: str, detail: str) -> dict[str, Any]:
    res = _new_file_result(index, source)
    res["skip"] = (reason, detail)
    return _aggregate(res, 0)


def _warm(_unused: object = None) -> int:
    return os.getpid()


# --------------------------------------------------------------------------------------------- result


@dataclass
class ScanResult:
    """What :func:`scan` found. ``to_dict()`` gives the plain structure a module returns.

    ``events``: matching events, earliest first, at most ``max_events`` (``truncated`` says whether more
    matched); each a dict with the keys of ``EVENT_FIELDS``. Role sessions carry both ``principal_arn`` (the
    session) and ``issuer_arn`` (the role). ``principal_kind`` is one of ``iam_user``, ``assumed_role``,
    ``root``, ``federated``, ``identity_center``, ``cross_account``, ``aws_service``, ``anonymous``
    (``ANONYMOUS_PRINCIPAL``), ``presigned_url`` (``AuthenticationMethod: QueryString``) or ``unknown``.
    ``source_ip_kind`` flags malformed addresses (``invalid``), which are kept.

    ``actors``: one per (principal ARN, kind), most events first: arn, kind, type, account_id, issuer_arn,
    access_key_ids, source_ips, user_agents, event_counts (by event name), event_count, first_seen,
    last_seen, error_count, bytes_out, bytes_in, objects_touched (distinct keys). Counted over all matching
    events, not only the ``max_events`` returned.

    ``groups``: one per (principal_arn, source_ip, event_name) with count, errors, first_seen, last_seen.

    ``stats``: files_listed, files_pruned (by key timestamp), files_ignored (digest and non-log keys),
    files_read, files_prefiltered (bucket name absent, not JSON-decoded), files_skipped with ``skipped``
    (source, reason, detail per file; reasons in ``SKIP_REASONS``) and skipped_by_reason,
    files/records_generic_decode (did not fit the typed structs), records_scanned (records in decoded files),
    records_matched (after de-duplication), duplicates_dropped (same eventID), records_invalid (not objects),
    records_missing_fields (eventTime / userIdentity / eventName, among records about the bucket),
    records_bad_time, bad_ips and bad_ip_values, bytes_compressed, bytes_decompressed, elapsed_seconds,
    decoder (``isal+msgspec`` or ``gzip+json``), workers.
    """

    events: list[dict[str, Any]]
    truncated: bool
    max_events: int
    actors: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    stats: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "truncated": self.truncated,
            "max_events": self.max_events,
            "actors": self.actors,
            "groups": self.groups,
            "stats": self.stats,
        }


class _Merger:
    """Folds per-file (or per-chunk) aggregates together, dropping events whose eventID was seen before.

    A worker merges the files of its chunk with ``keep_contrib=True`` and sends :meth:`partial`, which has the
    shape of one file's result, so the parent merges chunks with the same :meth:`add`.
    """

    def __init__(self, keep_contrib: bool = False) -> None:
        self.actors: dict[tuple, list] = {}
        self.groups: dict[tuple, list] = {}
        self.seen: set[str] = set()
        self.events: list[tuple] = []
        self.matched = 0
        self.duplicates = 0
        self.kept: list[tuple] | None = [] if keep_contrib else None

    def partial(self, max_events: int) -> dict[str, Any]:
        """The merged aggregates, the contributions of the events kept and the earliest ``max_events`` events."""
        return {
            "actors": self.actors,
            "groups": self.groups,
            "contrib": self.kept,
            "events": _dedupe_events(self.events)[:max_events],
            "duplicates": self.duplicates,
        }

    def add(self, res: dict[str, Any]) -> None:
        for akey, a in res["actors"].items():
            m = self.actors.get(akey)
            if m is None:
                self.actors[akey] = a
                continue
            for i in (0, 1, 2):
                if m[i] is None:
                    m[i] = a[i]
            m[3] |= a[3]
            m[4] |= a[4]
            m[5] |= a[5]
            for name, n in a[6].items():
                m[6][name] = m[6].get(name, 0) + n
            m[7] = min(m[7], a[7])
            m[8] = max(m[8], a[8])
            for i in (9, 10, 11, 13):
                m[i] += a[i]
            m[12] |= a[12]
        for gkey, g in res["groups"].items():
            m = self.groups.get(gkey)
            if m is None:
                self.groups[gkey] = g
            else:
                m[0] += g[0]
                m[1] += g[1]
                m[2] = min(m[2], g[2])
                m[3] = max(m[3], g[3])
        # A duplicate (same eventID seen before) adds nothing to sets or first/last seen: only its counts are
        # taken back out.
        seen = self.seen
        kept = self.kept
        self.duplicates += res.get("duplicates", 0)
        for entry in res["contrib"]:
            eid, akey, gkey, name, is_err, bout, bin_ = entry
            if eid is None or eid not in seen:
                if eid is not None:
                    seen.add(eid)
                self.matched += 1
                if kept is not None:
                    kept.append(entry)
                continue
            self.duplicates += 1
            a = self.actors[akey]
            a[6][name] -= 1
            a[9] -= is_err
            a[10] -= bout
            a[11] -= bin_
            a[13] -= 1
            g = self.groups[gkey]
            g[0] -= 1
            g[1] -= is_err
        self.events.extend(res["events"])


def _actor_dict(akey: tuple, a: list) -> dict[str, Any]:
    principal, kind = akey
    return {
        "arn": principal,
        "kind": kind,
        "type": a[0],
        "account_id": a[1],
        "issuer_arn": a[2],
        "access_key_ids": sorted(a[3]),
        "source_ips": sorted(a[4]),
        "user_agents": sorted(a[5]),
        "event_counts": dict(sorted(a[6].items())),
        "event_count": a[13],
        "first_seen": a[7],
        "last_seen": a[8],
        "error_count": a[9],
        "bytes_out": a[10],
        "bytes_in": a[11],
        "objects_touched": len(a[12]),
    }


def _dedupe_events(events: list[tuple]) -> list[tuple]:
    events.sort(key=lambda e: (e[_T], e[_EID] or ""))
    out = []
    seen: set[str] = set()
    for ev in events:
        eid = ev[_EID]
        if eid is not None:
            if eid in seen:
                continue
            seen.add(eid)
        out.append(ev)
    return out


# --------------------------------------------------------------------------------------------- scan


def _pool_context() -> Any:
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _decoder_name(fast_gzip: bool, fast_json: bool) -> str:
    return f"{'isal' if fast_gzip else 'gzip'}+{'msgspec' if fast_json else 'json'}"


def scan(
    sources: Iterable[str | os.PathLike] | LogKeyListing,
    *,
    bucket: str,
    start: datetime | str,
    end: datetime | str,
    principals: Iterable[str] | None = None,
    event_names: Iterable[str] | None = None,
    access_key_ids: Iterable[str] | None = None,
    source_ips: Iterable[str] | None = None,
    max_events: int = DEFAULT_MAX_EVENTS,
    workers: int | None = None,
    fetch: Callable[[str], bytes] | None = None,
    fetch_threads: int = DEFAULT_FETCH_THREADS,
    slack: timedelta = DEFAULT_SLACK,
    prune: bool = True,
    prefilter: bool = True,
    decoder: str = "auto",
) -> ScanResult:
    """Scan CloudTrail log files for events on ``bucket`` between ``start`` and ``end`` (both inclusive).

    ``sources`` are local paths, or S3 keys when ``fetch(key) -> bytes`` is given (then fetched by
    ``fetch_threads`` threads and scanned as they arrive). Sources whose name carries a CloudTrail delivery
    timestamp outside ``[start, end + slack]`` are not read (``prune=False`` reads everything).
    ``principals`` match the principal ARN, the role a session was issued by, or the account id;
    ``source_ips`` take addresses or CIDR blocks. ``workers`` processes scan the files (default: the usable
    cores; 1 scans in this process). ``decoder="stdlib"`` forces gzip + json even when isal and msgspec are
    installed; ``"auto"`` uses them when they are.
    """
    if not isinstance(bucket, str) or not bucket.strip():
        raise ValueError("bucket must be a non-empty bucket name")
    start_dt, end_dt = _check_window(start, end)
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 0:
        raise ValueError(f"max_events must be a non-negative integer, got {max_events!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(fetch_threads, int) or fetch_threads < 1:
        raise ValueError(f"fetch_threads must be a positive integer, got {fetch_threads!r}")
    if decoder not in ("auto", "stdlib"):
        raise ValueError(f"decoder must be 'auto' or 'stdlib', got {decoder!r}")
    if fetch is not None and not callable(fetch):
        raise ValueError("fetch must be a callable taking an S3 key and returning the object's bytes")
    ip_set = _as_set(source_ips, "source_ips")
    networks = []
    exact_ips = set()
    for value in ip_set or ():
        if "/" in value:
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise ValueError(f"source_ips entry {value!r} is not an IP address or CIDR block") from None
        else:
            exact_ips.add(value)
    query = _Query(
        bucket=bucket,
        bucket_bytes=bucket.encode(),
        start=_iso(start_dt),
        end=_iso(end_dt),
        principals=_as_set(principals, "principals"),
        event_names=_as_set(event_names, "event_names"),
        access_key_ids=_as_set(access_key_ids, "access_key_ids"),
        source_ips=frozenset(exact_ips) if ip_set is not None else None,
        networks=tuple(networks),
        max_events=max_events,
        fast_gzip=decoder == "auto" and _igzip is not None,
        fast_json=decoder == "auto" and msgspec is not None,
        prefilter=prefilter,
    )

    t0 = time.perf_counter()
    stats: dict[str, Any] = {
        "files_listed": 0,
        "files_pruned": 0,
        "files_ignored": 0,
        "files_read": 0,
        "files_prefiltered": 0,
        "files_skipped": 0,
        "files_generic_decode": 0,
        "records_generic_decode": 0,
        "skipped": [],
        "skipped_by_reason": {},
        "records_scanned": 0,
        "records_matched": 0,
        "duplicates_dropped": 0,
        "records_invalid": 0,
        "records_missing_fields": {},
        "records_bad_time": 0,
        "bad_ips": 0,
        "bad_ip_values": [],
        "bytes_compressed": 0,
        "bytes_decompressed": 0,
        "elapsed_seconds": 0.0,
        "decoder": _decoder_name(query.fast_gzip, query.fast_json),
        "workers": 1,
    }
    if isinstance(sources, LogKeyListing):
        stats["files_listed"] = sources.listed
        stats["files_pruned"] = sources.pruned
        stats["files_ignored"] = sources.ignored
        names = list(sources.keys)
    else:
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        names = [os.fspath(s) for s in sources]
        stats["files_listed"] = len(names)
    kept = []
    for name in names:
        if "CloudTrail-Digest" in name:
            stats["files_ignored"] += 1
            _note_skip(stats, name, "digest_file", "CloudTrail digest file, not a log file")
        else:
            kept.append(name)
    if prune:
        before = len(kept)
        kept = prune_keys(kept, start_dt, end_dt, slack)
        stats["files_pruned"] += before - len(kept)

    n_workers = workers or _usable_cores()
    n_workers = max(1, min(n_workers, len(kept)))
    stats["workers"] = n_workers
    merger = _Merger()
    results: dict[int, dict[str, Any]] = {}
    partials: list[dict[str, Any]] = []
    if fetch is None:
        _run_local(kept, query, n_workers, results, partials)
    else:
        _run_fetch(kept, query, n_workers, fetch, fetch_threads, results)
        partials = [results[i] for i in sorted(results) if results[i]["skip"] is None]
    for index in sorted(results):
        _fold_stats(stats, results[index])
    for part in partials:
        merger.add(part)

    events = _dedupe_events(merger.events)
    truncated = merger.matched > max_events
    actors = [_actor_dict(k, a) for k, a in merger.actors.items() if a[13] > 0]
    actors.sort(key=lambda a: (-a["event_count"], a["arn"], a["kind"]))
    groups = [
        {
            "principal_arn": k[0],
            "source_ip": k[1],
            "event_name": k[2],
            "count": g[0],
            "errors": g[1],
            "first_seen": g[2],
            "last_seen": g[3],
        }
        for k, g in merger.groups.items()
        if g[0] > 0
    ]
    groups.sort(key=lambda g: (-g["count"], g["principal_arn"], g["source_ip"] or "", g["event_name"] or ""))
    stats["records_matched"] = merger.matched
    stats["duplicates_dropped"] = merger.duplicates
    stats["bad_ip_values"] = sorted(stats["bad_ip_values"])
    stats["elapsed_seconds"] = round(time.perf_counter() - t0, 3)
    return ScanResult(
        events=[dict(zip(_FIELDS, ev, strict=True)) for ev in events[:max_events]],
        truncated=truncated,
        max_events=max_events,
        actors=actors,
        groups=groups,
        stats=stats,
    )


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _note_skip(stats: dict[str, Any], source: str, reason: str, detail: str) -> None:
    stats["skipped"].append({"source": source, "reason": reason, "detail": detail})
    stats["skipped_by_reason"][reason] = stats["skipped_by_reason"].get(reason, 0) + 1


def _fold_stats(stats: dict[str, Any], res: dict[str, Any]) -> None:
    stats["bytes_compressed"] += res["bytes_compressed"]
    stats["bytes_decompressed"] += res["bytes_decompressed"]
    if res["skip"] is not None:
        stats["files_skipped"] += 1
        _note_skip(stats, res["source"], *res["skip"])
        if res["skip"][0] not in ("read_error", "fetch_failed"):
            stats["files_read"] += 1
        return
    stats["files_read"] += 1
    stats["files_prefiltered"] += res["prefiltered"]
    stats["files_generic_decode"] += res["generic"]
    stats["records_generic_decode"] += res["generic_records"]
    stats["records_scanned"] += res["records"]
    stats["records_invalid"] += res["invalid"]
    stats["records_bad_time"] += res["bad_time"]
    stats["bad_ips"] += res["bad_ips"]
    values = set(stats["bad_ip_values"]) | res["bad_ip_values"]
    stats["bad_ip_values"] = sorted(values)[:20]
    missing = stats["records_missing_fields"]
    for name, n in res["missing"].items():
        missing[name] = missing.get(name, 0) + n


def _chunks(items: list[tuple[int, str]], workers: int) -> list[list[tuple[int, str]]]:
    """Contiguous runs of files, about ``_CHUNKS_PER_WORKER`` per worker, so that merged results stay in order."""
    if workers == 1:
        return [items] if items else []
    size = max(1, -(-len(items) // (workers * _CHUNKS_PER_WORKER)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _run_local(
    paths: list[str],
    q: _Query,
    workers: int,
    results: dict[int, dict[str, Any]],
    partials: list[dict[str, Any]],
) -> None:
    """Scan local files in chunks: each task reads a run of files and returns their stats and one merged partial."""
    chunks = _chunks(list(enumerate(paths)), workers)
    if workers == 1:
        outcomes = [(chunk, _task_paths(chunk, q)) for chunk in chunks]
    else:
        with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
            futures = [(chunk, pool.submit(_task_paths, chunk, q)) for chunk in chunks]
            outcomes = []
            for chunk, fut in futures:
                try:
                    outcomes.append((chunk, fut.result()))
                except Exception as exc:  # the worker process died (killed, out of memory)
                    outcomes.append((chunk, exc))
    for chunk, outcome in outcomes:
        if isinstance(outcome, Exception):
            for i, path in chunk:
                results[i] = _failed(i, path, "scan_error", f"worker failed: {type(outcome).__name__}: {outcome}")
            continue
        files, partial = outcome
        for res in files:
            results[res["index"]] = res
        partials.append(partial)


def _result_or_failure(fut: Future, index: int, source: str) -> dict[str, Any]:
    try:
        return fut.result()
    except Exception as exc:  # the worker process died (killed, out of memory)
        return _failed(index, source, "scan_error", f"worker failed: {type(exc).__name__}: {exc}")


def _run_fetch(
    keys: list[str],
    q: _Query,
    workers: int,
    fetch: Callable[[str], bytes],
    threads: int,
    results: dict[int, dict[str, Any]],
) -> None:
    """Fetch with a thread pool and scan each object as soon as it arrives, with a bounded number in flight."""
    pool = ProcessPoolExecutor(workers, mp_context=_pool_context()) if workers > 1 else None
    try:
        if pool is not None:  # start every worker before any thread exists, so fork never copies a busy thread
            list(pool.map(_warm, range(workers)))
        with ThreadPoolExecutor(min(threads, max(len(keys), 1))) as fetchers:
            limit = threads + 2 * workers
            todo = iter(enumerate(keys))
            fetching: dict[Future, tuple[int, str]] = {}
            scanning: dict[Future, tuple[int, str]] = {}

            def fill() -> None:
                while len(fetching) + len(scanning) < limit:
                    item = next(todo, None)
                    if item is None:
                        return
                    fetching[fetchers.submit(fetch, item[1])] = item

            fill()
            while fetching or scanning:
                done, _pending = wait(set(fetching) | set(scanning), return_when=FIRST_COMPLETED)
                for fut in done:
                    if fut in fetching:
                        i, key = fetching.pop(fut)
                        exc = fut.exception()
                        if exc is not None:
                            results[i] = _failed(i, key, "fetch_failed", f"{type(exc).__name__}: {exc}")
                        elif not isinstance(fut.result(), (bytes, bytearray, memoryview)):
                            results[i] = _failed(i, key, "fetch_failed", "fetch did not return bytes")
                        elif pool is None:
                            results[i] = _task_bytes(i, key, bytes(fut.result()), q)
                        else:
                            scanning[pool.submit(_task_bytes, i, key, bytes(fut.result()), q)] = (i, key)
                    else:
                        i, key = scanning.pop(fut)
                        results[i] = _result_or_failure(fut, i, key)
                fill()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

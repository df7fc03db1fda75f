# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the CloudTrail records of one bucket come from (no Ansible imports; clients are passed in).

* Trails: :func:`selector_coverage` reads a trail's basic ``EventSelectors`` or ``AdvancedEventSelectors`` and says
  whether S3 data events of a bucket are logged (read, write, which key prefixes); :func:`discover_trails` asks
  CloudTrail for every trail and keeps the ones that log the bucket; :func:`read_trail` lists the trail's log files
  for the window (:func:`cloudtrail_scan.list_log_keys`) and scans them with concurrent GETs (``scan(fetch=...)``).
* LookupEvents (:func:`lookup_bucket_records`): management events only, one lookup attribute per call
  (``ResourceName=<bucket>``, post-filtered on ``requestParameters.bucketName``), every page requested with the
  same parameters as the first, at most ``rate`` calls per second through a :class:`RateLimiter` shared by the
  caller, throttling retried with backoff.
* Athena (:func:`athena_bucket_records`): one query over a CloudTrail table, polled until it ends (or a timeout,
  after which the query is stopped), results paged and turned back into CloudTrail records.

Records from LookupEvents and Athena are normalised exactly like trail log files: :func:`scan_records` feeds them
to the same scanner. Errors the person running the play can fix raise :class:`SourceError` naming the bucket,
trail or option and, for access denied, the IAM action that is missing.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timezone
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils import cloudtrail_scan
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import call as _call
from ansible_collections.cloudsec.s3.plugins.module_utils.aws_calls import error_code as _code

DENIED_CODES = ("AccessDenied", "AccessDeniedException", "AllAccessDisabled", "403")
THROTTLE_CODES = ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded")
LOOKUP_PAGE_SIZE = 50
LOOKUP_RATE = 2.0


class SourceError(Exception):
    """A source could not be read for a reason the caller can act on; ``details`` go into the module result."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _raw(client: Any) -> Any:
    return getattr(client, "client", client)


# --------------------------------------------------------------------------------------------- selectors


@dataclass
class Coverage:
    """What a trail's selectors log of one bucket's S3 data events."""

    covers: bool = False
    read: bool = False
    write: bool = False
    prefixes: list[str] = field(default_factory=list)
    selector_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "covers": self.covers,
            "read": self.read,
            "write": self.write,
            "prefixes": sorted(set(self.prefixes)),
            "selector_kind": self.selector_kind,
        }


def _arn_prefix_for(value: str, bucket: str) -> str | None:
    """The key prefix a selector ARN value covers in ``bucket`` ('' = the whole bucket), or None."""
    if value in ("arn:aws:s3", "arn:aws:s3:::", "arn:aws:s3:::*"):
        return ""
    base = f"arn:aws:s3:::{bucket}"
    if value == base or value == base + "/":
        return ""
    if value.startswith(base + "/"):
        return value[len(base) + 1 :]
    return None


def _basic_coverage(selectors: list[dict[str, Any]], bucket: str) -> Coverage:
    cov = Coverage(selector_kind="basic")
    for sel in selectors or []:
        rw = sel.get("ReadWriteType", "All")
        for res in sel.get("DataResources") or []:
            if res.get("Type") != "AWS::S3::Object":
                continue
            for value in res.get("Values") or []:
                prefix = _arn_prefix_for(value, bucket)
                if prefix is None:
                    continue
                cov.covers = True
                cov.prefixes.append(prefix)
                cov.read = cov.read or rw in ("All", "ReadOnly")
                cov.write = cov.write or rw in ("All", "WriteOnly")
    return cov


def _arn_field_matches(fs: dict[str, Any], bucket: str) -> tuple[bool, list[str]]:
    """Whether a ``resources.ARN`` field selector lets the bucket's objects through, and which prefixes."""
    base = f"arn:aws:s3:::{bucket}/"
    prefixes: list[str] = []
    positive = False
    for op in ("Equals", "StartsWith"):
        for value in fs.get(op) or []:
            positive = True
            if value.startswith(base):
                prefixes.append(value[len(base) :])
            elif base.startswith(value) and op == "StartsWith":
                prefixes.append("")
    for value in fs.get("NotStartsWith") or []:
        if base.startswith(value) or value == base:
            return False, []
    for value in fs.get("NotEquals") or []:
        if value in (base, base[:-1]):
            return False, []
    if not positive:
        return True, [""]
    return bool(prefixes), prefixes


def _advanced_coverage(selectors: list[dict[str, Any]], bucket: str) -> Coverage:
    cov = Coverage(selector_kind="advanced")
    for sel in selectors or []:
        fields = {fs.get("Field"): fs for fs in sel.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {})
        if "Data" not in (category.get("Equals") or []):
            continue
        rtype = fields.get("resources.type", {})
        if "AWS::S3::Object" not in (rtype.get("Equals") or []):
            continue
        ok, prefixes = _arn_field_matches(fields.get("resources.ARN", {}), bucket)
        if not ok:
            continue
        read_only = fields.get("readOnly", {}).get("Equals") or []
        cov.covers = True
        cov.prefixes.extend(prefixes)
        cov.read = cov.read or not read_only or "true" in read_only
        cov.write = cov.write or not read_only or "false" in read_only
    return cov


def selector_coverage(selectors_response: dict[str, Any], bucket: str) -> Coverage:
    """Coverage of ``bucket`` by a ``GetEventSelectors`` response (basic or advanced selectors)."""
    if selectors_response.get("AdvancedEventSelectors"):
        return _advanced_coverage(selectors_response["AdvancedEventSelectors"], bucket)
    return _basic_coverage(selectors_response.get("EventSelectors") or [], bucket)


@dataclass
class TrailSource:
    """A trail and what it logs of the bucket."""

    name: str
    arn: str
    home_region: str
    log_bucket: str
    prefix: str | None
    multi_region: bool
    organization: bool
    coverage: Coverage

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "home_region": self.home_region,
            "log_bucket": self.log_bucket,
            "prefix": self.prefix,
            "multi_region": self.multi_region,
            "organization": self.organization,
            "coverage": self.coverage.to_dict(),
        }


def discover_trails(cloudtrail: Any, bucket: str, bucket_region: str) -> tuple[list[TrailSource], list[dict]]:
    """Trails that log S3 data events of ``bucket`` (and, second, every trail looked at, with why not)."""
    try:
        trails = _call(cloudtrail, "describe_trails", includeShadowTrails=True).get("trailList") or []
    except Exception as exc:
        if _code(exc) in DENIED_CODES:
            raise SourceError(
                "Access denied listing CloudTrail trails: the credentials need cloudtrail:DescribeTrails "
                "(and cloudtrail:GetEventSelectors) to find the trails that log the bucket",
                missing_permission="cloudtrail:DescribeTrails",
            ) from exc
        raise
    found: list[TrailSource] = []
    looked: list[dict] = []
    seen: set[str] = set()
    for trail in trails:
        arn = trail.get("TrailARN") or trail.get("Name")
        if arn in seen:
            continue
        seen.add(arn)
        if not trail.get("IsMultiRegionTrail") and trail.get("HomeRegion") not in (None, bucket_region):
            looked.append({"arn": arn, "logs_bucket": False, "why": f"single-Region trail in {trail['HomeRegion']}"})
            continue
        if not trail.get("S3BucketName"):
            looked.append({"arn": arn, "logs_bucket": False, "why": "delivers no log files to S3"})
            continue
        try:
            selectors = _call(cloudtrail, "get_event_selectors", TrailName=arn)
        except Exception as exc:
            if _code(exc) in DENIED_CODES:
                raise SourceError(
                    f"Access denied reading the event selectors of trail {arn}: the credentials need "
                    "cloudtrail:GetEventSelectors",
                    missing_permission="cloudtrail:GetEventSelectors",
                    trail=arn,
                ) from exc
            raise
        cov = selector_coverage(selectors, bucket)
        looked.append({"arn": arn, "logs_bucket": cov.covers, "coverage": cov.to_dict()})
        if cov.covers:
            found.append(
                TrailSource(
                    name=trail.get("Name") or arn,
                    arn=arn,
                    home_region=trail.get("HomeRegion") or bucket_region,
                    log_bucket=trail["S3BucketName"],
                    prefix=trail.get("S3KeyPrefix") or None,
                    multi_region=bool(trail.get("IsMultiRegionTrail")),
                    organization=bool(trail.get("IsOrganizationTrail")),
                    coverage=cov,
                )
            )
    return found, looked


# --------------------------------------------------------------------------------------------- trail files


def _denied_on_log_bucket(log_bucket: str, permission: str, exc: BaseException) -> SourceError:
    resource = f"arn:aws:s3:::{log_bucket}" + ("/*" if permission == "s3:GetObject" else "")
    return SourceError(
        f"Access denied on the CloudTrail log bucket {log_bucket}: the credentials need {permission} on {resource} "
        f"to read the trail's log files ({_code(exc) or type(exc).__name__})",
        log_bucket=log_bucket,
        missing_permission=permission,
    )


def _organization_ids(s3: Any, log_bucket: str, prefix: str | None) -> list[str]:
    base = f"{prefix.strip('/')}/AWSLogs/" if prefix and prefix.strip("/") else "AWSLogs/"
    page = _call(s3, "list_objects_v2", Bucket=log_bucket, Prefix=base, Delimiter="/")
    out = []
    for cp in page.get("CommonPrefixes") or []:
        name = cp.get("Prefix", "")[len(base) :].strip("/")
        if name.startswith("o-"):
            out.append(name)
    return out


def read_trail(
    s3: Any,
    trail: TrailSource,
    *,
    bucket: str,
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
    max_events: int,
    workers: int | None = None,
    fetch_threads: int = 16,
) -> cloudtrail_scan.ScanResult:
    """List the trail's log files for the window and scan them with concurrent GETs (nothing written to disk)."""
    raw = _raw(s3)

    def list_fn(log_bucket: str, folder: str) -> Iterable[dict]:
        token = None
        while True:
            params: dict[str, Any] = {"Bucket": log_bucket, "Prefix": folder}
            if token:
                params["ContinuationToken"] = token
            try:
                page = _call(s3, "list_objects_v2", **params)
            except Exception as exc:
                if _code(exc) in DENIED_CODES:
                    raise _denied_on_log_bucket(log_bucket, "s3:ListBucket", exc) from exc
                raise
            yield from page.get("Contents") or []
            token = page.get("NextContinuationToken")
            if not token:
                return

    denied: list[BaseException] = []

    def fetch(key: str) -> bytes:
        try:
            return raw.get_object(Bucket=trail.log_bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _code(exc) in DENIED_CODES:
                denied.append(exc)
            raise

    org_ids: list[str | None] = [None]
    if trail.organization:
        try:
            org_ids = _organization_ids(s3, trail.log_bucket, trail.prefix) or [None]
        except Exception as exc:
            if _code(exc) in DENIED_CODES:
                raise _denied_on_log_bucket(trail.log_bucket, "s3:ListBucket", exc) from exc
            raise
    keys: list[str] = []
    listing = None
    for org in org_ids:
        part = cloudtrail_scan.list_log_keys(
            list_fn, trail.log_bucket, trail.prefix, [account_id], [region], start, end, organization_id=org
        )
        if listing is None:
            listing = part
        else:
            listing.listed += part.listed
            listing.pruned += part.pruned
            listing.ignored += part.ignored
            listing.prefixes.extend(part.prefixes)
        keys.extend(part.keys)
    if listing is None:  # org_ids always holds at least one entry
        raise SourceError(f"No log folder to list in {trail.log_bucket}")
    listing.keys = keys
    result = cloudtrail_scan.scan(
        listing,
        bucket=bucket,
        start=start,
        end=end,
        max_events=max_events,
        workers=workers,
        fetch=fetch,
        fetch_threads=fetch_threads,
    )
    if denied and result.stats.get("files_read", 0) == 0:
        raise _denied_on_log_bucket(trail.log_bucket, "s3:GetObject", denied[0])
    return result


def scan_records(
    records: list[dict[str, Any]], *, bucket: str, start: datetime, end: datetime, max_events: int, source: str
) -> cloudtrail_scan.ScanResult:
    """Normalise CloudTrail records (from LookupEvents or Athena) with the trail-file scanner, in this process."""
    blob = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode(), compresslevel=1)
    return cloudtrail_scan.scan(
        [source],
        bucket=bucket,
        start=start,
        end=end,
        max_events=max_events,
        workers=1,
        fetch=lambda _key: blob,
        fetch_threads=1,
        prune=False,
    )


# --------------------------------------------------------------------------------------------- LookupEvents


class RateLimiter:
    """At most ``rate`` calls per second, across threads; ``clock`` and ``sleep`` can be replaced in tests."""

    def __init__(
        self,
        rate: float = LOOKUP_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = None  # type: float | None
        self._lock = threading.Lock()
        self.waited = 0.0
        self.calls = 0

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
            if self._next is not None and now < self._next:
                pause = self._next - now
                self.sleep(pause)
                self.waited += pause
                now = self._next
            self._next = now + self.interval
            self.calls += 1

    def penalise(self, seconds: float) -> None:
        """Push the next allowed call back (after the service throttled us)."""
        with self._lock:
            base = max(self._next or 0.0, self.clock())
            self._next = base + seconds


def _names_bucket(record: dict[str, Any], bucket: str) -> bool:
    params = record.get("requestParameters")
    if isinstance(params, dict) and params.get("bucketName") == bucket:
        return True
    for res in record.get("resources") or []:
        arn = res.get("ARN") or res.get("arn") or ""
        if arn == f"arn:aws:s3:::{bucket}" or arn.startswith(f"arn:aws:s3:::{bucket}/"):
            return True
    return False


def lookup_bucket_records(
    cloudtrail: Any,
    bucket: str,
    start: datetime,
    end: datetime,
    *,
    limiter: RateLimiter,
    max_records: int = 10_000,
    max_throttle_retries: int = 8,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Management events on ``bucket`` from LookupEvents, as CloudTrail records, and paging statistics.

    Every page is asked with the parameters of the first (the API rejects a NextToken used with others).
    """
    raw = _raw(cloudtrail)
    params: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": bucket}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": LOOKUP_PAGE_SIZE,
    }
    stats = {"pages": 0, "events_returned": 0, "events_kept": 0, "other_bucket": 0, "throttled": 0, "truncated": False}
    records: list[dict[str, Any]] = []
    token = None
    retries = 0
    while True:
        call = dict(params)
        if token:
            call["NextToken"] = token
        limiter.acquire()
        try:
            page = raw.lookup_events(**call)
        except Exception as exc:
            code = _code(exc)
            if code in THROTTLE_CODES and retries < max_throttle_retries:
                retries += 1
                stats["throttled"] += 1
                limiter.penalise(min(2.0**retries * 0.25, 8.0))
                continue
            if code in DENIED_CODES:
                raise SourceError(
                    "Access denied calling CloudTrail LookupEvents: the credentials need cloudtrail:LookupEvents",
                    missing_permission="cloudtrail:LookupEvents",
                ) from exc
            raise
        retries = 0
        stats["pages"] += 1
        for event in page.get("Events") or []:
            stats["events_returned"] += 1
            try:
                record = json.loads(event.get("CloudTrailEvent") or "{}")
            except ValueError:
                continue
            if not isinstance(record, dict) or not _names_bucket(record, bucket):
                stats["other_bucket"] += 1
                continue
            records.append(record)
            stats["events_kept"] += 1
        token = page.get("NextToken")
        if not token:
            break
        if len(records) >= max_records:
            stats["truncated"] = True
            break
    stats["wait_seconds"] = round(limiter.waited, 3)
    return records, stats


# --------------------------------------------------------------------------------------------- Athena

#: Columns selected from a CloudTrail table (the layout AWS documents for CloudTrail tables in Athena).
ATHENA_COLUMNS = (
    ("eventtime", "eventtime"),
    ("eventsource", "eventsource"),
    ("eventname", "eventname"),
    ("awsregion", "awsregion"),
    ("sourceipaddress", "sourceipaddress"),
    ("useragent", "useragent"),
    ("identity_type", "useridentity.type"),
    ("identity_arn", "useridentity.arn"),
    ("identity_account", "useridentity.accountid"),
    ("access_key_id", "useridentity.accesskeyid"),
    ("issuer_arn", "useridentity.sessioncontext.sessionissuer.arn"),
    ("object_key", "json_extract_scalar(requestparameters, '$.key')"),
    ("errorcode", "errorcode"),
    ("bytes_out", "json_extract_scalar(additionaleventdata, '$.bytesTransferredOut')"),
    ("auth_method", "json_extract_scalar(additionaleventdata, '$.AuthenticationMethod')"),
    ("eventid", "eventid"),
    ("readonly", "readonly"),
    ("recipientaccountid", "recipientaccountid"),
    ("eventcategory", "eventcategory"),
    ("vpcendpointid", "vpcendpointid"),
)


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(value: str, option: str) -> str:
    if not value or not all(c.isalnum() or c in "_-" for c in value):
        raise SourceError(f"{option} {value!r} must be a plain Athena identifier (letters, digits, _ and -)")
    return value


def athena_query(database: str, table: str, bucket: str, start: datetime, end: datetime) -> str:
    """The SQL that selects the bucket's events of the window from a CloudTrail table."""
    cols = ",\n  ".join(f"{expr} AS {name}" for name, expr in ATHENA_COLUMNS)
    t0 = start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    t1 = end.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"SELECT\n  {cols}\nFROM {_ident(database, 'athena_database')}.{_ident(table, 'athena_table')}\n"
        f"WHERE eventtime BETWEEN {_sql_literal(t0)} AND {_sql_literal(t1)}\n"
        f"  AND json_extract_scalar(requestparameters, '$.bucketName') = {_sql_literal(bucket)}\n"
        "ORDER BY eventtime"
    )


def _row_values(row: dict[str, Any]) -> list[str | None]:
    return [d.get("VarCharValue") if isinstance(d, dict) else None for d in row.get("Data") or []]


def athena_row_to_record(values: dict[str, str | None], bucket: str) -> dict[str, Any]:
    """A CloudTrail record rebuilt from one row of :data:`ATHENA_COLUMNS` (by column name)."""
    v = {k: (x if x not in ("", None) else None) for k, x in values.items()}
    identity: dict[str, Any] = {
        k: val
        for k, val in (
            ("type", v.get("identity_type")),
            ("arn", v.get("identity_arn")),
            ("accountId", v.get("identity_account")),
            ("accessKeyId", v.get("access_key_id")),
        )
        if val is not None
    }
    if v.get("issuer_arn"):
        identity["sessionContext"] = {"sessionIssuer": {"arn": v["issuer_arn"]}}
    extra: dict[str, Any] = {}
    if v.get("bytes_out") is not None:
        try:
            extra["bytesTransferredOut"] = int(float(v["bytes_out"]))
        except ValueError:
            pass
    if v.get("auth_method"):
        extra["AuthenticationMethod"] = v["auth_method"]
    params: dict[str, Any] = {"bucketName": bucket}
    if v.get("object_key"):
        params["key"] = v["object_key"]
    record = {
        "eventTime": v.get("eventtime"),
        "eventSource": v.get("eventsource"),
        "eventName": v.get("eventname"),
        "awsRegion": v.get("awsregion"),
        "sourceIPAddress": v.get("sourceipaddress"),
        "userAgent": v.get("useragent"),
        "userIdentity": identity,
        "requestParameters": params,
        "additionalEventData": extra,
        "errorCode": v.get("errorcode"),
        "eventID": v.get("eventid"),
        "readOnly": v.get("readonly"),
        "recipientAccountId": v.get("recipientaccountid"),
        "eventCategory": v.get("eventcategory"),
        "vpcEndpointId": v.get("vpcendpointid"),
    }
    return {k: val for k, val in record.items() if val is not None}


def athena_bucket_records(
    athena: Any,
    *,
    database: str,
    table: str,
    bucket: str,
    start: datetime,
    end: datetime,
    workgroup: str | None = None,
    output_location: str | None = None,
    timeout: float = 300.0,
    poll: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run :func:`athena_query`, wait for it, page its results; CloudTrail records and query statistics."""
    query = athena_query(database, table, bucket, start, end)
    params: dict[str, Any] = {"QueryString": query, "QueryExecutionContext": {"Database": database}}
    if workgroup:
        params["WorkGroup"] = workgroup
    if output_location:
        params["ResultConfiguration"] = {"OutputLocation": output_location}
    try:
        qid = _call(athena, "start_query_execution", **params)["QueryExecutionId"]
    except Exception as exc:
        if _code(exc) in DENIED_CODES:
            raise SourceError(
                f"Access denied starting an Athena query on {database}.{table}: the credentials need "
                "athena:StartQueryExecution (and glue:GetTable, s3:GetObject on the trail bucket, s3:PutObject on "
                "the results location)",
                missing_permission="athena:StartQueryExecution",
            ) from exc
        raise
    began = clock()
    state = "QUEUED"
    reason = None
    polls = 0
    while True:
        execution = _call(athena, "get_query_execution", QueryExecutionId=qid)["QueryExecution"]
        polls += 1
        status = execution.get("Status") or {}
        state = status.get("State", "QUEUED")
        reason = status.get("StateChangeReason")
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        if clock() - began >= timeout:
            try:
                _call(athena, "stop_query_execution", QueryExecutionId=qid)
            except Exception:  # the query may just have ended; the timeout is what gets reported
                pass
            raise SourceError(
                f"Athena query {qid} on {database}.{table} did not finish within {timeout:g} seconds "
                "(it was stopped); raise athena_timeout or narrow the window",
                query_execution_id=qid,
            )
        sleep(poll)
    if state != "SUCCEEDED":
        raise SourceError(
            f"Athena query {qid} on {database}.{table} ended {state}: {reason or 'no reason given'}",
            query_execution_id=qid,
        )
    records: list[dict[str, Any]] = []
    header: list[str] | None = None
    pages = 0
    token = None
    while True:
        page_params: dict[str, Any] = {"QueryExecutionId": qid, "MaxResults": 1000}
        if token:
            page_params["NextToken"] = token
        page = _call(athena, "get_query_results", **page_params)
        pages += 1
        result_set = page.get("ResultSet") or {}
        rows = result_set.get("Rows") or []
        if header is None:
            meta = [
                c.get("Name") or c.get("Label")
                for c in (result_set.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
            ]
            first = _row_values(rows[0]) if rows else []
            if first and [str(x).lower() for x in first] == [name for name, _expr in ATHENA_COLUMNS][: len(first)]:
                header = [str(x).lower() for x in first]
                rows = rows[1:]
            elif meta:
                header = [str(x).lower() for x in meta]
            else:
                header = [name for name, _expr in ATHENA_COLUMNS]
        for row in rows:
            values = dict(zip(header, _row_values(row), strict=False))
            records.append(athena_row_to_record(values, bucket))
        token = page.get("NextToken")
        if not token:
            break
    return records, {"query_execution_id": qid, "state": state, "polls": polls, "pages": pages, "rows": len(records)}

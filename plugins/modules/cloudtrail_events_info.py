#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudtrail_events_info
short_description: Who did what to an S3 bucket, from CloudTrail log files, LookupEvents and Athena
version_added: 0.1.0
description:
  - Collects the CloudTrail events on one bucket in a time window and answers "who acted on the bucket, from where,
    doing what, when".
  - Source C(trail) finds the trails whose event selectors (basic or advanced) log S3 data events of the bucket, lists
    their log files for the window (pruned by the date folders and the delivery time in each file name) and reads
    them from S3 with concurrent GETs, in memory. This is the only source of data events (C(GetObject),
    C(PutObject), C(DeleteObject), C(ListObjects) ...).
  - Source C(lookup) calls CloudTrail C(LookupEvents) with C(ResourceName=<bucket>) for management events such as
    C(PutBucketPolicy), C(DeleteBucketPublicAccessBlock) or C(PutBucketAcl), at most O(lookup_rate) calls per second
    (the API allows 2), and keeps the events whose C(requestParameters.bucketName) is the bucket.
  - Source C(athena) runs one query over a CloudTrail table through Amazon Athena (for trails too large to read from
    one machine), waits for it and pages its results.
  - When no trail logs data events for the bucket, the result says so (RV(messages)), suggests enabling them, and
    LookupEvents is used even if it was not asked for.
  - Every actor is scored for suspicion (outside IPs, anonymous or cross-account access, presigned URLs, errors then
    success, mass reads, bucket policy / ACL / Block Public Access / versioning changes, principals or IPs named by
    findings) so the investigate role can pick whom to look at first.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: Name of the bucket whose events are wanted.
    type: str
    required: true
  start:
    description:
      - Start of the window, ISO 8601 with a time zone (V(2026-11-01T08:00:00Z)).
      - Must not be in the future.
    type: str
    required: true
  end:
    description:
      - End of the window, ISO 8601 with a time zone. Defaults to now. Must not be before O(start).
    type: str
  sources:
    description: Where to read events from.
    type: list
    elements: str
    choices: [trail, lookup, athena]
    default: [trail, lookup]
  account_id:
    description:
      - Account whose log folders (C(AWSLogs/<account>/CloudTrail/...)) hold the bucket's events, and that owns the
        bucket. Defaults to the caller's account.
    type: str
  bucket_region:
    description: Region of the bucket (its data events are logged there). Defaults to C(GetBucketLocation).
    type: str
  max_events:
    description:
      - At most this many events are returned in RV(events) (the earliest first); RV(actors), RV(observed_calls) and
        RV(summary) always count everything found.
    type: int
    default: 1000
  lookup_rate:
    description: LookupEvents calls per second (CloudTrail allows 2 per account and Region).
    type: float
    default: 2.0
  athena_database:
    description: Athena (Glue) database of the CloudTrail table. Required with source C(athena).
    type: str
  athena_table:
    description: Athena table over the trail's log files. Required with source C(athena).
    type: str
  athena_workgroup:
    description: Athena workgroup to run the query in.
    type: str
  athena_output_location:
    description: C(s3://) location for query results, when the workgroup does not set one.
    type: str
  athena_timeout:
    description: Seconds to wait for the Athena query; it is stopped after that and the task fails.
    type: int
    default: 300
  flagged_principals:
    description: Principal ARNs named by findings (GuardDuty, triage); actors matching them score higher.
    type: list
    elements: str
    default: []
  flagged_access_key_ids:
    description: Access key ids named by findings.
    type: list
    elements: str
    default: []
  flagged_user_names:
    description: IAM user names named by findings.
    type: list
    elements: str
    default: []
  flagged_ips:
    description: Source IP addresses named by findings.
    type: list
    elements: str
    default: []
  trusted_networks:
    description: CIDR blocks that are not "outside" (calls from elsewhere score as external).
    type: list
    elements: str
    default: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "127.0.0.0/8"]
  suspicion_threshold:
    description: Actors scoring at least this much are RV(actors) with C(suspected=true).
    type: int
    default: 40
  timeline_max:
    description: At most this many RV(timeline) entries (bucket changes are always kept first).
    type: int
    default: 1000
  workers:
    description: Processes that decode log files (default - the usable cores).
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Read-only. IAM actions - C(cloudtrail:DescribeTrails), C(cloudtrail:GetEventSelectors), C(cloudtrail:LookupEvents),
    C(s3:ListBucket) and C(s3:GetObject) on the trail's log bucket, C(s3:GetBucketLocation) on the bucket,
    C(sts:GetCallerIdentity); with C(athena) also C(athena:StartQueryExecution), C(athena:GetQueryExecution),
    C(athena:GetQueryResults), C(athena:StopQueryExecution) and what Athena needs to read the table.
  - LookupEvents only returns management events of the last 90 days and never S3 data events.
"""

EXAMPLES = r"""
- name: Find who touched the victim bucket in the last day
  cloudsec.s3.cloudtrail_events_info:
    bucket: acme-customer-exports
    start: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now(utc=true).timestamp() - 86400, utc=true) }}"
    flagged_ips: [203.0.113.66]
  register: events

- name: Query a very large trail through Athena instead
  cloudsec.s3.cloudtrail_events_info:
    bucket: acme-customer-exports
    start: "2026-11-01T00:00:00Z"
    end: "2026-11-02T00:00:00Z"
    sources: [athena, lookup]
    athena_database: security
    athena_table: cloudtrail_logs
    athena_output_location: s3://acme-athena-results/
"""

RETURN = r"""
events:
  description: Matching events in time order, at most O(max_events); see RV(events_truncated).
  returned: always
  type: list
  elements: dict
  sample:
    - time: "2026-11-01T10:06:00Z"
      event_name: GetObject
      principal_arn: arn:aws:iam::123456789012:user/svc-legacy-backup
      principal_kind: iam_user
      source_ip: 203.0.113.66
      key: exports/customers.csv
      error_code: null
      bytes_out: 28441
      access_key_id: AKIAIOSFODNN7EXAMPLE
events_truncated:
  description: Whether more events were found than RV(events) holds.
  returned: always
  type: bool
  sample: true
max_events:
  description: The cap applied to RV(events).
  returned: always
  type: int
  sample: 1000
actors:
  description:
    - One entry per principal (role sessions folded into the role, with the sessions in C(session_arns)), most
      suspicious first. C(kind) is one of iam_user, assumed_role, root, federated, identity_center, cross_account,
      aws_service, anonymous, presigned_url, unknown.
  returned: always
  type: list
  elements: dict
  sample:
    - arn: arn:aws:iam::123456789012:user/svc-legacy-backup
      type: IAMUser
      kind: iam_user
      account_id: "123456789012"
      access_key_ids: [AKIAIOSFODNN7EXAMPLE]
      source_ips: [203.0.113.66]
      source_ip_counts: {203.0.113.66: 71}
      user_agents: ["[Boto3/1.34.69 ... os/linux#6.6.9-kali1-amd64 ...]"]
      session_arns: []
      event_counts: {GetObject: 64, PutBucketPolicy: 1}
      event_count: 71
      first_seen: "2026-11-01T04:02:11Z"
      last_seen: "2026-11-01T04:30:00Z"
      error_count: 0
      error_counts: {}
      bytes_out: 53816409
      bytes_in: 0
      objects_touched: 60
      objects_read: 60
      detective_entity_arn: arn:aws:iam::123456789012:user/svc-legacy-backup
      suspicion_score: 95
      signals: [external_ip, bucket_change, mass_read, tool_agent]
      reasons: ["calls from outside the trusted networks: 203.0.113.66", "changed the bucket: PutBucketPolicy"]
      suspected: true
timeline:
  description:
    - Events of suspected actors and every bucket change, in time order; consecutive repeats of the same call by the
      same actor from the same IP with the same outcome are one entry (C(count), C(time) .. C(last_time)).
      C(change) is true for policy, ACL, Block Public Access, versioning, encryption, replication, lifecycle ...
      changes.
  returned: always
  type: list
  elements: dict
  sample:
    - time: "2026-11-01T04:10:00Z"
      last_time: "2026-11-01T04:10:00Z"
      actor_arn: arn:aws:iam::123456789012:user/svc-legacy-backup
      actor_kind: iam_user
      event_name: PutBucketPolicy
      source_ip: 203.0.113.66
      error: null
      change: true
      count: 1
      objects: 0
      key: null
observed_calls:
  description:
    - Per actor ARN, the IAM actions it exercised on which resources (C(ListObjectsV2) is C(s3:ListBucket),
      C(HeadObject) C(s3:GetObject), C(DeleteBucketPublicAccessBlock) C(s3:PutBucketPublicAccessBlock) ...). More than
      20 objects for one action are one entry whose resource ends in C(*).
  returned: always
  type: dict
  sample: {"arn:aws:iam::123456789012:user/svc-legacy-backup": [{"action": "s3:GetObject",
           "resource": "arn:aws:s3:::acme-customer-exports/*", "count": 62, "first_seen": "2026-11-01T04:12:00Z",
           "last_seen": "2026-11-01T04:30:00Z", "error_count": 0, "objects": 60}]}
sources:
  description: The sources that were read.
  returned: always
  type: list
  elements: str
  sample: [trail, lookup]
messages:
  description: What the responder should know (no trail logs data events of the bucket, files skipped ...).
  returned: always
  type: list
  elements: str
  sample: ["No CloudTrail trail logs S3 data events for bucket x; ..."]
summary:
  description:
    - Counts and time. C(records_scanned), C(files_listed), C(files_read), C(files_skipped), C(skipped_by_reason),
      C(skipped) (first 50 with their reason), C(events_found), C(seconds), C(trails) (every trail looked at and
      whether it logs the bucket), C(lookup) and C(athena) paging statistics, C(window).
  returned: always
  type: dict
  sample: {"records_scanned": 3404, "files_listed": 288, "files_read": 288, "files_skipped": 0, "events_found": 3025,
           "seconds": 3.7}
"""

from datetime import datetime
from datetime import timezone

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils import cloudtrail_sources as sources_mod
from ansible_collections.cloudsec.s3.plugins.module_utils import suspicion
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import parse_aware_time
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_account_id
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

#: Events kept in memory for the analysis (actors, timeline, observed calls); beyond it the analysis is partial.
ANALYSIS_MAX_EVENTS = 250_000


def check_window(start_s: str, end_s: str | None, now: datetime) -> tuple[datetime, datetime]:
    start = parse_aware_time(start_s, "start")
    end = parse_aware_time(end_s, "end") if end_s else now
    if start > now:
        raise ValueError(f"Window start {start:%Y-%m-%dT%H:%M:%SZ} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ})")
    if end < start:
        raise ValueError(f"Window end {end:%Y-%m-%dT%H:%M:%SZ} is before window start {start:%Y-%m-%dT%H:%M:%SZ}")
    return start, min(end, now)


def bucket_region(s3, bucket: str, default: str) -> str:
    try:
        loc = s3.get_bucket_location(aws_retry=True, Bucket=bucket).get("LocationConstraint")
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchBucket"):
            raise sources_mod.SourceError(f"Bucket {bucket} does not exist", bucket=bucket) from exc
        return default
    if not loc:
        return "us-east-1"
    return "eu-west-1" if loc == "EU" else loc


def _merge(all_events: list[dict], seen: set[str], events: list[dict]) -> int:
    added = 0
    for ev in events:
        eid = ev.get("event_id")
        if eid:
            if eid in seen:
                continue
            seen.add(eid)
        all_events.append(ev)
        added += 1
    return added


def _fold_scan(summary: dict, stats: dict) -> None:
    for key in ("records_scanned", "files_listed", "files_read", "files_skipped", "files_pruned", "bytes_compressed"):
        summary[key] = summary.get(key, 0) + stats.get(key, 0)
    for reason, n in (stats.get("skipped_by_reason") or {}).items():
        summary["skipped_by_reason"][reason] = summary["skipped_by_reason"].get(reason, 0) + n
    summary["skipped"].extend((stats.get("skipped") or [])[: max(0, 50 - len(summary["skipped"]))])


def collect(module, params: dict, start: datetime, end: datetime) -> dict:
    bucket = params["bucket"]
    wanted = list(dict.fromkeys(params["sources"]))
    messages: list[str] = []
    used: list[str] = []
    summary: dict = {
        "window": {"start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end": f"{end:%Y-%m-%dT%H:%M:%SZ}"},
        "records_scanned": 0,
        "files_listed": 0,
        "files_read": 0,
        "files_skipped": 0,
        "files_pruned": 0,
        "bytes_compressed": 0,
        "skipped_by_reason": {},
        "skipped": [],
        "trails": [],
        "lookup": None,
        "athena": None,
        "analysis_truncated": False,
    }
    events: list[dict] = []
    seen: set[str] = set()
    account_id = params["account_id"]
    if account_id is None:
        account_id = caller_identity(client(module, "sts"))["account_id"]
    region = params["bucket_region"]

    if "trail" in wanted:
        s3 = client(module, "s3")
        if region is None:
            region = bucket_region(s3, bucket, module.region or "us-east-1")
        cloudtrail = client(module, "cloudtrail", region=region)
        trails, looked = sources_mod.discover_trails(cloudtrail, bucket, region)
        summary["trails"] = looked
        if not trails:
            messages.append(
                f"No CloudTrail trail logs S3 data events for bucket {bucket}, so object reads and writes "
                "(GetObject, PutObject, DeleteObject ...) cannot be seen. Enable them (event selector "
                f"AWS::S3::Object arn:aws:s3:::{bucket}/ on a trail, or the cloudsec.s3 harden role); "
                "falling back to LookupEvents for management events."
            )
            if "lookup" not in wanted:
                wanted.append("lookup")
        for trail in trails:
            result = sources_mod.read_trail(
                s3,
                trail,
                bucket=bucket,
                account_id=account_id,
                region=region,
                start=start,
                end=end,
                max_events=ANALYSIS_MAX_EVENTS,
                workers=params["workers"],
            )
            _fold_scan(summary, result.stats)
            summary["analysis_truncated"] |= result.truncated
            _merge(events, seen, result.events)
            if result.stats.get("files_skipped"):
                reasons = ", ".join(f"{n} {r}" for r, n in sorted(result.stats["skipped_by_reason"].items()))
                messages.append(f"Trail {trail.name}: {result.stats['files_skipped']} log files skipped ({reasons})")
            if not trail.coverage.read or not trail.coverage.write:
                messages.append(
                    f"Trail {trail.name} logs only {'read' if trail.coverage.read else 'write'} data events of {bucket}"
                )
        if trails:
            used.append("trail")

    if "lookup" in wanted:
        cloudtrail = client(module, "cloudtrail", region=region) if region else client(module, "cloudtrail")
        limiter = sources_mod.RateLimiter(params["lookup_rate"])
        records, stats = sources_mod.lookup_bucket_records(cloudtrail, bucket, start, end, limiter=limiter)
        summary["lookup"] = stats
        result = sources_mod.scan_records(
            records, bucket=bucket, start=start, end=end, max_events=ANALYSIS_MAX_EVENTS, source="lookup-events"
        )
        summary["records_scanned"] += result.stats.get("records_scanned", 0)
        _merge(events, seen, result.events)
        used.append("lookup")

    if "athena" in wanted:
        athena = client(module, "athena", region=region) if region else client(module, "athena")
        records, stats = sources_mod.athena_bucket_records(
            athena,
            database=params["athena_database"],
            table=params["athena_table"],
            bucket=bucket,
            start=start,
            end=end,
            workgroup=params["athena_workgroup"],
            output_location=params["athena_output_location"],
            timeout=params["athena_timeout"],
        )
        summary["athena"] = stats
        result = sources_mod.scan_records(
            records, bucket=bucket, start=start, end=end, max_events=ANALYSIS_MAX_EVENTS, source="athena-results"
        )
        summary["records_scanned"] += result.stats.get("records_scanned", 0)
        _merge(events, seen, result.events)
        used.append("athena")

    events.sort(key=lambda e: (e["time"], e.get("event_id") or ""))
    return {"events": events, "sources": used, "messages": messages, "summary": summary, "account_id": account_id}


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        start=dict(type="str", required=True),
        end=dict(type="str"),
        sources=dict(type="list", elements="str", choices=["trail", "lookup", "athena"], default=["trail", "lookup"]),
        account_id=dict(type="str"),
        bucket_region=dict(type="str"),
        max_events=dict(type="int", default=1000),
        lookup_rate=dict(type="float", default=2.0),
        athena_database=dict(type="str"),
        athena_table=dict(type="str"),
        athena_workgroup=dict(type="str"),
        athena_output_location=dict(type="str"),
        athena_timeout=dict(type="int", default=300),
        flagged_principals=dict(type="list", elements="str", default=[]),
        flagged_access_key_ids=dict(type="list", elements="str", default=[], no_log=False),
        flagged_user_names=dict(type="list", elements="str", default=[]),
        flagged_ips=dict(type="list", elements="str", default=[]),
        trusted_networks=dict(type="list", elements="str", default=list(suspicion.DEFAULT_TRUSTED_NETWORKS)),
        suspicion_threshold=dict(type="int", default=40),
        timeline_max=dict(type="int", default=1000),
        workers=dict(type="int"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("sources", ["athena"], ["athena_database", "athena_table"], False)],
    )
    params = module.params
    now = datetime.now(timezone.utc)
    try:
        validate_bucket_name(params["bucket"], "bucket")
        if params["account_id"] is not None:
            validate_account_id(params["account_id"], "account_id")
        start, end = check_window(params["start"], params["end"], now)
        for name in ("max_events", "timeline_max"):
            if params[name] < 0:
                raise ValueError(f"{name} must not be negative, got {params[name]}")
        if params["lookup_rate"] <= 0 or params["lookup_rate"] > 2.0:
            raise ValueError(
                f"lookup_rate must be above 0 and at most 2 (calls per second), got {params['lookup_rate']}"
            )
        if params["workers"] is not None and params["workers"] < 1:
            raise ValueError(f"workers must be at least 1, got {params['workers']}")
        if "athena" in params["sources"] and not (params["athena_database"] and params["athena_table"]):
            raise ValueError("source athena needs athena_database and athena_table")
        options = suspicion.RankOptions(
            bucket_account_id=params["account_id"],
            trusted_networks=tuple(params["trusted_networks"]),
            threshold=params["suspicion_threshold"],
        )
        suspicion.parse_networks(options.trusted_networks)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    t0 = datetime.now(timezone.utc)
    try:
        found = collect(module, params, start, end)
    except sources_mod.SourceError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read CloudTrail events for bucket {params['bucket']}")

    options.bucket_account_id = found["account_id"]
    flags = suspicion.Flags.from_lists(
        params["flagged_principals"],
        params["flagged_access_key_ids"],
        params["flagged_user_names"],
        params["flagged_ips"],
    )
    events = found["events"]
    analysis = suspicion.analyse(
        events, params["bucket"], flags=flags, options=options, timeline_max=params["timeline_max"]
    )
    summary = found["summary"]
    summary["events_found"] = len(events)
    summary["timeline_truncated"] = analysis["timeline_truncated"]
    summary["seconds"] = round((datetime.now(timezone.utc) - t0).total_seconds(), 3)
    module.exit_json(
        changed=False,
        events=events[: params["max_events"]],
        events_truncated=len(events) > params["max_events"],
        max_events=params["max_events"],
        actors=analysis["actors"],
        timeline=analysis["timeline"],
        observed_calls=analysis["observed_calls"],
        sources=found["sources"],
        messages=found["messages"],
        summary=summary,
    )


if __name__ == "__main__":
    main()

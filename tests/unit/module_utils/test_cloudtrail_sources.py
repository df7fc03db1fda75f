"""Trail selectors, LookupEvents paging and rate limit, Athena polling and paging, access-denied messages."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timezone

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import cloudtrail_sources as cs
from botocore.exceptions import ClientError

BUCKET = "victim"
START = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
END = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def client_error(code: str, op: str = "Op") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, op)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# ------------------------------------------------------------------ selectors


def test_basic_selector_for_the_bucket_covers_read_and_write():
    resp = {"EventSelectors": [{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::other/", f"arn:aws:s3:::{BUCKET}/"]}]}]}  # fmt: skip
    cov = cs.selector_coverage(resp, BUCKET)
    assert cov.to_dict() == {"covers": True, "read": True, "write": True, "prefixes": [""], "selector_kind": "basic"}


def test_basic_selector_all_buckets_write_only_and_prefix():
    every = {"EventSelectors": [{"ReadWriteType": "WriteOnly", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}  # fmt: skip
    cov = cs.selector_coverage(every, BUCKET)
    assert cov.covers and cov.write and not cov.read
    prefix = {
        "EventSelectors": [
            {"DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{BUCKET}/exports/"]}]}
        ]
    }
    assert cs.selector_coverage(prefix, BUCKET).prefixes == ["exports/"]


def test_selectors_for_other_buckets_or_lambda_do_not_cover():
    resp = {"EventSelectors": [{"DataResources": [
        {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]},
        {"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{BUCKET}-logs/"]}]}]}  # fmt: skip
    assert not cs.selector_coverage(resp, BUCKET).covers


def _advanced(*field_selectors: dict) -> dict:
    return {"AdvancedEventSelectors": [{"Name": "s3", "FieldSelectors": list(field_selectors)}]}


def test_advanced_selectors_data_events_for_the_bucket():
    resp = _advanced(
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{BUCKET}/"]},
        {"Field": "readOnly", "Equals": ["true"]},
    )
    cov = cs.selector_coverage(resp, BUCKET)
    assert cov.covers and cov.read and not cov.write and cov.selector_kind == "advanced"


def test_advanced_selectors_all_buckets_except_this_one_do_not_cover():
    every = _advanced(
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    )
    assert cs.selector_coverage(every, BUCKET).covers
    excluded = _advanced(
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "NotStartsWith": [f"arn:aws:s3:::{BUCKET}/"]},
    )
    assert not cs.selector_coverage(excluded, BUCKET).covers
    management = _advanced({"Field": "eventCategory", "Equals": ["Management"]})
    assert not cs.selector_coverage(management, BUCKET).covers


class FakeTrails:
    def __init__(self, trails, selectors) -> None:
        self.trails, self.selectors = trails, selectors

    def describe_trails(self, **kw):
        return {"trailList": self.trails}

    def get_event_selectors(self, TrailName):
        return self.selectors[TrailName]


def test_discover_trails_keeps_the_ones_logging_the_bucket_and_says_why_not():
    def trail(name: str, region: str, multi: bool) -> dict:
        return {"Name": name, "TrailARN": f"arn:t/{name}", "HomeRegion": region, "IsMultiRegionTrail": multi,
                "S3BucketName": "logs"}  # fmt: skip

    trails = [trail("main", "us-east-1", True), trail("mgmt", "us-east-1", True), trail("eu", "eu-west-1", False)]
    selectors = {
        "arn:t/main": {"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]},
        "arn:t/mgmt": {"EventSelectors": [{"IncludeManagementEvents": True, "DataResources": []}]},
    }
    found, looked = cs.discover_trails(FakeTrails(trails, selectors), BUCKET, "us-east-1")
    assert [t.name for t in found] == ["main"]
    assert found[0].log_bucket == "logs"
    why = {entry["arn"]: entry for entry in looked}
    assert why["arn:t/mgmt"]["logs_bucket"] is False
    assert "single-Region trail in eu-west-1" in why["arn:t/eu"]["why"]


def test_listing_denied_on_the_log_bucket_names_bucket_and_s3_listbucket():
    class DeniedS3:
        def list_objects_v2(self, **kw):
            raise client_error("AccessDenied", "ListObjectsV2")

    trail = cs.TrailSource("main", "arn:t/main", "us-east-1", "trail-logs", None, True, False, cs.Coverage(covers=True))
    with pytest.raises(cs.SourceError) as err:
        cs.read_trail(DeniedS3(), trail, bucket=BUCKET, account_id="123456789012", region="us-east-1",
                      start=START, end=END, max_events=10)  # fmt: skip
    assert "trail-logs" in err.value.message and "s3:ListBucket" in err.value.message
    assert err.value.details == {"log_bucket": "trail-logs", "missing_permission": "s3:ListBucket"}


# ------------------------------------------------------------------ rate limiter and LookupEvents


def test_rate_limiter_spaces_calls_by_the_rate():
    fake = FakeClock()
    limiter = cs.RateLimiter(2.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        limiter.acquire()
    assert fake.sleeps == [0.5, 0.5, 0.5, 0.5]
    assert limiter.calls == 5 and limiter.waited == pytest.approx(2.0)
    fake.now += 10  # idle time is not banked: the next call goes at once, the one after waits again
    limiter.acquire()
    limiter.acquire()
    assert fake.sleeps[-1] == 0.5 and len(fake.sleeps) == 5


def _lookup_event(bucket: str, n: int) -> dict:
    record = {"eventTime": "2026-11-01T01:00:00Z", "eventName": "PutBucketAcl", "eventSource": "s3.amazonaws.com",
              "eventID": f"id-{bucket}-{n}", "requestParameters": {"bucketName": bucket}}  # fmt: skip
    return {"EventId": record["eventID"], "EventName": "PutBucketAcl", "CloudTrailEvent": json.dumps(record)}


class FakeLookup:
    """LookupEvents that pages, checks every page is asked with the first call's parameters, and throttles once."""

    def __init__(self, pages: list[list[dict]], throttle_on: int | None = None, clock: FakeClock | None = None) -> None:
        self.pages = pages
        self.calls: list[dict] = []
        self.times: list[float] = []
        self.throttle_on = throttle_on
        self.clock = clock

    def lookup_events(self, **params):
        self.calls.append(params)
        if self.clock:
            self.times.append(self.clock.now)
        if self.throttle_on is not None and len(self.calls) == self.throttle_on:
            raise client_error("ThrottlingException", "LookupEvents")
        base = dict(self.calls[0])
        rest = {k: v for k, v in params.items() if k != "NextToken"}
        assert rest == base, "NextToken used with other parameters"
        index = int(params.get("NextToken", "0"))
        out = {"Events": self.pages[index]}
        if index + 1 < len(self.pages):
            out["NextToken"] = str(index + 1)
        return out


def test_lookup_pages_with_the_same_parameters_and_post_filters_the_bucket():
    pages = [
        [_lookup_event(BUCKET, i) for i in range(50)],
        [_lookup_event(BUCKET, 50), _lookup_event("other", 1)],
        [_lookup_event(BUCKET, 51)],
    ]
    fake = FakeClock()
    api = FakeLookup(pages, clock=fake)
    records, stats = cs.lookup_bucket_records(
        api, BUCKET, START, END, limiter=cs.RateLimiter(2.0, clock=fake.clock, sleep=fake.sleep)
    )
    assert len(records) == 52 and stats["pages"] == 3 and stats["other_bucket"] == 1
    assert api.calls[0]["LookupAttributes"] == [{"AttributeKey": "ResourceName", "AttributeValue": BUCKET}]
    assert api.calls[0]["MaxResults"] == 50
    assert [c.get("NextToken") for c in api.calls] == [None, "1", "2"]
    gaps = [b - a for a, b in zip(api.times, api.times[1:], strict=False)]
    assert all(g >= 0.5 for g in gaps)  # never more than 2 calls per second


def test_lookup_throttling_is_retried_with_backoff():
    fake = FakeClock()
    api = FakeLookup([[_lookup_event(BUCKET, 1)], [_lookup_event(BUCKET, 2)]], throttle_on=2, clock=fake)
    records, stats = cs.lookup_bucket_records(
        api, BUCKET, START, END, limiter=cs.RateLimiter(2.0, clock=fake.clock, sleep=fake.sleep)
    )
    assert len(records) == 2 and stats["throttled"] == 1 and stats["pages"] == 2
    assert api.times[2] - api.times[1] > 0.5  # backed off beyond the normal spacing


def test_lookup_access_denied_names_the_permission():
    class Denied:
        def lookup_events(self, **kw):
            raise client_error("AccessDeniedException", "LookupEvents")

    with pytest.raises(cs.SourceError, match="cloudtrail:LookupEvents"):
        cs.lookup_bucket_records(Denied(), BUCKET, START, END, limiter=cs.RateLimiter(1000))


# ------------------------------------------------------------------ Athena


class FakeAthena:
    def __init__(self, states: list[str], pages: list[list[list[str | None]]]) -> None:
        self.states = states
        self.pages = pages
        self.started: dict = {}
        self.stopped = False
        self.result_calls: list[dict] = []

    def start_query_execution(self, **params):
        self.started = params
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {
            "QueryExecution": {"Status": {"State": state, "StateChangeReason": "boom" if state == "FAILED" else None}}
        }

    def stop_query_execution(self, QueryExecutionId):
        self.stopped = True

    def get_query_results(self, **params):
        self.result_calls.append(params)
        index = int(params.get("NextToken", "0"))
        rows = [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in self.pages[index]]
        out = {"ResultSet": {"Rows": rows}}
        if index + 1 < len(self.pages):
            out["NextToken"] = str(index + 1)
        return out


HEADER = [name for name, _ in cs.ATHENA_COLUMNS]


def _row(name: str, key: str) -> list[str | None]:
    values = dict.fromkeys(HEADER)
    values.update(eventtime="2026-11-01T01:00:00Z", eventsource="s3.amazonaws.com", eventname=name, object_key=key,
                  identity_type="IAMUser", identity_arn="arn:aws:iam::123456789012:user/u", bytes_out="12",
                  eventid=f"e-{key}", identity_account="123456789012")  # fmt: skip
    return [values[h] for h in HEADER]


def test_athena_waits_pages_and_rebuilds_records():
    api = FakeAthena(["QUEUED", "RUNNING", "SUCCEEDED"], [[HEADER, _row("GetObject", "a")], [_row("GetObject", "b")]])
    fake = FakeClock()
    records, stats = cs.athena_bucket_records(
        api, database="sec", table="ct", bucket=BUCKET, start=START, end=END, output_location="s3://r/", poll=2,
        clock=fake.clock, sleep=fake.sleep,
    )  # fmt: skip
    assert stats == {"query_execution_id": "q-1", "state": "SUCCEEDED", "polls": 3, "pages": 2, "rows": 2}
    assert fake.sleeps == [2, 2]
    assert [r["requestParameters"] for r in records] == [
        {"bucketName": BUCKET, "key": "a"},
        {"bucketName": BUCKET, "key": "b"},
    ]
    assert records[0]["additionalEventData"] == {"bytesTransferredOut": 12}
    assert "'victim'" in api.started["QueryString"] and "FROM sec.ct" in api.started["QueryString"]
    assert api.started["ResultConfiguration"] == {"OutputLocation": "s3://r/"}
    assert api.result_calls[1]["NextToken"] == "1"


def test_athena_timeout_stops_the_query_and_says_so():
    api = FakeAthena(["RUNNING"], [[HEADER]])
    fake = FakeClock()
    with pytest.raises(cs.SourceError, match="did not finish within 5 seconds"):
        cs.athena_bucket_records(api, database="sec", table="ct", bucket=BUCKET, start=START, end=END, timeout=5,
                                 poll=1, clock=fake.clock, sleep=fake.sleep)  # fmt: skip
    assert api.stopped


def test_athena_failed_query_reports_its_reason_and_bad_identifiers_are_refused():
    with pytest.raises(cs.SourceError, match="ended FAILED: boom"):
        cs.athena_bucket_records(FakeAthena(["FAILED"], [[]]), database="sec", table="ct", bucket=BUCKET, start=START,
                                 end=END, clock=FakeClock().clock, sleep=lambda s: None)  # fmt: skip
    with pytest.raises(cs.SourceError, match="athena_table"):
        cs.athena_query("sec", "ct; DROP TABLE x", BUCKET, START, END)


def test_records_from_lookup_are_normalised_like_trail_files():
    record = json.loads(_lookup_event(BUCKET, 1)["CloudTrailEvent"])
    record["userIdentity"] = {"type": "AWSAccount", "accountId": "ANONYMOUS_PRINCIPAL", "principalId": ""}
    result = cs.scan_records([record], bucket=BUCKET, start=START, end=END, max_events=10, source="lookup-events")
    (event,) = result.events
    assert event["principal_kind"] == "anonymous" and event["event_name"] == "PutBucketAcl"

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudTrail LookupEvents and trail log files written from seeded CloudTrail records."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from botocore.exceptions import ClientError

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox.clients import ControlError

pytestmark = pytest.mark.sandbox
T0 = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
KEY = re.compile(
    rf"^(?:(?P<prefix>.+)/)?AWSLogs/{ACCOUNT_ID}/CloudTrail/{REGION}/(?P<y>\d{{4}})/(?P<m>\d\d)/(?P<d>\d\d)/"
    rf"{ACCOUNT_ID}_CloudTrail_{REGION}_(?P<stamp>\d{{8}}T\d{{4}}Z)_[A-Za-z0-9]{{16}}\.json\.gz$"
)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _trail(sandbox, name="org-trail", bucket="trail-logs", prefix=None, data_bucket=None):
    s3, ct = sandbox.client("s3"), sandbox.client("cloudtrail")
    s3.create_bucket(Bucket=bucket)
    args = {"Name": name, "S3BucketName": bucket}
    if prefix:
        args["S3KeyPrefix"] = prefix
    ct.create_trail(**args)
    if data_bucket:
        ct.put_event_selectors(
            TrailName=name,
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data_bucket}/"]}],
                }
            ],
        )


def _log_objects(s3, bucket):
    keys = [
        o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])
    ]
    return {k: json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys}


def test_lookup_events_filters_by_each_attribute(sandbox, record, fits_output):
    mgmt = record("PutBucketPolicy", _iso(T0), event_id="e-policy")
    other = record("CreateUser", _iso(T0 + timedelta(minutes=1)), user="admin", event_id="e-user")
    other.update(eventSource="iam.amazonaws.com", requestParameters={"userName": "eve"}, readOnly=False)
    sandbox.seed({"cloudtrail_events": [mgmt, other]})
    ct = sandbox.client("cloudtrail")

    def names(key, value):
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        return [e["EventId"] for e in events]

    assert names("EventId", "e-user") == ["e-user"]
    assert names("EventName", "PutBucketPolicy") == ["e-policy"]
    assert names("ReadOnly", "false") == ["e-user", "e-policy"]
    assert names("Username", "admin") == ["e-user"]
    assert names("ResourceType", "AWS::S3::Bucket") == ["e-policy"]
    assert names("ResourceName", "victim-bucket") == ["e-policy"]
    assert names("ResourceName", "eve") == ["e-user"]
    assert names("EventSource", "iam.amazonaws.com") == ["e-user"]
    assert names("AccessKeyId", mgmt["userIdentity"]["accessKeyId"]) == ["e-policy"]

    event = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": "e-policy"}])["Events"][0]
    fits_output("cloudtrail", "Event", event)
    assert event["EventTime"] == T0
    assert json.loads(event["CloudTrailEvent"])["requestParameters"]["bucketName"] == "victim-bucket"


def test_lookup_events_pages_newest_first_and_never_returns_data_events(sandbox, record):
    _trail(sandbox, data_bucket="victim-bucket")
    mgmt = [record("PutBucketAcl", _iso(T0 + timedelta(minutes=i)), event_id=f"m-{i:03d}") for i in range(120)]
    data = [record("GetObject", _iso(T0 + timedelta(seconds=i)), data=True) for i in range(5)]
    sandbox.seed({"cloudtrail_events": mgmt + data})
    pages = list(sandbox.client("cloudtrail").get_paginator("lookup_events").paginate())
    assert [len(p["Events"]) for p in pages] == [50, 50, 20]
    ids = [e["EventId"] for p in pages for e in p["Events"]]
    assert ids == [f"m-{i:03d}" for i in reversed(range(120))]


def test_lookup_events_time_window(sandbox, record):
    sandbox.seed(
        {"cloudtrail_events": [record(when=_iso(T0 + timedelta(hours=h)), event_id=f"h{h}") for h in range(5)]}
    )
    ct = sandbox.client("cloudtrail")
    events = ct.lookup_events(StartTime=T0 + timedelta(hours=1), EndTime=T0 + timedelta(hours=3))["Events"]
    assert [e["EventId"] for e in events] == ["h3", "h2", "h1"]


def test_lookup_events_errors_use_cloudtrail_codes(sandbox, record):
    sandbox.seed({"cloudtrail_events": [record(event_id=f"e{i}") for i in range(3)]})
    ct = sandbox.client("cloudtrail")
    two = [{"AttributeKey": "EventName", "AttributeValue": "x"}, {"AttributeKey": "Username", "AttributeValue": "y"}]
    cases = [
        ({"LookupAttributes": two}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": [{"AttributeKey": "Bucket", "AttributeValue": "x"}]}, "InvalidLookupAttributesException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"StartTime": T0, "EndTime": T0 - timedelta(hours=1)}, "InvalidTimeRangeException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
        ({"NextToken": "garbage"}, "InvalidNextTokenException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            ct.lookup_events(**kwargs)
        assert err.value.response["Error"]["Code"] == code, kwargs
    token = ct.lookup_events(MaxResults=1)["NextToken"]
    assert ct.lookup_events(MaxResults=1, NextToken=token)["Events"]
    with pytest.raises(ClientError) as err:  # the token is bound to the parameters it came with
        ct.lookup_events(MaxResults=1, NextToken=token, StartTime=T0 - timedelta(days=1))
    assert err.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_data_events_become_gzipped_log_files_at_cloudtrail_keys(sandbox, record):
    _trail(sandbox, prefix="org", data_bucket="victim-bucket")
    times = [T0 + timedelta(minutes=m, seconds=7) for m in (0, 1, 4, 5, 12)]
    data = [record("GetObject", _iso(t), data=True, event_id=f"d{i}") for i, t in enumerate(times)]
    result = sandbox.seed({"cloudtrail_events": data})
    assert len(result["log_files"]) == 3  # windows 10:00, 10:05, 10:10

    logs = _log_objects(sandbox.client("s3"), "trail-logs")
    assert len(logs) == 3
    seen = []
    for key, body in logs.items():
        match = KEY.match(key)
        assert match, key
        assert match["prefix"] == "org"
        delivered = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)
        assert (match["y"], match["m"], match["d"]) == (f"{delivered:%Y}", f"{delivered:%m}", f"{delivered:%d}")
        for rec in body["Records"]:
            event_time = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            assert event_time <= delivered <= event_time + timedelta(minutes=15)
            assert rec["eventCategory"] == "Data"
            seen.append(rec["eventID"])
    assert sorted(seen) == [f"d{i}" for i in range(5)]


def test_log_file_names_are_deterministic_and_records_per_file_splits(sandbox, record):
    data = [record("GetObject", _iso(T0 + timedelta(seconds=i)), data=True, event_id=f"d{i}") for i in range(7)]
    _trail(sandbox, data_bucket="victim-bucket")
    first = sandbox.seed({"cloudtrail_events": data, "log_file_options": {"records_per_file": 3}})["log_files"]
    assert len(first) == 3
    sandbox.reset()
    _trail(sandbox, data_bucket="victim-bucket")
    again = sandbox.seed({"cloudtrail_events": data, "log_file_options": {"records_per_file": 3}})["log_files"]
    assert again == first


def test_data_events_go_to_the_trail_that_covers_the_bucket(sandbox, record):
    _trail(sandbox, name="a-mgmt-only", bucket="mgmt-logs")
    _trail(sandbox, name="b-data", bucket="data-logs", data_bucket="victim-bucket")
    sandbox.seed({"cloudtrail_events": [record("GetObject", _iso(T0), data=True)]})
    s3 = sandbox.client("s3")
    assert _log_objects(s3, "mgmt-logs") == {}
    assert len(_log_objects(s3, "data-logs")) == 1


def test_data_events_without_a_trail_are_refused_and_nothing_is_applied(sandbox, record, boto3_finding):
    payload = {
        "guardduty_findings": [boto3_finding()],
        "cloudtrail_events": [record(event_id="m1"), record("GetObject", data=True)],
    }
    with pytest.raises(ControlError, match=r"cloudtrail_events\[1\].*no CloudTrail trail"):
        sandbox.seed(payload)
    assert sandbox.client("cloudtrail").lookup_events()["Events"] == []
    assert sandbox.client("guardduty").list_detectors()["DetectorIds"] == []

"""cloudtrail_events_info against the sandbox: trail log files, LookupEvents, Athena, bad input."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

VICTIM = "acme-customer-exports"
TRAIL_BUCKET = "acme-cloudtrail-logs"
ACCOUNT = "123456789012"


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _mgmt_record(when: datetime, name: str, bucket: str, user: str = "ops", ip: str = "198.51.100.9") -> dict:
    """A management event on a bucket, as CloudTrail writes it."""
    return {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEEXAMPLE01",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "userName": user,
        },
        "eventTime": _iso(when),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com"},
        "responseElements": None,
        "requestID": uuid.uuid4().hex.upper()[:16],
        "eventID": str(uuid.uuid4()),
        "readOnly": name.startswith("Get"),
        "resources": [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}", "accountId": ACCOUNT}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


@pytest.fixture
def exfiltration(sandbox) -> dict:
    return sandbox.scenario("public-exfiltration")["expected"]


@pytest.fixture
def day() -> dict[str, str]:
    return {"start": _iso(_now() - timedelta(hours=26))}


def _actor(res: dict, arn: str, kind: str | None = None) -> dict:
    found = [a for a in res["actors"] if a["arn"] == arn and (kind is None or a["kind"] == kind)]
    assert len(found) == 1, [(a["arn"], a["kind"]) for a in res["actors"]]
    return found[0]


def test_public_exfiltration_attacker_is_top_actor_with_ip_events_and_counts(run_module, exfiltration, day):
    failed, res = run_module("cloudtrail_events_info", {"bucket": VICTIM, **day, "max_events": 50})
    assert not failed, res.get("msg")
    attacker = exfiltration["attacker"]
    top = res["actors"][0]
    assert top["arn"] == attacker["principal_arn"]
    assert top["kind"] == "iam_user" and top["suspected"]
    assert top["source_ips"] == [attacker["source_ip"]]
    assert top["access_key_ids"] == [attacker["access_key_id"]]
    assert top["event_counts"]["GetObject"] == exfiltration["counts"]["attacker_get_object"]
    assert top["objects_read"] == exfiltration["counts"]["attacker_get_object_distinct_keys"]
    assert top["event_counts"]["PutBucketPolicy"] == 1
    assert top["event_counts"]["DeleteBucketPublicAccessBlock"] == 1
    assert top["first_seen"] >= exfiltration["attack_started_at"]
    assert any("changed the bucket" in r for r in top["reasons"])
    assert top["detective_entity_arn"] == attacker["principal_arn"]
    # both sources were needed: data events from the trail's files, bucket changes from LookupEvents
    assert res["sources"] == ["trail", "lookup"]
    assert res["summary"]["files_read"] > 100 and res["summary"]["files_skipped"] == 0
    assert res["summary"]["lookup"]["events_kept"] >= 2
    # the cap on events is stated, and does not shrink the counts
    assert len(res["events"]) == 50 and res["events_truncated"] and res["max_events"] == 50
    assert res["summary"]["events_found"] > 3000


def test_anonymous_readers_are_their_own_actor_and_apps_are_not_flagged(run_module, exfiltration, day):
    failed, res = run_module("cloudtrail_events_info", {"bucket": VICTIM, **day, "max_events": 0})
    assert not failed, res.get("msg")
    anon = _actor(res, "ANONYMOUS_PRINCIPAL", "anonymous")
    assert anon["suspected"]
    assert anon["source_ips"] == sorted(exfiltration["anonymous_ips"])
    assert anon["source_ip_counts"] == exfiltration["counts"]["anonymous_get_object_by_ip"]
    assert anon["event_counts"]["GetObject"] == exfiltration["counts"]["anonymous_get_object"]
    assert anon["detective_entity_arn"] is None
    for role in exfiltration["legitimate_role_arns"]:
        app = _actor(res, role, "assumed_role")
        assert not app["suspected"], app["reasons"]
        assert app["session_arns"] and app["detective_entity_arn"] == role
    suspected = {a["arn"] for a in res["actors"] if a["suspected"]}
    assert suspected == {exfiltration["attacker"]["principal_arn"], "ANONYMOUS_PRINCIPAL"}


def test_timeline_and_observed_calls_show_bucket_changes_and_iam_actions(run_module, exfiltration, day):
    failed, res = run_module("cloudtrail_events_info", {"bucket": VICTIM, **day, "max_events": 0})
    assert not failed, res.get("msg")
    changes = [(e["event_name"], e["time"]) for e in res["timeline"] if e["change"]]
    assert changes == [(c["event_name"], c["event_time"]) for c in exfiltration["bucket_changes"]]
    times = [e["time"] for e in res["timeline"]]
    assert times == sorted(times)
    calls = res["observed_calls"][exfiltration["attacker"]["principal_arn"]]
    actions = {c["action"]: c for c in calls}
    assert "s3:PutBucketPublicAccessBlock" in actions  # DeleteBucketPublicAccessBlock needs this action
    assert actions["s3:ListBucket"]["resource"] == f"arn:aws:s3:::{VICTIM}"  # ListObjects
    get = actions["s3:GetObject"]
    assert get["resource"] == f"arn:aws:s3:::{VICTIM}/*"
    assert get["count"] == exfiltration["counts"]["attacker_get_object"]
    assert get["objects"] == exfiltration["counts"]["attacker_get_object_distinct_keys"]


def test_access_denied_on_log_bucket_names_bucket_and_permission(run_module, sandbox, exfiltration, day):
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{TRAIL_BUCKET}/*"}
        ],
    }
    sandbox.client("s3").put_bucket_policy(Bucket=TRAIL_BUCKET, Policy=json.dumps(deny))
    failed, res = run_module("cloudtrail_events_info", {"bucket": VICTIM, **day})
    assert failed
    assert TRAIL_BUCKET in res["msg"] and "s3:GetObject" in res["msg"]
    assert res["missing_permission"] == "s3:GetObject" and res["log_bucket"] == TRAIL_BUCKET


def test_no_trail_logging_data_events_says_so_and_falls_back_to_lookup(run_module, sandbox):
    sandbox.client("s3").create_bucket(Bucket="lonely-bucket")
    now = _now()
    sandbox.seed(
        {
            "cloudtrail_events": [
                _mgmt_record(now - timedelta(hours=2), "DeleteBucketPublicAccessBlock", "lonely-bucket"),
                _mgmt_record(now - timedelta(hours=1), "PutBucketPolicy", "lonely-bucket"),
                _mgmt_record(now - timedelta(hours=1), "PutBucketPolicy", "other-bucket"),
            ]
        }
    )
    args = {"bucket": "lonely-bucket", "start": _iso(now - timedelta(hours=3)), "sources": ["trail"]}
    failed, res = run_module("cloudtrail_events_info", args)
    assert not failed, res.get("msg")
    assert res["sources"] == ["lookup"]
    assert any("No CloudTrail trail logs S3 data events for bucket lonely-bucket" in m for m in res["messages"])
    assert [e["event_name"] for e in res["events"]] == ["DeleteBucketPublicAccessBlock", "PutBucketPolicy"]
    ops = _actor(res, f"arn:aws:iam::{ACCOUNT}:user/ops")
    assert ops["suspected"] and ops["source_ips"] == ["198.51.100.9"]


def test_lookup_events_are_paged_with_the_same_parameters(run_module, sandbox):
    sandbox.client("s3").create_bucket(Bucket="busy-bucket")
    now = _now()
    records = [_mgmt_record(now - timedelta(minutes=200 - i), "GetBucketAcl", "busy-bucket") for i in range(120)]
    sandbox.seed({"cloudtrail_events": records})
    args = {"bucket": "busy-bucket", "start": _iso(now - timedelta(hours=4)), "sources": ["lookup"]}
    failed, res = run_module("cloudtrail_events_info", args)
    assert not failed, res.get("msg")
    assert res["summary"]["lookup"]["pages"] == 3
    assert res["summary"]["lookup"]["events_kept"] == 120
    assert res["summary"]["events_found"] == 120
    assert len({e["event_id"] for e in res["events"]}) == 120


def test_athena_source_reads_seeded_query_results(run_module, sandbox):
    now = _now()
    header = [
        "eventtime",
        "eventsource",
        "eventname",
        "awsregion",
        "sourceipaddress",
        "useragent",
        "identity_type",
        "identity_arn",
        "identity_account",
        "access_key_id",
        "issuer_arn",
        "object_key",
        "errorcode",
        "bytes_out",
        "auth_method",
        "eventid",
        "readonly",
        "recipientaccountid",
        "eventcategory",
        "vpcendpointid",
    ]

    def row(values: list) -> dict:
        return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}

    t = _iso(now - timedelta(hours=1))
    rows = [row(header)]
    for i in range(3):
        rows.append(
            row(
                [
                    t,
                    "s3.amazonaws.com",
                    "GetObject",
                    "us-east-1",
                    "203.0.113.5",
                    "curl/8.4.0",
                    "AWSAccount",
                    None,
                    "ANONYMOUS_PRINCIPAL",
                    None,
                    None,
                    f"exports/f{i}.csv",
                    None,
                    "1000",
                    None,
                    str(uuid.uuid4()),
                    "true",
                    ACCOUNT,
                    "Data",
                    None,
                ]
            )
        )
    rows.append(
        row(
            [
                t,
                "s3.amazonaws.com",
                "PutObject",
                "us-east-1",
                "10.0.1.5",
                "aws-sdk-java",
                "AssumedRole",
                f"arn:aws:sts::{ACCOUNT}:assumed-role/app-ingest/s1",
                ACCOUNT,
                "ASIAEXAMPLE",
                f"arn:aws:iam::{ACCOUNT}:role/app-ingest",
                "exports/new.csv",
                None,
                "0",
                "AuthHeader",
                str(uuid.uuid4()),
                "false",
                ACCOUNT,
                "Data",
                "vpce-1",
            ]
        )
    )
    sandbox.seed({"athena_query_results": [{"rows": rows}]})
    args = {
        "bucket": VICTIM,
        "start": _iso(now - timedelta(hours=3)),
        "sources": ["athena"],
        "athena_database": "security",
        "athena_table": "cloudtrail_logs",
        "athena_output_location": "s3://athena-results/",
        "athena_timeout": 30,
    }
    failed, res = run_module("cloudtrail_events_info", args)
    assert not failed, res.get("msg")
    assert res["sources"] == ["athena"]
    assert res["summary"]["athena"]["rows"] == 4
    anon = _actor(res, "ANONYMOUS_PRINCIPAL", "anonymous")
    assert anon["event_counts"] == {"GetObject": 3} and anon["bytes_out"] == 3000
    ingest = _actor(res, f"arn:aws:iam::{ACCOUNT}:role/app-ingest", "assumed_role")
    assert ingest["session_arns"] == [f"arn:aws:sts::{ACCOUNT}:assumed-role/app-ingest/s1"]
    assert not ingest["suspected"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "is before window start"),
        ({"start": "2999-01-01T00:00:00Z"}, "is in the future"),
        ({"start": "2026-01-01T00:00:00"}, "no time zone"),
        ({"start": "last tuesday"}, "start 'last tuesday'"),
        ({"start": "2026-01-01T00:00:00Z", "bucket": "Not_A_Bucket"}, "Not_A_Bucket"),
        ({"start": "2026-01-01T00:00:00Z", "sources": ["athena"]}, "athena_database"),
    ],
)
def test_bad_input_fails_naming_it_before_any_call(run_module, args, needle):
    failed, res = run_module("cloudtrail_events_info", {"bucket": VICTIM, **args})
    assert failed
    assert needle in res["msg"]

"""The CloudTrail trail-log scanner, on small log files in CloudTrail's own shape."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import cloudtrail_scan as cs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cloudtrail"
BUCKET = "victim-bucket"
ACCOUNT = "123456789012"
WINDOW = {"start": "2026-11-01T10:00:00Z", "end": "2026-11-01T12:00:00Z"}
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
APP_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/i-0abc"
PARTNER_SESSION = "arn:aws:sts::444455556666:assumed-role/etl/etl"

_counter = iter(range(1, 1_000_000))


def iam_user(name: str = "mallory", key: str = "AKIAEXAMPLEMALLORY01") -> dict:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE" + name.upper(),
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "userName": name,
    }


def role_session(account: str = ACCOUNT, role: str = "app", session: str = "i-0abc") -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLESESSION01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLE",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-01T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


ANONYMOUS = {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}


def s3_event(
    name: str = "GetObject",
    when: str = "2026-11-01T10:30:00Z",
    identity: dict | None = None,
    bucket: str = BUCKET,
    key: str = "exports/customers.csv",
    ip: str = "198.51.100.7",
    auth: str = "AuthHeader",
    bytes_out: int = 1000,
    error: str | None = None,
    event_id: str | None = None,
) -> dict:
    """A data event as CloudTrail writes it (user guide, record contents)."""
    n = next(_counter)
    rec = {
        "eventVersion": "1.11",
        "userIdentity": copy.deepcopy(identity if identity is not None else iam_user()),
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0]",
        "requestParameters": {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com", "key": key},
        "responseElements": None,
        "additionalEventData": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": auth,
            "x-amz-id-2": "EXAMPLEid2",
            "bytesTransferredOut": bytes_out,
        },
        "requestID": f"REQ{n:013d}",
        "eventID": event_id or f"00000000-0000-4000-8000-{n:012d}",
        "readOnly": True,
        "resources": [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error, "Access Denied"
    return rec


def log_bytes(records: list, compact: bool = True) -> bytes:
    text = (
        json.dumps({"Records": records}, separators=(",", ":"))
        if compact
        else json.dumps({"Records": records}, indent=2)
    )
    return gzip.compress(text.encode(), mtime=0)


def log_name(delivered: str = "20261101T1105Z", region: str = "us-east-1", n: int = 0) -> str:
    return f"{ACCOUNT}_CloudTrail_{region}_{delivered}_Uniq{n:012d}.json.gz"


@pytest.fixture
def write_log(tmp_path):
    """Write records as a gzipped CloudTrail log file under tmp_path and return its path."""
    made = iter(range(1_000))

    def _write(records: list, name: str | None = None, compact: bool = True) -> str:
        path = tmp_path / (name or log_name(n=next(made)))
        path.write_bytes(log_bytes(records, compact))
        return str(path)

    return _write


def run(sources, **kw):
    args = {"bucket": BUCKET, **WINDOW, "workers": 1}
    args.update(kw)
    return cs.scan(sources, **args)


def comparable(result: cs.ScanResult) -> dict:
    """The result without what legitimately differs between runs (timing, decoder name, worker count)."""
    out = copy.deepcopy(result.to_dict())
    for key in ("elapsed_seconds", "decoder", "workers", "files_generic_decode", "records_generic_decode"):
        out["stats"].pop(key)
    return out


def same_answer(result: cs.ScanResult) -> dict:
    """Like comparable(), for files that hold the same records written differently."""
    out = comparable(result)
    for key in ("bytes_compressed", "bytes_decompressed"):
        out["stats"].pop(key)
    return out


# --------------------------------------------------------------------------------------------- what is found


def test_scan_keeps_only_events_on_the_bucket_inside_the_window(write_log):
    path = write_log(
        [
            s3_event(when="2026-11-01T10:30:00Z", key="in.csv"),
            s3_event(when="2026-11-01T09:59:59Z", key="before.csv"),
            s3_event(when="2026-11-01T12:00:01Z", key="after.csv"),
            s3_event(when="2026-11-01T12:00:00Z", key="edge.csv"),
            s3_event(bucket="other-bucket", key="other.csv"),
        ]
    )
    result = run([path])
    assert [e["key"] for e in result.events] == ["in.csv", "edge.csv"]
    assert result.stats["records_scanned"] == 5
    assert result.stats["records_matched"] == 2


def test_events_are_normalised_with_session_and_issuer_arns(write_log):
    rec = s3_event(identity=role_session(), bytes_out=28441)
    rec["vpcEndpointId"] = "vpce-0123456789abcdef0"
    path = write_log([rec])
    (event,) = run([path]).events
    assert event == {
        "time": "2026-11-01T10:30:00Z",
        "event_name": "GetObject",
        "event_source": "s3.amazonaws.com",
        "category": "Data",
        "principal_arn": APP_SESSION,
        "issuer_arn": APP_ROLE,
        "principal_type": "AssumedRole",
        "principal_kind": "assumed_role",
        "account_id": ACCOUNT,
        "access_key_id": "ASIAEXAMPLESESSION01",
        "source_ip": "198.51.100.7",
        "user_agent": "[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0]",
        "bucket": BUCKET,
        "key": "exports/customers.csv",
        "error_code": None,
        "bytes_out": 28441,
        "bytes_in": 0,
        "auth_method": "AuthHeader",
        "signature_version": "SigV4",
        "tls_version": "TLSv1.3",
        "vpc_endpoint_id": "vpce-0123456789abcdef0",
        "event_id": rec["eventID"],
        "request_id": rec["requestID"],
        "read_only": True,
        "region": "us-east-1",
        "recipient_account_id": ACCOUNT,
        "source_ip_kind": "ipv4",
    }


def test_actor_kinds_separate_anonymous_presigned_cross_account_and_roles(write_log):
    service = {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}
    path = write_log(
        [
            s3_event(identity=iam_user()),
            s3_event(identity=iam_user(), auth="QueryString", ip="203.0.113.90"),
            s3_event(identity=ANONYMOUS, ip="198.51.100.200"),
            s3_event(identity=role_session()),
            s3_event(identity=role_session(account="444455556666", role="etl", session="etl")),
            s3_event(identity=service, ip="cloudtrail.amazonaws.com", name="PutObject"),
        ]
    )
    kinds = {(a["arn"], a["kind"]) for a in run([path]).actors}
    assert kinds == {
        (MALLORY, "iam_user"),
        (MALLORY, "presigned_url"),
        ("ANONYMOUS_PRINCIPAL", "anonymous"),
        (APP_SESSION, "assumed_role"),
        (PARTNER_SESSION, "cross_account"),
        ("cloudtrail.amazonaws.com", "aws_service"),
    }


def test_actor_summary_aggregates_counts_keys_ips_bytes_and_objects(write_log):
    first = write_log(
        [
            s3_event(name="ListObjects", when="2026-11-01T10:01:00Z", key="a.csv", bytes_out=0),
            s3_event(when="2026-11-01T10:02:00Z", key="a.csv", bytes_out=100),
            s3_event(when="2026-11-01T10:03:00Z", key="b.csv", bytes_out=200, error="AccessDenied"),
        ]
    )
    second = write_log([s3_event(when="2026-11-01T11:59:00Z", key="c.csv", bytes_out=300, ip="203.0.113.66")])
    (actor,) = run([first, second], workers=2).actors
    assert actor == {
        "arn": MALLORY,
        "kind": "iam_user",
        "type": "IAMUser",
        "account_id": ACCOUNT,
        "issuer_arn": None,
        "access_key_ids": ["AKIAEXAMPLEMALLORY01"],
        "source_ips": ["198.51.100.7", "203.0.113.66"],
        "user_agents": ["[aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0]"],
        "event_counts": {"GetObject": 3, "ListObjects": 1},
        "event_count": 4,
        "first_seen": "2026-11-01T10:01:00Z",
        "last_seen": "2026-11-01T11:59:00Z",
        "error_count": 1,
        "bytes_out": 600,
        "bytes_in": 0,
        "objects_touched": 3,
    }


def test_groups_count_by_principal_ip_and_event_name(write_log):
    path = write_log(
        [
            s3_event(when="2026-11-01T10:10:00Z"),
            s3_event(when="2026-11-01T10:20:00Z", error="AccessDenied"),
            s3_event(when="2026-11-01T10:15:00Z", ip="203.0.113.66"),
            s3_event(name="PutObject", when="2026-11-01T10:05:00Z"),
        ]
    )
    groups = run([path]).groups
    assert groups[0] == {
        "principal_arn": MALLORY,
        "source_ip": "198.51.100.7",
        "event_name": "GetObject",
        "count": 2,
        "errors": 1,
        "first_seen": "2026-11-01T10:10:00Z",
        "last_seen": "2026-11-01T10:20:00Z",
    }
    assert {(g["source_ip"], g["event_name"], g["count"]) for g in groups[1:]} == {
        ("203.0.113.66", "GetObject", 1),
        ("198.51.100.7", "PutObject", 1),
    }


def test_duplicate_event_ids_are_counted_once(write_log):
    dup = s3_event(event_id="11111111-2222-4333-8444-555555555555", bytes_out=500)
    first = write_log([dup, s3_event(), copy.deepcopy(dup)])
    second = write_log([copy.deepcopy(dup)])
    result = run([first, second])
    assert result.stats["duplicates_dropped"] == 2
    assert result.stats["records_matched"] == 2
    assert [e["event_id"] for e in result.events].count(dup["eventID"]) == 1
    (actor,) = result.actors
    assert actor["event_count"] == 2
    assert actor["bytes_out"] == 1500
    assert result.groups[0]["count"] == 2


def test_max_events_caps_the_event_list_and_says_so_but_actors_count_everything(write_log):
    records = [s3_event(when=f"2026-11-01T10:{m:02d}:00Z") for m in range(30, 0, -1)]
    result = run([write_log(records[:15]), write_log(records[15:])], max_events=5)
    assert result.truncated is True
    assert result.max_events == 5
    assert [e["time"] for e in result.events] == [f"2026-11-01T10:{m:02d}:00Z" for m in range(1, 6)]
    assert result.actors[0]["event_count"] == 30
    assert result.stats["records_matched"] == 30
    assert run([write_log(records)], max_events=30).truncated is False


def test_filters_on_principal_event_name_key_and_source_cidr(write_log):
    path = write_log(
        [
            s3_event(identity=iam_user()),
            s3_event(identity=iam_user("alice", "AKIAEXAMPLEALICE0001"), ip="10.0.0.5"),
            s3_event(identity=role_session(), name="PutObject", ip="10.0.1.9"),
        ]
    )

    def names(**kw):
        return sorted((e["principal_arn"].rsplit("/", 1)[-1], e["event_name"]) for e in run([path], **kw).events)

    assert names(principals=[MALLORY]) == [("mallory", "GetObject")]
    assert names(principals=[APP_ROLE]) == [("i-0abc", "PutObject")]  # a role selects its sessions
    assert names(event_names=["PutObject"]) == [("i-0abc", "PutObject")]
    assert names(access_key_ids=["AKIAEXAMPLEALICE0001"]) == [("alice", "GetObject")]
    assert names(source_ips=["10.0.0.0/16"]) == [("alice", "GetObject"), ("i-0abc", "PutObject")]
    assert names(source_ips=["198.51.100.7"]) == [("mallory", "GetObject")]


# --------------------------------------------------------------------------------------------- decoders


def test_fast_and_stdlib_decoders_give_identical_results(write_log):
    records = [
        s3_event(identity=i, when=f"2026-11-01T10:{n:02d}:00Z", auth=a)
        for n, (i, a) in enumerate(
            [(iam_user(), "AuthHeader"), (ANONYMOUS, "AuthHeader"), (role_session(), "QueryString")] * 5
        )
    ]
    paths = [write_log(records[:7]), write_log(records[7:], compact=False), str(FIXTURES / "odd_records.json.gz")]
    fast = run(paths, start="2026-11-01T00:00:00Z")
    slow = run(paths, start="2026-11-01T00:00:00Z", decoder="stdlib")
    assert fast.stats["decoder"] == "isal+msgspec"
    assert slow.stats["decoder"] == "gzip+json"
    assert comparable(fast) == comparable(slow)
    assert fast.stats["records_matched"] == 15 + 4


def test_standard_library_is_used_when_isal_and_msgspec_are_missing(write_log, monkeypatch):
    path = write_log([s3_event(), s3_event(identity=ANONYMOUS)])
    with_wheels = run([path])
    monkeypatch.setattr(cs, "_igzip", None)
    monkeypatch.setattr(cs, "msgspec", None)
    without = run([path])
    assert without.stats["decoder"] == "gzip+json"
    assert comparable(without) == comparable(with_wheels)


def test_pretty_printed_log_gives_the_same_answer_as_compact(write_log):
    records = [s3_event(when=f"2026-11-01T11:{n:02d}:00Z") for n in range(10)] + [s3_event(bucket="other")]
    compact = run([write_log(records)])
    pretty = run([write_log(records, compact=False)])
    assert same_answer(compact) == same_answer(pretty)
    assert compact.stats["records_matched"] == 10


def test_process_pool_gives_the_same_answer_as_one_process(write_log):
    paths = [write_log([s3_event(when=f"2026-11-01T1{f}:{n:02d}:00Z") for n in range(5)]) for f in range(2)]
    assert comparable(run(paths, workers=2)) == comparable(run(paths, workers=1))


# --------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("decoder", ["auto", "stdlib"])
def test_bad_files_are_skipped_with_their_reason_and_the_rest_is_scanned(write_log, tmp_path, decoder):
    good = write_log([s3_event()])
    bad = {
        "corrupt.json.gz": "corrupt_gzip",
        "truncated.json.gz": "truncated_gzip",
        "invalid_json.json.gz": "invalid_json",
        "not_cloudtrail.json.gz": "not_cloudtrail",
        "records_null.json.gz": "not_cloudtrail",
        "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261101T100500Z.json.gz": "digest_file",
    }
    missing = str(tmp_path / "gone.json.gz")
    not_gzip = tmp_path / "plain.txt"
    not_gzip.write_bytes(b"hello victim-bucket")
    sources = [good, *(str(FIXTURES / name) for name in bad), missing, str(not_gzip)]
    result = run(sources, decoder=decoder)
    reasons = {Path(s["source"]).name: s["reason"] for s in result.stats["skipped"]}
    assert reasons == {**bad, "gone.json.gz": "read_error", "plain.txt": "corrupt_gzip"}
    assert result.stats["skipped_by_reason"] == {
        "corrupt_gzip": 2,
        "truncated_gzip": 1,
        "invalid_json": 1,
        "not_cloudtrail": 2,
        "digest_file": 1,
        "read_error": 1,
    }
    assert result.stats["files_skipped"] == 7  # the digest is ignored before reading
    assert result.stats["files_read"] == 7
    assert len(result.events) == 1


@pytest.mark.parametrize("decoder", ["auto", "stdlib"])
def test_odd_records_are_counted_not_fatal(decoder):
    result = run([str(FIXTURES / "odd_records.json.gz")], decoder=decoder)
    stats = result.stats
    assert stats["records_scanned"] == 9
    assert stats["records_invalid"] == 3  # 42, "not a record", null
    assert stats["records_missing_fields"] == {"eventTime": 1, "userIdentity": 2}
    assert sorted(e["event_id"] for e in result.events) == ["e-bad-ip", "e-no-identity", "e-ok", "e-weird-types"]
    by_id = {e["event_id"]: e for e in result.events}
    assert by_id["e-no-identity"]["principal_kind"] == "unknown"
    assert by_id["e-no-identity"]["principal_arn"] == "unknown"
    assert by_id["e-bad-ip"]["source_ip_kind"] == "invalid"  # kept, flagged
    assert by_id["e-weird-types"]["source_ip"] is None
    assert stats["bad_ips"] == 1
    assert stats["bad_ip_values"] == ["999.10.1.300"]


def test_non_object_record_in_a_compact_file_is_counted_invalid(write_log):
    path = write_log([s3_event(), 7, s3_event()])
    for decoder in ("auto", "stdlib"):
        result = run([path], decoder=decoder)
        assert result.stats["records_invalid"] == 1
        assert result.stats["records_matched"] == 2


@pytest.mark.parametrize("decoder", ["auto", "stdlib"])
def test_every_member_of_a_multi_member_gzip_file_is_read(decoder):
    result = run([str(FIXTURES / "multi_member.json.gz")], decoder=decoder)
    assert sorted(e["event_id"] for e in result.events) == ["e-mm-1", "e-mm-2"]


def test_files_without_the_bucket_name_are_not_decoded(write_log):
    other = write_log([s3_event(bucket="other-bucket")] * 3)
    mine = write_log([s3_event()])
    result = run([other, mine])
    assert result.stats["files_prefiltered"] == 1
    assert result.stats["records_scanned"] == 1
    assert run([other, mine], prefilter=False).stats["records_scanned"] == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "2026-11-01T12:00:00Z", "end": "2026-11-01T10:00:00Z"}, "is before window start"),
        (
            {"start": datetime(2026, 11, 1, 10), "end": "2026-11-01T12:00:00Z"},
            "start 2026-11-01T10:00:00 has no time zone",
        ),
        ({"start": "2999-01-01T00:00:00Z", "end": "2999-01-02T00:00:00Z"}, "is in the future"),
        ({"start": "yesterday"}, "start 'yesterday' is not an ISO 8601"),
        ({"bucket": ""}, "bucket must be"),
        ({"max_events": -1}, "max_events must be"),
        ({"workers": 0}, "workers must be"),
        ({"decoder": "simdjson"}, "decoder must be"),
        ({"source_ips": ["10.0.0.0/33"]}, "source_ips entry '10.0.0.0/33'"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run([], **kwargs)


# --------------------------------------------------------------------------------------------- keys and S3


def test_prune_keys_keeps_delivery_times_from_start_minute_to_end_plus_slack():
    keys = [
        "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/01/" + log_name(t, n=i)
        for i, t in enumerate(
            ["20261101T0959Z", "20261101T1000Z", "20261101T1130Z", "20261101T1300Z", "20261101T1301Z"]
        )
    ] + ["local/export-without-timestamp.json.gz"]
    kept = cs.prune_keys(keys, "2026-11-01T10:00:30Z", "2026-11-01T12:00:00Z", slack=timedelta(hours=1))
    assert kept == [keys[1], keys[2], keys[3], keys[5]]
    assert len(cs.prune_keys(keys, "2026-11-01T10:00:30Z", "2026-11-01T12:00:00Z", slack=timedelta(0))) == 3


def test_list_log_keys_lists_only_the_window_days_of_an_organization_trail_and_skips_digests():
    org = "o-a1b2c3d4e5"
    base = f"logs/AWSLogs/{org}/{ACCOUNT}/CloudTrail/us-east-1"
    store = {
        f"{base}/2026/10/31/": [log_name("20261031T2355Z", n=1)],
        f"{base}/2026/11/01/": [log_name("20261101T0800Z", n=2), log_name("20261101T1105Z", n=3), "notes.txt"],
        f"{base}/2026/11/02/": [log_name("20261102T0005Z", n=4)],
    }
    asked = []

    def list_fn(bucket, prefix):
        asked.append((bucket, prefix))
        return [{"Key": prefix + name, "Size": 1} for name in store.get(prefix, [])]

    listing = cs.list_log_keys(
        list_fn, "trail-bucket", "logs/", [ACCOUNT], ["us-east-1"], WINDOW["start"], WINDOW["end"],
        timedelta(days=1), organization_id=org,
    )  # fmt: skip
    assert asked == [("trail-bucket", f"{base}/2026/{d}/") for d in ("10/31", "11/01", "11/02")]
    assert [k.rsplit("/", 1)[-1] for k in listing] == [log_name("20261101T1105Z", n=3)]
    assert (listing.listed, listing.ignored, listing.pruned) == (5, 1, 3)
    digest_folder = f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/01/"
    assert not cs.is_log_key(
        digest_folder + f"{ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20261101T100500Z.json.gz"
    )
    assert cs.is_log_key(f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/01/" + log_name())


def test_list_log_keys_rejects_bad_accounts_regions_and_org_ids():
    def no_list(bucket, prefix):
        raise AssertionError("must not list")

    for args, kw, message in [
        (([], ["us-east-1"]), {}, "account_ids must name"),
        ((["12345"], ["us-east-1"]), {}, "account id '12345'"),
        (([ACCOUNT], ["moon-1"]), {}, "region 'moon-1'"),
        (([ACCOUNT], ["us-east-1"]), {"organization_id": "org1"}, "organization_id 'org1'"),
    ]:
        with pytest.raises(ValueError, match=message):
            cs.list_log_keys(no_list, "trail-bucket", None, *args, WINDOW["start"], WINDOW["end"], **kw)


@pytest.mark.parametrize("workers", [1, 2])
def test_s3_keys_are_fetched_concurrently_in_memory_and_failures_reported(workers):
    base = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/01/"
    objects = {
        base + log_name("20261101T1030Z", n=1): log_bytes([s3_event(when="2026-11-01T10:25:00Z")]),
        base + log_name("20261101T1105Z", n=2): log_bytes([s3_event(when="2026-11-01T11:00:00Z")]),
        base + log_name("20261101T1800Z", n=3): log_bytes([s3_event(when="2026-11-01T11:50:00Z")]),
    }
    denied = base + log_name("20261101T1110Z", n=4)
    fetched = []

    def fetch(key):
        fetched.append(key)
        if key == denied:
            raise PermissionError("AccessDenied: s3:GetObject on trail-bucket")
        return objects[key]

    result = run([*objects, denied], fetch=fetch, workers=workers, fetch_threads=4)
    assert sorted(fetched) == sorted([*list(objects)[:2], denied])  # the 18:05 delivery is pruned unread
    assert [e["time"] for e in result.events] == ["2026-11-01T10:25:00Z", "2026-11-01T11:00:00Z"]
    assert result.stats["files_pruned"] == 1
    assert result.stats["skipped"] == [
        {
            "source": denied,
            "reason": "fetch_failed",
            "detail": "PermissionError: AccessDenied: s3:GetObject on trail-bucket",
        }
    ]


def test_scan_takes_a_listing_and_reports_its_counts(tmp_path):
    folder = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "11" / "01"
    folder.mkdir(parents=True)
    (folder / log_name("20261101T1105Z")).write_bytes(log_bytes([s3_event()]))
    shutil.copy(FIXTURES / "corrupt.json.gz", folder / log_name("20261101T1110Z", n=9))

    def list_fn(bucket, prefix):
        return [str(p.relative_to(tmp_path)) for p in sorted((tmp_path / prefix).glob("*"))]

    listing = cs.list_log_keys(list_fn, "b", None, [ACCOUNT], ["us-east-1"], WINDOW["start"], WINDOW["end"])
    result = run(listing, fetch=lambda key: (tmp_path / key).read_bytes())
    assert result.stats["files_listed"] == 2
    assert result.stats["files_read"] == 2
    assert result.stats["skipped_by_reason"] == {"corrupt_gzip": 1}
    assert len(result.events) == 1


def test_window_accepts_aware_datetimes_in_any_zone(write_log):
    path = write_log([s3_event(when="2026-11-01T10:30:00Z")])
    plus2 = timezone(timedelta(hours=2))
    result = run(
        [path], start=datetime(2026, 11, 1, 12, 0, tzinfo=plus2), end=datetime(2026, 11, 1, 12, 45, tzinfo=plus2)
    )
    assert len(result.events) == 1


def test_compact_layout_locates_the_records_naming_the_bucket_without_decoding_them():
    records = [s3_event(), s3_event(bucket="other"), s3_event(), s3_event(bucket="other")]
    needle = b'"bucketName":"' + BUCKET.encode() + b'"'
    compact = gzip.decompress(log_bytes(records))
    assert cs._compact_candidates(compact, cs._RAW_LOG.decode(compact).Records, needle) == [0, 2]
    pretty = gzip.decompress(log_bytes(records, compact=False))
    assert cs._compact_candidates(pretty, cs._RAW_LOG.decode(pretty).Records, needle) is None


@pytest.mark.parametrize("decoder", ["auto", "stdlib"])
def test_event_times_with_fractions_or_offsets_are_normalised_and_windowed(write_log, decoder):
    path = write_log(
        [
            s3_event(when="2026-11-01T10:30:00.250Z", key="fraction.csv"),
            s3_event(when="2026-11-01T12:30:00+02:00", key="offset.csv"),  # 10:30Z
            s3_event(when="2026-11-01T09:59:59.900Z", key="early.csv"),
            s3_event(when="last tuesday", key="garbage.csv"),
        ]
    )
    result = run([path], decoder=decoder)
    assert sorted((e["key"], e["time"]) for e in result.events) == [
        ("fraction.csv", "2026-11-01T10:30:00Z"),
        ("offset.csv", "2026-11-01T10:30:00Z"),
    ]
    assert result.stats["records_bad_time"] == 1


@pytest.mark.parametrize("decoder", ["auto", "stdlib"])
def test_a_record_that_only_partly_fits_the_structs_is_counted_once(write_log, decoder):
    odd = s3_event(key="odd.csv")
    del odd["eventName"]
    odd["sourceIPAddress"] = 3232235777  # a number where CloudTrail writes a string
    result = run([write_log([odd, s3_event()])], decoder=decoder)
    assert result.stats["records_missing_fields"] == {"eventName": 1}
    assert {e["key"]: (e["event_name"], e["source_ip"]) for e in result.events} == {
        "exports/customers.csv": ("GetObject", "198.51.100.7"),
        "odd.csv": (None, None),
    }
    assert result.actors[0]["event_counts"] == {"GetObject": 1, "unknown": 1}

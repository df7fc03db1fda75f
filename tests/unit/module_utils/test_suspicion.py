"""Actors, suspicion ranking, timeline and observed calls from normalised CloudTrail events."""

from __future__ import annotations

from ansible_collections.cloudsec.s3.plugins.module_utils import suspicion

BUCKET = "victim"
ACCT = "123456789012"
USER = f"arn:aws:iam::{ACCT}:user/mallory"
ROLE = f"arn:aws:iam::{ACCT}:role/app"


def ev(t: str, name: str, **kw) -> dict:
    """An event in the scanner's normalised shape (only the fields the analysis reads)."""
    base = {
        "time": t,
        "event_name": name,
        "event_source": "s3.amazonaws.com",
        "principal_arn": USER,
        "issuer_arn": None,
        "principal_type": "IAMUser",
        "principal_kind": "iam_user",
        "account_id": ACCT,
        "access_key_id": "AKIAMALLORY",
        "source_ip": "10.0.0.5",
        "source_ip_kind": "ipv4",
        "user_agent": "aws-cli/2",
        "bucket": BUCKET,
        "key": None,
        "error_code": None,
        "bytes_out": 0,
        "bytes_in": 0,
        "event_id": f"{t}-{name}-{kw.get('key')}",
    }
    base.update(kw)
    return base


def session(t: str, name: str, session_name: str, **kw) -> dict:
    return ev(
        t,
        name,
        principal_arn=f"arn:aws:sts::{ACCT}:assumed-role/app/{session_name}",
        issuer_arn=ROLE,
        principal_type="AssumedRole",
        principal_kind="assumed_role",
        access_key_id=f"ASIA{session_name.upper()}",
        **kw,
    )


def analyse(events, **kw):
    return suspicion.analyse(events, BUCKET, options=suspicion.RankOptions(bucket_account_id=ACCT), **kw)


def test_event_names_map_to_the_iam_actions_they_need():
    assert suspicion.iam_action("ListObjectsV2") == "s3:ListBucket"
    assert suspicion.iam_action("ListObjects") == "s3:ListBucket"
    assert suspicion.iam_action("HeadObject") == "s3:GetObject"
    assert suspicion.iam_action("DeleteBucketPublicAccessBlock") == "s3:PutBucketPublicAccessBlock"
    assert suspicion.iam_action("PutBucketPolicy") == "s3:PutBucketPolicy"
    assert suspicion.iam_action("GetCallerIdentity", "sts.amazonaws.com") == "sts:GetCallerIdentity"


def test_role_sessions_fold_into_their_role_for_actors_and_detective():
    events = [
        session("2026-11-01T10:00:00Z", "GetObject", "s1", key="a"),
        session("2026-11-01T11:00:00Z", "GetObject", "s2", key="b"),
    ]
    (actor,) = suspicion.build_actors(events)
    assert actor["arn"] == ROLE and actor["kind"] == "assumed_role"
    assert len(actor["session_arns"]) == 2
    assert actor["access_key_ids"] == ["ASIAS1", "ASIAS2"]
    assert actor["detective_entity_arn"] == ROLE
    assert suspicion.role_arn_of_session(f"arn:aws:sts::{ACCT}:assumed-role/app/s1") == ROLE
    assert suspicion.detective_entity("ANONYMOUS_PRINCIPAL") is None


def test_anonymous_and_presigned_access_are_their_own_actors():
    events = [
        ev("2026-11-01T10:00:00Z", "GetObject", principal_arn="ANONYMOUS_PRINCIPAL", principal_kind="anonymous",
           principal_type="AWSAccount", account_id="ANONYMOUS_PRINCIPAL", source_ip="198.51.100.23", key="a"),
        ev("2026-11-01T10:01:00Z", "GetObject", principal_kind="presigned_url", key="a"),
        ev("2026-11-01T10:02:00Z", "GetObject", key="a"),
    ]  # fmt: skip
    res = analyse(events)
    kinds = {(a["arn"], a["kind"]) for a in res["actors"]}
    assert kinds == {("ANONYMOUS_PRINCIPAL", "anonymous"), (USER, "presigned_url"), (USER, "iam_user")}
    anon = next(a for a in res["actors"] if a["kind"] == "anonymous")
    assert "anonymous" in anon["signals"] and "external_ip" in anon["signals"] and anon["suspected"]
    presigned = next(a for a in res["actors"] if a["kind"] == "presigned_url")
    assert presigned["signals"] == ["presigned_url"]


def test_outside_ip_plus_policy_change_is_suspected_but_internal_reads_are_not():
    events = [
        ev("2026-11-01T10:00:00Z", "PutBucketPolicy", source_ip="203.0.113.66"),
        session("2026-11-01T10:05:00Z", "GetObject", "s1", key="k"),
    ]
    res = analyse(events)
    top, app = res["actors"]
    assert top["arn"] == USER and top["suspected"]
    assert top["signals"] == ["external_ip", "bucket_change"]
    assert "203.0.113.66" in top["reasons"][0]
    assert app["arn"] == ROLE and not app["suspected"] and app["suspicion_score"] == 0


def test_documentation_ranges_count_as_external_even_though_python_calls_them_private():
    res = analyse([ev("2026-11-01T10:00:00Z", "GetObject", source_ip="198.51.100.7", key="k")])
    assert res["actors"][0]["signals"] == ["external_ip"]


def test_error_burst_then_success_is_a_signal_but_scattered_errors_are_not():
    burst = [ev(f"2026-11-01T10:0{i}:00Z", "GetObject", key=f"k{i}", error_code="AccessDenied") for i in range(5)]
    burst.append(ev("2026-11-01T10:09:00Z", "GetObject", key="k9"))
    res = analyse(burst)
    assert "error_burst" in res["actors"][0]["signals"]
    scattered = []
    for i in range(5):
        scattered.append(ev(f"2026-11-01T1{i}:00:00Z", "GetObject", key=f"e{i}", error_code="AccessDenied"))
        scattered.append(ev(f"2026-11-01T1{i}:30:00Z", "GetObject", key=f"o{i}"))
    assert "error_burst" not in analyse(scattered)["actors"][0]["signals"]


def test_principals_named_by_findings_score_and_say_why():
    flags = suspicion.Flags.from_lists(access_key_ids=["AKIAMALLORY"], source_ips=["10.0.0.5"])
    res = suspicion.analyse(
        [ev("2026-11-01T10:00:00Z", "GetObject", key="k")],
        BUCKET,
        flags=flags,
        options=suspicion.RankOptions(bucket_account_id=ACCT),
    )
    (actor,) = res["actors"]
    assert actor["signals"] == ["flagged"] and actor["suspected"]
    assert "access key AKIAMALLORY" in actor["reasons"][0] and "IP 10.0.0.5" in actor["reasons"][0]


def test_mass_reads_and_cross_account_access_are_signals():
    events = [ev("2026-11-01T10:00:00Z", "GetObject", key=f"k{i}", account_id="444455556666",
                 principal_arn="arn:aws:iam::444455556666:user/x") for i in range(30)]  # fmt: skip
    (actor,) = analyse(events)["actors"]
    assert {"cross_account", "mass_read"} <= set(actor["signals"])


def test_aws_services_are_not_suspected():
    service = {"principal_kind": "aws_service", "principal_arn": "config.amazonaws.com"}
    events = [ev("2026-11-01T10:00:00Z", "PutBucketAcl", source_ip="config.amazonaws.com", source_ip_kind="aws_service",
                 **service)]  # fmt: skip
    (actor,) = analyse(events)["actors"]
    assert actor["suspicion_score"] == 0 and not actor["suspected"]


def test_timeline_collapses_repeats_flags_changes_and_keeps_order():
    events = [
        ev("2026-11-01T10:00:00Z", "DeleteBucketPublicAccessBlock", source_ip="203.0.113.66"),
        ev("2026-11-01T10:01:00Z", "PutBucketPolicy", source_ip="203.0.113.66"),
        *[ev(f"2026-11-01T10:1{i}:00Z", "GetObject", key=f"k{i}", source_ip="203.0.113.66") for i in range(4)],
        session("2026-11-01T10:05:00Z", "PutBucketVersioning", "s1"),
        session("2026-11-01T10:06:00Z", "GetObject", "s1", key="x"),
    ]
    res = suspicion.analyse(events, BUCKET, options=suspicion.RankOptions(bucket_account_id=ACCT, threshold=50))
    entries = [(e["event_name"], e["count"], e["change"]) for e in res["timeline"]]
    # the app role (one change from inside: 40) is under this threshold: only its bucket change is in the timeline
    assert entries == [
        ("DeleteBucketPublicAccessBlock", 1, True),
        ("PutBucketPolicy", 1, True),
        ("PutBucketVersioning", 1, True),
        ("GetObject", 4, False),
    ]
    reads = res["timeline"][-1]
    assert reads["time"] == "2026-11-01T10:10:00Z" and reads["last_time"] == "2026-11-01T10:13:00Z"
    assert reads["objects"] == 4


def test_timeline_cut_keeps_every_change():
    events = [ev(f"2026-11-01T10:{i:02d}:00Z", "GetObject", key=f"k{i}", source_ip=f"203.0.113.{i}") for i in range(30)]
    events.append(ev("2026-11-01T11:00:00Z", "PutBucketAcl", source_ip="203.0.113.1"))
    entries, cut = suspicion.timeline(events, [USER], max_entries=5)
    assert cut and len(entries) == 5
    assert [e["event_name"] for e in entries if e["change"]] == ["PutBucketAcl"]


def test_observed_calls_list_objects_until_the_limit_then_a_prefix_wildcard():
    few = [ev("2026-11-01T10:00:00Z", "HeadObject", key="exports/a.csv"), ev("2026-11-01T10:01:00Z", "ListObjectsV2")]
    calls = suspicion.observed_calls(few, BUCKET)[USER]
    assert calls == [
        {"action": "s3:GetObject", "resource": "arn:aws:s3:::victim/exports/a.csv", "count": 1,
         "first_seen": "2026-11-01T10:00:00Z", "last_seen": "2026-11-01T10:00:00Z", "error_count": 0, "objects": 1},
        {"action": "s3:ListBucket", "resource": "arn:aws:s3:::victim", "count": 1,
         "first_seen": "2026-11-01T10:01:00Z", "last_seen": "2026-11-01T10:01:00Z", "error_count": 0, "objects": 0},
    ]  # fmt: skip
    many = [ev(f"2026-11-01T10:{i:02d}:00Z", "GetObject", key=f"exports/f{i}.csv",
               error_code="AccessDenied" if i < 2 else None) for i in range(25)]  # fmt: skip
    (get,) = suspicion.observed_calls(many, BUCKET, object_detail_limit=20)[USER]
    assert get["resource"] == "arn:aws:s3:::victim/exports/f*"
    assert (get["count"], get["objects"], get["error_count"]) == (25, 25, 2)
    assert get["first_seen"] == "2026-11-01T10:00:00Z" and get["last_seen"] == "2026-11-01T10:24:00Z"

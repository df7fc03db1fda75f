# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scenario data: pure build() properties, AWS shapes, and the account state apply() leaves in the sandbox."""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import botocore.session
import botocore.validate
import pytest

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox import scenarios

NOW = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
ALL = ("public-exfiltration", "ransomware", "cross-account-backdoor")
_BUILT: dict[tuple[str, int], dict] = {}


def built(name: str = "public-exfiltration", seed: int = 0) -> dict:
    """build() is pure, so tests may share one result per (name, seed)."""
    if (name, seed) not in _BUILT:
        _BUILT[(name, seed)] = scenarios.build(name, seed=seed, now=NOW)
    return _BUILT[(name, seed)]


def _records(b: dict) -> list[dict]:
    return b["seed_payload"]["cloudtrail_events"]


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


_MODELS = botocore.session.get_session()


def wire_to_boto3(shape, value):
    """camelCase wire dict -> boto3 PascalCase, walking the service model; unknown keys raise KeyError."""
    if shape.type_name == "structure":
        by_wire = {m.serialization.get("name", n): n for n, m in shape.members.items()}
        return {by_wire[k]: wire_to_boto3(shape.members[by_wire[k]], v) for k, v in value.items()}
    if shape.type_name == "list":
        return [wire_to_boto3(shape.member, v) for v in value]
    if shape.type_name == "map":
        return {k: wire_to_boto3(shape.value, v) for k, v in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return value


def validate(service: str, shape_name: str, value) -> None:
    shape = _MODELS.get_service_model(service).shape_for(shape_name)
    report = botocore.validate.ParamValidator().validate(value, shape)
    assert not report.has_errors(), report.generate_report()


# --------------------------------------------------------------------------------------------- registry
def test_registry_lists_every_scenario_with_a_one_line_description():
    assert scenarios.names() == sorted(ALL)
    for name in ALL:
        text = scenarios.describe(name)
        assert text and "\n" not in text


def test_unknown_scenario_names_it_and_lists_the_available_ones():
    with pytest.raises(scenarios.UnknownScenario) as err:
        scenarios.apply("public-exfil", "http://127.0.0.1:9")  # raises before any request is made
    assert isinstance(err.value, ValueError)
    assert "'public-exfil'" in str(err.value)
    for name in ALL:
        assert name in str(err.value)


# --------------------------------------------------------------------------------------------- build()
@pytest.mark.parametrize("name", ALL)
def test_build_is_deterministic_for_a_seed_and_does_no_io(name, monkeypatch):
    def no_network(*_a, **_k):
        raise AssertionError("build() must not open sockets")

    monkeypatch.setattr(socket, "socket", no_network)
    assert scenarios.build(name, seed=7, now=NOW) == scenarios.build(name, seed=7, now=NOW)


@pytest.mark.parametrize("name", ALL)
def test_a_different_seed_changes_ids_but_not_the_story(name):
    one, two = built(name, 0), built(name, 1)
    ids = lambda b: {r["eventID"] for r in _records(b)}  # noqa: E731
    assert not ids(one) & ids(two)
    assert {f["id"] for f in one["seed_payload"]["guardduty_findings"]}.isdisjoint(
        f["id"] for f in two["seed_payload"]["guardduty_findings"]
    )
    assert one["expected"]["victim_bucket"] == two["expected"]["victim_bucket"]
    assert one["expected"]["finding_types"] == two["expected"]["finding_types"]


@pytest.mark.parametrize("name", ALL)
def test_every_record_has_the_fields_a_cloudtrail_consumer_reads(name):
    b = built(name)
    records = _records(b)
    assert len({r["eventID"] for r in records}) == len(records)
    for r in records:
        for key in ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
                    "sourceIPAddress", "userAgent", "requestParameters", "requestID", "eventID", "readOnly",
                    "resources", "eventType", "managementEvent", "eventCategory", "recipientAccountId"):  # fmt: skip
            assert key in r, (key, r)
        assert r["eventVersion"] == "1.11"
        assert r["recipientAccountId"] == ACCOUNT_ID
        assert r["managementEvent"] == (r["eventCategory"] == "Management")
        assert NOW - timedelta(days=89) < _parse(r["eventTime"]) <= NOW
        ident = r["userIdentity"]
        if ident["type"] == "AssumedRole":
            issuer = ident["sessionContext"]["sessionIssuer"]
            assert issuer["arn"].startswith("arn:aws:iam::") and ":role/" in issuer["arn"]
            assert ident["principalId"].startswith(issuer["principalId"] + ":")
        elif ident["type"] == "IAMUser":
            assert ident["accessKeyId"].startswith("AKIA") and ident["arn"].endswith(":user/" + ident["userName"])
        elif ident["type"] == "AWSAccount" and ident["accountId"] == "ANONYMOUS_PRINCIPAL":
            assert ident == {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
            assert "AuthenticationMethod" not in r["additionalEventData"]
        if "errorCode" in r:
            assert r["errorMessage"] and r["responseElements"] is None
        if r["eventSource"] == "s3.amazonaws.com":
            params, extra = r["requestParameters"], r["additionalEventData"]
            assert "Host" in params and "bytesTransferredOut" in extra and "CipherSuite" in extra
            if ident.get("accessKeyId"):
                assert extra["SignatureVersion"] == "SigV4" and extra["AuthenticationMethod"] == "AuthHeader"
            assert r["tlsDetails"]["clientProvidedHostHeader"] == params["Host"]
            if "bucketName" in params:
                arns = {res["type"]: res["ARN"] for res in r["resources"]}
                assert arns["AWS::S3::Bucket"] == f"arn:aws:s3:::{params['bucketName']}"
                if "key" in params:
                    assert arns["AWS::S3::Object"] == f"arn:aws:s3:::{params['bucketName']}/{params['key']}"
        ip = r["sourceIPAddress"]
        if re.fullmatch(r"[\d.]+", ip) and ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.0.0/8"):
            assert r["vpcEndpointId"].startswith("vpce-")


def test_public_exfiltration_records_tell_the_attack_in_order():
    b = built()
    exp = b["expected"]
    attacker = exp["attacker"]
    mine = [r for r in _records(b) if r["userIdentity"].get("accessKeyId") == attacker["access_key_id"]]
    assert {r["sourceIPAddress"] for r in mine} == {attacker["source_ip"]}
    first = {}
    for r in mine:
        first.setdefault((r["eventName"], "errorCode" in r), _parse(r["eventTime"]))
    assert first[("ListBuckets", False)] < first[("GetObject", True)] < first[("DeleteBucketPublicAccessBlock", False)]
    assert first[("DeleteBucketPublicAccessBlock", False)] < first[("PutBucketPolicy", False)]
    assert first[("PutBucketPolicy", False)] < first[("ListObjects", False)] < first[("GetObject", False)]
    assert timedelta(hours=5) < NOW - _parse(exp["attack_started_at"]) < timedelta(hours=7)
    put = next(r for r in mine if r["eventName"] == "PutBucketPolicy")
    sids = {s["Sid"]: s for s in put["requestParameters"]["bucketPolicy"]["Statement"]}
    assert sids[exp["public_statement_sid"]]["Principal"] == "*"
    assert set(exp["legitimate_statement_sids"]) < set(sids)
    gets = [r for r in mine if r["eventName"] == "GetObject" and "errorCode" not in r]
    assert len(gets) == exp["counts"]["attacker_get_object"] > 50
    assert sum(r["additionalEventData"]["bytesTransferredOut"] for r in gets) == exp["counts"]["attacker_bytes_out"]
    anon = [r for r in _records(b) if r["userIdentity"].get("accountId") == "ANONYMOUS_PRINCIPAL"]
    assert {r["sourceIPAddress"] for r in anon} == set(exp["anonymous_ips"])
    assert len(anon) == exp["counts"]["anonymous_get_object"]
    assert min(_parse(r["eventTime"]) for r in anon) > first[("PutBucketPolicy", False)]


def test_public_exfiltration_legitimate_roles_only_act_from_inside_the_vpc():
    b = built()
    legit = set(b["expected"]["legitimate_role_arns"])
    records = _records(b)
    theirs = [
        r for r in records if r["userIdentity"].get("sessionContext", {}).get("sessionIssuer", {}).get("arn") in legit
    ]
    assert len(theirs) > 2000
    assert all(r["sourceIPAddress"].startswith("10.") and r["vpcEndpointId"] for r in theirs)
    assert {r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] for r in theirs} == legit
    assert 0 < sum(1 for r in theirs if r.get("errorCode") == "AccessDenied") < 60
    assert len(records) - len(theirs) < 700  # the attack is a small share of the day's traffic


@pytest.mark.parametrize("name", ALL)
def test_findings_fit_botocores_guardduty_finding_shape(name):
    b = built(name)
    finding_shape = _MODELS.get_service_model("guardduty").shape_for("Finding")
    for f in b["seed_payload"]["guardduty_findings"]:
        boto = wire_to_boto3(finding_shape, f)
        validate("guardduty", "Finding", boto)
        assert boto["Service"]["ResourceRole"] == "TARGET"
        assert isinstance(boto["Service"]["Archived"], bool) and boto["Service"]["Count"] >= 1
        assert _parse(boto["Service"]["EventFirstSeen"]) <= _parse(boto["Service"]["EventLastSeen"])
        assert NOW - timedelta(days=90) < _parse(boto["UpdatedAt"]) <= NOW + timedelta(minutes=10)


def test_public_exfiltration_victim_findings_name_the_attacker_and_outnumber_one_page():
    b = built()
    exp = b["expected"]
    findings = b["seed_payload"]["guardduty_findings"]
    assert len(findings) >= 60
    on_victim = [f for f in findings if f["resource"]["s3BucketDetails"][0]["name"] == exp["victim_bucket"]]
    current = [f for f in on_victim if not f["service"]["archived"]]
    assert (
        sorted(f["type"] for f in current)
        == exp["finding_types"]
        == [
            "Exfiltration:S3/MaliciousIPCaller",
            "Policy:S3/BucketAnonymousAccessGranted",
            "Policy:S3/BucketBlockPublicAccessDisabled",
        ]
    )
    assert [f["type"] for f in on_victim if f["service"]["archived"]] == exp["archived_victim_finding_types"]
    severity = {f["type"]: f["severity"] for f in current}
    assert severity["Policy:S3/BucketAnonymousAccessGranted"] >= 7
    assert severity["Exfiltration:S3/MaliciousIPCaller"] >= 7
    assert severity["Policy:S3/BucketBlockPublicAccessDisabled"] < 4
    for f in current:
        assert f["resource"]["accessKeyDetails"]["accessKeyId"] == exp["attacker"]["access_key_id"]
        call = f["service"]["action"]["awsApiCallAction"]
        assert call["remoteIpDetails"]["ipAddressV4"] == exp["attacker"]["source_ip"]
        assert set(call["remoteIpDetails"]["organization"]) == {"asn", "asnOrg", "isp", "org"}
    public = next(f for f in current if f["type"] == "Policy:S3/BucketAnonymousAccessGranted")
    assert public["resource"]["s3BucketDetails"][0]["publicAccess"]["effectivePermission"] == "PUBLIC"


def test_public_exfiltration_detective_indicators_fit_the_model():
    b = built()
    det = b["seed_payload"]["detective"]
    (entity,) = det["entities"]
    assert entity["entity_arn"] == b["expected"]["attacker"]["principal_arn"]
    kinds = {i["IndicatorType"] for i in entity["indicators"]}
    assert kinds == {"TTP_OBSERVED", "FLAGGED_IP_ADDRESS", "NEW_GEOLOCATION", "NEW_USER_AGENT", "RELATED_FINDING"}
    for indicator in entity["indicators"]:
        validate("detective", "Indicator", indicator)
    related = {
        i["IndicatorDetail"]["RelatedFindingDetail"]["Type"]
        for i in entity["indicators"]
        if i["IndicatorType"] == "RELATED_FINDING"
    }
    assert sorted(related) == b["expected"]["finding_types"]


def test_public_exfiltration_world_matches_the_documented_bucket_states():
    b = built()
    buckets = {s["name"]: s for s in b["world"]["buckets"]}
    victim = buckets[b["expected"]["victim_bucket"]]
    assert 55 <= len(victim["objects"]) <= 65
    assert not victim.get("public_access_block") and not victim.get("versioning")
    assert victim["encryption"] == {"SSEAlgorithm": "AES256"}
    assert [s["Sid"] for s in victim["policy"]["Statement"]] == ["AllowReportingRoleRead", "PublicRead"]
    assert b["world"]["account_public_access_block"] is None
    website = next(s for s in buckets.values() if s.get("website"))
    assert website["tags"]["cloudsec:baseline-exception"] == "public-website"
    (trail,) = b["world"]["trails"]
    assert trail["bucket"] == "acme-cloudtrail-logs"
    assert buckets["acme-cloudtrail-logs"]["policy"]["Statement"][1]["Sid"] == "AWSCloudTrailWrite"
    values = [v for sel in trail["event_selectors"] for d in sel["DataResources"] for v in d["Values"]]
    assert f"arn:aws:s3:::{victim['name']}/" in values
    user = b["world"]["iam"]["users"][0]
    assert user["access_keys"] == [b["expected"]["attacker"]["access_key_id"]]
    assert user["managed_policies"] == [b["expected"]["excessive_policy"]["name"]]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("now", [datetime(2026, 3, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)])
def test_objects_of_a_bucket_have_distinct_keys_on_any_date(name, now):
    for spec in scenarios.build(name, seed=5, now=now)["world"]["buckets"]:
        keys = [o["key"] for o in spec.get("objects", [])]
        assert len(keys) == len(set(keys)), spec["name"]


# --------------------------------------------------------------------------------------------- against the sandbox
LOG_KEY = re.compile(
    rf"^AWSLogs/{ACCOUNT_ID}/CloudTrail/{REGION}/\d{{4}}/\d{{2}}/\d{{2}}/"
    rf"{ACCOUNT_ID}_CloudTrail_{REGION}_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz$"
)


@pytest.mark.sandbox
def test_apply_public_exfiltration_leaves_the_account_in_the_documented_state(sandbox):
    result = scenarios.apply("public-exfiltration", sandbox.endpoint)
    exp = result["expected"]
    s3, iam = sandbox.client("s3"), sandbox.client("iam")

    victim = exp["victim_bucket"]
    policy = json.loads(s3.get_bucket_policy(Bucket=victim)["Policy"])
    public = [s for s in policy["Statement"] if s.get("Sid") == exp["public_statement_sid"]]
    assert public and public[0]["Principal"] == "*" and "s3:GetObject" in public[0]["Action"]
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        s3.get_public_access_block(Bucket=victim)
    assert s3.list_objects_v2(Bucket=victim)["KeyCount"] == exp["counts"]["victim_objects"]

    keys = iam.list_access_keys(UserName=exp["attacker"]["user_name"])["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [exp["attacker"]["access_key_id"]]
    assert keys[0]["AccessKeyId"].startswith("AKIA")
    attached = iam.list_attached_user_policies(UserName=exp["attacker"]["user_name"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [exp["excessive_policy"]["arn"]]
    roles = {r["Arn"] for r in iam.list_roles()["Roles"]}
    assert set(exp["legitimate_role_arns"]) | {exp["responder_role_arn"]} <= roles

    # trail log files: CloudTrail's key layout, gzipped {"Records": [...]}, every data event delivered
    trail_bucket = exp["trail"]["bucket"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=trail_bucket, Prefix="AWSLogs/")
    log_keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert log_keys and all(LOG_KEY.match(k) for k in log_keys if "/CloudTrail/" in k)

    def records_of(key: str) -> list[dict]:
        return json.loads(gzip.decompress(s3.get_object(Bucket=trail_bucket, Key=key)["Body"].read()))["Records"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        delivered = [r for batch in pool.map(records_of, log_keys) for r in batch]
    data = [r for r in delivered if r["eventCategory"] == "Data"]
    assert len({r["eventID"] for r in data}) == exp["counts"]["data_events"]
    attacker_gets = [
        r for r in data
        if r["eventName"] == "GetObject" and r["userIdentity"].get("accessKeyId") == exp["attacker"]["access_key_id"]
        and r["requestParameters"]["bucketName"] == victim and "errorCode" not in r
    ]  # fmt: skip
    assert len(attacker_gets) == exp["counts"]["attacker_get_object"]


@pytest.mark.sandbox
def test_apply_public_exfiltration_answers_the_responders_questions(sandbox):
    exp = scenarios.apply("public-exfiltration", sandbox.endpoint)["expected"]
    victim = exp["victim_bucket"]

    ct = sandbox.client("cloudtrail")
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutBucketPolicy"}])
    by_attacker = [e for e in events["Events"] if e.get("AccessKeyId") == exp["attacker"]["access_key_id"]]
    assert len(by_attacker) == 1 and by_attacker[0]["Username"] == exp["attacker"]["user_name"]
    record = json.loads(by_attacker[0]["CloudTrailEvent"])
    assert record["sourceIPAddress"] == exp["attacker"]["source_ip"]
    assert record["requestParameters"]["bucketName"] == victim

    gd = sandbox.client("guardduty")
    detector = gd.list_detectors()["DetectorIds"][0]
    criterion = {"resource.s3BucketDetails.name": {"Eq": [victim]}, "service.archived": {"Eq": ["false"]}}
    pages = gd.get_paginator("list_findings").paginate(
        DetectorId=detector, FindingCriteria={"Criterion": criterion}, PaginationConfig={"PageSize": 2}
    )
    ids = [i for p in pages for i in p["FindingIds"]]
    assert sorted(ids) == exp["finding_ids"]
    findings = gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"]
    assert sorted(f["Type"] for f in findings) == exp["finding_types"]
    assert {f["Resource"]["AccessKeyDetails"]["AccessKeyId"] for f in findings} == {exp["attacker"]["access_key_id"]}
    assert all(f["Arn"].endswith(f"detector/{detector}/finding/{f['Id']}") for f in findings)
    everything = [i for p in gd.get_paginator("list_findings").paginate(DetectorId=detector) for i in p["FindingIds"]]
    assert len(everything) == exp["counts"]["findings"] >= 60

    sim = sandbox.client("iam").simulate_principal_policy(
        PolicySourceArn=exp["attacker"]["principal_arn"],
        ActionNames=["s3:PutBucketPolicy", "s3:GetObject"],
        ResourceArns=[f"arn:aws:s3:::{victim}/exports/x.csv"],
    )["EvaluationResults"]
    assert {r["EvalDecision"] for r in sim} == {"allowed"}
    assert sim[0]["MatchedStatements"][0]["SourcePolicyId"] == exp["excessive_policy"]["name"]
    reporting = next(a for a in exp["legitimate_role_arns"] if a.endswith("/app-reporting"))
    sim = sandbox.client("iam").simulate_principal_policy(
        PolicySourceArn=reporting, ActionNames=["s3:PutBucketPolicy"], ResourceArns=[f"arn:aws:s3:::{victim}"]
    )["EvaluationResults"]
    assert sim[0]["EvalDecision"] == "implicitDeny"

    det = sandbox.client("detective")
    (graph,) = det.list_graphs()["GraphList"]
    assert graph["Arn"] == exp["detective_graph_arn"]
    start = datetime.fromisoformat(exp["attack_started_at"].replace("Z", "+00:00"))
    inv = det.start_investigation(
        GraphArn=graph["Arn"],
        EntityArn=exp["attacker"]["principal_arn"],
        ScopeStartTime=start - timedelta(hours=1),
        ScopeEndTime=start + timedelta(hours=7),
    )["InvestigationId"]
    for _ in range(10):
        if det.get_investigation(GraphArn=graph["Arn"], InvestigationId=inv)["Status"] != "RUNNING":
            break
    kinds = {i["IndicatorType"] for i in det.list_indicators(GraphArn=graph["Arn"], InvestigationId=inv)["Indicators"]}
    assert {"FLAGGED_IP_ADDRESS", "RELATED_FINDING", "TTP_OBSERVED"} <= kinds


def _current_victim_findings(sandbox, bucket: str) -> list[dict]:
    gd = sandbox.client("guardduty")
    detector = gd.list_detectors()["DetectorIds"][0]
    criterion = {"resource.s3BucketDetails.name": {"Eq": [bucket]}, "service.archived": {"Eq": ["false"]}}
    ids = gd.list_findings(DetectorId=detector, FindingCriteria={"Criterion": criterion})["FindingIds"]
    return gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"] if ids else []


def _lookup(sandbox, event_name: str) -> list[dict]:
    attr = [{"AttributeKey": "EventName", "AttributeValue": event_name}]
    pages = sandbox.client("cloudtrail").get_paginator("lookup_events").paginate(LookupAttributes=attr)
    return [e for p in pages for e in p["Events"]]


@pytest.mark.sandbox
def test_apply_ransomware_leaves_encrypted_copies_and_recoverable_versions(sandbox):
    exp = sandbox.scenario("ransomware")["expected"]
    s3 = sandbox.client("s3")
    victim = exp["victim_bucket"]
    assert s3.get_bucket_versioning(Bucket=victim)["Status"] == "Suspended"
    current = [o["Key"] for o in s3.list_objects_v2(Bucket=victim)["Contents"]]
    assert exp["ransom_note_key"] in current
    assert sum(k.endswith(exp["encrypted_suffix"]) for k in current) == exp["counts"]["objects_encrypted"]
    versions = s3.list_object_versions(Bucket=victim)
    originals = {v["Key"] for v in versions["Versions"] if not v["IsLatest"]}
    assert len(originals) == exp["counts"]["objects_deleted"]
    assert {m["Key"] for m in versions["DeleteMarkers"]} == originals

    suspended = [e for e in _lookup(sandbox, "PutBucketVersioning") if e.get("AccessKeyId")]
    assert [e["AccessKeyId"] for e in suspended] == [exp["attacker"]["access_key_id"]]
    record = json.loads(suspended[0]["CloudTrailEvent"])
    assert record["sourceIPAddress"] == exp["attacker"]["source_ip"]
    assert record["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == exp["compromised_role_arn"]
    findings = _current_victim_findings(sandbox, victim)
    assert sorted(f["Type"] for f in findings) == exp["finding_types"]


@pytest.mark.sandbox
def test_apply_cross_account_backdoor_grants_the_foreign_account_without_making_the_bucket_public(sandbox):
    exp = sandbox.scenario("cross-account-backdoor")["expected"]
    s3 = sandbox.client("s3")
    victim = exp["victim_bucket"]
    statements = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=victim)["Policy"])["Statement"]}
    backdoor = statements[exp["backdoor_statement_sid"]]
    assert backdoor["Principal"] == {"AWS": f"arn:aws:iam::{exp['foreign_account_id']}:root"}
    assert s3.get_public_access_block(Bucket=victim)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]

    put = [e for e in _lookup(sandbox, "PutBucketPolicy") if e.get("AccessKeyId") == exp["attacker"]["access_key_id"]]
    assert len(put) == 1 and put[0]["Username"] == exp["attacker"]["user_name"]
    findings = _current_victim_findings(sandbox, victim)
    assert sorted(f["Type"] for f in findings) == exp["finding_types"]
    remote = {
        f["Service"]["Action"]["AwsApiCallAction"].get("RemoteAccountDetails", {}).get("AccountId") for f in findings
    }
    assert exp["foreign_account_id"] in remote
    sim = sandbox.client("iam").simulate_principal_policy(
        PolicySourceArn=exp["attacker"]["principal_arn"], ActionNames=["s3:PutBucketPolicy"]
    )["EvaluationResults"]
    assert sim[0]["EvalDecision"] == "allowed"


@pytest.mark.sandbox
def test_apply_refuses_a_sandbox_that_already_has_the_scenarios_names_and_changes_nothing(sandbox):
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket="acme-cloudtrail-logs")
    with pytest.raises(scenarios.ScenarioConflict, match="bucket acme-cloudtrail-logs"):
        scenarios.apply("ransomware", sandbox.endpoint)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["acme-cloudtrail-logs"]
    assert iam.list_roles()["Roles"] == []

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import random
from pathlib import Path

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import findings as F
from botocore.validate import ParamValidator

_SHAPES_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "guardduty" / "shapes.py"


def _load_shapes():
    spec = importlib.util.spec_from_file_location("guardduty_fixture_shapes", _SHAPES_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shapes = _load_shapes()

EXFIL = "s3_exfiltration_malicious_ip.json"
RETIRED = "s3_retired_objectread_assumed_role.json"
SAMPLE = "s3_sample_bucket_anonymous_access.json"
EC2 = "ec2_port_probe.json"
IAM = "iam_credential_exfiltration.json"
SEQUENCE = "s3_attack_sequence.json"
EVENT = "eventbridge_guardduty_event.json"


def wire(name):
    return shapes.load(name)


def boto3_shape(name):
    return shapes.wire_to_boto3(shapes.load(name))


def without_raw(normalised):
    return {key: value for key, value in normalised.items() if key != "raw"}


# -------------------------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name", shapes.WIRE_FINDING_FIXTURES)
def test_fixture_is_in_guardduty_wire_shape_and_converts_like_botocore(name):
    walked = shapes.model_walk_to_boto3(wire(name))  # raises on any key botocore's model does not know
    assert walked == shapes.wire_to_boto3(wire(name))
    assert "Id" in walked and "id" not in walked


@pytest.mark.parametrize("name", shapes.WIRE_FINDING_FIXTURES)
def test_boto3_and_wire_shapes_of_the_same_finding_normalise_equal(name):
    from_wire = F.normalize_finding(wire(name))
    from_boto3 = F.normalize_finding(boto3_shape(name))
    assert without_raw(from_wire) == without_raw(from_boto3)
    assert from_wire["id"] == wire(name)["id"]
    assert from_wire["created_at"] is not None and from_wire["severity_label"] is not None


def test_normalised_finding_has_exactly_the_documented_keys():
    assert tuple(F.normalize_finding(wire(EXFIL))) == F.FINDING_SCHEMA_KEYS


def test_bucket_creation_time_is_the_same_iso_string_from_epoch_seconds_and_datetime():
    from_wire = F.normalize_finding(wire(EXFIL))["buckets"][0]["created_at"]
    boto3_finding = boto3_shape(EXFIL)
    assert isinstance(boto3_finding["Resource"]["S3BucketDetails"][0]["CreatedAt"], dt.datetime)
    assert from_wire == F.normalize_finding(boto3_finding)["buckets"][0]["created_at"] == "2025-01-01T10:00:00.000Z"


def test_exfiltration_finding_gives_bucket_public_access_principal_call_and_ip():
    result = F.normalize_finding(boto3_shape(EXFIL))
    assert result["type"] == result["type_canonical"] == "Exfiltration:S3/MaliciousIPCaller"
    assert result["retired_type"] is False
    assert (result["severity"], result["severity_label"]) == (8.0, "High")
    assert result["s3_related"] is True and result["sample"] is False and result["archived"] is False
    assert (result["first_seen"], result["last_seen"]) == ("2026-03-02T08:57:41.000Z", "2026-03-02T09:12:55.000Z")
    assert result["count"] == 14 and result["resource_role"] == "TARGET" and result["feature_name"] == "S3DataEvents"
    assert result["detector_id"] == "12abc34d567e8fa901bc2d34e56789f0"
    [bucket] = result["buckets"]
    assert bucket["name"] == "payroll-exports-prod" and bucket["type"] == "destination"
    assert bucket["tags"] == {"team": "finance", "data-class": "confidential"}
    assert bucket["encryption_type"] == "aws:kms" and bucket["kms_key_arn"].startswith("arn:aws:kms:")
    assert bucket["effective_permission"] == "PUBLIC"
    assert bucket["public_access"]["policy_allows_public_read"] is True
    assert bucket["public_access"]["acl_allows_public_read"] is False
    assert bucket["public_access"]["bucket_block_public_access"] == {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": False,
        "restrict_public_buckets": False,
    }
    assert set(bucket["public_access"]["account_block_public_access"].values()) == {False}
    assert bucket["objects"][0]["key"] == "2026/02/salaries.csv"
    assert bucket["objects"][0]["etag"] == '"9b2cf535f27731c974343645a3985328"'
    assert bucket["objects"][0]["version_id"] == "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"
    assert result["principal"]["arn"] == "arn:aws:iam::111122223333:user/ci-deployer"
    assert result["principal"]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"
    assert result["action_type"] == "AWS_API_CALL"
    assert result["api_calls"] == [
        {
            "api": "GetObject",
            "service": "s3.amazonaws.com",
            "caller_type": "Remote IP",
            "error_code": None,  # "" on the wire
            "user_agent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
            "remote_account_id": "444455556666",
            "remote_account_affiliated": False,
        }
    ]
    [remote] = result["remote_ips"]
    assert (remote["ip"], remote["country_code"], remote["city"], remote["asn"]) == (
        "198.51.100.23",
        "NL",
        "Amsterdam",
        "64496",
    )
    assert (remote["lat"], remote["lon"]) == (52.37, 4.89)
    assert result["threat_names"] == ["Compromised", "Scanner"]


def test_raw_is_the_input_finding_unchanged():
    finding = boto3_shape(EXFIL)
    before = copy.deepcopy(finding)
    result = F.normalize_finding(finding)
    assert result["raw"] is finding and finding == before


def test_normalising_a_normalised_finding_returns_it_unchanged():
    once = F.normalize_finding(wire(EXFIL))
    assert F.normalize_finding(once) is once
    assert once["buckets"][0]["name"] == "payroll-exports-prod"


def test_to_json_safe_makes_boto3_raw_serialisable():
    raw = F.normalize_finding(boto3_shape(EXFIL))["raw"]
    with pytest.raises(TypeError):
        json.dumps(raw)
    safe = F.to_json_safe(raw)
    assert json.loads(json.dumps(safe))["Resource"]["S3BucketDetails"][0]["CreatedAt"] == "2025-01-01T10:00:00.000Z"


# --------------------------------------------------------------------------------------------------- EventBridge


def test_eventbridge_event_is_unwrapped_to_its_detail():
    event = wire(EVENT)
    from_event = F.normalize_finding(event)
    assert from_event["raw"] is event
    assert without_raw(from_event) == without_raw(F.normalize_finding(event["detail"]))
    assert from_event["id"] == "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
    assert from_event["buckets"][0]["created_at"] == "2025-01-01T10:00:00.000Z"  # ISO string in EventBridge
    assert from_event["severity"] == 8.0 and isinstance(from_event["severity"], float)


def test_eventbridge_event_of_another_detail_type_is_rejected_by_name():
    event = {"detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "detail": {"eventName": "GetObject"}}
    with pytest.raises(F.FindingError, match="AWS API Call via CloudTrail"):
        F.normalize_finding(event)


def test_eventbridge_event_without_a_detail_mapping_is_rejected():
    with pytest.raises(F.FindingError, match="'detail' must be a mapping"):
        F.normalize_finding({"detail-type": "GuardDuty Finding", "detail": "oops"})


# ------------------------------------------------------------------------------------------------- retired types


@pytest.mark.parametrize(("retired", "successor"), sorted(F.RETIRED_TYPES.items()))
def test_retired_type_is_mapped_to_its_successor(retired, successor):
    finding = wire(EXFIL)
    finding["type"] = retired
    result = F.normalize_finding(finding)
    assert (result["type"], result["type_canonical"], result["retired_type"]) == (retired, successor, True)


def test_retired_objectread_fixture_maps_to_anomalous_behavior():
    result = F.normalize_finding(boto3_shape(RETIRED))
    assert result["type_canonical"] == "Exfiltration:S3/AnomalousBehavior" and result["retired_type"] is True
    assert result["archived"] is True
    assert [(b["name"], b["type"]) for b in result["buckets"]] == [
        ("media-archive-src", "source"),
        ("attacker-dropbox-77", "destination"),
    ]
    assert result["buckets"][1]["owner_id"] is None  # "REDACTED"


# -------------------------------------------------------------------------------------------------- action types


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("AWS_API_CALL", "AWS_API_CALL"),
        ("AWSAPICALL", "AWS_API_CALL"),
        ("aws_api_call", "AWS_API_CALL"),
        ("NETWORK_CONNECTION", "NETWORK_CONNECTION"),
        ("NETWORKCONNECTION", "NETWORK_CONNECTION"),
        ("DNS_REQUEST", "DNS_REQUEST"),
        ("PORT_PROBE", "PORT_PROBE"),
        ("KUBERNETES_API_CALL", "KUBERNETES_API_CALL"),
        ("Some New Action", "SOME_NEW_ACTION"),
    ],
)
def test_action_type_spellings_are_normalised(spelling, expected):
    finding = wire(EXFIL)
    finding["service"]["action"]["actionType"] = spelling
    assert F.normalize_finding(finding)["action_type"] == expected


def test_both_spellings_of_the_api_call_action_type_give_equal_findings():
    finding = wire(EXFIL)
    other = wire(EXFIL)
    other["service"]["action"]["actionType"] = "AWSAPICALL"
    assert without_raw(F.normalize_finding(finding)) == without_raw(F.normalize_finding(other))


def test_action_type_is_inferred_from_the_action_member_when_missing():
    finding = wire(EXFIL)
    del finding["service"]["action"]["actionType"]
    assert F.normalize_finding(finding)["action_type"] == "AWS_API_CALL"


# ----------------------------------------------------------------------------------------------------- principal


def test_assumed_role_principal_gives_role_and_session_but_no_role_arn():
    principal = F.normalize_finding(boto3_shape(RETIRED))["principal"]
    assert principal["arn"] is None
    assert principal["role_name"] == "ci-build-role"
    assert principal["session_name"] == "build-runner-42"
    assert principal["session_arn"] == "arn:aws:sts::111122223333:assumed-role/ci-build-role/build-runner-42"


def test_root_principal_arn_is_the_account_root():
    assert F.normalize_finding(wire(SAMPLE))["principal"]["arn"] == "arn:aws:iam::111122223333:root"


def test_principal_arn_follows_the_finding_partition():
    finding = wire(EXFIL)
    finding["partition"] = "aws-us-gov"
    assert F.normalize_finding(finding)["principal"]["arn"] == "arn:aws-us-gov:iam::111122223333:user/ci-deployer"


def test_iam_user_arn_is_not_derived_without_a_user_name():
    finding = wire(EXFIL)
    finding["resource"]["accessKeyDetails"]["userName"] = "REDACTED"
    principal = F.normalize_finding(finding)["principal"]
    assert principal["arn"] is None and principal["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"


# ----------------------------------------------------------------------------------------------- non-S3 findings


def test_ec2_finding_is_not_s3_related_and_has_no_buckets():
    result = F.normalize_finding(boto3_shape(EC2))
    assert result["s3_related"] is False and result["buckets"] == []
    assert result["principal"] is None
    assert result["action_type"] == "PORT_PROBE"
    assert [ip["ip"] for ip in result["remote_ips"]] == ["192.0.2.44"]
    assert result["severity_label"] == "Low"


def test_iam_access_key_finding_is_not_s3_related_but_names_the_key():
    result = F.normalize_finding(boto3_shape(IAM))
    assert result["s3_related"] is False and result["buckets"] == []
    assert result["principal"]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"
    assert result["api_calls"][0]["error_code"] == "AccessDenied"


def test_s3_policy_finding_on_an_access_key_resource_is_s3_related_without_buckets():
    finding = wire(IAM)
    finding["type"] = "Policy:S3/AccountBlockPublicAccessDisabled"
    del finding["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]
    result = F.normalize_finding(finding)
    assert result["s3_related"] is True and result["buckets"] == [] and result["remote_ips"] == []


def test_attack_sequence_finding_takes_its_bucket_from_the_sequence():
    result = F.normalize_finding(boto3_shape(SEQUENCE))
    assert result["attack_sequence"] is True and result["severity_label"] == "Critical"
    [bucket] = result["buckets"]
    assert (bucket["name"], bucket["arn"], bucket["effective_permission"]) == (
        "payroll-exports-prod",
        "arn:aws:s3:::payroll-exports-prod",
        "PUBLIC",
    )


def test_bucket_named_only_in_affected_resources_is_still_listed():
    finding = wire(EXFIL)
    del finding["resource"]["s3BucketDetails"]
    [bucket] = F.normalize_finding(finding)["buckets"]
    assert bucket["name"] == "payroll-exports-prod" and bucket["arn"] == "arn:aws:s3:::payroll-exports-prod"


# ------------------------------------------------------------------------------------------------------ severity


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1.0, "Low"),
        (3.9, "Low"),
        (3.95, "Low"),
        (4.0, "Medium"),
        (6.9, "Medium"),
        (7.0, "High"),
        (8.9, "High"),
        (9.0, "Critical"),
        (10.0, "Critical"),
        (5, "Medium"),
        ("7.0", "High"),
    ],
)
def test_severity_label_at_the_documented_range_edges(value, label):
    assert F.severity_label(value) == label


@pytest.mark.parametrize("value", [None, True, "high", 10.1, -0.5, float("nan"), [], {}])
def test_severity_label_rejects_what_is_not_a_severity(value):
    with pytest.raises(ValueError, match="severity"):
        F.severity_label(value)


@pytest.mark.parametrize(("value", "label"), [(3.9, "Low"), (4.0, "Medium"), (8.9, "High"), (9.0, "Critical")])
def test_normalised_severity_label_follows_the_edges(value, label):
    finding = wire(EXFIL)
    finding["severity"] = value
    assert F.normalize_finding(finding)["severity_label"] == label


def test_out_of_range_severity_keeps_the_number_without_a_label():
    finding = wire(EXFIL)
    finding["severity"] = 42
    result = F.normalize_finding(finding)
    assert (result["severity"], result["severity_label"]) == (42.0, None)


# ------------------------------------------------------------------------------------------------------- samples


def test_sample_finding_is_detected_from_additional_info_json_string():
    assert F.normalize_finding(boto3_shape(SAMPLE))["sample"] is True
    assert F.is_sample(wire(SAMPLE)) is True


def test_sample_flag_in_additional_info_value_dict_is_detected():
    finding = wire(EXFIL)
    finding["service"]["additionalInfo"] = {"value": {"sample": True}, "type": "default"}
    assert F.is_sample(finding) is True


def test_sample_flag_directly_in_additional_info_is_detected():
    event = wire(EVENT)
    assert F.is_sample(event) is False
    event["detail"]["service"]["additionalInfo"]["sample"] = True
    assert F.is_sample(event) is True


def test_sample_title_prefix_alone_marks_a_sample():
    finding = wire(EXFIL)
    finding["title"] = "[SAMPLE] " + finding["title"]
    assert F.is_sample(finding) is True


def test_real_finding_is_not_a_sample_even_with_unparseable_additional_info():
    finding = wire(EXFIL)
    finding["service"]["additionalInfo"]["value"] = "{not json"
    assert F.is_sample(finding) is False
    assert F.normalize_finding(finding)["sample"] is False


def test_is_sample_reads_a_normalised_finding():
    assert F.is_sample(F.normalize_finding(wire(SAMPLE))) is True
    assert F.is_sample(F.normalize_finding(wire(EXFIL))) is False


# --------------------------------------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-02T09:14:07.512Z",
        "2026-03-02T10:14:07.512+01:00",
        1772442847.512,
        1772442847512,
        "1772442847512",
        dt.datetime(2026, 3, 2, 9, 14, 7, 512000, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 9, 14, 7, 512000),
    ],
)
def test_times_in_every_accepted_form_give_one_iso_z_string(value):
    finding = wire(EXFIL)
    finding["updatedAt"] = value
    assert F.normalize_finding(finding)["updated_at"] == "2026-03-02T09:14:07.512Z"


@pytest.mark.parametrize("value", ["", "REDACTED", "yesterday", None, True, {"a": 1}])
def test_unreadable_times_give_none(value):
    finding = wire(EXFIL)
    finding["createdAt"] = value
    assert F.normalize_finding(finding)["created_at"] is None


# ------------------------------------------------------------------------------------- missing / redacted / fuzz


@pytest.mark.parametrize("placeholder", ["", "REDACTED", "<REDACTED>", "***", None])
def test_redacted_values_become_none(placeholder):
    finding = wire(EXFIL)
    finding["resource"]["accessKeyDetails"] = dict.fromkeys(finding["resource"]["accessKeyDetails"], placeholder)
    finding["resource"]["s3BucketDetails"][0]["name"] = placeholder
    finding["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV4"] = placeholder
    finding["title"] = placeholder
    result = F.normalize_finding(finding)
    assert result["principal"] is None
    assert result["buckets"][0]["name"] == "payroll-exports-prod"  # taken from the ARN
    assert result["remote_ips"] == [] and result["title"] is None


def _subtree_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _subtree_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _subtree_paths(value, (*prefix, index))


def _mutate(node, path, how):
    parent = node
    for step in path[:-1]:
        parent = parent[step]
    if how == "remove":
        if isinstance(parent, list):
            parent.pop(path[-1])
        else:
            del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(how)


_JUNK = ["remove", "remove", "remove", None, "", "REDACTED", 0, -1, True, [], {}, "x", [None], {"x": None}]


@pytest.mark.parametrize("name", [*shapes.WIRE_FINDING_FIXTURES, EVENT])
@pytest.mark.parametrize("to_boto3", [False, True])
def test_findings_with_random_subtrees_removed_or_replaced_never_crash(name, to_boto3):
    rng = random.Random(f"{name}-{to_boto3}")
    base = boto3_shape(name) if to_boto3 and name != EVENT else wire(name)
    for _ in range(150):
        finding = copy.deepcopy(base)
        for _ in range(rng.randint(1, 4)):
            paths = list(_subtree_paths(finding))
            if not paths:
                break
            _mutate(finding, rng.choice(paths), rng.choice(_JUNK))
        try:
            result = F.normalize_finding(finding)
        except F.FindingError:
            continue
        assert tuple(result) == F.FINDING_SCHEMA_KEYS
        json.dumps(without_raw(result))  # every normalised value is plain JSON


def test_minimal_finding_with_only_an_id_normalises():
    result = F.normalize_finding({"Id": "abc123"})
    assert result["id"] == "abc123" and result["type"] is None and result["buckets"] == []
    assert result["s3_related"] is False and result["severity_label"] is None


# ----------------------------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize("value", [None, 42, "finding", ["a"], b"{}"])
def test_non_mapping_input_raises_finding_error_naming_the_type(value):
    with pytest.raises(F.FindingError, match=rf"must be a mapping \(dict\), got {type(value).__name__}"):
        F.normalize_finding(value)


@pytest.mark.parametrize("value", [{}, {"foo": 1}, {"id": "", "type": "REDACTED"}, {"Id": None, "Severity": 5}])
def test_finding_without_id_and_type_raises_finding_error_naming_both(value):
    with pytest.raises(F.FindingError, match=r"neither an 'id' nor a 'type'"):
        F.normalize_finding(value)


def test_normalize_findings_names_the_index_of_the_bad_item():
    with pytest.raises(F.FindingError, match=r"finding #1: "):
        F.normalize_findings([wire(EXFIL), {"foo": 1}])


# ----------------------------------------------------------------------------------------------------- summarise


def test_summarise_ranks_buckets_by_severity_and_collects_principals_and_ips():
    summary = F.summarise([wire(RETIRED), boto3_shape(EXFIL), wire(IAM), wire(EC2), wire(SEQUENCE), wire(EVENT)])
    names = [b["name"] for b in summary["buckets"]]
    assert names == ["payroll-exports-prod", "attacker-dropbox-77", "media-archive-src"]
    top = summary["buckets"][0]
    assert top["max_severity"] == 9.2 and top["max_severity_label"] == "Critical" and top["public"] is True
    assert set(top["finding_ids"]) == {
        "8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f",
        "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
        "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f",
    }
    assert top["first_seen"] == "2026-03-02T08:40:00.000Z" and top["last_seen"] == "2026-03-02T10:55:00.000Z"

    keys = {p["access_key_id"]: p for p in summary["principals"]}
    assert set(keys) == {"AKIAIOSFODNN7EXAMPLE", "ASIAQWERTYUIOPEXAMPLE", "ASIAZXCVBNMEXAMPLE01"}
    deployer = keys["AKIAIOSFODNN7EXAMPLE"]
    assert deployer["finding_ids"] == ["8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f", "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"]
    assert deployer["buckets"] == ["payroll-exports-prod"] and deployer["user_name"] == "ci-deployer"

    ips = {entry["ip"]: entry for entry in summary["remote_ips"]}
    assert set(ips) == {"198.51.100.23", "203.0.113.77", "192.0.2.44", "203.0.113.9"}
    assert ips["198.51.100.23"]["apis"] == ["GetObject", "ListBuckets"]
    assert ips["198.51.100.23"]["principals"] == ["AKIAIOSFODNN7EXAMPLE"]


def test_summarise_breaks_severity_ties_by_latest_activity():
    older = wire(EXFIL)
    newer = wire(EXFIL)
    newer["id"] = "feedfacefeedfacefeedfacefeedface"
    newer["resource"]["s3BucketDetails"][0]["name"] = "b-newer"
    newer["resource"]["s3BucketDetails"][0]["arn"] = "arn:aws:s3:::b-newer"
    newer["service"]["eventLastSeen"] = "2026-03-03T00:00:00.000Z"
    older["resource"]["s3BucketDetails"][0]["name"] = "a-older"
    older["resource"]["s3BucketDetails"][0]["arn"] = "arn:aws:s3:::a-older"
    assert [b["name"] for b in F.summarise([older, newer])["buckets"]] == ["b-newer", "a-older"]


def test_summarise_accepts_normalised_findings_and_empty_input():
    normalised = F.normalize_findings([wire(EXFIL)])
    assert F.summarise(normalised)["buckets"][0]["name"] == "payroll-exports-prod"
    assert F.summarise([]) == {"buckets": [], "principals": [], "remote_ips": []}


# ------------------------------------------------------------------------------------------------------ criteria

NOW = dt.datetime(2026, 3, 10, 12, 0, 0, tzinfo=dt.UTC)


def _validate_for_boto3(criteria):
    """botocore's own request validation for ListFindings: PascalCase keys and value types."""
    model = shapes.guardduty_model().operation_model("ListFindings").input_shape
    report = ParamValidator().validate(
        {"DetectorId": "12abc34d567e8fa901bc2d34e56789f0", "FindingCriteria": criteria}, model
    )
    assert not report.has_errors(), report.generate_report()


def test_criteria_are_pascal_case_and_pass_botocore_validation():
    query = F.build_finding_criteria(
        buckets=["payroll-exports-prod"],
        finding_ids=["8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f"],
        types=["Exfiltration:S3/*"],
        min_severity=4,
        updated_since="7d",
        now=NOW,
    )
    [criteria] = query.criteria
    for item in query.criteria:
        _validate_for_boto3(item)
    criterion = criteria["Criterion"]
    assert criterion["resource.s3BucketDetails.name"] == {"Eq": ["payroll-exports-prod"]}
    assert criterion["id"] == {"Eq": ["8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f"]}
    assert criterion["service.archived"] == {"Eq": ["false"]}
    assert criterion["severity"] == {"GreaterThanOrEqual": 4}
    assert criterion["updatedAt"] == {"GreaterThanOrEqual": int((NOW - dt.timedelta(days=7)).timestamp() * 1000)}


def test_include_archived_drops_the_archived_criterion_and_keeps_archived_findings():
    default = F.build_finding_criteria()
    assert default.criteria == [{"Criterion": {"service.archived": {"Eq": ["false"]}}}]
    assert default.post_filter(wire(RETIRED)) is False
    everything = F.build_finding_criteria(include_archived=True)
    assert everything.criteria == [{"Criterion": {}}]
    assert everything.post_filter(wire(RETIRED)) is True


def test_more_than_fifty_buckets_are_split_into_criteria_sets_of_fifty():
    names = [f"bucket-{i:03d}" for i in range(120)]
    query = F.build_finding_criteria(buckets=names)
    chunks = [c["Criterion"]["resource.s3BucketDetails.name"]["Eq"] for c in query.criteria]
    assert [len(chunk) for chunk in chunks] == [50, 50, 20]
    assert [name for chunk in chunks for name in chunk] == names
    for item in query.criteria:
        assert item["Criterion"]["service.archived"] == {"Eq": ["false"]}
        _validate_for_boto3(item)


def test_two_long_fields_give_every_combination_of_their_chunks():
    buckets = [f"bucket-{i:03d}" for i in range(60)]
    ids = [f"{i:032x}" for i in range(55)]
    query = F.build_finding_criteria(buckets=buckets, finding_ids=ids)
    pairs = {
        (tuple(c["Criterion"]["resource.s3BucketDetails.name"]["Eq"]), tuple(c["Criterion"]["id"]["Eq"]))
        for c in query.criteria
    }
    assert len(query.criteria) == len(pairs) == 4
    assert all(len(b) <= 50 and len(i) <= 50 for b, i in pairs)


def test_wildcard_type_is_expanded_for_the_server_including_retired_names():
    query = F.build_finding_criteria(types="Exfiltration:S3/*")
    sent = query.criteria[0]["Criterion"]["type"]["Eq"]
    assert set(sent) == {
        "Exfiltration:S3/AnomalousBehavior",
        "Exfiltration:S3/MaliciousIPCaller",
        "Exfiltration:S3/ObjectRead.Unusual",
    }


def test_wildcard_post_filter_matches_types_unknown_to_the_expansion_list():
    query = F.build_finding_criteria(types=["Exfiltration:S3/*"])
    unknown = wire(EXFIL)
    unknown["type"] = "Exfiltration:S3/BrandNewDetection2027"
    assert query.post_filter(unknown) is True
    other = wire(EXFIL)
    other["type"] = "Impact:S3/MaliciousIPCaller"
    assert query.post_filter(other) is False


def test_wildcard_matching_no_known_type_leaves_types_to_the_post_filter():
    query = F.build_finding_criteria(types=["Exfiltration:S3/*", "Persistence:S3/*"])
    assert "type" not in query.criteria[0]["Criterion"]
    finding = wire(EXFIL)
    finding["type"] = "Persistence:S3/SomethingNew"
    assert query.post_filter(finding) is True


def test_expand_types_false_sends_no_type_criterion_for_wildcards():
    query = F.build_finding_criteria(types=["Exfiltration:S3/*"], expand_types=False)
    assert "type" not in query.criteria[0]["Criterion"]


def test_exact_current_type_also_matches_its_retired_predecessor():
    query = F.build_finding_criteria(types=["Exfiltration:S3/AnomalousBehavior"], include_archived=True)
    assert set(query.criteria[0]["Criterion"]["type"]["Eq"]) == {
        "Exfiltration:S3/AnomalousBehavior",
        "Exfiltration:S3/ObjectRead.Unusual",
    }
    assert query.post_filter(wire(RETIRED)) is True


def test_more_than_fifty_expanded_types_are_chunked():
    patterns = [f"Custom:S3/Type{i}" for i in range(70)]
    query = F.build_finding_criteria(types=patterns)
    assert [len(c["Criterion"]["type"]["Eq"]) for c in query.criteria] == [50, 20]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("Payroll-Exports", "lowercase"),
        ("under_score", "lowercase"),
        ("-leading", "begin and end"),
        ("trailing.", "begin and end"),
        ("two..dots", "adjacent"),
        ("192.168.5.4", "IP address"),
        ("xn--bcher-kva", "xn--"),
        ("sthree-bucket", "sthree-"),
        ("my-ap-s3alias", "-s3alias"),
        ("my-olap--ol-s3", "--ol-s3"),
        ("dir-bucket--usw2-az1--x-s3", "--x-s3"),
    ],
)
def test_bad_bucket_name_is_rejected_naming_the_bucket(bad, reason):
    with pytest.raises(ValueError, match=reason) as caught:
        F.build_finding_criteria(buckets=["good-bucket", bad])
    assert repr(bad) in str(caught.value)
    assert "good-bucket" not in str(caught.value)


@pytest.mark.parametrize("good", ["abc", "my.bucket-1", "payroll-exports-prod", "a" * 63, "1-2-3"])
def test_valid_bucket_names_are_accepted(good):
    assert F.validate_bucket_name(good) == good
    assert F.build_finding_criteria(buckets=good).criteria[0]["Criterion"]["resource.s3BucketDetails.name"]["Eq"] == [
        good
    ]


@pytest.mark.parametrize("bad", ["", "8ac6-f4e2", "x" * 301, "id with spaces", 12345, None])
def test_bad_finding_id_is_rejected_naming_it(bad):
    with pytest.raises(ValueError, match="invalid GuardDuty finding id"):
        F.build_finding_criteria(finding_ids=[bad])


@pytest.mark.parametrize("bad", ["", "Exfiltration:S3/ObjectRead Unusual", "x" * 101, 7])
def test_bad_type_pattern_is_rejected(bad):
    with pytest.raises(ValueError, match="invalid GuardDuty finding type"):
        F.build_finding_criteria(types=[bad])


def test_fractional_min_severity_is_floored_for_the_server_and_exact_in_the_post_filter():
    query = F.build_finding_criteria(min_severity=6.5)
    assert query.criteria[0]["Criterion"]["severity"] == {"GreaterThanOrEqual": 6}
    six = wire(EXFIL)
    six["severity"] = 6.0
    seven = wire(EXFIL)
    seven["severity"] = 7.0
    assert (query.post_filter(six), query.post_filter(seven)) == (False, True)


@pytest.mark.parametrize(("label", "floor"), [("Low", 1), ("medium", 4), ("HIGH", 7), ("Critical", 9)])
def test_min_severity_accepts_a_label(label, floor):
    assert F.build_finding_criteria(min_severity=label).criteria[0]["Criterion"]["severity"] == {
        "GreaterThanOrEqual": floor
    }


@pytest.mark.parametrize("bad", ["urgent", 11, -1, True])
def test_bad_min_severity_is_rejected(bad):
    with pytest.raises(ValueError, match="min_severity"):
        F.build_finding_criteria(min_severity=bad)


@pytest.mark.parametrize(
    "since",
    [
        "7d",
        "168h",
        "1w",
        dt.timedelta(days=7),
        "2026-03-03T12:00:00Z",
        dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC),
        1772539200,
        1772539200000,
    ],
)
def test_updated_since_forms_give_the_same_epoch_millis(since):
    query = F.build_finding_criteria(updated_since=since, now=NOW)
    assert query.criteria[0]["Criterion"]["updatedAt"] == {"GreaterThanOrEqual": 1772539200000}


def test_updated_since_post_filter_drops_older_findings():
    query = F.build_finding_criteria(updated_since="2026-03-02T09:30:00Z", include_archived=True)
    assert query.post_filter(wire(EXFIL)) is False  # updated 09:14
    assert query.post_filter(wire(IAM)) is True  # updated 10:00


def test_unreadable_updated_since_is_rejected():
    with pytest.raises(ValueError, match="cannot read 'last week' as a time"):
        F.build_finding_criteria(updated_since="last week")


def test_samples_are_dropped_client_side_unless_asked_for():
    default = F.build_finding_criteria()
    assert "service.additionalInfo.sample" not in default.criteria[0]["Criterion"]
    assert default.post_filter(wire(SAMPLE)) is False
    assert default.post_filter(wire(EXFIL)) is True
    assert F.build_finding_criteria(include_samples=True).post_filter(wire(SAMPLE)) is True


def test_post_filter_rechecks_buckets_and_ids_on_normalised_findings():
    query = F.build_finding_criteria(buckets=["media-archive-src"], include_archived=True)
    assert query.post_filter(F.normalize_finding(wire(RETIRED))) is True
    assert query.post_filter(F.normalize_finding(wire(EXFIL))) is False
    by_id = F.build_finding_criteria(finding_ids="8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f")
    assert by_id.post_filter(wire(EXFIL)) is True and by_id.post_filter(wire(IAM)) is False


def test_criteria_query_unpacks_as_a_pair():
    criteria, post_filter = F.build_finding_criteria(buckets="abc")
    assert isinstance(criteria, list) and callable(post_filter)

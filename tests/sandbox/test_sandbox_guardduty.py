# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GuardDuty findings APIs of the sandbox, through real boto3 clients (botocore parses every answer)."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timezone

import pytest
from botocore.exceptions import ClientError

from sandbox import ACCOUNT_ID
from sandbox import REGION

pytestmark = pytest.mark.sandbox
NOT_OWNED = "The request is rejected because the input detectorId is not owned by the current account."


def _ids(gd, detector, criterion=None, **kw):
    args = {"DetectorId": detector, **kw}
    if criterion is not None:
        args["FindingCriteria"] = {"Criterion": criterion}
    return gd.list_findings(**args)["FindingIds"]


def _detector(gd):
    (detector,) = gd.list_detectors()["DetectorIds"]
    return detector


def _code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def test_replayed_findings_of_both_shapes_attach_to_the_sandbox_detector(
    sandbox, boto3_finding, wire_finding, fits_output
):
    result = sandbox.seed({"guardduty_findings": [boto3_finding(), wire_finding()]})
    gd = sandbox.client("guardduty")
    detector = _detector(gd)  # created by the seed, in moto
    assert result["detectors"] == {REGION: detector}

    findings = {f["Id"]: f for f in gd.get_findings(DetectorId=detector, FindingIds=["f-boto3", "f-wire"])["Findings"]}
    for finding in findings.values():
        fits_output("guardduty", "Finding", finding)
        assert finding["AccountId"] == ACCOUNT_ID
        assert finding["Arn"] == f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/{detector}/finding/{finding['Id']}"
        assert finding["Service"]["DetectorId"] == detector
    bucket = findings["f-boto3"]["Resource"]["S3BucketDetails"][0]
    assert bucket["CreatedAt"] == datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc)  # a real timestamp member
    assert findings["f-boto3"]["CreatedAt"] == "2026-11-01T10:00:00.000Z"  # a string member stays a string
    assert findings["f-wire"]["Resource"]["AccessKeyDetails"]["UserName"] == "mallory"
    assert findings["f-wire"]["Severity"] == 2.0


def test_unknown_detector_is_a_bad_request_worded_as_aws(sandbox):
    gd = sandbox.client("guardduty")
    for call in (
        lambda: gd.list_findings(DetectorId="0" * 32),
        lambda: gd.get_findings(DetectorId="0" * 32, FindingIds=["x"]),
        lambda: gd.archive_findings(DetectorId="0" * 32, FindingIds=["x"]),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _code(err) == "BadRequestException"
        assert err.value.response["Error"]["Message"] == NOT_OWNED


def test_criteria_filter_on_dotted_paths_through_lists(sandbox, boto3_finding, wire_finding):
    other = boto3_finding(Id="f-other", Severity=5.0, Type="Discovery:S3/TorIPCaller", UpdatedAt="2026-11-02T00:00:00Z")
    other["Resource"] = {
        "ResourceType": "S3Bucket",
        "AccessKeyDetails": {"AccessKeyId": "AKIAOTHER"},
        "S3BucketDetails": [{"Name": "logs-bucket"}, {"Name": "other-bucket"}],
    }
    sandbox.seed({"guardduty_findings": [boto3_finding(), wire_finding(), other]})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    cutoff = int(datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)

    assert set(_ids(gd, det, {"resource.s3BucketDetails.name": {"Eq": ["victim-bucket"]}})) == {"f-boto3", "f-wire"}
    assert _ids(gd, det, {"resource.s3BucketDetails.name": {"Eq": ["other-bucket"]}}) == ["f-other"]
    assert _ids(gd, det, {"resource.s3BucketDetails.name": {"Neq": ["victim-bucket"]}}) == ["f-other"]
    assert _ids(gd, det, {"type": {"Equals": ["Policy:S3/BucketBlockPublicAccessDisabled"]}}) == ["f-wire"]
    assert _ids(gd, det, {"type": {"NotEquals": ["Policy:S3/BucketBlockPublicAccessDisabled"]}}) == [
        "f-boto3",
        "f-other",
    ]
    assert _ids(gd, det, {"severity": {"Gte": 7}}) == ["f-boto3"]
    assert _ids(gd, det, {"severity": {"Gt": 2, "Lt": 8}}) == ["f-other"]
    assert _ids(gd, det, {"severity": {"LessThanOrEqual": 2}}) == ["f-wire"]
    assert _ids(gd, det, {"updatedAt": {"GreaterThanOrEqual": cutoff}}) == ["f-boto3", "f-other"]
    assert _ids(gd, det, {"updatedAt": {"LessThan": cutoff}}) == ["f-wire"]
    assert _ids(gd, det, {"id": {"Eq": ["f-wire", "f-other"]}}) == ["f-wire", "f-other"]
    assert _ids(gd, det, {"resource.accessKeyDetails.accessKeyId": {"Eq": ["AKIAOTHER"]}}) == ["f-other"]
    assert _ids(gd, det, {"resource.resourceType": {"Eq": ["AccessKey"]}}) == ["f-wire"]
    both = {"resource.s3BucketDetails.name": {"Eq": ["victim-bucket"]}, "severity": {"Gte": 7}}
    assert _ids(gd, det, both) == ["f-boto3"]


def test_archive_unarchive_and_the_archived_criterion(sandbox, boto3_finding, wire_finding):
    sandbox.seed({"guardduty_findings": [boto3_finding(), wire_finding()]})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    gd.archive_findings(DetectorId=det, FindingIds=["f-wire"])
    assert _ids(gd, det, {"service.archived": {"Eq": ["false"]}}) == ["f-boto3"]
    assert _ids(gd, det, {"service.archived": {"Eq": ["true"]}}) == ["f-wire"]
    assert len(_ids(gd, det)) == 2  # unset: current and archived
    assert gd.get_findings(DetectorId=det, FindingIds=["f-wire"])["Findings"][0]["Service"]["Archived"] is True
    gd.unarchive_findings(DetectorId=det, FindingIds=["f-wire"])
    assert _ids(gd, det, {"service.archived": {"Eq": ["true"]}}) == []


def test_sort_and_pagination_over_several_pages(sandbox, boto3_finding):
    findings = [
        boto3_finding(Id=f"f-{i:02d}", Severity=float(1 + i % 8), UpdatedAt=f"2026-11-01T10:{i:02d}:00.000Z")
        for i in range(23)
    ]
    sandbox.seed({"guardduty_findings": findings})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    pages = list(
        gd.get_paginator("list_findings").paginate(
            DetectorId=det,
            SortCriteria={"AttributeName": "updatedAt", "OrderBy": "DESC"},
            PaginationConfig={"PageSize": 10},
        )
    )
    assert [len(p["FindingIds"]) for p in pages] == [10, 10, 3]
    assert [i for p in pages for i in p["FindingIds"]] == [f"f-{i:02d}" for i in reversed(range(23))]
    by_severity = _ids(gd, det, SortCriteria={"AttributeName": "severity", "OrderBy": "ASC"})
    severities = [float(1 + int(i[2:]) % 8) for i in by_severity]
    assert severities == sorted(severities)


def test_max_results_and_id_limits_are_enforced(sandbox, boto3_finding):
    sandbox.seed({"guardduty_findings": [boto3_finding()]})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    with pytest.raises(ClientError) as err:
        gd.list_findings(DetectorId=det, MaxResults=51)
    assert _code(err) == "BadRequestException"
    with pytest.raises(ClientError) as err:
        gd.get_findings(DetectorId=det, FindingIds=[f"id-{i}" for i in range(51)])
    assert _code(err) == "BadRequestException"
    with pytest.raises(ClientError) as err:
        gd.list_findings(DetectorId=det, NextToken="not-a-token")
    assert _code(err) == "BadRequestException"
    assert gd.get_findings(DetectorId=det, FindingIds=["f-boto3", "unknown"])["Findings"][0]["Id"] == "f-boto3"


def test_sample_findings_are_marked_and_filterable(sandbox, boto3_finding, fits_output):
    sandbox.seed({"guardduty_findings": [boto3_finding()]})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    types = ["Policy:S3/BucketAnonymousAccessGranted", "Exfiltration:S3/AnomalousBehavior"]
    gd.create_sample_findings(DetectorId=det, FindingTypes=types)
    sample_ids = _ids(gd, det, {"service.additionalInfo.sample": {"Eq": ["true"]}})
    assert len(sample_ids) == 2
    samples = gd.get_findings(DetectorId=det, FindingIds=sample_ids)["Findings"]
    for sample in samples:
        fits_output("guardduty", "Finding", sample)
        assert sample["Title"].startswith("[SAMPLE]")
        assert json.loads(sample["Service"]["AdditionalInfo"]["Value"])["sample"] is True
    assert {s["Type"] for s in samples} == set(types)
    assert _ids(gd, det, {"service.additionalInfo.sample": {"Neq": ["true"]}}) == ["f-boto3"]


def test_feedback_and_statistics(sandbox, boto3_finding, wire_finding):
    sandbox.seed({"guardduty_findings": [boto3_finding(), boto3_finding(Id="f-2"), wire_finding()]})
    gd = sandbox.client("guardduty")
    det = _detector(gd)
    gd.update_findings_feedback(DetectorId=det, FindingIds=["f-2"], Feedback="NOT_USEFUL")
    assert gd.get_findings(DetectorId=det, FindingIds=["f-2"])["Findings"][0]["Service"]["UserFeedback"] == "NOT_USEFUL"
    stats = gd.get_findings_statistics(DetectorId=det, FindingStatisticTypes=["COUNT_BY_SEVERITY"])
    assert stats["FindingStatistics"]["CountBySeverity"] == {"8.0": 2, "2.0": 1}
    by_type = gd.get_findings_statistics(DetectorId=det, GroupBy="FINDING_TYPE")["FindingStatistics"]
    counts = {row["FindingType"]: row["TotalFindings"] for row in by_type["GroupedByFindingType"]}
    assert counts == {"Exfiltration:S3/MaliciousIPCaller": 2, "Policy:S3/BucketBlockPublicAccessDisabled": 1}


def test_findings_are_per_region(sandbox, boto3_finding):
    eu = boto3_finding(Id="f-eu", Region="eu-west-1")
    sandbox.seed({"guardduty_findings": [boto3_finding(), eu]})
    gd_eu = sandbox.client("guardduty", region="eu-west-1")
    assert _ids(gd_eu, _detector(gd_eu)) == ["f-eu"]
    gd = sandbox.client("guardduty")
    assert _ids(gd, _detector(gd)) == ["f-boto3"]

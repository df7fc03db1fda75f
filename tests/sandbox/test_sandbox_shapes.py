# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Model-driven shape conversion (no server): the wire form botocore's own parser reads back."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timezone

import pytest
from botocore.parsers import create_parser

from sandbox import shapes


def _parse(service, operation, body, protocol):
    op = shapes.operation_model(service, operation)
    response = {"body": body, "headers": {}, "status_code": 200}
    return create_parser(protocol).parse(response, op.output_shape)


def test_boto3_finding_becomes_the_wire_shape_from_the_model(boto3_finding):
    wire = shapes.to_wire(shapes.shape("guardduty", "Finding"), boto3_finding())
    bucket = wire["resource"]["s3BucketDetails"][0]
    assert bucket["name"] == "victim-bucket"
    assert bucket["createdAt"] == int(datetime(2026, 1, 15, 8, tzinfo=timezone.utc).timestamp())  # epoch seconds
    assert wire["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV4"] == "198.51.100.7"
    assert wire["createdAt"] == "2026-11-01T10:00:00.000Z"  # a string member is left alone


def test_wire_input_is_already_wire_and_survives_unchanged(wire_finding):
    finding = wire_finding()
    assert shapes.to_wire(shapes.shape("guardduty", "Finding"), finding) == {**finding, "severity": 2.0}


def test_type_errors_and_missing_members_name_the_wire_path(boto3_finding):
    finding = boto3_finding()
    finding["Resource"]["S3BucketDetails"][0]["Name"] = 42
    with pytest.raises(shapes.ShapeError, match=r"^resource\.s3BucketDetails\[0\]\.name: expected a string"):
        shapes.to_wire(shapes.shape("guardduty", "Finding"), finding)
    wire = shapes.to_wire(shapes.shape("guardduty", "Finding"), boto3_finding())
    del wire["type"]
    assert shapes.missing_required(shapes.shape("guardduty", "Finding"), wire) == "type"


def test_json_and_xml_bodies_parse_back_with_botocore():
    when = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
    body = shapes.json_body(
        "cloudtrail", "LookupEvents", {"Events": [{"EventId": "e1", "EventTime": when, "Resources": []}]}
    )
    parsed = _parse("cloudtrail", "LookupEvents", json.dumps(body).encode(), "json")
    assert parsed["Events"][0]["EventTime"] == when

    result = {
        "EvaluationResults": [
            {
                "EvalActionName": "s3:GetObject",
                "EvalResourceName": "*",
                "EvalDecision": "allowed",
                "MatchedStatements": [{"SourcePolicyId": "p", "SourcePolicyType": "user"}],
                "MissingContextValues": [],
            }
        ],
        "IsTruncated": False,
    }
    xml = shapes.query_xml("iam", "SimulatePrincipalPolicy", result, "req-1")
    parsed = _parse("iam", "SimulatePrincipalPolicy", xml, "query")
    assert parsed["EvaluationResults"][0]["MatchedStatements"] == [{"SourcePolicyId": "p", "SourcePolicyType": "user"}]
    assert parsed["IsTruncated"] is False

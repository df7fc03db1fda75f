# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Detective and IAM SimulatePrincipalPolicy of the sandbox, through real boto3 clients."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest
from botocore.exceptions import ClientError

from sandbox import ACCOUNT_ID

pytestmark = pytest.mark.sandbox
MALLORY = f"arn:aws:iam::{ACCOUNT_ID}:user/mallory"
APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"
START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
END = datetime(2026, 11, 1, 18, 0, tzinfo=timezone.utc)
INDICATORS = [
    {
        "IndicatorType": "FLAGGED_IP_ADDRESS",
        "IndicatorDetail": {"FlaggedIpAddressDetail": {"IpAddress": "198.51.100.7"}},
    },
    {"IndicatorType": "TTP_OBSERVED", "IndicatorDetail": {"TTPsObservedDetail": {"APIName": "GetObject"}}},
    {"IndicatorType": "TTP_OBSERVED", "IndicatorDetail": {"TTPsObservedDetail": {"APIName": "ListObjects"}}},
]


def _code(err):
    return err.value.response["Error"]["Code"]


def _graph(sandbox, **entity):
    sandbox.seed(
        {"detective": {"graphs": [{}], "entities": [{"entity_arn": MALLORY, "indicators": INDICATORS, **entity}]}}
    )
    det = sandbox.client("detective")
    return det, det.list_graphs()["GraphList"][0]["Arn"]


def test_no_graph_seeded_looks_like_detective_not_enabled(sandbox):
    det = sandbox.client("detective")
    assert det.list_graphs()["GraphList"] == []
    with pytest.raises(ClientError) as err:
        det.start_investigation(
            GraphArn=f"arn:aws:detective:us-east-1:{ACCOUNT_ID}:graph:{'0' * 32}",
            EntityArn=MALLORY,
            ScopeStartTime=START,
            ScopeEndTime=END,
        )
    assert _code(err) == "ResourceNotFoundException"


def test_investigation_lifecycle_with_seeded_indicators(sandbox, fits_output):
    det, graph = _graph(sandbox, severity="CRITICAL")
    packages = det.list_datasource_packages(GraphArn=graph)["DatasourcePackages"]
    assert packages["DETECTIVE_CORE"]["DatasourcePackageIngestState"] == "STARTED"

    inv = det.start_investigation(GraphArn=graph, EntityArn=MALLORY, ScopeStartTime=START, ScopeEndTime=END)
    assert len(inv["InvestigationId"]) == 21
    got = det.get_investigation(GraphArn=graph, InvestigationId=inv["InvestigationId"])
    got.pop("ResponseMetadata")
    fits_output("detective", "GetInvestigationResponse", got)
    assert (got["Status"], got["Severity"], got["EntityType"], got["ScopeStartTime"]) == (
        "SUCCESSFUL",
        "CRITICAL",
        "IAM_USER",
        START,
    )
    ttps = det.list_indicators(GraphArn=graph, InvestigationId=inv["InvestigationId"], IndicatorType="TTP_OBSERVED")
    assert [i["IndicatorDetail"]["TTPsObservedDetail"]["APIName"] for i in ttps["Indicators"]] == [
        "GetObject",
        "ListObjects",
    ]
    first = det.list_indicators(GraphArn=graph, InvestigationId=inv["InvestigationId"], MaxResults=2)
    rest = det.list_indicators(
        GraphArn=graph, InvestigationId=inv["InvestigationId"], MaxResults=2, NextToken=first["NextToken"]
    )
    assert len(first["Indicators"]) == 2 and len(rest["Indicators"]) == 1 and "NextToken" not in rest

    det.update_investigation_state(GraphArn=graph, InvestigationId=inv["InvestigationId"], State="ARCHIVED")
    assert det.get_investigation(GraphArn=graph, InvestigationId=inv["InvestigationId"])["State"] == "ARCHIVED"


def test_entity_without_indicators_gets_an_informational_empty_investigation(sandbox):
    det, graph = _graph(sandbox)
    inv = det.start_investigation(GraphArn=graph, EntityArn=APP_ROLE, ScopeStartTime=START, ScopeEndTime=END)
    got = det.get_investigation(GraphArn=graph, InvestigationId=inv["InvestigationId"])
    assert (got["Severity"], got["EntityType"]) == ("INFORMATIONAL", "IAM_ROLE")
    assert det.list_indicators(GraphArn=graph, InvestigationId=inv["InvestigationId"])["Indicators"] == []


def test_running_for_n_polls_then_successful(sandbox):
    det, graph = _graph(sandbox, running_polls=2)
    inv = det.start_investigation(GraphArn=graph, EntityArn=MALLORY, ScopeStartTime=START, ScopeEndTime=END)
    statuses = [
        det.get_investigation(GraphArn=graph, InvestigationId=inv["InvestigationId"])["Status"] for _ in range(4)
    ]
    assert statuses == ["RUNNING", "RUNNING", "SUCCESSFUL", "SUCCESSFUL"]


def test_list_investigations_filters_and_pages(sandbox):
    det, graph = _graph(sandbox)
    ids = [
        det.start_investigation(GraphArn=graph, EntityArn=arn, ScopeStartTime=START, ScopeEndTime=END)[
            "InvestigationId"
        ]
        for arn in (MALLORY, APP_ROLE, MALLORY)
    ]
    mine = det.list_investigations(GraphArn=graph, FilterCriteria={"EntityArn": {"Value": MALLORY}})
    assert {i["InvestigationId"] for i in mine["InvestigationDetails"]} == {ids[0], ids[2]}
    high = det.list_investigations(GraphArn=graph, FilterCriteria={"Severity": {"Value": "HIGH"}})
    assert len(high["InvestigationDetails"]) == 2
    assert (
        det.list_investigations(GraphArn=graph, FilterCriteria={"Status": {"Value": "RUNNING"}})["InvestigationDetails"]
        == []
    )
    page1 = det.list_investigations(GraphArn=graph, MaxResults=2)
    page2 = det.list_investigations(GraphArn=graph, MaxResults=2, NextToken=page1["NextToken"])
    seen = [i["InvestigationId"] for i in page1["InvestigationDetails"] + page2["InvestigationDetails"]]
    assert sorted(seen) == sorted(ids)


def test_unknown_investigation_and_graph_are_resource_not_found(sandbox):
    det, graph = _graph(sandbox)
    with pytest.raises(ClientError) as err:
        det.get_investigation(GraphArn=graph, InvestigationId="0" * 21)
    assert _code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        det.list_investigations(GraphArn=graph.replace(graph[-32:], "f" * 32))
    assert _code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        det.start_investigation(GraphArn=graph, EntityArn="arn:aws:s3:::bucket", ScopeStartTime=START, ScopeEndTime=END)
    assert _code(err) == "ValidationException"


# ------------------------------------------------------------------------------------------ IAM
def test_simulate_principal_policy_uses_seeded_rules(sandbox, fits_output):
    iam = sandbox.client("iam")
    iam.create_user(UserName="mallory")
    sandbox.seed(
        {
            "iam_simulations": [
                {
                    "principal_arn": MALLORY,
                    "action": "s3:*",
                    "resource": "arn:aws:s3:::victim-bucket*",
                    "decision": "allowed",
                    "matched_statements": [{"source_policy_id": "s3-admin", "source_policy_type": "user"}],
                },
                {
                    "principal_arn": MALLORY,
                    "action": "s3:DeleteObject",
                    "resource": "*",
                    "decision": "explicitDeny",
                    "matched_statements": [{"source_policy_id": "no-delete", "source_policy_type": "user-managed"}],
                },
            ]
        }
    )
    result = iam.simulate_principal_policy(
        PolicySourceArn=MALLORY,
        ActionNames=["s3:GetObject", "S3:DeleteObject", "iam:CreateUser"],
        ResourceArns=["arn:aws:s3:::victim-bucket/key"],
    )
    result.pop("ResponseMetadata")
    fits_output("iam", "SimulatePolicyResponse", result)
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in result["EvaluationResults"]}
    assert decisions == {"s3:GetObject": "allowed", "S3:DeleteObject": "explicitDeny", "iam:CreateUser": "implicitDeny"}
    allowed = result["EvaluationResults"][0]["MatchedStatements"]
    assert allowed == [{"SourcePolicyId": "s3-admin", "SourcePolicyType": "user"}]


def test_simulate_pages_with_marker_and_max_items(sandbox):
    sandbox.client("iam").create_user(UserName="mallory")
    pages = list(
        sandbox.client("iam")
        .get_paginator("simulate_principal_policy")
        .paginate(
            PolicySourceArn=MALLORY,
            ActionNames=[f"s3:Action{i}" for i in range(5)],
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [len(p["EvaluationResults"]) for p in pages] == [2, 2, 1]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]


def test_simulate_unknown_policy_source_is_no_such_entity(sandbox):
    with pytest.raises(ClientError) as err:
        sandbox.client("iam").simulate_principal_policy(PolicySourceArn=MALLORY, ActionNames=["s3:GetObject"])
    assert _code(err) == "NoSuchEntity"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

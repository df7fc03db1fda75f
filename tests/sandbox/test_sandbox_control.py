# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control endpoints: health, reset (ours and moto's), seed validation (all or nothing), moto passthrough."""

from __future__ import annotations

import json
import urllib.request

import pytest

from sandbox import ACCOUNT_ID
from sandbox.clients import ControlError

pytestmark = pytest.mark.sandbox


def test_health_reports_ready_and_the_account(sandbox):
    body = _health(sandbox)
    assert body["status"] == "ok" and body["account_id"] == ACCOUNT_ID


def test_reset_clears_moto_and_the_sandbox_state(sandbox, boto3_finding, record):
    sandbox.client("s3").create_bucket(Bucket="victim-bucket")
    sandbox.seed({"guardduty_findings": [boto3_finding()], "cloudtrail_events": [record()]})
    sandbox.reset()
    assert sandbox.client("s3").list_buckets()["Buckets"] == []
    assert sandbox.client("guardduty").list_detectors()["DetectorIds"] == []
    assert sandbox.client("cloudtrail").lookup_events()["Events"] == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["guardduty_findings"][3].pop("Type"), r'guardduty_findings\[3\]: missing "type"'),
        (lambda p: p["guardduty_findings"][1].update(Severity="high"), r"guardduty_findings\[1\]: severity: expected"),
        (lambda p: p["cloudtrail_events"][0].pop("eventTime"), r'cloudtrail_events\[0\]: missing "eventTime"'),
        (lambda p: p["iam_simulations"][0].update(decision="maybe"), r'iam_simulations\[0\]: "decision"'),
        (lambda p: p["detective"]["entities"][0].pop("entity_arn"), r'detective.entities\[0\]: missing "entity_arn"'),
        (lambda p: p.update(guard_duty=[]), r"unknown keys \['guard_duty'\]"),
    ],
)
def test_invalid_seed_names_the_item_and_applies_nothing(sandbox, boto3_finding, record, mutate, message):
    payload = {
        "guardduty_findings": [boto3_finding(Id=f"f-{i}") for i in range(4)],
        "cloudtrail_events": [record()],
        "detective": {"graphs": [{}], "entities": [{"entity_arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mallory"}]},
        "iam_simulations": [
            {"principal_arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mallory", "action": "s3:*", "decision": "allowed"}
        ],
    }
    mutate(payload)
    with pytest.raises(ControlError, match=message) as err:
        sandbox.seed(payload)
    assert "(400)" in str(err.value)
    assert sandbox.client("guardduty").list_detectors()["DetectorIds"] == []  # no detector created in moto
    assert set(_health(sandbox)["state"].values()) == {0}  # no finding, event, graph or rule kept


def _health(sandbox):
    with urllib.request.urlopen(sandbox.endpoint + "/_sandbox/health", timeout=5) as resp:
        return json.loads(resp.read())


def test_seed_body_that_is_not_json_is_a_clear_400(sandbox):
    req = urllib.request.Request(sandbox.endpoint + "/_sandbox/seed", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    assert "not valid JSON" in json.loads(err.value.read())["message"]


def test_athena_query_results_are_forwarded_to_moto(sandbox):
    rows = [{"Data": [{"VarCharValue": "eventname"}]}, {"Data": [{"VarCharValue": "GetObject"}]}]
    sandbox.seed({"athena_query_results": [{"rows": rows, "column_info": [{"Name": "eventname", "Type": "varchar"}]}]})
    athena = sandbox.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT eventname FROM cloudtrail_logs", ResultConfiguration={"OutputLocation": "s3://out/"}
    )["QueryExecutionId"]
    result = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]
    assert result["Rows"] == rows


def test_everything_else_passes_through_to_moto(sandbox):
    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket="victim-bucket")
    s3.put_object(Bucket="victim-bucket", Key="exports/customers.csv", Body=b"id,name\n1,alice\n")
    assert s3.get_object(Bucket="victim-bucket", Key="exports/customers.csv")["Body"].read() == b"id,name\n1,alice\n"
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSDenyAll")["Policy"]["PolicyName"] == "AWSDenyAll"
    s3control = sandbox.client("s3control")
    s3control.put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True}
    )
    pab = s3control.get_public_access_block(AccountId=ACCOUNT_ID)["PublicAccessBlockConfiguration"]
    assert pab["BlockPublicAcls"] is True

"""detective_investigation against the sandbox's Detective: investigations, indicators, not enabled, timeouts."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

ATTACKER = "arn:aws:iam::123456789012:user/svc-legacy-backup"
GRAPH = "arn:aws:detective:us-east-1:123456789012:graph:0123456789abcdef0123456789abcdef"


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def window() -> dict[str, str]:
    now = datetime.now(timezone.utc)
    return {"start": _iso(now - timedelta(hours=24)), "end": _iso(now - timedelta(minutes=1))}


INDICATORS = [
    {
        "IndicatorType": "TTP_OBSERVED",
        "IndicatorDetail": {
            "TTPsObservedDetail": {
                "Tactic": "Exfiltration",
                "Technique": "Exfiltration Over Web Service",
                "IpAddress": "203.0.113.66",
                "APIName": "GetObject",
                "APISuccessCount": 64,
                "APIFailureCount": 0,
            }
        },
    },
    {
        "IndicatorType": "FLAGGED_IP_ADDRESS",
        "IndicatorDetail": {
            "FlaggedIpAddressDetail": {"IpAddress": "203.0.113.66", "Reason": "AWS_THREAT_INTELLIGENCE"}
        },
    },
    {
        "IndicatorType": "RELATED_FINDING",
        "IndicatorDetail": {
            "RelatedFindingDetail": {
                "Arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1",
                "Type": "Exfiltration:S3/MaliciousIPCaller",
                "IpAddress": "203.0.113.66",
            }
        },
    },
]


@pytest.fixture
def graph(sandbox) -> str:
    """A Detective graph whose investigations of the attacker find the indicators above."""
    sandbox.seed(
        {
            "detective": {
                "graphs": [{"arn": GRAPH}],
                "entities": [{"entity_arn": ATTACKER, "severity": "HIGH", "indicators": INDICATORS}],
            }
        }
    )
    return GRAPH


@pytest.fixture
def exfiltration(sandbox):
    return sandbox.scenario("public-exfiltration")["expected"]


def test_investigation_of_attacker_returns_normalised_indicators(run_module, exfiltration, window):
    failed, res = run_module("detective_investigation", {"principal_arn": ATTACKER, "poll_interval": 0.01, **window})
    assert not failed, res
    assert res["enabled"] is True
    assert res["changed"] is True and res["started"] is True
    assert res["graph_arn"] == exfiltration["detective_graph_arn"]
    inv = res["investigation"]
    assert inv["entity_arn"] == ATTACKER and inv["entity_type"] == "IAM_USER"
    assert inv["status"] == "SUCCESSFUL" and inv["state"] == "ACTIVE"
    assert inv["scope_start_time"] == window["start"]
    types = res["indicator_summary"]
    for kind in ("TTP_OBSERVED", "FLAGGED_IP_ADDRESS", "NEW_GEOLOCATION", "NEW_USER_AGENT"):
        assert types.get(kind, 0) >= 1, res["indicators"]
    related = sorted(i["finding_type"] for i in res["indicators"] if i["type"] == "RELATED_FINDING")
    assert related == exfiltration["finding_types"]
    flagged = [i for i in res["indicators"] if i["type"] == "FLAGGED_IP_ADDRESS"]
    assert flagged[0]["ip_address"] == exfiltration["attacker"]["source_ip"]
    assert all(k == k.lower() for i in res["indicators"] for k in i)


def test_second_run_reuses_the_active_investigation(run_module, graph, window):
    _, first = run_module("detective_investigation", {"principal_arn": ATTACKER, "poll_interval": 0.01, **window})
    failed, second = run_module("detective_investigation", {"principal_arn": ATTACKER, "poll_interval": 0.01, **window})
    assert not failed
    assert second["changed"] is False and second["started"] is False
    assert second["investigation"]["investigation_id"] == first["investigation"]["investigation_id"]


def test_check_mode_starts_nothing(run_module, sandbox, graph, window):
    failed, res = run_module("detective_investigation", {"principal_arn": ATTACKER, **window}, check_mode=True)
    assert not failed and res["changed"] is True
    det = sandbox.client("detective")
    assert det.list_investigations(GraphArn=res["graph_arn"])["InvestigationDetails"] == []


def test_assumed_role_session_is_investigated_as_its_role(run_module, graph, window):
    session = "arn:aws:sts::123456789012:assumed-role/app-ingest/acme-invoice-ingest"
    failed, res = run_module("detective_investigation", {"principal_arn": session, "poll_interval": 0.01, **window})
    assert not failed, res
    assert res["entity_arn"] == "arn:aws:iam::123456789012:role/app-ingest"
    assert res["investigation"]["entity_type"] == "IAM_ROLE"


def test_detective_not_enabled_is_reported_not_failed(run_module, window):
    failed, res = run_module("detective_investigation", {"principal_arn": ATTACKER, **window})
    assert not failed, res
    assert res["enabled"] is False and res["changed"] is False
    assert "not enabled" in res["msg"]
    assert res["indicators"] == []


def test_wait_that_times_out_returns_running_investigation(run_module, sandbox, window):
    sandbox.seed(
        {
            "detective": {
                "graphs": [{"arn": GRAPH}],
                "entities": [{"entity_arn": ATTACKER, "running_polls": 1000, "severity": "HIGH"}],
            }
        }
    )
    args = {"principal_arn": ATTACKER, "wait_timeout": 0, "poll_interval": 0.01, **window}
    failed, res = run_module("detective_investigation", args)
    assert not failed, res
    assert res["timed_out"] is True
    assert res["investigation"]["status"] == "RUNNING"
    assert res["indicators"] == []
    assert "still RUNNING" in res["msg"]


def test_list_state_returns_existing_investigations_filtered(run_module, graph, window):
    run_module("detective_investigation", {"principal_arn": ATTACKER, "poll_interval": 0.01, **window})
    failed, res = run_module("detective_investigation", {"mode": "list", "principal_arn": ATTACKER})
    assert not failed and res["changed"] is False
    assert [i["entity_arn"] for i in res["investigations"]] == [ATTACKER]
    _, other = run_module(
        "detective_investigation", {"mode": "list", "principal_arn": "arn:aws:iam::123456789012:role/app-reporting"}
    )
    assert other["investigations"] == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"principal_arn": "arn:aws:s3:::acme-customer-exports", "start": "2026-01-01T00:00:00Z"}, "principal_arn"),
        ({"principal_arn": ATTACKER, "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "before"),
        ({"principal_arn": ATTACKER, "start": "2999-01-01T00:00:00Z", "end": "2999-01-02T00:00:00Z"}, "future"),
        ({"principal_arn": ATTACKER, "start": "yesterday"}, "start"),
        ({"principal_arn": ATTACKER}, "start is required"),
    ],
)
def test_bad_input_fails_naming_it_before_any_call(run_module, args, needle):
    failed, res = run_module("detective_investigation", args)
    assert failed
    assert needle in res["msg"]


def test_indicator_details_are_flattened_to_snake_case(run_module, graph, window):
    _, res = run_module("detective_investigation", {"principal_arn": ATTACKER, "poll_interval": 0.01, **window})
    by_type = {i["type"]: i for i in res["indicators"]}
    assert by_type["TTP_OBSERVED"]["api_name"] == "GetObject"
    assert by_type["TTP_OBSERVED"]["api_success_count"] == 64
    assert by_type["FLAGGED_IP_ADDRESS"] == {
        "type": "FLAGGED_IP_ADDRESS",
        "ip_address": "203.0.113.66",
        "reason": "AWS_THREAT_INTELLIGENCE",
    }
    assert by_type["RELATED_FINDING"]["finding_type"] == "Exfiltration:S3/MaliciousIPCaller"
    assert res["investigation"]["severity"] == "HIGH"

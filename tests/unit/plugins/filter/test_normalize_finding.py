# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.filter.normalize_finding import FilterModule
from ansible_collections.cloudsec.s3.plugins.filter.normalize_finding import normalize_finding
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import FINDING_SCHEMA_KEYS

REPO = Path(__file__).resolve().parents[4]
_SHAPES_PATH = REPO / "tests" / "unit" / "fixtures" / "guardduty" / "shapes.py"


def _load_shapes():
    spec = importlib.util.spec_from_file_location("guardduty_fixture_shapes_filter", _SHAPES_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shapes = _load_shapes()


def without_raw(item):
    return {key: value for key, value in item.items() if key != "raw"}


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"normalize_finding": normalize_finding}


@pytest.mark.parametrize("name", shapes.WIRE_FINDING_FIXTURES)
def test_filter_gives_equal_output_for_boto3_and_wire_shapes(name):
    wire = shapes.load(name)
    from_wire = normalize_finding(wire)
    from_boto3 = normalize_finding(shapes.wire_to_boto3(wire))
    assert tuple(from_wire) == FINDING_SCHEMA_KEYS
    assert without_raw(from_wire) == without_raw(from_boto3)
    assert from_wire["id"] == wire["id"]


def test_filter_unwraps_an_eventbridge_event():
    event = shapes.load("eventbridge_guardduty_event.json")
    result = normalize_finding(event)
    assert result["id"] == event["detail"]["id"] and result["raw"] is event
    assert result["principal"]["session_name"] == "alice@example.com"


def test_filter_maps_a_list_to_a_list():
    items = [shapes.load(name) for name in shapes.WIRE_FINDING_FIXTURES]
    result = normalize_finding(items)
    assert [r["id"] for r in result] == [item["id"] for item in items]


def test_filter_reads_a_get_findings_response_as_its_list():
    wire = shapes.load("s3_exfiltration_malicious_ip.json")
    response = {"Findings": [shapes.wire_to_boto3(wire)], "ResponseMetadata": {"HTTPStatusCode": 200}}
    [result] = normalize_finding(response)
    assert result["buckets"][0]["name"] == "payroll-exports-prod"


def test_filter_parses_a_json_string():
    text = (shapes.FIXTURE_DIR / "s3_retired_objectread_assumed_role.json").read_text()
    result = normalize_finding(text)
    assert result["type_canonical"] == "Exfiltration:S3/AnomalousBehavior"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "the input is empty"),
        (42, "must be a mapping (dict), got int"),
        ("not json at all", "the input is a string but not JSON"),
        ({"foo": 1}, "neither an 'id' nor a 'type'"),
        ([{"Id": "abc"}, "x"], "item 1: a GuardDuty finding must be a mapping (dict), got str"),
        ([{"Id": "abc"}, {}], "item 1: not a GuardDuty finding"),
        ({"detail-type": "GuardDuty Finding", "detail": None}, "'detail' must be a mapping"),
    ],
)
def test_bad_input_raises_ansible_filter_error_with_a_clear_message(data, message):
    with pytest.raises(AnsibleFilterError) as caught:
        normalize_finding(data)
    text = str(caught.value)
    assert text.startswith("normalize_finding: ")
    assert message in text
    assert caught.value.__cause__ is None  # no chained traceback for expected errors


def test_ansible_doc_renders_the_filter_documentation(tmp_path):
    collections = REPO / ".tmp" / "collections"
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    run = subprocess.run(
        [str(ansible_doc), "-t", "filter", "--json", "cloudsec.s3.normalize_finding"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)["cloudsec.s3.normalize_finding"]
    assert doc["doc"]["name"] == "normalize_finding"
    contains = doc["return"]["_value"]["contains"]
    assert set(contains) == set(FINDING_SCHEMA_KEYS)

"""Event-Driven Ansible: GuardDuty finding -> EventBridge -> SQS -> the guardduty_s3 rulebook -> a playbook run.

The end-to-end test runs the real ansible-rulebook (Java) against the sandbox's EventBridge and SQS, with the
rulebook's action pointed at a recorder playbook that writes down the extra_vars it was given. The event source and
the event filter are also exercised directly (they are plain Python).
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.sandbox]

REPO = Path(__file__).resolve().parents[2]
EDA = REPO / "extensions" / "eda"
RULEBOOK = EDA / "rulebooks" / "guardduty_s3.yml"
INVENTORY = EDA / "inventory" / "localhost.yml"
SOURCE = EDA / "plugins" / "event_source" / "aws_sqs_queue.py"
FILTER = EDA / "plugins" / "event_filter" / "guardduty_finding.py"
QUEUE = "cloudsec-guardduty-findings"
ACCOUNT = "123456789012"

RECORDER = """\
- name: Record what the rulebook asked for
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the extra_vars of this run to a file of its own
      ansible.builtin.copy:
        dest: "{record_dir}/run-{{{{ 1000000000 | random }}}}.json"
        mode: "0600"
        content: >-
          {{{{ {{'bucket': bucket, 'finding_id': finding.id, 'finding_type': finding.type,
               'response_mode': response_mode, 'responder_principals': responder_principals,
               'output_dir': output_dir}} | to_json }}}}
"""


def gd_finding(
    bucket: str,
    *,
    severity: float = 8.0,
    finding_type: str = "Exfiltration:S3/AnomalousBehavior",
    sample: bool = False,
) -> dict[str, Any]:
    """A GuardDuty finding in the EventBridge ``detail`` (wire, camelCase) shape."""
    finding_id = uuid.uuid4().hex
    info = {"sample": True} if sample else {"unusual": {"hoursOfDay": [3]}}
    return {
        "schemaVersion": "2.0",
        "accountId": ACCOUNT,
        "region": "us-east-1",
        "partition": "aws",
        "id": finding_id,
        "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{finding_id}",
        "type": finding_type,
        "severity": severity,
        "title": ("[SAMPLE] " if sample else "") + f"Anomalous S3 access to {bucket}",
        "description": "Objects were read from an unusual location.",
        "createdAt": "2026-11-01T10:00:00.000Z",
        "updatedAt": "2026-11-01T10:05:00.000Z",
        "resource": {
            "resourceType": "S3Bucket",
            "accessKeyDetails": {
                "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "principalId": "AIDACKCEVSQ6C2EXAMPLE",
                "userName": "mallory",
                "userType": "IAMUser",
            },
            "s3BucketDetails": [
                {
                    "arn": f"arn:aws:s3:::{bucket}",
                    "name": bucket,
                    "type": "Destination",
                    "createdAt": 1761955200.0,
                    "publicAccess": {"effectivePermission": "PUBLIC"},
                }
            ],
        },
        "service": {
            "serviceName": "guardduty",
            "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
            "archived": False,
            "count": 3,
            "resourceRole": "TARGET",
            "eventFirstSeen": "2026-11-01T09:58:00.000Z",
            "eventLastSeen": "2026-11-01T10:04:00.000Z",
            "additionalInfo": {"value": json.dumps(info), "type": "default"},
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": "GetObject",
                    "serviceName": "s3.amazonaws.com",
                    "callerType": "Remote IP",
                    "remoteIpDetails": {"ipAddressV4": "198.51.100.7"},
                },
            },
        },
    }


def gd_entry(detail: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry as GuardDuty publishes it to EventBridge."""
    return {
        "Source": "aws.guardduty",
        "DetailType": "GuardDuty Finding",
        "Detail": json.dumps(detail),
        "Resources": [],
    }


def java_home() -> str | None:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    return str(Path(os.path.realpath(java)).parent.parent) if java else None


@pytest.fixture
def finding_queue(sandbox) -> dict[str, str]:
    """The AWS side: an SQS queue, and an EventBridge rule sending GuardDuty findings to it."""
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = sandbox.client("events")
    events.put_rule(
        Name="cloudsec-guardduty-findings",
        EventPattern=json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}),
    )
    events.put_targets(Rule="cloudsec-guardduty-findings", Targets=[{"Id": "cloudsec-eda", "Arn": arn}])
    return {"url": url, "arn": arn}


def _wait_for(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _queue_depth(sqs, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


@pytest.mark.slow
def test_rulebook_runs_respond_once_per_bucket_and_skips_samples_and_low_severity(
    sandbox, finding_queue, tools_env, tmp_path
):
    home = java_home()
    if not home or not Path(home, "bin", "java").exists():
        pytest.skip("Java (17+) is not installed: ansible-rulebook needs a JVM for its rule engine (drools)")
    rulebook_bin = shutil.which("ansible-rulebook", path=tools_env["PATH"])
    assert rulebook_bin, "ansible-rulebook is missing from the venv: run `make venv` (requirements-dev.txt)"

    record_dir = tmp_path / "runs"
    record_dir.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    recorder = project / "record.yml"
    recorder.write_text(RECORDER.format(record_dir=record_dir))
    variables = tmp_path / "vars.yml"
    variables.write_text(
        json.dumps(
            {
                "cloudsec_queue_name": QUEUE,
                "cloudsec_region": "us-east-1",
                "cloudsec_respond_playbook": str(recorder),
                "cloudsec_output_dir": str(tmp_path / "incidents"),
                "cloudsec_responder_principals": [f"arn:aws:iam::{ACCOUNT}:role/incident-responder"],
            }
        )
    )

    # Four findings: the same bucket twice (de-duplicated), a sample and a low-severity one (both ignored); a
    # fifth, for another bucket, comes last: once it has run, every earlier message has been through the rules.
    victim, last = "acme-customer-exports", "acme-payroll-archive"
    first = gd_finding(victim)
    again = gd_finding(victim, finding_type="Discovery:S3/MaliciousIPCaller", severity=8.0)
    sample = gd_finding("sample-bucket", sample=True, severity=8.0)
    low = gd_finding("acme-low-noise", severity=2.0, finding_type="Policy:S3/BucketBlockPublicAccessDisabled")
    sentinel = gd_finding(last, severity=9.0, finding_type="Impact:S3/AnomalousBehavior.Delete")
    events = sandbox.client("events")
    result = events.put_events(Entries=[gd_entry(f) for f in (first, sample, low, again, sentinel)])
    assert result["FailedEntryCount"] == 0

    env = dict(tools_env)
    env.update({k: v for k, v in sandbox.env.items() if k.startswith("AWS_")})
    env["JAVA_HOME"] = home
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".tmp" / "collections")
    log = (tmp_path / "rulebook.log").open("w")
    proc = subprocess.Popen(
        [rulebook_bin, "--rulebook", str(RULEBOOK), "-i", str(INVENTORY), "--vars", str(variables), "-v"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def runs() -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(record_dir.glob("run-*.json"))]

    try:
        finished = _wait_for(
            lambda: proc.poll() is not None or any(r["bucket"] == last for r in runs()),
            timeout=120,
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
    output = (tmp_path / "rulebook.log").read_text()
    assert finished and any(r["bucket"] == last for r in runs()), f"the rulebook never ran the playbook:\n{output}"

    recorded = runs()
    assert sorted(r["bucket"] for r in recorded) == sorted([victim, last]), output
    (victim_run,) = [r for r in recorded if r["bucket"] == victim]
    assert victim_run["finding_id"] == first["id"]  # the first finding ran; the repeat was throttled
    assert victim_run["response_mode"] == "investigate"  # the safe default
    assert victim_run["responder_principals"] == [f"arn:aws:iam::{ACCOUNT}:role/incident-responder"]
    assert victim_run["output_dir"] == str(tmp_path / "incidents")
    assert "Ignoring sample finding" in output
    # every message was deleted from the queue once handed to the rule engine
    assert _wait_for(lambda: _queue_depth(sandbox.client("sqs"), finding_queue["url"]) == 0, timeout=10)


# ----------------------------------------------------------------------------------------------------------------
# The event source and the event filter on their own
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def source_plugin() -> dict[str, Any]:
    return runpy.run_path(str(SOURCE))


@pytest.fixture
def filter_plugin() -> dict[str, Any]:
    return runpy.run_path(str(FILTER))


async def _collect(main, args: dict[str, Any], count: int, timeout: float = 20, until=None) -> list[dict]:
    """The first ``count`` events the source puts on its queue; the source's own error if it stops first.

    With ``until``, the source keeps running (up to ``timeout``) until that predicate holds.
    """
    queue: asyncio.Queue = asyncio.Queue()
    task = asyncio.ensure_future(main(queue, args))
    events: list[dict] = []
    try:
        while len(events) < count:
            getter = asyncio.ensure_future(queue.get())
            done, _pending = await asyncio.wait({getter, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                task.result() if task.done() else pytest.fail(f"no event within {timeout} s")
            events.append(getter.result())
        if until is not None:
            deadline = time.monotonic() + timeout
            while not await asyncio.to_thread(until) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return events


def _source_args(sandbox, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "region": "us-east-1",
        "endpoint_url": sandbox.endpoint,
        "access_key": "testing",
        "secret_key": "testing",
        "delay_seconds": 1,
    }


def test_sqs_source_delivers_json_and_text_bodies_then_deletes_them(sandbox, finding_queue, source_plugin):
    sqs = sandbox.client("sqs")
    sqs.send_message(QueueUrl=finding_queue["url"], MessageBody=json.dumps({"detail-type": "GuardDuty Finding"}))
    sqs.send_message(QueueUrl=finding_queue["url"], MessageBody="not json")
    drained = lambda: _queue_depth(sqs, finding_queue["url"]) == 0  # noqa: E731
    events = asyncio.run(_collect(source_plugin["main"], _source_args(sandbox, QUEUE), 2, until=drained))
    assert [e["body"] for e in events] == [{"detail-type": "GuardDuty Finding"}, "not json"]
    assert all(e["meta"]["MessageId"] for e in events)
    assert drained()  # deleted once handed over, not left to reappear after the visibility timeout


def test_sqs_source_names_a_missing_queue(sandbox, source_plugin):
    with pytest.raises(ValueError, match="SQS queue 'no-such-queue' does not exist"):
        asyncio.run(source_plugin["main"](asyncio.Queue(), _source_args(sandbox, "no-such-queue")))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "'name' argument"),
        ({"name": "q", "delay_seconds": 30}, "'delay_seconds' must be from 0 to 20"),
        ({"name": "q", "max_number_of_messages": "many"}, "'max_number_of_messages' must be an integer"),
    ],
)
def test_sqs_source_rejects_bad_arguments_naming_them(source_plugin, args, message):
    with pytest.raises(ValueError, match=message):
        source_plugin["parse_args"](args)


def test_filter_flattens_an_eventbridge_guardduty_event(filter_plugin):
    detail = gd_finding("acme-customer-exports")
    event = filter_plugin["main"](
        {"body": {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": detail}}
    )
    assert event["guardduty"] == {
        "finding_id": detail["id"],
        "type": "Exfiltration:S3/AnomalousBehavior",
        "severity": 8.0,
        "title": "Anomalous S3 access to acme-customer-exports",
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "bucket": "acme-customer-exports",
        "buckets": ["acme-customer-exports"],
        "s3_related": True,
        "sample": False,
        "archived": False,
    }


def test_filter_recognises_samples_in_boto3_shape_and_by_title(filter_plugin):
    boto3_shape = {
        "Id": "f1",
        "Type": "Impact:S3/MaliciousIPCaller",
        "Severity": 8,
        "Title": "Malicious IP caller",
        "Resource": {"ResourceType": "S3Bucket", "S3BucketDetails": [{"Name": "b1"}]},
        "Service": {"AdditionalInfo": {"Value": '{"sample": true}', "Type": "default"}, "Archived": False},
    }
    flat = filter_plugin["main"]({"body": boto3_shape})["guardduty"]
    assert (flat["sample"], flat["bucket"], flat["severity"]) == (True, "b1", 8.0)
    titled = gd_finding("b2")
    titled["title"] = "[SAMPLE] Anomalous access"
    assert filter_plugin["main"]({"body": titled})["guardduty"]["sample"] is True


def test_filter_names_the_bucket_of_a_management_event_finding(filter_plugin):
    detail = gd_finding("unused")
    detail["type"] = "Policy:S3/BucketBlockPublicAccessDisabled"
    detail["resource"] = {"resourceType": "AccessKey", "accessKeyDetails": {"userName": "mallory"}}
    detail["service"]["action"]["awsApiCallAction"]["affectedResources"] = {"AWS::S3::Bucket": "acme-logs"}
    flat = filter_plugin["main"]({"body": {"detail-type": "GuardDuty Finding", "detail": detail}})["guardduty"]
    assert (flat["bucket"], flat["s3_related"]) == ("acme-logs", True)


def test_filter_leaves_other_events_alone(filter_plugin):
    ec2_state = {"body": {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}}
    assert "guardduty" not in filter_plugin["main"](dict(ec2_state))
    assert filter_plugin["main"]({"body": "plain text"}) == {"body": "plain text"}
    ec2_finding = gd_finding("x")
    ec2_finding.update(type="Recon:EC2/PortProbeUnprotectedPort", resource={"resourceType": "Instance"})
    flat = filter_plugin["main"]({"body": {"detail-type": "GuardDuty Finding", "detail": ec2_finding}})["guardduty"]
    assert (flat["s3_related"], flat["bucket"]) == (False, "")

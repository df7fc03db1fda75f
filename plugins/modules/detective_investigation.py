#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: detective_investigation
short_description: Run an Amazon Detective investigation of an IAM principal, or list investigations
version_added: 0.1.0
description:
  - With O(mode=investigate), finds the Region's Detective behavior graph, starts an investigation of the principal over
    the time window (or reuses an active one of the same principal and window), waits for it up to O(wait_timeout)
    seconds, and returns its status, severity, state and indicators (TTP observed, impossible travel, flagged IP, new
    geolocation, new ASO, new user agent, related findings ...) normalised to snake_case.
  - Detective investigates IAM users and roles. An assumed-role session ARN (C(arn:aws:sts::ACCOUNT:assumed-role/ROLE/
    SESSION)) is investigated as its role.
  - With O(mode=list), returns the graph's existing investigations (optionally of one principal) and changes nothing.
  - When Detective is not enabled in the Region (no behavior graph, or the credentials are not its administrator's)
    the module says so in RV(msg), returns RV(enabled=false) and does not fail.
  - A wait that times out is not a failure either - the investigation's C(status) stays C(RUNNING) and
    RV(timed_out) is true.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  mode:
    description: V(investigate) starts (or reuses) an investigation; V(list) lists existing ones and changes nothing.
    type: str
    choices: [investigate, list]
    default: investigate
  principal_arn:
    description:
      - ARN of the IAM user, IAM role or assumed-role session to investigate. Required with O(mode=investigate); with
        O(mode=list) it filters the list.
    type: str
  start:
    description: Start of the scope, ISO 8601 with a time zone. Required with O(mode=investigate).
    type: str
  end:
    description: End of the scope, ISO 8601 with a time zone. Defaults to now.
    type: str
  graph_arn:
    description: Behavior graph to use. Defaults to the Region's graph (C(ListGraphs)).
    type: str
  reuse_existing:
    description: Reuse an ACTIVE investigation of the same entity and scope instead of starting another.
    type: bool
    default: true
  wait:
    description: Wait for the investigation to finish.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before returning a still-running investigation.
    type: int
    default: 300
  poll_interval:
    description: Seconds between two C(GetInvestigation) calls while waiting.
    type: float
    default: 5
  severity:
    description: With O(mode=list), only investigations of this severity.
    type: str
    choices: [INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL]
  status:
    description: With O(mode=list), only investigations in this status.
    type: str
    choices: [RUNNING, FAILED, SUCCESSFUL]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - IAM actions - C(detective:ListGraphs), C(detective:StartInvestigation), C(detective:GetInvestigation),
    C(detective:ListInvestigations), C(detective:ListIndicators). Only the graph's administrator account can list it.
  - Starting an investigation creates a record in Detective, so O(mode=investigate) reports C(changed) when it
    starts one; in check mode nothing is started.
"""

EXAMPLES = r"""
- name: Investigate the principal that used the leaked key over the last day
  cloudsec.s3.detective_investigation:
    principal_arn: arn:aws:iam::123456789012:user/svc-legacy-backup
    start: "2026-11-01T00:00:00Z"
    end: "2026-11-02T00:00:00Z"
    wait_timeout: 600
  register: detective

- name: Say when Detective is not there
  ansible.builtin.debug:
    msg: "{{ detective.msg }}"
  when: not detective.enabled

- name: List the high-severity investigations of the graph
  cloudsec.s3.detective_investigation:
    mode: list
    severity: HIGH
"""

RETURN = r"""
enabled:
  description: Whether Detective could be used (a behavior graph exists and can be read).
  returned: always
  type: bool
  sample: true
msg:
  description: What happened, in words (not enabled, reused, started, timed out).
  returned: always
  type: str
  sample: Investigation 000000000000000000001 of arn:aws:iam::123456789012:user/svc-legacy-backup is SUCCESSFUL
graph_arn:
  description: The behavior graph used.
  returned: when enabled
  type: str
  sample: arn:aws:detective:us-east-1:123456789012:graph:0123456789abcdef0123456789abcdef
entity_arn:
  description: The IAM user or role ARN investigated (a session ARN becomes its role).
  returned: with mode=investigate
  type: str
  sample: arn:aws:iam::123456789012:role/app-ingest
investigation:
  description: The investigation, normalised; C(status) RUNNING, FAILED or SUCCESSFUL; C(severity) INFORMATIONAL, LOW,
    MEDIUM, HIGH or CRITICAL; C(state) ACTIVE or ARCHIVED.
  returned: with mode=investigate when enabled and not in check mode
  type: dict
  sample: {"investigation_id": "000000000000000000001", "entity_arn": "arn:aws:iam::123456789012:user/svc-legacy",
           "entity_type": "IAM_USER", "status": "SUCCESSFUL", "severity": "CRITICAL", "state": "ACTIVE",
           "created_time": "2026-11-02T00:01:00Z", "scope_start_time": "2026-11-01T00:00:00Z",
           "scope_end_time": "2026-11-02T00:00:00Z", "graph_arn": "arn:aws:detective:..."}
started:
  description: Whether this run started the investigation (false when an existing one was reused).
  returned: with mode=investigate
  type: bool
  sample: true
timed_out:
  description: Whether the wait ended before the investigation did.
  returned: with mode=investigate
  type: bool
  sample: false
polls:
  description: How many times C(GetInvestigation) was called.
  returned: with mode=investigate
  type: int
  sample: 3
indicators:
  description: Indicators of a finished investigation - C(type) then the detail's fields in snake_case.
  returned: with mode=investigate
  type: list
  elements: dict
  sample: [{"type": "FLAGGED_IP_ADDRESS", "ip_address": "203.0.113.66", "reason": "AWS_THREAT_INTELLIGENCE"},
           {"type": "TTP_OBSERVED", "tactic": "Exfiltration", "technique": "...", "api_name": "GetObject",
            "ip_address": "203.0.113.66", "api_success_count": 64, "api_failure_count": 0}]
indicator_summary:
  description: Number of indicators per type.
  returned: with mode=investigate
  type: dict
  sample: {"FLAGGED_IP_ADDRESS": 1, "RELATED_FINDING": 3}
investigations:
  description: Existing investigations (mode=list).
  returned: with mode=list when enabled
  type: list
  elements: dict
  sample: [{"investigation_id": "000000000000000000001", "entity_arn": "arn:aws:iam::123456789012:user/svc",
            "status": "SUCCESSFUL", "severity": "HIGH", "state": "ACTIVE", "created_time": "2026-11-02T00:01:00Z"}]
"""

from datetime import datetime
from datetime import timezone

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils import detective
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import parse_aware_time


def _time(value: str, option: str) -> datetime:
    return parse_aware_time(value, option).replace(microsecond=0)


def _validate(params: dict, now: datetime) -> tuple[datetime | None, datetime | None, str | None]:
    entity = None
    if params["principal_arn"]:
        entity = detective.entity_arn_for(params["principal_arn"])
    if params["mode"] == "list":
        return None, None, entity
    if not params["principal_arn"]:
        raise ValueError("principal_arn is required with mode=investigate")
    if not params["start"]:
        raise ValueError("start is required with mode=investigate")
    start = _time(params["start"], "start")
    end = _time(params["end"], "end") if params["end"] else now.replace(microsecond=0)
    if end < start:
        raise ValueError(f"Window end {end:%Y-%m-%dT%H:%M:%SZ} is before window start {start:%Y-%m-%dT%H:%M:%SZ}")
    if end == start:
        raise ValueError(f"Window end equals window start ({start:%Y-%m-%dT%H:%M:%SZ}); give a window that lasts")
    if start > now:
        raise ValueError(f"Window start {start:%Y-%m-%dT%H:%M:%SZ} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ})")
    if params["wait_timeout"] < 0 or params["poll_interval"] <= 0:
        raise ValueError("wait_timeout must not be negative and poll_interval must be positive")
    return start, min(end, now.replace(microsecond=0)), entity


def main() -> None:
    argument_spec = dict(
        mode=dict(type="str", choices=["investigate", "list"], default="investigate"),
        principal_arn=dict(type="str"),
        start=dict(type="str"),
        end=dict(type="str"),
        graph_arn=dict(type="str"),
        reuse_existing=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="float", default=5),
        severity=dict(type="str", choices=["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]),
        status=dict(type="str", choices=["RUNNING", "FAILED", "SUCCESSFUL"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    now = datetime.now(timezone.utc)
    try:
        start, end, entity = _validate(params, now)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    det = client(module, "detective")
    try:
        graph = params["graph_arn"] or detective.find_graph(det, module.region)
    except detective.NotEnabled as exc:
        result = {"changed": False, "enabled": False, "msg": str(exc)}
        if params["mode"] == "list":
            result["investigations"] = []
        else:
            result.update(entity_arn=entity, started=False, timed_out=False, polls=0, indicators=[])
            result["indicator_summary"] = {}
        module.exit_json(**result)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to find the Detective behavior graph (detective:ListGraphs)")

    if params["mode"] == "list":
        try:
            items = detective.list_investigations(
                det, graph, entity, {"Severity": params["severity"], "Status": params["status"]}
            )
        except botocore_errors() as exc:
            module.fail_json_aws(exc, msg=f"Failed to list the investigations of graph {graph}")
        module.exit_json(
            changed=False,
            enabled=True,
            graph_arn=graph,
            investigations=items,
            msg=f"{len(items)} investigations in {graph}",
        )

    try:
        if module.check_mode:
            existing = [
                i
                for i in detective.list_investigations(det, graph, entity)
                if i["state"] == "ACTIVE" and i["status"] != "FAILED"
            ]
            module.exit_json(
                changed=not (params["reuse_existing"] and existing),
                enabled=True,
                graph_arn=graph,
                entity_arn=entity,
                started=False,
                timed_out=False,
                polls=0,
                indicators=[],
                indicator_summary={},
                msg=f"Would start an investigation of {entity} (check mode)",
            )
        inv_id, started = detective.start_or_reuse(det, graph, entity, start, end, reuse=params["reuse_existing"])
        if params["wait"]:
            inv, timed_out, polls = detective.wait_for(
                det, graph, inv_id, params["wait_timeout"], params["poll_interval"]
            )
        else:
            inv, timed_out, polls = detective.get(det, graph, inv_id), False, 1
        found = detective.indicators(det, graph, inv_id) if inv["status"] == "SUCCESSFUL" else []
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to run the Detective investigation of {entity} in graph {graph}")

    verb = "Started" if started else "Reused"
    if timed_out:
        msg = f"{verb} investigation {inv_id} of {entity}; still RUNNING after {params['wait_timeout']} s"
    else:
        msg = f"{verb} investigation {inv_id} of {entity}: {inv['status']}, severity {inv['severity']}"
    module.exit_json(
        changed=started,
        enabled=True,
        graph_arn=graph,
        entity_arn=entity,
        investigation=inv,
        started=started,
        timed_out=timed_out,
        polls=polls,
        indicators=found,
        indicator_summary=detective.indicator_summary(found),
        msg=msg,
    )


if __name__ == "__main__":
    main()

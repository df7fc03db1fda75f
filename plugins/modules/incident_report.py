#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: incident_report
short_description: Write the incident report of an S3 response (Markdown, self-contained HTML and JSON)
version_added: 0.1.0
description:
  - Builds the incident report from the results of the response steps (triage, investigate, authorization, evidence,
    contain, harden) and writes C(report.md), C(report.html) and C(report.json) next to the evidence, under
    C(<location>/<incident_id>/<bucket>/), in a local directory on the controller or under C(s3://bucket/prefix).
  - Every step result is optional and may be partial; the report says which steps ran.
  - C(report.md) and C(report.html) are for people - summary (bucket, severity, verdict, mode, what was done),
    findings, actors, a timeline chart of events per minute by actor with the changes to policy, ACL and Block Public
    Access marked, authorization verdicts with the statements to fix, containment and hardening actions each with its
    undo command, and the evidence manifest. The HTML page has no external assets (inline CSS and SVG, a
    Content-Security-Policy that forbids scripts) and escapes every value, since finding titles, user agents and
    object keys are attacker-controlled.
  - C(report.json) is for SIEM ingestion; it has C(bucket), C(incident_id), C(verdict), C(suspected_principals) (each
    with C(arn)), C(actions_taken), C(generated_at), C(mode), C(findings) and C(timeline_summary) among others.
  - The verdict is V(compromised) when a current High or Critical GuardDuty finding names the bucket, or a suspected
    principal was allowed calls nobody expected, made calls judged unauthorized that still succeeded, or changed the
    bucket's configuration; V(suspicious) when a lower-severity finding names the bucket or an actor is suspected;
    V(no_evidence) when findings or CloudTrail were read and show none of that; V(inconclusive) when neither triage
    nor investigation results were given.
  - A suspected principal whose allowed calls have the authorization verdict V(allowed_intent_unknown) (no expected
    access declared) does not by itself make the bucket V(compromised); the verdict reasons name it and those calls,
    and the authorization section of the report says how to declare the expected access.
  - B(Check mode) - the report is the output of a read-only run, so it is written in check mode too (it changes
    nothing in the account except the report objects in an S3 location). Pass O(check_mode_run=true) when the step
    results come from a check-mode run (the role does this with C(ansible_check_mode) and runs this task with
    C(check_mode=false)); the report then says that the actions listed were planned, not taken.
  - Idempotent - when C(report.json) at the destination already holds the same conclusions (the same content digest,
    which ignores the time of writing), nothing is written and the task is not changed.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  location:
    description:
      - Where to write, a local directory on the controller or C(s3://bucket/prefix); normally the evidence location,
        so the report sits next to the evidence snapshots.
    type: str
    required: true
    aliases: [output_dir]
  incident_id:
    description:
      - The incident id (letters, digits, C(.), C(_), C(-)). When omitted, the one in O(evidence) or O(contain) is used.
    type: str
  bucket:
    description: The bucket the report is about. When omitted, the one named by the step results is used.
    type: str
  mode:
    description:
      - The response mode the report describes. When omitted it is V(full) if O(harden) is given, V(contain) if
        O(contain) is, else V(investigate).
    type: str
    choices: [investigate, contain, full]
  check_mode_run:
    description: Whether the step results come from a check-mode (read-only) run.
    type: bool
    default: false
  triage:
    description: The C(triage_result) of the triage role.
    type: dict
    default: {}
  investigate:
    description: The C(investigate_result) of the investigate role.
    type: dict
    default: {}
  authorization:
    description: The C(authorization_result) of the authorization role.
    type: dict
    default: {}
  evidence:
    description: The C(evidence_result) of the evidence role (or a M(cloudsec.s3.s3_bucket_evidence) result).
    type: dict
    default: {}
  contain:
    description: The C(contain_result) of the contain role.
    type: dict
    default: {}
  harden:
    description: The C(harden_result) of the harden role (or a M(cloudsec.s3.s3_bucket_baseline) result).
    type: dict
    default: {}
  generated_at:
    description: The report time (ISO-8601); default now. For reproducible reports.
    type: str
  failure:
    description:
      - When the response stopped early, the failed task and its error (C(task), C(message)). The report then says
        where it stopped and lists the steps done and the steps of O(mode) that are left.
    type: dict
notes:
  - A local location needs nothing from AWS. An S3 location needs C(s3:ListBucket) (to see whether a report is
    there), C(s3:GetObject) and C(s3:PutObject) on the prefix.
  - The report files are replaced when the conclusions change; the evidence snapshots beside them are never changed.
extends_documentation_fragment:
  - cloudsec.s3.report_formats
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Write the incident report next to the evidence
  cloudsec.s3.incident_report:
    location: s3://acme-ir-evidence/cases
    incident_id: INC-2026-0042
    mode: full
    check_mode_run: "{{ ansible_check_mode }}"
    triage: "{{ triage_result | default({}) }}"
    investigate: "{{ investigate_result | default({}) }}"
    authorization: "{{ authorization_result | default({}) }}"
    evidence: "{{ evidence_result | default({}) }}"
    contain: "{{ contain_result | default({}) }}"
    harden: "{{ harden_result | default({}) }}"
  check_mode: false  # the report is the output of a read-only run too
  register: report

- name: Show where it is
  ansible.builtin.debug:
    msg: "{{ report.summary_lines }}"

- name: Only the JSON, for the SIEM, in a local directory
  cloudsec.s3.incident_report:
    location: /var/lib/cloudsec/cases
    incident_id: INC-2026-0042
    bucket: acme-customer-exports
    triage: "{{ triage_result }}"
    formats: [json]
"""

RETURN = r"""
incident_id:
  description: The incident id.
  returned: always
  type: str
  sample: INC-2026-0042
bucket:
  description: The bucket the report is about (empty when no step result names one).
  returned: always
  type: str
  sample: acme-customer-exports
verdict:
  description: V(compromised), V(suspicious), V(no_evidence) or V(inconclusive).
  returned: always
  type: str
  sample: compromised
verdict_reasons:
  description: Why, one sentence per piece of evidence.
  returned: always
  type: list
  elements: str
  sample: ["High 8 GuardDuty finding Exfiltration:S3/MaliciousIPCaller names the bucket"]
severity_label:
  description: The highest severity of a finding on the bucket (V(null) without findings).
  returned: always
  type: str
  sample: High
suspected_principals:
  description: ARNs (or labels such as V(ANONYMOUS_PRINCIPAL)) of the suspected actors.
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:iam::123456789012:user/svc-legacy-backup", "ANONYMOUS_PRINCIPAL"]
summary_lines:
  description: Five lines for the end of the play (verdict, why, suspected, what was done, report path).
  returned: always
  type: list
  elements: str
  sample: ["Incident INC-2026-0042: bucket acme-customer-exports is COMPROMISED (severity High, mode full)"]
directory:
  description: The folder (local path or s3 URL) the report files are in.
  returned: always
  type: str
  sample: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports
paths:
  description: Full path or URL of each file written (or already there), by format.
  returned: always
  type: dict
  sample:
    json: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports/report.json
    markdown: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports/report.md
    html: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports/report.html
content_digest:
  description: SHA-256 over the report without its time of writing; equal digests mean equal conclusions.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
check_mode_run:
  description: Whether the report describes a check-mode (read-only) run.
  returned: always
  type: bool
  sample: false
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import S3Location
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import open_location
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.report import build_report
from ansible_collections.cloudsec.s3.plugins.module_utils.report import content_digest
from ansible_collections.cloudsec.s3.plugins.module_utils.report import formats_argument_spec
from ansible_collections.cloudsec.s3.plugins.module_utils.report import parse_time
from ansible_collections.cloudsec.s3.plugins.module_utils.report import render_html
from ansible_collections.cloudsec.s3.plugins.module_utils.report import render_json
from ansible_collections.cloudsec.s3.plugins.module_utils.report import render_markdown
from ansible_collections.cloudsec.s3.plugins.module_utils.report import requested_formats
from ansible_collections.cloudsec.s3.plugins.module_utils.report import summary_lines
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

FILES = {"json": "report.json", "markdown": "report.md", "html": "report.html"}
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _existing_digest(location, folder: str, formats: list[str]) -> str | None:
    """The content digest of the report already at the destination, when every requested file is there."""
    present = set(location.list_files(folder))
    if any(FILES[f] not in present for f in formats) or FILES["json"] not in present:
        return None
    data = location.read(f"{folder}/{FILES['json']}")
    if data is None:
        return None
    try:
        previous = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return content_digest(previous) if isinstance(previous, dict) else None


def _write(location, key: str, data: bytes, fmt: str) -> None:
    if isinstance(location, S3Location):
        full_key = f"{location.prefix}/{key}" if location.prefix else key
        try:
            location.s3.put_object(
                aws_retry=True,
                Bucket=location.bucket,
                Key=full_key,
                Body=data,
                ContentType=CONTENT_TYPES[fmt],
                ChecksumAlgorithm="SHA256",
            )
        except botocore_errors() as exc:
            raise CloudsecError(f"Cannot write {location.url_of(key)}: {describe_client_error(exc)}") from exc
        return
    location.write(key, data, exclusive=False)


def main() -> None:
    step = dict(type="dict", default={})
    argument_spec = dict(
        location=dict(type="str", required=True, aliases=["output_dir"]),
        incident_id=dict(type="str"),
        bucket=dict(type="str"),
        mode=dict(type="str", choices=["investigate", "contain", "full"]),
        check_mode_run=dict(type="bool", default=False),
        triage=step,
        investigate=dict(step),
        authorization=dict(step),
        evidence=dict(step),
        contain=dict(step),
        harden=dict(step),
        formats=formats_argument_spec(),
        generated_at=dict(type="str"),
        failure=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    evidence = p["evidence"] or {}
    contain = p["contain"] or {}
    incident_id = p["incident_id"] or evidence.get("incident_id") or contain.get("incident_id") or ""
    try:
        if not incident_id:
            raise ValueError("No incident_id: set incident_id, or pass an evidence or contain result that names one")
        incident_id = validate_incident_id(str(incident_id))
        if p["bucket"]:
            validate_bucket_name(p["bucket"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if p["generated_at"] and parse_time(p["generated_at"]) is None:
        module.fail_json(msg=f"Invalid generated_at {p['generated_at']!r}: expected an ISO-8601 time")
    try:
        formats = requested_formats(p["formats"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    report = build_report(
        bucket=p["bucket"] or "",
        incident_id=incident_id,
        mode=p["mode"] or "",
        check_mode=p["check_mode_run"] or module.check_mode,
        triage=p["triage"],
        investigate=p["investigate"],
        authorization=p["authorization"],
        evidence=evidence,
        contain=contain,
        harden=p["harden"],
        generated_at=p["generated_at"],
        failure=p["failure"],
    )
    bucket = report["bucket"] or ""
    folder = f"{incident_id}/{bucket}" if bucket else incident_id
    try:
        if bucket:
            validate_bucket_name(bucket)
        s3 = client(module, "s3") if p["location"].startswith("s3://") else None
        location = open_location(p["location"], s3)
        location.check_writable(create=True)
        paths = {fmt: location.url_of(f"{folder}/{FILES[fmt]}") for fmt in formats}
        report["paths"] = paths
        lines = summary_lines(report, paths.get("html") or paths.get("markdown") or paths.get("json") or "")
        changed = _existing_digest(location, folder, formats) != report["content_digest"]
        if changed:
            renderers = {"json": render_json, "markdown": render_markdown, "html": render_html}
            # JSON last: its digest is what a later run compares, so it only lands once the others are written
            for fmt in sorted(formats, key=lambda f: f == "json"):
                _write(location, f"{folder}/{FILES[fmt]}", renderers[fmt](report).encode("utf-8"), fmt)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)

    directory = location.url_of(folder)
    module.exit_json(
        changed=changed,
        incident_id=incident_id,
        bucket=bucket,
        verdict=report["verdict"],
        verdict_reasons=report["verdict_reasons"],
        severity_label=report["severity_label"],
        suspected_principals=[a["arn"] for a in report["suspected_principals"]],
        summary_lines=lines,
        directory=directory,
        paths=paths,
        content_digest=report["content_digest"],
        check_mode_run=report["check_mode"],
    )


if __name__ == "__main__":
    main()

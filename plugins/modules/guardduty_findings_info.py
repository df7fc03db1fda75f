#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guardduty_findings_info
short_description: List GuardDuty findings for S3 buckets, normalised to one schema
version_added: 0.1.0
description:
  - Finds the region's GuardDuty detector itself (or uses O(detector_id)), lists finding ids with server-side
    FindingCriteria (paginated, most severe first), fetches the findings 50 ids per C(GetFindings) call and returns
    each one normalised to the schema of the P(cloudsec.s3.normalize_finding#filter) filter, with the original in
    C(raw).
  - Also returns the distinct affected buckets (ranked by highest severity, then latest activity), the principals
    (access keys, users, roles) and the remote IP addresses the findings name.
  - Archived findings and sample findings (C([SAMPLE]), created by C(CreateSampleFindings)) are left out unless asked
    for.
  - When GuardDuty is not enabled in the region (no detector), the module says so in its C(msg) and a warning,
    returns RV(guardduty_enabled=false) and no findings; with O(require_detector=true) it fails instead.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  detector_id:
    description:
      - The detector to read. By default the region's detector is found with C(ListDetectors).
    type: str
  bucket:
    description:
      - Only findings whose resource names one of these buckets (C(resource.s3BucketDetails.name)).
      - Names are validated before any API call.
    type: list
    elements: str
    aliases: [buckets]
  finding_ids:
    description:
      - Only these findings.
    type: list
    elements: str
  types:
    description:
      - Only these finding types. Shell-style wildcards are allowed, for example V(Exfiltration:S3/*) or V(*:S3/*).
      - A current type also matches findings recorded under its retired name (for example
        V(Exfiltration:S3/AnomalousBehavior) matches V(Exfiltration:S3/ObjectRead.Unusual)).
    type: list
    elements: str
  min_severity:
    description:
      - Lowest severity to return, as a number from 1 to 10 or a label (V(Low), V(Medium), V(High), V(Critical)).
    type: str
  updated_since:
    description:
      - Only findings updated at or after this time. An ISO-8601 time, epoch seconds or milliseconds, or an age such
        as V(7d), V(12h) or V(30m).
    type: str
  include_archived:
    description:
      - Also return archived findings.
    type: bool
    default: false
  include_samples:
    description:
      - Also return sample findings.
    type: bool
    default: false
  max_findings:
    description:
      - Return at most this many findings (the most severe first). RV(truncated) says when more matched.
    type: int
    default: 500
  require_detector:
    description:
      - Fail when GuardDuty has no detector in the region, instead of returning no findings with a warning.
    type: bool
    default: false
notes:
  - Read-only. IAM actions C(guardduty:ListDetectors), C(guardduty:GetDetector) (with O(detector_id)),
    C(guardduty:ListFindings), C(guardduty:GetFindings).
  - GuardDuty keeps findings for 90 days.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Current findings on the bucket under investigation
  cloudsec.s3.guardduty_findings_info:
    bucket: acme-customer-exports
  register: gd

- name: Print them, most severe first
  ansible.builtin.debug:
    msg: "{{ item.severity_label }} {{ item.type }} ({{ item.principal.access_key_id | default('no key') }})"
  loop: "{{ gd.findings }}"
  loop_control:
    label: "{{ item.id }}"

- name: Every high or critical S3 exfiltration finding of the last week, all buckets
  cloudsec.s3.guardduty_findings_info:
    types: ["Exfiltration:S3/*"]
    min_severity: High
    updated_since: 7d
  register: exfiltration

- name: One finding by id, even if archived
  cloudsec.s3.guardduty_findings_info:
    finding_ids: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
    include_archived: true
"""

RETURN = r"""
guardduty_enabled:
  description: Whether a detector was found (GuardDuty is on in the region).
  returned: always
  type: bool
  sample: true
detector_ids:
  description: The detector(s) read.
  returned: always
  type: list
  elements: str
  sample: [12abc34d567e8fa901bc2d34e56789f0]
findings:
  description:
    - The matching findings, most severe first, normalised (see the P(cloudsec.s3.normalize_finding#filter) filter
      for every key). The finding as GuardDuty returned it is in C(raw).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e
      type: "Exfiltration:S3/MaliciousIPCaller"
      severity: 8.0
      severity_label: High
      title: "S3 API GetObject was invoked from a known malicious IP address."
      account_id: "123456789012"
      region: us-east-1
      first_seen: "2026-11-29T16:02:11Z"
      last_seen: "2026-11-29T17:40:03Z"
      count: 412
      archived: false
      sample: false
      s3_related: true
      buckets: [{name: acme-customer-exports, effective_permission: PUBLIC}]
      principal: {user_type: IAMUser, user_name: svc-legacy-backup, access_key_id: AKIAEXAMPLE}
      api_calls: [{api: GetObject, service: s3.amazonaws.com, caller_type: Remote IP, error_code: null}]
      remote_ips: [{ip: 203.0.113.66, country: Example, asn: "64496", org: EXAMPLE-AS}]
buckets:
  description: Distinct affected buckets, highest severity first, then latest activity.
  returned: always
  type: list
  elements: dict
  sample:
    - name: acme-customer-exports
      max_severity: 8.0
      max_severity_label: High
      first_seen: "2026-11-29T15:55:00Z"
      last_seen: "2026-11-29T17:40:03Z"
      public: true
      finding_ids: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
      finding_types: ["Exfiltration:S3/MaliciousIPCaller"]
principals:
  description: Distinct principals (one per access key, else per principal id or user name) named by the findings.
  returned: always
  type: list
  elements: dict
  sample:
    - access_key_id: AKIAEXAMPLE
      user_name: svc-legacy-backup
      user_type: IAMUser
      arn: "arn:aws:iam::123456789012:user/svc-legacy-backup"
      finding_ids: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
      buckets: [acme-customer-exports]
remote_ips:
  description: Distinct remote IP addresses with their location and network owner, and the APIs they called.
  returned: always
  type: list
  elements: dict
  sample: [{ip: 203.0.113.66, country: Example, asn: "64496", apis: [GetObject], finding_ids: [4cc8b6f1a7e2]}]
matched:
  description: How many findings matched before O(max_findings) was applied.
  returned: always
  type: int
  sample: 3
truncated:
  description: Whether more findings matched than were returned.
  returned: always
  type: bool
  sample: false
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import build_finding_criteria
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import normalize_findings
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import summarise
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import to_json_safe
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import get_findings
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import list_finding_ids
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import resolve_detectors


def _rank_key(finding: dict) -> tuple:
    return (-(finding.get("severity") or 0.0), _negated(finding.get("last_seen") or finding.get("updated_at") or ""))


def _negated(text: str) -> tuple:
    return tuple(-ord(ch) for ch in text)


def main() -> None:
    argument_spec = dict(
        detector_id=dict(type="str"),
        bucket=dict(type="list", elements="str", aliases=["buckets"]),
        finding_ids=dict(type="list", elements="str"),
        types=dict(type="list", elements="str"),
        min_severity=dict(type="str"),
        updated_since=dict(type="str"),
        include_archived=dict(type="bool", default=False),
        include_samples=dict(type="bool", default=False),
        max_findings=dict(type="int", default=500),
        require_detector=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if p["max_findings"] < 1:
        module.fail_json(msg=f"max_findings must be at least 1, got {p['max_findings']}")
    min_severity = p["min_severity"]
    if min_severity is not None:
        try:
            min_severity = float(min_severity)
        except ValueError:
            pass  # a label such as "High"; build_finding_criteria validates it
    try:
        query = build_finding_criteria(
            buckets=p["bucket"],
            finding_ids=p["finding_ids"],
            types=p["types"],
            min_severity=min_severity,
            updated_since=p["updated_since"],
            include_archived=p["include_archived"],
            include_samples=p["include_samples"],
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    gd = client(module, "guardduty")
    result: dict = {
        "changed": False,
        "guardduty_enabled": False,
        "detector_ids": [],
        "findings": [],
        "buckets": [],
        "principals": [],
        "remote_ips": [],
        "matched": 0,
        "truncated": False,
    }
    try:
        detectors = resolve_detectors(gd, p["detector_id"], module.region)
        if not detectors:
            message = f"GuardDuty is not enabled in region {module.region}: no detector found, so no findings to read"
            if p["require_detector"]:
                module.fail_json(msg=message, **result)
            module.warn(message)
            module.exit_json(msg=message, **result)
        raw: list[dict] = []
        for detector_id in detectors:
            ids = list_finding_ids(gd, detector_id, query.criteria)
            raw.extend(get_findings(gd, detector_id, ids))
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read GuardDuty findings in region {module.region}")

    findings = [f for f in normalize_findings(raw) if query.post_filter(f)]
    findings.sort(key=_rank_key)
    summary = summarise(findings)
    kept = findings[: p["max_findings"]]
    result.update(
        guardduty_enabled=True,
        detector_ids=detectors,
        findings=to_json_safe(kept),
        buckets=to_json_safe(summary["buckets"]),
        principals=to_json_safe(summary["principals"]),
        remote_ips=to_json_safe(summary["remote_ips"]),
        matched=len(findings),
        truncated=len(findings) > len(kept),
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: triage_summary
short_description: Turn GuardDuty findings into the triage result of an S3 incident
version_added: 0.1.0
author: cloudsec.s3 contributors (@cloudsec-s3)
description:
  - Merges findings (from P(cloudsec.s3.guardduty_findings_info#module), from an EventBridge event, or both),
    drops duplicates and findings not about S3, and answers the triage questions - which bucket, how bad, which
    principals and IP addresses to investigate, and over which time window.
  - The window runs from the earliest activity of the primary bucket's findings minus O(margin_minutes) to now;
    with no finding it covers the last O(lookback_days) days, so the response can go on without GuardDuty.
  - Used by the C(cloudsec.s3.triage) role to build C(triage_result).
options:
  _input:
    description: Findings in any shape the P(cloudsec.s3.normalize_finding#filter) filter accepts.
    type: list
    elements: raw
    required: true
  bucket:
    description: The bucket the responder named; it stays the primary bucket even without findings.
    type: str
  lookback_days:
    description: Window length when there is no finding.
    type: float
    default: 7
  margin_minutes:
    description: How far before the earliest finding activity the window starts.
    type: float
    default: 60
  guardduty_enabled:
    description: Whether GuardDuty was found enabled (changes the message when there are no findings).
    type: bool
    default: true
  now:
    description: The end of the window (ISO-8601); defaults to the current time.
    type: str
  keep_raw:
    description: Keep each finding's original in C(raw).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Triage the findings read from GuardDuty plus the one from the event
  ansible.builtin.set_fact:
    triage_result: >-
      {{ (gd.findings + [ansible_eda.event.body.detail])
         | cloudsec.s3.triage_summary(bucket='acme-customer-exports', lookback_days=7) }}
"""

RETURN = r"""
_value:
  description: The triage result.
  type: dict
  contains:
    bucket:
      description: The primary bucket (named, or the most severely hit one).
      type: str
    buckets:
      description: Affected buckets, highest severity first, then latest activity.
      type: list
      elements: dict
    findings:
      description: The S3 findings, normalised, most severe first.
      type: list
      elements: dict
    finding_ids:
      description: Their ids.
      type: list
      elements: str
    max_severity:
      description: Highest severity on the primary bucket (null without findings).
      type: float
    max_severity_label:
      description: Its label (Low, Medium, High, Critical).
      type: str
    principals:
      description: Principals (access keys, users, roles) the findings name, ranked.
      type: list
      elements: dict
    remote_ips:
      description: Remote IP addresses the findings name, with location and network owner.
      type: list
      elements: dict
    window:
      description: The time window the investigation should search (C(start), C(end), C(reason)).
      type: dict
    guardduty_enabled:
      description: Whether GuardDuty was enabled.
      type: bool
    has_findings:
      description: Whether any finding names the primary bucket.
      type: bool
    message:
      description: One line for the responder.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import FindingError
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import to_json_safe
from ansible_collections.cloudsec.s3.plugins.module_utils.triage import triage_summary as _triage_summary


def triage_summary(
    findings, bucket=None, lookback_days=7, margin_minutes=60, guardduty_enabled=True, now=None, keep_raw=True
):
    if findings is None:
        findings = []
    if not isinstance(findings, (list, tuple)):
        raise AnsibleFilterError("triage_summary: expected a list of findings, got " + type(findings).__name__)
    try:
        result = _triage_summary(
            findings,
            bucket=bucket or None,
            lookback_days=float(lookback_days),
            margin_minutes=float(margin_minutes),
            guardduty_enabled=bool(guardduty_enabled),
            now=now or None,
            keep_raw=bool(keep_raw),
        )
    except (FindingError, ValueError, TypeError) as exc:
        raise AnsibleFilterError(f"triage_summary: {exc}") from None
    return to_json_safe(result)


class FilterModule:
    def filters(self):
        return {"triage_summary": triage_summary}

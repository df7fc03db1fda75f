# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Flatten a GuardDuty finding event into fields rule conditions can test
description:
  - An ansible-rulebook event filter. For an event whose body is a GuardDuty finding - an EventBridge
    C(GuardDuty Finding) event (as C(cloudsec.s3.aws_sqs_queue) or C(amazon.aws.aws_sqs_queue) deliver it), a bare
    finding in the wire (camelCase) shape or in boto3's (PascalCase) shape - it adds C(event.guardduty) with
    C(finding_id), C(type), C(severity) (a number), C(title), C(account_id), C(region), C(bucket) (the first bucket
    named), C(buckets), C(s3_related), C(sample) and C(archived).
  - C(sample) is true for GuardDuty's sample findings (C(service.additionalInfo) C(sample) flag, in its C(value) JSON
    or as a key, or a title starting with C([SAMPLE])); C(s3_related) is true when the finding names a bucket, its
    resource type is C(S3Bucket) / C(S3Object), or its type is an C(:S3/) type.
  - Any other event passes through unchanged, so conditions on C(event.guardduty) simply do not match it.
options:
  key:
    description: Name of the field added to the event.
    type: str
    default: guardduty
"""

EXAMPLES = r"""
sources:
  - cloudsec.s3.aws_sqs_queue:
      name: cloudsec-guardduty-findings
    filters:
      - cloudsec.s3.guardduty_finding:
rules:
  - name: Show S3 findings
    condition: event.guardduty.s3_related == true
    action:
      debug:
"""

import json
from typing import Any


def _get(node: Any, camel: str) -> Any:
    """A member in either shape: camelCase (wire, EventBridge) or PascalCase (boto3)."""
    if not isinstance(node, dict):
        return None
    if camel in node:
        return node[camel]
    return node.get(camel[:1].upper() + camel[1:])


def _finding(body: Any) -> dict | None:
    """The finding an event body carries, or None when it carries none."""
    if not isinstance(body, dict):
        return None
    if "detail" in body and ("detail-type" in body or "source" in body):
        if body.get("detail-type") not in (None, "GuardDuty Finding") or not isinstance(body["detail"], dict):
            return None
        return body["detail"]
    if _get(body, "type") is not None and _get(body, "severity") is not None and _get(body, "resource") is not None:
        return body
    return None


def _severity(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _additional_info(service: Any) -> dict:
    info = _get(service, "additionalInfo")
    if not isinstance(info, dict):
        return {}
    merged = {k: v for k, v in info.items() if k not in ("value", "Value")}
    value = _get(info, "value")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if isinstance(value, dict):
        merged.update(value)
    return merged


def _is_sample(finding: dict) -> bool:
    flag = _additional_info(_get(finding, "service")).get("sample")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True
    title = _get(finding, "title")
    return isinstance(title, str) and title.lstrip().upper().startswith("[SAMPLE]")


def _buckets(finding: dict) -> list[str]:
    names: list[str] = []
    details = _get(_get(finding, "resource"), "s3BucketDetails")
    for detail in details if isinstance(details, list) else []:
        name = _get(detail, "name")
        if not name:
            arn = _get(detail, "arn")
            name = arn.rsplit(":", 1)[-1] if isinstance(arn, str) and arn.startswith("arn:") else None
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    if not names:  # management-event findings name the bucket in the API call's affected resources
        api_call = _get(_get(_get(finding, "service"), "action"), "awsApiCallAction")
        affected = _get(api_call, "affectedResources")
        name = affected.get("AWS::S3::Bucket") if isinstance(affected, dict) else None
        if isinstance(name, str) and name:
            names.append(name)
    return names


def flatten(finding: dict) -> dict:
    """The fields a rule tests, from one finding in either shape."""
    finding_type = _get(finding, "type")
    finding_type = finding_type if isinstance(finding_type, str) else ""
    resource_type = _get(_get(finding, "resource"), "resourceType")
    buckets = _buckets(finding)
    archived = _get(_get(finding, "service"), "archived")
    return {
        "finding_id": str(_get(finding, "id") or ""),
        "type": finding_type,
        "severity": _severity(_get(finding, "severity")),
        "title": str(_get(finding, "title") or ""),
        "account_id": str(_get(finding, "accountId") or ""),
        "region": str(_get(finding, "region") or ""),
        "bucket": buckets[0] if buckets else "",
        "buckets": buckets,
        "s3_related": bool(
            buckets or str(resource_type or "").lower() in ("s3bucket", "s3object") or ":S3/" in finding_type
        ),
        "sample": _is_sample(finding),
        "archived": archived is True or str(archived).lower() == "true",
    }


def main(event: dict[str, Any], key: str = "guardduty") -> dict[str, Any]:
    """ansible-rulebook filter entry point: add ``event[key]`` for GuardDuty findings, pass the rest unchanged."""
    finding = _finding(event.get("body")) if isinstance(event, dict) else None
    if finding is not None:
        event[key] = flatten(finding)
    return event

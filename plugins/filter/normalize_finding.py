# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: normalize_finding
short_description: Normalise an Amazon GuardDuty finding to the cloudsec.s3 finding schema
version_added: 0.1.0
author: cloudsec.s3 contributors (@cloudsec-s3)
description:
  - Turns a GuardDuty finding that arrives as data into the schema that C(cloudsec.s3.guardduty_findings_info)
    returns, so a playbook, a rulebook or a role reads every finding the same way.
  - Accepts the boto3 shape (PascalCase keys, as C(get_findings) returns it), the REST wire and EventBridge
    shape (camelCase keys, as in an EventBridge event's C(detail) or a console JSON export), and a whole
    EventBridge event (C(detail-type) V(GuardDuty Finding) with the finding in C(detail)), which is unwrapped.
  - Retired type names (for example V(Exfiltration:S3/ObjectRead.Unusual)) are kept in RV(_value.type) and
    mapped to their successor in RV(_value.type_canonical). Both spellings of the action type (V(AWS_API_CALL)
    and V(AWSAPICALL)) give V(AWS_API_CALL).
  - Findings that are not about S3 (EC2, IAM access keys) give RV(_value.s3_related=false) and no buckets.
    Missing, null or redacted fields (V(""), V(REDACTED), ...) give null values; they never fail.
  - Fails with a message naming the problem when the input is not a finding at all (not a mapping, or
    neither an id nor a type).
options:
  _input:
    description:
      - One finding, or a list of findings, in any of the accepted shapes.
      - A JSON string holding one of those is parsed first (handy with P(ansible.builtin.file#lookup)).
      - A C(GetFindings) response (a mapping with a C(Findings) list) is treated as that list of findings.
    type: raw
    required: true
seealso:
  - name: GuardDuty finding format
    description: The finding fields and types, in the GuardDuty user guide.
    link: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-format.html
  - name: Severity levels of GuardDuty findings
    description: The ranges behind RV(_value.severity_label).
    link: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html
"""

EXAMPLES = r"""
- name: Read the finding an EventBridge rule sent to Event-Driven Ansible
  ansible.builtin.set_fact:
    triage_finding_normalised: "{{ ansible_eda.event.body | cloudsec.s3.normalize_finding }}"

- name: Name the buckets of a finding exported from the console
  ansible.builtin.debug:
    msg: "{{ (lookup('ansible.builtin.file', 'finding.json') | cloudsec.s3.normalize_finding).buckets
             | map(attribute='name') | list }}"

- name: Keep the High and Critical S3 findings of a list, samples left out
  ansible.builtin.set_fact:
    urgent: >-
      {{ findings | cloudsec.s3.normalize_finding
         | selectattr('s3_related') | rejectattr('sample')
         | selectattr('severity', 'ge', 7.0) | list }}
"""

RETURN = r"""
_value:
  description:
    - The normalised finding, or a list of them when the input is a list (or a C(GetFindings) response).
    - Times are ISO-8601 UTC strings (C(2026-03-02T09:14:07.512Z)), whatever form the input used.
  type: raw
  contains:
    id:
      description: Finding id.
      type: str
      sample: 8ac6f4e2b1d34a7c9e0f1a2b3c4d5e6f
    arn:
      description: Finding ARN.
      type: str
    type:
      description: Finding type as GuardDuty gave it.
      type: str
      sample: "Exfiltration:S3/MaliciousIPCaller"
    type_canonical:
      description: The type with retired names mapped to their successor.
      type: str
    retired_type:
      description: Whether RV(_value.type) is a retired type name.
      type: bool
    severity:
      description: Severity, 1.0 to 10.0.
      type: float
      sample: 8.0
    severity_label:
      description: V(Low) (1.0-3.9), V(Medium) (4.0-6.9), V(High) (7.0-8.9) or V(Critical) (9.0-10.0).
      type: str
    title:
      description: Finding title.
      type: str
    description:
      description: Finding description.
      type: str
    account_id:
      description: Account the finding belongs to.
      type: str
    region:
      description: Region of the finding.
      type: str
    partition:
      description: AWS partition (V(aws) when the finding does not say).
      type: str
    created_at:
      description: When GuardDuty created the finding.
      type: str
    updated_at:
      description: When GuardDuty last updated the finding.
      type: str
    first_seen:
      description: First activity the finding covers (C(service.eventFirstSeen)).
      type: str
    last_seen:
      description: Latest activity the finding covers (C(service.eventLastSeen)).
      type: str
    count:
      description: Number of aggregated occurrences.
      type: int
    archived:
      description: Whether the finding is archived (false when not said).
      type: bool
    sample:
      description:
        - Whether this is a sample finding (C(service.additionalInfo) C(sample) flag, or a C([SAMPLE]) title).
      type: bool
    s3_related:
      description: Whether the finding concerns S3 (it names a bucket, has an S3 resource type or an S3 finding type).
      type: bool
    resource_type:
      description: C(resource.resourceType), such as V(S3Bucket) or V(AccessKey).
      type: str
    resource_role:
      description: V(TARGET) or V(ACTOR).
      type: str
    buckets:
      description:
        - The buckets the finding names, with C(name), C(arn), C(type) (V(source) or V(destination)), C(owner_id),
          C(created_at), C(tags) (a dict), C(encryption_type), C(kms_key_arn), C(effective_permission)
          (V(PUBLIC) or V(NOT_PUBLIC)), C(public_access) and C(objects) (C(key), C(version_id), C(etag), C(hash),
          C(arn)).
        - C(public_access) holds C(acl_allows_public_read), C(acl_allows_public_write), C(policy_allows_public_read),
          C(policy_allows_public_write), C(bucket_block_public_access) and C(account_block_public_access) (each with
          C(block_public_acls), C(ignore_public_acls), C(block_public_policy), C(restrict_public_buckets)); null when
          the finding has no public access detail.
      type: list
      elements: dict
    principal:
      description:
        - The access key details, or null. Keys C(user_type), C(user_name), C(principal_id), C(access_key_id),
          C(arn), C(role_name), C(session_name), C(session_arn).
        - C(arn) is set only where the finding determines it (IAM user, taken without a path; root; federated user).
          For an assumed role the role ARN is not derivable; C(role_name), C(session_name) and the STS
          C(session_arn) are given instead.
      type: dict
    action_type:
      description: Action type in the V(AWS_API_CALL) spelling.
      type: str
    api_calls:
      description:
        - The API calls of the finding, each with C(api), C(service), C(caller_type), C(error_code), C(user_agent),
          C(remote_account_id) and C(remote_account_affiliated).
      type: list
      elements: dict
    remote_ips:
      description:
        - Remote addresses of the finding, each with C(ip), C(ipv6), C(country), C(country_code), C(city), C(org),
          C(asn), C(asn_org), C(isp), C(lat) and C(lon).
      type: list
      elements: dict
    threat_names:
      description: Threat names from the finding's threat intelligence evidence and malware scans.
      type: list
      elements: str
    detector_id:
      description: Detector id.
      type: str
    feature_name:
      description: GuardDuty feature that produced the finding.
      type: str
    attack_sequence:
      description: Whether this is an Extended Threat Detection attack sequence finding.
      type: bool
    raw:
      description: The input finding, unchanged.
      type: dict
"""

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import FindingError
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import normalize_finding as _normalize


def _one(item, where=""):
    try:
        return _normalize(item)
    except FindingError as exc:
        raise AnsibleFilterError(f"normalize_finding: {where}{exc}") from None
    except Exception as exc:  # a bug must still reach the user as a message, not a traceback
        raise AnsibleFilterError(
            f"normalize_finding: {where}could not normalise the finding ({type(exc).__name__}: {exc})"
        ) from exc


def normalize_finding(data):
    """One finding -> one normalised finding; a list (or a GetFindings response) -> a list."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise AnsibleFilterError(
                f"normalize_finding: the input is a string but not JSON holding a finding ({exc})"
            ) from None
    if isinstance(data, Mapping) and not ({"id", "Id", "type", "Type", "detail"} & set(data)):
        listed = data.get("Findings", data.get("findings"))
        if isinstance(listed, list):
            data = listed
    if isinstance(data, (list, tuple)):
        return [_one(item, f"item {index}: ") for index, item in enumerate(data)]
    if data is None:
        raise AnsibleFilterError("normalize_finding: the input is empty (null); expected a GuardDuty finding")
    return _one(data)


class FilterModule:
    def filters(self):
        return {"normalize_finding": normalize_finding}

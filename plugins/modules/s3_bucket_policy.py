#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_policy
short_description: Add, update or remove bucket-policy statements by Sid, leaving the others untouched
version_added: 0.1.0
description:
  - Merges statements into a bucket policy by their C(Sid). Every statement of the current policy whose Sid is not
    named is kept exactly as it is (after normalisation), so the owner's own statements survive.
  - Documents are compared parsed, so re-ordering, whitespace and single-value-versus-list spelling are not changes.
  - With O(state=present) a statement whose Sid is new is appended, an equal one is left alone, and one whose Sid
    exists with different content is a conflict - reported in RV(conflicts) and left unchanged, unless
    O(overwrite_conflicts) is set.
  - With O(state=absent) the statements named by O(sids) (or by the Sids of O(statements)) are removed; when no
    statement is left, the bucket policy is deleted.
  - The standard statements of the baseline come from the C(cloudsec.s3) statement filters, for example
    C(bucket | cloudsec.s3.tls_only_statement).
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  statements:
    description:
      - Statements to add or update (O(state=present)) or whose Sids to remove (O(state=absent)). Each needs a Sid.
    type: list
    elements: dict
    default: []
  sids:
    description: Sids of the statements to remove (O(state=absent) only).
    type: list
    elements: str
    default: []
  state:
    description: Whether the statements must be in the policy or not.
    type: str
    choices: [present, absent]
    default: present
  overwrite_conflicts:
    description:
      - Replace a statement whose Sid exists with different content. V(false) leaves it and reports the conflict.
    type: bool
    default: false
  fail_on_conflict:
    description: Fail the task when a conflict is left unresolved (instead of only reporting it).
    type: bool
    default: false
  protected_sid_prefixes:
    description:
      - Sids starting with one of these are never written or removed by this task (the task fails naming the Sid).
      - The containment step's statements start with C(CloudsecQuarantine); the harden role protects them.
    type: list
    elements: str
    default: []
notes:
  - Needs C(s3:GetBucketPolicy), C(s3:PutBucketPolicy) and, to remove the last statement, C(s3:DeleteBucketPolicy).
  - Block Public Access C(BlockPublicPolicy) makes S3 reject a policy that grants public access; the task then fails
    with S3's error.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Require TLS and SigV4 on the bucket, keeping the owner's statements
  cloudsec.s3.s3_bucket_policy:
    bucket: acme-customer-exports
    statements:
      - "{{ 'acme-customer-exports' | cloudsec.s3.tls_only_statement }}"
      - "{{ 'acme-customer-exports' | cloudsec.s3.sigv4_only_statement }}"

- name: Allow access only through the VPC endpoint, responders exempt
  cloudsec.s3.s3_bucket_policy:
    bucket: acme-customer-exports
    statements:
      - "{{ 'acme-customer-exports' | cloudsec.s3.vpce_only_statement(['vpce-0a1b2c3d4e5f60718'],
            ['arn:aws:iam::123456789012:role/incident-responder']) }}"

- name: Remove a statement by Sid
  cloudsec.s3.s3_bucket_policy:
    bucket: acme-customer-exports
    sids: [CloudsecDenyOutsideVpce]
    state: absent
"""

RETURN = r"""
policy:
  description: The bucket policy after the task (V(null) when the bucket has none), normalised.
  returned: always
  type: dict
  sample: {Version: "2012-10-17", Statement: [{Sid: CloudsecDenyInsecureTransport, Effect: Deny, Principal: "*",
           Action: ["s3:*"], Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
           Condition: {Bool: {"aws:SecureTransport": ["false"]}}}]}
previous_policy:
  description: The bucket policy before the task (V(null) when there was none), normalised. Keep it to undo.
  returned: always
  type: dict
statements:
  description:
    - What happened to each requested Sid. C(action) is V(added), V(replaced), V(removed), V(unchanged), V(absent)
      (asked to remove a Sid that is not there) or V(conflict).
  returned: always
  type: list
  elements: dict
  sample: [{sid: CloudsecDenyInsecureTransport, action: added, before: null, after: {}}]
conflicts:
  description: Sids that exist with different content and were left unchanged.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.statements import check_not_protected
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name


def read_policy(module, s3, bucket):
    try:
        return s3.get_bucket_policy(aws_retry=True, Bucket=bucket)["Policy"]
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchBucketPolicy"):
            return None
        if is_error(exc, "NoSuchBucket"):
            module.fail_json(msg=f"Bucket {bucket} does not exist")
        module.fail_json_aws(exc, msg=f"Failed to read the bucket policy of {bucket}")


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        statements=dict(type="list", elements="dict", default=[]),
        sids=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        overwrite_conflicts=dict(type="bool", default=False),
        fail_on_conflict=dict(type="bool", default=False),
        protected_sid_prefixes=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    bucket = params["bucket"]
    state = params["state"]
    try:
        validate_bucket_name(bucket, "bucket")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if state == "present" and params["sids"]:
        module.fail_json(msg="sids is only used with state=absent; give full statements with state=present")
    requested = list(params["statements"])
    if state == "absent":
        requested = [s.get("Sid") for s in requested] + list(params["sids"])
        if any(not sid for sid in requested):
            module.fail_json(msg="Every statement to remove needs a Sid")
    if not requested:
        module.fail_json(msg="Nothing to do: give statements (or sids with state=absent)")
    sids = [item if isinstance(item, str) else item.get("Sid") for item in requested]
    try:
        if params["protected_sid_prefixes"]:
            check_not_protected([s for s in sids if s], params["protected_sid_prefixes"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    s3 = client(module, "s3")
    text = read_policy(module, s3, bucket)
    try:
        current = parse_optional_policy(text, f"bucket policy of {bucket}")
        merged, changes = merge_statements(
            current,
            requested,
            state=state,
            overwrite_conflicts=params["overwrite_conflicts"],
            name=f"bucket policy of {bucket}",
        )
    except PolicyError as exc:
        module.fail_json(msg=str(exc))
    conflicts = [c.sid for c in changes.conflicts]
    result = dict(
        changed=changes.changed,
        policy=merged if changes.changed else current,
        previous_policy=current,
        statements=changes.as_dicts(),
        conflicts=conflicts,
    )
    if module._diff:
        result["diff"] = {"before": current or {}, "after": (merged if changes.changed else current) or {}}
    if conflicts:
        message = (
            f"Bucket policy of {bucket}: statement Sid(s) {', '.join(conflicts)} already exist with different content; "
            "left unchanged (set overwrite_conflicts to replace them)"
        )
        if params["fail_on_conflict"]:
            module.fail_json(msg=message, **result)
        module.warn(message)
    if changes.changed and not module.check_mode:
        try:
            if merged is None:
                s3.delete_bucket_policy(aws_retry=True, Bucket=bucket)
            else:
                s3.put_bucket_policy(aws_retry=True, Bucket=bucket, Policy=dump_policy(merged))
        except botocore_errors() as exc:
            module.fail_json_aws(exc, msg=f"Failed to write the bucket policy of {bucket}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

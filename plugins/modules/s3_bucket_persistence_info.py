#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_persistence_info
short_description: Report what an attacker may have left on a bucket and in IAM (read-only)
version_added: 0.1.0
description:
  - Reports the ways an attacker keeps access to, or keeps copying, a bucket after the obvious change is undone -
    replication to a foreign account, event notifications to foreign targets, static website hosting, CORS rules
    allowing any origin, lifecycle rules that expire data within O(short_expiry_days), bucket policy statements and
    ACL grants to foreign accounts or to everyone, and access points created during the window.
  - In IAM, reports access keys, users, login profiles, policies and role trust changes made during the window by
    the suspected principals, from O(timeline) (the investigate step's events) when given, else from CloudTrail
    C(LookupEvents) when O(lookup_events=true). Access keys and users created in the window are also found by
    listing IAM (their author is then unknown unless a suspected principal owns them).
  - Read-only - it never changes anything. M(cloudsec.s3.s3_bucket_persistence) removes (and restores) what this
    module reports, recording it first.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
notes:
  - IAM actions - C(sts:GetCallerIdentity), the C(s3:Get*) actions of M(cloudsec.s3.s3_bucket_security_info),
    C(s3:GetReplicationConfiguration), C(s3:GetBucketNotification), C(s3:GetBucketCORS),
    C(s3:GetLifecycleConfiguration), C(s3:GetAccessPoint), C(iam:ListUsers), C(iam:ListAccessKeys),
    C(cloudtrail:LookupEvents) (with O(lookup_events)).
extends_documentation_fragment:
  - cloudsec.s3.persistence_sweep
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Sweep the victim bucket for persistence, using the investigation's timeline
  cloudsec.s3.s3_bucket_persistence_info:
    bucket: acme-customer-exports
    window_start: "{{ investigate_result.window.start }}"
    suspected_principals: "{{ investigate_result.suspected_principals }}"
    timeline: "{{ investigate_result.timeline }}"
  register: sweep
"""

RETURN = r"""
findings:
  description: What was found, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - Kind of persistence (a C(remove) choice of M(cloudsec.s3.s3_bucket_persistence), or a report-only kind).
      type: str
      sample: policy_public_grant
    resource:
      description: The bucket, statement, rule, access point, key or principal concerned.
      type: str
      sample: "acme-customer-exports policy statement PublicRead"
    detail:
      description: One sentence for the responder.
      type: str
      sample: "statement PublicRead allows everyone (Principal *)"
    severity:
      description: V(high), V(medium) or V(low).
      type: str
      sample: high
    removable:
      description: Whether M(cloudsec.s3.s3_bucket_persistence) can remove it.
      type: bool
      sample: true
    removed:
      description: Always V(false) here (this module changes nothing).
      type: bool
      sample: false
    command:
      description: For a role trust change whose earlier document is unknown, the command to put it back by hand.
      type: str
      returned: when the earlier trust policy is unknown
      sample: "aws iam update-assume-role-policy --role-name app-ingest --policy-document file://trust-app-ingest.json"
window:
  description: The window used.
  returned: always
  type: dict
  sample: {start: "2026-11-22T22:46:00Z", end: "2026-11-29T22:46:00Z"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import Sweep
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import iso
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import sweep_argument_spec
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name


def main() -> None:
    module = AnsibleAWSModule(argument_spec=sweep_argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        bucket = validate_bucket_name(params["bucket"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        account_id = caller_identity(client(module, "sts"))["account_id"]
        sweep = Sweep(
            client(module, "s3"),
            client(module, "s3control"),
            client(module, "iam"),
            client(module, "cloudtrail") if params["lookup_events"] else None,
            bucket,
            account_id,
            params,
        )
        sweep.sweep_bucket()
        sweep.sweep_iam()
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to sweep bucket {params['bucket']} for persistence")
    module.exit_json(
        changed=False,
        findings=jsonable(sweep.sorted_findings()),
        window={"start": iso(sweep.start), "end": iso(sweep.end)},
    )


if __name__ == "__main__":
    main()

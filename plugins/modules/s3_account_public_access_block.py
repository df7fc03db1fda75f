#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_account_public_access_block
short_description: Account-level S3 Block Public Access, with a preview of the buckets that would lose public access
version_added: 0.1.0
description:
  - Sets the four account-level Block Public Access settings (S3 Control C(PutPublicAccessBlock)), FSBP S3.1 and
    CIS 2.1.4, or removes them with O(state=absent).
  - Before turning settings on it analyses every bucket of the account (policy, ACL, bucket-level Block Public
    Access, object ownership) with the collection's policy engine and returns in RV(would_lose_public_access) the
    buckets that are public now and would not be afterwards, with the paths that would be cut. Run it in check mode
    first to see the impact; intentionally public buckets (static websites) stop working.
  - Check mode and diff are supported; a second run with the same settings changes nothing.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  block_public_acls:
    description: Reject new public ACLs on buckets and objects.
    type: bool
    default: true
  ignore_public_acls:
    description: Ignore existing public ACLs.
    type: bool
    default: true
  block_public_policy:
    description: Reject new bucket and access point policies that grant public access.
    type: bool
    default: true
  restrict_public_buckets:
    description: Restrict buckets with a public policy to AWS service principals and the bucket's account.
    type: bool
    default: true
  state:
    description: V(present) sets the settings; V(absent) deletes the account-level configuration.
    type: str
    choices: [present, absent]
    default: present
  preview:
    description: Analyse the buckets of the account before a change that turns a setting on.
    type: bool
    default: true
  fail_if_buckets_lose_access:
    description: Fail (before any change) when the preview finds buckets that would lose public access.
    type: bool
    default: false
  account_id:
    description: The account to configure; by default the account of the credentials.
    type: str
  max_workers:
    description: How many buckets are analysed at the same time.
    type: int
    default: 16
notes:
  - Needs C(s3:GetAccountPublicAccessBlock), C(s3:PutAccountPublicAccessBlock) and, for the preview,
    C(s3:ListAllMyBuckets), C(s3:GetBucketPolicy), C(s3:GetBucketAcl), C(s3:GetBucketPublicAccessBlock) and
    C(s3:GetBucketOwnershipControls).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Preview which buckets would lose public access
  cloudsec.s3.s3_account_public_access_block:
  check_mode: true
  register: account_bpa

- name: Turn on account-level Block Public Access unless a bucket would lose public access
  cloudsec.s3.s3_account_public_access_block:
    fail_if_buckets_lose_access: true
"""

RETURN = r"""
account_id:
  description: The account configured.
  returned: always
  type: str
  sample: "123456789012"
public_access_block:
  description: The settings after the task (V(null) when none are set).
  returned: always
  type: dict
  sample: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true}
previous_public_access_block:
  description: The settings before the task (V(null) when none were set).
  returned: always
  type: dict
  sample: null
would_lose_public_access:
  description: Buckets public now that the new settings make non-public, with the public paths they cut.
  returned: always
  type: list
  elements: dict
  sample: [{bucket: acme-www, paths: [{source: bucket_policy, detail: "...", neutralised_by: [RestrictPublicBuckets]}]}]
preview_errors:
  description: Buckets that could not be analysed, with the reason.
  returned: always
  type: dict
  sample: {}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import BPA_KEYS
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import public_access_preview
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import list_buckets
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import normalize_public_access_block
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_account_id

OPTION_KEYS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def main() -> None:
    argument_spec = dict(
        block_public_acls=dict(type="bool", default=True),
        ignore_public_acls=dict(type="bool", default=True),
        block_public_policy=dict(type="bool", default=True),
        restrict_public_buckets=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        preview=dict(type="bool", default=True),
        fail_if_buckets_lose_access=dict(type="bool", default=False),
        account_id=dict(type="str"),
        max_workers=dict(type="int", default=16),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        if params["account_id"]:
            validate_account_id(params["account_id"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if params["max_workers"] < 1:
        module.fail_json(msg=f"max_workers must be at least 1, got {params['max_workers']}")
    control = client(module, "s3control")
    try:
        account_id = params["account_id"] or caller_identity(client(module, "sts"))["account_id"]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to identify the caller (sts:GetCallerIdentity)")
    try:
        current = control.get_public_access_block(aws_retry=True, AccountId=account_id)[
            "PublicAccessBlockConfiguration"
        ]
    except botocore_errors() as exc:
        if not is_error(exc, "NoSuchPublicAccessBlockConfiguration"):
            module.fail_json_aws(exc, msg=f"Failed to read the account-level Block Public Access of {account_id}")
        current = None
    current = {k: bool(current.get(k, False)) for k in BPA_KEYS} if current is not None else None
    desired = {k: params[OPTION_KEYS[k]] for k in BPA_KEYS} if params["state"] == "present" else None
    changed = current != desired
    result = dict(
        changed=changed,
        account_id=account_id,
        previous_public_access_block=normalize_public_access_block(current),
        public_access_block=normalize_public_access_block(desired if changed else current),
        would_lose_public_access=[],
        preview_errors={},
    )
    if module._diff:
        result["diff"] = {
            "before": normalize_public_access_block(current) or {},
            "after": normalize_public_access_block(desired) or {},
        }
    tightening = desired is not None and any(desired[k] and not (current or {}).get(k) for k in BPA_KEYS)
    if changed and tightening and params["preview"]:
        s3 = client(module, "s3")
        try:
            names = [b["name"] for b in list_buckets(s3)]
        except botocore_errors() as exc:
            module.fail_json_aws(exc, msg="Failed to list buckets (s3:ListAllMyBuckets) for the preview")
        losing, errors = public_access_preview(s3, names, current, desired, params["max_workers"])
        result["would_lose_public_access"] = losing
        result["preview_errors"] = errors
        if losing and params["fail_if_buckets_lose_access"]:
            names = ", ".join(item["bucket"] for item in losing)
            result["changed"] = False
            result["public_access_block"] = result["previous_public_access_block"]
            module.fail_json(msg=f"Account-level Block Public Access would cut public access to: {names}", **result)
    if changed and not module.check_mode:
        try:
            if desired is None:
                control.delete_public_access_block(aws_retry=True, AccountId=account_id)
            else:
                control.put_public_access_block(
                    aws_retry=True, AccountId=account_id, PublicAccessBlockConfiguration=desired
                )
        except botocore_errors() as exc:
            module.fail_json_aws(exc, msg=f"Failed to set the account-level Block Public Access of {account_id}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_access_point
short_description: Create, update or delete an S3 access point with its Block Public Access, policy and VPC origin
version_added: 0.1.0
description:
  - Manages one S3 access point (S3 Control) of a bucket - its own Block Public Access settings (FSBP S3.19), its
    network origin (a VPC, or the Internet) and its access point policy.
  - Block Public Access and the VPC of an access point cannot change after creation. When they differ from what is
    asked, the task fails naming the difference, unless O(recreate=true) deletes and recreates the access point.
  - The policy is compared parsed (order and whitespace are not changes); O(policy=null) leaves it alone and
    O(purge_policy=true) deletes it.
  - Check mode and diff (exact before / after) are supported.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  name:
    description: Access point name.
    type: str
    required: true
  bucket:
    description: Bucket of the access point. Required with O(state=present).
    type: str
  state:
    description: Whether the access point exists.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description: Restrict the access point to this VPC (network origin VPC). Omitted, the origin is the Internet.
    type: str
  public_access_block:
    description: The access point's own Block Public Access settings; every setting defaults to V(true).
    type: dict
    default: {}
    suboptions:
      block_public_acls:
        description: Reject public ACLs.
        type: bool
        default: true
      ignore_public_acls:
        description: Ignore public ACLs.
        type: bool
        default: true
      block_public_policy:
        description: Reject public access point policies.
        type: bool
        default: true
      restrict_public_buckets:
        description: Restrict access through a public policy.
        type: bool
        default: true
  policy:
    description: The access point policy (a dict, or JSON text). Omitted, the policy is not managed.
    type: json
  purge_policy:
    description: Delete the access point policy when O(policy) is not given.
    type: bool
    default: false
  recreate:
    description: Delete and recreate the access point when its bucket, VPC or Block Public Access must change.
    type: bool
    default: false
  account_id:
    description: Account owning the access point; by default the account of the credentials.
    type: str
notes:
  - Needs C(s3:GetAccessPoint), C(s3:CreateAccessPoint), C(s3:DeleteAccessPoint), C(s3:GetAccessPointPolicy),
    C(s3:PutAccessPointPolicy) and C(s3:DeleteAccessPointPolicy).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Give forensics read access through an access point reachable only from their VPC
  cloudsec.s3.s3_access_point:
    name: forensics
    bucket: acme-customer-exports
    vpc_id: vpc-0a1b2c3d
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: ForensicsRead
          Effect: Allow
          Principal: {AWS: arn:aws:iam::123456789012:role/forensics}
          Action: [s3:GetObject, s3:ListBucket]
          Resource:
            - arn:aws:s3:us-east-1:123456789012:accesspoint/forensics
            - arn:aws:s3:us-east-1:123456789012:accesspoint/forensics/object/*
"""

RETURN = r"""
access_point:
  description: The access point after the task (V(null) when absent).
  returned: always
  type: dict
  sample:
    name: forensics
    bucket: acme-customer-exports
    arn: arn:aws:s3:us-east-1:123456789012:accesspoint/forensics
    alias: forensics-abc123-s3alias
    network_origin: VPC
    vpc_id: vpc-0a1b2c3d
    public_access_block: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true,
                          restrict_public_buckets: true}
    policy: null
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import describe_access_point as describe
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import policies_equal
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_account_id
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

BPA = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def main() -> None:
    bpa_options = {key: dict(type="bool", default=True) for key in BPA}
    argument_spec = dict(
        name=dict(type="str", required=True),
        bucket=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        public_access_block=dict(type="dict", default={}, options=bpa_options),
        policy=dict(type="json"),
        purge_policy=dict(type="bool", default=False),
        recreate=dict(type="bool", default=False),
        account_id=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "present", ["bucket"])]
    )
    params = module.params
    name = params["name"]
    try:
        if params["bucket"]:
            validate_bucket_name(params["bucket"], "bucket")
        if params["account_id"]:
            validate_account_id(params["account_id"])
        desired_policy = parse_optional_policy(params["policy"], f"policy of access point {name}")
    except (ValueError, PolicyError) as exc:
        module.fail_json(msg=str(exc))
    control = client(module, "s3control")
    try:
        account_id = params["account_id"] or caller_identity(client(module, "sts"))["account_id"]
        current = describe(control, account_id, name)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read access point {name}")

    changed = False
    after = current
    try:
        if params["state"] == "absent":
            if current is not None:
                changed, after = True, None
                if not module.check_mode:
                    control.delete_access_point(aws_retry=True, AccountId=account_id, Name=name)
        else:
            wanted_bpa = dict(params["public_access_block"])
            fixed = {"bucket": params["bucket"], "vpc_id": params["vpc_id"], "public_access_block": wanted_bpa}
            differences = []
            if current is not None:
                differences = [k for k, v in fixed.items() if current.get(k) != v]
                if differences and not params["recreate"]:
                    module.fail_json(
                        msg=f"Access point {name} exists with a different {', '.join(differences)}, which cannot "
                        "change in place; set recreate=true to delete and recreate it",
                        access_point=current,
                    )
            create = current is None or bool(differences)
            after = dict(current or {}, **fixed)
            if create:
                after.update(
                    name=name,
                    network_origin="VPC" if params["vpc_id"] else "Internet",
                    policy=None,
                    arn=(current or {}).get("arn"),
                    alias=(current or {}).get("alias"),
                )
                changed = True
                if not module.check_mode:
                    if current is not None:
                        control.delete_access_point(aws_retry=True, AccountId=account_id, Name=name)
                    kwargs = dict(
                        AccountId=account_id,
                        Name=name,
                        Bucket=params["bucket"],
                        PublicAccessBlockConfiguration={BPA[k]: v for k, v in wanted_bpa.items()},
                    )
                    if params["vpc_id"]:
                        kwargs["VpcConfiguration"] = {"VpcId": params["vpc_id"]}
                    control.create_access_point(aws_retry=True, **kwargs)
            if desired_policy is not None and not policies_equal(after.get("policy"), desired_policy):
                changed = True
                after["policy"] = desired_policy
                if not module.check_mode:
                    control.put_access_point_policy(
                        aws_retry=True, AccountId=account_id, Name=name, Policy=dump_policy(desired_policy)
                    )
            elif desired_policy is None and params["purge_policy"] and after.get("policy"):
                changed = True
                after["policy"] = None
                if not module.check_mode:
                    control.delete_access_point_policy(aws_retry=True, AccountId=account_id, Name=name)
            if changed and not module.check_mode:
                after = describe(control, account_id, name)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to manage access point {name}")
    result = dict(changed=changed, access_point=after)
    if module._diff:
        result["diff"] = {"before": current or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_access_point_info
short_description: List S3 access points with their Block Public Access, network origin and policy
version_added: 0.1.0
description:
  - Returns the access points of the account, of one bucket, or the named ones, each with its own Block Public
    Access settings, network origin (VPC or Internet) and policy.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: Only the access points of this bucket.
    type: str
  names:
    description: Only these access points.
    type: list
    elements: str
    aliases: [name]
  account_id:
    description: Account owning the access points; by default the account of the credentials.
    type: str
notes:
  - Needs C(s3:ListAccessPoints), C(s3:GetAccessPoint) and C(s3:GetAccessPointPolicy).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Access points of the bucket under investigation
  cloudsec.s3.s3_access_point_info:
    bucket: acme-customer-exports
  register: points
"""

RETURN = r"""
access_points:
  description: One entry per access point.
  returned: always
  type: list
  elements: dict
  sample:
    - name: forensics
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
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate_tokens
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import describe_access_point as describe
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_account_id
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str"),
        names=dict(type="list", elements="str", aliases=["name"]),
        account_id=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        if params["bucket"]:
            validate_bucket_name(params["bucket"], "bucket")
        if params["account_id"]:
            validate_account_id(params["account_id"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    control = client(module, "s3control")
    try:
        account_id = params["account_id"] or caller_identity(client(module, "sts"))["account_id"]
        filters = {"Bucket": params["bucket"]} if params["bucket"] else {}
        listed = paginate_tokens(control, "list_access_points", "AccessPointList", AccountId=account_id, **filters)
        names = [p["Name"] for p in listed]
        if params["names"] is not None:
            names = [n for n in names if n in set(params["names"])]
        points = [p for p in (describe(control, account_id, n) for n in names) if p is not None]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to list access points")
    module.exit_json(changed=False, access_points=points)


if __name__ == "__main__":
    main()

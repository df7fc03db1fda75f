#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_security_info
short_description: Read the security-relevant configuration of S3 buckets
version_added: 0.1.0
description:
  - Returns, for each named bucket or for every bucket of the account, the configuration that decides who can reach
    its data and what is recorded about it, normalised to snake_case.
  - Covers Block Public Access (bucket and account level), the bucket policy (parsed and as text), the policy status,
    ACL grants (with the public ones singled out), object ownership, default encryption, versioning and MFA delete,
    Object Lock, server access logging, replication, static website hosting, CORS, lifecycle rules, event
    notification targets, tags and access points (with their own Block Public Access and policy).
  - A configuration that is not set is reported as V(null) (or an empty list / dict), never as an error.
  - An error reading one section of one bucket (for example C(AccessDenied) on C(GetBucketReplication)) is reported in
    that bucket's RV(buckets[].errors) and the other sections and buckets are still read.
  - A named bucket that does not exist fails the task with a message naming it.
  - Buckets are read concurrently, O(max_workers) at a time, with retries and backoff on throttling.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  buckets:
    description:
      - Names of the buckets to read.
      - When omitted, every bucket the credentials can list (C(s3:ListAllMyBuckets)) is read.
    type: list
    elements: str
    aliases: [bucket, name, names]
  include:
    description:
      - Sections to read. Reading fewer sections makes fewer API calls.
    type: list
    elements: str
    default: [public_access_block, policy, policy_status, acl, ownership_controls, encryption, versioning, object_lock,
              logging, replication, website, cors, lifecycle, notifications, tags, access_points]
    choices: [public_access_block, policy, policy_status, acl, ownership_controls, encryption, versioning, object_lock,
              logging, replication, website, cors, lifecycle, notifications, tags, access_points]
  include_account:
    description:
      - Also read the account-level Block Public Access settings (S3 Control C(GetPublicAccessBlock)).
    type: bool
    default: true
  ignore_missing:
    description:
      - When V(true), a named bucket that does not exist is reported in RV(missing) instead of failing the task.
    type: bool
    default: false
  max_workers:
    description:
      - How many buckets are read at the same time.
    type: int
    default: 8
notes:
  - Needs read-only permissions only; the exact IAM actions are listed in the collection's C(docs/iam-policies.md).
  - Against a local endpoint (the cloudsec.s3 sandbox, for example) the S3 Control account-id host prefix is stripped
    automatically.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the security configuration of the bucket under investigation
  cloudsec.s3.s3_bucket_security_info:
    buckets: [acme-customer-exports]
  register: victim

- name: Show whether it is public and why
  ansible.builtin.debug:
    msg:
      - "Policy status public: {{ victim.buckets[0].policy_status.is_public | default('unknown') }}"
      - "Block Public Access: {{ victim.buckets[0].public_access_block | default('not set', true) }}"
      - "Public ACL grants: {{ victim.buckets[0].acl.public_grants | length }}"

- name: Inventory every bucket of the account, only the public-access sections
  cloudsec.s3.s3_bucket_security_info:
    include: [public_access_block, policy_status, acl, ownership_controls]
    max_workers: 16
  register: inventory

- name: Against a local sandbox endpoint
  cloudsec.s3.s3_bucket_security_info:
    buckets: acme-customer-exports
    endpoint_url: http://127.0.0.1:5055
    region: us-east-1
"""

RETURN = r"""
account:
  description: Account-level settings.
  returned: always
  type: dict
  contains:
    account_id:
      description: The account the credentials belong to.
      type: str
      sample: "123456789012"
    public_access_block:
      description: Account-level Block Public Access, V(null) when not set or not read.
      type: dict
      sample:
        block_public_acls: true
        ignore_public_acls: true
        block_public_policy: true
        restrict_public_buckets: true
    error:
      description: Why the account-level settings could not be read, when they could not.
      type: str
      returned: on error
      sample: "AccessDenied: Access Denied"
buckets:
  description: One entry per bucket read, in the order asked for (or as listed by S3).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: acme-customer-exports
    arn:
      description: Bucket ARN.
      type: str
      sample: arn:aws:s3:::acme-customer-exports
    region:
      description: The bucket's region.
      type: str
      sample: us-east-1
    public_access_block:
      description: Bucket-level Block Public Access settings, V(null) when none are set.
      type: dict
      sample:
        block_public_acls: true
        ignore_public_acls: true
        block_public_policy: true
        restrict_public_buckets: true
    policy:
      description: The bucket policy, parsed. V(null) when the bucket has none.
      type: dict
      sample:
        Version: "2012-10-17"
        Statement:
          - {Sid: PublicRead, Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*"}
    policy_text:
      description: The bucket policy exactly as S3 returned it (for evidence).
      type: str
      sample: '{"Version":"2012-10-17","Statement":[]}'
    policy_status:
      description: S3's own verdict on the policy (C(GetBucketPolicyStatus)); V(null) when there is no policy.
      type: dict
      sample: {is_public: true}
    acl:
      description: The bucket ACL. Its C(public_grants) lists the grants to AllUsers or AuthenticatedUsers.
      type: dict
      sample:
        owner: {id: 75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a, display_name: webfile}
        grants: [{grantee: {type: CanonicalUser, id: 75aa57f0...}, permission: FULL_CONTROL}]
        public_grants: []
    ownership_controls:
      description: Object ownership setting (V(BucketOwnerEnforced) means ACLs are disabled), V(null) when not set.
      type: str
      sample: BucketOwnerEnforced
    encryption:
      description: Default encryption rules, V(null) when none.
      type: dict
      sample: {rules: [{sse_algorithm: AES256, kms_master_key_id: null, bucket_key_enabled: false}]}
    versioning:
      description: Versioning state; V(Disabled) means versioning was never enabled.
      type: dict
      sample: {status: Enabled, mfa_delete: Disabled}
    object_lock:
      description: Object Lock state and default retention.
      type: dict
      sample: {enabled: false, default_retention: null}
    logging:
      description: Server access logging target, V(null) when logging is off.
      type: dict
      sample: {target_bucket: acme-access-logs, target_prefix: acme-customer-exports/, target_grants: []}
    replication:
      description: Replication configuration (role and rules), V(null) when none.
      type: dict
      sample: null
    website:
      description: Static website hosting configuration, V(null) when off.
      type: dict
      sample: null
    cors:
      description: CORS rules, V(null) when none.
      type: list
      elements: dict
      sample: [{allowed_methods: [GET], allowed_origins: ["*"]}]
    lifecycle:
      description: Lifecycle rules, V(null) when none.
      type: list
      elements: dict
      sample: null
    notifications:
      description: Event notification targets (SNS, SQS, Lambda) and whether EventBridge delivery is on.
      type: dict
      sample: {targets: [{type: sqs, arn: "arn:aws:sqs:us-east-1:123456789012:uploads", id: new-upload,
               events: ["s3:ObjectCreated:*"]}], eventbridge: false}
    tags:
      description: Bucket tags as a dictionary.
      type: dict
      sample: {owner: data-platform}
    access_points:
      description: Access points of the bucket with their network origin, Block Public Access and policy.
      type: list
      elements: dict
      sample: [{name: forensics, arn: "arn:aws:s3:us-east-1:123456789012:accesspoint/forensics", network_origin: VPC,
                vpc_id: vpc-0abc, public_access_block: {block_public_acls: true, ignore_public_acls: true,
                block_public_policy: true, restrict_public_buckets: true}, policy: null}]
    errors:
      description: Sections that could not be read, with the AWS error. Empty when everything was read.
      type: dict
      sample: {replication: "AccessDenied: Access Denied"}
missing:
  description: Named buckets that do not exist (only with O(ignore_missing=true)).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import SECTIONS
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import account_public_access_block
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_buckets
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import list_buckets
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_names


def main() -> None:
    argument_spec = dict(
        buckets=dict(type="list", elements="str", aliases=["bucket", "name", "names"]),
        include=dict(type="list", elements="str", default=list(SECTIONS), choices=list(SECTIONS)),
        include_account=dict(type="bool", default=True),
        ignore_missing=dict(type="bool", default=False),
        max_workers=dict(type="int", default=8),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["max_workers"] < 1:
        module.fail_json(msg=f"max_workers must be at least 1, got {params['max_workers']}")
    try:
        names = validate_bucket_names(params["buckets"]) if params["buckets"] is not None else None
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    s3 = client(module, "s3")
    sts = client(module, "sts")
    try:
        account_id = caller_identity(sts)["account_id"]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to identify the caller (sts:GetCallerIdentity)")

    needs_control = params["include_account"] or "access_points" in params["include"]
    s3control = client(module, "s3control") if needs_control else None

    account: dict = {"account_id": account_id, "public_access_block": None}
    if params["include_account"]:
        settings, error = account_public_access_block(s3control, account_id)
        account["public_access_block"] = settings
        if error:
            account["error"] = error

    try:
        if names is None:
            names = [b["name"] for b in list_buckets(s3)]
        buckets, missing = gather_buckets(
            s3,
            names,
            s3control=s3control,
            account_id=account_id,
            sections=tuple(params["include"]),
            max_workers=params["max_workers"],
            missing_ok=params["ignore_missing"],
        )
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to list buckets (s3:ListAllMyBuckets)")

    module.exit_json(changed=False, account=account, buckets=buckets, missing=sorted(missing))


if __name__ == "__main__":
    main()

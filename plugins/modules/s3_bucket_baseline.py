#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_baseline
short_description: Audit or enforce the S3 hardening baseline on many buckets in one task
version_added: 0.1.0
description:
  - Checks every enabled control of the cloudsec.s3 hardening baseline on each bucket and, outside check mode, fixes
    the ones that drifted. Reads come first; a write is made only for a control that is not compliant.
  - Buckets are processed in parallel threads (O(max_workers) at a time) with retries and backoff on throttling, so
    a thousand buckets are one task, not a thousand.
  - In check mode nothing is written; the result is the drift report (status V(would_change)).
  - Controls (see the collection's C(docs/baseline-controls.md) for the FSBP / CIS ids) - V(public_access_block),
    V(ownership_controls) (ACLs disabled), V(encryption), V(versioning), the bucket-policy statements
    V(policy_tls_only), V(policy_min_tls_version), V(policy_sigv4_only), V(policy_signature_age),
    V(policy_vpce_only), V(policy_org_only), V(policy_access_point_delegation), V(logging), V(data_events)
    (CloudTrail advanced event selectors), V(lifecycle_noncurrent), and the report-only audits V(access_points)
    and V(iam_wildcard_s3).
  - Policy statements are merged by C(Sid); the owner's other statements are never touched, and statements whose
    C(Sid) starts with C(CloudsecQuarantine) (containment) are never written or removed.
  - Exceptions exempt named controls of named buckets with a reason, from the O(exceptions) variable or from the
    bucket tag O(exception_tag).
  - One failing bucket (missing, access denied on one control, a rejected write) is reported in its entry; the
    other buckets and controls are still processed.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  buckets:
    description:
      - Names of the buckets to put on the baseline.
      - Mutually exclusive with O(bucket_pattern). When both are omitted, every bucket of the account is processed.
    type: list
    elements: str
    aliases: [bucket, names]
  bucket_pattern:
    description:
      - A shell glob (V(acme-*)) matched against the names of every bucket of the account.
      - A pattern that matches no bucket fails the task, saying so.
    type: str
  controls:
    description:
      - The controls to check. By default every control whose settings are given (the policy statements, logging,
        data events and lifecycle need their options) plus V(public_access_block), V(ownership_controls),
        V(encryption), V(versioning), V(access_points) and V(iam_wildcard_s3).
    type: list
    elements: str
  kms_key_id:
    description:
      - ARN of the KMS key (or alias ARN) for SSE-KMS default encryption, with S3 bucket keys.
      - When omitted, any default encryption is compliant and buckets without one get SSE-S3 (AES256).
    type: str
  logging_target_bucket:
    description:
      - Bucket receiving server access logs. Enables the V(logging) control. It must exist and allow
        C(logging.s3.amazonaws.com) to write; a missing target fails the task before any change.
      - A bucket that already logs somewhere is compliant and its target is not changed.
    type: str
  logging_target_prefix:
    description: Prefix of the log objects; V({bucket}) is replaced by the bucket name.
    type: str
    default: "{bucket}/"
  cloudtrail_trail:
    description:
      - Name or ARN of the trail that must log S3 data events (read and write) for the buckets. Enables the
        V(data_events) control. Missing buckets are added with one C(PutEventSelectors) to an advanced event
        selector named C(cloudsec-s3-data-events); the trail's other selectors are kept (basic selectors are
        converted to advanced ones).
    type: str
  noncurrent_version_days:
    description:
      - Days after which noncurrent object versions expire. Enables the V(lifecycle_noncurrent) control; the rule
        C(cloudsec-noncurrent-versions) is added next to the bucket's other lifecycle rules.
    type: int
  statements:
    description: The bucket-policy statements to enforce.
    type: dict
    default: {}
    suboptions:
      tls_only:
        description: Deny requests without TLS (C(aws:SecureTransport)).
        type: bool
        default: false
      min_tls_version:
        description: Deny TLS versions older than this (C(s3:TlsVersion)), V(1.2) or V(1.3).
        type: str
      sigv4_only:
        description: Deny requests not signed with SigV4 (C(s3:signatureversion)).
        type: bool
        default: false
      max_signature_age:
        description: Deny signatures (presigned URLs) older than this many seconds (C(s3:signatureAge)).
        type: int
      vpce_ids:
        description: Deny requests not made through these VPC endpoints (C(aws:SourceVpce)).
        type: list
        elements: str
      exempt_principals:
        description:
          - Responder and administrator role or user ARNs exempt from the VPC-endpoint and organization denies
            (C(aws:PrincipalArn)), so the owner is never locked out. Required with O(statements.vpce_ids).
        type: list
        elements: str
      org_id:
        description: Deny principals outside this AWS Organization (C(aws:PrincipalOrgID)).
        type: str
      access_point_delegation:
        description: Allow requests made through the account's access points (C(s3:DataAccessPointAccount)).
        type: bool
        default: false
  overwrite_conflicts:
    description:
      - When a bucket policy already has a statement with one of the baseline's Sids but different content, replace
        it. By default it is left alone and the control is reported V(non_compliant).
    type: bool
    default: false
  exceptions:
    description:
      - Controls exempted on purpose. Each item has C(bucket) (a name or glob), C(controls) (a list, or V(all);
        default all) and a mandatory C(reason).
    type: list
    elements: dict
    default: []
  exception_tag:
    description:
      - Bucket tag whose value exempts controls. The value is the name of an O(exception_profiles) entry, or control
        names separated by spaces, V(+) or V(/). An empty string disables tag exceptions.
    type: str
    default: "cloudsec:baseline-exception"
  exception_profiles:
    description:
      - "Named sets of exempted controls for the exception tag, as C({name: {controls: [...], reason: ...}})."
      - The built-in profile V(public-website) exempts V(public_access_block), V(policy_tls_only),
        V(policy_sigv4_only), V(policy_vpce_only) and V(policy_org_only).
    type: dict
    default: {}
  max_workers:
    description: How many buckets are processed at the same time.
    type: int
    default: 16
notes:
  - The IAM actions needed for audit and for enforcement are listed in the collection's C(docs/iam-policies.md).
  - Access points cannot change their Block Public Access after creation, so the V(access_points) control only
    reports; recreate them with M(cloudsec.s3.s3_access_point).
  - Status V(non_compliant) is used by the report-only controls and for a policy Sid conflict left alone.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Report baseline drift on every bucket of the account (no change)
  cloudsec.s3.s3_bucket_baseline:
    statements:
      tls_only: true
      sigv4_only: true
  check_mode: true
  register: drift

- name: Enforce the baseline on the acme buckets, with one intentional public website
  cloudsec.s3.s3_bucket_baseline:
    bucket_pattern: "acme-*"
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    logging_target_bucket: acme-access-logs
    cloudtrail_trail: org-trail
    noncurrent_version_days: 90
    statements:
      tls_only: true
      min_tls_version: "1.2"
      sigv4_only: true
      max_signature_age: 600
    exceptions:
      - bucket: acme-www
        controls: [public_access_block, policy_tls_only, policy_sigv4_only]
        reason: public static website behind the S3 website endpoint
"""

RETURN = r"""
buckets:
  description: One entry per bucket, in the order processed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: acme-customer-exports
    controls:
      description:
        - Control name to its outcome. C(status) is V(compliant), V(changed), V(would_change) (check mode),
          V(excepted) (C(detail) gives the reason), V(non_compliant) (report-only controls, Sid conflicts) or
          V(failed) (C(detail) gives the error). C(fsbp) and C(cis) are the AWS Foundational Security Best Practices
          and CIS AWS Foundations Benchmark v3.0 ids (V(null) when the control has none). C(before) and C(after)
          are given for V(changed) and V(would_change).
      type: dict
      sample:
        versioning: {status: changed, fsbp: S3.14, cis: null, detail: "versioning enabled (was Suspended)",
                     before: Suspended, after: Enabled}
        public_access_block: {status: excepted, fsbp: S3.8, cis: 2.1.4,
                              detail: "tag cloudsec:baseline-exception=public-website: public static website"}
    error:
      description: Why the bucket could not be processed at all (for example it does not exist).
      type: str
      returned: on error
      sample: Bucket acme-old does not exist
    warnings:
      description: Problems that did not stop the bucket (an exception tag naming an unknown control).
      type: list
      elements: str
      returned: when there are some
account:
  description: Account-wide results.
  returned: always
  type: dict
  contains:
    account_id:
      description: The account of the credentials.
      type: str
      sample: "123456789012"
    iam_wildcard_s3:
      description: IAM user and role policies that allow every S3 action, with the resources they cover.
      type: list
      elements: dict
      returned: when the iam_wildcard_s3 control is enabled
      sample: [{principal: "arn:aws:iam::123456789012:user/ci", type: user, policy: ci-inline, policy_type: inline,
                resources: ["*"]}]
    data_events:
      description: The trail and the buckets added (or that would be added) to its data-event selector.
      type: dict
      returned: always
      sample: {trail: org-trail, added_buckets: [acme-customer-exports]}
summary:
  description: Counts of statuses over all controls and per control, and which buckets are fully compliant.
  returned: always
  type: dict
  sample: {buckets: 2, compliant_buckets: 1, failed_buckets: [], statuses: {compliant: 9, changed: 3}, controls: {}}
catalogue:
  description: Every control with its title, FSBP id, CIS id and whether it is report-only.
  returned: always
  type: list
  elements: dict
  sample: [{name: versioning, title: Versioning enabled, fsbp: S3.14, cis: null, report_only: false}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import DEFAULT_EXCEPTION_PROFILES
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import Clients
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import Settings
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import control_catalogue
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import run_baseline
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import select_buckets
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline import validate_settings
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import list_buckets
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_names

try:
    import botocore.config
except ImportError:
    pass  # AnsibleAWSModule reports missing botocore


def _settings(params: dict) -> Settings:
    profiles = dict(DEFAULT_EXCEPTION_PROFILES)
    profiles.update(params["exception_profiles"] or {})
    statements = {k: v for k, v in (params["statements"] or {}).items() if v not in (None, False, [])}
    return Settings(
        controls=params["controls"],
        kms_key_id=params["kms_key_id"],
        logging_target_bucket=params["logging_target_bucket"],
        logging_target_prefix=params["logging_target_prefix"],
        trail_name=params["cloudtrail_trail"],
        noncurrent_version_days=params["noncurrent_version_days"],
        statements=statements,
        overwrite_conflicts=params["overwrite_conflicts"],
        exceptions=params["exceptions"] or [],
        exception_tag=params["exception_tag"] or None,
        exception_profiles=profiles,
        max_workers=params["max_workers"],
    )


def _diff(result: dict) -> dict:
    before: dict = {}
    after: dict = {}
    for entry in result["buckets"]:
        for name, control in entry["controls"].items():
            if "before" in control:
                before.setdefault(entry["name"], {})[name] = control["before"]
                after.setdefault(entry["name"], {})[name] = control["after"]
    return {"before": before, "after": after}


def main() -> None:
    statement_options = dict(
        tls_only=dict(type="bool", default=False),
        min_tls_version=dict(type="str"),
        sigv4_only=dict(type="bool", default=False),
        max_signature_age=dict(type="int"),
        vpce_ids=dict(type="list", elements="str"),
        exempt_principals=dict(type="list", elements="str"),
        org_id=dict(type="str"),
        access_point_delegation=dict(type="bool", default=False),
    )
    argument_spec = dict(
        buckets=dict(type="list", elements="str", aliases=["bucket", "names"]),
        bucket_pattern=dict(type="str"),
        controls=dict(type="list", elements="str"),
        kms_key_id=dict(type="str"),
        logging_target_bucket=dict(type="str"),
        logging_target_prefix=dict(type="str", default="{bucket}/"),
        cloudtrail_trail=dict(type="str"),
        noncurrent_version_days=dict(type="int"),
        statements=dict(type="dict", default={}, options=statement_options),
        overwrite_conflicts=dict(type="bool", default=False),
        exceptions=dict(type="list", elements="dict", default=[]),
        exception_tag=dict(type="str", default="cloudsec:baseline-exception"),
        exception_profiles=dict(type="dict", default={}),
        max_workers=dict(type="int", default=16),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("buckets", "bucket_pattern")],
    )
    params = module.params
    settings = _settings(params)
    try:
        validate_settings(settings)
        names = validate_bucket_names(params["buckets"]) if params["buckets"] is not None else None
        if settings.logging_target_bucket:
            validate_bucket_names([settings.logging_target_bucket], "logging_target_bucket")
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    pool = botocore.config.Config(max_pool_connections=max(10, settings.max_workers * 2))
    s3 = client(module, "s3", config=pool)
    try:
        account_id = caller_identity(client(module, "sts"))["account_id"]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to identify the caller (sts:GetCallerIdentity)")
    enabled = settings.enabled_controls()
    clients = Clients(
        s3=s3,
        s3control=client(module, "s3control") if "access_points" in enabled else None,
        iam=client(module, "iam") if "iam_wildcard_s3" in enabled else None,
        cloudtrail=client(module, "cloudtrail") if "data_events" in enabled else None,
        account_id=account_id,
    )
    try:
        if names is None:
            everything = [b["name"] for b in list_buckets(s3)]
            names = select_buckets(everything, params["bucket_pattern"]) if params["bucket_pattern"] else everything
        result = run_baseline(clients, names, settings, check_mode=module.check_mode)
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to run the S3 baseline")
    result["catalogue"] = control_catalogue()
    if module._diff:
        result["diff"] = _diff(result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

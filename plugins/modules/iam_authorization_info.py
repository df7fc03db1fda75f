#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_authorization_info
short_description: Say whether a principal was allowed to make its calls on a bucket, by what, and if it was meant to
version_added: 0.1.0
description:
  - Resolves the principal (as M(cloudsec.s3.iam_principal_info) does) and reads the bucket's policy, ACL, object
    ownership, tags and Block Public Access (bucket and account level).
  - Evaluates every call with the collection's policy engine, following AWS's evaluation logic (explicit deny, then
    allows; same-account and cross-account rules; permissions boundaries; Block Public Access), and names the
    statements that decided it (policy name, Sid, index).
  - Cross-checks the identity side with IAM C(SimulatePrincipalPolicy) when it is available and reports every
    disagreement instead of hiding it; when the API errors or is missing, the C(status) of RV(simulation) is
    V(unavailable).
  - Compares the allowed calls with the expected access (from O(expected_access) or from the bucket's tags) and gives
    each call a verdict, V(authorized), V(allowed_but_unexpected), V(allowed_intent_unknown) or V(unauthorized).
  - Lists the excessive permissions of the principal on the bucket (admin policies, wildcard S3 actions, wildcard
    resources, public or cross-account grants, grants beyond the expected access), each with the policy and
    statement to fix, and the least-privilege statement covering the expected access.
  - A principal that does not exist (any more) is reported (C(exists=false) in RV(principal)), not a failure.
    Principals of another account are evaluated on the resource side; their own account's identity policies cannot
    be read and are assumed to allow.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  principal:
    description:
      - The caller, as an IAM user / role / assumed-role session ARN, an access key id, a user name or V(anonymous).
    type: str
    required: true
  bucket:
    description:
      - The bucket the calls were made on.
    type: str
    required: true
  bucket_account_id:
    description:
      - The account owning the bucket. Defaults to the account of the credentials in use.
    type: str
  calls:
    description:
      - The observed calls. C(action) is an IAM action (V(s3:GetObject)) or a CloudTrail event name (V(ListObjects),
        V(HeadObject), V(DeleteBucketPublicAccessBlock) are mapped to their IAM actions).
      - C(resource) is an ARN, an object key, or omitted (the bucket, or every object for object actions).
      - C(context) holds condition keys as AWS names them (V(aws:SourceIp), V(aws:SecureTransport),
        V(aws:SourceVpce), V(s3:signatureAge) ...). C(source_ips) with one address and C(vpc_endpoint_id) fill
        V(aws:SourceIp) and V(aws:SourceVpce) when the context lacks them.
      - C(count), C(error_count), C(first_seen), C(last_seen) are passed through, and an observed outcome that
        contradicts the decision is noted.
    type: list
    elements: dict
    default: []
  expected_access:
    description:
      - Who is meant to do what on the bucket, a list of C(principal) (ARN, fnmatch pattern over ARNs, short form
        V(role/NAME), V(user/NAME), V(account/ID), V(anonymous) or V(*)), C(actions) (IAM action patterns) and
        optional C(resources) (ARN patterns or object-key prefixes such as V(reports/*)).
      - When omitted, it is read from the bucket tag O(expected_access_tag) (see O(use_bucket_tags)).
    type: list
    elements: dict
  use_bucket_tags:
    description:
      - Read the expected access from the bucket's tags when O(expected_access) is not given.
      - "Tag format: entries separated by spaces, each C(PRINCIPAL=ACTION+ACTION[@KEYPREFIX]), for example
        C(role/app-reporting=s3:GetObject+s3:ListBucket role/app-analytics=s3:GetObject@reports/). More entries go
        to C(<tag>-2), C(<tag>-3) ... A JSON list in the variable's format is accepted too."
    type: bool
    default: true
  expected_access_tag:
    description:
      - The tag key holding the expected access.
    type: str
    default: cloudsec:expected-access
  simulate:
    description:
      - Cross-check with IAM C(SimulatePrincipalPolicy) (identity policies only, as the API evaluates them).
    type: bool
    default: true
notes:
  - Needs read-only permissions only; the exact IAM actions are listed in the collection's C(docs/iam-policies.md).
  - "Without any expected access for the bucket, an allowed call of a same-account IAM principal is
    V(allowed_intent_unknown) with C(expected: null): the policies allow it, but nothing says whether it was meant.
    Declare the expected access (O(expected_access) or the bucket tag O(expected_access_tag)) to turn it into
    V(authorized) or V(allowed_but_unexpected). Anonymous, public and cross-account access is never assumed to be
    intended and is V(allowed_but_unexpected)."
  - Not modelled by the engine (so not in the decisions) are SCPs, RCPs, VPC endpoint policies and KMS key policies.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Was the leaked key allowed to rewrite the bucket policy, and by what?
  cloudsec.s3.iam_authorization_info:
    principal: arn:aws:iam::123456789012:user/svc-legacy-backup
    bucket: acme-customer-exports
    calls:
      - {action: PutBucketPolicy}
      - {action: GetObject, resource: exports/customers/customers-2026-11-28.csv,
         context: {"aws:SourceIp": 203.0.113.66, "aws:SecureTransport": true}}
    expected_access:
      - {principal: role/app-reporting, actions: [s3:GetObject, s3:ListBucket, s3:GetBucketLocation]}
      - {principal: role/app-ingest, actions: [s3:PutObject], resources: ["exports/*"]}
  register: authz

- name: Which statement let anonymous downloads through?
  cloudsec.s3.iam_authorization_info:
    principal: anonymous
    bucket: acme-customer-exports
    calls: [{action: GetObject, resource: exports/orders/orders-2026-11-28.json}]
  register: anon

- name: Show the deciding statement
  ansible.builtin.debug:
    msg: "{{ anon.calls[0].deciding_statements | map(attribute='sid') | list }}"
"""

RETURN = r"""
principal:
  description: Who was evaluated; C(label) is the ARN, or the input when there is none (V(anonymous)).
  returned: always
  type: dict
  sample: {label: "arn:aws:iam::123456789012:user/svc-legacy-backup", input: svc-legacy-backup,
           arn: "arn:aws:iam::123456789012:user/svc-legacy-backup", type: user,
           name: svc-legacy-backup, account_id: "123456789012", exists: true, cross_account: false, role_arn: null}
bucket:
  description: The bucket name.
  returned: always
  type: str
  sample: acme-customer-exports
verdict:
  description: >-
    The principal's verdict: V(allowed_but_unexpected) when any allowed call was not expected; otherwise
    V(allowed_intent_unknown) when an allowed call's intent is unknown (no expected access declared for the
    bucket); otherwise V(authorized) when something was allowed and all of it expected; V(unauthorized) when
    nothing it did was allowed; V(null) with no calls.
  returned: always
  type: str
  choices: [allowed_but_unexpected, allowed_intent_unknown, authorized, unauthorized]
  sample: allowed_but_unexpected
flagged:
  description: Whether the principal needs attention (an unexpected allowed call, or excessive permissions).
  returned: always
  type: bool
  sample: true
calls:
  description: One entry per input call, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The action as given.
      type: str
      sample: ListObjects
    iam_action:
      description: The IAM action evaluated.
      type: str
      sample: s3:ListBucket
    resource:
      description: The resource ARN evaluated.
      type: str
      sample: arn:aws:s3:::acme-customer-exports
    decision:
      description: V(allowed), V(implicit_deny) or V(explicit_deny).
      type: str
      sample: allowed
    reason:
      description: Why, in one sentence.
      type: str
      sample: the resource-based policy or ACL grants this caller
    deciding_statements:
      description: The statements (or ACL grants) that decided it.
      type: list
      elements: dict
      sample: [{policy_name: bucket policy of acme-customer-exports, policy_type: bucket-policy, sid: PublicRead,
                index: 1}]
    expected:
      description: Whether expected access covers the call; V(null) when no expected access is known.
      type: bool
      sample: false
    verdict:
      description: >-
        V(authorized) (allowed and expected), V(allowed_but_unexpected) (allowed, expected access does not cover
        it), V(allowed_intent_unknown) (allowed, no expected access declared) or V(unauthorized) (not allowed).
      type: str
      choices: [authorized, allowed_but_unexpected, allowed_intent_unknown, unauthorized]
      sample: allowed_but_unexpected
    excessive_permissions:
      description: The excessive-permission entries among the deciding statements (short form, with the fix).
      type: list
      elements: dict
      sample: [{policy_name: LegacyBackupS3FullAccess, policy_type: user-managed, sid: LegacyBackupAllS3, index: 0,
                reasons: [wildcard_action, wildcard_resource], fix: "Detach customer-managed policy ..."}]
    simulation:
      description: SimulatePrincipalPolicy's answer for this call and the engine's identity-only decision.
      type: dict
      sample: {decision: allowed, matched_statements: [{source_policy_id: LegacyBackupS3FullAccess,
               source_policy_type: user-managed}], missing_context_values: [], engine_identity_decision: allowed}
    observed:
      description: The observation passed in (C(count), C(error_count) ...) and its C(outcome).
      type: dict
      sample: {count: 61, error_count: 0, outcome: succeeded}
    notes:
      description: Contradictions between the decision and the observation.
      type: list
      elements: str
      sample: []
    warnings:
      description: Engine warnings (unsupported condition operators, counted in the safe direction).
      type: list
      elements: str
      sample: []
call_verdicts:
  description: How many calls got each verdict.
  returned: always
  type: dict
  sample: {authorized: 0, unauthorized: 0, allowed_but_unexpected: 2, allowed_intent_unknown: 0}
excessive_permissions:
  description: >-
    Statements giving the principal more on the bucket than it should have. C(reasons) among V(admin_policy),
    V(wildcard_action), V(wildcard_resource), V(beyond_expected), V(public_grant), V(cross_account_grant).
  returned: always
  type: list
  elements: dict
  sample:
    - source: identity
      policy_name: LegacyBackupS3FullAccess
      policy_type: user-managed
      policy_arn: arn:aws:iam::123456789012:policy/LegacyBackupS3FullAccess
      attached_to: user svc-legacy-backup
      sid: LegacyBackupAllS3
      index: 0
      statement: {Sid: LegacyBackupAllS3, Effect: Allow, Action: ["s3:*"], Resource: ["*"]}
      reasons: [wildcard_action, wildcard_resource, beyond_expected]
      actions_on_bucket: ["s3:GetObject", "s3:PutBucketPolicy"]
      actions_beyond_expected: ["s3:GetObject", "s3:PutBucketPolicy"]
      fix: {action: detach_policy, target: user svc-legacy-backup, policy_name: LegacyBackupS3FullAccess,
            policy_arn: "arn:aws:iam::123456789012:policy/LegacyBackupS3FullAccess",
            statement: "statement 'LegacyBackupAllS3'", text: "Detach customer-managed policy ..."}
least_privilege_statement:
  description: >-
    One Allow statement granting exactly the expected access of the principal on the bucket (identity-policy form;
    bucket-policy form with C(Principal) for anonymous callers); V(null) when no access is expected.
  returned: always
  type: dict
  sample: {Sid: CloudsecLeastPrivilegeAppReporting, Effect: Allow, Action: ["s3:GetObject", "s3:ListBucket"],
           Resource: ["arn:aws:s3:::acme-customer-exports", "arn:aws:s3:::acme-customer-exports/*"]}
remediation:
  description: What to change, in order, as sentences.
  returned: always
  type: list
  elements: str
  sample: ["Detach customer-managed policy LegacyBackupS3FullAccess (...) from user svc-legacy-backup; ..."]
expected_access:
  description: Where expected access came from (V(variable), V(tag), V(none)), the entries naming this principal, and
    whether any expected access is known at all.
  returned: always
  type: dict
  sample: {source: variable, entries: [], known: true}
simulation:
  description: >-
    C(status) V(available), V(unavailable) (the API failed or is missing; C(reason) says why) or V(not_applicable)
    (anonymous, another account, a principal that does not exist, or O(simulate=false)); C(disagreements) lists
    every call where SimulatePrincipalPolicy and the engine's identity-side decision differ.
  returned: always
  type: dict
  sample: {status: available, reason: null, disagreements: []}
public_access:
  description: Whether the bucket is public and through what (policy statements, ACL grants), after Block Public Access.
  returned: always
  type: dict
  sample: {is_public: true, public_without_block: true, neutralised: false, paths: [], block_public_access: {}}
principal_details:
  description: The resolved principal as M(cloudsec.s3.iam_principal_info) returns it.
  returned: always
  type: dict
  sample: {type: user, exists: true, policies: []}
engine_warnings:
  description: Engine warnings over all calls (also shown as task warnings).
  returned: always
  type: list
  elements: str
  sample: ["policy 'x': unsupported condition operator 'StringFancy' (counted as not matching for Allow)"]
bucket_errors:
  description: Bucket settings that could not be read (they are then missing from the evaluation), with the error.
  returned: always
  type: dict
  sample: {}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import AuthorizationError
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import acl_from_snake
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import analyse_principal
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import bpa_from_snake
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import parse_expected_access
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import parse_expected_access_tags
from ansible_collections.cloudsec.s3.plugins.module_utils.authorization import prepare_calls
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import PrincipalInputError
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import classify
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import resolve_principal
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import simulate
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import simulation_source_arn
from ansible_collections.cloudsec.s3.plugins.module_utils.policy_eval import bucket_public_access
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import account_public_access_block
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_bucket
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_account_id
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

BUCKET_SECTIONS = ("public_access_block", "policy", "acl", "ownership_controls", "tags")


def _public_access(info: dict, account_bpa: dict | None, bucket: str) -> dict:
    acl = acl_from_snake(info.get("acl"))
    return bucket_public_access(
        info.get("policy"),
        acl,
        bpa_from_snake(info.get("public_access_block")),
        bpa_from_snake(account_bpa),
        object_ownership=info.get("ownership_controls"),
        bucket_name=bucket,
    ).as_dict()


def main() -> None:
    argument_spec = dict(
        principal=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        bucket_account_id=dict(type="str"),
        calls=dict(type="list", elements="dict", default=[]),
        expected_access=dict(type="list", elements="dict"),
        use_bucket_tags=dict(type="bool", default=True),
        expected_access_tag=dict(type="str", default="cloudsec:expected-access"),
        simulate=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    bucket = params["bucket"]
    try:
        validate_bucket_name(bucket)
        if params["bucket_account_id"]:
            validate_account_id(params["bucket_account_id"], "bucket_account_id")
        classify(params["principal"], None)
        calls = prepare_calls(params["calls"], bucket)
    except PrincipalInputError as exc:
        module.fail_json(msg=f"Invalid principal: {exc}")
    except (AuthorizationError, ValueError) as exc:
        module.fail_json(msg=str(exc))

    try:
        own_account = caller_identity(client(module, "sts"))["account_id"]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to identify the caller (sts:GetCallerIdentity)")
    account_id = params["bucket_account_id"] or own_account
    try:
        expected = (
            parse_expected_access(params["expected_access"], bucket=bucket, account_id=account_id)
            if params["expected_access"] is not None
            else None
        )
    except AuthorizationError as exc:
        module.fail_json(msg=str(exc))

    iam = client(module, "iam")
    s3 = client(module, "s3")
    s3control = client(module, "s3control")
    try:
        info = gather_bucket(s3, bucket, sections=BUCKET_SECTIONS)
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read the configuration of bucket {bucket}")
    account_bpa, account_error = account_public_access_block(s3control, account_id)

    source = "variable"
    if expected is None:
        expected, source = [], "none"
        if params["use_bucket_tags"]:
            try:
                expected = parse_expected_access_tags(
                    info.get("tags"), bucket=bucket, account_id=account_id, tag_key=params["expected_access_tag"]
                )
            except AuthorizationError as exc:
                module.fail_json(msg=str(exc))
            source = "tag" if expected else "none"

    try:
        resolved = resolve_principal(iam, params["principal"], account_id=own_account)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read IAM principal {params['principal']}")

    simulation = {"status": "not_applicable", "reason": "simulate is false"}
    if params["simulate"]:
        source_arn = simulation_source_arn(resolved)
        if source_arn is None:
            simulation["reason"] = "SimulatePrincipalPolicy evaluates existing users and roles of this account only"
        elif calls:
            simulation = simulate(iam, source_arn, [(c.iam_action, c.resource) for c in calls])
        else:
            simulation["reason"] = "no calls to simulate"

    try:
        result = analyse_principal(
            resolved,
            info,
            calls,
            expected,
            expected_source=source,
            bucket_account_id=account_id,
            account_block_public_access=account_bpa,
            simulation=simulation,
        )
        public_access = _public_access(info, account_bpa, bucket)
    except (AuthorizationError, ValueError) as exc:
        module.fail_json(msg=f"Cannot evaluate {params['principal']} on {bucket}: {exc}")
    warnings = result.pop("warnings")
    for text in warnings:
        module.warn(text)
    errors = dict(info.get("errors") or {})
    if account_error:
        errors["account_public_access_block"] = account_error
    module.exit_json(
        changed=False,
        public_access=public_access,
        principal_details=resolved,
        bucket_errors=errors,
        engine_warnings=warnings,
        **result,
    )


if __name__ == "__main__":
    main()

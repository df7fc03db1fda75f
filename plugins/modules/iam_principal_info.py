#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_principal_info
short_description: Resolve IAM principals and read their policies, credentials and last use
version_added: 0.1.0
description:
  - Resolves each principal given as an IAM user or role ARN, an assumed-role session ARN (to its role), an access
    key id (C(GetAccessKeyLastUsed), falling back to listing every user's keys), an IAM user name, the account root,
    a principal of another account, an AWS service principal or V(anonymous).
  - For users returns groups, inline, attached and group policies with their documents (managed policies at their
    default version), the permissions boundary, access keys with status and last use, MFA devices and console access.
  - For roles (and sessions) returns inline and attached policies with documents, the permissions boundary, the trust
    policy and when the role was last used.
  - A principal that does not exist (any more) is reported with RV(principals[].exists=false), not as a failure.
    Principals of another account, the root user, services and anonymous callers are reported as such, with a
    RV(principals[].note); their policies cannot be read from this account.
  - An error reading one part of one principal (for example C(AccessDenied) on C(ListMFADevices)) is recorded in
    RV(principals[].errors) and the rest is still read.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  principals:
    description:
      - The principals to resolve, each an ARN, an access key id, an IAM user name or V(anonymous).
    type: list
    elements: str
    required: true
    aliases: [principal]
notes:
  - Needs read-only IAM permissions; the exact actions are listed in the collection's C(docs/iam-policies.md).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Resolve the key GuardDuty named, and the role session CloudTrail showed
  cloudsec.s3.iam_principal_info:
    principals:
      - AKIAIOSFODNN7EXAMPLE
      - arn:aws:sts::123456789012:assumed-role/app-ingest/acme-invoice-ingest
  register: who

- name: Show the policies of the first one
  ansible.builtin.debug:
    msg: "{{ who.principals[0].policies | map(attribute='name') | list }}"
"""

RETURN = r"""
account_id:
  description: The account of the credentials in use; principals of other accounts are reported as cross-account.
  returned: always
  type: str
  sample: "123456789012"
principals:
  description: One entry per principal asked for, in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    input:
      description: The principal as given.
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    type:
      description: >-
        What it resolved to: V(user), V(role), V(assumed_role), V(root), V(federated_user), V(service),
        V(anonymous), or V(access_key) for a temporary key that IAM cannot map.
      type: str
      sample: user
    resolved_from:
      description: How it was resolved (V(arn), V(user_name), V(access_key (GetAccessKeyLastUsed)) ...).
      type: str
      sample: access_key (GetAccessKeyLastUsed)
    exists:
      description: V(true) when it exists in this account, V(false) when it does not (any more), V(null) when it
        cannot be told from here (another account, anonymous, services).
      type: bool
      sample: true
    arn:
      description: The principal's ARN (for a session, the session ARN).
      type: str
      sample: arn:aws:iam::123456789012:user/svc-legacy-backup
    account_id:
      description: The principal's account.
      type: str
      sample: "123456789012"
    cross_account:
      description: Whether the principal belongs to another account than the credentials in use.
      type: bool
      sample: false
    name:
      description: User name, role name (also for sessions), or V(anonymous) / V(root).
      type: str
      sample: svc-legacy-backup
    id:
      description: The unique id (C(AIDA...) / C(AROA...)).
      type: str
      sample: AIDAEXAMPLE1234567890
    session_name:
      description: For an assumed-role session, the session name.
      type: str
      sample: i-0abc123
    role_arn:
      description: For roles and sessions, the role ARN (with its path).
      type: str
      returned: for roles and sessions
      sample: arn:aws:iam::123456789012:role/app-reporting
    groups:
      description: Groups of a user.
      type: list
      elements: dict
      sample: [{name: ops, arn: "arn:aws:iam::123456789012:group/ops"}]
    policies:
      description: >-
        Identity policies with their documents. C(type) is V(user-inline), V(user-managed), V(group-inline),
        V(group-managed), V(role-inline), V(role-managed) or V(aws-managed); C(attached_via) names the group
        a policy comes from.
      type: list
      elements: dict
      sample:
        - name: LegacyBackupS3FullAccess
          type: user-managed
          arn: arn:aws:iam::123456789012:policy/LegacyBackupS3FullAccess
          attached_via: null
          version_id: v1
          document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
    permissions_boundary:
      description: The permissions boundary (C(arn), C(name), C(version_id), C(document)), V(null) when none.
      type: dict
      sample: null
    access_keys:
      description: Access keys of a user with status and last use.
      type: list
      elements: dict
      sample:
        - access_key_id: AKIAIOSFODNN7EXAMPLE
          status: Active
          create_date: "2019-03-01T10:00:00Z"
          last_used_date: "2026-11-29T16:12:00Z"
          last_used_service: s3
          last_used_region: us-east-1
    mfa_devices:
      description: MFA devices of a user.
      type: list
      elements: dict
      sample: []
    console_access:
      description: Whether a user has a console password (C(GetLoginProfile)); V(null) when unknown.
      type: bool
      sample: false
    trust_policy:
      description: The trust policy of a role (or of a session's role).
      type: dict
      sample: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com},
               Action: "sts:AssumeRole"}]}
    role_last_used:
      description: When and where a role was last used.
      type: dict
      sample: {last_used_date: "2026-11-29T18:00:00Z", region: us-east-1}
    tags:
      description: Tags of the user or role.
      type: dict
      sample: {owner: it-ops}
    note:
      description: Why the principal could not be read fully (another account, anonymous, not found ...).
      type: str
      sample: null
    errors:
      description: Parts that could not be read, with the AWS error.
      type: dict
      sample: {mfa_devices: "AccessDenied: not authorized"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import PrincipalInputError
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import classify
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import resolve_principal


def main() -> None:
    argument_spec = dict(principals=dict(type="list", elements="str", required=True, aliases=["principal"]))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    principals = module.params["principals"]
    if not principals:
        module.fail_json(msg="principals must name at least one principal")
    try:
        for value in principals:
            classify(value, None)
    except PrincipalInputError as exc:
        module.fail_json(msg=f"Invalid principal in principals: {exc}")

    iam = client(module, "iam")
    try:
        account_id = caller_identity(client(module, "sts"))["account_id"]
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg="Failed to identify the caller (sts:GetCallerIdentity)")

    cache: dict = {}
    results = []
    for value in principals:
        try:
            results.append(resolve_principal(iam, value, account_id=account_id, cache=cache))
        except botocore_errors() as exc:
            # reported for this principal; the others are still read
            failed = classify(value, account_id)
            failed.update(
                exists=None,
                note=f"Failed to read IAM principal {value}",
                errors={"principal": describe_client_error(exc)},
            )
            results.append(failed)
    module.exit_json(changed=False, account_id=account_id, principals=results)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_quarantine
short_description: Quarantine an S3 bucket reversibly, without locking out the responders
version_added: 0.1.0
description:
  - With O(state=present), records the bucket's prior policy (exact text), Block Public Access and versioning in
    O(state_store) B(before) changing anything, then enables versioning, merges a C(Deny) statement with the Sid
    C(CloudsecQuarantine<incident_id>) into the bucket policy and turns on all four Block Public Access settings.
  - The quarantine statement denies C(s3:*) on the bucket and its objects to every principal except
    O(responder_principals), the caller's own identity (resolved with STS; for a role session the role ARN) and
    O(service_principals). It uses C(ArnNotLike) on C(aws:PrincipalArn) rather than C(NotPrincipal), because a
    C(NotPrincipal) deny only exempts a role session when its exact session ARN is listed.
  - The owner's other statements are never replaced or reordered. A statement with the same Sid but other content
    (an earlier quarantine of the same incident with other responders) is replaced.
  - Before applying, the new policy is evaluated locally for the caller and every responder; the module refuses to
    apply a policy that would deny any of them.
  - With O(state=absent), puts back exactly what was recorded - the prior policy text (or no policy), the prior
    Block Public Access (or none) - and versioning as far as S3 allows (a bucket that was never versioned cannot
    go back to "never" - it is suspended, and the result says so). When someone changed the policy after the
    quarantine, only the quarantine statement is removed and the result says so.
  - Check mode changes nothing and, with diff, shows the exact policy before and after.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: Name of the bucket to quarantine or release.
    type: str
    required: true
  state:
    description: V(present) quarantines the bucket, V(absent) lifts the quarantine from the recorded state.
    type: str
    choices: [present, absent]
    default: present
  incident_id:
    description:
      - Incident identifier. Names the statement Sid (letters and digits only are kept) and the state record.
    type: str
    required: true
  responder_principals:
    description:
      - ARNs of the IAM roles or users (or C(arn:aws:iam::ACCOUNT:root)) that keep full access to the bucket.
        Wildcards C(*) are allowed. An assumed-role session ARN is turned into its role.
      - Must not be empty unless O(allow_empty_responders=true).
    type: list
    elements: str
    default: []
  allow_empty_responders:
    description:
      - Accept an empty O(responder_principals), leaving only the caller (and O(service_principals)) with access.
    type: bool
    default: false
  service_principals:
    description: AWS service principals that keep access (for example C(logging.s3.amazonaws.com)).
    type: list
    elements: str
    default: []
  state_store:
    description:
      - Where the prior state is recorded and read back - a local directory on the Ansible controller or
        C(s3://bucket/prefix). It must be writable; the module fails before changing anything when it is not.
    type: str
    required: true
notes:
  - IAM actions - C(sts:GetCallerIdentity), C(s3:GetBucketLocation), C(s3:GetBucketPolicy), C(s3:PutBucketPolicy),
    C(s3:DeleteBucketPolicy), C(s3:GetBucketPublicAccessBlock), C(s3:PutBucketPublicAccessBlock),
    C(s3:GetBucketVersioning), C(s3:PutBucketVersioning), and for an S3 state store C(s3:ListBucket),
    C(s3:GetObject), C(s3:PutObject) on it.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Quarantine the compromised bucket, keeping the responder role in
  cloudsec.s3.s3_bucket_quarantine:
    bucket: acme-customer-exports
    incident_id: INC-2026-0042
    responder_principals:
      - arn:aws:iam::123456789012:role/incident-responder
    service_principals: [logging.s3.amazonaws.com]
    state_store: s3://acme-ir-state/cloudsec
  register: quarantine

- name: Lift the quarantine and put back the recorded configuration
  cloudsec.s3.s3_bucket_quarantine:
    bucket: acme-customer-exports
    incident_id: INC-2026-0042
    state: absent
    state_store: s3://acme-ir-state/cloudsec
"""

RETURN = r"""
bucket:
  description: The bucket.
  returned: always
  type: str
  sample: acme-customer-exports
incident_id:
  description: The incident id.
  returned: always
  type: str
  sample: INC-2026-0042
sid:
  description: Sid of the quarantine statement.
  returned: always
  type: str
  sample: CloudsecQuarantineINC20260042
statement:
  description: The quarantine statement (state=present).
  returned: when state=present
  type: dict
  sample: {Sid: CloudsecQuarantineINC20260042, Effect: Deny, Principal: "*", Action: ["s3:*"],
           Resource: ["arn:aws:s3:::acme-customer-exports", "arn:aws:s3:::acme-customer-exports/*"],
           Condition: {ArnNotLike: {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/incident-responder"]}}}
actions:
  description: What was changed (or would be, in check mode), in order, each with how to undo it.
  returned: always
  type: list
  elements: dict
  sample: [{action: put_bucket_policy, detail: "added statement CloudsecQuarantineINC20260042",
            undo: "restore the recorded policy"}]
state_record:
  description: Location of the prior-state record.
  returned: always
  type: str
  sample: s3://acme-ir-state/cloudsec/INC-2026-0042/bucket-acme-customer-exports.json
prior:
  description: The recorded prior state (policy text, Block Public Access, versioning status).
  returned: when a record exists
  type: dict
  sample: {policy_text: '{"Version":"2012-10-17","Statement":[]}', public_access_block: null,
           versioning: {status: Disabled, mfa_delete: Disabled}}
notes:
  description: Things the responder must know (versioning that cannot go back to never-enabled, policy changed since).
  returned: always
  type: list
  elements: str
  sample: ["versioning was never enabled before the quarantine; S3 cannot return to that state, so it is Suspended"]
undo:
  description: The command that lifts this quarantine.
  returned: always
  type: str
  sample: ansible-playbook cloudsec.s3.restore -e bucket=acme-customer-exports -e incident_id=INC-2026-0042
diff:
  description: The bucket's policy, Block Public Access and versioning before and after (with diff mode).
  returned: when diff mode is on
  type: dict
  sample: {before: {policy: null}, after: {policy: {}}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import merge_statements
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import policies_equal
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import lockout_problems
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import quarantine_sid
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import quarantine_statement
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_responders
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_service_principals
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_bucket
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import ACTIVE
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import RESTORED
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import StateStore
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import new_record
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import record_name
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import utc_now_text
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

ALL_BLOCKED = {
    "block_public_acls": True,
    "ignore_public_acls": True,
    "block_public_policy": True,
    "restrict_public_buckets": True,
}
_SECTIONS = ("public_access_block", "policy", "versioning")


def bpa_to_aws(config: dict) -> dict:
    return {
        "BlockPublicAcls": bool(config.get("block_public_acls")),
        "IgnorePublicAcls": bool(config.get("ignore_public_acls")),
        "BlockPublicPolicy": bool(config.get("block_public_policy")),
        "RestrictPublicBuckets": bool(config.get("restrict_public_buckets")),
    }


def read_state(s3, bucket: str) -> dict:
    """Policy text (exact), parsed policy, Block Public Access and versioning of the bucket."""
    info = gather_bucket(s3, bucket, sections=_SECTIONS)
    errors = dict(info.get("errors") or {})
    if "policy" in errors and info.get("policy_text"):
        raise CloudsecError(
            f"The bucket policy of {bucket} is not valid JSON; fix or remove it before quarantining "
            f"({errors['policy']})",
            bucket=bucket,
        )
    if errors:
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
        raise CloudsecError(f"Cannot read the configuration of bucket {bucket}: {detail}", bucket=bucket)
    try:
        parsed = parse_optional_policy(info.get("policy_text"), f"bucket policy of {bucket}")
    except PolicyError as exc:
        raise CloudsecError(f"The bucket policy of {bucket} cannot be used: {exc}", bucket=bucket) from exc
    return {
        "policy_text": info.get("policy_text"),
        "policy": parsed,
        "public_access_block": info.get("public_access_block"),
        "versioning": info.get("versioning") or {"status": "Disabled", "mfa_delete": "Disabled"},
    }


def view(state: dict, policy: dict | None = None) -> dict:
    return {
        "policy": state["policy"] if policy is None else policy,
        "public_access_block": state["public_access_block"],
        "versioning": state["versioning"]["status"],
    }


def undo_command(bucket: str, incident_id: str, store: str) -> str:
    return (
        f"ansible-playbook cloudsec.s3.restore -e bucket={bucket} -e incident_id={incident_id} -e state_store={store}"
    )


def quarantine(module, s3, store: StateStore, params: dict, caller_arn: str, account_id: str) -> dict:
    bucket, incident_id = params["bucket"], params["incident_id"]
    current = read_state(s3, bucket)
    statement = quarantine_statement(
        bucket, incident_id, params["responder_principals"], caller_arn, params["service_principals"]
    )
    sid = statement["Sid"]
    try:
        new_policy, changes = merge_statements(
            current["policy"], [statement], overwrite_conflicts=[sid], name=f"bucket policy of {bucket}"
        )
    except PolicyError as exc:
        raise CloudsecError(f"Cannot merge the quarantine statement into the policy of {bucket}: {exc}") from exc
    problems = lockout_problems(new_policy, bucket, account_id, [caller_arn, *params["responder_principals"]], sid)
    if problems:
        raise CloudsecError(
            "Refusing to apply a quarantine policy that would lock out the caller or a responder: "
            + "; ".join(problems),
            bucket=bucket,
            problems=problems,
        )
    actions = []
    status = current["versioning"]["status"]
    if status != "Enabled":
        back = "Suspended" if status == "Disabled" else status
        actions.append(
            {
                "action": "put_bucket_versioning",
                "detail": f"versioning {status} -> Enabled",
                "undo": f"versioning {back}",
            }
        )
    if changes.changed:
        verb = next(c.action for c in changes)
        actions.append(
            {
                "action": "put_bucket_policy",
                "detail": f"{verb} statement {sid}",
                "undo": "put back the recorded policy" if current["policy_text"] else "delete the bucket policy",
            }
        )
    if current["public_access_block"] != ALL_BLOCKED:
        actions.append(
            {
                "action": "put_public_access_block",
                "detail": "all four Block Public Access settings on",
                "undo": "put back the recorded settings" if current["public_access_block"] else "delete them",
            }
        )
    name = record_name("bucket", bucket)
    record = store.read(incident_id, name)
    result = {
        "bucket": bucket,
        "incident_id": incident_id,
        "sid": sid,
        "statement": statement,
        "actions": actions,
        "state_record": store.url_of(incident_id, name),
        "notes": [],
        "undo": undo_command(bucket, incident_id, store.url),
        "changed": bool(actions),
    }
    if module._diff:  # pylint: disable=protected-access
        after = dict(view(current, new_policy))
        if any(a["action"] == "put_public_access_block" for a in actions):
            after["public_access_block"] = dict(ALL_BLOCKED)
        after["versioning"] = "Enabled"
        result["diff"] = {"before": view(current), "after": after}
    if record is not None and record.get("status") == ACTIVE:
        prior = record["prior"]
    else:
        prior = {
            "policy_text": current["policy_text"],
            "public_access_block": current["public_access_block"],
            "versioning": current["versioning"],
        }
    result["prior"] = prior
    if not actions or module.check_mode:
        return result
    if record is None or record.get("status") != ACTIVE:
        record = new_record("bucket", bucket, incident_id, prior, previous=record)
    record["applied"] = {"sid": sid, "statement": statement, "policy": new_policy, "at": utc_now_text()}
    store.write(incident_id, name, record)  # before any change: a failure here leaves the bucket untouched

    if current["versioning"]["status"] != "Enabled":
        s3.put_bucket_versioning(aws_retry=True, Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if changes.changed:
        s3.put_bucket_policy(aws_retry=True, Bucket=bucket, Policy=dump_policy(new_policy))
    if current["public_access_block"] != ALL_BLOCKED:
        s3.put_public_access_block(
            aws_retry=True, Bucket=bucket, PublicAccessBlockConfiguration=bpa_to_aws(ALL_BLOCKED)
        )
    return result


def release(module, s3, store: StateStore, params: dict) -> dict:
    bucket, incident_id = params["bucket"], params["incident_id"]
    sid = quarantine_sid(incident_id)
    name = record_name("bucket", bucket)
    record = store.read(incident_id, name)
    result = {
        "bucket": bucket,
        "incident_id": incident_id,
        "sid": sid,
        "actions": [],
        "state_record": store.url_of(incident_id, name),
        "notes": [],
        "undo": "",
        "changed": False,
    }
    if record is None:
        result["notes"].append(f"no quarantine of {bucket} is recorded for incident {incident_id}; nothing to restore")
        return result
    prior = record["prior"]
    result["prior"] = prior
    if record.get("status") == RESTORED:
        result["notes"].append(f"the quarantine of {bucket} was already lifted at {record.get('restored_at')}")
        return result
    current = read_state(s3, bucket)
    applied_policy = (record.get("applied") or {}).get("policy")

    # policy: the exact prior text, unless someone changed the policy after the quarantine
    target_text = prior.get("policy_text")
    stripped, _changes = merge_statements(current["policy"], [sid], state="absent")
    applied_stripped = None
    if applied_policy is not None:
        applied_stripped, _unused = merge_statements(applied_policy, [sid], state="absent")
    if applied_policy is not None and not policies_equal(stripped, applied_stripped):
        target_text = dump_policy(stripped) if stripped is not None else None
        result["notes"].append(
            f"the policy of {bucket} was changed after the quarantine; only statement {sid} is removed, the rest "
            "is kept as it is now"
        )
    policy_action = None
    if target_text != current["policy_text"]:
        policy_action = "put_bucket_policy" if target_text else "delete_bucket_policy"
        result["actions"].append({"action": policy_action, "detail": "prior policy text put back"})

    bpa_target = prior.get("public_access_block")
    if bpa_target != current["public_access_block"]:
        verb = "put_public_access_block" if bpa_target else "delete_public_access_block"
        result["actions"].append({"action": verb, "detail": f"Block Public Access back to {bpa_target}"})

    prior_status = (prior.get("versioning") or {}).get("status", "Disabled")
    versioning_target = "Suspended" if prior_status == "Disabled" else prior_status
    if prior_status == "Disabled":
        result["notes"].append(
            f"versioning of {bucket} was never enabled before the quarantine; S3 cannot return a bucket to that "
            "state, so versioning is Suspended (existing versions are kept)"
        )
    if current["versioning"]["status"] != versioning_target:
        result["actions"].append(
            {
                "action": "put_bucket_versioning",
                "detail": f"versioning {current['versioning']['status']} -> {versioning_target}",
            }
        )
    result["changed"] = True  # the record itself moves to "restored"
    if module._diff:  # pylint: disable=protected-access
        after_policy = parse_optional_policy(target_text)
        result["diff"] = {
            "before": view(current),
            "after": {"policy": after_policy, "public_access_block": bpa_target, "versioning": versioning_target},
        }
    if module.check_mode:
        return result
    # Block Public Access first: a prior policy that was public would otherwise be refused by BlockPublicPolicy.
    if bpa_target != current["public_access_block"]:
        if bpa_target:
            s3.put_public_access_block(
                aws_retry=True, Bucket=bucket, PublicAccessBlockConfiguration=bpa_to_aws(bpa_target)
            )
        else:
            s3.delete_public_access_block(aws_retry=True, Bucket=bucket)
    if policy_action == "put_bucket_policy":
        s3.put_bucket_policy(aws_retry=True, Bucket=bucket, Policy=target_text)
    elif policy_action == "delete_bucket_policy":
        s3.delete_bucket_policy(aws_retry=True, Bucket=bucket)
    if current["versioning"]["status"] != versioning_target:
        s3.put_bucket_versioning(aws_retry=True, Bucket=bucket, VersioningConfiguration={"Status": versioning_target})
    record["status"] = RESTORED
    record["restored_at"] = utc_now_text()
    record["restore_notes"] = result["notes"]
    store.write(incident_id, name, record)
    return result


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        incident_id=dict(type="str", required=True),
        responder_principals=dict(type="list", elements="str", default=[]),
        allow_empty_responders=dict(type="bool", default=False),
        service_principals=dict(type="list", elements="str", default=[]),
        state_store=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)
    try:
        validate_bucket_name(params["bucket"])
        validate_incident_id(params["incident_id"])
        params["service_principals"] = validate_service_principals(params["service_principals"])
        if params["state"] == "present":
            params["responder_principals"] = validate_responders(
                params["responder_principals"], allow_empty=params["allow_empty_responders"]
            )
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    s3 = client(module, "s3")
    try:
        store = StateStore(params["state_store"], s3)
        store.check_writable(create=not module.check_mode)
        if params["state"] == "present":
            ident = caller_identity(client(module, "sts"))
            result = quarantine(module, s3, store, params, ident["arn"], ident["account_id"])
            result["caller"] = ident["arn"]
        else:
            result = release(module, s3, store, params)
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        verb = "quarantine" if params["state"] == "present" else "release"
        module.fail_json_aws(exc, msg=f"Failed to {verb} bucket {params['bucket']}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

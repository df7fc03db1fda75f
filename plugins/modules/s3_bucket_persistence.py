#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_persistence
short_description: Remove what an attacker left on a bucket and in IAM, reversibly, and put it back on request
version_added: 0.1.0
description:
  - Sweeps the bucket and IAM exactly as M(cloudsec.s3.s3_bucket_persistence_info) does and, with O(remove),
    removes the chosen kinds of finding (only those marked C(removable)). Every removal is recorded in
    O(state_store) before anything changes, and O(state=restored) puts back exactly what was removed.
  - Bucket - foreign replication rules, notifications to foreign targets, website hosting, CORS rules allowing any
    origin, short-expiry lifecycle rules, and bucket policy statements and ACL grants to foreign accounts or to
    everyone are taken out of the configuration; the rest of each configuration is kept.
  - IAM - access keys created in the window are deactivated (never deleted). Users the suspects created get the
    deny-all inline policy C(CloudsecPersistence<incident_id>), their active keys deactivated and their console login
    profile deleted (the user is never deleted). Managed policies the suspects attached are detached; inline
    policies they put are recorded and deleted; a policy they created is detached from every user, role and group;
    a new default policy version is replaced by the newest version from before the window as default. A role trust
    policy they changed is put back only when its earlier document is known (O(prior_trust_policies) or an earlier
    event of O(timeline)); otherwise the finding carries the command to run by hand.
  - Access points created in the window get a deny-all access point policy (their configuration and policy are
    recorded first); they are deleted only with O(delete_access_points=true), after recording.
  - IAM changes found in O(timeline) or C(LookupEvents) are removable only when O(suspected_principals) is given
    (then only the suspects' changes are listed); access keys created in the window always are.
  - Never acts on the caller's own identity or a O(responder_principals) entry - such removals are listed in
    RV(refused) and skipped.
  - O(state=restored) puts back, for the incident, each removed item that is missing - rules, notifications,
    website, CORS and lifecycle rules, policy statements and ACL grants, key activation, inline and managed policy
    attachments, group membership, default versions, trust policies, access point policies and access points. A
    deleted console login profile is recreated with a new random password that must be changed at first sign-in
    (C(PasswordResetRequired)); the old password cannot be recovered. A second restore changes nothing.
  - Check mode reports what would be removed or restored and changes nothing; with diff, RV(diff) shows each item
    before and after.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  state:
    description:
      - V(swept) sweeps and removes the O(remove) kinds; V(restored) puts back what earlier runs removed for
        O(incident_id).
    type: str
    choices: [swept, restored]
    default: swept
  remove:
    description:
      - Kinds of finding to remove (V(all) for every removable kind). Needs O(incident_id) and O(state_store).
    type: list
    elements: str
    default: []
    choices: [all, replication_foreign_account, notification_foreign_target, website_hosting, cors_any_origin,
              lifecycle_short_expiry, policy_foreign_grant, policy_public_grant, acl_foreign_grant, acl_public_grant,
              iam_access_key_created, iam_user_created, iam_policy_attached, iam_policy_created,
              iam_role_trust_changed, access_point_created]
  delete_access_points:
    description:
      - Delete the access points created in the window (after recording their configuration and policy) instead of
        putting a deny-all policy on them. Restore recreates them with the recorded configuration; their alias and
        ARN-based grants elsewhere may change.
    type: bool
    default: false
  responder_principals:
    description: ARNs that removals must never touch (the responders); wildcards C(*) allowed.
    type: list
    elements: str
    default: []
  restore_login_profile:
    description:
      - With O(state=restored), create a new console login profile for a user whose profile was deleted, with a
        random password and C(PasswordResetRequired). The password is returned in RV(temporary_passwords); register
        the result with C(no_log). With V(false) a note says it was not recreated.
    type: bool
    default: true
  incident_id:
    description: Incident id under which removals are recorded. Required with O(remove) and O(state=restored).
    type: str
  state_store:
    description:
      - Local directory or C(s3://bucket/prefix) where the removed configuration is recorded.
        Required with O(remove) and O(state=restored).
    type: str
notes:
  - IAM actions (sweep) - those of M(cloudsec.s3.s3_bucket_persistence_info).
  - IAM actions (remove, bucket) - C(s3:PutReplicationConfiguration), C(s3:PutBucketNotification),
    C(s3:DeleteBucketWebsite), C(s3:PutBucketCORS), C(s3:PutLifecycleConfiguration), C(s3:PutBucketPolicy),
    C(s3:DeleteBucketPolicy), C(s3:PutBucketAcl).
  - IAM actions (remove, IAM) - C(iam:GetUser), C(iam:GetUserPolicy), C(iam:PutUserPolicy), C(iam:UpdateAccessKey),
    C(iam:GetLoginProfile), C(iam:DeleteLoginProfile), C(iam:ListGroupsForUser), C(iam:RemoveUserFromGroup),
    C(iam:ListAttachedUserPolicies), C(iam:ListAttachedRolePolicies), C(iam:ListAttachedGroupPolicies),
    C(iam:DetachUserPolicy), C(iam:DetachRolePolicy), C(iam:DetachGroupPolicy), C(iam:GetRolePolicy),
    C(iam:GetGroupPolicy), C(iam:DeleteUserPolicy), C(iam:DeleteRolePolicy), C(iam:DeleteGroupPolicy),
    C(iam:GetPolicy), C(iam:ListEntitiesForPolicy), C(iam:ListPolicyVersions), C(iam:SetDefaultPolicyVersion),
    C(iam:GetRole), C(iam:UpdateAssumeRolePolicy).
  - IAM actions (remove, access points) - C(s3:GetAccessPoint), C(s3:GetAccessPointPolicy),
    C(s3:PutAccessPointPolicy), C(s3:DeleteAccessPoint) (with O(delete_access_points)).
  - IAM actions (restore) - the C(Get*) / C(List*) actions above and C(s3:PutReplicationConfiguration),
    C(s3:PutBucketNotification), C(s3:PutBucketWebsite), C(s3:PutBucketCORS), C(s3:PutLifecycleConfiguration),
    C(s3:PutBucketPolicy), C(s3:PutBucketAcl), C(iam:UpdateAccessKey), C(iam:PutUserPolicy),
    C(iam:DeleteUserPolicy), C(iam:CreateLoginProfile), C(iam:AddUserToGroup), C(iam:AttachUserPolicy),
    C(iam:AttachRolePolicy), C(iam:AttachGroupPolicy), C(iam:PutRolePolicy), C(iam:PutGroupPolicy),
    C(iam:SetDefaultPolicyVersion), C(iam:UpdateAssumeRolePolicy), C(s3:PutAccessPointPolicy),
    C(s3:DeleteAccessPointPolicy), C(s3:CreateAccessPoint).
extends_documentation_fragment:
  - cloudsec.s3.persistence_sweep
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Remove foreign replication, public or foreign policy grants and the suspects' IAM changes, recording them
  cloudsec.s3.s3_bucket_persistence:
    bucket: acme-customer-exports
    suspected_principals: "{{ investigate_result.suspected_principals }}"
    timeline: "{{ investigate_result.timeline }}"
    remove: [replication_foreign_account, policy_public_grant, policy_foreign_grant, iam_user_created,
             iam_policy_attached, iam_access_key_created]
    responder_principals: [arn:aws:iam::123456789012:role/incident-responder]
    incident_id: INC-2026-0042
    state_store: s3://acme-ir-state/cloudsec

- name: Put back everything the sweep removed for the incident
  cloudsec.s3.s3_bucket_persistence:
    bucket: acme-customer-exports
    state: restored
    incident_id: INC-2026-0042
    state_store: s3://acme-ir-state/cloudsec
  register: put_back
  no_log: true
"""

RETURN = r"""
findings:
  description: What the sweep found, most severe first (O(state=swept)), as M(cloudsec.s3.s3_bucket_persistence_info)
    returns them, with C(removed=true) on each finding this run removed.
  returned: when state is swept
  type: list
  elements: dict
  sample: [{kind: policy_public_grant, resource: "acme-customer-exports policy statement PublicRead",
            detail: "statement PublicRead allows everyone (Principal *)", severity: high, removable: true,
            removed: true}]
removed:
  description: Findings removed by this run (or that would be, in check mode).
  returned: when state is swept
  type: list
  elements: dict
  sample: [{kind: policy_public_grant, resource: "acme-customer-exports policy statement PublicRead"}]
refused:
  description: Removals skipped because they would act on the caller or a responder.
  returned: when state is swept
  type: list
  elements: dict
  sample: [{kind: iam_policy_attached,
            resource: "role incident-responder policy arn:aws:iam::aws:policy/AdministratorAccess",
            reason: "Refusing to remove ...: it is a responder (arn:aws:iam::123456789012:role/incident-responder)"}]
actions:
  description: Each change made (or that would be made), with the resource it acts on.
  returned: always
  type: list
  elements: dict
  sample: [{action: contain_user, resource: user backdoor},
           {action: reactivate_access_key, resource: "access key AKIA... of backdoor"}]
notes:
  description: Things the responder must know (items that cannot be put back, new console passwords).
  returned: always
  type: list
  elements: str
  sample: ["the console password of backdoor cannot be recovered; a new one-time password was set ..."]
temporary_passwords:
  description: User ARN to the one-time console password of each recreated login profile (O(state=restored)). Secret.
  returned: when state is restored
  type: dict
  sample: {}
state_record:
  description: Where the removals are recorded.
  returned: when something was removed or restored
  type: str
  sample: /var/lib/cloudsec/INC-42/persistence-acme-customer-exports.json
window:
  description: The window used.
  returned: when state is swept
  type: dict
  sample: {start: "2026-11-22T22:46:00Z", end: "2026-11-29T22:46:00Z"}
diff:
  description: Each item before and after, keyed by resource (with diff mode).
  returned: when diff mode is on and something changes
  type: dict
  sample: {before: {"access key AKIA... of backdoor": Active}, after: {"access key AKIA... of backdoor": Inactive}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import REMOVABLE
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import Sweep
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import Target
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import apply_items
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import iso
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import plan_removals
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import restore_items
from ansible_collections.cloudsec.s3.plugins.module_utils.persistence import sweep_argument_spec
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import ACTIVE
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import RESTORED
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import StateStore
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import new_record
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import record_name
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import utc_now_text
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name


def diff_of(items: list[dict]) -> dict:
    return {
        "before": {i["resource"]: i["before"] for i in items},
        "after": {i["resource"]: i["after"] for i in items},
    }


def sweep_and_remove(module, target: Target, store: StateStore | None, sweep: Sweep, params: dict) -> dict:
    sweep.sweep_bucket()
    sweep.sweep_iam()
    items, refused = [], []
    if params["remove"]:
        items, refused = plan_removals(sweep, target, set(params["remove"]), params["delete_access_points"])
    result = {
        "changed": bool(items),
        "findings": sweep.sorted_findings(),
        "removed": [{"kind": f["kind"], "resource": f["resource"]} for f in sweep.findings if f["removed"]],
        "refused": refused,
        "actions": [{"action": i["op"], "resource": i["resource"]} for i in items],
        "notes": [],
        "window": {"start": iso(sweep.start), "end": iso(sweep.end)},
    }
    if not items:
        return result
    name = record_name("persistence", target.bucket)
    incident_id = params["incident_id"]
    result["state_record"] = store.url_of(incident_id, name)
    if module._diff:
        result["diff"] = diff_of(jsonable(items))
    if module.check_mode:
        return result
    previous = store.read(incident_id, name)
    if previous is not None and previous.get("status") == ACTIVE and "items" in previous:
        record = previous
    else:
        record = new_record("persistence", target.bucket, incident_id, jsonable(sweep.raw), previous=previous)
        record["items"] = []
    record["items"].extend(jsonable(items))
    record["applied"] = {"removed": ((record.get("applied") or {}).get("removed") or []) + result["removed"]}
    record["applied"]["at"] = utc_now_text()
    store.write(incident_id, name, record)  # before any change
    apply_items(sweep, target, items)
    return result


def restore(module, target: Target, store: StateStore, params: dict) -> dict:
    incident_id = params["incident_id"]
    name = record_name("persistence", target.bucket)
    result = {"changed": False, "actions": [], "notes": [], "temporary_passwords": {}}
    record = store.read(incident_id, name)
    result["state_record"] = store.url_of(incident_id, name)
    if record is None:
        result["notes"].append(f"no persistence removal of {target.bucket} is recorded for incident {incident_id}")
        return result
    if record.get("status") == RESTORED:
        result["notes"].append(
            f"the persistence removals of {target.bucket} were already put back at {record.get('restored_at')}"
        )
        return result
    if "items" not in record:
        result["notes"].append(
            f"{result['state_record']} was written by an earlier version without per-item records; put back by hand "
            "from its 'prior' section what 'applied.removed' lists"
        )
        return result
    # the policy as recorded here, and as the bucket quarantine of the incident recorded it before containment
    texts = [(record.get("prior") or {}).get("policy_text")]
    quarantine_record = store.read(incident_id, record_name("bucket", target.bucket))
    texts.append(((quarantine_record or {}).get("prior") or {}).get("policy_text"))
    out = restore_items(target, record["items"], module.check_mode, params["restore_login_profile"], texts)
    result.update(out)
    result["changed"] = bool(out["actions"])
    if module._diff and out["actions"]:
        result["diff"] = {
            "before": {a["resource"]: "removed" for a in out["actions"]},
            "after": {a["resource"]: a["action"] for a in out["actions"]},
        }
    if module.check_mode:
        return result
    record["status"] = RESTORED
    record["restored_at"] = utc_now_text()
    record["restore_notes"] = out["notes"]
    store.write(incident_id, name, record)
    return result


def main() -> None:
    argument_spec = sweep_argument_spec()
    argument_spec.update(
        state=dict(type="str", choices=["swept", "restored"], default="swept"),
        remove=dict(type="list", elements="str", default=[], choices=["all", *REMOVABLE]),
        delete_access_points=dict(type="bool", default=False),
        responder_principals=dict(type="list", elements="str", default=[]),
        restore_login_profile=dict(type="bool", default=True, no_log=False),
        incident_id=dict(type="str"),
        state_store=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    needs_store = params["state"] == "restored" or bool(params["remove"])
    try:
        bucket = validate_bucket_name(params["bucket"])
        if needs_store:
            if not params["incident_id"] or not params["state_store"]:
                what = "state=restored" if params["state"] == "restored" else "remove"
                raise ValueError(f"{what} needs incident_id and state_store, where the removals are recorded")
            validate_incident_id(params["incident_id"])
        for responder in params["responder_principals"]:
            if not str(responder).startswith("arn:"):
                raise ValueError(f"Invalid responder_principals entry {responder!r}: expected an ARN")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    s3 = client(module, "s3")
    try:
        store = None
        if needs_store:
            store = StateStore(params["state_store"], s3)
            store.check_writable(create=not module.check_mode)
        caller = caller_identity(client(module, "sts"))
        s3control, iam = client(module, "s3control"), client(module, "iam")
        target = Target(
            s3,
            s3control,
            iam,
            bucket,
            caller["account_id"],
            caller["arn"],
            params["responder_principals"],
            params["incident_id"],
        )
        if params["state"] == "restored":
            result = restore(module, target, store, params)
        else:
            cloudtrail = client(module, "cloudtrail") if params["lookup_events"] else None
            sweep = Sweep(s3, s3control, iam, cloudtrail, bucket, caller["account_id"], params)
            result = sweep_and_remove(module, target, store, sweep, params)
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        verb = "restore the persistence removals of" if params["state"] == "restored" else "sweep"
        module.fail_json_aws(exc, msg=f"Failed to {verb} bucket {params['bucket']}")
    module.exit_json(**jsonable(result))


if __name__ == "__main__":
    main()

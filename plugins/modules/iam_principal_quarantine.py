#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_principal_quarantine
short_description: Contain a suspected IAM user or role reversibly, recording what it changed
version_added: 0.1.0
description:
  - For an IAM B(user) (O(principal) is its ARN, or O(access_key_id) names one of its keys) - deactivates (never
    deletes) the named access key or all its active keys, attaches the inline deny-all policy
    C(CloudsecQuarantine<incident_id>) and removes the console login profile (recording that it existed).
  - For an IAM B(role) (or a role session ARN, which means its role) - attaches the inline policy
    C(CloudsecRevokeSessions<incident_id>) denying everything to sessions issued before O(session_cutoff)
    (the C(aws:TokenIssueTime) technique of the IAM console's "Revoke active sessions"), and with O(deny_all) the
    deny-all inline policy as well. New sessions of the role keep working unless O(deny_all) is set.
  - Refuses to quarantine the caller's own identity or any O(responder_principals) entry.
  - What was there before is recorded in O(state_store) before anything changes, and a second run keeps the first
    record (so a key deactivated by the first run is still remembered as active before the incident).
  - With O(state=absent), undoes exactly what was recorded - reactivates exactly the keys that were active, removes
    the inline policies it added (or puts back an earlier version of the same name) and, when a login profile was
    removed, creates a new one with a random password that must be changed at first sign-in (the old password
    cannot be recovered; AWS never returns it). Without O(principal) it restores every principal recorded for the
    incident.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  principal:
    description:
      - ARN of the IAM user or role (an C(assumed-role) session ARN means its role).
      - Required with O(state=present) unless O(access_key_id) is given. With O(state=absent) and no principal, every
        principal recorded for O(incident_id) is restored.
    type: str
  access_key_id:
    description:
      - An access key id. The user owning it is the principal, and only this key is deactivated (unless
        O(access_key_ids) names more).
    type: str
  access_key_ids:
    description: Keys of the user to deactivate. Default - every active key of the user.
    type: list
    elements: str
  state:
    description: V(present) contains the principal, V(absent) undoes what was recorded.
    type: str
    choices: [present, absent]
    default: present
  incident_id:
    description: Incident identifier; names the inline policies and the state records.
    type: str
    required: true
  responder_principals:
    description: ARNs that must never be quarantined (the responders); wildcards C(*) allowed.
    type: list
    elements: str
    default: []
  session_cutoff:
    description:
      - For a role, sessions issued before this ISO-8601 time are denied. Default - the time of the first
        quarantine run of this incident (now, the first time), so a second run changes nothing. Pass the finding's
        last-seen time to cut off only the sessions the attacker could hold.
    type: str
  deny_all:
    description: For a role, also attach the deny-all inline policy (stops new sessions too).
    type: bool
    default: false
  remove_login_profile:
    description: For a user, delete its console login profile (recorded, restored with a new password).
    type: bool
    default: true
  restore_login_profile:
    description:
      - With O(state=absent), create a new login profile for a user whose profile the quarantine removed, with a
        random password and C(PasswordResetRequired). The password is returned in
        RV(principals[].temporary_password); register the result with C(no_log) and hand it over out of band.
        With V(false) the result only says it was not recreated.
    type: bool
    default: true
  state_store:
    description: Where the prior state is recorded - a local directory or C(s3://bucket/prefix).
    type: str
    required: true
notes:
  - IAM actions - C(sts:GetCallerIdentity), C(iam:GetUser), C(iam:GetRole), C(iam:ListAccessKeys),
    C(iam:UpdateAccessKey), C(iam:GetAccessKeyLastUsed), C(iam:GetUserPolicy), C(iam:PutUserPolicy),
    C(iam:DeleteUserPolicy), C(iam:GetRolePolicy), C(iam:PutRolePolicy), C(iam:DeleteRolePolicy),
    C(iam:GetLoginProfile), C(iam:DeleteLoginProfile), C(iam:CreateLoginProfile).
  - IAM is eventually consistent - a deactivated key or a new deny policy can take a few seconds to apply.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Contain the user whose key was leaked
  cloudsec.s3.iam_principal_quarantine:
    access_key_id: AKIAIOSFODNN7EXAMPLE
    incident_id: INC-2026-0042
    responder_principals: [arn:aws:iam::123456789012:role/incident-responder]
    state_store: s3://acme-ir-state/cloudsec

- name: Revoke the sessions of a role issued before the attack was last seen
  cloudsec.s3.iam_principal_quarantine:
    principal: arn:aws:sts::123456789012:assumed-role/app-ingest/acme-invoice-ingest
    session_cutoff: "2026-11-29T21:40:00Z"
    incident_id: INC-2026-0042
    responder_principals: [arn:aws:iam::123456789012:role/incident-responder]
    state_store: s3://acme-ir-state/cloudsec

- name: Undo every principal quarantine of the incident
  cloudsec.s3.iam_principal_quarantine:
    state: absent
    incident_id: INC-2026-0042
    state_store: s3://acme-ir-state/cloudsec
  register: released
  no_log: true
"""

RETURN = r"""
principals:
  description: One entry per principal handled.
  returned: always
  type: list
  elements: dict
  contains:
    principal:
      description: The IAM user or role ARN.
      type: str
      sample: arn:aws:iam::123456789012:user/svc-legacy-backup
    kind:
      description: V(user) or V(role).
      type: str
      sample: user
    changed:
      description: Whether this principal was changed.
      type: bool
      sample: true
    actions:
      description: What was changed (or would be), each with how to undo it.
      type: list
      elements: dict
      sample: [{action: deactivate_access_key, detail: AKIAIOSFODNN7EXAMPLE, undo: reactivate AKIAIOSFODNN7EXAMPLE}]
    state_record:
      description: Location of the state record.
      type: str
      sample: /var/lib/cloudsec/INC-42/iam-user-svc-legacy-backup.json
    prior:
      description: What the record says was there before the quarantine.
      type: dict
      sample: {active_keys: [AKIAIOSFODNN7EXAMPLE], inline_policies: {CloudsecQuarantineINC42: null},
               login_profile: {exists: false}}
    notes:
      description: Things the responder must know.
      type: list
      elements: str
      sample: []
    temporary_password:
      description: The one-time password of a recreated login profile (state=absent). Treat as a secret.
      type: str
      returned: when a login profile was recreated
      sample: "Qx7...!"
changed:
  description: Whether anything changed.
  returned: always
  type: bool
  sample: true
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import login_profile
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import policies_equal
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import QUARANTINE_SID_PREFIX
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import REVOKE_SESSIONS_PREFIX
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import deny_all_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import format_cutoff
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import principal_arn_of
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import protected_reason
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import revoke_sessions_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import same_principal
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import statement_sid
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import temporary_password
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import ACTIVE
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import RESTORED
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import StateStore
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import new_record
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import record_name
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import utc_now_text
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_arn

_PUT = {"user": "put_user_policy", "role": "put_role_policy"}
_GET = {"user": "get_user_policy", "role": "get_role_policy"}
_DELETE = {"user": "delete_user_policy", "role": "delete_role_policy"}
_NAME_KEY = {"user": "UserName", "role": "RoleName"}


def kind_and_name(arn: str) -> tuple[str, str]:
    canonical = principal_arn_of(arn)
    rest = canonical.split(":", 5)[5] if canonical.count(":") >= 5 else ""
    kind, _sep, path = rest.partition("/")
    if canonical.split(":")[2] != "iam" or kind not in ("user", "role") or not path:
        raise CloudsecError(f"principal {arn!r}: only IAM users and roles (or role sessions) can be quarantined")
    return kind, path.rsplit("/", 1)[-1]


def inline_policy(iam, kind: str, name: str, policy_name: str) -> dict | None:
    try:
        resp = getattr(iam, _GET[kind])(aws_retry=True, **{_NAME_KEY[kind]: name, "PolicyName": policy_name})
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchEntity"):
            return None
        raise
    return resp["PolicyDocument"]


def resolve_principal(iam, params: dict, account_id: str) -> tuple[str, str, str, list[str] | None]:
    """(kind, name, canonical arn, named keys or None)."""
    named = list(params["access_key_ids"] or [])
    if params["access_key_id"]:
        try:
            user = iam.get_access_key_last_used(aws_retry=True, AccessKeyId=params["access_key_id"]).get("UserName")
        except botocore_errors() as exc:
            if is_error(exc, "NoSuchEntity", "AccessDenied", "InvalidClientTokenId"):
                raise CloudsecError(f"access_key_id {params['access_key_id']} is not a key of this account") from exc
            raise
        if not user:
            raise CloudsecError(f"access_key_id {params['access_key_id']} belongs to no IAM user of this account")
        arn = f"arn:aws:iam::{account_id}:user/{user}"
        if params["principal"] and not same_principal(params["principal"], arn):
            raise CloudsecError(f"access_key_id {params['access_key_id']} belongs to {arn}, not {params['principal']}")
        named = [params["access_key_id"], *[k for k in named if k != params["access_key_id"]]]
        return "user", user, arn, named
    kind, name = kind_and_name(params["principal"])
    try:
        if kind == "user":
            arn = iam.get_user(aws_retry=True, UserName=name)["User"]["Arn"]
        else:
            arn = iam.get_role(aws_retry=True, RoleName=name)["Role"]["Arn"]
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchEntity"):
            raise CloudsecError(f"principal {params['principal']}: IAM {kind} {name} does not exist") from exc
        raise
    return kind, name, arn, named or None


def contain(module, iam, store: StateStore, params: dict, caller: dict) -> dict:
    incident_id = params["incident_id"]
    kind, name, arn, named_keys = resolve_principal(iam, params, caller["account_id"])
    reason = protected_reason(arn, caller["arn"], params["responder_principals"])
    if reason:
        raise CloudsecError(f"Refusing to quarantine {arn}: {reason}")
    rec_name = record_name(f"iam-{kind}", name)
    record = store.read(incident_id, rec_name)
    active_record = record if record is not None and record.get("status") == ACTIVE else None
    prior = dict(active_record["prior"]) if active_record else {"inline_policies": {}}
    prior.setdefault("inline_policies", {})
    actions: list[dict] = []
    deny_name = statement_sid(QUARANTINE_SID_PREFIX, incident_id)
    wanted: dict[str, dict] = {}
    steps: list = []

    if kind == "user":
        keys = iam.list_access_keys(aws_retry=True, UserName=name)["AccessKeyMetadata"]
        by_id = {k["AccessKeyId"]: k for k in keys}
        unknown = [k for k in named_keys or [] if k not in by_id]
        if unknown:
            raise CloudsecError(f"access key(s) {', '.join(unknown)} do not belong to user {name}")
        targets = named_keys if named_keys else sorted(by_id)
        to_deactivate = [k for k in targets if by_id[k]["Status"] == "Active"]
        prior["active_keys"] = sorted(set(prior.get("active_keys", [])) | set(to_deactivate))
        for key in to_deactivate:
            actions.append({"action": "deactivate_access_key", "detail": key, "undo": f"reactivate {key}"})
            steps.append(
                lambda key=key: iam.update_access_key(aws_retry=True, UserName=name, AccessKeyId=key, Status="Inactive")
            )
        wanted[deny_name] = deny_all_policy()
        profile = login_profile(iam, name)
        if "login_profile" not in prior:
            prior["login_profile"] = profile
        if profile["exists"] and params["remove_login_profile"]:
            prior["login_profile"] = profile
            actions.append(
                {
                    "action": "delete_login_profile",
                    "detail": f"console password of {name} removed",
                    "undo": "create a new login profile (new password, reset required)",
                }
            )
            steps.append(lambda: iam.delete_login_profile(aws_retry=True, UserName=name))
    else:
        revoke_name = statement_sid(REVOKE_SESSIONS_PREFIX, incident_id)
        recorded_cutoff = ((active_record or {}).get("applied") or {}).get("session_cutoff")
        if params["session_cutoff"]:
            cutoff = format_cutoff(params["session_cutoff"])
        else:
            cutoff = recorded_cutoff or format_cutoff(None)
        wanted[revoke_name] = revoke_sessions_policy(cutoff)
        if params["deny_all"]:
            wanted[deny_name] = deny_all_policy()
    applied = dict((active_record or {}).get("applied") or {})
    if kind == "role":
        applied["session_cutoff"] = cutoff

    for policy_name, document in wanted.items():
        current = inline_policy(iam, kind, name, policy_name)
        if policy_name not in prior["inline_policies"]:
            prior["inline_policies"][policy_name] = current
        if current is None or not policies_equal(current, document):
            actions.append(
                {
                    "action": _PUT[kind],
                    "detail": policy_name,
                    "undo": f"delete inline policy {policy_name}"
                    if prior["inline_policies"][policy_name] is None
                    else f"put back the recorded {policy_name}",
                }
            )
            steps.append(
                lambda pn=policy_name, doc=document: getattr(iam, _PUT[kind])(
                    aws_retry=True, **{_NAME_KEY[kind]: name, "PolicyName": pn, "PolicyDocument": _dump(doc)}
                )
            )
    result = {
        "principal": arn,
        "kind": kind,
        "changed": bool(actions),
        "actions": actions,
        "state_record": store.url_of(incident_id, rec_name),
        "prior": prior,
        "notes": [],
    }
    if kind == "role":
        result["session_cutoff"] = cutoff
    if not actions or module.check_mode:
        return result
    if active_record is None:
        active_record = new_record(f"iam-{kind}", name, incident_id, prior, previous=record)
        active_record["principal"] = arn
    active_record["prior"] = prior
    applied["at"] = utc_now_text()
    active_record["applied"] = applied
    store.write(incident_id, rec_name, active_record)  # before any change
    for step in steps:
        step()
    return result


def _dump(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def release(module, iam, store: StateStore, params: dict, rec_name: str) -> dict:
    incident_id = params["incident_id"]
    record = store.read(incident_id, rec_name)
    result = {"changed": False, "actions": [], "notes": [], "state_record": store.url_of(incident_id, rec_name)}
    if record is None:
        result["notes"].append(f"nothing recorded as {rec_name} for incident {incident_id}")
        return result
    kind = record["kind"].split("-", 1)[1]
    name = record["target"]
    prior = record["prior"]
    result.update({"principal": record.get("principal"), "kind": kind, "prior": prior})
    if record.get("status") == RESTORED:
        result["notes"].append(f"already restored at {record.get('restored_at')}")
        return result
    steps: list = []
    if kind == "user":
        keys = {k["AccessKeyId"]: k for k in iam.list_access_keys(aws_retry=True, UserName=name)["AccessKeyMetadata"]}
        for key in prior.get("active_keys", []):
            if key not in keys:
                result["notes"].append(f"access key {key} no longer exists; it cannot be reactivated")
            elif keys[key]["Status"] != "Active":
                result["actions"].append({"action": "reactivate_access_key", "detail": key})
                steps.append(
                    lambda key=key: iam.update_access_key(
                        aws_retry=True, UserName=name, AccessKeyId=key, Status="Active"
                    )
                )
    for policy_name, document in (prior.get("inline_policies") or {}).items():
        current = inline_policy(iam, kind, name, policy_name)
        if document is None and current is not None:
            result["actions"].append({"action": _DELETE[kind], "detail": policy_name})
            steps.append(
                lambda pn=policy_name: getattr(iam, _DELETE[kind])(
                    aws_retry=True, **{_NAME_KEY[kind]: name, "PolicyName": pn}
                )
            )
        elif document is not None and (current is None or not policies_equal(current, document)):
            result["actions"].append({"action": _PUT[kind], "detail": f"{policy_name} put back as recorded"})
            steps.append(
                lambda pn=policy_name, doc=document: getattr(iam, _PUT[kind])(
                    aws_retry=True, **{_NAME_KEY[kind]: name, "PolicyName": pn, "PolicyDocument": _dump(doc)}
                )
            )
    profile_before = prior.get("login_profile") or {"exists": False}
    password = None
    if kind == "user" and profile_before.get("exists") and not login_profile(iam, name)["exists"]:
        if params["restore_login_profile"]:
            password = temporary_password()
            result["actions"].append(
                {"action": "create_login_profile", "detail": f"new console password for {name}, reset required"}
            )
            result["notes"].append(
                f"the console password of {name} cannot be recovered; a new one-time password was set "
                "(temporary_password), which must be changed at first sign-in"
            )
            steps.append(
                lambda: iam.create_login_profile(
                    aws_retry=True, UserName=name, Password=password, PasswordResetRequired=True
                )
            )
        else:
            result["notes"].append(
                f"{name} had a console password before the quarantine; it was not recreated "
                "(restore_login_profile is false) - create one with a new password"
            )
    result["changed"] = True
    if module.check_mode:
        return result
    for step in steps:
        step()
    if password is not None:
        result["temporary_password"] = password
    record["status"] = RESTORED
    record["restored_at"] = utc_now_text()
    record["restore_notes"] = result["notes"]
    store.write(incident_id, rec_name, record)
    return result


def main() -> None:
    argument_spec = dict(
        principal=dict(type="str"),
        access_key_id=dict(type="str", no_log=False),
        access_key_ids=dict(type="list", elements="str", no_log=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        incident_id=dict(type="str", required=True),
        responder_principals=dict(type="list", elements="str", default=[]),
        session_cutoff=dict(type="str"),
        deny_all=dict(type="bool", default=False),
        remove_login_profile=dict(type="bool", default=True),
        restore_login_profile=dict(type="bool", default=True, no_log=False),
        state_store=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)
    try:
        validate_incident_id(params["incident_id"])
        if params["principal"]:
            validate_arn(params["principal"], "principal")
        for responder in params["responder_principals"]:
            if not str(responder).startswith("arn:"):
                raise ValueError(f"Invalid responder_principals entry {responder!r}: expected an ARN")
        if params["session_cutoff"]:
            format_cutoff(params["session_cutoff"])
        if params["state"] == "present" and not (params["principal"] or params["access_key_id"]):
            raise ValueError("state=present needs principal or access_key_id")
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    iam = client(module, "iam")
    s3 = client(module, "s3")
    try:
        store = StateStore(params["state_store"], s3)
        store.check_writable(create=not module.check_mode)
        if params["state"] == "present":
            caller = caller_identity(client(module, "sts"))
            principals = [contain(module, iam, store, params, caller)]
        else:
            if params["principal"] or params["access_key_id"]:
                if params["access_key_id"]:
                    caller = caller_identity(client(module, "sts"))
                    kind, name, _arn, _keys = resolve_principal(iam, params, caller["account_id"])
                else:
                    kind, name = kind_and_name(params["principal"])
                names = [record_name(f"iam-{kind}", name)]
            else:
                names = store.names(params["incident_id"], "iam-")
            principals = [release(module, iam, store, params, n) for n in names]
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        verb = "quarantine" if params["state"] == "present" else "release"
        target = params["principal"] or params["access_key_id"] or "the recorded principals"
        module.fail_json_aws(exc, msg=f"Failed to {verb} {target}")
    module.exit_json(changed=any(p["changed"] for p in principals), principals=jsonable(principals))


if __name__ == "__main__":
    main()

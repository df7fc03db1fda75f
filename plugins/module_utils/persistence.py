# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The persistence sweep: find what an attacker may have left on a bucket and in IAM, remove it on request and put
it back from the record (shared by ``s3_bucket_persistence_info`` and ``s3_bucket_persistence``).

``Sweep`` reads the bucket (replication, notifications, website, CORS, lifecycle, policy, ACL, access points) and
the IAM changes of the window, and produces *findings*. ``plan_removals`` turns the chosen findings into *items*:
one undoable change each, computed from the current state, so a finding that is already removed yields none (a
second run changes nothing). Each item carries what its undo needs (the removed rule, statement, grant,
document, attachment, key status, access point configuration). The module writes the items to the state record
*before* ``apply_items`` changes anything; ``restore_items`` puts each one back only when it is missing, so a
second restore changes nothing either.

What is never done: deleting a user, a key, a managed policy or a policy version; deleting an access point unless
the caller asked for it (``delete_access_points``) and its configuration was recorded first; touching the caller's
own identity or a responder (``protected_reason``).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate_tokens
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import login_profile
from ansible_collections.cloudsec.s3.plugins.module_utils.iam_principals import policy_document
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import policies_equal
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import deny_all_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import principal_arn_of
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import protected_reason
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import statement_sid
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import temporary_password
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import ALL_USERS_URI
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import AUTHENTICATED_USERS_URI
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_bucket

BUCKET_REMOVABLE = (
    "replication_foreign_account",
    "notification_foreign_target",
    "website_hosting",
    "cors_any_origin",
    "lifecycle_short_expiry",
    "policy_foreign_grant",
    "policy_public_grant",
    "acl_foreign_grant",
    "acl_public_grant",
)
IAM_REMOVABLE = (
    "iam_access_key_created",
    "iam_user_created",
    "iam_policy_attached",
    "iam_policy_created",
    "iam_role_trust_changed",
)
REMOVABLE = (*BUCKET_REMOVABLE, *IAM_REMOVABLE, "access_point_created")
IAM_PERSISTENCE_EVENTS = {
    "CreateAccessKey": "iam_access_key_created",
    "CreateUser": "iam_user_created",
    "CreateLoginProfile": "iam_login_profile_changed",
    "UpdateLoginProfile": "iam_login_profile_changed",
    "AttachUserPolicy": "iam_policy_attached",
    "PutUserPolicy": "iam_policy_attached",
    "AttachRolePolicy": "iam_policy_attached",
    "PutRolePolicy": "iam_policy_attached",
    "AttachGroupPolicy": "iam_policy_attached",
    "PutGroupPolicy": "iam_policy_attached",
    "AddUserToGroup": "iam_policy_attached",
    "CreatePolicy": "iam_policy_created",
    "CreatePolicyVersion": "iam_policy_created",
    "SetDefaultPolicyVersion": "iam_policy_created",
    "CreateRole": "iam_role_created",
    "UpdateAssumeRolePolicy": "iam_role_trust_changed",
}
PERSISTENCE_POLICY_PREFIX = "CloudsecPersistence"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_ACCOUNT_IN_ARN = re.compile(r"^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):")
_NOTIFICATION_KEYS = (
    ("TopicConfigurations", "TopicArn"),
    ("QueueConfigurations", "QueueArn"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
)
_ENTITY_KEY = {"user": "UserName", "role": "RoleName", "group": "GroupName"}


def parse_time(text: str | None, option: str) -> datetime.datetime | None:
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise CloudsecError(f"Invalid {option} {text!r}: expected an ISO-8601 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    match = _ACCOUNT_IN_ARN.match(value)
    return match.group(1) if match else None


def finding(kind: str, resource: str, detail: str, severity: str, **extra) -> dict:
    out = {
        "kind": kind,
        "resource": resource,
        "detail": detail,
        "severity": severity,
        "removable": kind in REMOVABLE,
        "removed": False,
    }
    out.update(extra)
    return out


def persistence_policy_name(incident_id: str) -> str:
    """Name of the deny-all inline policy put on a user the attacker created."""
    return statement_sid(PERSISTENCE_POLICY_PREFIX, incident_id)


def _first(event: dict, *names: str):
    for name in names:
        value = event
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            return value
    return None


def normalise_event(event: dict) -> dict:
    """One event in any of the shapes around (CloudTrail record, LookupEvents item, normalised timeline entry)."""
    if isinstance(event.get("CloudTrailEvent"), str):
        try:
            event = {**json.loads(event["CloudTrailEvent"]), **event}
        except ValueError:
            pass
    when = _first(event, "event_time", "eventTime", "EventTime", "time")
    return {
        "event_name": _first(event, "event_name", "eventName", "EventName", "action"),
        "event_time": jsonable(when),
        "principal_arn": _first(event, "principal_arn", "arn", "actor", "userIdentity.arn", "user_identity.arn"),
        "request": _first(event, "request_parameters", "requestParameters") or {},
        "response": _first(event, "response_elements", "responseElements") or {},
    }


def describe_target(event: dict) -> str:
    request = event["request"] or {}
    for key in ("userName", "roleName", "policyArn", "policyName", "groupName"):
        if request.get(key):
            return f"{key[:-4] if key.endswith('Name') else key[:-3]} {request[key]}"
    return event["event_name"] or "IAM"


def _entity(event_name: str) -> str | None:
    for kind in ("User", "Role", "Group"):
        if event_name.endswith(f"{kind}Policy"):
            return kind.lower()
    return None


def sweep_argument_spec() -> dict:
    """The options both persistence modules take (Ansible argument_spec form)."""
    return dict(
        bucket=dict(type="str", required=True),
        trusted_accounts=dict(type="list", elements="str", default=[]),
        window_start=dict(type="str"),
        window_end=dict(type="str"),
        suspected_principals=dict(type="list", elements="raw", default=[]),
        timeline=dict(type="list", elements="dict"),
        lookup_events=dict(type="bool", default=False),
        short_expiry_days=dict(type="int", default=7),
        prior_trust_policies=dict(type="dict", default={}),
    )


class Sweep:
    """Findings of one bucket and the IAM changes of the window (read-only)."""

    def __init__(self, s3, s3control, iam, cloudtrail, bucket: str, account_id: str, params: dict) -> None:
        self.s3, self.s3control, self.iam, self.cloudtrail = s3, s3control, iam, cloudtrail
        self.bucket = bucket
        self.account_id = account_id
        self.params = params
        self.own = {account_id, *(params.get("trusted_accounts") or [])}
        self.findings: list[dict] = []
        self.raw: dict = {}
        self.end = parse_time(params.get("window_end"), "window_end") or datetime.datetime.now(datetime.timezone.utc)
        self.start = parse_time(params.get("window_start"), "window_start") or self.end - datetime.timedelta(days=7)
        self.suspects = []
        for item in params.get("suspected_principals") or []:
            arn = item if isinstance(item, str) else (item or {}).get("arn") if isinstance(item, dict) else None
            if arn and arn.startswith("arn:"):
                self.suspects.append(principal_arn_of(arn))

    def in_window(self, value) -> bool:
        when = value if isinstance(value, datetime.datetime) else parse_time(value, "event time")
        if when is None:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return self.start <= when <= self.end

    def foreign(self, value: str) -> bool:
        account = account_of(value)
        return account is not None and account not in self.own

    # bucket ----------------------------------------------------------------------------------------------------
    def _get(self, method: str, absent: tuple[str, ...], **kw):
        try:
            resp = getattr(self.s3, method)(aws_retry=True, Bucket=self.bucket, **kw)
        except botocore_errors() as exc:
            if is_error(exc, *absent):
                return None
            raise
        return {k: v for k, v in resp.items() if k != "ResponseMetadata"}

    def sweep_bucket(self) -> None:
        info = gather_bucket(
            self.s3,
            self.bucket,
            s3control=self.s3control,
            account_id=self.account_id,
            sections=("policy", "acl", "website", "tags", "access_points"),
        )
        replication = self._get("get_bucket_replication", ("ReplicationConfigurationNotFoundError",))
        self.raw["replication"] = replication
        for rule in ((replication or {}).get("ReplicationConfiguration") or {}).get("Rules") or []:
            dest = rule.get("Destination") or {}
            account = dest.get("Account")
            if account and account not in self.own:
                self.findings.append(
                    finding(
                        "replication_foreign_account",
                        f"{self.bucket} replication rule {rule.get('ID', '?')}",
                        f"replicates to {dest.get('Bucket')} in foreign account {account}",
                        "high",
                        rule_id=rule.get("ID"),
                    )
                )
        notifications = self._get("get_bucket_notification_configuration", ())
        self.raw["notifications"] = notifications
        for key, arn_key in _NOTIFICATION_KEYS:
            for conf in (notifications or {}).get(key) or []:
                if self.foreign(conf.get(arn_key, "")):
                    self.findings.append(
                        finding(
                            "notification_foreign_target",
                            f"{self.bucket} notification {conf.get('Id', '?')}",
                            f"sends {', '.join(conf.get('Events') or [])} events to {conf.get(arn_key)}",
                            "high",
                            target=conf.get(arn_key),
                        )
                    )
        website = self._get("get_bucket_website", ("NoSuchWebsiteConfiguration",))
        self.raw["website"] = website
        exception = (info.get("tags") or {}).get("cloudsec:baseline-exception")
        if website:
            self.findings.append(
                finding(
                    "website_hosting",
                    self.bucket,
                    "static website hosting is on" + (f" (baseline exception: {exception})" if exception else ""),
                    "low" if exception else "medium",
                )
            )
        cors = self._get("get_bucket_cors", ("NoSuchCORSConfiguration",))
        self.raw["cors"] = cors
        for index, rule in enumerate((cors or {}).get("CORSRules") or []):
            if "*" in (rule.get("AllowedOrigins") or []):
                self.findings.append(
                    finding(
                        "cors_any_origin",
                        f"{self.bucket} CORS rule {rule.get('ID', index)}",
                        f"allows {', '.join(rule.get('AllowedMethods') or [])} from any origin",
                        "medium",
                        index=index,
                    )
                )
        lifecycle = self._get("get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",))
        self.raw["lifecycle"] = lifecycle
        for rule in (lifecycle or {}).get("Rules") or []:
            if rule.get("Status") != "Enabled":
                continue
            days = [
                (rule.get("Expiration") or {}).get("Days"),
                (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
            ]
            short = [d for d in days if isinstance(d, int) and d <= self.params.get("short_expiry_days", 7)]
            if short:
                self.findings.append(
                    finding(
                        "lifecycle_short_expiry",
                        f"{self.bucket} lifecycle rule {rule.get('ID', '?')}",
                        f"expires objects after {min(short)} day(s)",
                        "high",
                        rule_id=rule.get("ID"),
                    )
                )
        self.raw["policy_text"] = info.get("policy_text")
        self._policy_findings(info)
        self.raw["acl"] = self._get("get_bucket_acl", ())
        owner_id = ((info.get("acl") or {}).get("owner") or {}).get("id")
        for grant in (info.get("acl") or {}).get("grants") or []:
            grantee = grant.get("grantee") or {}
            if grantee.get("uri") in (ALL_USERS_URI, AUTHENTICATED_USERS_URI):
                self.findings.append(
                    finding(
                        "acl_public_grant",
                        f"{self.bucket} ACL",
                        f"grants {grant.get('permission')} to {grantee['uri'].rsplit('/', 1)[-1]}",
                        "high",
                    )
                )
            elif grantee.get("type") == "CanonicalUser" and grantee.get("id") not in (owner_id, None):
                self.findings.append(
                    finding(
                        "acl_foreign_grant",
                        f"{self.bucket} ACL",
                        f"grants {grant.get('permission')} to canonical user {grantee.get('id')}",
                        "high",
                    )
                )
        for point in info.get("access_points") or []:
            try:
                detail = self.s3control.get_access_point(aws_retry=True, AccountId=self.account_id, Name=point["name"])
            except botocore_errors():
                continue
            if self.in_window(detail.get("CreationDate")):
                self.findings.append(
                    finding(
                        "access_point_created",
                        f"access point {point['name']}",
                        f"created {jsonable(detail.get('CreationDate'))}, inside the incident window",
                        "medium",
                        access_point=point["name"],
                    )
                )

    def _policy_findings(self, info: dict) -> None:
        try:
            document = parse_optional_policy(info.get("policy_text"), f"bucket policy of {self.bucket}")
        except PolicyError as exc:
            raise CloudsecError(f"The bucket policy of {self.bucket} is not valid JSON: {exc}") from exc
        for index, statement in enumerate((document or {}).get("Statement") or []):
            if statement.get("Effect") != "Allow" or "Principal" not in statement:
                continue
            principal = statement["Principal"]
            label = statement.get("Sid") or f"#{index}"
            values = ["*"] if principal == "*" else list(principal.get("AWS") or [])
            if "*" in values:
                conditions = statement.get("Condition") or {}
                self.findings.append(
                    finding(
                        "policy_public_grant",
                        f"{self.bucket} policy statement {label}",
                        f"statement {label} allows everyone (Principal *)"
                        + (" under conditions" if conditions else ""),
                        "medium" if conditions else "high",
                        index=index,
                        sid=statement.get("Sid"),
                    )
                )
                continue
            foreign = sorted({account_of(v) for v in values if self.foreign(v)} - {None})
            if foreign:
                self.findings.append(
                    finding(
                        "policy_foreign_grant",
                        f"{self.bucket} policy statement {label}",
                        f"statement {label} grants foreign account(s) {', '.join(foreign)}",
                        "high",
                        index=index,
                        sid=statement.get("Sid"),
                    )
                )

    # IAM -------------------------------------------------------------------------------------------------------
    def events(self) -> list[dict]:
        if self.params.get("timeline") is not None:
            return [normalise_event(e) for e in self.params["timeline"]]
        if not self.params.get("lookup_events"):
            return []
        raw = paginate_tokens(
            self.cloudtrail,
            "lookup_events",
            "Events",
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}],
            StartTime=self.start,
            EndTime=self.end,
        )
        return [normalise_event(e) for e in raw]

    def _event_target(self, event: dict, kind: str) -> dict:
        """What the event changed, in the terms removal needs (user, entity, policy, version, role)."""
        name = event["event_name"]
        request, response = event["request"] or {}, event["response"] or {}
        if kind == "iam_access_key_created":
            key = response.get("accessKey") or {}
            return {
                "access_key_id": key.get("accessKeyId"),
                "user_name": key.get("userName") or request.get("userName"),
            }
        if kind == "iam_user_created":
            return {"user_name": request.get("userName")}
        if kind == "iam_policy_attached":
            if name == "AddUserToGroup":
                return {
                    "change": "group_membership",
                    "user_name": request.get("userName"),
                    "group_name": request.get("groupName"),
                }
            entity = _entity(name)
            out = {"entity_type": entity, "entity_name": request.get(f"{entity}Name") if entity else None}
            if name.startswith("Attach"):
                out.update(change="managed_policy", policy_arn=request.get("policyArn"))
            else:
                out.update(change="inline_policy", policy_name=request.get("policyName"))
            return out
        if kind == "iam_policy_created":
            if name == "CreatePolicy":
                return {"change": "new_policy", "policy_arn": (response.get("policy") or {}).get("arn")}
            return {"change": "default_version", "policy_arn": request.get("policyArn")}
        if kind == "iam_role_trust_changed":
            return {"role_name": request.get("roleName")}
        return {}

    def _prior_trust(self, role: str, events: list[dict], first_change: str) -> tuple[Any, str | None]:
        """The trust policy of ``role`` before the suspects changed it: given in ``prior_trust_policies``, else the
        document of the latest earlier CreateRole / UpdateAssumeRolePolicy of that role by someone else."""
        given = (self.params.get("prior_trust_policies") or {}).get(role)
        if given:
            return policy_document(given), "prior_trust_policies"
        best = None
        for event in events:
            if event["event_name"] not in ("CreateRole", "UpdateAssumeRolePolicy"):
                continue
            request = event["request"] or {}
            if request.get("roleName") != role or not event["event_time"] or event["event_time"] >= first_change:
                continue
            if event["principal_arn"] and principal_arn_of(event["principal_arn"]) in self.suspects:
                continue
            document = request.get("policyDocument") or request.get("assumeRolePolicyDocument")
            if document and (best is None or event["event_time"] > best[0]):
                best = (event["event_time"], document)
        if best:
            return policy_document(best[1]), f"CloudTrail event of {best[0]}"
        return None, None

    def sweep_iam(self) -> None:
        seen_keys: set[str] = set()
        events = self.events()
        trust_changes: dict[str, dict] = {}
        for event in events:
            kind = IAM_PERSISTENCE_EVENTS.get(event["event_name"] or "")
            if not kind or not event["principal_arn"] or not self.in_window(event["event_time"]):
                continue
            actor = principal_arn_of(event["principal_arn"])
            if self.suspects and actor not in self.suspects:
                continue
            extra = {"event_time": event["event_time"], "actor": event["principal_arn"]}
            extra.update({k: v for k, v in self._event_target(event, kind).items() if v is not None})
            if kind == "iam_access_key_created" and extra.get("access_key_id"):
                seen_keys.add(extra["access_key_id"])
            item = finding(
                kind,
                describe_target(event),
                f"{event['event_name']} by {event['principal_arn']} at {event['event_time']}",
                "high",
                **extra,
            )
            if not self.suspects and kind != "iam_access_key_created" and item["removable"]:
                # without suspects every actor's changes are listed: report them, remove only the suspects' ones
                item["removable"] = False
                item["detail"] += " (not removable: no suspected_principals given)"
            if kind == "iam_role_trust_changed" and extra.get("role_name"):
                earlier = trust_changes.get(extra["role_name"])
                if earlier is not None:  # one finding per role, from its first change in the window
                    if event["event_time"] < earlier["event_time"]:
                        earlier.update(event_time=event["event_time"], actor=event["principal_arn"])
                    continue
                trust_changes[extra["role_name"]] = item
            self.findings.append(item)
        for role, item in trust_changes.items():
            prior, source = self._prior_trust(role, events, item["event_time"])
            item["prior_trust_policy"] = prior
            item["prior_trust_source"] = source
            if prior is None:
                item["removable"] = False
                item["command"] = (
                    f"aws iam update-assume-role-policy --role-name {role} --policy-document file://trust-{role}.json"
                    " (with the trust policy from before the incident: it is not in the events or the evidence)"
                )
        # keys and users created in the window, whoever made them
        try:
            users = paginate(self.iam, "list_users").get("Users") or []
        except botocore_errors():
            return
        reported_users = {f.get("user_name") for f in self.findings if f["kind"] == "iam_user_created"}
        for user in users:
            name = user["UserName"]
            if self.in_window(user.get("CreateDate")) and name not in reported_users:
                # author unknown: reported, not contained (only users the suspects created are)
                self.findings.append(
                    finding(
                        "iam_user_created",
                        f"user {name}",
                        f"created {jsonable(user.get('CreateDate'))}; author unknown",
                        "medium",
                        user_name=name,
                        removable=False,
                    )
                )
            for key in self.iam.list_access_keys(aws_retry=True, UserName=name).get("AccessKeyMetadata") or []:
                if key["AccessKeyId"] in seen_keys or not self.in_window(key.get("CreateDate")):
                    continue
                owner = f"arn:aws:iam::{self.account_id}:user/{name}"
                suspect = owner in self.suspects
                self.findings.append(
                    finding(
                        "iam_access_key_created",
                        f"access key {key['AccessKeyId']} of {name}",
                        f"created {jsonable(key.get('CreateDate'))} ({key['Status']})"
                        + (" by a suspected principal's own user" if suspect else "; author unknown"),
                        "high" if suspect else "medium",
                        access_key_id=key["AccessKeyId"],
                        user_name=name,
                    )
                )

    def sorted_findings(self) -> list[dict]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER[f["severity"]], f["kind"], f["resource"]))


# removal ---------------------------------------------------------------------------------------------------------
class Target:
    """The clients and identities removal and restore act with."""

    def __init__(self, s3, s3control, iam, bucket: str, account_id: str, caller_arn: str, responders, incident_id):
        self.s3, self.s3control, self.iam = s3, s3control, iam
        self.bucket = bucket
        self.account_id = account_id
        self.caller_arn = caller_arn
        self.responders = list(responders or [])
        self.incident_id = incident_id

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}/{name}"

    def refusal(self, kind: str, name: str | None) -> str | None:
        if kind not in ("user", "role") or not name:
            return None
        return protected_reason(self.arn(kind, name), self.caller_arn, self.responders)


def _item(kind: str, resource: str, op: str, before: Any, after: Any, **data) -> dict:
    return {"kind": kind, "resource": resource, "op": op, "before": before, "after": after, **data}


def _access_key_status(iam, user: str) -> dict[str, str]:
    keys = iam.list_access_keys(aws_retry=True, UserName=user).get("AccessKeyMetadata") or []
    return {k["AccessKeyId"]: k["Status"] for k in keys}


def _inline(iam, entity: str, name: str, policy_name: str):
    try:
        resp = getattr(iam, f"get_{entity}_policy")(
            aws_retry=True, **{_ENTITY_KEY[entity]: name, "PolicyName": policy_name}
        )
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchEntity"):
            return None
        raise
    return policy_document(resp.get("PolicyDocument"))


def _attached(iam, entity: str, name: str) -> list[str]:
    listed = paginate(iam, f"list_attached_{entity}_policies", **{_ENTITY_KEY[entity]: name})
    return [p["PolicyArn"] for p in listed.get("AttachedPolicies") or []]


def _exists(call) -> bool:
    try:
        call()
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchEntity"):
            return False
        raise
    return True


def raw_policy(text: str) -> dict:
    """A bucket policy as written (statements and values untouched, unlike the normalised form)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CloudsecError(f"The bucket policy is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CloudsecError("The bucket policy is not a JSON object")
    return document


def _statements(document: dict) -> list:
    statements = document.get("Statement") or []
    return statements if isinstance(statements, list) else [statements]


def _plan_bucket(sweep: Sweep, chosen: list[dict]) -> list[dict]:
    items: list[dict] = []
    b = sweep.bucket
    raw = sweep.raw
    for f in chosen:
        kind = f["kind"]
        if kind == "replication_foreign_account":
            conf = raw["replication"]["ReplicationConfiguration"]
            rule = next((r for r in conf["Rules"] if r.get("ID") == f.get("rule_id")), None)
            if rule is not None:
                items.append(
                    _item(kind, f["resource"], "replication_rule", rule, None, rule=rule, role=conf.get("Role"))
                )
        elif kind == "notification_foreign_target":
            for key, arn_key in _NOTIFICATION_KEYS:
                for conf in (raw["notifications"] or {}).get(key) or []:
                    if conf.get(arn_key) == f.get("target"):
                        items.append(
                            _item(kind, f["resource"], "notification", conf, None, section=key, configuration=conf)
                        )
        elif kind == "website_hosting":
            items.append(_item(kind, f["resource"], "website", raw["website"], None, configuration=raw["website"]))
        elif kind == "cors_any_origin":
            rule = raw["cors"]["CORSRules"][f["index"]]
            items.append(_item(kind, f["resource"], "cors_rule", rule, None, rule=rule, index=f["index"]))
        elif kind == "lifecycle_short_expiry":
            rules = raw["lifecycle"]["Rules"]
            index = next((n for n, r in enumerate(rules) if r.get("ID") == f.get("rule_id")), None)
            if index is not None:
                items.append(
                    _item(kind, f["resource"], "lifecycle_rule", rules[index], None, rule=rules[index], index=index)
                )
        elif kind in ("policy_foreign_grant", "policy_public_grant"):
            statement = _statements(raw_policy(raw["policy_text"]))[f["index"]]
            items.append(
                _item(kind, f["resource"], "policy_statement", statement, None, statement=statement, index=f["index"])
            )
    acl_kinds = {f["kind"] for f in chosen} & {"acl_foreign_grant", "acl_public_grant"}
    if acl_kinds:
        acl = raw["acl"]
        owner_id = (acl.get("Owner") or {}).get("ID")
        for grant in acl.get("Grants") or []:
            grantee = grant.get("Grantee") or {}
            public = grantee.get("URI") in (ALL_USERS_URI, AUTHENTICATED_USERS_URI)
            foreign = grantee.get("Type") == "CanonicalUser" and grantee.get("ID") not in (owner_id, None)
            kind = "acl_public_grant" if public else "acl_foreign_grant" if foreign else None
            if kind in acl_kinds:
                items.append(_item(kind, f"{b} ACL", "acl_grant", grant, None, grant=grant))
    return items


def _plan_user(target: Target, f: dict, planned_keys: set[str], items: list[dict]) -> None:
    iam, user = target.iam, f["user_name"]
    if not _exists(lambda: iam.get_user(aws_retry=True, UserName=user)):
        return
    name = persistence_policy_name(target.incident_id)
    current = _inline(iam, "user", user, name)
    active = sorted(k for k, s in _access_key_status(iam, user).items() if s == "Active" and k not in planned_keys)
    planned_keys.update(active)
    profile = login_profile(iam, user)
    deny = deny_all_policy()
    if current is not None and policies_equal(current, deny) and not active and not profile["exists"]:
        return
    items.append(
        _item(
            f["kind"],
            f"user {user}",
            "contain_user",
            {"inline_policy": current, "active_keys": active, "login_profile": profile},
            {"inline_policy": deny, "active_keys": [], "login_profile": {"exists": False}},
            user_name=user,
            policy_name=name,
            prior_inline=current,
            active_keys=active,
            login_profile=profile,
        )
    )


def _plan_iam(target: Target, f: dict, planned_keys: set[str], items: list[dict]) -> None:
    iam, kind = target.iam, f["kind"]
    if kind == "iam_access_key_created":
        user, key = f.get("user_name"), f.get("access_key_id")
        if user and key and key not in planned_keys:
            status = (
                _access_key_status(iam, user).get(key)
                if _exists(lambda: iam.get_user(aws_retry=True, UserName=user))
                else None
            )
            if status == "Active":
                planned_keys.add(key)
                items.append(
                    _item(
                        kind, f["resource"], "deactivate_key", "Active", "Inactive", user_name=user, access_key_id=key
                    )
                )
    elif kind == "iam_user_created" and f.get("user_name"):
        _plan_user(target, f, planned_keys, items)
    elif kind == "iam_policy_attached":
        change = f.get("change")
        if change == "group_membership" and f.get("user_name") and f.get("group_name"):
            groups = paginate(iam, "list_groups_for_user", UserName=f["user_name"]).get("Groups") or []
            if any(g["GroupName"] == f["group_name"] for g in groups):
                items.append(
                    _item(
                        kind,
                        f["resource"],
                        "group_membership",
                        f["group_name"],
                        None,
                        user_name=f["user_name"],
                        group_name=f["group_name"],
                    )
                )
        elif change == "managed_policy" and f.get("entity_name") and f.get("policy_arn"):
            if f["policy_arn"] in _attached(iam, f["entity_type"], f["entity_name"]):
                items.append(
                    _item(
                        kind,
                        f"{f['entity_type']} {f['entity_name']} policy {f['policy_arn']}",
                        "managed_attachment",
                        "attached",
                        "detached",
                        entity_type=f["entity_type"],
                        entity_name=f["entity_name"],
                        policy_arn=f["policy_arn"],
                    )
                )
        elif change == "inline_policy" and f.get("entity_name") and f.get("policy_name"):
            document = _inline(iam, f["entity_type"], f["entity_name"], f["policy_name"])
            if document is not None:
                items.append(
                    _item(
                        kind,
                        f"{f['entity_type']} {f['entity_name']} inline policy {f['policy_name']}",
                        "inline_policy",
                        document,
                        None,
                        entity_type=f["entity_type"],
                        entity_name=f["entity_name"],
                        policy_name=f["policy_name"],
                        document=document,
                    )
                )
    elif kind == "iam_policy_created" and f.get("policy_arn"):
        arn = f["policy_arn"]
        if not _exists(lambda: iam.get_policy(aws_retry=True, PolicyArn=arn)):
            return
        if f.get("change") == "new_policy":
            listed = paginate(iam, "list_entities_for_policy", PolicyArn=arn)
            for entity, key, field in (
                ("user", "PolicyUsers", "UserName"),
                ("role", "PolicyRoles", "RoleName"),
                ("group", "PolicyGroups", "GroupName"),
            ):
                for row in listed.get(key) or []:
                    items.append(
                        _item(
                            kind,
                            f"{entity} {row[field]} policy {arn}",
                            "managed_attachment",
                            "attached",
                            "detached",
                            entity_type=entity,
                            entity_name=row[field],
                            policy_arn=arn,
                        )
                    )
        else:
            versions = paginate(iam, "list_policy_versions", PolicyArn=arn).get("Versions") or []
            default = next((v["VersionId"] for v in versions if v.get("IsDefaultVersion")), None)
            before = [v for v in versions if not _created_since_window(v.get("CreateDate"), f)]
            if not before:
                return
            previous = max(before, key=lambda v: v["CreateDate"])["VersionId"]
            if previous != default:
                items.append(
                    _item(
                        kind,
                        f"policy {arn} default version",
                        "default_version",
                        default,
                        previous,
                        policy_arn=arn,
                        version_id=default,
                        previous_version_id=previous,
                    )
                )
    elif kind == "iam_role_trust_changed" and f.get("role_name") and f.get("prior_trust_policy") is not None:
        role = iam.get_role(aws_retry=True, RoleName=f["role_name"])["Role"]
        current = policy_document(role.get("AssumeRolePolicyDocument"))
        if not policies_equal(current, f["prior_trust_policy"]):
            items.append(
                _item(
                    kind,
                    f"role {f['role_name']} trust policy",
                    "trust_policy",
                    current,
                    f["prior_trust_policy"],
                    role_name=f["role_name"],
                    document=current,
                    prior_document=f["prior_trust_policy"],
                )
            )


def _created_since_window(created, f: dict) -> bool:
    """Whether a policy version was created at or after the window start recorded on the finding."""
    when = created if isinstance(created, datetime.datetime) else parse_time(created, "version date")
    start = parse_time(f.get("window_start"), "window_start")
    if when is None or start is None:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when >= start


def _access_point_arn(target: Target, name: str, config: dict) -> str:
    if config.get("AccessPointArn"):
        return config["AccessPointArn"]
    region = getattr(getattr(target.s3control, "meta", None), "region_name", None) or "us-east-1"
    return f"arn:aws:s3:{region}:{target.account_id}:accesspoint/{name}"


def access_point_deny_policy(arn: str) -> dict:
    """Access point policy denying every request through it (the containment of an access point)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudsecPersistenceDenyAll",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/object/*"],
            }
        ],
    }


def _access_point_policy(target: Target, name: str):
    try:
        text = target.s3control.get_access_point_policy(aws_retry=True, AccountId=target.account_id, Name=name).get(
            "Policy"
        )
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchAccessPointPolicy", "NoSuchAccessPoint", "NoSuchEntity"):
            return None
        raise
    return text or None


def _plan_access_point(target: Target, f: dict, delete: bool, items: list[dict]) -> None:
    name = f["access_point"]
    try:
        config = target.s3control.get_access_point(aws_retry=True, AccountId=target.account_id, Name=name)
    except botocore_errors() as exc:
        if is_error(exc, "NoSuchAccessPoint"):
            return
        raise
    config = {k: v for k, v in config.items() if k not in ("ResponseMetadata",)}
    policy_text = _access_point_policy(target, name)
    deny = access_point_deny_policy(_access_point_arn(target, name, config))
    if delete:
        items.append(
            _item(
                "access_point_created",
                f["resource"],
                "delete_access_point",
                "present",
                "deleted",
                name=name,
                configuration=config,
                policy_text=policy_text,
            )
        )
        return
    current = parse_optional_policy(policy_text) if policy_text else None
    if current is not None and policies_equal(current, deny):
        return
    items.append(
        _item(
            "access_point_created",
            f["resource"],
            "access_point_policy",
            current,
            deny,
            name=name,
            configuration=config,
            policy_text=policy_text,
            deny_policy=deny,
        )
    )


def _principal_of(f: dict) -> tuple[str, str | None]:
    """(user|role|group, name) a finding's removal acts on, for the caller / responder guard."""
    if f["kind"] == "iam_role_trust_changed":
        return "role", f.get("role_name")
    if f.get("entity_type"):
        return f["entity_type"], f.get("entity_name")
    return "user", f.get("user_name")


def plan_removals(
    sweep: Sweep, target: Target, kinds: set[str], delete_access_points: bool
) -> tuple[list[dict], list[dict]]:
    """(items to apply, refusals) for the chosen finding kinds; marks the findings ``removed`` / ``refused``."""
    chosen = [f for f in sweep.findings if f["removable"] and ("all" in kinds or f["kind"] in kinds)]
    items: list[dict] = []
    refusals: list[dict] = []
    planned_keys: set[str] = set()
    bucket_items = _plan_bucket(sweep, [f for f in chosen if f["kind"] in BUCKET_REMOVABLE])
    items.extend(bucket_items)
    for f in chosen:
        if f["kind"] in BUCKET_REMOVABLE:
            f["removed"] = True
            continue
        if f["kind"] == "access_point_created":
            before = len(items)
            _plan_access_point(target, f, delete_access_points, items)
            f["removed"] = len(items) > before
            continue
        entity, name = _principal_of(f)
        reason = target.refusal(entity, name)
        if reason:
            f["refused"] = f"Refusing to remove {f['resource']}: {reason}"
            refusals.append({"kind": f["kind"], "resource": f["resource"], "reason": f["refused"]})
            continue
        planned: list[dict] = []
        _plan_iam(target, {**f, "window_start": sweep.start.isoformat()}, planned_keys, planned)
        for item in planned:
            item_entity, item_name = (
                (item["entity_type"], item.get("entity_name"))
                if item.get("entity_type")
                else ("user", item.get("user_name"))
            )
            reason = target.refusal(item_entity, item_name)
            if reason:
                refusals.append(
                    {
                        "kind": f["kind"],
                        "resource": item["resource"],
                        "reason": f"Refusing to remove {item['resource']}: {reason}",
                    }
                )
                f["refused"] = refusals[-1]["reason"]
            else:
                items.append(item)
                f["removed"] = True
    return items, refusals


def _reinsert_rules(rules: list, items: list[dict], present, action: str, actions: list[dict]) -> bool:
    """Put each recorded rule that ``present`` does not find back into ``rules`` at its recorded position (in
    position order, so earlier ones land first); one ``action`` per rule put back. True when any was missing."""
    missing = [i for i in sorted(items, key=lambda i: i["index"]) if not present(i["rule"])]
    for i in missing:
        rules.insert(min(i["index"], len(rules)), i["rule"])
        actions.append({"action": action, "resource": i["resource"]})
    return bool(missing)


def apply_items(sweep: Sweep, target: Target, items: list[dict]) -> None:
    """Make the changes of ``items`` (already recorded by the caller)."""
    s3, iam, b = target.s3, target.iam, target.bucket
    by_op: dict[str, list[dict]] = {}
    for item in items:
        by_op.setdefault(item["op"], []).append(item)
    raw = sweep.raw
    if "replication_rule" in by_op:
        drop = [i["rule"] for i in by_op["replication_rule"]]
        conf = copy.deepcopy(raw["replication"]["ReplicationConfiguration"])
        conf["Rules"] = [r for r in conf["Rules"] if r not in drop]
        if conf["Rules"]:
            s3.put_bucket_replication(aws_retry=True, Bucket=b, ReplicationConfiguration=conf)
        else:
            s3.delete_bucket_replication(aws_retry=True, Bucket=b)
    if "notification" in by_op:
        drop = [i["configuration"] for i in by_op["notification"]]
        conf = copy.deepcopy(raw["notifications"] or {})
        for key, _arn_key in _NOTIFICATION_KEYS:
            if key in conf:
                conf[key] = [c for c in conf[key] if c not in drop]
        s3.put_bucket_notification_configuration(aws_retry=True, Bucket=b, NotificationConfiguration=conf)
    if "website" in by_op:
        s3.delete_bucket_website(aws_retry=True, Bucket=b)
    if "cors_rule" in by_op:
        drop = {i["index"] for i in by_op["cors_rule"]}
        rules = [r for n, r in enumerate(raw["cors"]["CORSRules"]) if n not in drop]
        if rules:
            s3.put_bucket_cors(aws_retry=True, Bucket=b, CORSConfiguration={"CORSRules": rules})
        else:
            s3.delete_bucket_cors(aws_retry=True, Bucket=b)
    if "lifecycle_rule" in by_op:
        drop = [i["rule"] for i in by_op["lifecycle_rule"]]
        rules = [r for r in raw["lifecycle"]["Rules"] if r not in drop]
        if rules:
            s3.put_bucket_lifecycle_configuration(aws_retry=True, Bucket=b, LifecycleConfiguration={"Rules": rules})
        else:
            s3.delete_bucket_lifecycle(aws_retry=True, Bucket=b)
    if "policy_statement" in by_op:
        drop = {i["index"] for i in by_op["policy_statement"]}
        document = raw_policy(raw["policy_text"])
        document["Statement"] = [s for n, s in enumerate(_statements(document)) if n not in drop]
        if document["Statement"]:
            s3.put_bucket_policy(aws_retry=True, Bucket=b, Policy=dump_policy(document))
        else:
            s3.delete_bucket_policy(aws_retry=True, Bucket=b)
    if "acl_grant" in by_op:
        acl = raw["acl"]
        drop = [i["grant"] for i in by_op["acl_grant"]]
        grants = [g for g in acl.get("Grants") or [] if g not in drop]
        s3.put_bucket_acl(aws_retry=True, Bucket=b, AccessControlPolicy={"Grants": grants, "Owner": acl.get("Owner")})
    for item in items:
        op = item["op"]
        if op == "deactivate_key":
            iam.update_access_key(
                aws_retry=True, UserName=item["user_name"], AccessKeyId=item["access_key_id"], Status="Inactive"
            )
        elif op == "contain_user":
            user = item["user_name"]
            iam.put_user_policy(
                aws_retry=True,
                UserName=user,
                PolicyName=item["policy_name"],
                PolicyDocument=dump_policy(deny_all_policy()),
            )
            for key in item["active_keys"]:
                iam.update_access_key(aws_retry=True, UserName=user, AccessKeyId=key, Status="Inactive")
            if item["login_profile"]["exists"]:
                iam.delete_login_profile(aws_retry=True, UserName=user)
        elif op == "group_membership":
            iam.remove_user_from_group(aws_retry=True, GroupName=item["group_name"], UserName=item["user_name"])
        elif op == "managed_attachment":
            entity = item["entity_type"]
            getattr(iam, f"detach_{entity}_policy")(
                aws_retry=True, **{_ENTITY_KEY[entity]: item["entity_name"], "PolicyArn": item["policy_arn"]}
            )
        elif op == "inline_policy":
            entity = item["entity_type"]
            getattr(iam, f"delete_{entity}_policy")(
                aws_retry=True, **{_ENTITY_KEY[entity]: item["entity_name"], "PolicyName": item["policy_name"]}
            )
        elif op == "default_version":
            iam.set_default_policy_version(
                aws_retry=True, PolicyArn=item["policy_arn"], VersionId=item["previous_version_id"]
            )
        elif op == "trust_policy":
            iam.update_assume_role_policy(
                aws_retry=True, RoleName=item["role_name"], PolicyDocument=dump_policy(item["prior_document"])
            )
        elif op == "access_point_policy":
            target.s3control.put_access_point_policy(
                aws_retry=True, AccountId=target.account_id, Name=item["name"], Policy=dump_policy(item["deny_policy"])
            )
        elif op == "delete_access_point":
            target.s3control.delete_access_point(aws_retry=True, AccountId=target.account_id, Name=item["name"])


# restore ---------------------------------------------------------------------------------------------------------
def _bucket_get(s3, bucket: str, method: str, absent: tuple[str, ...]):
    try:
        resp = getattr(s3, method)(aws_retry=True, Bucket=bucket)
    except botocore_errors() as exc:
        if is_error(exc, *absent):
            return None
        raise
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def _restore_bucket(
    target: Target, items: list[dict], check: bool, actions: list[dict], policy_texts: list[str | None]
) -> None:
    s3, b = target.s3, target.bucket
    by_op: dict[str, list[dict]] = {}
    for item in items:
        by_op.setdefault(item["op"], []).append(item)
    if "replication_rule" in by_op:
        current = (_bucket_get(s3, b, "get_bucket_replication", ("ReplicationConfigurationNotFoundError",)) or {}).get(
            "ReplicationConfiguration"
        )
        conf = copy.deepcopy(current) if current else {"Role": by_op["replication_rule"][0].get("role"), "Rules": []}
        ids = {r.get("ID") for r in conf["Rules"]}
        missing = [i for i in by_op["replication_rule"] if i["rule"].get("ID") not in ids]
        if missing:
            conf["Rules"].extend(i["rule"] for i in missing)
            actions.extend({"action": "put_back_replication_rule", "resource": i["resource"]} for i in missing)
            if not check:
                s3.put_bucket_replication(aws_retry=True, Bucket=b, ReplicationConfiguration=conf)
    if "notification" in by_op:
        conf = _bucket_get(s3, b, "get_bucket_notification_configuration", ()) or {}
        missing = [i for i in by_op["notification"] if i["configuration"] not in (conf.get(i["section"]) or [])]
        if missing:
            for i in missing:
                conf.setdefault(i["section"], []).append(i["configuration"])
                actions.append({"action": "put_back_notification", "resource": i["resource"]})
            if not check:
                s3.put_bucket_notification_configuration(aws_retry=True, Bucket=b, NotificationConfiguration=conf)
    for item in by_op.get("website", []):
        if _bucket_get(s3, b, "get_bucket_website", ("NoSuchWebsiteConfiguration",)) is None:
            actions.append({"action": "put_back_website", "resource": item["resource"]})
            if not check:
                s3.put_bucket_website(aws_retry=True, Bucket=b, WebsiteConfiguration=item["configuration"])
    if "cors_rule" in by_op:
        rules = list((_bucket_get(s3, b, "get_bucket_cors", ("NoSuchCORSConfiguration",)) or {}).get("CORSRules") or [])
        if _reinsert_rules(rules, by_op["cors_rule"], lambda rule: rule in rules, "put_back_cors_rule", actions):
            if not check:
                s3.put_bucket_cors(aws_retry=True, Bucket=b, CORSConfiguration={"CORSRules": rules})
    if "lifecycle_rule" in by_op:
        current = _bucket_get(s3, b, "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",)) or {}
        rules = list(current.get("Rules") or [])
        ids = {r.get("ID") for r in rules}
        if _reinsert_rules(
            rules, by_op["lifecycle_rule"], lambda rule: rule.get("ID") in ids, "put_back_lifecycle_rule", actions
        ):
            if not check:
                s3.put_bucket_lifecycle_configuration(aws_retry=True, Bucket=b, LifecycleConfiguration={"Rules": rules})
    if "policy_statement" in by_op:
        text = (_bucket_get(s3, b, "get_bucket_policy", ("NoSuchBucketPolicy",)) or {}).get("Policy")
        document = raw_policy(text) if text else {"Version": "2012-10-17", "Statement": []}
        statements = _statements(document)
        missing = [
            i
            for i in sorted(by_op["policy_statement"], key=lambda i: i["index"])
            if not any(policies_equal({"Statement": [s]}, {"Statement": [i["statement"]]}) for s in statements)
        ]
        if missing:
            for i in missing:
                statements.insert(min(i["index"], len(statements)), i["statement"])
                actions.append({"action": "put_back_policy_statement", "resource": i["resource"]})
            document["Statement"] = statements
            if not check:
                s3.put_bucket_policy(aws_retry=True, Bucket=b, Policy=_policy_text(document, policy_texts))
    if "acl_grant" in by_op:
        acl = _bucket_get(s3, b, "get_bucket_acl", ())
        grants = list(acl.get("Grants") or [])
        missing = [i for i in by_op["acl_grant"] if i["grant"] not in grants]
        if missing:
            grants.extend(i["grant"] for i in missing)
            actions.extend({"action": "put_back_acl_grant", "resource": i["resource"]} for i in missing)
            if not check:
                s3.put_bucket_acl(
                    aws_retry=True, Bucket=b, AccessControlPolicy={"Grants": grants, "Owner": acl.get("Owner")}
                )


def _policy_text(document: dict, recorded_texts: list[str | None]) -> str:
    """A recorded policy text itself when the rebuilt policy means exactly the same (byte-exact restore: the
    quarantine and the removal re-serialise the policy, so the rebuilt one may differ from it in form only)."""
    for text in recorded_texts:
        try:
            if text and policies_equal(json.loads(text), document):
                return text
        except (ValueError, PolicyError):
            continue
    return dump_policy(document)


def restore_items(
    target: Target,
    items: list[dict],
    check: bool,
    restore_login_profile: bool = True,
    policy_texts: list[str | None] | None = None,
) -> dict:
    """Put back what ``items`` removed, where it is missing. Returns ``{actions, notes, temporary_passwords}``.

    ``policy_texts``: recorded bucket policy texts (this record's, the bucket quarantine's); a rebuilt policy equal to
    one of them is written back as that exact text."""
    actions: list[dict] = []
    notes: list[str] = []
    passwords: dict[str, str] = {}
    _restore_bucket(target, [i for i in items if i["kind"] in BUCKET_REMOVABLE], check, actions, policy_texts or [])
    out = {"actions": actions, "notes": notes, "temporary_passwords": passwords}
    for item in reversed([i for i in items if i["kind"] not in BUCKET_REMOVABLE]):
        _restore_one(target, item, check, out, restore_login_profile)
    return out


def _restore_one(target: Target, item: dict, check: bool, out: dict, restore_login_profile: bool) -> None:
    """Put back one removed IAM or access point item when it is missing (appends to ``out``)."""
    iam = target.iam
    actions, notes, passwords = out["actions"], out["notes"], out["temporary_passwords"]
    op, resource = item["op"], item["resource"]

    def act(action: str, call, resource=resource) -> None:
        actions.append({"action": action, "resource": resource})
        if not check:
            call()

    if op in ("deactivate_key", "contain_user"):
        user = item["user_name"]
        if not _exists(lambda user=user: iam.get_user(aws_retry=True, UserName=user)):
            notes.append(f"user {user} no longer exists; {resource} cannot be restored")
            return
        status = _access_key_status(iam, user)
        keys = [item["access_key_id"]] if op == "deactivate_key" else item["active_keys"]
        for key in keys:
            if key not in status:
                notes.append(f"access key {key} of {user} no longer exists; it cannot be reactivated")
            elif status[key] != "Active":
                act(
                    "reactivate_access_key",
                    lambda key=key, user=user: iam.update_access_key(
                        aws_retry=True, UserName=user, AccessKeyId=key, Status="Active"
                    ),
                    resource=f"access key {key} of {user}",
                )
        if op == "deactivate_key":
            return
        current = _inline(iam, "user", user, item["policy_name"])
        prior = item["prior_inline"]
        if prior is None and current is not None:
            act(
                "delete_user_policy",
                lambda: iam.delete_user_policy(aws_retry=True, UserName=user, PolicyName=item["policy_name"]),
            )
        elif prior is not None and (current is None or not policies_equal(current, prior)):
            act(
                "put_user_policy",
                lambda: iam.put_user_policy(
                    aws_retry=True, UserName=user, PolicyName=item["policy_name"], PolicyDocument=dump_policy(prior)
                ),
            )
        if item["login_profile"].get("exists") and not login_profile(iam, user)["exists"]:
            if not restore_login_profile:
                notes.append(f"{user} had a console password; it was not recreated (restore_login_profile is false)")
                return
            password = temporary_password()
            act(
                "create_login_profile",
                lambda: iam.create_login_profile(
                    aws_retry=True, UserName=user, Password=password, PasswordResetRequired=True
                ),
            )
            notes.append(
                f"the console password of {user} cannot be recovered; a new one-time password was set "
                "(temporary_passwords), which must be changed at first sign-in"
            )
            if not check:
                passwords[target.arn("user", user)] = password
    elif op == "group_membership":
        groups = paginate(iam, "list_groups_for_user", UserName=item["user_name"]).get("Groups") or []
        if not any(g["GroupName"] == item["group_name"] for g in groups):
            act(
                "add_user_to_group",
                lambda: iam.add_user_to_group(aws_retry=True, GroupName=item["group_name"], UserName=item["user_name"]),
            )
    elif op == "managed_attachment":
        entity = item["entity_type"]
        if item["policy_arn"] not in _attached(iam, entity, item["entity_name"]):
            act(
                f"attach_{entity}_policy",
                lambda: getattr(iam, f"attach_{entity}_policy")(
                    aws_retry=True, **{_ENTITY_KEY[entity]: item["entity_name"], "PolicyArn": item["policy_arn"]}
                ),
            )
    elif op == "inline_policy":
        entity = item["entity_type"]
        current = _inline(iam, entity, item["entity_name"], item["policy_name"])
        if current is None or not policies_equal(current, item["document"]):
            act(
                f"put_{entity}_policy",
                lambda: getattr(iam, f"put_{entity}_policy")(
                    aws_retry=True,
                    **{
                        _ENTITY_KEY[entity]: item["entity_name"],
                        "PolicyName": item["policy_name"],
                        "PolicyDocument": dump_policy(item["document"]),
                    },
                ),
            )
    elif op == "default_version":
        versions = paginate(iam, "list_policy_versions", PolicyArn=item["policy_arn"]).get("Versions") or []
        default = next((v["VersionId"] for v in versions if v.get("IsDefaultVersion")), None)
        if default != item["version_id"]:
            act(
                "set_default_policy_version",
                lambda: iam.set_default_policy_version(
                    aws_retry=True, PolicyArn=item["policy_arn"], VersionId=item["version_id"]
                ),
            )
    elif op == "trust_policy":
        current = policy_document(
            iam.get_role(aws_retry=True, RoleName=item["role_name"])["Role"].get("AssumeRolePolicyDocument")
        )
        if not policies_equal(current, item["document"]):
            act(
                "update_assume_role_policy",
                lambda: iam.update_assume_role_policy(
                    aws_retry=True, RoleName=item["role_name"], PolicyDocument=dump_policy(item["document"])
                ),
            )
    elif op == "access_point_policy":
        _restore_access_point_policy(target, item, act)
    elif op == "delete_access_point":
        _restore_access_point(target, item, act)


def _restore_access_point_policy(target: Target, item: dict, act) -> None:
    s3control, account, name = target.s3control, target.account_id, item["name"]
    current = _access_point_policy(target, name)
    prior = item["policy_text"]
    if prior is None and current is not None:
        act(
            "delete_access_point_policy",
            lambda: s3control.delete_access_point_policy(aws_retry=True, AccountId=account, Name=name),
        )
    elif prior is not None and (
        current is None or not policies_equal(parse_optional_policy(current), parse_optional_policy(prior))
    ):
        act(
            "put_access_point_policy",
            lambda: s3control.put_access_point_policy(aws_retry=True, AccountId=account, Name=name, Policy=prior),
        )


def _restore_access_point(target: Target, item: dict, act) -> None:
    s3control, account, name, config = target.s3control, target.account_id, item["name"], item["configuration"]
    try:
        s3control.get_access_point(aws_retry=True, AccountId=account, Name=name)
        return
    except botocore_errors() as exc:
        if not is_error(exc, "NoSuchAccessPoint"):
            raise
    kwargs = {"AccountId": account, "Name": name, "Bucket": config["Bucket"]}
    if (config.get("VpcConfiguration") or {}).get("VpcId"):
        kwargs["VpcConfiguration"] = {"VpcId": config["VpcConfiguration"]["VpcId"]}
    if config.get("PublicAccessBlockConfiguration"):
        kwargs["PublicAccessBlockConfiguration"] = config["PublicAccessBlockConfiguration"]
    if config.get("BucketAccountId"):
        kwargs["BucketAccountId"] = config["BucketAccountId"]

    def create() -> None:
        s3control.create_access_point(aws_retry=True, **kwargs)
        if item["policy_text"]:
            s3control.put_access_point_policy(aws_retry=True, AccountId=account, Name=name, Policy=item["policy_text"])

    act("create_access_point", create)

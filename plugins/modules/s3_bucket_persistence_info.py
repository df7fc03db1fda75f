#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_persistence_info
short_description: Find (and on request remove) what an attacker may have left on a bucket and in IAM
version_added: 0.1.0
description:
  - Reports the ways an attacker keeps access to, or keeps copying, a bucket after the obvious change is undone -
    replication to a foreign account, event notifications to foreign targets, static website hosting, CORS rules
    allowing any origin, lifecycle rules that expire data within O(short_expiry_days), bucket policy statements and
    ACL grants to foreign accounts or to everyone, and access points created during the window.
  - In IAM, reports access keys, users, login profiles, policies and role trust changes made during the window by
    the suspected principals, from O(timeline) (the investigate step's events) when given, else from CloudTrail
    C(LookupEvents) when O(lookup_events=true). Access keys and users created in the window are also found by
    listing IAM (their author is then unknown unless a suspected principal owns them).
  - Read-only by default. With O(remove), removes the named kinds of finding (only those marked C(removable)),
    recording the exact prior configuration in O(state_store) before changing anything. Access keys are
    deactivated, never deleted; access points, users, policies and trust changes are reported only.
  - Check mode reports what O(remove) would remove and changes nothing.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: The bucket to sweep.
    type: str
    required: true
  trusted_accounts:
    description: Account ids besides the bucket's own that are not foreign (for example the backup account).
    type: list
    elements: str
    default: []
  window_start:
    description: Start of the incident window (ISO-8601). Default - 7 days before O(window_end).
    type: str
  window_end:
    description: End of the incident window (ISO-8601). Default - now.
    type: str
  suspected_principals:
    description:
      - ARNs (or dicts with an C(arn) key, as C(investigate_result.suspected_principals) holds them) whose IAM
        changes in the window are reported.
    type: list
    elements: raw
    default: []
  timeline:
    description:
      - Events to look through for IAM persistence (CloudTrail records or normalised events with C(event_name),
        C(event_time), C(principal_arn)), for example C(investigate_result.timeline).
    type: list
    elements: dict
  lookup_events:
    description: Without O(timeline), read IAM management events of the window from CloudTrail C(LookupEvents).
    type: bool
    default: false
  short_expiry_days:
    description: Lifecycle rules that expire current or noncurrent objects within this many days are reported.
    type: int
    default: 7
  remove:
    description:
      - Kinds of finding to remove (V(all) for every removable kind). Needs O(incident_id) and O(state_store).
    type: list
    elements: str
    default: []
    choices: [all, replication_foreign_account, notification_foreign_target, website_hosting, cors_any_origin,
              lifecycle_short_expiry, policy_foreign_grant, policy_public_grant, acl_foreign_grant, acl_public_grant,
              iam_access_key_created]
  incident_id:
    description: Incident id under which removals are recorded.
    type: str
  state_store:
    description: Local directory or C(s3://bucket/prefix) where the removed configuration is recorded.
    type: str
notes:
  - IAM actions (read) - C(sts:GetCallerIdentity), the C(s3:Get*) actions of M(cloudsec.s3.s3_bucket_security_info),
    C(iam:ListUsers), C(iam:ListAccessKeys), C(cloudtrail:LookupEvents) (with O(lookup_events)).
  - IAM actions (remove) - C(s3:PutReplicationConfiguration), C(s3:PutBucketNotification), C(s3:DeleteBucketWebsite),
    C(s3:PutBucketCORS), C(s3:PutLifecycleConfiguration), C(s3:PutBucketPolicy), C(s3:DeleteBucketPolicy),
    C(s3:PutBucketAcl), C(iam:UpdateAccessKey).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Sweep the victim bucket for persistence, using the investigation's timeline
  cloudsec.s3.s3_bucket_persistence_info:
    bucket: acme-customer-exports
    window_start: "{{ investigate_result.window.start }}"
    suspected_principals: "{{ investigate_result.suspected_principals }}"
    timeline: "{{ investigate_result.timeline }}"
  register: sweep

- name: Remove foreign replication and public or foreign policy grants, recording them
  cloudsec.s3.s3_bucket_persistence_info:
    bucket: acme-customer-exports
    remove: [replication_foreign_account, policy_public_grant, policy_foreign_grant]
    incident_id: INC-2026-0042
    state_store: s3://acme-ir-state/cloudsec
"""

RETURN = r"""
findings:
  description: What was found, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Kind of persistence (one of the O(remove) choices, or an IAM report-only kind).
      type: str
      sample: policy_public_grant
    resource:
      description: The bucket, statement, rule, access point, key or principal concerned.
      type: str
      sample: "acme-customer-exports policy statement PublicRead"
    detail:
      description: One sentence for the responder.
      type: str
      sample: "statement PublicRead allows everyone (Principal *)"
    severity:
      description: V(high), V(medium) or V(low).
      type: str
      sample: high
    removable:
      description: Whether O(remove) can remove it.
      type: bool
      sample: true
    removed:
      description: Whether it was removed by this run (or would be, in check mode).
      type: bool
      sample: false
removed:
  description: Kinds removed by this run, with the resource.
  returned: always
  type: list
  elements: dict
  sample: [{kind: policy_public_grant, resource: "acme-customer-exports policy statement PublicRead"}]
state_record:
  description: Where the removed configuration was recorded (when something was removed).
  returned: when something was removed
  type: str
  sample: /var/lib/cloudsec/INC-42/persistence-acme-customer-exports.json
window:
  description: The window used.
  returned: always
  type: dict
  sample: {start: "2026-11-22T22:46:00Z", end: "2026-11-29T22:46:00Z"}
"""

import copy
import datetime
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate_tokens
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import PolicyError
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import dump_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_optional_policy
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import principal_arn_of
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import ALL_USERS_URI
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import AUTHENTICATED_USERS_URI
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_bucket
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import StateStore
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import new_record
from ansible_collections.cloudsec.s3.plugins.module_utils.state_store import record_name
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name

REMOVABLE = (
    "replication_foreign_account",
    "notification_foreign_target",
    "website_hosting",
    "cors_any_origin",
    "lifecycle_short_expiry",
    "policy_foreign_grant",
    "policy_public_grant",
    "acl_foreign_grant",
    "acl_public_grant",
    "iam_access_key_created",
)
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
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_ACCOUNT_IN_ARN = re.compile(r"^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):")


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
    return {
        "kind": kind,
        "resource": resource,
        "detail": detail,
        "severity": severity,
        "removable": kind in REMOVABLE,
        "removed": False,
        **extra,
    }


class Sweep:
    def __init__(self, s3, s3control, iam, cloudtrail, bucket: str, account_id: str, params: dict) -> None:
        self.s3, self.s3control, self.iam, self.cloudtrail = s3, s3control, iam, cloudtrail
        self.bucket = bucket
        self.account_id = account_id
        self.params = params
        self.own = {account_id, *params["trusted_accounts"]}
        self.findings: list[dict] = []
        self.raw: dict = {}
        self.end = parse_time(params["window_end"], "window_end") or datetime.datetime.now(datetime.timezone.utc)
        self.start = parse_time(params["window_start"], "window_start") or self.end - datetime.timedelta(days=7)
        self.suspects = []
        for item in params["suspected_principals"] or []:
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
        for key, arn_key in (
            ("TopicConfigurations", "TopicArn"),
            ("QueueConfigurations", "QueueArn"),
            ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
        ):
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
            short = [d for d in days if isinstance(d, int) and d <= self.params["short_expiry_days"]]
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
        if self.params["timeline"] is not None:
            return [normalise_event(e) for e in self.params["timeline"]]
        if not self.params["lookup_events"]:
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

    def sweep_iam(self) -> None:
        seen_keys: set[str] = set()
        for event in self.events():
            kind = IAM_PERSISTENCE_EVENTS.get(event["event_name"] or "")
            if not kind or not event["principal_arn"] or not self.in_window(event["event_time"]):
                continue
            actor = principal_arn_of(event["principal_arn"])
            if self.suspects and actor not in self.suspects:
                continue
            target = describe_target(event)
            extra = {"event_time": event["event_time"], "actor": event["principal_arn"]}
            if kind == "iam_access_key_created":
                key = ((event["response"] or {}).get("accessKey") or {}).get("accessKeyId")
                user = ((event["response"] or {}).get("accessKey") or {}).get("userName") or (
                    event["request"] or {}
                ).get("userName")
                if key:
                    seen_keys.add(key)
                    extra.update({"access_key_id": key, "user_name": user})
            self.findings.append(
                finding(
                    kind,
                    target,
                    f"{event['event_name']} by {event['principal_arn']} at {event['event_time']}",
                    "high",
                    **extra,
                )
            )
        # keys and users created in the window, whoever made them
        try:
            users = paginate(self.iam, "list_users").get("Users") or []
        except botocore_errors():
            return
        for user in users:
            name = user["UserName"]
            if self.in_window(user.get("CreateDate")):
                self.findings.append(
                    finding("iam_user_created", f"user {name}", f"created {jsonable(user.get('CreateDate'))}", "medium")
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

    # removal ---------------------------------------------------------------------------------------------------
    def plan_removals(self, kinds: set[str]) -> list[dict]:
        chosen = [f for f in self.findings if f["removable"] and ("all" in kinds or f["kind"] in kinds)]
        if any(f["kind"] == "iam_access_key_created" for f in chosen):
            chosen = [f for f in chosen if f["kind"] != "iam_access_key_created" or f.get("access_key_id")]
        return chosen

    def remove(self, chosen: list[dict]) -> None:
        kinds = {f["kind"] for f in chosen}
        b = self.bucket
        if "replication_foreign_account" in kinds:
            drop = {f.get("rule_id") for f in chosen if f["kind"] == "replication_foreign_account"}
            conf = copy.deepcopy(self.raw["replication"]["ReplicationConfiguration"])
            conf["Rules"] = [r for r in conf["Rules"] if r.get("ID") not in drop]
            if conf["Rules"]:
                self.s3.put_bucket_replication(aws_retry=True, Bucket=b, ReplicationConfiguration=conf)
            else:
                self.s3.delete_bucket_replication(aws_retry=True, Bucket=b)
        if "notification_foreign_target" in kinds:
            targets = {f.get("target") for f in chosen if f["kind"] == "notification_foreign_target"}
            conf = copy.deepcopy(self.raw["notifications"] or {})
            for key, arn_key in (
                ("TopicConfigurations", "TopicArn"),
                ("QueueConfigurations", "QueueArn"),
                ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
            ):
                if key in conf:
                    conf[key] = [c for c in conf[key] if c.get(arn_key) not in targets]
            self.s3.put_bucket_notification_configuration(aws_retry=True, Bucket=b, NotificationConfiguration=conf)
        if "website_hosting" in kinds:
            self.s3.delete_bucket_website(aws_retry=True, Bucket=b)
        if "cors_any_origin" in kinds:
            drop = {f["index"] for f in chosen if f["kind"] == "cors_any_origin"}
            rules = [r for i, r in enumerate(self.raw["cors"]["CORSRules"]) if i not in drop]
            if rules:
                self.s3.put_bucket_cors(aws_retry=True, Bucket=b, CORSConfiguration={"CORSRules": rules})
            else:
                self.s3.delete_bucket_cors(aws_retry=True, Bucket=b)
        if "lifecycle_short_expiry" in kinds:
            drop = {f.get("rule_id") for f in chosen if f["kind"] == "lifecycle_short_expiry"}
            rules = [r for r in self.raw["lifecycle"]["Rules"] if r.get("ID") not in drop]
            if rules:
                self.s3.put_bucket_lifecycle_configuration(
                    aws_retry=True, Bucket=b, LifecycleConfiguration={"Rules": rules}
                )
            else:
                self.s3.delete_bucket_lifecycle(aws_retry=True, Bucket=b)
        if kinds & {"policy_foreign_grant", "policy_public_grant"}:
            drop = {f["index"] for f in chosen if f["kind"] in ("policy_foreign_grant", "policy_public_grant")}
            document = parse_optional_policy(self.raw["policy_text"])
            document["Statement"] = [s for i, s in enumerate(document["Statement"]) if i not in drop]
            if document["Statement"]:
                self.s3.put_bucket_policy(aws_retry=True, Bucket=b, Policy=dump_policy(document))
            else:
                self.s3.delete_bucket_policy(aws_retry=True, Bucket=b)
        if kinds & {"acl_foreign_grant", "acl_public_grant"}:
            acl = self.raw["acl"]
            owner_id = (acl.get("Owner") or {}).get("ID")
            grants = []
            for grant in acl.get("Grants") or []:
                grantee = grant.get("Grantee") or {}
                public = grantee.get("URI") in (ALL_USERS_URI, AUTHENTICATED_USERS_URI)
                foreign = grantee.get("Type") == "CanonicalUser" and grantee.get("ID") not in (owner_id, None)
                if (public and "acl_public_grant" in kinds) or (foreign and "acl_foreign_grant" in kinds):
                    continue
                grants.append(grant)
            self.s3.put_bucket_acl(
                aws_retry=True, Bucket=b, AccessControlPolicy={"Grants": grants, "Owner": acl.get("Owner")}
            )
        for f in chosen:
            if f["kind"] == "iam_access_key_created" and f.get("user_name"):
                self.iam.update_access_key(
                    aws_retry=True, UserName=f["user_name"], AccessKeyId=f["access_key_id"], Status="Inactive"
                )


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


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        trusted_accounts=dict(type="list", elements="str", default=[]),
        window_start=dict(type="str"),
        window_end=dict(type="str"),
        suspected_principals=dict(type="list", elements="raw", default=[]),
        timeline=dict(type="list", elements="dict"),
        lookup_events=dict(type="bool", default=False),
        short_expiry_days=dict(type="int", default=7),
        remove=dict(type="list", elements="str", default=[], choices=["all", *REMOVABLE]),
        incident_id=dict(type="str"),
        state_store=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        bucket = validate_bucket_name(params["bucket"])
        if params["remove"]:
            if not params["incident_id"] or not params["state_store"]:
                raise ValueError("remove needs incident_id and state_store, to record what is removed")
            validate_incident_id(params["incident_id"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    s3 = client(module, "s3")
    try:
        store = None
        if params["remove"]:
            store = StateStore(params["state_store"], s3)
            store.check_writable(create=not module.check_mode)
        account_id = caller_identity(client(module, "sts"))["account_id"]
        sweep = Sweep(
            s3,
            client(module, "s3control"),
            client(module, "iam"),
            client(module, "cloudtrail") if params["lookup_events"] else None,
            bucket,
            account_id,
            params,
        )
        sweep.sweep_bucket()
        sweep.sweep_iam()
        chosen = sweep.plan_removals(set(params["remove"])) if params["remove"] else []
        result: dict = {"changed": bool(chosen), "removed": []}
        for f in chosen:
            f["removed"] = True
            result["removed"].append({"kind": f["kind"], "resource": f["resource"]})
        if chosen and store is not None:
            name = record_name("persistence", bucket)
            result["state_record"] = store.url_of(params["incident_id"], name)
            if not module.check_mode:
                previous = store.read(params["incident_id"], name)
                record = new_record("persistence", bucket, params["incident_id"], jsonable(sweep.raw))
                record["history"] = ((previous or {}).get("history") or []) + ([previous] if previous else [])
                record["applied"] = {"removed": result["removed"]}
                store.write(params["incident_id"], name, record)
                sweep.remove(chosen)
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to sweep bucket {params['bucket']} for persistence")
    findings = sorted(sweep.findings, key=lambda f: (_SEVERITY_ORDER[f["severity"]], f["kind"], f["resource"]))
    module.exit_json(
        findings=jsonable(findings),
        window={"start": iso(sweep.start), "end": iso(sweep.end)},
        **result,
    )


if __name__ == "__main__":
    main()

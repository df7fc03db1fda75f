# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building blocks shared by the scenarios.

Two halves:

* pure builders (no I/O): seeded identifiers, CloudTrail records in the shape trail log files carry, GuardDuty
  findings in the wire (camelCase) shape, IAM identities. A scenario's ``build()`` is made only of these.
* ``apply_world()``: creates the moto side of a built scenario (buckets, objects, IAM, trail, detector) with
  boto3, then swaps the placeholder ids that only moto can mint (access key ids, user and role ids, detector id)
  into the seed payload and the expected conclusions, and loads the payload into the sandbox.

Placeholders are syntactically valid ids drawn from the scenario's seeded RNG, so ``build()`` output is already
realistic and deterministic; after ``apply`` the ids match what IAM and GuardDuty report.
"""

from __future__ import annotations

import json
import random
import string
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sandbox import ACCOUNT_ID
from sandbox import REGION

# moto's fixed canonical user id for the bucket owner; replaced by whatever ListBuckets reports at apply time.
MOTO_CANONICAL_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
TLS_CIPHER = "TLS_AES_128_GCM_SHA256"
_KEY_ALPHABET = string.ascii_uppercase + "234567"


def default_now() -> datetime:
    """Current UTC time rounded down to the minute (the scenarios' default reference time)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def iso(dt: datetime) -> str:
    """CloudTrail / Detective style timestamp: ``2026-11-01T10:06:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(dt: datetime) -> str:
    """GuardDuty finding timestamp string: ``2026-11-01T10:06:00.000Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Ids:
    """Every identifier a scenario needs, drawn from one seeded RNG (so a seed fixes them all)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def upper_hex(self, n: int) -> str:
        return self.hex(n).upper()

    def key_id(self, prefix: str) -> str:
        """Access key id (``AKIA``/``ASIA``) or unique id (``AIDA``/``AROA``): prefix + base32 chars."""
        return prefix + "".join(self.rng.choice(_KEY_ALPHABET) for _ in range(16 if len(prefix) == 4 else 17))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(n))

    def amz_id_2(self) -> str:
        return self.alnum(60) + "="

    def instance_id(self) -> str:
        return "i-0" + self.hex(16)


# --------------------------------------------------------------------------------------------- identities
def iam_user_identity(user_name: str, user_id: str, access_key_id: str, account_id: str = ACCOUNT_ID) -> dict:
    return {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": f"arn:aws:iam::{account_id}:user/{user_name}",
        "accountId": account_id,
        "accessKeyId": access_key_id,
        "userName": user_name,
    }


def assumed_role_identity(
    role_name: str,
    role_id: str,
    session_name: str,
    access_key_id: str | None,
    session_created: datetime,
    *,
    account_id: str = ACCOUNT_ID,
    ec2: bool = False,
) -> dict:
    ident: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session_name}",
        "arn": f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}",
        "accountId": account_id,
    }
    if access_key_id:
        ident["accessKeyId"] = access_key_id
    ident["sessionContext"] = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": role_id,
            "arn": f"arn:aws:iam::{account_id}:role/{role_name}",
            "accountId": account_id,
            "userName": role_name,
        },
        "attributes": {"creationDate": iso(session_created), "mfaAuthenticated": "false"},
    }
    if ec2:
        ident["sessionContext"]["ec2RoleDelivery"] = "2.0"
    return ident


def anonymous_identity() -> dict:
    return {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}


def aws_service_identity(service: str) -> dict:
    return {"type": "AWSService", "invokedBy": service}


# --------------------------------------------------------------------------------------------- CloudTrail
def s3_host(bucket: str | None, region: str = REGION) -> str:
    return f"{bucket}.s3.{region}.amazonaws.com" if bucket else f"s3.{region}.amazonaws.com"


def s3_record(
    ids: Ids,
    *,
    when: datetime,
    event_name: str,
    identity: dict,
    source_ip: str,
    user_agent: str,
    bucket: str | None,
    key: str | None = None,
    data: bool,
    read_only: bool,
    request_parameters: dict | None = None,
    response_elements: dict | None = None,
    bytes_in: float = 0.0,
    bytes_out: float = 0.0,
    error: tuple[str, str] | None = None,
    vpc_endpoint_id: str | None = None,
    authentication_method: str | None = "AuthHeader",
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> dict:
    """One S3 CloudTrail record (data event when ``data``, else management event) as trail log files hold it."""
    host = s3_host(bucket, region)
    params: dict[str, Any] = {}
    if bucket:
        params["bucketName"] = bucket
    params["Host"] = host
    if key is not None:
        params["key"] = key
    params.update(request_parameters or {})
    extra: dict[str, Any] = {}
    if authentication_method:  # anonymous requests carry no signature details
        extra["SignatureVersion"] = "SigV4"
    extra["CipherSuite"] = TLS_CIPHER
    extra["bytesTransferredIn"] = float(bytes_in)
    if authentication_method:
        extra["AuthenticationMethod"] = authentication_method
    extra["x-amz-id-2"] = ids.amz_id_2()
    extra["bytesTransferredOut"] = float(bytes_out)
    resources: list[dict] = []
    if bucket and key is not None:
        resources.append({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"})
    if bucket:
        resources.append({"accountId": account_id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"})
    rec: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    rec.update(
        {
            "requestParameters": params,
            "responseElements": None if error else response_elements,
            "additionalEventData": extra,
            "requestID": ids.upper_hex(16),
            "eventID": ids.uuid(),
            "readOnly": read_only,
            "resources": resources,
            "eventType": "AwsApiCall",
            "managementEvent": not data,
            "recipientAccountId": account_id,
        }
    )
    if vpc_endpoint_id:
        rec["vpcEndpointId"] = vpc_endpoint_id
        rec["vpcEndpointAccountId"] = account_id
    rec["eventCategory"] = "Data" if data else "Management"
    rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": TLS_CIPHER, "clientProvidedHostHeader": host}
    return rec


def api_record(
    ids: Ids,
    *,
    when: datetime,
    event_source: str,
    event_name: str,
    identity: dict,
    source_ip: str,
    user_agent: str,
    read_only: bool,
    request_parameters: dict | None = None,
    response_elements: dict | None = None,
    resources: list[dict] | None = None,
    error: tuple[str, str] | None = None,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> dict:
    """A management event of a non-S3 service (STS, IAM ...)."""
    rec: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    rec.update(
        {
            "requestParameters": request_parameters,
            "responseElements": None if error else response_elements,
            "requestID": ids.uuid(),
            "eventID": ids.uuid(),
            "readOnly": read_only,
            "resources": resources or [],
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account_id,
            "eventCategory": "Management",
        }
    )
    if not source_ip.endswith(".amazonaws.com"):
        rec["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": TLS_CIPHER,
            "clientProvidedHostHeader": f"{event_source.split('.')[0]}.amazonaws.com",
        }
    return rec


def assume_role_record(
    ids: Ids,
    *,
    when: datetime,
    role_name: str,
    role_id: str,
    session_name: str,
    access_key_id: str,
    service: str,
    account_id: str = ACCOUNT_ID,
) -> dict:
    """sts:AssumeRole made by a service (ec2/lambda) for a role session: links an ASIA key to its role."""
    role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    rec = api_record(
        ids,
        when=when,
        event_source="sts.amazonaws.com",
        event_name="AssumeRole",
        identity=aws_service_identity(service),
        source_ip=service,
        user_agent=service,
        read_only=True,
        request_parameters={"roleArn": role_arn, "roleSessionName": session_name},
        response_elements={
            "credentials": {
                "accessKeyId": access_key_id,
                "sessionToken": "<redacted>",
                "expiration": (when + timedelta(hours=6)).strftime("%b %d, %Y, %I:%M:%S %p"),
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{role_id}:{session_name}",
                "arn": f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}",
            },
        },
        resources=[{"accountId": account_id, "type": "AWS::IAM::Role", "ARN": role_arn}],
    )
    rec["sharedEventID"] = ids.uuid()
    return rec


def private_ips(ids: Ids, n: int, low: int, high: int) -> list[str]:
    """``n`` in-VPC addresses 10.0.<low..high>.x."""
    return [f"10.0.{ids.rng.randint(low, high)}.{ids.rng.randint(10, 250)}" for _ in range(n)]


class RoleSessions:
    """Sessions of application roles: one per role instance per 6-hour credential period, each with its own
    ASIA key and an sts:AssumeRole record made by the service (ec2 unless ``services`` says otherwise)."""

    def __init__(
        self,
        ids: Ids,
        role_ids: dict[str, str],
        start: datetime,
        *,
        instances: dict[str, list[str]],
        ips: dict[str, list[str]],
        services: dict[str, str] | None = None,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.ids = ids
        self.role_ids = role_ids
        self.start = start
        self.instances = instances
        self.ips = ips
        self.services = services or {}
        self.account_id = account_id
        self.cache: dict[tuple[str, int, int], dict] = {}
        self.assume_records: list[dict] = []

    def session(self, role: str, when: datetime, idx: int | None = None) -> dict:
        """``{"identity", "ip", "access_key_id", "session_name", "created"}`` of the session active at ``when``."""
        period = int((when - self.start).total_seconds() // (6 * 3600))
        if idx is None:
            idx = self.ids.rng.randrange(len(self.instances[role]))
        key = (role, period, idx)
        if key not in self.cache:
            name = self.instances[role][idx]
            created = self.start + timedelta(hours=6 * period) - timedelta(minutes=self.ids.rng.randint(1, 20))
            akid = self.ids.key_id("ASIA")
            rid = self.role_ids[role]
            service = self.services.get(role, "ec2.amazonaws.com")
            self.assume_records.append(
                assume_role_record(
                    self.ids,
                    when=created,
                    role_name=role,
                    role_id=rid,
                    session_name=name,
                    access_key_id=akid,
                    service=service,
                    account_id=self.account_id,
                )
            )
            ident = assumed_role_identity(
                role, rid, name, akid, created, account_id=self.account_id, ec2=service.startswith("ec2")
            )
            self.cache[key] = {
                "identity": ident,
                "ip": self.ids.rng.choice(self.ips[role]),
                "access_key_id": akid,
                "session_name": name,
                "created": created,
            }
        return self.cache[key]

    def identity(self, role: str, when: datetime) -> tuple[dict, str]:
        entry = self.session(role, when)
        return entry["identity"], entry["ip"]


# --------------------------------------------------------------------------------------------- GuardDuty
def remote_ip(
    ip: str, *, country: str, country_code: str, city: str, asn: str, org: str, lat: float, lon: float
) -> dict:
    return {
        "ipAddressV4": ip,
        "organization": {"asn": asn, "asnOrg": org.upper().replace(" ", "-"), "isp": org, "org": org},
        "country": {"countryCode": country_code, "countryName": country},
        "city": {"cityName": city},
        "geoLocation": {"lat": lat, "lon": lon},
    }


def bpa(on: bool) -> dict:
    return {"blockPublicAcls": on, "ignorePublicAcls": on, "blockPublicPolicy": on, "restrictPublicBuckets": on}


def s3_bucket_detail(
    bucket: str,
    *,
    created: datetime,
    public: bool,
    policy_public_read: bool,
    bucket_bpa: bool,
    account_bpa: bool = False,
    tags: dict[str, str] | None = None,
    encryption: str = "AES256",
    object_keys: list[str] | None = None,
) -> dict:
    detail: dict[str, Any] = {
        "arn": f"arn:aws:s3:::{bucket}",
        "name": bucket,
        "type": "Destination",
        "createdAt": created.timestamp(),
        "owner": {"id": MOTO_CANONICAL_ID},
        "tags": [{"key": k, "value": v} for k, v in sorted((tags or {}).items())],
        "defaultServerSideEncryption": {"encryptionType": encryption},
        "publicAccess": {
            "effectivePermission": "PUBLIC" if public else "NOT_PUBLIC",
            "permissionConfiguration": {
                "bucketLevelPermissions": {
                    "accessControlList": {"allowsPublicReadAccess": False, "allowsPublicWriteAccess": False},
                    "bucketPolicy": {"allowsPublicReadAccess": policy_public_read, "allowsPublicWriteAccess": False},
                    "blockPublicAccess": bpa(bucket_bpa),
                },
                "accountLevelPermissions": {"blockPublicAccess": bpa(account_bpa)},
            },
        },
    }
    if object_keys:
        detail["s3ObjectDetails"] = [
            {"objectArn": f"arn:aws:s3:::{bucket}/{k}", "key": k, "eTag": "", "hash": "", "versionId": ""}
            for k in object_keys
        ]
    return detail


def access_key_detail(access_key_id: str, principal_id: str, user_name: str, user_type: str) -> dict:
    return {"accessKeyId": access_key_id, "principalId": principal_id, "userName": user_name, "userType": user_type}


def finding(
    ids: Ids,
    *,
    detector_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    first_seen: datetime,
    last_seen: datetime,
    count: int,
    buckets: list[dict],
    access_key: dict | None,
    api: str,
    remote: dict | None,
    user_agent: str = "",
    error_code: str | None = None,
    archived: bool = False,
    resource_type: str = "S3Bucket",
    threat_list: str | None = None,
    remote_account: str | None = None,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> dict:
    """A GuardDuty finding in the wire / EventBridge ``detail`` shape (camelCase)."""
    fid = ids.hex(32)
    created = first_seen + timedelta(minutes=5)
    updated = max(created, last_seen + timedelta(minutes=5))
    call: dict[str, Any] = {"api": api, "serviceName": "s3.amazonaws.com", "affectedResources": {}}
    if remote is not None:
        call["callerType"] = "Remote IP"
        call["remoteIpDetails"] = remote
    if remote_account:
        call["callerType"] = "Remote account"
        call["remoteAccountDetails"] = {"accountId": remote_account, "affiliated": False}
    if user_agent:
        call["userAgent"] = user_agent
    if error_code:
        call["errorCode"] = error_code
    resource: dict[str, Any] = {"resourceType": resource_type, "s3BucketDetails": buckets}
    if access_key:
        resource["accessKeyDetails"] = access_key
    service: dict[str, Any] = {
        "serviceName": "guardduty",
        "detectorId": detector_id,
        "action": {"actionType": "AWS_API_CALL", "awsApiCallAction": call},
        "resourceRole": "TARGET",
        "additionalInfo": {"value": json.dumps({"sample": False}), "type": "default"},
        "eventFirstSeen": iso_ms(first_seen),
        "eventLastSeen": iso_ms(last_seen),
        "archived": archived,
        "count": count,
        "featureName": "S3DataEvents" if "MaliciousIPCaller" in finding_type or "Anomalous" in finding_type else "",
    }
    if not service["featureName"]:
        del service["featureName"]
    if threat_list:
        service["evidence"] = {
            "threatIntelligenceDetails": [{"threatListName": threat_list, "threatNames": ["Exfiltration"]}]
        }
    return {
        "schemaVersion": "2.0",
        "accountId": account_id,
        "region": region,
        "partition": "aws",
        "id": fid,
        "arn": f"arn:aws:guardduty:{region}:{account_id}:detector/{detector_id}/finding/{fid}",
        "type": finding_type,
        "resource": resource,
        "service": service,
        "severity": float(severity),
        "createdAt": iso_ms(created),
        "updatedAt": iso_ms(updated),
        "title": title,
        "description": description,
        "confidence": 5.0,
    }


# --------------------------------------------------------------------------------------------- IAM helpers
def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(service: str) -> dict:
    return policy({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def cloudtrail_bucket_policy(bucket: str, trail_arn: str, account_id: str = ACCOUNT_ID) -> dict:
    """The bucket policy CloudTrail needs to deliver log files into ``bucket``."""
    cond = {"StringEquals": {"aws:SourceArn": trail_arn}}
    return policy(
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": cond,
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account_id}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}},
        },
    )


def bpa_config(on: bool = True) -> dict:
    """A PublicAccessBlockConfiguration as boto3 takes it."""
    return {"BlockPublicAcls": on, "IgnorePublicAcls": on, "BlockPublicPolicy": on, "RestrictPublicBuckets": on}


def trail_world(trail: str, bucket: str, data_buckets: list[str], *, tags: dict[str, str] | None = None) -> dict:
    """The trail bucket (locked down, with CloudTrail's bucket policy) and a multi-region trail logging S3 data
    events of ``data_buckets``: ``{"bucket": bucket spec, "trail": trail spec, "arn": trail ARN}``."""
    arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{trail}"
    return {
        "arn": arn,
        "bucket": {
            "name": bucket,
            "tags": {"purpose": "cloudtrail", **(tags or {})},
            "encryption": {"SSEAlgorithm": "AES256"},
            "versioning": "Enabled",
            "public_access_block": bpa_config(True),
            "ownership": "BucketOwnerEnforced",
            "policy": cloudtrail_bucket_policy(bucket, arn),
        },
        "trail": {
            "name": trail,
            "bucket": bucket,
            "event_selectors": [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [
                        {"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{b}/" for b in data_buckets]}
                    ],
                }
            ],
        },
    }


def simulation(principal_arn: str, action: str, resource: str, decision: str, matched: list[tuple[str, str]]) -> dict:
    return {
        "principal_arn": principal_arn,
        "action": action,
        "resource": resource,
        "decision": decision,
        "matched_statements": [{"source_policy_id": pid, "source_policy_type": ptype} for pid, ptype in matched],
    }


def detective_payload(graph_arn: str, created: datetime, *, entities: list[dict]) -> dict:
    """The ``detective`` seed section: one graph (core package ingesting) and per-entity behaviour.

    An investigation the responder starts on an entity listed in ``entities`` gets that entity's severity and
    indicators (``[{"IndicatorType", "IndicatorDetail"}]`` in boto3 shape).
    """
    return {
        "graphs": [
            {
                "arn": graph_arn,
                "created_time": iso(created),
                "datasource_packages": {"DETECTIVE_CORE": "STARTED", "ASFF_SECURITYHUB_FINDING": "DISABLED"},
            }
        ],
        "entities": entities,
    }


# --------------------------------------------------------------------------------------------- apply
def _substitute(obj: Any, mapping: dict[str, str]) -> Any:
    if not mapping:
        return obj
    text = json.dumps(obj)
    for old, new in mapping.items():
        if old != new:
            text = text.replace(old, new)
    return json.loads(text)


class ScenarioConflict(RuntimeError):
    """The sandbox already holds resources the scenario would create (reset it first); names them."""


def _preflight(s3: Any, iam: Any, world: dict) -> None:
    """Refuse, before changing anything, to apply onto a sandbox that already has the scenario's names."""
    clashes = []
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    clashes += [f"bucket {b['name']}" for b in world["buckets"] if b["name"] in buckets]
    users = {u["UserName"] for u in iam.list_users().get("Users", [])}
    clashes += [f"IAM user {u['name']}" for u in world["iam"].get("users", []) if u["name"] in users]
    roles = {r["RoleName"] for r in iam.list_roles().get("Roles", [])}
    clashes += [f"IAM role {r['name']}" for r in world["iam"].get("roles", []) if r["name"] in roles]
    if clashes:
        raise ScenarioConflict(
            f"the sandbox already has {', '.join(clashes)}; reset it (POST /_sandbox/reset) before applying a scenario"
        )


def _put_objects(s3: Any, bucket: str, objects: list[dict]) -> int:
    """Upload small objects a few at a time (the sandbox server is threaded; boto3 clients are thread-safe)."""

    def put(obj: dict) -> None:
        s3.put_object(Bucket=bucket, Key=obj["key"], Body=obj["body"].encode(), ContentType=obj["content_type"])

    if len(objects) < 4:
        for obj in objects:
            put(obj)
    else:
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(put, objects))  # list() re-raises the first failure
    return len(objects)


def _create_bucket(s3: Any, spec: dict) -> int:
    """Create one bucket with its objects, history and final configuration; returns the number of PUT objects."""
    name = spec["name"]
    s3.create_bucket(Bucket=name)
    puts = 0
    for status in spec.get("versioning_history", []):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    puts += _put_objects(s3, name, spec.get("objects", []))
    pending: list[dict] = []
    for op in [*spec.get("operations", []), {"op": "end"}]:
        if op["op"] == "put":  # consecutive puts are uploaded together
            pending.append(op)
            continue
        puts += _put_objects(s3, name, pending)
        pending = []
        if op["op"] == "versioning":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": op["status"]})
        elif op["op"] == "delete":
            keys = op["keys"]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(
                    Bucket=name, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
                )
    if spec.get("versioning"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": spec["versioning"]})
    if spec.get("encryption"):
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": spec["encryption"], "BucketKeyEnabled": False}]
            },
        )
    if spec.get("ownership"):
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": spec["ownership"]}]}
        )
    if spec.get("public_access_block"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=spec["public_access_block"])
    if spec.get("tags"):
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(spec["tags"].items())]}
        )
    if spec.get("website"):
        s3.put_bucket_website(Bucket=name, WebsiteConfiguration=spec["website"])
    if spec.get("policy"):
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(spec["policy"]))
    return puts


def built_scenario(
    name: str,
    seed: int,
    now: datetime,
    *,
    world: dict,
    findings: list,
    records: list,
    detective: dict,
    simulations: list,
    expected: dict,
) -> dict:
    """What every scenario's ``build()`` returns: the world to create, the seed payload and the expected conclusions."""
    return {
        "scenario": name,
        "seed": seed,
        "now": iso(now),
        "account_id": ACCOUNT_ID,
        "region": REGION,
        "world": world,
        "seed_payload": {
            "guardduty_findings": findings,
            "cloudtrail_events": records,
            "detective": detective,
            "iam_simulations": simulations,
        },
        "expected": expected,
    }


def apply_world(endpoint: str, built: dict) -> dict:
    """Create the moto side of ``built``, then seed the sandbox; returns ``{"expected", "created", ...}``."""
    from sandbox import clients  # imported here so build() stays importable without boto3 clients

    started = time.monotonic()
    world = built["world"]
    s3 = clients.client(endpoint, "s3")
    iam = clients.client(endpoint, "iam")
    mapping: dict[str, str] = {}
    acct = built["account_id"]
    created: dict[str, int] = {"buckets": 0, "objects": 0, "users": 0, "roles": 0, "policies": 0, "access_keys": 0}
    _preflight(s3, iam, world)

    for pol in world["iam"].get("managed_policies", []):
        iam.create_policy(
            PolicyName=pol["name"], PolicyDocument=json.dumps(pol["document"]), Description=pol["description"]
        )
        created["policies"] += 1
    for user in world["iam"].get("users", []):
        resp = iam.create_user(UserName=user["name"], Tags=[{"Key": k, "Value": v} for k, v in user["tags"].items()])
        mapping[user["placeholder_id"]] = resp["User"]["UserId"]
        created["users"] += 1
        for pname, doc in user.get("inline_policies", {}).items():
            iam.put_user_policy(UserName=user["name"], PolicyName=pname, PolicyDocument=json.dumps(doc))
        for pname in user.get("managed_policies", []):
            iam.attach_user_policy(UserName=user["name"], PolicyArn=f"arn:aws:iam::{acct}:policy/{pname}")
        for placeholder in user.get("access_keys", []):
            key = iam.create_access_key(UserName=user["name"])["AccessKey"]["AccessKeyId"]
            mapping[placeholder] = key
            created["access_keys"] += 1
    for role in world["iam"].get("roles", []):
        resp = iam.create_role(
            RoleName=role["name"],
            AssumeRolePolicyDocument=json.dumps(role["trust"]),
            Description=role["description"],
            Tags=[{"Key": k, "Value": v} for k, v in role.get("tags", {}).items()],
        )
        mapping[role["placeholder_id"]] = resp["Role"]["RoleId"]
        created["roles"] += 1
        for pname, doc in role.get("inline_policies", {}).items():
            iam.put_role_policy(RoleName=role["name"], PolicyName=pname, PolicyDocument=json.dumps(doc))
        for pname in role.get("managed_policies", []):
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=f"arn:aws:iam::{acct}:policy/{pname}")

    # IAM first (bucket policies name roles); logging last (its target bucket must exist with its policy).
    for spec in world["buckets"]:
        created["objects"] += _create_bucket(s3, spec)
        created["buckets"] += 1
    for spec in world["buckets"]:
        if spec.get("logging"):
            s3.put_bucket_logging(Bucket=spec["name"], BucketLoggingStatus={"LoggingEnabled": spec["logging"]})
    owner = s3.list_buckets().get("Owner", {}).get("ID")
    if owner:
        mapping[MOTO_CANONICAL_ID] = owner
    if world.get("account_public_access_block"):
        clients.client(endpoint, "s3control").put_public_access_block(
            AccountId=built["account_id"], PublicAccessBlockConfiguration=world["account_public_access_block"]
        )

    if world.get("guardduty_detector"):
        gd = clients.client(endpoint, "guardduty")
        existing = gd.list_detectors().get("DetectorIds", [])
        if existing:
            det = existing[0]
        else:
            det = gd.create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")["DetectorId"]
        mapping[world["guardduty_detector"]] = det

    ct = clients.client(endpoint, "cloudtrail")
    for trail in world.get("trails", []):
        ct.create_trail(
            Name=trail["name"],
            S3BucketName=trail["bucket"],
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=True,
            EnableLogFileValidation=True,
        )
        ct.put_event_selectors(TrailName=trail["name"], EventSelectors=trail["event_selectors"])
        ct.start_logging(Name=trail["name"])
    created["trails"] = len(world.get("trails", []))

    payload = _substitute(built["seed_payload"], mapping)
    expected = _substitute(built["expected"], mapping)
    clients.seed(endpoint, payload)
    created["guardduty_findings"] = len(payload.get("guardduty_findings", []))
    created["cloudtrail_events"] = len(payload.get("cloudtrail_events", []))
    created["cloudtrail_data_events"] = sum(
        1 for r in payload.get("cloudtrail_events", []) if r.get("eventCategory") == "Data"
    )
    created["detective_graphs"] = len(payload.get("detective", {}).get("graphs", []))
    created["iam_simulations"] = len(payload.get("iam_simulations", []))
    return {
        "scenario": built["scenario"],
        "seed": built["seed"],
        "now": built["now"],
        "endpoint": endpoint,
        "expected": expected,
        "created": created,
        "placeholders": {
            placeholder: real for placeholder, real in mapping.items() if placeholder != MOTO_CANONICAL_ID
        },
        "seconds": round(time.monotonic() - started, 2),
    }

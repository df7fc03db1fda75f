# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cross-account-backdoor: a compromised admin user grants a foreign account full access to a finance bucket.

Story (times relative to ``now``): two application roles use ``acme-finance-ledgers`` from the VPC all day.
~10 h ago the access key of the IAM user ``ops-admin`` (managed policy ``OpsAdministratorAccess``: ``*`` on
``*``) is used from 198.51.100.77: GetCallerIdentity, ListBuckets, GetBucketPolicy, then PutBucketPolicy adding
statement ``BackupReplicationAccess`` that gives ``arn:aws:iam::444455556666:root`` ``s3:*`` on the bucket
(Block Public Access stays on: a cross-account grant is not public). From ~9.5 h ago a role session of account
444455556666 lists the bucket and downloads every object from 203.0.113.200 and 203.0.113.201.
"""

from __future__ import annotations

import random
from datetime import datetime
from datetime import timedelta

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox.scenarios import _common as c

NAME = "cross-account-backdoor"
DESCRIPTION = (
    "Compromised ops-admin key adds a bucket policy statement granting account 444455556666 s3:* on "
    "acme-finance-ledgers, which that account then downloads"
)

VICTIM = "acme-finance-ledgers"
LOGS = "acme-app-logs"
TRAIL_BUCKET = "acme-cloudtrail-logs"
TRAIL = "acme-main-trail"
ADMIN = "ops-admin"
ADMIN_POLICY = "OpsAdministratorAccess"
FOREIGN_ACCOUNT = "444455556666"
FOREIGN_ROLE = "data-sync"
BACKDOOR_SID = "BackupReplicationAccess"
LEGIT_SID = "AllowFinanceRoleRead"
ATTACKER_IP = "198.51.100.77"
FOREIGN_IPS = ("203.0.113.200", "203.0.113.201")
READER, WRITER, RESPONDER_ROLE = "app-finance", "app-ledger-writer", "incident-responder"
ATTACKER_UA = (
    "[aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0-kali2-amd64 md/arch#x86_64 lang/python#3.11.9 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source command/s3api.put-bucket-policy]"
)
FOREIGN_UA = (
    "[aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.9 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe command/s3.sync]"
)
UAS = {
    READER: "[aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2]",
    WRITER: "[Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 "
    "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.120]",
}


def _role_arn(name: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def build(seed: int, now: datetime) -> dict:
    """Everything the scenario creates, as plain data (pure, deterministic for ``seed`` and ``now``)."""
    rng = random.Random(seed)
    ids = c.Ids(rng)
    day_start = now - timedelta(hours=24)
    attack = now - timedelta(hours=10, minutes=rng.randint(0, 20))
    vpce = "vpce-0" + ids.hex(16)
    detector = ids.hex(32)
    role_ids = {name: ids.key_id("AROA") for name in (READER, WRITER, RESPONDER_ROLE)}
    admin_id, admin_key = ids.key_id("AIDA"), ids.key_id("AKIA")
    admin_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN}"
    victim_arn = f"arn:aws:s3:::{VICTIM}"
    trail = c.trail_world(TRAIL, TRAIL_BUCKET, [VICTIM])

    objects = []
    months = [((now.year * 12 + now.month - 1 - back) // 12, (now.month - 1 - back) % 12 + 1) for back in range(12)]
    for i in range(36):
        year, month = months[i // 3]
        objects.append(
            {
                "key": f"ledgers/{year}/{month:02d}/general-ledger-{i % 3 + 1}.parquet",
                "body": "PAR1 sandbox stand-in\n",
                "content_type": "application/octet-stream",
                "size": rng.randint(2_000_000, 30_000_000),
            }
        )
    for i in range(6):
        objects.append(
            {
                "key": f"payroll/payroll-{months[i][0]}-{months[i][1]:02d}.csv",
                "body": "employee_id,net\n1001,0.00\n",
                "content_type": "text/csv",
                "size": rng.randint(200_000, 900_000),
            }
        )
    sizes = {o["key"]: o["size"] for o in objects}
    keys = [o["key"] for o in objects]

    legit_stmt = {
        "Sid": LEGIT_SID,
        "Effect": "Allow",
        "Principal": {"AWS": _role_arn(READER)},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [victim_arn, f"{victim_arn}/*"],
    }
    backdoor_stmt = {
        "Sid": BACKDOOR_SID,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
        "Action": "s3:*",
        "Resource": [victim_arn, f"{victim_arn}/*"],
    }
    policy_before, policy_after = c.policy(legit_stmt), c.policy(legit_stmt, backdoor_stmt)

    # ---------------------------------------------------------------- legitimate traffic
    sessions = c.RoleSessions(
        ids,
        {READER: role_ids[READER], WRITER: role_ids[WRITER]},
        day_start,
        instances={READER: [ids.instance_id(), ids.instance_id()], WRITER: ["ledger-writer"]},
        ips={READER: c.private_ips(ids, 2, 1, 9), WRITER: c.private_ips(ids, 2, 20, 29)},
        services={WRITER: "lambda.amazonaws.com"},
    )
    records: list[dict] = []
    for _ in range(700 + rng.randint(0, 200)):
        when = day_start + timedelta(seconds=rng.randint(0, 24 * 3600 - 1))
        role = READER if rng.random() < 0.75 else WRITER
        ident, ip = sessions.identity(role, when)
        key = rng.choice(keys)
        common = {"when": when, "identity": ident, "source_ip": ip, "user_agent": UAS[role], "bucket": VICTIM}
        common["vpc_endpoint_id"] = vpce
        if role == WRITER:
            rec = c.s3_record(ids, event_name="PutObject", key=key, data=True, read_only=False, bytes_in=sizes[key],
                              response_elements={"x-amz-server-side-encryption": "aws:kms"}, **common)  # fmt: skip
        elif rng.random() < 0.85:
            rec = c.s3_record(ids, event_name="GetObject", key=key, data=True, read_only=True, bytes_out=sizes[key],
                              **common)  # fmt: skip
        else:
            rec = c.s3_record(ids, event_name="ListObjects", data=True, read_only=True,
                              request_parameters={"list-type": "2", "prefix": "ledgers/"},
                              bytes_out=rng.randint(3_000, 12_000), **common)  # fmt: skip
        records.append(rec)
    records.extend(sessions.assume_records)
    n_legit = len(records)

    # ---------------------------------------------------------------- the backdoor
    who = c.iam_user_identity(ADMIN, admin_id, admin_key)
    att = {"identity": who, "source_ip": ATTACKER_IP, "user_agent": ATTACKER_UA}
    policy_put_at = attack + timedelta(minutes=6)
    attack_records = [
        c.api_record(ids, when=attack, event_source="sts.amazonaws.com", event_name="GetCallerIdentity",
                     read_only=True, **att),
        c.s3_record(ids, when=attack + timedelta(minutes=1), event_name="ListBuckets", bucket=None, data=False,
                    read_only=True, **att),
        c.s3_record(ids, when=attack + timedelta(minutes=3), event_name="GetBucketPolicy", bucket=VICTIM,
                    data=False, read_only=True, request_parameters={"policy": [""]}, **att),
        c.s3_record(ids, when=policy_put_at, event_name="PutBucketPolicy", bucket=VICTIM, data=False,
                    read_only=False, request_parameters={"bucketPolicy": policy_after, "policy": [""]}, **att),
    ]  # fmt: skip
    foreign_created = policy_put_at + timedelta(minutes=20)
    foreign_key = ids.key_id("ASIA")
    foreign_ident = c.assumed_role_identity(
        FOREIGN_ROLE, ids.key_id("AROA"), "sync-01", foreign_key, foreign_created, account_id=FOREIGN_ACCOUNT
    )
    foreign_records = []
    t = foreign_created + timedelta(minutes=2)
    order = list(keys)
    rng.shuffle(order)
    for i, key in enumerate([None, *order]):
        ip = FOREIGN_IPS[0] if i < len(order) // 2 else FOREIGN_IPS[1]
        common = {"when": t, "identity": foreign_ident, "source_ip": ip, "user_agent": FOREIGN_UA, "bucket": VICTIM}
        if key is None:
            rec = c.s3_record(ids, event_name="ListObjects", data=True, read_only=True,
                              request_parameters={"list-type": "2", "prefix": ""}, bytes_out=15_000,
                              **common)  # fmt: skip
        else:
            rec = c.s3_record(ids, event_name="GetObject", key=key, data=True, read_only=True, bytes_out=sizes[key],
                              **common)  # fmt: skip
        rec["sharedEventID"] = ids.uuid()
        foreign_records.append(rec)
        t += timedelta(seconds=rng.randint(60, 200))
    foreign_last = t
    records.extend(attack_records)
    records.extend(foreign_records)
    records.sort(key=lambda r: (r["eventTime"], r["eventID"]))
    foreign_gets = [r for r in foreign_records if r["eventName"] == "GetObject"]

    # ---------------------------------------------------------------- GuardDuty
    created = now - timedelta(days=rng.randint(400, 900))
    tags = {"data-classification": "restricted", "owner": "finance"}

    def detail(keys_: list[str] | None = None) -> list[dict]:
        return [c.s3_bucket_detail(VICTIM, created=created, public=False, policy_public_read=False, bucket_bpa=True,
                                   tags=tags, encryption="aws:kms", object_keys=keys_)]  # fmt: skip

    admin_geo = c.remote_ip(ATTACKER_IP, country="Brazil", country_code="BR", city="Sao Paulo", asn="64503",
                            org="Example Residential Proxy", lat=-23.55, lon=-46.63)  # fmt: skip
    foreign_geo = c.remote_ip(FOREIGN_IPS[0], country="Singapore", country_code="SG", city="Singapore", asn="64504",
                              org="Example Cloud Hosting", lat=1.29, lon=103.85)  # fmt: skip
    current = [
        c.finding(
            ids, detector_id=detector, finding_type="Impact:S3/AnomalousBehavior.Permission", severity=8.0,
            title=f"An API commonly used to change S3 permissions was invoked anomalously on bucket {VICTIM}.",
            description=f"{ADMIN} invoked PutBucketPolicy on S3 bucket {VICTIM} in a way that deviates from the "
            "established baseline for this account.",
            first_seen=policy_put_at, last_seen=policy_put_at, count=1, buckets=detail(),
            access_key=c.access_key_detail(admin_key, admin_id, ADMIN, "IAMUser"), api="PutBucketPolicy",
            remote=admin_geo, user_agent=ATTACKER_UA,
        ),
        c.finding(
            ids, detector_id=detector, finding_type="Exfiltration:S3/AnomalousBehavior", severity=8.0,
            title=f"An IAM entity invoked an S3 API in a suspicious way on bucket {VICTIM}.",
            description=f"A principal of account {FOREIGN_ACCOUNT} invoked GetObject on S3 bucket {VICTIM} in a way "
            "that deviates from the established baseline.",
            first_seen=datetime.fromisoformat(foreign_gets[0]["eventTime"]),
            last_seen=datetime.fromisoformat(foreign_gets[-1]["eventTime"]), count=len(foreign_gets),
            buckets=detail(order[:3]), api="GetObject", remote=foreign_geo, user_agent=FOREIGN_UA,
            access_key=c.access_key_detail(foreign_key, foreign_ident["principalId"], FOREIGN_ROLE, "AssumedRole"),
            remote_account=FOREIGN_ACCOUNT,
        ),
    ]  # fmt: skip
    findings = list(current)
    old = now - timedelta(days=rng.randint(20, 60))
    findings.append(
        c.finding(ids, detector_id=detector, finding_type="Discovery:S3/AnomalousBehavior", severity=2.0,
                  title=f"An API commonly used to discover S3 objects was invoked anomalously on bucket {VICTIM}.",
                  description="Reviewed: quarter-end audit export (false positive).", first_seen=old,
                  last_seen=old + timedelta(minutes=20), count=3, buckets=detail(), api="ListObjects", remote=None,
                  archived=True,
                  access_key=c.access_key_detail(ids.key_id("ASIA"), f"{role_ids[READER]}:audit", READER,
                                                 "AssumedRole"))
    )  # fmt: skip
    for _ in range(5):
        seen = now - timedelta(days=rng.randint(1, 80))
        ip = f"203.0.113.{rng.randint(100, 180)}"
        findings.append(
            c.finding(ids, detector_id=detector, finding_type="PenTest:S3/KaliLinux", severity=5.0,
                      title=f"An S3 API was invoked from a Kali Linux computer on bucket {LOGS}.",
                      description=f"API ListObjects was invoked on S3 bucket {LOGS} from {ip}.", first_seen=seen,
                      last_seen=seen, count=1, access_key=None, api="ListObjects",
                      buckets=[c.s3_bucket_detail(LOGS, created=created, public=False, policy_public_read=False,
                                                  bucket_bpa=True)],
                      remote=c.remote_ip(ip, country="Germany", country_code="DE", city="Berlin", asn="64505",
                                         org="Example ISP", lat=52.52, lon=13.4),
                      archived=rng.random() < 0.5)
        )  # fmt: skip
    rng.shuffle(findings)

    # ---------------------------------------------------------------- Detective, IAM, simulation rules
    graph_arn = f"arn:aws:detective:{REGION}:{ACCOUNT_ID}:graph:{ids.hex(32)}"
    indicators = [
        {"IndicatorType": "TTP_OBSERVED",
         "IndicatorDetail": {"TTPsObservedDetail": {"Tactic": "Persistence", "Technique": "Account Manipulation",
                                                    "Procedure": "PutBucketPolicy", "IpAddress": ATTACKER_IP,
                                                    "APIName": "PutBucketPolicy", "APISuccessCount": 1,
                                                    "APIFailureCount": 0}}},
        {"IndicatorType": "NEW_GEOLOCATION",
         "IndicatorDetail": {"NewGeolocationDetail": {"Location": "Sao Paulo, Brazil", "IpAddress": ATTACKER_IP,
                                                      "IsNewForEntireAccount": True}}},
        {"IndicatorType": "NEW_USER_AGENT",
         "IndicatorDetail": {"NewUserAgentDetail": {"UserAgent": ATTACKER_UA, "IsNewForEntireAccount": True}}},
        {"IndicatorType": "RELATED_FINDING",
         "IndicatorDetail": {"RelatedFindingDetail": {"Arn": current[0]["arn"], "Type": current[0]["type"],
                                                      "IpAddress": ATTACKER_IP}}},
    ]  # fmt: skip
    detective = c.detective_payload(
        graph_arn,
        now - timedelta(days=rng.randint(200, 500)),
        entities=[{"entity_arn": admin_arn, "severity": "HIGH", "indicators": indicators}],
    )
    read_policy = c.policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{victim_arn}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": victim_arn},
    )
    write_policy = c.policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{victim_arn}/ledgers/*"})
    iam = {
        "managed_policies": [
            {"name": ADMIN_POLICY, "description": "Operations administrators (legacy, no MFA condition)",
             "document": c.policy({"Sid": "AdminAll", "Effect": "Allow", "Action": "*", "Resource": "*"})}
        ],
        "users": [
            {"name": ADMIN, "placeholder_id": admin_id, "access_keys": [admin_key],
             "managed_policies": [ADMIN_POLICY], "tags": {"owner": "ops", "team": "platform"}}
        ],
        "roles": [
            {"name": READER, "placeholder_id": role_ids[READER], "trust": c.trust("ec2.amazonaws.com"),
             "description": "Finance reporting on EC2", "inline_policies": {"finance-read-ledgers": read_policy},
             "tags": {"team": "finance-platform"}},
            {"name": WRITER, "placeholder_id": role_ids[WRITER], "trust": c.trust("lambda.amazonaws.com"),
             "description": "Ledger export Lambda", "inline_policies": {"ledger-writer-put": write_policy},
             "tags": {"team": "finance-platform"}},
            {"name": RESPONDER_ROLE, "placeholder_id": role_ids[RESPONDER_ROLE],
             "trust": c.policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                                "Action": "sts:AssumeRole"}),
             "description": "Security incident responders",
             "inline_policies": {"incident-response": c.policy(
                 {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutBucketPolicy", "iam:Get*", "iam:List*",
                                                "iam:UpdateAccessKey"], "Resource": "*"})},
             "tags": {"team": "security"}},
        ],
    }  # fmt: skip
    sims = [
        c.simulation(admin_arn, "*", "*", "allowed", [(ADMIN_POLICY, "user-managed")]),
        c.simulation(_role_arn(READER), "s3:GetObject", f"{victim_arn}/*", "allowed",
                     [("finance-read-ledgers", "role")]),
        c.simulation(_role_arn(READER), "s3:ListBucket", victim_arn, "allowed", [("finance-read-ledgers", "role")]),
        c.simulation(_role_arn(WRITER), "s3:PutObject", f"{victim_arn}/ledgers/*", "allowed",
                     [("ledger-writer-put", "role")]),
    ]  # fmt: skip

    world = {
        "account_public_access_block": None,
        "guardduty_detector": detector,
        "iam": iam,
        "buckets": [
            {"name": LOGS, "tags": {"purpose": "s3-access-logs"}, "encryption": {"SSEAlgorithm": "AES256"},
             "public_access_block": c.bpa_config(True), "ownership": "BucketOwnerEnforced"},
            trail["bucket"],
            {"name": VICTIM, "tags": tags, "objects": objects, "versioning": "Enabled",
             "encryption": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"},
             "public_access_block": c.bpa_config(True), "ownership": "BucketOwnerEnforced", "policy": policy_after},
        ],
        "trails": [trail["trail"]],
    }  # fmt: skip

    expected = {
        "victim_bucket": VICTIM,
        "attack_started_at": c.iso(attack),
        "attacker": {
            "principal_arn": admin_arn,
            "user_name": ADMIN,
            "principal_type": "IAMUser",
            "access_key_id": admin_key,
            "source_ip": ATTACKER_IP,
            "user_agent": ATTACKER_UA,
        },
        "backdoor_statement_sid": BACKDOOR_SID,
        "legitimate_statement_sids": [LEGIT_SID],
        "bucket_policy_before_attack": policy_before,
        "foreign_account_id": FOREIGN_ACCOUNT,
        "foreign_principal_arn": _role_arn(FOREIGN_ROLE, FOREIGN_ACCOUNT),
        "foreign_access_key_id": foreign_key,
        "foreign_ips": list(FOREIGN_IPS),
        "bucket_is_public": False,
        "excessive_policy": {"name": ADMIN_POLICY, "arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{ADMIN_POLICY}",
                             "type": "managed", "attached_to": admin_arn, "grants": "* on *"},
        "finding_types": sorted(f["type"] for f in current),
        "finding_ids": sorted(f["id"] for f in current),
        "archived_victim_finding_types": ["Discovery:S3/AnomalousBehavior"],
        "legitimate_role_arns": [_role_arn(READER), _role_arn(WRITER)],
        "responder_role_arn": _role_arn(RESPONDER_ROLE),
        "detective_graph_arn": graph_arn,
        "trail": {"name": TRAIL, "bucket": TRAIL_BUCKET, "arn": trail["arn"]},
        "foreign_window": {"first": foreign_records[0]["eventTime"], "last": c.iso(foreign_last)},
        "counts": {
            "foreign_get_object": len(foreign_gets),
            "foreign_bytes_out": sum(sizes[r["requestParameters"]["key"]] for r in foreign_gets),
            "attacker_events": len(attack_records),
            "legitimate_events": n_legit,
            "victim_objects": len(objects),
            "cloudtrail_events": len(records),
            "data_events": sum(r["eventCategory"] == "Data" for r in records),
            "management_events": sum(r["eventCategory"] == "Management" for r in records),
            "findings": len(findings),
            "victim_findings_current": len(current),
            "victim_findings_archived": 1,
        },
    }  # fmt: skip
    return c.built_scenario(
        NAME,
        seed,
        now,
        world=world,
        findings=findings,
        records=records,
        detective=detective,
        simulations=sims,
        expected=expected,
    )


def apply(endpoint: str, *, seed: int = 0, now: datetime | None = None) -> dict:
    """Build the scenario, create its resources in the sandbox at ``endpoint`` and seed its records."""
    return c.apply_world(endpoint, build(seed, now or c.default_now()))

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""public-exfiltration: a leaked legacy IAM user key makes a customer-data bucket public and drains it.

Story (times relative to ``now``):

* all day long, three application roles use ``acme-customer-exports`` and ``acme-app-assets`` from inside the
  VPC through a gateway endpoint (thousands of data events, a few AccessDenied from ``app-analytics``);
* ~6 h ago the access key of ``svc-legacy-backup`` (managed policy ``LegacyBackupS3FullAccess``: ``s3:*`` on
  ``*``) is used from 203.0.113.66 with a Kali python user agent: GetCallerIdentity, ListBuckets,
  GetBucketPolicy, a burst of denied GetObject on ``acme-app-assets`` (its policy only admits the VPC
  endpoint), then DeleteBucketPublicAccessBlock and PutBucketPolicy on the victim (adding ``PublicRead``),
  ListObjects and one GetObject of every object;
* from ~5 h ago two anonymous clients (198.51.100.23, 198.51.100.24) download the objects without credentials.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from datetime import timedelta
from typing import Any

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox.scenarios import _common as c

NAME = "public-exfiltration"
DESCRIPTION = (
    "Leaked IAM user key removes Block Public Access and adds a Principal:* policy on acme-customer-exports, "
    "then the bucket is downloaded by the attacker and anonymously"
)

VICTIM = "acme-customer-exports"
ASSETS = "acme-app-assets"
LOGS = "acme-app-logs"
WEBSITE = "acme-public-website"
TRAIL_BUCKET = "acme-cloudtrail-logs"
TRAIL = "acme-main-trail"
ATTACKER_USER = "svc-legacy-backup"
EXCESSIVE_POLICY = "LegacyBackupS3FullAccess"
ATTACKER_IP = "203.0.113.66"
ANON_IPS = ("198.51.100.23", "198.51.100.24")
PUBLIC_SID = "PublicRead"
LEGIT_SID = "AllowReportingRoleRead"
ATTACKER_UA = (
    "[Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.6.9-kali1-amd64 md/arch#x86_64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69]"
)
ANON_UAS = {ANON_IPS[0]: "curl/8.5.0", ANON_IPS[1]: "Wget/1.21.4"}
APP_UAS = {
    "app-reporting": "[aws-sdk-java/2.25.11 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS "
    "Java/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy]",
    "app-ingest": "[Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 "
    "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.120]",
    "app-analytics": "[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.11.8 "
    "md/pyimpl#CPython exec-env/EC2 cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 command/s3.cp]",
}
APP_ROLES = ("app-reporting", "app-ingest", "app-analytics")
RESPONDER_ROLE = "incident-responder"
DENIED = ("AccessDenied", "Access Denied")
COUNTRIES = ("US", "DE", "FR", "JP")


def _arn_role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def _objects(rng: random.Random, now: datetime) -> list[dict]:
    """~60 small objects under exports/ and reports/, each with the size production would report."""
    objs: list[dict] = []
    for i in range(1, 21):
        day = (now - timedelta(days=i)).strftime("%Y-%m-%d")
        rows = "\n".join(
            f"{rng.randint(100000, 999999)},user{rng.randint(1, 99999)}@example.com,{rng.choice(COUNTRIES)}"
            for _ in range(3)
        )
        objs.append(
            {
                "key": f"exports/customers/customers-{day}.csv",
                "body": "customer_id,email,country\n" + rows + "\n",
                "content_type": "text/csv",
                "size": rng.randint(400_000, 3_000_000),
            }
        )
        objs.append(
            {
                "key": f"exports/orders/orders-{day}.json",
                "body": json.dumps({"orders": [{"order_id": rng.randint(10**6, 10**7), "total": rng.randint(5, 900)}]})
                + "\n",
                "content_type": "application/json",
                "size": rng.randint(150_000, 1_500_000),
            }
        )
    month = now.replace(day=1)
    for _ in range(8):
        month = (month - timedelta(days=1)).replace(day=1)
        objs.append(
            {
                "key": f"reports/monthly/revenue-{month:%Y-%m}.csv",
                "body": f"region,revenue\nna,{rng.randint(10**5, 10**6)}\neu,{rng.randint(10**5, 10**6)}\n",
                "content_type": "text/csv",
                "size": rng.randint(20_000, 90_000),
            }
        )
    for i in range(1, 13):
        iso_year, iso_week, _ = (now - timedelta(weeks=i)).isocalendar()
        objs.append(
            {
                "key": f"reports/weekly/kpi-{iso_year}-W{iso_week:02d}.json",
                "body": json.dumps({"active_customers": rng.randint(10_000, 90_000)}) + "\n",
                "content_type": "application/json",
                "size": rng.randint(5_000, 40_000),
            }
        )
    return objs


def _policies(vpce: str, trail_arn: str) -> dict[str, dict]:
    legit = {
        "Sid": LEGIT_SID,
        "Effect": "Allow",
        "Principal": {"AWS": _arn_role("app-reporting")},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"],
    }
    public = {
        "Sid": PUBLIC_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"],
    }
    return {
        "victim_before": c.policy(legit),
        "victim_after": c.policy(legit, public),
        "assets": c.policy(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{ASSETS}", f"arn:aws:s3:::{ASSETS}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyReadsOutsideVpce",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{ASSETS}/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}},
            },
        ),
        "logs": c.policy(
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{LOGS}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            }
        ),
        "website": c.policy(
            {
                "Sid": "PublicReadForWebsite",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{WEBSITE}/*",
            }
        ),
        "trail": c.cloudtrail_bucket_policy(TRAIL_BUCKET, trail_arn),
    }


def _iam(ids: c.Ids) -> dict[str, Any]:
    victim, victim_objs = f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"
    inline = {
        "app-reporting": (
            "reporting-read-exports",
            c.policy(
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": victim_objs},
                {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": victim},
            ),
        ),
        "app-ingest": (
            "ingest-write-exports",
            c.policy(
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": [f"{victim}/exports/*", f"arn:aws:s3:::{ASSETS}/*"],
                }
            ),
        ),
        "app-analytics": (
            "analytics-read-reports",
            c.policy(
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{victim}/reports/*"},
                {
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": victim,
                    "Condition": {"StringLike": {"s3:prefix": ["reports/*"]}},
                },
            ),
        ),
        RESPONDER_ROLE: (
            "incident-response",
            c.policy(
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "s3:PutBucketPolicy",
                        "s3:PutBucketPublicAccessBlock",
                        "s3:PutAccountPublicAccessBlock",
                        "iam:Get*",
                        "iam:List*",
                        "iam:UpdateAccessKey",
                        "iam:PutUserPolicy",
                        "iam:PutRolePolicy",
                        "guardduty:Get*",
                        "guardduty:List*",
                        "cloudtrail:LookupEvents",
                        "detective:*",
                    ],
                    "Resource": "*",
                }
            ),
        ),
    }
    trusts = {
        "app-reporting": c.trust("ec2.amazonaws.com"),
        "app-ingest": c.trust("lambda.amazonaws.com"),
        "app-analytics": c.trust("ec2.amazonaws.com"),
        RESPONDER_ROLE: c.policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ),
    }
    descriptions = {
        "app-reporting": "Reporting service on EC2: reads customer exports",
        "app-ingest": "Ingest Lambda: writes nightly exports",
        "app-analytics": "Analytics jobs on EC2: read reports only",
        RESPONDER_ROLE: "Security incident responders (break-glass, MFA)",
    }
    roles = [
        {
            "name": name,
            "placeholder_id": ids.key_id("AROA"),
            "trust": trusts[name],
            "description": descriptions[name],
            "inline_policies": {inline[name][0]: inline[name][1]},
            "tags": {"team": "security" if name == RESPONDER_ROLE else "data-platform"},
        }
        for name in (*APP_ROLES, RESPONDER_ROLE)
    ]
    user = {
        "name": ATTACKER_USER,
        "placeholder_id": ids.key_id("AIDA"),
        "access_keys": [ids.key_id("AKIA")],
        "managed_policies": [EXCESSIVE_POLICY],
        "tags": {"owner": "it-ops", "purpose": "nightly backup (legacy)"},
    }
    managed = [
        {
            "name": EXCESSIVE_POLICY,
            "description": "Legacy backup job: full S3 access (pre-2020)",
            "document": c.policy({"Sid": "LegacyBackupAllS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        }
    ]
    return {"managed_policies": managed, "users": [user], "roles": roles}


def build(seed: int, now: datetime) -> dict:
    """Everything the scenario creates, as plain data (pure, deterministic for ``seed`` and ``now``)."""
    rng = random.Random(seed)
    ids = c.Ids(rng)
    day_start = now - timedelta(hours=24)
    attack = now - timedelta(hours=6, minutes=rng.randint(0, 20))
    vpce = "vpce-0" + ids.hex(16)
    detector = ids.hex(32)
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{TRAIL}"
    pol = _policies(vpce, trail_arn)
    iam = _iam(ids)
    roles = {r["name"]: r for r in iam["roles"]}
    user = iam["users"][0]
    attacker_key = user["access_keys"][0]
    attacker_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{ATTACKER_USER}"
    objects = _objects(rng, now)
    sizes = {o["key"]: o["size"] for o in objects}
    exports = [o["key"] for o in objects if o["key"].startswith("exports/")]
    reports = [o["key"] for o in objects if o["key"].startswith("reports/")]
    assets_objects = [
        {"key": f"static/{name}", "body": f"/* {name} */\n", "content_type": ctype, "size": rng.randint(2_000, 400_000)}
        for name, ctype in (
            ("app.js", "application/javascript"),
            ("app.css", "text/css"),
            ("logo.svg", "image/svg+xml"),
            ("vendor.js", "application/javascript"),
            ("fonts/inter.woff2", "font/woff2"),
        )
    ]
    assets_keys = [o["key"] for o in assets_objects]
    assets_sizes = {o["key"]: o["size"] for o in assets_objects}

    records: list[dict] = []
    sessions = c.RoleSessions(
        ids,
        {name: roles[name]["placeholder_id"] for name in APP_ROLES},
        day_start,
        instances={
            "app-reporting": [ids.instance_id(), ids.instance_id()],
            "app-ingest": ["acme-ingest-handler"],
            "app-analytics": [ids.instance_id()],
        },
        ips={
            "app-reporting": c.private_ips(ids, 2, 1, 9),
            "app-ingest": c.private_ips(ids, 3, 20, 29),
            "app-analytics": c.private_ips(ids, 1, 40, 49),
        },
        services={"app-ingest": "lambda.amazonaws.com"},
    )

    # ---------------------------------------------------------------- legitimate traffic, whole day
    n_legit = 2800 + rng.randint(0, 400)
    for _ in range(n_legit):
        when = day_start + timedelta(seconds=rng.randint(0, 24 * 3600 - 1))
        role = rng.choices(APP_ROLES, weights=(45, 35, 20))[0]
        ident, ip = sessions.identity(role, when)
        common = {"when": when, "identity": ident, "source_ip": ip, "user_agent": APP_UAS[role], "data": True}
        common["vpc_endpoint_id"] = vpce
        roll = rng.random()
        if role == "app-reporting":
            key = rng.choice(exports + reports)
            if roll < 0.6:
                rec = c.s3_record(
                    ids, event_name="GetObject", bucket=VICTIM, key=key, read_only=True, bytes_out=sizes[key], **common
                )
            elif roll < 0.85:
                rec = c.s3_record(ids, event_name="HeadObject", bucket=VICTIM, key=key, read_only=True, **common)
            else:
                rec = c.s3_record(
                    ids,
                    event_name="ListObjects",
                    bucket=VICTIM,
                    read_only=True,
                    request_parameters={"list-type": "2", "prefix": rng.choice(["exports/", "reports/"])},
                    bytes_out=rng.randint(2_000, 20_000),
                    **common,
                )
        elif role == "app-ingest":
            if roll < 0.7:
                key = rng.choice(exports)
                rec = c.s3_record(
                    ids,
                    event_name="PutObject",
                    bucket=VICTIM,
                    key=key,
                    read_only=False,
                    bytes_in=sizes[key],
                    response_elements={"x-amz-server-side-encryption": "AES256"},
                    **common,
                )
            else:
                key = rng.choice(assets_keys)
                rec = c.s3_record(
                    ids,
                    event_name="PutObject",
                    bucket=ASSETS,
                    key=key,
                    read_only=False,
                    bytes_in=assets_sizes[key],
                    response_elements={"x-amz-server-side-encryption": "AES256"},
                    **common,
                )
        else:
            if roll < 0.03:
                key = rng.choice(exports)
                rec = c.s3_record(
                    ids, event_name="GetObject", bucket=VICTIM, key=key, read_only=True, error=DENIED, **common
                )
            elif roll < 0.8:
                key = rng.choice(reports)
                rec = c.s3_record(
                    ids, event_name="GetObject", bucket=VICTIM, key=key, read_only=True, bytes_out=sizes[key], **common
                )
            else:
                rec = c.s3_record(
                    ids,
                    event_name="ListObjects",
                    bucket=VICTIM,
                    read_only=True,
                    request_parameters={"list-type": "2", "prefix": "reports/"},
                    bytes_out=rng.randint(2_000, 9_000),
                    **common,
                )
        records.append(rec)
    # one GetBucketLocation per reporting session, and AWS Config reading every bucket's policy and ACL
    for (role, _period, _idx), entry in sorted(sessions.cache.items()):
        if role == "app-reporting":
            created = datetime.fromisoformat(entry["identity"]["sessionContext"]["attributes"]["creationDate"])
            records.append(
                c.s3_record(
                    ids,
                    when=created + timedelta(seconds=rng.randint(5, 50)),
                    event_name="GetBucketLocation",
                    identity=entry["identity"],
                    source_ip=entry["ip"],
                    user_agent=APP_UAS[role],
                    bucket=VICTIM,
                    data=False,
                    read_only=True,
                    request_parameters={"location": [""]},
                    vpc_endpoint_id=vpce,
                )
            )
    bucket_names = (LOGS, TRAIL_BUCKET, ASSETS, WEBSITE, VICTIM)
    for hour in range(0, 24, 6):
        for bucket in bucket_names:
            when = day_start + timedelta(hours=hour, minutes=rng.randint(0, 50))
            for event, param in (("GetBucketAcl", "acl"), ("GetBucketPolicy", "policy")):
                records.append(
                    c.s3_record(
                        ids,
                        when=when,
                        event_name=event,
                        identity=c.aws_service_identity("config.amazonaws.com"),
                        source_ip="config.amazonaws.com",
                        user_agent="config.amazonaws.com",
                        bucket=bucket,
                        data=False,
                        read_only=True,
                        request_parameters={param: [""]},
                        authentication_method="AuthHeader",
                    )
                )
    records.extend(sessions.assume_records)
    n_legit_total = len(records)

    # ---------------------------------------------------------------- the attack
    who = c.iam_user_identity(ATTACKER_USER, user["placeholder_id"], attacker_key)
    att = {"identity": who, "source_ip": ATTACKER_IP, "user_agent": ATTACKER_UA}
    t = attack
    attack_records: list[dict] = [
        c.api_record(
            ids,
            when=t,
            event_source="sts.amazonaws.com",
            event_name="GetCallerIdentity",
            read_only=True,
            **att,
        ),
        c.s3_record(ids, when=t + timedelta(seconds=41), event_name="ListBuckets", bucket=None, data=False,
                    read_only=True, **att),
    ]  # fmt: skip
    t += timedelta(minutes=2)
    for i, bucket in enumerate((ASSETS, VICTIM)):
        attack_records.append(
            c.s3_record(ids, when=t + timedelta(seconds=7 * i), event_name="GetBucketPolicy", bucket=bucket,
                        data=False, read_only=True, request_parameters={"policy": [""]}, **att)
        )  # fmt: skip
    attack_records.append(
        c.s3_record(ids, when=t + timedelta(seconds=20), event_name="GetBucketPublicAccessBlock", bucket=VICTIM,
                    data=False, read_only=True, request_parameters={"publicAccessBlock": [""]}, **att)
    )  # fmt: skip
    t += timedelta(minutes=2)
    n_denied = rng.randint(18, 30)
    for i in range(n_denied):
        key = rng.choice(assets_keys)
        attack_records.append(
            c.s3_record(ids, when=t + timedelta(seconds=3 * i + rng.randint(0, 2)), event_name="GetObject",
                        bucket=ASSETS, key=key, data=True, read_only=True, error=DENIED, bytes_out=243, **att)
        )  # fmt: skip
    t += timedelta(minutes=5)
    bpa_deleted_at = t
    attack_records.append(
        c.s3_record(ids, when=t, event_name="DeleteBucketPublicAccessBlock", bucket=VICTIM, data=False,
                    read_only=False, request_parameters={"publicAccessBlock": [""]}, **att)
    )  # fmt: skip
    t += timedelta(minutes=1, seconds=30)
    policy_put_at = t
    attack_records.append(
        c.s3_record(ids, when=t, event_name="PutBucketPolicy", bucket=VICTIM, data=False, read_only=False,
                    request_parameters={"bucketPolicy": pol["victim_after"], "policy": [""]}, **att)
    )  # fmt: skip
    t += timedelta(minutes=1, seconds=30)
    for prefix in ("", "exports/", "reports/"):
        attack_records.append(
            c.s3_record(ids, when=t, event_name="ListObjects", bucket=VICTIM, data=True, read_only=True,
                        request_parameters={"list-type": "2", "prefix": prefix, "encoding-type": "url"},
                        bytes_out=rng.randint(8_000, 30_000), **att)
        )  # fmt: skip
        t += timedelta(seconds=rng.randint(2, 9))
    downloads = [o["key"] for o in objects]
    rng.shuffle(downloads)
    downloads += rng.sample(downloads, k=rng.randint(4, 10))  # retried downloads
    exfil_first = t + timedelta(seconds=30)
    for i, key in enumerate(downloads):
        when = exfil_first + timedelta(seconds=int(i * 1500 / len(downloads)) + rng.randint(0, 10))
        attack_records.append(
            c.s3_record(ids, when=when, event_name="GetObject", bucket=VICTIM, key=key, data=True, read_only=True,
                        bytes_out=sizes[key], **att)
        )  # fmt: skip
    exfil_last = datetime.fromisoformat(attack_records[-1]["eventTime"])
    attacker_bytes = sum(sizes[k] for k in downloads)

    # ---------------------------------------------------------------- anonymous downloads
    anon_records: list[dict] = []
    anon_start = policy_put_at + timedelta(minutes=55)
    for ip, share in ((ANON_IPS[0], 1.0), (ANON_IPS[1], 0.6)):
        picked = rng.sample([o["key"] for o in objects], k=int(len(objects) * share))
        span = int((now - anon_start).total_seconds()) - 1800
        for key in picked:
            anon_records.append(
                c.s3_record(ids, when=anon_start + timedelta(seconds=rng.randint(0, span)), event_name="GetObject",
                            identity=c.anonymous_identity(), source_ip=ip, user_agent=ANON_UAS[ip], bucket=VICTIM,
                            key=key, data=True, read_only=True, bytes_out=sizes[key], authentication_method=None)
            )  # fmt: skip
    anon_times = sorted(r["eventTime"] for r in anon_records)

    records.extend(attack_records)
    records.extend(anon_records)
    records.sort(key=lambda r: (r["eventTime"], r["eventID"]))

    # ---------------------------------------------------------------- GuardDuty
    geo = {
        ATTACKER_IP: c.remote_ip(ATTACKER_IP, country="Netherlands", country_code="NL", city="Amsterdam",
                                 asn="64500", org="Example Bulletproof Hosting", lat=52.37, lon=4.89),
        ANON_IPS[0]: c.remote_ip(ANON_IPS[0], country="Romania", country_code="RO", city="Bucharest", asn="64501",
                                 org="Example VPS Provider", lat=44.43, lon=26.1),
    }  # fmt: skip
    bucket_created = now - timedelta(days=rng.randint(400, 900))
    victim_tags = {"data-classification": "confidential", "owner": "data-platform"}
    key_detail = c.access_key_detail(attacker_key, user["placeholder_id"], ATTACKER_USER, "IAMUser")

    def victim_detail(public: bool, policy_public: bool, bpa_on: bool, keys: list[str] | None = None) -> list[dict]:
        return [
            c.s3_bucket_detail(VICTIM, created=bucket_created, public=public, policy_public_read=policy_public,
                               bucket_bpa=bpa_on, tags=victim_tags, object_keys=keys)
        ]  # fmt: skip

    findings = [
        c.finding(
            ids, detector_id=detector, finding_type="Policy:S3/BucketBlockPublicAccessDisabled", severity=2.0,
            title=f"Amazon S3 Block Public Access was disabled for S3 bucket {VICTIM}.",
            description=f"Amazon S3 Block Public Access was disabled for S3 bucket {VICTIM} by {ATTACKER_USER} "
            "calling DeleteBucketPublicAccessBlock. If this behavior is not expected, it may indicate a configuration "
            "mistake or that your credentials are compromised.",
            first_seen=bpa_deleted_at, last_seen=bpa_deleted_at, count=1,
            buckets=victim_detail(False, False, False), access_key=key_detail, api="DeleteBucketPublicAccessBlock",
            remote=geo[ATTACKER_IP], user_agent=ATTACKER_UA,
        ),
        c.finding(
            ids, detector_id=detector, finding_type="Policy:S3/BucketAnonymousAccessGranted", severity=8.0,
            title=f"Amazon S3 Public Anonymous Access was granted for the S3 bucket {VICTIM}.",
            description=f"The S3 bucket {VICTIM} was made anonymously accessible on the internet by {ATTACKER_USER} "
            "calling PutBucketPolicy. If this behavior is not expected, it may indicate a configuration mistake or "
            "that your credentials are compromised.",
            first_seen=policy_put_at, last_seen=policy_put_at, count=1,
            buckets=victim_detail(True, True, False), access_key=key_detail, api="PutBucketPolicy",
            remote=geo[ATTACKER_IP], user_agent=ATTACKER_UA,
        ),
        c.finding(
            ids, detector_id=detector, finding_type="Exfiltration:S3/MaliciousIPCaller", severity=8.0,
            title="An S3 API commonly used to exfiltrate data was invoked from a known malicious IP address "
            f"{ATTACKER_IP}.",
            description=f"An API GetObject was invoked on S3 bucket {VICTIM} from a known malicious IP address "
            f"{ATTACKER_IP}. This IP address is present on a threat list.",
            first_seen=exfil_first, last_seen=exfil_last, count=len(downloads),
            buckets=victim_detail(True, True, False, downloads[:3]), access_key=key_detail, api="GetObject",
            remote=geo[ATTACKER_IP], user_agent=ATTACKER_UA, threat_list="ProofPoint",
        ),
    ]  # fmt: skip
    current = list(findings)
    old = now - timedelta(days=rng.randint(25, 40))
    analytics_key = ids.key_id("ASIA")
    findings.append(
        c.finding(
            ids, detector_id=detector, finding_type="Discovery:S3/AnomalousBehavior", severity=2.0,
            title=f"An API commonly used to discover S3 objects was invoked anomalously on bucket {VICTIM}.",
            description="Reviewed by security on-call: a new analytics job listing reports/ (false positive).",
            first_seen=old, last_seen=old + timedelta(minutes=40), count=12,
            buckets=victim_detail(False, False, True), api="ListObjects", remote=None,
            access_key=c.access_key_detail(analytics_key, f"{roles['app-analytics']['placeholder_id']}:"
                                           f"{sessions.instances['app-analytics'][0]}", "app-analytics", "AssumedRole"),
            archived=True,
        )
    )  # fmt: skip
    # the same type as one victim finding, on the website bucket (a documented exception), lower severity
    website_change = now - timedelta(days=rng.randint(3, 9), hours=rng.randint(0, 12))
    findings.append(
        c.finding(
            ids, detector_id=detector, finding_type="Policy:S3/BucketBlockPublicAccessDisabled", severity=1.0,
            title=f"Amazon S3 Block Public Access was disabled for S3 bucket {WEBSITE}.",
            description=f"Amazon S3 Block Public Access was disabled for S3 bucket {WEBSITE}.",
            first_seen=website_change, last_seen=website_change, count=1,
            buckets=[c.s3_bucket_detail(WEBSITE, created=bucket_created, public=True, policy_public_read=True,
                                        bucket_bpa=False, tags={"cloudsec:baseline-exception": "public-website"})],
            access_key=c.access_key_detail(ids.key_id("ASIA"), ids.key_id("AROA") + ":jdoe", "platform-admin",
                                           "AssumedRole"),
            api="DeleteBucketPublicAccessBlock",
            remote=c.remote_ip("192.0.2.10", country="United States", country_code="US", city="Seattle", asn="64510",
                               org="Acme Corp", lat=47.6, lon=-122.3),
        )
    )  # fmt: skip
    noise_types = (
        ("Discovery:S3/TorIPCaller", 5.0, "GetObject"),
        ("Discovery:S3/AnomalousBehavior", 2.0, "ListObjects"),
        ("PenTest:S3/KaliLinux", 5.0, "ListObjects"),
        ("Discovery:S3/MaliciousIPCaller", 8.0, "GetObject"),
    )
    n_noise = 58 + rng.randint(0, 6)
    for _ in range(n_noise):
        ftype, sev, api = rng.choice(noise_types)
        bucket = rng.choices((WEBSITE, ASSETS, LOGS), weights=(6, 2, 1))[0]
        seen = now - timedelta(days=rng.randint(1, 85), minutes=rng.randint(0, 1440))
        ip = f"203.0.113.{rng.randint(100, 199)}"
        findings.append(
            c.finding(
                ids, detector_id=detector, finding_type=ftype, severity=sev,
                title=f"{ftype} observed against S3 bucket {bucket}.",
                description=f"API {api} was invoked on S3 bucket {bucket} from {ip}.",
                first_seen=seen, last_seen=seen + timedelta(minutes=rng.randint(0, 90)), count=rng.randint(1, 40),
                buckets=[c.s3_bucket_detail(bucket, created=bucket_created, public=bucket == WEBSITE,
                                            policy_public_read=bucket == WEBSITE, bucket_bpa=bucket != WEBSITE)],
                access_key=None, api=api,
                remote=c.remote_ip(ip, country="Germany", country_code="DE", city="Frankfurt am Main", asn="64502",
                                   org="Example Tor Exit", lat=50.11, lon=8.68),
                user_agent=rng.choice(("curl/8.5.0", "python-requests/2.31.0", "Mozilla/5.0 (X11; Linux x86_64)")),
                archived=rng.random() < 0.3,
            )
        )  # fmt: skip
    rng.shuffle(findings)

    # ---------------------------------------------------------------- Detective
    graph_arn = f"arn:aws:detective:{REGION}:{ACCOUNT_ID}:graph:{ids.hex(32)}"
    graph_created = now - timedelta(days=rng.randint(200, 500))
    n_get = len(downloads)
    indicators = [
        {
            "IndicatorType": "TTP_OBSERVED",
            "IndicatorDetail": {
                "TTPsObservedDetail": {
                    "Tactic": "Exfiltration",
                    "Technique": "Exfiltration Over Web Service",
                    "Procedure": "Exfiltration:S3/MaliciousIPCaller",
                    "IpAddress": ATTACKER_IP,
                    "APIName": "GetObject",
                    "APISuccessCount": n_get,
                    "APIFailureCount": 0,
                }
            },
        },
        {
            "IndicatorType": "TTP_OBSERVED",
            "IndicatorDetail": {
                "TTPsObservedDetail": {
                    "Tactic": "Defense Evasion",
                    "Technique": "Impair Defenses",
                    "Procedure": "Policy:S3/BucketBlockPublicAccessDisabled",
                    "IpAddress": ATTACKER_IP,
                    "APIName": "DeleteBucketPublicAccessBlock",
                    "APISuccessCount": 1,
                    "APIFailureCount": 0,
                }
            },
        },
        {
            "IndicatorType": "TTP_OBSERVED",
            "IndicatorDetail": {
                "TTPsObservedDetail": {
                    "Tactic": "Discovery",
                    "Technique": "Cloud Storage Object Discovery",
                    "Procedure": "ListBuckets",
                    "IpAddress": ATTACKER_IP,
                    "APIName": "ListBuckets",
                    "APISuccessCount": 1,
                    "APIFailureCount": 0,
                }
            },
        },
        {
            "IndicatorType": "FLAGGED_IP_ADDRESS",
            "IndicatorDetail": {
                "FlaggedIpAddressDetail": {"IpAddress": ATTACKER_IP, "Reason": "AWS_THREAT_INTELLIGENCE"}
            },
        },
        {
            "IndicatorType": "NEW_GEOLOCATION",
            "IndicatorDetail": {
                "NewGeolocationDetail": {
                    "Location": "Amsterdam, Netherlands",
                    "IpAddress": ATTACKER_IP,
                    "IsNewForEntireAccount": True,
                }
            },
        },
        {
            "IndicatorType": "NEW_USER_AGENT",
            "IndicatorDetail": {"NewUserAgentDetail": {"UserAgent": ATTACKER_UA, "IsNewForEntireAccount": True}},
        },
    ] + [
        {
            "IndicatorType": "RELATED_FINDING",
            "IndicatorDetail": {"RelatedFindingDetail": {"Arn": f["arn"], "Type": f["type"], "IpAddress": ATTACKER_IP}},
        }
        for f in current
    ]
    detective = c.detective_payload(
        graph_arn,
        graph_created,
        entities=[{"entity_arn": attacker_arn, "severity": "HIGH", "indicators": indicators}],
    )

    # ---------------------------------------------------------------- IAM simulation rules
    victim_arn, victim_objs = f"arn:aws:s3:::{VICTIM}", f"arn:aws:s3:::{VICTIM}/*"
    sims = [c.simulation(attacker_arn, "s3:*", "*", "allowed", [(EXCESSIVE_POLICY, "user-managed")])]
    grants = {
        "app-reporting": [("s3:GetObject", victim_objs), ("s3:ListBucket", victim_arn)],
        "app-ingest": [("s3:PutObject", f"{victim_arn}/exports/*"), ("s3:PutObject", f"arn:aws:s3:::{ASSETS}/*")],
        "app-analytics": [("s3:GetObject", f"{victim_arn}/reports/*"), ("s3:ListBucket", victim_arn)],
    }
    for role, allowed in grants.items():
        pname = next(iter(roles[role]["inline_policies"]))
        for action, resource in allowed:
            sims.append(c.simulation(_arn_role(role), action, resource, "allowed", [(pname, "role")]))

    # ---------------------------------------------------------------- moto-side world
    tags_common = {"cost-center": "cc-4411"}
    world = {
        "account_public_access_block": None,
        "guardduty_detector": detector,
        "iam": iam,
        "buckets": [
            {
                "name": LOGS,
                "tags": {**tags_common, "purpose": "s3-access-logs"},
                "encryption": {"SSEAlgorithm": "AES256"},
                "public_access_block": {k[0].upper() + k[1:]: True for k in c.bpa(True)},
                "ownership": "BucketOwnerEnforced",
                "policy": pol["logs"],
            },
            {
                "name": TRAIL_BUCKET,
                "tags": {**tags_common, "purpose": "cloudtrail"},
                "encryption": {"SSEAlgorithm": "AES256"},
                "versioning": "Enabled",
                "public_access_block": {k[0].upper() + k[1:]: True for k in c.bpa(True)},
                "ownership": "BucketOwnerEnforced",
                "policy": pol["trail"],
            },
            {
                "name": ASSETS,
                "tags": {**tags_common, "app": "storefront"},
                "objects": assets_objects,
                "encryption": {"SSEAlgorithm": "AES256"},
                "versioning": "Enabled",
                "public_access_block": {k[0].upper() + k[1:]: True for k in c.bpa(True)},
                "ownership": "BucketOwnerEnforced",
                "policy": pol["assets"],
                "logging": {"TargetBucket": LOGS, "TargetPrefix": f"{ASSETS}/"},
            },
            {
                "name": WEBSITE,
                "tags": {**tags_common, "cloudsec:baseline-exception": "public-website"},
                "objects": [
                    {"key": "index.html", "body": "<h1>Acme</h1>\n", "content_type": "text/html"},
                    {"key": "error.html", "body": "<h1>Not found</h1>\n", "content_type": "text/html"},
                    {"key": "css/site.css", "body": "body{font-family:sans-serif}\n", "content_type": "text/css"},
                ],
                "encryption": {"SSEAlgorithm": "AES256"},
                "website": {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}},
                "policy": pol["website"],
            },
            {
                "name": VICTIM,
                "tags": {**tags_common, **victim_tags},
                "objects": objects,
                "encryption": {"SSEAlgorithm": "AES256"},
                "policy": pol["victim_after"],
            },
        ],
        "trails": [
            {
                "name": TRAIL,
                "bucket": TRAIL_BUCKET,
                "event_selectors": [
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": True,
                        "DataResources": [
                            {
                                "Type": "AWS::S3::Object",
                                "Values": [f"arn:aws:s3:::{VICTIM}/", f"arn:aws:s3:::{ASSETS}/"],
                            }
                        ],
                    }
                ],
            }
        ],
    }

    attacker_get = [r for r in attack_records if r["eventName"] == "GetObject" and "errorCode" not in r]
    expected = {
        "victim_bucket": VICTIM,
        "attack_started_at": c.iso(attack),
        "attacker": {
            "principal_arn": attacker_arn,
            "user_name": ATTACKER_USER,
            "principal_type": "IAMUser",
            "access_key_id": attacker_key,
            "source_ip": ATTACKER_IP,
            "user_agent": ATTACKER_UA,
        },
        "anonymous_ips": list(ANON_IPS),
        "public_statement_sid": PUBLIC_SID,
        "legitimate_statement_sids": [LEGIT_SID],
        "bucket_policy_before_attack": pol["victim_before"],
        "excessive_policy": {
            "name": EXCESSIVE_POLICY,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{EXCESSIVE_POLICY}",
            "type": "managed",
            "attached_to": attacker_arn,
            "grants": "s3:* on *",
        },
        "bucket_changes": [
            {"event_name": "DeleteBucketPublicAccessBlock", "event_time": c.iso(bpa_deleted_at)},
            {"event_name": "PutBucketPolicy", "event_time": c.iso(policy_put_at)},
        ],
        "finding_types": sorted(f["type"] for f in current),
        "finding_ids": sorted(f["id"] for f in current),
        "archived_victim_finding_types": ["Discovery:S3/AnomalousBehavior"],
        "legitimate_role_arns": [_arn_role(r) for r in APP_ROLES],
        "responder_role_arn": _arn_role(RESPONDER_ROLE),
        "detective_graph_arn": graph_arn,
        "trail": {"name": TRAIL, "bucket": TRAIL_BUCKET, "arn": trail_arn},
        "counts": {
            "attacker_get_object": len(attacker_get),
            "attacker_get_object_distinct_keys": len({r["requestParameters"]["key"] for r in attacker_get}),
            "attacker_get_object_denied": n_denied,
            "attacker_bytes_out": attacker_bytes,
            "attacker_events": len(attack_records),
            "anonymous_get_object": len(anon_records),
            "anonymous_get_object_by_ip": {
                ip: sum(r["sourceIPAddress"] == ip for r in anon_records) for ip in ANON_IPS
            },
            "legitimate_events": n_legit_total,
            "legitimate_access_denied": sum(
                1 for r in records if r.get("errorCode") and r["userIdentity"].get("type") == "AssumedRole"
            ),
            "victim_objects": len(objects),
            "cloudtrail_events": len(records),
            "data_events": sum(r["eventCategory"] == "Data" for r in records),
            "management_events": sum(r["eventCategory"] == "Management" for r in records),
            "findings": len(findings),
            "victim_findings_current": len(current),
            "victim_findings_archived": 1,
        },
        "anonymous_window": {"first": anon_times[0], "last": anon_times[-1]},
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

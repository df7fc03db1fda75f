#!/usr/bin/env python3
"""Deterministic generator of CloudTrail trail log files for the scanner benchmark.

Writes gzipped ``{"Records": [...]}`` files under
``<out>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz``
(the layout CloudTrail uses), plus ``<out>/manifest.json`` describing the data set and the benchmark query.

The data: about 72% S3 data events and 28% management events over 24 hours, about 350 principals (IAM users,
assumed-role sessions, cross-account roles, AWS services, anonymous), records of 1.5-2.5 KB, and a planted
exfiltration of the victim bucket by a compromised IAM user (listing, access-denied probing, a bucket policy
change, a burst of GetObject from an external address, presigned-URL and anonymous downloads).

Same arguments give byte-identical files, whatever ``--jobs`` is.

    python benchmarks/gen_cloudtrail.py                      # ~1.5 M records in 400 files
    python benchmarks/gen_cloudtrail.py --records 20000 --files 20 --out /tmp/ct-small
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

try:
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover - the venv has isal
    import gzip as _gzip

try:
    import msgspec

    _encode = msgspec.json.encode
except ImportError:  # pragma: no cover

    def _encode(obj):
        return json.dumps(obj, separators=(",", ":")).encode()


ACCOUNT = "111122223333"
PARTNER_ACCOUNT = "444455556666"
T0 = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
SPAN = timedelta(hours=24)
VICTIM = "acme-customer-exports"
WINDOW_START = "2026-11-01T09:00:00Z"
WINDOW_END = "2026-11-01T15:00:00Z"
ATTACKER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ci-deploy"
ATTACKER_KEY = "AKIAQ3EGRJ7ZEXAMPLE1"
ATTACKER_IP = "203.0.113.66"
ANON_IP = "198.51.100.200"
REGIONS = ("us-east-1", "us-east-1", "us-east-1", "us-east-1", "eu-west-2")

BUCKETS = (
    (VICTIM, 10),
    ("acme-app-assets", 22),
    ("acme-data-lake-raw", 18),
    ("acme-data-lake-curated", 12),
    ("acme-build-artifacts", 9),
    ("acme-logs-archive", 8),
    ("acme-ml-training", 7),
    ("acme-backups", 5),
    ("acme-public-website", 5),
    ("acme-terraform-state", 2),
    ("acme-partner-drop", 2),
)

DATA_EVENTS = (
    ("GetObject", 50, True),
    ("PutObject", 18, False),
    ("HeadObject", 14, True),
    ("ListObjects", 6, True),
    ("DeleteObject", 3, False),
    ("GetObjectTagging", 3, True),
    ("CopyObject", 2, False),
    ("CreateMultipartUpload", 1, False),
    ("UploadPart", 2, False),
    ("CompleteMultipartUpload", 1, False),
)

MGMT_EVENTS = (
    ("ec2.amazonaws.com", "DescribeInstances", 14, True),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 6, True),
    ("sts.amazonaws.com", "AssumeRole", 16, False),
    ("sts.amazonaws.com", "GetCallerIdentity", 5, True),
    ("kms.amazonaws.com", "Decrypt", 14, True),
    ("kms.amazonaws.com", "GenerateDataKey", 8, True),
    ("iam.amazonaws.com", "GetUser", 3, True),
    ("iam.amazonaws.com", "ListRoles", 2, True),
    ("logs.amazonaws.com", "CreateLogStream", 6, False),
    ("lambda.amazonaws.com", "Invoke", 4, False),
    ("s3.amazonaws.com", "GetBucketLocation", 8, True),
    ("s3.amazonaws.com", "GetBucketPolicy", 3, True),
    ("s3.amazonaws.com", "GetBucketAcl", 3, True),
    ("s3.amazonaws.com", "ListBuckets", 4, True),
    ("s3.amazonaws.com", "GetBucketVersioning", 2, True),
    ("s3.amazonaws.com", "GetBucketEncryption", 2, True),
)

USER_AGENTS = (
    "[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1014-aws md/arch#x86_64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off "
    "md/command#s3.cp]",
    "[Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69]",
    "[aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS "
    "Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy]",
    "[aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.1]",
    "[aws-sdk-js/3.556.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.12.2 api/s3#3.556.0]",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.680 Linux/5.10.213 OpenJDK_64-Bit_Server_VM/25.402]",
    "[Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.44.0 aws-sdk-go-v2/1.26.1]",
)
ATTACKER_UA = (
    "[aws-cli/2.13.0 Python/3.11.4 Darwin/22.6.0 exe/x86_64 prompt/off command/s3.cp ua/2.0 "
    "md/installer#exe md/distrib#darwin cfg/retry-mode#standard]"
)
BROWSER_UA = (
    "[Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36]"
)
CIPHERS = ("TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384")
KEY_DIRS = ("exports", "reports", "customers", "invoices", "tmp", "images", "data/2026/10", "data/2026/11")


def _weighted(items, weight_index):
    table = []
    for item in items:
        table.extend([item] * item[weight_index])
    return table


BUCKET_TABLE = _weighted(BUCKETS, 1)
DATA_TABLE = _weighted(DATA_EVENTS, 1)
MGMT_TABLE = _weighted(MGMT_EVENTS, 2)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _key_id(rng: random.Random, prefix: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(rng.choice(alphabet) for _ in range(16))


def build_principals(seed: int) -> list[dict]:
    """About 350 principals with their identity block, usual IPs and user agents."""
    rng = random.Random(f"principals-{seed}")
    principals = []
    teams = ("data", "web", "ml", "ops", "fin", "sec", "qa", "mobile")
    for i in range(120):
        name = f"{rng.choice(teams)}-user-{i:03d}"
        principals.append(
            {
                "identity": {
                    "type": "IAMUser",
                    "principalId": _key_id(rng, "AIDA"),
                    "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
                    "accountId": ACCOUNT,
                    "accessKeyId": _key_id(rng, "AKIA"),
                    "userName": name,
                },
                "ips": [f"198.51.100.{rng.randint(1, 120)}", f"192.0.2.{rng.randint(1, 250)}"],
                "ua": rng.sample(USER_AGENTS, 2),
                "vpce": None,
                "weight": rng.choice((1, 1, 2, 3)),
            }
        )
    for r in range(28):
        role = f"{rng.choice(teams)}-app-role-{r:02d}"
        role_id = _key_id(rng, "AROA")
        for s in range(7):
            session = f"i-0{_hex(rng, 16)}" if s % 2 == 0 else f"{role}-session-{s}"
            principals.append(
                {
                    "identity": {
                        "type": "AssumedRole",
                        "principalId": f"{role_id}:{session}",
                        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
                        "accountId": ACCOUNT,
                        "accessKeyId": _key_id(rng, "ASIA"),
                        "sessionContext": {
                            "sessionIssuer": {
                                "type": "Role",
                                "principalId": role_id,
                                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                "accountId": ACCOUNT,
                                "userName": role,
                            },
                            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
                            "ec2RoleDelivery": "2.0",
                        },
                    },
                    "ips": [f"10.{rng.randint(0, 9)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"],
                    "ua": [rng.choice(USER_AGENTS)],
                    "vpce": f"vpce-0{_hex(rng, 16)}" if rng.random() < 0.6 else None,
                    "weight": rng.choice((2, 3, 4, 6)),
                }
            )
    for r in range(10):
        role = f"partner-etl-{r}"
        role_id = _key_id(rng, "AROA")
        principals.append(
            {
                "identity": {
                    "type": "AssumedRole",
                    "principalId": f"{role_id}:etl",
                    "arn": f"arn:aws:sts::{PARTNER_ACCOUNT}:assumed-role/{role}/etl",
                    "accountId": PARTNER_ACCOUNT,
                    "accessKeyId": _key_id(rng, "ASIA"),
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": role_id,
                            "arn": f"arn:aws:iam::{PARTNER_ACCOUNT}:role/{role}",
                            "accountId": PARTNER_ACCOUNT,
                            "userName": role,
                        },
                        "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
                    },
                },
                "ips": [f"100.{rng.randint(20, 60)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"],
                "ua": [USER_AGENTS[2]],
                "vpce": None,
                "weight": 1,
            }
        )
    for svc in ("cloudtrail.amazonaws.com", "config.amazonaws.com", "s3.amazonaws.com", "athena.amazonaws.com"):
        principals.append(
            {
                "identity": {"type": "AWSService", "invokedBy": svc},
                "ips": [svc],
                "ua": [svc],
                "vpce": None,
                "weight": 2,
            }
        )
    return principals


def _base(rng, when: datetime, principal: dict, region: str, source: str, name: str, ip: str, ua: str) -> dict:
    return {
        "eventVersion": "1.11",
        "userIdentity": principal["identity"],
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": ua,
    }


def s3_data_event(rng, when, principal, region, bucket, name, read_only, ip=None, ua=None, key=None, auth=None):
    ip = ip or rng.choice(principal["ips"])
    ua = ua or rng.choice(principal["ua"])
    if key is None:
        folder, part = f"{rng.choice(KEY_DIRS)}/{_hex(rng, 12)}", rng.randint(0, 99999)
        key = f"{folder}/part-{part:05d}.{rng.choice(('csv', 'json', 'parquet', 'gz'))}"
    rec = _base(rng, when, principal, region, "s3.amazonaws.com", name, ip, ua)
    host = f"{bucket}.s3.{region}.amazonaws.com"
    params = {"bucketName": bucket, "Host": host}
    if name == "ListObjects":
        params.update({"prefix": key.rsplit("/", 2)[0] + "/", "list-type": "2", "encoding-type": "url"})
    else:
        params["key"] = key
    rec["requestParameters"] = params
    rec["responseElements"] = None
    if name in ("PutObject", "CopyObject", "CompleteMultipartUpload"):
        rec["responseElements"] = {"x-amz-server-side-encryption": "AES256", "x-amz-version-id": _hex(rng, 32)}
    cipher = rng.choice(CIPHERS)
    bytes_out = rng.randint(200, 2_000_000) if name == "GetObject" else 0
    bytes_in = rng.randint(200, 5_000_000) if name in ("PutObject", "UploadPart") else 0
    rec["additionalEventData"] = {
        "SignatureVersion": "SigV4",
        "CipherSuite": cipher,
        "bytesTransferredIn": bytes_in,
        "AuthenticationMethod": auth or "AuthHeader",
        "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(),
        "bytesTransferredOut": bytes_out,
    }
    rec["requestID"] = _hex(rng, 16).upper()
    rec["eventID"] = _uuid(rng)
    rec["readOnly"] = read_only
    rec["resources"] = [
        {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
    ]
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = False
    rec["recipientAccountId"] = ACCOUNT
    if principal.get("vpce"):
        rec["vpcEndpointId"] = principal["vpce"]
        rec["vpcEndpointAccountId"] = ACCOUNT
    rec["eventCategory"] = "Data"
    rec["tlsDetails"] = {
        "tlsVersion": "TLSv1.3" if cipher.startswith("TLS_") else "TLSv1.2",
        "cipherSuite": cipher,
        "clientProvidedHostHeader": host,
    }
    return rec


def management_event(rng, when, principal, region, source, name, read_only, ip=None, ua=None, bucket=None):
    ip = ip or rng.choice(principal["ips"])
    ua = ua or rng.choice(principal["ua"])
    rec = _base(rng, when, principal, region, source, name, ip, ua)
    if source == "s3.amazonaws.com":
        if name == "ListBuckets":
            rec["requestParameters"] = {"Host": f"s3.{region}.amazonaws.com"}
        else:
            bucket = bucket or rng.choice(BUCKET_TABLE)[0]
            sub = {
                "GetBucketLocation": "location",
                "GetBucketPolicy": "policy",
                "GetBucketAcl": "acl",
                "GetBucketVersioning": "versioning",
                "GetBucketEncryption": "encryption",
                "PutBucketPolicy": "policy",
            }.get(name, "")
            rec["requestParameters"] = {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", sub: ""}
        rec["additionalEventData"] = {
            "SignatureVersion": "SigV4",
            "CipherSuite": rng.choice(CIPHERS),
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(),
            "bytesTransferredOut": rng.randint(100, 4000),
        }
    elif source == "ec2.amazonaws.com":
        rec["requestParameters"] = {
            "instancesSet": {"items": [{"instanceId": f"i-0{_hex(rng, 16)}"} for _ in range(rng.randint(1, 4))]},
            "filterSet": {"items": [{"name": "tag:Environment", "valueSet": {"items": [{"value": "production"}]}}]},
        }
    elif source == "sts.amazonaws.com" and name == "AssumeRole":
        role = f"arn:aws:iam::{ACCOUNT}:role/app-role-{rng.randint(0, 27):02d}"
        rec["requestParameters"] = {
            "roleArn": role,
            "roleSessionName": f"session-{_hex(rng, 8)}",
            "durationSeconds": 3600,
        }
        rec["responseElements"] = {
            "credentials": {
                "accessKeyId": _key_id(rng, "ASIA"),
                "sessionToken": base64.b64encode(rng.randbytes(300)).decode(),
                "expiration": "Nov 1, 2026, 11:00:00 PM",
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{_key_id(rng, 'AROA')}:session",
                "arn": role.replace(":iam:", ":sts:"),
            },
        }
    elif source == "kms.amazonaws.com":
        key_arn = f"arn:aws:kms:{region}:{ACCOUNT}:key/{_uuid(rng)}"
        rec["requestParameters"] = {
            "keyId": key_arn,
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{rng.choice(BUCKET_TABLE)[0]}/{_hex(rng, 20)}"},
        }
        rec["resources"] = [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn}]
    else:
        rec["requestParameters"] = {"maxItems": 100, "marker": _hex(rng, 40)} if read_only else {"name": _hex(rng, 24)}
    rec.setdefault("responseElements", None)
    rec["requestID"] = _uuid(rng)
    rec["eventID"] = _uuid(rng)
    rec["readOnly"] = read_only
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = ACCOUNT
    rec["eventCategory"] = "Management"
    rec["tlsDetails"] = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
    }
    rec["sessionCredentialFromConsole"] = "false"
    return rec


def _background(rng, when, principals, weights_cum, region) -> dict:
    p = rng.choices(principals, cum_weights=weights_cum)[0]
    if p["identity"]["type"] == "AWSService" or rng.random() < 0.28:
        source, name, _, ro = rng.choice(MGMT_TABLE)
        rec = management_event(rng, when, p, region, source, name, ro)
    else:
        bucket = rng.choice(BUCKET_TABLE)[0]
        name, _, ro = rng.choice(DATA_TABLE)
        rec = s3_data_event(rng, when, p, region, bucket, name, ro)
    if rng.random() < 0.02:
        rec["errorCode"] = rng.choice(("AccessDenied", "NoSuchKey", "AccessDenied"))
        rec["errorMessage"] = (
            "Access Denied" if rec["errorCode"] == "AccessDenied" else "The specified key does not exist."
        )
    return rec


def planted_events(seed: int) -> list[dict]:
    """The incident: ci-deploy's key used from an external address, then public and presigned downloads."""
    rng = random.Random(f"incident-{seed}")
    attacker = {
        "identity": {
            "type": "IAMUser",
            "principalId": "AIDAQ3EGRJ7ZCIDEPLOY1",
            "arn": ATTACKER_ARN,
            "accountId": ACCOUNT,
            "accessKeyId": ATTACKER_KEY,
            "userName": "ci-deploy",
        },
        "ips": [ATTACKER_IP],
        "ua": [ATTACKER_UA],
        "vpce": None,
    }
    anonymous = {
        "identity": {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"},
        "ips": [ANON_IP],
        "ua": [BROWSER_UA],
        "vpce": None,
    }
    start = T0 + timedelta(hours=11, minutes=3)
    out = []
    t = start
    for _ in range(40):  # probing
        t += timedelta(seconds=rng.randint(1, 6))
        rec = management_event(
            rng, t, attacker, "us-east-1", "s3.amazonaws.com", "GetBucketPolicy", True, bucket=VICTIM
        )
        rec["errorCode"], rec["errorMessage"] = "AccessDenied", "Access Denied"
        out.append(rec)
    for _ in range(30):
        t += timedelta(seconds=rng.randint(1, 4))
        out.append(s3_data_event(rng, t, attacker, "us-east-1", VICTIM, "ListObjects", True))
    t += timedelta(minutes=2)
    out.append(
        management_event(rng, t, attacker, "us-east-1", "s3.amazonaws.com", "PutBucketPolicy", False, bucket=VICTIM)
    )
    for i in range(15000):  # mass download, ~2 h
        t += timedelta(milliseconds=rng.randint(100, 700))
        out.append(
            s3_data_event(
                rng, t, attacker, "us-east-1", VICTIM, "GetObject", True, key=f"customers/2026/export-{i:06d}.csv"
            )
        )
    t2 = start + timedelta(minutes=20)
    for i in range(2500):  # presigned URLs signed with the stolen key
        t2 += timedelta(milliseconds=rng.randint(500, 2500))
        out.append(
            s3_data_event(
                rng,
                t2,
                attacker,
                "us-east-1",
                VICTIM,
                "GetObject",
                True,
                ip="203.0.113.90",
                ua=BROWSER_UA,
                key=f"customers/2026/export-{i:06d}.csv",
                auth="QueryString",
            )
        )
    t3 = start + timedelta(minutes=35)
    for i in range(3000):  # public read after the policy change
        t3 += timedelta(milliseconds=rng.randint(300, 2000))
        out.append(
            s3_data_event(
                rng, t3, anonymous, "us-east-1", VICTIM, "GetObject", True, key=f"customers/2026/export-{i:06d}.csv"
            )
        )
    return out


def file_plan(records: int, files: int) -> list[tuple[int, datetime, datetime, str]]:
    """(index, first event time, delivery time, region) for each file; files are spaced evenly over 24 h."""
    step = SPAN / files
    plan = []
    for i in range(files):
        lo = T0 + step * i
        hi = T0 + step * (i + 1)
        plan.append((i, lo, hi, REGIONS[i % len(REGIONS)]))
    return plan


def write_file(args: tuple) -> tuple[str, int, int]:
    seed, out, i, lo, hi, region, per_file, planted = args
    rng = random.Random(f"file-{seed}-{i}")
    principals = build_principals(seed)
    cum = []
    total = 0
    for p in principals:
        total += p["weight"]
        cum.append(total)
    span = (hi - lo).total_seconds()
    records = []
    for _ in range(max(per_file - len(planted), 0)):
        when = lo + timedelta(seconds=rng.random() * span)
        if rng.random() < 0.02:  # late delivery: an event from up to 20 minutes earlier
            when -= timedelta(seconds=rng.random() * 1200)
        records.append(_background(rng, when, principals, cum, region))
    records.extend(planted)
    rng.shuffle(records)
    delivered = hi + timedelta(minutes=5)
    day = delivered.strftime("%Y/%m/%d")
    name = f"{ACCOUNT}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{_key_id(rng, '')}.json.gz"
    path = Path(out) / "AWSLogs" / ACCOUNT / "CloudTrail" / region / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = _encode({"Records": records})
    level = 3 if _gzip.__name__.endswith("igzip") else 6
    path.write_bytes(_gzip.compress(raw, level, mtime=0))
    return str(path), len(records), len(raw)


def generate(out: str, records: int, files: int, seed: int, jobs: int) -> dict:
    plan = file_plan(records, files)
    incident = (
        planted_events(seed) if records >= 100_000 else planted_events(seed)[:: max(1, 2_000_000 // max(records, 1))]
    )
    by_file: dict[int, list[dict]] = {}
    for rec in incident:
        when = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        idx = min(int((when - T0) / (SPAN / files)), files - 1)
        # the incident happened in us-east-1: put it in the nearest us-east-1 file
        while REGIONS[idx % len(REGIONS)] != "us-east-1":
            idx += 1
        by_file.setdefault(min(idx, files - 1), []).append(rec)
    per_file = records // files
    tasks = [(seed, out, i, lo, hi, region, per_file, by_file.get(i, [])) for i, lo, hi, region in plan]
    written = []
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            written = list(pool.map(write_file, tasks, chunksize=4))
    else:
        written = [write_file(t) for t in tasks]
    manifest = {
        "seed": seed,
        "files": len(written),
        "records": sum(w[1] for w in written),
        "uncompressed_bytes": sum(w[2] for w in written),
        "compressed_bytes": sum(os.path.getsize(w[0]) for w in written),
        "bucket": VICTIM,
        "window_start": WINDOW_START,
        "window_end": WINDOW_END,
        "attacker_arn": ATTACKER_ARN,
        "attacker_ip": ATTACKER_IP,
        "paths": sorted(os.path.relpath(w[0], out) for w in written),
    }
    Path(out, "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "data" / "cloudtrail"))
    parser.add_argument("--records", type=int, default=1_500_000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.files < 1 or args.records < args.files:
        parser.error("--records must be at least --files, and --files at least 1")
    t0 = time.perf_counter()
    m = generate(args.out, args.records, args.files, args.seed, args.jobs)
    took = time.perf_counter() - t0
    print(
        f"wrote {m['files']} files, {m['records']:,} records, {m['uncompressed_bytes'] / 1e9:.2f} GB JSON "
        f"({m['uncompressed_bytes'] / m['records']:.0f} B/record), {m['compressed_bytes'] / 1e6:.0f} MB gz "
        f"to {args.out} in {took:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ransomware: stolen ``app-ingest`` role credentials encrypt and delete an invoice archive.

Story (times relative to ``now``): the ingest Lambda writes invoices into ``acme-invoice-archive`` through the
VPC endpoint and the reporting service reads them. ~3 h ago the Lambda's current session key is used from
203.0.113.77: GetCallerIdentity, ListBuckets, GetBucketVersioning, PutBucketVersioning ``Suspended``, then for
every object GetObject, PutObject ``<key>.encrypted`` and DeleteObject, and finally a ransom note. Versioning
was on until the attacker suspended it, so every original survives as a noncurrent version (recoverable).
Afterwards the reporting service gets NoSuchKey on the invoices it reads.
"""

from __future__ import annotations

import random
from datetime import datetime
from datetime import timedelta

from sandbox import ACCOUNT_ID
from sandbox import REGION
from sandbox.scenarios import _common as c

NAME = "ransomware"
DESCRIPTION = (
    "Stolen app-ingest session credentials suspend versioning on acme-invoice-archive, write .encrypted copies "
    "and delete the originals"
)

VICTIM = "acme-invoice-archive"
LOGS = "acme-app-logs"
TRAIL_BUCKET = "acme-cloudtrail-logs"
TRAIL = "acme-main-trail"
ROLE = "app-ingest"
READER = "app-reporting"
RESPONDER_ROLE = "incident-responder"
ROLE_POLICY = "ingest-archive-rw"
ATTACKER_IP = "203.0.113.77"
ATTACKER_UA = (
    "[Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.8.11-amd64 md/arch#x86_64 lang/python#3.12.4 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10]"
)
UAS = {
    ROLE: "[Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 "
    "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.120]",
    READER: "[aws-sdk-java/2.25.11 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS "
    "Java/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy]",
}
SUFFIX = ".encrypted"
NOTE = "README-RESTORE-FILES.txt"
NO_SUCH_KEY = ("NoSuchKey", "The specified key does not exist.")


def _role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def _objects(rng: random.Random, now: datetime) -> list[dict]:
    objs = []
    for i in range(72):
        month = now - timedelta(days=7 * i + rng.randint(0, 6))
        objs.append(
            {
                "key": f"invoices/{month:%Y}/{month:%m}/INV-{rng.randint(100000, 999999)}.pdf",
                "body": "%PDF-1.4\n% sandbox stand-in\n",
                "content_type": "application/pdf",
                "size": rng.randint(40_000, 400_000),
            }
        )
    for i in range(12):
        objs.append(
            {
                "key": f"contracts/supplier-{i + 1:02d}-{rng.randint(1000, 9999)}.docx",
                "body": "sandbox stand-in for a contract\n",
                "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "size": rng.randint(30_000, 250_000),
            }
        )
    seen: set[str] = set()
    return [o for o in objs if not (o["key"] in seen or seen.add(o["key"]))]


def build(seed: int, now: datetime) -> dict:
    """Everything the scenario creates, as plain data (pure, deterministic for ``seed`` and ``now``)."""
    rng = random.Random(seed)
    ids = c.Ids(rng)
    day_start = now - timedelta(hours=24)
    attack = now - timedelta(hours=3, minutes=rng.randint(0, 20))
    vpce = "vpce-0" + ids.hex(16)
    detector = ids.hex(32)
    role_ids = {ROLE: ids.key_id("AROA"), READER: ids.key_id("AROA"), RESPONDER_ROLE: ids.key_id("AROA")}
    objects = _objects(rng, now)
    sizes = {o["key"]: o["size"] for o in objects}
    keys = [o["key"] for o in objects]
    trail = c.trail_world(TRAIL, TRAIL_BUCKET, [VICTIM])

    sessions = c.RoleSessions(
        ids,
        {ROLE: role_ids[ROLE], READER: role_ids[READER]},
        day_start,
        instances={ROLE: ["acme-invoice-ingest"], READER: [ids.instance_id()]},
        ips={ROLE: c.private_ips(ids, 3, 20, 29), READER: c.private_ips(ids, 2, 1, 9)},
        services={ROLE: "lambda.amazonaws.com"},
    )
    stolen = sessions.session(ROLE, attack - timedelta(minutes=30), idx=0)

    # ---------------------------------------------------------------- the attack (planned first: reads depend on it)
    att = {
        "identity": stolen["identity"],
        "source_ip": ATTACKER_IP,
        "user_agent": ATTACKER_UA,
        "bucket": VICTIM,
    }
    t = attack
    attack_records = [
        c.api_record(ids, when=t, event_source="sts.amazonaws.com", event_name="GetCallerIdentity", read_only=True,
                     identity=stolen["identity"], source_ip=ATTACKER_IP, user_agent=ATTACKER_UA),
        c.s3_record(ids, when=t + timedelta(seconds=30), event_name="ListBuckets", data=False, read_only=True,
                    **{**att, "bucket": None}),
        c.s3_record(ids, when=t + timedelta(minutes=1), event_name="GetBucketVersioning", data=False, read_only=True,
                    request_parameters={"versioning": [""]}, **att),
    ]  # fmt: skip
    suspended_at = t + timedelta(minutes=4)
    attack_records.append(
        c.s3_record(ids, when=suspended_at, event_name="PutBucketVersioning", data=False, read_only=False,
                    request_parameters={"versioning": [""], "VersioningConfiguration": {
                        "Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}}, **att)
    )  # fmt: skip
    t = suspended_at + timedelta(minutes=2)
    attack_records.append(
        c.s3_record(ids, when=t, event_name="ListObjects", data=True, read_only=True,
                    request_parameters={"list-type": "2", "prefix": ""}, bytes_out=rng.randint(20_000, 40_000), **att)
    )  # fmt: skip
    order = list(keys)
    rng.shuffle(order)
    deleted_at: dict[str, datetime] = {}
    for i, key in enumerate(order):
        when = t + timedelta(seconds=30 + i * 25 + rng.randint(0, 5))
        attack_records.append(
            c.s3_record(ids, when=when, event_name="GetObject", key=key, data=True, read_only=True,
                        bytes_out=sizes[key], **att)
        )  # fmt: skip
        attack_records.append(
            c.s3_record(ids, when=when + timedelta(seconds=4), event_name="PutObject", key=key + SUFFIX, data=True,
                        read_only=False, bytes_in=sizes[key] + 16,
                        response_elements={"x-amz-server-side-encryption": "AES256"}, **att)
        )  # fmt: skip
        deleted_at[key] = when + timedelta(seconds=7)
        attack_records.append(
            c.s3_record(ids, when=deleted_at[key], event_name="DeleteObject", key=key, data=True, read_only=False,
                        response_elements={"x-amz-delete-marker": "true", "x-amz-version-id": "null"}, **att)
        )  # fmt: skip
    note_at = max(deleted_at.values()) + timedelta(minutes=1)
    note = "Your files are encrypted. Contact restore@example.invalid with your case id to recover them.\n"
    attack_records.append(
        c.s3_record(ids, when=note_at, event_name="PutObject", key=NOTE, data=True, read_only=False,
                    bytes_in=len(note), response_elements={"x-amz-server-side-encryption": "AES256"}, **att)
    )  # fmt: skip

    # ---------------------------------------------------------------- legitimate traffic
    records: list[dict] = []
    n_legit = 900 + rng.randint(0, 200)
    no_such_key = 0
    for _ in range(n_legit):
        when = day_start + timedelta(seconds=rng.randint(0, 24 * 3600 - 1))
        role = READER if rng.random() < 0.6 or when >= attack else ROLE
        ident, ip = sessions.identity(role, when)
        common = {"when": when, "identity": ident, "source_ip": ip, "user_agent": UAS[role], "bucket": VICTIM}
        common["vpc_endpoint_id"] = vpce
        key = rng.choice(keys)
        if role == ROLE:
            rec = c.s3_record(ids, event_name="PutObject", key=key, data=True, read_only=False, bytes_in=sizes[key],
                              response_elements={"x-amz-server-side-encryption": "AES256"}, **common)  # fmt: skip
        elif key in deleted_at and when > deleted_at[key]:
            no_such_key += 1
            rec = c.s3_record(ids, event_name="GetObject", key=key, data=True, read_only=True, error=NO_SUCH_KEY,
                              bytes_out=312, **common)  # fmt: skip
        else:
            rec = c.s3_record(ids, event_name="GetObject", key=key, data=True, read_only=True, bytes_out=sizes[key],
                              **common)  # fmt: skip
        records.append(rec)
    records.extend(sessions.assume_records)
    n_legit_total = len(records)
    records.extend(attack_records)
    records.sort(key=lambda r: (r["eventTime"], r["eventID"]))

    # ---------------------------------------------------------------- GuardDuty
    geo = c.remote_ip(ATTACKER_IP, country="Netherlands", country_code="NL", city="Amsterdam", asn="64500",
                      org="Example Bulletproof Hosting", lat=52.37, lon=4.89)  # fmt: skip
    created = now - timedelta(days=rng.randint(400, 900))
    tags = {"data-classification": "confidential", "owner": "finance"}
    key_detail = c.access_key_detail(
        stolen["access_key_id"], f"{role_ids[ROLE]}:{stolen['session_name']}", ROLE, "AssumedRole"
    )
    first_op = datetime.fromisoformat(attack_records[5]["eventTime"])

    def detail(keys_: list[str] | None = None) -> list[dict]:
        return [c.s3_bucket_detail(VICTIM, created=created, public=False, policy_public_read=False, bucket_bpa=True,
                                   tags=tags, object_keys=keys_)]  # fmt: skip

    current = [
        c.finding(
            ids, detector_id=detector, finding_type="Impact:S3/AnomalousBehavior.Delete", severity=8.0,
            title=f"An API commonly used to delete data in S3 was invoked anomalously on bucket {VICTIM}.",
            description=f"An IAM entity invoked DeleteObject on S3 bucket {VICTIM} in a way that deviates from the "
            "established baseline for this account.",
            first_seen=first_op, last_seen=max(deleted_at.values()), count=len(deleted_at),
            buckets=detail(order[:3]), access_key=key_detail, api="DeleteObject", remote=geo, user_agent=ATTACKER_UA,
        ),
        c.finding(
            ids, detector_id=detector, finding_type="Impact:S3/AnomalousBehavior.Write", severity=5.0,
            title=f"An API commonly used to write data in S3 was invoked anomalously on bucket {VICTIM}.",
            description=f"An IAM entity invoked PutObject on S3 bucket {VICTIM} in a way that deviates from the "
            "established baseline for this account.",
            first_seen=first_op, last_seen=note_at, count=len(order) + 1,
            buckets=detail([k + SUFFIX for k in order[:3]]), access_key=key_detail, api="PutObject", remote=geo,
            user_agent=ATTACKER_UA,
        ),
    ]  # fmt: skip
    findings = list(current)
    old = now - timedelta(days=rng.randint(20, 50))
    findings.append(
        c.finding(ids, detector_id=detector, finding_type="Discovery:S3/AnomalousBehavior", severity=2.0,
                  title=f"An API commonly used to discover S3 objects was invoked anomalously on bucket {VICTIM}.",
                  description="Reviewed: month-end reconciliation job (false positive).",
                  first_seen=old, last_seen=old + timedelta(minutes=30), count=5, buckets=detail(), api="ListObjects",
                  remote=None, archived=True,
                  access_key=c.access_key_detail(ids.key_id("ASIA"), f"{role_ids[READER]}:reconcile", READER,
                                                 "AssumedRole"))
    )  # fmt: skip
    for _ in range(6):
        seen = now - timedelta(days=rng.randint(1, 80), minutes=rng.randint(0, 1440))
        ip = f"203.0.113.{rng.randint(100, 199)}"
        findings.append(
            c.finding(ids, detector_id=detector, finding_type="Discovery:S3/TorIPCaller", severity=5.0,
                      title=f"An S3 API was invoked from a Tor exit node on bucket {LOGS}.",
                      description=f"API ListObjects was invoked on S3 bucket {LOGS} from Tor exit node {ip}.",
                      first_seen=seen, last_seen=seen, count=1, access_key=None, api="ListObjects",
                      buckets=[c.s3_bucket_detail(LOGS, created=created, public=False, policy_public_read=False,
                                                  bucket_bpa=True)],
                      remote=c.remote_ip(ip, country="Germany", country_code="DE", city="Frankfurt am Main",
                                         asn="64502", org="Example Tor Exit", lat=50.11, lon=8.68),
                      archived=rng.random() < 0.5)
        )  # fmt: skip
    rng.shuffle(findings)

    # ---------------------------------------------------------------- Detective
    graph_arn = f"arn:aws:detective:{REGION}:{ACCOUNT_ID}:graph:{ids.hex(32)}"

    def ttp(tactic: str, technique: str, api: str, n: int) -> dict:
        return {
            "IndicatorType": "TTP_OBSERVED",
            "IndicatorDetail": {
                "TTPsObservedDetail": {"Tactic": tactic, "Technique": technique, "Procedure": api,
                                       "IpAddress": ATTACKER_IP, "APIName": api, "APISuccessCount": n,
                                       "APIFailureCount": 0}
            },
        }  # fmt: skip

    indicators = [
        ttp("Defense Evasion", "Impair Defenses", "PutBucketVersioning", 1),
        ttp("Impact", "Data Encrypted for Impact", "PutObject", len(order) + 1),
        ttp("Impact", "Data Destruction", "DeleteObject", len(order)),
        {"IndicatorType": "FLAGGED_IP_ADDRESS",
         "IndicatorDetail": {"FlaggedIpAddressDetail": {"IpAddress": ATTACKER_IP,
                                                        "Reason": "AWS_THREAT_INTELLIGENCE"}}},
        {"IndicatorType": "NEW_GEOLOCATION",
         "IndicatorDetail": {"NewGeolocationDetail": {"Location": "Amsterdam, Netherlands", "IpAddress": ATTACKER_IP,
                                                      "IsNewForEntireAccount": True}}},
        {"IndicatorType": "NEW_ASO",
         "IndicatorDetail": {"NewAsoDetail": {"Aso": "Example Bulletproof Hosting", "IsNewForEntireAccount": True}}},
    ] + [
        {"IndicatorType": "RELATED_FINDING",
         "IndicatorDetail": {"RelatedFindingDetail": {"Arn": f["arn"], "Type": f["type"], "IpAddress": ATTACKER_IP}}}
        for f in current
    ]  # fmt: skip
    detective = c.detective_payload(
        graph_arn,
        now - timedelta(days=rng.randint(200, 500)),
        entities=[{"entity_arn": _role_arn(ROLE), "severity": "CRITICAL", "indicators": indicators}],
    )

    # ---------------------------------------------------------------- IAM and simulation rules
    victim_arn = f"arn:aws:s3:::{VICTIM}"
    role_policy = c.policy(
        {"Sid": "IngestObjects", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
         "Resource": f"{victim_arn}/*"},
        {"Sid": "IngestBucket", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutBucketVersioning"],
         "Resource": victim_arn},
    )  # fmt: skip
    reader_policy = c.policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{victim_arn}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": victim_arn},
    )
    iam = {
        "managed_policies": [],
        "users": [],
        "roles": [
            {"name": ROLE, "placeholder_id": role_ids[ROLE], "trust": c.trust("lambda.amazonaws.com"),
             "description": "Invoice ingest Lambda", "inline_policies": {ROLE_POLICY: role_policy},
             "tags": {"team": "finance-platform"}},
            {"name": READER, "placeholder_id": role_ids[READER], "trust": c.trust("ec2.amazonaws.com"),
             "description": "Reporting service on EC2", "inline_policies": {"reporting-read-invoices": reader_policy},
             "tags": {"team": "finance-platform"}},
            {"name": RESPONDER_ROLE, "placeholder_id": role_ids[RESPONDER_ROLE],
             "trust": c.policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                                "Action": "sts:AssumeRole"}),
             "description": "Security incident responders",
             "inline_policies": {"incident-response": c.policy(
                 {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutBucketVersioning", "s3:PutBucketPolicy",
                                                "iam:Get*", "iam:List*", "iam:PutRolePolicy"], "Resource": "*"})},
             "tags": {"team": "security"}},
        ],
    }  # fmt: skip
    sims = [
        c.simulation(_role_arn(ROLE), action, f"{victim_arn}/*", "allowed", [(ROLE_POLICY, "role")])
        for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")
    ] + [
        c.simulation(_role_arn(ROLE), action, victim_arn, "allowed", [(ROLE_POLICY, "role")])
        for action in ("s3:ListBucket", "s3:PutBucketVersioning")
    ]
    reader_source = [("reporting-read-invoices", "role")]
    sims += [
        c.simulation(_role_arn(READER), "s3:GetObject", f"{victim_arn}/*", "allowed", reader_source),
        c.simulation(_role_arn(READER), "s3:ListBucket", victim_arn, "allowed", reader_source),
    ]

    world = {
        "account_public_access_block": c.bpa_config(True),
        "guardduty_detector": detector,
        "iam": iam,
        "buckets": [
            {"name": LOGS, "tags": {"purpose": "s3-access-logs"}, "encryption": {"SSEAlgorithm": "AES256"},
             "public_access_block": c.bpa_config(True), "ownership": "BucketOwnerEnforced"},
            trail["bucket"],
            {
                "name": VICTIM,
                "tags": tags,
                "versioning_history": ["Enabled"],
                "objects": objects,
                # moto 5.2.5 drops every version when an object is deleted while versioning is Suspended
                # (AWS adds a null delete marker and keeps them), so the deletes run just before the suspension:
                # same end state (noncurrent originals + delete markers, versioning Suspended, null-version
                # .encrypted copies), except that the markers get a version id instead of "null".
                "operations": [
                    {"op": "delete", "keys": order},
                    {"op": "versioning", "status": "Suspended"},
                    *({"op": "put", "key": k + SUFFIX, "body": "\x00sandbox-ciphertext\n",
                       "content_type": "application/octet-stream"} for k in order),
                    {"op": "put", "key": NOTE, "body": note, "content_type": "text/plain"},
                ],
                "encryption": {"SSEAlgorithm": "AES256"},
                "public_access_block": c.bpa_config(True),
                "ownership": "BucketOwnerEnforced",
            },
        ],
        "trails": [trail["trail"]],
    }  # fmt: skip

    expected = {
        "victim_bucket": VICTIM,
        "attack_started_at": c.iso(attack),
        "attacker": {
            "principal_arn": _role_arn(ROLE),
            "principal_type": "AssumedRole",
            "session_arn": stolen["identity"]["arn"],
            "session_name": stolen["session_name"],
            "access_key_id": stolen["access_key_id"],
            "source_ip": ATTACKER_IP,
            "user_agent": ATTACKER_UA,
        },
        "compromised_role_arn": _role_arn(ROLE),
        "legitimate_source_ips": sorted(sessions.ips[ROLE]),
        "versioning": {"before": "Enabled", "after": "Suspended", "suspended_at": c.iso(suspended_at)},
        "encrypted_suffix": SUFFIX,
        "ransom_note_key": NOTE,
        "recoverable_from_versions": True,
        "excessive_policy": {"name": ROLE_POLICY, "type": "inline", "attached_to": _role_arn(ROLE),
                             "excessive_actions": ["s3:DeleteObject", "s3:PutBucketVersioning"]},
        "finding_types": sorted(f["type"] for f in current),
        "finding_ids": sorted(f["id"] for f in current),
        "legitimate_role_arns": [_role_arn(READER)],
        "responder_role_arn": _role_arn(RESPONDER_ROLE),
        "detective_graph_arn": graph_arn,
        "trail": {"name": TRAIL, "bucket": TRAIL_BUCKET, "arn": trail["arn"]},
        "counts": {
            "objects_encrypted": len(order),
            "objects_deleted": len(order),
            "attacker_get_object": len(order),
            "attacker_events": len(attack_records),
            "legitimate_events": n_legit_total,
            "legitimate_no_such_key": no_such_key,
            "cloudtrail_events": len(records),
            "data_events": sum(r["eventCategory"] == "Data" for r in records),
            "management_events": sum(r["eventCategory"] == "Management" for r in records),
            "findings": len(findings),
            "victim_findings_current": len(current),
            "victim_findings_archived": 1,
            "victim_objects": len(order) + 1,
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

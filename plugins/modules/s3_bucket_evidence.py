#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_bucket_evidence
short_description: Snapshot everything about an S3 bucket, with a SHA-256 manifest, before anything is changed
version_added: 0.1.0
description:
  - Writes a snapshot of the bucket's state as JSON files to O(location) (a local directory on the controller or
    C(s3://bucket/prefix)) - the full security configuration (as M(cloudsec.s3.s3_bucket_security_info) returns it),
    the bucket policy exactly as S3 returns it, the raw ACL, access point policies, an object inventory summary
    (objects, bytes, versions, delete markers, recently changed keys) and, when given, the findings, events, actors
    and authorization results of the earlier response steps.
  - Every file is listed with its size and SHA-256 in C(manifest.json), and in C(SHA256SUMS) for C(sha256sum -c).
  - Layout - C(<location>/<incident_id>/<bucket>/snapshot-NNN-<UTC time>/).
  - Idempotent per incident and never overwriting - with O(if_exists=keep) (the default) an incident that already
    has a snapshot of the bucket keeps it (the state before the first change) and nothing is written; with
    O(if_exists=add_if_changed) a new numbered snapshot is written next to the earlier ones when the content differs
    from the newest, and nothing when it is the same.
  - On S3, O(object_lock_mode) and O(retention_days) put every object under Object Lock retention; the evidence
    bucket must have Object Lock enabled (checked before anything is written).
  - Fails before writing anything when the location is not writable or the bucket does not exist.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  bucket:
    description: The bucket to snapshot.
    type: str
    required: true
  incident_id:
    description: Incident identifier (letters, digits, C(.), C(_), C(-)); names the snapshot folder.
    type: str
    required: true
  location:
    description: Local directory or C(s3://bucket/prefix) where the evidence is written.
    type: str
    required: true
  object_lock_mode:
    description: Object Lock retention mode for the evidence objects (S3 locations only).
    type: str
    choices: [GOVERNANCE, COMPLIANCE]
  retention_days:
    description: Days of Object Lock retention (with O(object_lock_mode)).
    type: int
    default: 365
  if_exists:
    description: What to do when the incident already has a snapshot of the bucket (see the description).
    type: str
    choices: [keep, add_if_changed]
    default: keep
  findings:
    description: Findings to preserve (for example C(triage_result.findings)).
    type: raw
  events:
    description: Events to preserve (for example C(investigate_result.timeline)).
    type: raw
  actors:
    description: Actors to preserve (for example C(investigate_result.suspected_principals)).
    type: raw
  authorization:
    description: Authorization results to preserve (for example C(authorization_result)).
    type: raw
  inventory:
    description: Include the object inventory summary (C(ListObjectVersions)).
    type: bool
    default: true
  max_objects:
    description: At most this many object versions are listed for the inventory (the summary says when it stopped).
    type: int
    default: 100000
  recent_hours:
    description: Keys changed within this many hours are listed as recently changed.
    type: float
    default: 24
notes:
  - IAM actions - everything M(cloudsec.s3.s3_bucket_security_info) needs, plus C(s3:ListBucketVersions) on the
    bucket and, for an S3 location, C(s3:ListBucket), C(s3:GetObject), C(s3:PutObject),
    C(s3:GetBucketObjectLockConfiguration) and (with retention) C(s3:PutObjectRetention) on the evidence bucket.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Preserve the state of the compromised bucket before containment
  cloudsec.s3.s3_bucket_evidence:
    bucket: acme-customer-exports
    incident_id: INC-2026-0042
    location: s3://acme-ir-evidence/cases
    object_lock_mode: COMPLIANCE
    retention_days: 400
    findings: "{{ triage_result.findings | default(omit) }}"
    events: "{{ investigate_result.timeline | default(omit) }}"
  register: evidence

- name: Keep a local copy on the responder's laptop
  cloudsec.s3.s3_bucket_evidence:
    bucket: acme-customer-exports
    incident_id: INC-2026-0042
    location: ~/cases/evidence
"""

RETURN = r"""
incident_id:
  description: The incident id.
  returned: always
  type: str
  sample: INC-2026-0042
bucket:
  description: The bucket.
  returned: always
  type: str
  sample: acme-customer-exports
location:
  description: The evidence location (absolute path or s3 URL).
  returned: always
  type: str
  sample: s3://acme-ir-evidence/cases
snapshot:
  description: Name of the snapshot written (or found identical).
  returned: always
  type: str
  sample: snapshot-001-20261129T224624Z
path:
  description: Full path or URL of the snapshot folder.
  returned: always
  type: str
  sample: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports/snapshot-001-20261129T224624Z
manifest_path:
  description: Full path or URL of C(manifest.json).
  returned: always
  type: str
  sample: s3://acme-ir-evidence/cases/INC-2026-0042/acme-customer-exports/snapshot-001-20261129T224624Z/manifest.json
files:
  description: The files of the snapshot with their size and SHA-256.
  returned: always
  type: list
  elements: dict
  sample: [{name: policy.txt, size: 512, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}]
content_digest:
  description: SHA-256 over the data files; equal digests mean equal content.
  returned: always
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
previous_snapshots:
  description: Earlier snapshots of the same incident and bucket (never modified).
  returned: always
  type: list
  elements: str
  sample: []
object_lock:
  description: The Object Lock retention applied to the evidence objects, V(null) without.
  returned: always
  type: dict
  sample: {mode: COMPLIANCE, retain_until: "2027-12-04T22:46:24Z"}
inventory:
  description: The object inventory summary that was preserved.
  returned: when O(inventory=true)
  type: dict
  sample: {current_objects: 60, current_bytes: 1048576, versions: 60, delete_markers: 0, recently_changed_count: 0}
"""

import datetime
import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import caller_identity
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import is_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import jsonable
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import raw_client
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import ObjectLock
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import inventory_summary
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import open_location
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import optional_files
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import to_json_bytes
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import write_snapshot
from ansible_collections.cloudsec.s3.plugins.module_utils.quarantine import validate_incident_id
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import account_public_access_block
from ansible_collections.cloudsec.s3.plugins.module_utils.s3_security import gather_bucket
from ansible_collections.cloudsec.s3.plugins.module_utils.validation import validate_bucket_name


def list_versions(s3, bucket: str, max_objects: int) -> tuple[dict, bool]:
    paginator = raw_client(s3).get_paginator("list_object_versions")
    pages = paginator.paginate(Bucket=bucket, PaginationConfig={"MaxItems": max_objects})
    result = pages.build_full_result()
    return result, bool(result.get("NextToken"))


def collect(s3, s3control, bucket: str, account_id: str, params: dict, now: datetime.datetime) -> dict[str, bytes]:
    info = gather_bucket(s3, bucket, s3control=s3control, account_id=account_id)
    files: dict[str, bytes] = {"security_info.json": to_json_bytes(info)}
    if info.get("policy_text") is not None:
        files["policy.txt"] = info["policy_text"].encode("utf-8")
    acl = s3.get_bucket_acl(aws_retry=True, Bucket=bucket)
    files["acl.json"] = to_json_bytes(jsonable(acl))
    points = []
    for point in info.get("access_points") or []:
        entry = {"name": point.get("name"), "arn": point.get("arn"), "policy_text": None}
        try:
            entry["policy_text"] = s3control.get_access_point_policy(
                aws_retry=True, AccountId=account_id, Name=point["name"]
            ).get("Policy")
        except botocore_errors() as exc:
            if not is_error(exc, "NoSuchAccessPointPolicy"):
                entry["error"] = describe_client_error(exc)
        points.append(entry)
    files["access_points.json"] = to_json_bytes(points)
    settings, error = account_public_access_block(s3control, account_id)
    files["account.json"] = to_json_bytes(
        {"account_id": account_id, "public_access_block": settings, "public_access_block_error": error}
    )
    if params["inventory"]:
        versions, truncated = list_versions(s3, bucket, params["max_objects"])
        summary = inventory_summary(versions, now=now, recent_hours=params["recent_hours"], truncated=truncated)
        files["inventory.json"] = to_json_bytes(summary)
    files.update(
        optional_files(
            {
                "findings": params["findings"],
                "events": params["events"],
                "actors": params["actors"],
                "authorization": params["authorization"],
            }
        )
    )
    return files


def main() -> None:
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        incident_id=dict(type="str", required=True),
        location=dict(type="str", required=True),
        object_lock_mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"]),
        retention_days=dict(type="int", default=365),
        if_exists=dict(type="str", choices=["keep", "add_if_changed"], default="keep"),
        findings=dict(type="raw"),
        events=dict(type="raw"),
        actors=dict(type="raw"),
        authorization=dict(type="raw"),
        inventory=dict(type="bool", default=True),
        max_objects=dict(type="int", default=100000),
        recent_hours=dict(type="float", default=24),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        bucket = validate_bucket_name(params["bucket"])
        incident_id = validate_incident_id(params["incident_id"])
        if params["retention_days"] < 1:
            raise ValueError(f"retention_days must be at least 1, got {params['retention_days']}")
        if params["max_objects"] < 1:
            raise ValueError(f"max_objects must be at least 1, got {params['max_objects']}")
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    now = datetime.datetime.now(datetime.timezone.utc)
    s3 = client(module, "s3")
    s3control = client(module, "s3control")
    lock = None
    if params["object_lock_mode"]:
        lock = ObjectLock(params["object_lock_mode"], now + datetime.timedelta(days=params["retention_days"]))
    try:
        location = open_location(params["location"], s3, lock)
        location.check_writable(create=not module.check_mode)
        account_id = caller_identity(client(module, "sts"))["account_id"]
        files = collect(s3, s3control, bucket, account_id, params, now)
        snapshot = write_snapshot(
            location,
            incident_id,
            bucket,
            files,
            now=now,
            check_mode=module.check_mode,
            keep_existing=params["if_exists"] == "keep",
        )
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to snapshot bucket {bucket}")
    out = snapshot.as_dict()
    module.exit_json(
        changed=out["changed"],
        incident_id=incident_id,
        bucket=bucket,
        location=out["location"],
        snapshot=out["snapshot"],
        path=out["path"],
        manifest_path=out["manifest_path"],
        files=out["files"],
        content_digest=out["manifest"]["content_digest"],
        previous_snapshots=out["previous_snapshots"],
        object_lock={"mode": lock.mode, "retain_until": jsonable(lock.retain_until)} if lock else None,
        inventory=json.loads(files["inventory.json"]) if "inventory.json" in files else None,
    )


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Evidence snapshots: JSON files plus a SHA-256 manifest, in a local directory or under ``s3://bucket/prefix``.

Layout (the same for both kinds of location)::

    <location>/<incident_id>/<bucket>/snapshot-001-20261129T224624Z/
        security_info.json  policy.txt  acl.json  access_points.json  inventory.json  [findings.json ...]
        manifest.json       (incident, bucket, creation time, every file with its size and sha256, content digest)
        SHA256SUMS          (the same hashes in ``sha256sum -c`` format)

Rules:

* A snapshot is never overwritten: local files are created with exclusive open (``"x"``), S3 objects with
  ``If-None-Match: *``; a snapshot directory that already exists is never written into.
* Idempotent per incident: when the newest snapshot of the incident and bucket has the same content digest
  (hash over the data files, not the times), nothing is written and that snapshot is returned.
* On S3, ``object_lock`` puts every object under Object Lock retention (GOVERNANCE or COMPLIANCE) until a date;
  the evidence bucket must have Object Lock enabled, which is checked before anything is written.

The location classes take an amazon.aws-wrapped S3 client (calls made with ``aws_retry=True``); the rest is pure.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import describe_client_error
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import error_code

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
_SNAPSHOT_DIR = re.compile(r"^snapshot-(\d{3,})-(\d{8}T\d{6}Z)$")
_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?$")


# --------------------------------------------------------------------------------------------------------------------
# locations


class Location:
    """Where evidence or state records go. Keys are ``/``-separated paths relative to the location root."""

    url: str

    def check_writable(self, create: bool) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def list_dirs(self, prefix: str) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def list_files(self, prefix: str) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, key: str) -> bytes | None:  # pragma: no cover - interface
        raise NotImplementedError

    def write(self, key: str, data: bytes, *, exclusive: bool) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def url_of(self, key: str) -> str:
        return f"{self.url.rstrip('/')}/{key}"


class LocalLocation(Location):
    def __init__(self, path: str) -> None:
        self.root = os.path.abspath(os.path.expanduser(path))
        self.url = self.root

    def _path(self, key: str) -> str:
        return os.path.join(self.root, *key.split("/"))

    def check_writable(self, create: bool) -> None:
        probe = self.root
        while not os.path.exists(probe):
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
            raise CloudsecError(f"Location {self.root} is not writable ({probe} is not a writable directory)")
        if create:
            try:
                os.makedirs(self.root, exist_ok=True)
            except OSError as exc:
                raise CloudsecError(f"Location {self.root} is not writable: {exc}") from exc

    def list_dirs(self, prefix: str) -> list[str]:
        path = self._path(prefix)
        if not os.path.isdir(path):
            return []
        return sorted(name for name in os.listdir(path) if os.path.isdir(os.path.join(path, name)))

    def list_files(self, prefix: str) -> list[str]:
        path = self._path(prefix)
        if not os.path.isdir(path):
            return []
        return sorted(name for name in os.listdir(path) if os.path.isfile(os.path.join(path, name)))

    def read(self, key: str) -> bytes | None:
        try:
            with open(self._path(key), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes, *, exclusive: bool) -> None:
        path = self._path(key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if exclusive:
                with open(path, "xb") as handle:
                    handle.write(data)
                return
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except FileExistsError as exc:
            raise CloudsecError(f"Refusing to overwrite {path}: it already exists") from exc
        except OSError as exc:
            raise CloudsecError(f"Cannot write {path}: {exc}") from exc


@dataclass
class ObjectLock:
    mode: str  # GOVERNANCE | COMPLIANCE
    retain_until: datetime.datetime


class S3Location(Location):
    def __init__(self, url: str, s3: Any, object_lock: ObjectLock | None = None) -> None:
        match = _S3_URL.match(url)
        if not match:
            raise CloudsecError(f"Invalid S3 location {url!r}: expected s3://BUCKET or s3://BUCKET/PREFIX")
        self.bucket = match["bucket"]
        self.prefix = (match["prefix"] or "").strip("/")
        self.url = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.s3 = s3
        self.object_lock = object_lock

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def check_writable(self, create: bool) -> None:
        try:
            self.s3.head_bucket(aws_retry=True, Bucket=self.bucket)
        except botocore_errors() as exc:
            raise CloudsecError(
                f"Location {self.url} is not writable: bucket {self.bucket} cannot be reached "
                f"({describe_client_error(exc)})",
                exception=exc,
            ) from exc
        if self.object_lock is None:
            return
        try:
            conf = self.s3.get_object_lock_configuration(aws_retry=True, Bucket=self.bucket)
            enabled = (conf.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") == "Enabled"
        except botocore_errors() as exc:
            if error_code(exc) != "ObjectLockConfigurationNotFoundError":
                raise CloudsecError(
                    f"Cannot read the Object Lock configuration of {self.bucket}: {describe_client_error(exc)}"
                ) from exc
            enabled = False
        if not enabled:
            raise CloudsecError(
                f"Object Lock retention was asked for, but evidence bucket {self.bucket} does not have Object Lock "
                "enabled (create it with ObjectLockEnabledForBucket)"
            )

    def _list(self, prefix: str) -> dict[str, Any]:
        full = self._key(prefix).rstrip("/") + "/"
        paginator = getattr(self.s3, "client", self.s3).get_paginator("list_objects_v2")
        try:
            return paginator.paginate(Bucket=self.bucket, Prefix=full, Delimiter="/").build_full_result()
        except botocore_errors() as exc:
            raise CloudsecError(f"Cannot list {self.url_of(prefix)}: {describe_client_error(exc)}") from exc

    def list_dirs(self, prefix: str) -> list[str]:
        result = self._list(prefix)
        return sorted(p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for p in result.get("CommonPrefixes") or [])

    def list_files(self, prefix: str) -> list[str]:
        result = self._list(prefix)
        return sorted(o["Key"].rsplit("/", 1)[-1] for o in result.get("Contents") or [])

    def read(self, key: str) -> bytes | None:
        try:
            return self.s3.get_object(aws_retry=True, Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except botocore_errors() as exc:
            if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise CloudsecError(f"Cannot read {self.url_of(key)}: {describe_client_error(exc)}") from exc

    def write(self, key: str, data: bytes, *, exclusive: bool) -> None:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "Body": data,
            "ContentType": "application/json" if key.endswith(".json") else "text/plain",
            "ChecksumAlgorithm": "SHA256",
        }
        if exclusive:
            params["IfNoneMatch"] = "*"
        if self.object_lock is not None:
            params["ObjectLockMode"] = self.object_lock.mode
            params["ObjectLockRetainUntilDate"] = self.object_lock.retain_until
        try:
            self.s3.put_object(aws_retry=True, **params)
        except botocore_errors() as exc:
            if error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise CloudsecError(f"Refusing to overwrite {self.url_of(key)}: it already exists") from exc
            raise CloudsecError(f"Cannot write {self.url_of(key)}: {describe_client_error(exc)}") from exc


def open_location(url: str, s3: Any = None, object_lock: ObjectLock | None = None) -> Location:
    """A :class:`LocalLocation` for a path, an :class:`S3Location` for ``s3://...`` (needs ``s3``)."""
    if not isinstance(url, str) or not url.strip():
        raise CloudsecError("The location is empty: give a local directory or s3://bucket/prefix")
    if url.startswith("s3://"):
        if s3 is None:
            raise CloudsecError(f"An S3 client is needed for {url}")
        return S3Location(url, s3, object_lock)
    if "://" in url:
        raise CloudsecError(f"Unsupported location {url!r}: give a local directory or s3://bucket/prefix")
    if object_lock is not None:
        raise CloudsecError(f"Object Lock retention needs an s3:// location, not the local directory {url}")
    return LocalLocation(url)


# --------------------------------------------------------------------------------------------------------------------
# content


def to_json_bytes(value: Any) -> bytes:
    """Stable JSON bytes (sorted keys, 2-space indent, trailing newline): equal data gives equal hashes."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_digest(files: Mapping[str, bytes]) -> str:
    """One hash over the data files (names and contents), independent of when the snapshot was taken."""
    lines = "".join(f"{sha256_hex(files[name])}  {name}\n" for name in sorted(files))
    return sha256_hex(lines.encode("utf-8"))


def build_manifest(
    incident_id: str, bucket: str, files: Mapping[str, bytes], created_at: str, snapshot: str
) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "bucket": bucket,
        "snapshot": snapshot,
        "created_at": created_at,
        "algorithm": "SHA-256",
        "content_digest": content_digest(files),
        "files": [
            {"name": name, "size": len(files[name]), "sha256": sha256_hex(files[name])} for name in sorted(files)
        ],
    }


def sums_text(manifest: Mapping[str, Any]) -> bytes:
    return "".join(f"{f['sha256']}  {f['name']}\n" for f in manifest["files"]).encode("utf-8")


def verify_snapshot(location: Location, snapshot_prefix: str) -> list[str]:
    """Problems found re-hashing every file of a snapshot against its manifest (empty list: it verifies)."""
    raw = location.read(f"{snapshot_prefix}/{MANIFEST}")
    if raw is None:
        return [f"{location.url_of(snapshot_prefix)} has no {MANIFEST}"]
    manifest = json.loads(raw)
    problems = []
    for entry in manifest.get("files") or []:
        data = location.read(f"{snapshot_prefix}/{entry['name']}")
        if data is None:
            problems.append(f"{entry['name']}: missing")
        elif sha256_hex(data) != entry["sha256"]:
            problems.append(f"{entry['name']}: sha256 {sha256_hex(data)} does not match the manifest")
    return problems


def inventory_summary(
    versions: Mapping[str, Any],
    *,
    now: datetime.datetime,
    recent_hours: float = 24.0,
    max_recent: int = 100,
    truncated: bool = False,
) -> dict[str, Any]:
    """Object count, bytes, versions, delete markers and the most recently changed keys of a bucket, from a
    ``ListObjectVersions`` result (``Versions`` / ``DeleteMarkers``)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    since = now - datetime.timedelta(hours=recent_hours)
    current = 0
    current_bytes = 0
    all_bytes = 0
    version_count = 0
    recent: list[tuple[datetime.datetime, dict[str, Any]]] = []
    for version in versions.get("Versions") or []:
        version_count += 1
        size = int(version.get("Size") or 0)
        all_bytes += size
        if version.get("IsLatest"):
            current += 1
            current_bytes += size
        modified = _as_datetime(version.get("LastModified"))
        if modified is not None and modified >= since:
            recent.append(
                (
                    modified,
                    {
                        "key": version.get("Key"),
                        "version_id": version.get("VersionId"),
                        "last_modified": _iso(modified),
                        "size": size,
                        "is_latest": bool(version.get("IsLatest")),
                        "kind": "version",
                    },
                )
            )
    markers = versions.get("DeleteMarkers") or []
    for marker in markers:
        modified = _as_datetime(marker.get("LastModified"))
        if modified is not None and modified >= since:
            recent.append(
                (
                    modified,
                    {
                        "key": marker.get("Key"),
                        "version_id": marker.get("VersionId"),
                        "last_modified": _iso(modified),
                        "size": 0,
                        "is_latest": bool(marker.get("IsLatest")),
                        "kind": "delete_marker",
                    },
                )
            )
    recent.sort(key=lambda item: (item[0], item[1]["key"] or ""), reverse=True)
    return {
        "current_objects": current,
        "current_bytes": current_bytes,
        "versions": version_count,
        "noncurrent_versions": version_count - current,
        "all_versions_bytes": all_bytes,
        "delete_markers": len(markers),
        "current_delete_markers": sum(1 for m in markers if m.get("IsLatest")),
        "recent_hours": recent_hours,
        "recently_changed_count": len(recent),
        "recently_changed": [entry for _when, entry in recent[:max_recent]],
        "truncated": truncated,
    }


def _as_datetime(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    return None


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def snapshot_stamp(now: datetime.datetime) -> str:
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def existing_snapshots(location: Location, incident_id: str, bucket: str) -> list[str]:
    """Snapshot directory names of the incident and bucket, oldest first."""
    names = [n for n in location.list_dirs(f"{incident_id}/{bucket}") if _SNAPSHOT_DIR.match(n)]
    return sorted(names, key=lambda n: int(_SNAPSHOT_DIR.match(n).group(1)))  # type: ignore[union-attr]


@dataclass
class SnapshotResult:
    changed: bool
    location: str
    snapshot: str
    path: str
    manifest_path: str
    manifest: dict[str, Any]
    previous: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "location": self.location,
            "snapshot": self.snapshot,
            "path": self.path,
            "manifest_path": self.manifest_path,
            "manifest": self.manifest,
            "files": self.manifest.get("files", []),
            "previous_snapshots": self.previous,
        }


def plan_snapshot(
    location: Location,
    incident_id: str,
    bucket: str,
    files: Mapping[str, bytes],
    now: datetime.datetime,
    keep_existing: bool = False,
) -> tuple[bool, str, dict[str, Any], list[str]]:
    """(needs writing, snapshot name, manifest, earlier snapshot names). When the newest earlier snapshot has the
    same content digest (or any snapshot exists and ``keep_existing``), it is returned with ``needs writing``
    false."""
    earlier = existing_snapshots(location, incident_id, bucket)
    digest = content_digest(files)
    if earlier:
        raw = location.read(f"{incident_id}/{bucket}/{earlier[-1]}/{MANIFEST}")
        if raw is not None:
            manifest = json.loads(raw)
            if keep_existing or manifest.get("content_digest") == digest:
                return False, earlier[-1], manifest, earlier[:-1]
    number = int(_SNAPSHOT_DIR.match(earlier[-1]).group(1)) + 1 if earlier else 1  # type: ignore[union-attr]
    name = f"snapshot-{number:03d}-{snapshot_stamp(now)}"
    manifest = build_manifest(incident_id, bucket, files, _iso(now), name)
    return True, name, manifest, earlier


def write_snapshot(
    location: Location,
    incident_id: str,
    bucket: str,
    files: Mapping[str, bytes],
    *,
    now: datetime.datetime | None = None,
    check_mode: bool = False,
    keep_existing: bool = False,
) -> SnapshotResult:
    """Write ``files`` (name -> bytes) as a new snapshot, unless the newest one already holds the same content
    (or, with ``keep_existing``, unless the incident already has a snapshot of the bucket: the pre-change one)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    bad = [name for name in files if "/" in name or name in (MANIFEST, SUMS) or not name]
    if bad:
        raise CloudsecError(f"Invalid evidence file names: {', '.join(map(repr, bad))}")
    needed, name, manifest, earlier = plan_snapshot(location, incident_id, bucket, files, now, keep_existing)
    prefix = f"{incident_id}/{bucket}/{name}"
    if needed and not check_mode:
        for file_name in sorted(files):
            location.write(f"{prefix}/{file_name}", files[file_name], exclusive=True)
        location.write(f"{prefix}/{SUMS}", sums_text(manifest), exclusive=True)
        location.write(f"{prefix}/{MANIFEST}", to_json_bytes(manifest), exclusive=True)
    return SnapshotResult(
        changed=needed,
        location=location.url,
        snapshot=name,
        path=location.url_of(prefix),
        manifest_path=location.url_of(f"{prefix}/{MANIFEST}"),
        manifest=manifest,
        previous=list(earlier),
    )


def optional_files(sections: Mapping[str, Any]) -> dict[str, bytes]:
    """JSON files for the optional inputs (findings, events, actors, authorization …) that were given."""
    return {f"{name}.json": to_json_bytes(value) for name, value in sections.items() if value is not None}

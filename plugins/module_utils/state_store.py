# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Prior-state records, so that every containment change can be undone exactly.

A record is one JSON document per incident and target, in a local directory or under ``s3://bucket/prefix``::

    <store>/<incident_id>/bucket-<bucket>.json        s3_bucket_quarantine
    <store>/<incident_id>/iam-user-<name>.json        iam_principal_quarantine
    <store>/<incident_id>/iam-role-<name>.json
    <store>/<incident_id>/persistence-<bucket>.json   persistence sweep removals

Every record has ``kind``, ``target``, ``incident_id``, ``status`` (``active`` while the containment is in place,
``restored`` after ``state: absent``), ``recorded_at``, ``prior`` (what was there before the first change) and
``history`` (earlier records of the same target that were already restored). The record is written *before* the
change it describes; a second containment run keeps the ``prior`` of the first one (it must not record the
quarantined state as "prior").
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import Location
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import open_location
from ansible_collections.cloudsec.s3.plugins.module_utils.evidence import to_json_bytes

ACTIVE = "active"
RESTORED = "restored"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+=,.@_-]*$")


def utc_now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_name(kind: str, target: str) -> str:
    """File name (without ``.json``) of a record: ``bucket-NAME``, ``iam-user-NAME`` …"""
    if not _NAME.match(target):
        raise CloudsecError(f"Cannot record state for {target!r}: unexpected characters in the name")
    return f"{kind}-{target}"


class StateStore:
    """Read and write prior-state records in a :class:`~evidence.Location`."""

    def __init__(self, location: str | Location, s3: Any = None) -> None:
        self.location = location if isinstance(location, Location) else open_location(location, s3)

    @property
    def url(self) -> str:
        return self.location.url

    def check_writable(self, create: bool = True) -> None:
        """Raise CloudsecError naming the store when it cannot be written (before anything is changed)."""
        self.location.check_writable(create)

    def key(self, incident_id: str, name: str) -> str:
        return f"{incident_id}/{name}.json"

    def url_of(self, incident_id: str, name: str) -> str:
        return self.location.url_of(self.key(incident_id, name))

    def read(self, incident_id: str, name: str) -> dict[str, Any] | None:
        raw = self.location.read(self.key(incident_id, name))
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise CloudsecError(f"State record {self.url_of(incident_id, name)} is not valid JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise CloudsecError(f"State record {self.url_of(incident_id, name)} is not a JSON object")
        return record

    def write(self, incident_id: str, name: str, record: dict[str, Any]) -> str:
        self.location.write(self.key(incident_id, name), to_json_bytes(record), exclusive=False)
        return self.url_of(incident_id, name)

    def names(self, incident_id: str, kind_prefix: str = "") -> list[str]:
        """Record names of an incident (optionally only those starting with ``kind_prefix``)."""
        return [
            name[: -len(".json")]
            for name in self.location.list_files(incident_id)
            if name.endswith(".json") and name.startswith(kind_prefix)
        ]


def new_record(
    kind: str, target: str, incident_id: str, prior: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A fresh ``active`` record; a restored earlier record of the same target goes into ``history``."""
    history: list[dict[str, Any]] = []
    if previous is not None:
        history = list(previous.get("history") or [])
        history.append({k: v for k, v in previous.items() if k != "history"})
    return {
        "kind": kind,
        "target": target,
        "incident_id": incident_id,
        "status": ACTIVE,
        "recorded_at": utc_now_text(),
        "prior": prior,
        "applied": {},
        "history": history,
    }

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""GuardDuty API access: detectors, finding ids by FindingCriteria, findings in chunks of 50, archive, feedback.

Clients are amazon.aws RetryingBotoClientWrapper instances (see ``aws.client``); every call is retried on throttling.
The normalisation of findings is in ``findings.py`` (pure Python).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import error_code
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import paginate

#: GetFindings, ArchiveFindings, UnarchiveFindings and UpdateFindingsFeedback take at most 50 ids per call.
MAX_IDS_PER_CALL = 50

#: Sort so the most severe findings come first when a cap is applied.
SORT_BY_SEVERITY = {"AttributeName": "severity", "OrderBy": "DESC"}


def chunks(values: list[str], size: int = MAX_IDS_PER_CALL) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def list_detectors(gd: Any) -> list[str]:
    """Detector ids of the account in the client's region (at most one exists per region)."""
    return list(paginate(gd, "list_detectors").get("DetectorIds") or [])


def resolve_detectors(gd: Any, detector_id: str | None, region: str | None) -> list[str]:
    """The detector to use: the one given (checked to exist) or the region's own. [] when GuardDuty is off."""
    if detector_id:
        try:
            gd.get_detector(aws_retry=True, DetectorId=detector_id)
        except botocore_errors() as exc:
            if error_code(exc) in ("BadRequestException", "ResourceNotFoundException", "404"):
                raise CloudsecError(
                    f"GuardDuty detector {detector_id} does not exist in region {region or 'of the client'}",
                    detector_id=detector_id,
                    exception=exc,
                ) from exc
            raise
        return [detector_id]
    return list_detectors(gd)


def list_finding_ids(
    gd: Any, detector_id: str, criteria: list[dict[str, Any]], *, limit: int | None = None
) -> list[str]:
    """Union of the finding ids matching any of the criteria sets, most severe first, de-duplicated."""
    ids: dict[str, None] = {}
    for criterion in criteria:
        params: dict[str, Any] = {
            "DetectorId": detector_id,
            "FindingCriteria": criterion,
            "SortCriteria": SORT_BY_SEVERITY,
        }
        if limit:
            # Ask for a few pages only: the results are sorted, so the first ones are the ones kept.
            params["PaginationConfig"] = {"MaxItems": limit, "PageSize": 50}
        else:
            params["PaginationConfig"] = {"PageSize": 50}
        for finding_id in paginate(gd, "list_findings", **params).get("FindingIds") or []:
            ids[finding_id] = None
    return list(ids)


def get_findings(gd: Any, detector_id: str, finding_ids: list[str]) -> list[dict[str, Any]]:
    """Findings as boto3 returns them (PascalCase), fetched 50 ids per GetFindings call, in the order asked."""
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(finding_ids):
        for finding in gd.get_findings(aws_retry=True, DetectorId=detector_id, FindingIds=batch).get("Findings") or []:
            found[finding["Id"]] = finding
    return [found[i] for i in finding_ids if i in found]


def set_archived(gd: Any, detector_id: str, finding_ids: list[str], archived: bool) -> None:
    operation = gd.archive_findings if archived else gd.unarchive_findings
    for batch in chunks(finding_ids):
        operation(aws_retry=True, DetectorId=detector_id, FindingIds=batch)


def send_feedback(gd: Any, detector_id: str, finding_ids: list[str], feedback: str, comments: str | None) -> None:
    for batch in chunks(finding_ids):
        params: dict[str, Any] = {"DetectorId": detector_id, "FindingIds": batch, "Feedback": feedback}
        if comments:
            params["Comments"] = comments
        gd.update_findings_feedback(aws_retry=True, **params)

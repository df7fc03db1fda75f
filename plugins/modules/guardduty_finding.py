#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guardduty_finding
short_description: Archive or unarchive GuardDuty findings and send feedback on them
version_added: 0.1.0
description:
  - Closes the loop once an incident is handled - archives the findings it was about (or brings them back) and tells
    GuardDuty whether they were useful.
  - Reads the findings first and changes only those not already in the wanted state, so a second run changes
    nothing. In check mode nothing is changed and the result says what would be.
  - Archiving is reversible (O(state=active) unarchives). Only a GuardDuty administrator account or a standalone
    account can archive findings; a member account gets C(AccessDenied) from GuardDuty.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  finding_ids:
    description:
      - The findings to act on. All must exist in the detector, otherwise the module fails naming the missing ones
        and changes nothing.
    type: list
    elements: str
    required: true
  detector_id:
    description:
      - The detector holding the findings. By default the region's detector.
    type: str
  state:
    description:
      - V(archived) archives the findings, V(active) unarchives them. Omit to leave the archive state alone.
    type: str
    choices: [archived, active]
  feedback:
    description:
      - Feedback to record on the findings. Omit to send none.
    type: str
    choices: [useful, not_useful]
  comments:
    description:
      - Comments sent with O(feedback).
    type: str
notes:
  - IAM actions C(guardduty:ListDetectors), C(guardduty:GetFindings), C(guardduty:ArchiveFindings),
    C(guardduty:UnarchiveFindings), C(guardduty:UpdateFindingsFeedback).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Archive the incident's findings and mark them useful
  cloudsec.s3.guardduty_finding:
    finding_ids: "{{ triage_result.findings | map(attribute='id') | list }}"
    state: archived
    feedback: useful
    comments: "Incident {{ incident_id }}: public bucket policy removed, keys deactivated"

- name: Bring a finding back after a premature archive
  cloudsec.s3.guardduty_finding:
    finding_ids: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
    state: active
"""

RETURN = r"""
findings:
  description: Each finding's archive state and feedback before and after.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e
      archived_before: false
      archived_after: true
      feedback_before: null
      feedback_after: USEFUL
archived:
  description: Ids archived by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
unarchived:
  description: Ids unarchived by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
feedback_sent:
  description: Ids whose feedback was changed by this run (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [4cc8b6f1a7e24a0d9a0f0c5d1c2b3a4e]
detector_id:
  description: The detector holding the findings.
  returned: always
  type: str
  sample: 12abc34d567e8fa901bc2d34e56789f0
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import CloudsecError
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import botocore_errors
from ansible_collections.cloudsec.s3.plugins.module_utils.aws import client
from ansible_collections.cloudsec.s3.plugins.module_utils.findings import validate_finding_id
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import get_findings
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import resolve_detectors
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import send_feedback
from ansible_collections.cloudsec.s3.plugins.module_utils.guardduty import set_archived

FEEDBACK = {"useful": "USEFUL", "not_useful": "NOT_USEFUL"}


def main() -> None:
    argument_spec = dict(
        finding_ids=dict(type="list", elements="str", required=True),
        detector_id=dict(type="str"),
        state=dict(type="str", choices=["archived", "active"]),
        feedback=dict(type="str", choices=["useful", "not_useful"]),
        comments=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    try:
        ids = list(dict.fromkeys(validate_finding_id(i) for i in p["finding_ids"]))
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if not ids:
        module.fail_json(msg="finding_ids is empty: name at least one finding")
    if p["state"] is None and p["feedback"] is None:
        module.fail_json(msg="Nothing to do: set state (archived/active) and/or feedback (useful/not_useful)")
    if p["comments"] and not p["feedback"]:
        module.fail_json(msg="comments are sent with feedback: set feedback too")

    gd = client(module, "guardduty")
    try:
        detectors = resolve_detectors(gd, p["detector_id"], module.region)
        if not detectors:
            module.fail_json(
                msg=f"GuardDuty is not enabled in region {module.region}: no detector holds these findings"
            )
        detector_id = detectors[0]
        current = {f["Id"]: f for f in get_findings(gd, detector_id, ids)}
    except CloudsecError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    except botocore_errors() as exc:
        module.fail_json_aws(exc, msg=f"Failed to read findings {', '.join(ids)}")

    missing = [i for i in ids if i not in current]
    if missing:
        module.fail_json(
            msg=f"Finding(s) not found in detector {detector_id}: {', '.join(missing)}",
            missing=missing,
            detector_id=detector_id,
        )

    rows = []
    to_archive, to_unarchive, to_feedback = [], [], []
    wanted_feedback = FEEDBACK.get(p["feedback"]) if p["feedback"] else None
    for finding_id in ids:
        service = current[finding_id].get("Service") or {}
        archived = bool(service.get("Archived"))
        feedback = service.get("UserFeedback")
        archived_after = archived
        if p["state"] == "archived" and not archived:
            to_archive.append(finding_id)
            archived_after = True
        elif p["state"] == "active" and archived:
            to_unarchive.append(finding_id)
            archived_after = False
        feedback_after = feedback
        if wanted_feedback and feedback != wanted_feedback:
            to_feedback.append(finding_id)
            feedback_after = wanted_feedback
        rows.append(
            {
                "id": finding_id,
                "archived_before": archived,
                "archived_after": archived_after,
                "feedback_before": feedback,
                "feedback_after": feedback_after,
            }
        )

    changed = bool(to_archive or to_unarchive or to_feedback)
    if changed and not module.check_mode:
        try:
            if to_archive:
                set_archived(gd, detector_id, to_archive, True)
            if to_unarchive:
                set_archived(gd, detector_id, to_unarchive, False)
            if to_feedback:
                send_feedback(gd, detector_id, to_feedback, wanted_feedback, p["comments"])
        except botocore_errors() as exc:
            module.fail_json_aws(exc, msg=f"Failed to update findings in detector {detector_id}")

    result = {
        "changed": changed,
        "findings": rows,
        "archived": to_archive,
        "unarchived": to_unarchive,
        "feedback_sent": to_feedback,
        "detector_id": detector_id,
    }
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {
            "before": {r["id"]: {"archived": r["archived_before"], "feedback": r["feedback_before"]} for r in rows},
            "after": {r["id"]: {"archived": r["archived_after"], "feedback": r["feedback_after"]} for r in rows},
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()

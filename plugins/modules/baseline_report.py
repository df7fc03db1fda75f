#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: baseline_report
short_description: Write the compliance report of a baseline run in one account (JSON, Markdown, HTML)
version_added: 0.1.0
description:
  - Writes the C(baseline_result) of the M(cloudsec.s3.baseline) role (the M(cloudsec.s3.s3_bucket_baseline) result
    with the account-level outcome) to a directory on the controller, as C(baseline-report.json),
    C(baseline-report.md) and C(baseline-report.html).
  - C(baseline-report.json) is O(result) as it is, keys in their order, indented by 4.
  - C(baseline-report.md) and C(baseline-report.html) are for people - the account, the count of fully compliant
    buckets and the failed ones, the account-level Block Public Access outcome with the buckets that lose public
    access, a table buckets x controls (each column header carries the control's FSBP and CIS ids; only the controls
    the run counted, in catalogue order) and the detail of every control that is not compliant. The HTML page has no
    external assets and escapes every value.
  - B(Check mode) - the reports are computed and compared with the files already there, but nothing is written.
    The role writes the report of a check-mode (audit) run too, by running this task with C(check_mode=false).
  - Idempotent - a file that already holds the same text, with mode C(0640), is not written again; the task is
    changed only when a file was (or in check mode would be) written.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  result:
    description:
      - The C(baseline_result) to report, as the M(cloudsec.s3.baseline) role publishes it. The report needs
        C(account), C(summary), C(buckets) and C(catalogue); it also reads C(mode).
    type: dict
    required: true
  location:
    description: Directory on the controller that receives the report files (created with mode C(0750) if needed).
    type: path
    required: true
extends_documentation_fragment:
  - cloudsec.s3.report_formats
notes:
  - Needs no AWS access; it reads only its arguments.
  - The files are written with mode C(0640), each through a temporary file renamed into place.
"""

EXAMPLES = r"""
# What the cloudsec.s3.baseline role does after publishing baseline_result
- name: Write the compliance reports
  cloudsec.s3.baseline_report:
    result: "{{ baseline_result }}"
    location: "{{ baseline_result.report.json | dirname }}"
  check_mode: false  # the report of an audit run is the drift report
  changed_when: false  # rewriting a report is not a change to the account

- name: Only the Markdown table of a saved result
  cloudsec.s3.baseline_report:
    result: "{{ lookup('ansible.builtin.file', '/var/tmp/s3-baseline/baseline-report.json') | from_json }}"
    location: /var/tmp/s3-baseline/review
    formats: [markdown]
"""

RETURN = r"""
paths:
  description: Full path of each requested file, by format (written unless in check mode).
  returned: always
  type: dict
  sample:
    json: /var/tmp/s3-baseline/baseline-report.json
    markdown: /var/tmp/s3-baseline/baseline-report.md
    html: /var/tmp/s3-baseline/baseline-report.html
written:
  description: The formats whose file was written (in check mode, would be written) because it was missing or differed.
  returned: always
  type: list
  elements: str
  sample: [json, markdown, html]
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import FILES
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import BaselineReportError
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import check_result
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import render_html
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import render_json
from ansible_collections.cloudsec.s3.plugins.module_utils.baseline_report import render_markdown
from ansible_collections.cloudsec.s3.plugins.module_utils.report import formats_argument_spec
from ansible_collections.cloudsec.s3.plugins.module_utils.report import requested_formats
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import FILE_MODE
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import check_report_dir
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import write_atomic

RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def _up_to_date(path: str, data: bytes) -> bool:
    """Whether the file is there with this content and mode."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            result=dict(type="dict", required=True),
            location=dict(type="path", required=True),
            formats=formats_argument_spec(),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        formats = requested_formats(p["formats"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        check_result(p["result"])
    except BaselineReportError as exc:
        module.fail_json(msg=str(exc))
    location = p["location"]
    problem = check_report_dir(location)
    if problem:
        module.fail_json(msg=problem)
    paths = {fmt: os.path.join(location, FILES[fmt]) for fmt in formats}
    texts = {fmt: RENDERERS[fmt](p["result"]).encode("utf-8") for fmt in formats}
    written = [fmt for fmt in formats if not _up_to_date(paths[fmt], texts[fmt])]
    if written and not module.check_mode:
        try:
            for fmt in written:
                write_atomic(paths[fmt], texts[fmt])
        except OSError as exc:
            module.fail_json(msg=f"Cannot write the baseline report to {location}: {exc}")
    # AnsibleModule would echo every argument back as invocation.module_args: at 500 buckets that is megabytes the
    # controller has to read and process again, about a third of this task's time. Echo all but the result.
    echoed = {k: v for k, v in p.items() if k != "result"}
    count = len(p["result"]["buckets"])
    echoed["result"] = f"(a baseline_result of {count} bucket{'' if count == 1 else 's'}, not echoed)"
    module.exit_json(changed=bool(written), paths=paths, written=written, invocation={"module_args": echoed})


if __name__ == "__main__":
    main()

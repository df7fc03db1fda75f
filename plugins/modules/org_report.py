#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: org_report
short_description: Write the organization report of a baseline or triage run over many AWS accounts
version_added: 0.1.0
description:
  - Builds one report over every account a run reached and writes it as JSON, Markdown and a self-contained HTML page
    to a directory on the controller.
  - V(baseline) - from the C(baseline_result) of each account (the M(cloudsec.s3.s3_bucket_baseline) shape) - an
    accounts table (buckets, fully compliant buckets, counts of V(compliant), V(changed), V(would_change),
    V(excepted), V(non_compliant) and V(failed) controls), an accounts x controls matrix, the counts per account and
    control, the status of every control on every bucket, the details of everything not compliant and the accounts
    that failed with their error. Files C(org-baseline-report.json), C(.md) and C(.html).
  - V(triage) - from GuardDuty S3 findings of many accounts and regions (each finding carries its C(account_id) and
    C(region)) - the affected buckets of the organization ranked by highest severity, then number of findings, then
    latest activity, each with the regions of its findings, with the counts per account, the accounts that failed and
    the regions whose findings could not be read (O(failed_regions)). Files C(org-triage-report.json), C(.md) and
    C(.html).
  - An account whose entry has C(status=failed), or a baseline account without a result, is listed as failed with its
    C(error); the others are reported as usual.
  - B(Check mode) - the report is computed and returned but no file is written. Playbooks that want the report of a
    check-mode (audit) run run this task with C(check_mode=false) and pass O(check_mode_run).
  - Idempotent - when the JSON file already holds the same conclusions (the same content digest, which ignores the
    time of writing), nothing is written and the task is not changed.
author:
  - cloudsec.s3 contributors (@cloudsec-s3)
options:
  kind:
    description: Which report to build.
    type: str
    required: true
    choices: [baseline, triage]
  location:
    description: Directory on the controller that receives the report files (created if needed).
    type: path
    required: true
  accounts:
    description:
      - One entry per account the run targeted, with keys C(account_id), C(account_name), C(host) (the inventory
        host), C(ou_path), C(status) (V(ok) or V(failed)), C(error) (why it failed) and, for O(kind=baseline), the
        account's C(baseline_result) under C(baseline).
      - Required for O(kind=baseline). For O(kind=triage) it lists the accounts asked (per-account mode); accounts
        named only by findings are added.
    type: list
    elements: dict
    default: []
  findings:
    description:
      - For O(kind=triage), the GuardDuty findings (as M(cloudsec.s3.guardduty_findings_info) returns them, or in
        boto3, wire or EventBridge shape). Findings not about a bucket count for their account but rank no bucket.
    type: list
    elements: dict
    default: []
  include_archived:
    description: For O(kind=triage), also count archived findings.
    type: bool
    default: false
  regions:
    description:
      - For O(kind=triage), the regions whose findings were read, as the report states them.
      - By default the regions of the findings and of O(failed_regions).
    type: list
    elements: str
    default: []
  failed_regions:
    description:
      - For O(kind=triage), one entry per account and region whose findings could not be read (GuardDuty not enabled
        there, access denied, an unknown region), with keys C(region) (required), C(error), and C(account_id),
        C(account_name) and C(host) naming who read (C(account_id) or C(host) is required).
      - They are listed in the report and in RV(failed_regions); the account's findings from its other regions count
        as usual, so the account itself is not failed.
    type: list
    elements: dict
    default: []
  triage_mode:
    description: For O(kind=triage), how the findings were read, as the report states it.
    type: str
    choices: [delegated_admin, per_account]
    default: delegated_admin
  check_mode_run:
    description: For O(kind=baseline), whether the results come from a check-mode (audit) run.
    type: bool
    default: false
  generated_at:
    description: The report time (ISO-8601); default now. For reproducible reports.
    type: str
extends_documentation_fragment:
  - cloudsec.s3.report_formats
notes:
  - Needs no AWS access; it reads only its arguments.
  - With AWX job slicing every slice is its own job and writes the report of its own accounts.
"""

EXAMPLES = r"""
# playbooks/baseline.yml builds the accounts list from every host of the play; by hand it looks like this
- name: Write the organization baseline report of two accounts
  cloudsec.s3.org_report:
    kind: baseline
    location: /var/lib/cloudsec/org
    check_mode_run: "{{ ansible_check_mode }}"
    accounts:
      - host: payments-prod
        account_id: "111122223333"
        account_name: payments-prod
        ou_path: Root/Workloads/Prod
        baseline: "{{ hostvars['payments-prod'].baseline_result }}"
      - host: data-dev
        account_id: "444455556666"
        account_name: data-dev
        status: failed
        error: "{{ hostvars['data-dev'].cloudsec_account.error }}"
  check_mode: false  # the report of an audit run is written too
  run_once: true
  delegate_to: localhost
  register: org

- name: Rank the buckets with S3 findings across the organization
  cloudsec.s3.org_report:
    kind: triage
    location: /var/lib/cloudsec/org
    findings: "{{ findings.findings }}"
    formats: [json, html]

- name: Rank the findings of two regions, one of which could not be read
  cloudsec.s3.org_report:
    kind: triage
    location: /var/lib/cloudsec/org
    findings: "{{ findings.results | map(attribute='findings', default=[]) | flatten(levels=1) }}"
    regions: [us-east-1, eu-west-1]
    failed_regions:
      - host: localhost
        region: eu-west-1
        error: "GuardDuty is not enabled in region eu-west-1: no detector found, so no findings to read"
"""

RETURN = r"""
paths:
  description: Full path of each file, by format (the files are written unless in check mode).
  returned: always
  type: dict
  sample:
    json: /var/lib/cloudsec/org/org-baseline-report.json
    markdown: /var/lib/cloudsec/org/org-baseline-report.md
    html: /var/lib/cloudsec/org/org-baseline-report.html
summary:
  description:
    - Counts over the organization. Baseline - C(accounts), C(accounts_ok), C(accounts_failed), C(buckets),
      C(compliant_buckets), C(statuses) and C(controls) (status counts per control). Triage - C(accounts),
      C(accounts_with_findings), C(accounts_failed), C(regions_failed), C(findings), C(affected_buckets),
      C(max_severity).
  returned: always
  type: dict
  sample: {accounts: 3, accounts_ok: 2, accounts_failed: 1, buckets: 4, compliant_buckets: 0}
accounts:
  description:
    - Per account - C(account_id), C(account_name), C(host), C(ou_path), C(status), C(error); for a baseline also
      C(buckets), C(compliant_buckets), C(failed_buckets), C(statuses), C(controls) (status counts per control) and
      C(public_access_block_status); for a triage C(findings), C(high_findings), C(affected_buckets),
      C(max_severity), C(max_severity_label) and C(failed_regions) (the names of its regions that could not be
      read).
  returned: always
  type: list
  elements: dict
  sample: [{account_id: "111122223333", account_name: prod, status: ok, buckets: 2, compliant_buckets: 0}]
failed_accounts:
  description: The accounts that failed, with C(account_id), C(account_name), C(host) and C(error).
  returned: always
  type: list
  elements: dict
  sample: [{account_id: "444455556666", account_name: dev, host: dev, error: "sts:AssumeRole denied"}]
failed_regions:
  description:
    - For a triage, the regions whose findings could not be read, with C(account_id), C(account_name), C(host),
      C(region) and C(error); empty for a baseline.
  returned: always
  type: list
  elements: dict
  sample: [{account_id: "", account_name: localhost, host: localhost, region: eu-west-1, error: "no detector"}]
buckets:
  description:
    - Baseline - every bucket with C(account_id), C(account_name), C(name), C(compliant), C(error) and C(controls)
      (control name to status).
    - Triage - the affected buckets ranked, with C(rank), C(account_id), C(account_name), C(name), C(max_severity),
      C(max_severity_label), C(finding_count), C(first_seen), C(last_seen), C(finding_types), C(finding_ids),
      C(regions) (the regions of its findings) and C(finding_regions) (finding id to region).
  returned: always
  type: list
  elements: dict
  sample: [{rank: 1, account_id: "111122223333", name: acme-exports, max_severity: 8.0, finding_count: 2}]
summary_lines:
  description: A few lines for the end of the play; the last ones name the failed accounts and regions, if any.
  returned: always
  type: list
  elements: str
  sample: ["Organization baseline (audit): 2 of 3 accounts ran, 0 of 4 buckets compliant, 9 controls would change"]
content_digest:
  description: SHA-256 over the report without its time of writing; equal digests mean equal conclusions.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import OrgReportError
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import build_baseline_report
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import build_triage_report
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import content_digest
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import render_html
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import render_json
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import render_markdown
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import summary_lines
from ansible_collections.cloudsec.s3.plugins.module_utils.report import formats_argument_spec
from ansible_collections.cloudsec.s3.plugins.module_utils.report import requested_formats
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import check_report_dir
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import write_atomic

SUFFIXES = {"json": ".json", "markdown": ".md", "html": ".html"}
RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def _existing_digest(paths: dict) -> str | None:
    """The digest of the report already written, when every requested file is there."""
    if not all(os.path.isfile(p) for p in paths.values()) or "json" not in paths:
        return None
    try:
        with open(paths["json"], encoding="utf-8") as handle:
            previous = json.load(handle)
    except (OSError, ValueError):
        return None
    return content_digest(previous) if isinstance(previous, dict) else None


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            kind=dict(type="str", required=True, choices=["baseline", "triage"]),
            location=dict(type="path", required=True),
            accounts=dict(type="list", elements="dict", default=[]),
            findings=dict(type="list", elements="dict", default=[]),
            include_archived=dict(type="bool", default=False),
            regions=dict(type="list", elements="str", default=[]),
            failed_regions=dict(type="list", elements="dict", default=[]),
            triage_mode=dict(type="str", choices=["delegated_admin", "per_account"], default="delegated_admin"),
            check_mode_run=dict(type="bool", default=False),
            formats=formats_argument_spec(),
            generated_at=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        formats = requested_formats(p["formats"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        if p["kind"] == "baseline":
            if not p["accounts"]:
                raise OrgReportError("accounts is empty: a baseline report needs one entry per account")
            report = build_baseline_report(
                p["accounts"], check_mode=p["check_mode_run"], generated_at=p["generated_at"]
            )
        else:
            report = build_triage_report(
                p["findings"],
                p["accounts"],
                mode=p["triage_mode"],
                generated_at=p["generated_at"],
                include_archived=p["include_archived"],
                regions=p["regions"],
                failed_regions=p["failed_regions"],
            )
    except OrgReportError as exc:
        module.fail_json(msg=str(exc))

    location = p["location"]
    problem = check_report_dir(location)
    if problem:
        module.fail_json(msg=problem)
    stem = os.path.join(location, f"org-{p['kind']}-report")
    paths = {fmt: stem + SUFFIXES[fmt] for fmt in formats}
    changed = _existing_digest(paths) != report["content_digest"]
    if changed and not module.check_mode:
        try:
            # JSON last: its digest is what the next run compares, so it lands only once the others are written
            for fmt in sorted(formats, key=lambda f: f == "json"):
                write_atomic(paths[fmt], RENDERERS[fmt](report))
        except OSError as exc:
            module.fail_json(msg=f"Cannot write the organization report to {location}: {exc}")
    module.exit_json(
        changed=changed,
        paths=paths,
        summary=report["summary"],
        accounts=report["accounts"],
        failed_accounts=report["failed_accounts"],
        failed_regions=report.get("failed_regions", []),
        buckets=report["buckets"],
        summary_lines=summary_lines(report),
        content_digest=report["content_digest"],
    )


if __name__ == "__main__":
    main()

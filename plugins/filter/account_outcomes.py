# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: account_outcomes
short_description: One organization-report entry per account host, from what its play left in hostvars
version_added: 0.2.0
author: cloudsec.s3 contributors (@cloudsec-s3)
description:
  - Used by the organization playbooks (C(baseline.yml) over an inventory, C(triage_org.yml)) to hand
    P(cloudsec.s3.org_report#module) its O(cloudsec.s3.org_report#module:accounts).
  - For every host, takes C(account_id), C(account_name) and C(ou_path) from the inventory
    (P(cloudsec.s3.aws_accounts#inventory)) or from C(cloudsec_account), the fact the C(cloudsec.s3.account) role sets.
  - A host failed when the account role recorded C(status=failed), when O(failure_var) is set on it (a rescue
    records the error there), or when O(result_var) is named and missing (the run stopped before publishing it).
    The error shown is the account role's, else the rescue's, else O(missing).
options:
  _input:
    description: The hosts, for example C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
  result_var:
    description: The host variable holding the run's result (its absence means the run did not complete).
    type: str
  failure_var:
    description: The host variable a rescue sets to the error text.
    type: str
  result_key:
    description: Copy O(result_var) into each entry under this key (empty for a failed host).
    type: str
  judge:
    description: Decide failures. V(false) lists every host as C(ok), for accounts that were only listed.
    type: bool
    default: true
  missing:
    description: The error of a failed host that recorded none.
    type: str
    default: the run did not complete in this account (see the task errors above)
  region_failures_var:
    description:
      - The host variable mapping each region whose read failed to its error (C(triage_org.yml) with
        C(org_triage_regions) records it). Adds C(failed_regions) to every entry.
      - A failed region does not fail the host; judge the host with the other options.
    type: str
"""

EXAMPLES = r"""
- name: Write the organization report of a baseline run
  cloudsec.s3.org_report:
    kind: baseline
    location: /var/tmp/org-baseline
    accounts: >-
      {{ ansible_play_hosts_all | cloudsec.s3.account_outcomes(hostvars, result_var='baseline_result',
         failure_var='baseline__failure', result_key='baseline') }}
  run_once: true

- name: Every region, of every host, whose GuardDuty findings could not be read
  ansible.builtin.set_fact:
    failed_regions: >-
      {{ ansible_play_hosts_all | cloudsec.s3.account_outcomes(hostvars, judge=false,
         region_failures_var='org_triage__region_failures') | map(attribute='failed_regions') | flatten(levels=1) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: One entry per host, in the order given.
  type: list
  elements: dict
  contains:
    host:
      description: The inventory host.
      type: str
    account_id:
      description: The account id (empty when the host has none, for example localhost).
      type: str
    account_name:
      description: The account name, else the host name.
      type: str
    ou_path:
      description: The organizational unit path (empty when unknown).
      type: str
    status:
      description: C(ok) or C(failed).
      type: str
    error:
      description: Why the account failed (empty when it did not).
      type: str
    failed_regions:
      description:
        - With O(region_failures_var), one entry per region the host could not read, with C(account_id),
          C(account_name), C(host) (as above), C(region) and C(error).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.module_utils.org_report import account_outcomes


def _account_outcomes(
    hosts,
    hostvars,
    result_var=None,
    failure_var=None,
    result_key=None,
    judge=True,
    missing=None,
    region_failures_var=None,
):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"account_outcomes expects a list of hosts, got {type(hosts).__name__}")
    options = {
        "result_var": result_var,
        "failure_var": failure_var,
        "result_key": result_key,
        "judge": bool(judge),
        "region_failures_var": region_failures_var,
    }
    if missing:
        options["missing"] = missing
    try:
        return account_outcomes(hosts, hostvars, **options)
    except KeyError as exc:
        raise AnsibleFilterError(f"account_outcomes: host {exc} is not in hostvars") from exc


class FilterModule:
    """cloudsec.s3 organization filters."""

    def filters(self):
        return {"account_outcomes": _account_outcomes}

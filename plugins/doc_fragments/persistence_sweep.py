# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    """The sweep options of s3_bucket_persistence_info and s3_bucket_persistence (module_utils.persistence's
    sweep_argument_spec)."""

    DOCUMENTATION = r"""
options:
  bucket:
    description: The bucket to sweep (or, with M(cloudsec.s3.s3_bucket_persistence), to restore).
    type: str
    required: true
  trusted_accounts:
    description: Account ids besides the bucket's own that are not foreign (for example the backup account).
    type: list
    elements: str
    default: []
  window_start:
    description: Start of the incident window (ISO-8601). Default - 7 days before O(window_end).
    type: str
  window_end:
    description: End of the incident window (ISO-8601). Default - now.
    type: str
  suspected_principals:
    description:
      - ARNs (or dicts with an C(arn) key, as C(investigate_result.suspected_principals) holds them) whose IAM
        changes in the window are reported (and, with M(cloudsec.s3.s3_bucket_persistence), may be removed).
    type: list
    elements: raw
    default: []
  timeline:
    description:
      - Events to look through for IAM persistence (CloudTrail records or normalised events with C(event_name),
        C(event_time), C(principal_arn)), for example C(investigate_result.timeline).
    type: list
    elements: dict
  lookup_events:
    description: Without O(timeline), read IAM management events of the window from CloudTrail C(LookupEvents).
    type: bool
    default: false
  short_expiry_days:
    description: Lifecycle rules that expire current or noncurrent objects within this many days are reported.
    type: int
    default: 7
  prior_trust_policies:
    description:
      - Trust policies of roles from before the incident (role name to policy document), for example from an earlier
        evidence snapshot. A role trust change is marked C(removable) only when its earlier document is known, from
        here or from an earlier C(CreateRole) / C(UpdateAssumeRolePolicy) event of O(timeline) by someone else.
    type: dict
    default: {}
"""

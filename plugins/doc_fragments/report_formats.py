# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    """The O(formats) option of the report modules (incident_report, org_report, baseline_report), parsed by
    module_utils.report's formats_argument_spec and requested_formats."""

    DOCUMENTATION = r"""
options:
  formats:
    description: Which files to write. Repeats are ignored; an empty list is an error.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
"""

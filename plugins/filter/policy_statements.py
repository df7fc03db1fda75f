# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that build the standard S3 bucket-policy statements of the hardening baseline.

Each filter is documented in its own sidecar file (``plugins/filter/<name>.yml``), community.general style.
The statements come from ``module_utils/statements.py``; feed them to ``cloudsec.s3.s3_bucket_policy``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudsec.s3.plugins.module_utils import statements as builders


def _wrap(name, builder):
    def run(bucket, *args, **kwargs):
        try:
            return builder(str(bucket) if bucket is not None else bucket, *args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from None

    run.__name__ = name
    return run


FILTERS = {
    "tls_only_statement": builders.tls_only,
    "min_tls_statement": builders.min_tls_version,
    "sigv4_only_statement": builders.sigv4_only,
    "signature_age_statement": builders.signature_age,
    "vpce_only_statement": builders.vpce_only,
    "org_only_statement": builders.org_only,
    "access_point_delegation_statement": builders.access_point_delegation,
}


class FilterModule:
    def filters(self):
        return {name: _wrap(name, builder) for name, builder in FILTERS.items()}

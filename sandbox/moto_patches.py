# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Speed fixes for moto in the sandbox process (behaviour unchanged).

moto finds the account of every request by looking for its access key in the IAM backend of every account and
every partition (aws, aws-cn, aws-us-gov, aws-iso ...). Looking at a partition builds its IAM backend, and with
the AWS-managed policies loaded that costs about half a second each: every new account (an organization's member
accounts, an assumed role in another account) cost seconds of CPU and tens of MB for partitions nobody uses.
The lookup below only looks at backends that already exist; a backend that does not exist holds no keys, so the
answer is the same.
"""

from __future__ import annotations


def _account_id_from(access_key: str) -> str:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    for account_id, account in list(iam_backends.items()):
        for partition in list(account.keys()):  # dict keys: only the partitions already built
            if access_key in account[partition].access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID


def apply() -> None:
    """Install the fixes (idempotent)."""
    import moto.iam.models

    moto.iam.models.get_account_id_from = _account_id_from

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Writing report files on the controller, shared by the organization and baseline report modules.

No Ansible and no AWS imports. (The incident report goes to an evidence location instead: module_utils.evidence.)
"""

from __future__ import annotations

import os

#: Mode of every report file; the directory is created 0750.
FILE_MODE = 0o640
DIR_MODE = 0o750

__all__ = ["DIR_MODE", "FILE_MODE", "check_report_dir", "write_atomic"]


def check_report_dir(location: str) -> str | None:
    """Why ``location`` cannot receive report files (it exists and is not a directory), or None."""
    if os.path.exists(location) and not os.path.isdir(location):
        return f"location {location} exists and is not a directory"
    return None


def write_atomic(path: str, data: bytes | str) -> None:
    """Write through a temporary file renamed into place (mode ``FILE_MODE``), so a reader never sees half a report;
    the directory is created first when missing. Text is written as UTF-8."""
    os.makedirs(os.path.dirname(path) or ".", mode=DIR_MODE, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)

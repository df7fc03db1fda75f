# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report modules' shared file writing and formats option."""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils.report import requested_formats
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import check_report_dir
from ansible_collections.cloudsec.s3.plugins.module_utils.report_files import write_atomic


def test_write_atomic_creates_the_directory_and_writes_text_or_bytes_with_mode_0640(tmp_path):
    target = tmp_path / "reports" / "r.md"
    write_atomic(str(target), "caf\u00e9\n")
    assert target.read_bytes() == "caf\u00e9\n".encode("utf-8")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(target.parent).st_mode) & 0o777 == 0o750 & ~_umask()
    write_atomic(str(target), b"replaced")
    assert target.read_bytes() == b"replaced"
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.md"], "no temporary file is left behind"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_check_report_dir_names_a_location_that_is_a_file(tmp_path):
    assert check_report_dir(str(tmp_path)) is None
    assert check_report_dir(str(tmp_path / "missing")) is None
    (tmp_path / "file").write_text("x")
    assert check_report_dir(str(tmp_path / "file")) == f"location {tmp_path / 'file'} exists and is not a directory"


def test_requested_formats_drops_repeats_and_refuses_none():
    assert requested_formats(["html", "json", "html"]) == ["html", "json"]
    with pytest.raises(ValueError, match="formats is empty: name at least one of json, markdown, html"):
        requested_formats([])

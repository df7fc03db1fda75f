# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""baseline_report in-process (it needs no AWS): check mode writes nothing, a rerun of the same result writes
nothing, a changed result or a loosened file mode is rewritten, bad input fails naming it."""

from __future__ import annotations

import json
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.cloudsec.s3.plugins.modules import baseline_report

RESULT = {
    "mode": "audit",
    "changed": True,
    "account": {"account_id": "123456789012", "public_access_block_status": "would_change"},
    "buckets": [
        {
            "name": "acme-alpha",
            "controls": {
                "versioning": {
                    "status": "would_change",
                    "fsbp": "S3.14",
                    "cis": None,
                    "detail": "versioning is Disabled",
                }
            },
        }
    ],
    "summary": {"buckets": 1, "compliant_buckets": 0, "failed_buckets": [], "controls": {"versioning": {}}},
    "catalogue": [{"name": "versioning", "fsbp": "S3.14", "cis": None}],
    "report": {"json": "baseline-report.json"},
}


def run(capsys, args, check_mode=False):
    if check_mode:
        args = {**args, "_ansible_check_mode": True}
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        baseline_report.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_writes_nothing_then_a_rerun_of_the_same_result_is_not_changed(capsys, tmp_path):
    args = {"result": RESULT, "location": str(tmp_path / "report")}
    preview = run(capsys, args, check_mode=True)
    assert preview["changed"] is True and preview["written"] == ["json", "markdown", "html"]
    assert not (tmp_path / "report").exists()
    assert preview["paths"]["html"] == str(tmp_path / "report" / "baseline-report.html")

    written = run(capsys, args)
    assert written["changed"] is True and written["written"] == ["json", "markdown", "html"]
    assert json.loads((tmp_path / "report" / "baseline-report.json").read_text()) == RESULT
    markdown = (tmp_path / "report" / "baseline-report.md").read_text()
    assert "| acme-alpha | would_change |" in markdown
    assert (tmp_path / "report" / "baseline-report.html").read_text().startswith("<!DOCTYPE html>")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "report").iterdir()} == {0o640}
    assert stat.S_IMODE((tmp_path / "report").stat().st_mode) & 0o007 == 0

    again = run(capsys, args)
    assert again["changed"] is False and again["written"] == []


def test_a_changed_result_or_a_loosened_mode_rewrites_only_that_file(capsys, tmp_path):
    args = {"result": RESULT, "location": str(tmp_path), "formats": ["json", "markdown"]}
    run(capsys, args)
    (tmp_path / "baseline-report.md").chmod(0o644)
    result = run(capsys, args)
    assert result["written"] == ["markdown"] and stat.S_IMODE((tmp_path / "baseline-report.md").stat().st_mode) == 0o640
    assert not (tmp_path / "baseline-report.html").exists()

    enforced = {**RESULT, "mode": "enforce"}
    result = run(capsys, {**args, "result": enforced})
    assert result["written"] == ["json", "markdown"]
    assert (tmp_path / "baseline-report.md").read_text().startswith("# S3 hardening baseline (enforce)\n")


def test_the_result_is_not_echoed_back_to_the_controller(capsys, tmp_path):
    result = run(capsys, {"result": RESULT, "location": str(tmp_path)})
    echoed = result["invocation"]["module_args"]
    assert echoed["location"] == str(tmp_path) and "acme-alpha" not in json.dumps(echoed)
    assert echoed["result"] == "(a baseline_result of 1 bucket, not echoed)"


def test_bad_input_fails_naming_it(capsys, tmp_path):
    result = run(capsys, {"result": {**RESULT, "buckets": None}, "location": str(tmp_path)})
    assert result["failed"] and result["msg"] == "result.buckets: expected a list, got NoneType"
    (tmp_path / "file").write_text("x")
    result = run(capsys, {"result": RESULT, "location": str(tmp_path / "file")})
    assert result["failed"] and "exists and is not a directory" in result["msg"]
    result = run(capsys, {"result": RESULT, "location": str(tmp_path), "formats": []})
    assert result["failed"] and "formats is empty" in result["msg"]

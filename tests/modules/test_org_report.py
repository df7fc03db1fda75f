# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""org_report in-process (it needs no AWS): check mode writes nothing, a rerun with the same conclusions is not
changed, bad input fails naming it."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.cloudsec.s3.plugins.modules import org_report

ACCOUNTS = [
    {
        "account_id": "111122223333",
        "account_name": "prod",
        "baseline": {
            "account": {"account_id": "111122223333"},
            "buckets": [{"name": "prod-a", "controls": {"versioning": {"status": "would_change", "fsbp": "S3.14"}}}],
        },
    },
    {"account_id": "444455556666", "account_name": "dev", "status": "failed", "error": "role missing"},
]


def run(capsys, args, check_mode=False):
    if check_mode:
        args = {**args, "_ansible_check_mode": True}
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        org_report.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_computes_without_writing_then_rerun_is_not_changed(capsys, tmp_path):
    args = {"kind": "baseline", "location": str(tmp_path / "org"), "accounts": ACCOUNTS, "check_mode_run": True}
    preview = run(capsys, args, check_mode=True)
    assert preview["changed"] is True and not (tmp_path / "org").exists()
    assert preview["failed_accounts"] == [
        {"account_id": "444455556666", "account_name": "dev", "host": "444455556666", "error": "role missing"}
    ]
    written = run(capsys, args)
    assert written["changed"] is True and written["content_digest"] == preview["content_digest"]
    assert json.loads((tmp_path / "org" / "org-baseline-report.json").read_text())["summary"]["accounts_failed"] == 1
    assert "| prod |" in (tmp_path / "org" / "org-baseline-report.md").read_text()
    assert (tmp_path / "org" / "org-baseline-report.html").read_text().startswith("<!DOCTYPE html>")
    assert run(capsys, args)["changed"] is False


def test_bad_input_fails_naming_it(capsys, tmp_path):
    result = run(capsys, {"kind": "baseline", "location": str(tmp_path), "accounts": [{"account_name": "x"}]})
    assert result["failed"] and "accounts[0]: neither account_id nor host" in result["msg"]
    result = run(capsys, {"kind": "baseline", "location": str(tmp_path), "accounts": []})
    assert result["failed"] and "accounts is empty" in result["msg"]
    result = run(capsys, {"kind": "baseline", "location": str(tmp_path), "accounts": ACCOUNTS, "formats": []})
    assert result["failed"] and result["msg"] == "formats is empty: name at least one of json, markdown, html"
    (tmp_path / "file").write_text("x")
    result = run(capsys, {"kind": "baseline", "location": str(tmp_path / "file"), "accounts": ACCOUNTS})
    assert result["failed"] and result["msg"] == f"location {tmp_path / 'file'} exists and is not a directory"


def test_triage_returns_and_writes_the_regions_that_could_not_be_read(capsys, tmp_path):
    finding = {
        "id": "f1",
        "accountId": "111122223333",
        "type": "Policy:S3/BucketPublicAccessGranted",
        "severity": 8.0,
        "region": "eu-west-1",
        "createdAt": "2026-11-29T10:00:00.000Z",
        "updatedAt": "2026-11-29T10:00:00.000Z",
        "resource": {"resourceType": "S3Bucket", "s3BucketDetails": [{"name": "prod-a"}]},
    }
    failure = {"host": "localhost", "region": "us-west-2", "error": "GuardDuty is not enabled in region us-west-2"}
    args = {
        "kind": "triage",
        "location": str(tmp_path),
        "findings": [finding],
        "regions": ["eu-west-1", "us-west-2"],
        "failed_regions": [failure],
    }
    result = run(capsys, args)
    assert result["failed_regions"] == [{**failure, "account_id": "", "account_name": "localhost"}]
    assert result["buckets"][0]["regions"] == ["eu-west-1"] and result["summary"]["regions_failed"] == 1
    written = json.loads((tmp_path / "org-triage-report.json").read_text())
    assert written["regions"] == ["eu-west-1", "us-west-2"] and written["failed_regions"] == result["failed_regions"]
    bad = run(capsys, {**args, "failed_regions": [{"host": "localhost"}]})
    assert bad["failed"] and "failed_regions[0]: region is not set" in bad["msg"]

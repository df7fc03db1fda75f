# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organization report: accounts x controls counts, failed accounts, ranking of affected buckets, escaping."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import org_report as O

PROD = "111122223333"
DEV = "444455556666"
HOSTILE = "<script>alert(1)</script> | [x](javascript:1)"


def control(status, fsbp="S3.14", cis=None, detail=""):
    return {"status": status, "fsbp": fsbp, "cis": cis, "detail": detail}


def baseline_result(account_id, buckets):
    """A baseline_result as the baseline role publishes it, trimmed to what the report reads."""
    return {
        "mode": "audit",
        "account": {"account_id": account_id, "public_access_block_status": "would_change"},
        "buckets": [{"name": name, "controls": controls} for name, controls in buckets.items()],
        "catalogue": [
            {"name": "versioning", "fsbp": "S3.14", "cis": None},
            {"name": "public_access_block", "fsbp": "S3.8", "cis": "2.1.4"},
        ],
    }


@pytest.fixture
def accounts():
    return [
        {
            "account_id": PROD,
            "account_name": "prod",
            "host": "prod",
            "ou_path": "Root/Workloads/Prod",
            "baseline": baseline_result(
                PROD,
                {
                    "prod-a": {
                        "versioning": control("would_change", detail="versioning would be enabled"),
                        "public_access_block": control("compliant", "S3.8", "2.1.4"),
                    },
                    "prod-b": {
                        "versioning": control("compliant"),
                        "public_access_block": control("excepted", "S3.8", "2.1.4", "tag: website"),
                    },
                },
            ),
        },
        {
            "account_id": DEV,
            "account_name": "dev",
            "host": "dev",
            "status": "failed",
            "error": "sts:AssumeRole on arn:aws:iam::444455556666:role/cloudsec-s3-responder was denied",
        },
        {
            "account_id": "777788889999",
            "account_name": "audit",
            "host": "audit",
            "baseline": baseline_result(
                "777788889999",
                {
                    "audit-logs": {
                        "versioning": control("failed", detail="AccessDenied"),
                        "public_access_block": control("compliant"),
                    }
                },
            ),
        },
    ]


def test_baseline_counts_each_control_per_account_and_over_the_organization(accounts):
    report = O.build_baseline_report(accounts, check_mode=True, generated_at="2026-11-30T01:00:00Z")
    by_name = {a["account_name"]: a for a in report["accounts"]}
    assert [a["account_name"] for a in report["accounts"]] == ["audit", "dev", "prod"]
    prod = by_name["prod"]
    assert prod["buckets"] == 2 and prod["compliant_buckets"] == 1
    assert prod["controls"]["versioning"]["would_change"] == 1 and prod["controls"]["versioning"]["compliant"] == 1
    assert prod["controls"]["public_access_block"]["excepted"] == 1
    assert by_name["audit"]["failed_buckets"] == ["audit-logs"]
    assert report["summary"]["controls"]["versioning"] == {
        "compliant": 1,
        "changed": 0,
        "would_change": 1,
        "excepted": 0,
        "non_compliant": 0,
        "failed": 1,
    }
    assert report["summary"]["buckets"] == 3 and report["summary"]["compliant_buckets"] == 1
    assert [(b["account_id"], b["name"]) for b in report["buckets"]] == [
        ("777788889999", "audit-logs"),
        (PROD, "prod-a"),
        (PROD, "prod-b"),
    ]
    assert report["mode"] == "audit"
    assert [c["name"] for c in report["controls"]] == ["public_access_block", "versioning"]


def test_failed_account_is_reported_with_its_error_and_others_complete(accounts):
    report = O.build_baseline_report(accounts)
    assert report["summary"]["accounts_failed"] == 1 and report["summary"]["accounts_ok"] == 2
    (failed,) = report["failed_accounts"]
    assert failed["account_id"] == DEV and "sts:AssumeRole" in failed["error"]
    assert "FAILED accounts: dev (444455556666): sts:AssumeRole" in O.summary_lines(report)[-1]
    assert (
        "- dev (444455556666, host dev): sts:AssumeRole on "
        "arn:aws:iam::444455556666:role/cloudsec-s3-responder was denied" in O.render_markdown(report)
    )


def test_account_without_a_result_counts_as_failed():
    report = O.build_baseline_report([{"account_id": PROD, "account_name": "prod"}])
    assert report["accounts"][0]["status"] == "failed"
    assert "did not run" in report["failed_accounts"][0]["error"]


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ([], "accounts is empty"),
        ([{"account_name": "x"}], "accounts[0]: neither account_id nor host"),
        ([{"account_id": PROD, "status": "maybe"}], "status 'maybe' is not one of ok, failed"),
        (
            [{"account_id": PROD, "host": "prod", "baseline": {}}, {"account_id": PROD, "host": "prod"}],
            "accounts[1]: host prod is listed twice",
        ),
    ],
)
def test_bad_accounts_input_names_the_entry(accounts, message):
    with pytest.raises(O.OrgReportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        O.build_baseline_report(accounts)


def test_matrix_cell_names_what_needs_a_look(accounts):
    report = O.build_baseline_report(accounts, check_mode=True)
    markdown = O.render_markdown(report)
    assert "| Account | public_access_block (S3.8 / CIS 2.1.4) | versioning (S3.14) |" in markdown
    assert "| prod | 2 ok | 1 would\\_change (of 2) |" in markdown
    assert "| audit | 1 ok | 1 failed (of 1) |" in markdown


def finding(
    fid,
    account,
    bucket,
    severity,
    last_seen,
    *,
    archived=False,
    ftype="Exfiltration:S3/MaliciousIPCaller",
    region="us-east-1",
):
    """A finding in the wire shape GuardDuty's API and the sandbox use."""
    return {
        "id": fid,
        "accountId": account,
        "arn": f"arn:aws:guardduty:{region}:{account}:detector/d/finding/{fid}",
        "type": ftype,
        "severity": severity,
        "title": HOSTILE,
        "region": region,
        "partition": "aws",
        "schemaVersion": "2.0",
        "createdAt": "2026-11-29T10:00:00.000Z",
        "updatedAt": last_seen,
        "resource": {
            "resourceType": "S3Bucket",
            "s3BucketDetails": [{"name": bucket, "arn": f"arn:aws:s3:::{bucket}", "type": "Destination"}],
        },
        "service": {
            "serviceName": "guardduty",
            "archived": archived,
            "count": 3,
            "eventFirstSeen": "2026-11-29T09:00:00.000Z",
            "eventLastSeen": last_seen,
        },
    }


def test_triage_ranks_by_severity_then_finding_count_then_last_seen():
    findings = [
        finding("f1", PROD, "prod-exports", 5.0, "2026-11-29T12:00:00.000Z"),
        finding("f2", DEV, "dev-scratch", 8.0, "2026-11-29T11:00:00.000Z"),
        finding("f3", PROD, "prod-logs", 5.0, "2026-11-29T13:00:00.000Z"),
        finding("f4", PROD, "prod-exports", 2.0, "2026-11-29T10:00:00.000Z"),
        finding("f5", DEV, "dev-old", 8.0, "2026-11-29T14:00:00.000Z"),
        finding("f6", DEV, "dev-old", 9.0, "2026-11-28T00:00:00.000Z", archived=True),
    ]
    report = O.build_triage_report(findings, [{"account_id": "777788889999", "account_name": "audit"}])
    ranked = [(b["rank"], b["account_id"], b["name"]) for b in report["buckets"]]
    assert ranked == [
        (1, DEV, "dev-old"),  # High, newest
        (2, DEV, "dev-scratch"),  # High, older
        (3, PROD, "prod-exports"),  # Medium, two findings
        (4, PROD, "prod-logs"),  # Medium, one finding
    ]
    assert report["buckets"][2]["finding_count"] == 2 and report["buckets"][2]["max_severity_label"] == "Medium"
    counts = {a["account_id"]: (a["findings"], a["high_findings"], a["affected_buckets"]) for a in report["accounts"]}
    assert counts == {DEV: (2, 2, 2), PROD: (3, 0, 2), "777788889999": (0, 0, 0)}
    assert report["summary"]["accounts_with_findings"] == 2
    with_archived = O.build_triage_report(findings, include_archived=True)
    assert with_archived["buckets"][0]["max_severity"] == 9.0


def test_same_finding_id_in_two_accounts_is_two_findings():
    findings = [
        finding("same", PROD, "prod-exports", 8.0, "2026-11-29T12:00:00.000Z"),
        finding("same", DEV, "dev-exports", 8.0, "2026-11-29T12:00:00.000Z"),
    ]
    report = O.build_triage_report(findings)
    assert report["summary"]["findings"] == 2
    assert {b["account_id"] for b in report["buckets"]} == {PROD, DEV}


def test_triage_merges_one_account_read_by_a_host_per_region():
    """An inventory with ``regions`` gives one host per account and region: the report has one entry per account,
    failed when one of its hosts failed, naming that host."""
    findings = [
        finding("f-use", PROD, "prod-exports", 5.0, "2026-11-29T12:00:00.000Z"),
        finding("f-euw", PROD, "prod-exports", 8.0, "2026-11-29T11:00:00.000Z", region="eu-west-1"),
    ]
    accounts = [
        {"account_id": PROD, "account_name": "prod", "host": "prod_us_east_1"},
        {"account_id": PROD, "account_name": "prod", "host": "prod_eu_west_1"},
        {"account_id": DEV, "account_name": "dev", "host": "dev_us_east_1", "status": "failed", "error": "denied"},
        {"account_id": DEV, "account_name": "dev", "host": "dev_eu_west_1", "status": "failed", "error": "denied"},
        {"account_id": "777788889999", "account_name": "audit", "host": "audit_us_east_1"},
        {"account_id": "777788889999", "host": "audit_eu_west_1", "status": "failed", "error": "throttled"},
    ]
    report = O.build_triage_report(findings, accounts, mode="per_account")
    by_id = {a["account_id"]: a for a in report["accounts"]}
    assert sorted(by_id) == sorted([PROD, DEV, "777788889999"])
    assert (by_id[PROD]["status"], by_id[PROD]["findings"]) == ("ok", 2)
    assert by_id[DEV]["status"] == "failed"
    assert by_id[DEV]["error"] == "dev_us_east_1: denied; dev_eu_west_1: denied"
    audit = by_id["777788889999"]
    assert (audit["account_name"], audit["status"], audit["error"]) == ("audit", "failed", "audit_eu_west_1: throttled")
    assert report["summary"]["accounts"] == 3 and report["summary"]["accounts_failed"] == 2


def test_triage_over_regions_shows_the_region_of_each_finding():
    findings = [
        finding("f-use", PROD, "prod-exports", 5.0, "2026-11-29T12:00:00.000Z"),
        finding("f-euw", PROD, "prod-exports", 8.0, "2026-11-29T11:00:00.000Z", region="eu-west-1"),
        finding("f-dev", DEV, "dev-scratch", 4.0, "2026-11-29T10:00:00.000Z", region="eu-west-1"),
        # the same id in another region is another finding
        finding("f-use", PROD, "prod-logs", 2.0, "2026-11-29T10:00:00.000Z", region="ap-southeast-2"),
    ]
    report = O.build_triage_report(findings, regions=["us-east-1", "eu-west-1", "ap-southeast-2", "us-east-1"])
    assert report["regions"] == ["us-east-1", "eu-west-1", "ap-southeast-2"]  # as asked, once each
    assert report["summary"]["findings"] == 4
    exports, scratch, logs = report["buckets"]
    assert (exports["name"], exports["regions"]) == ("prod-exports", ["eu-west-1", "us-east-1"])
    assert exports["finding_regions"] == {"f-use": "us-east-1", "f-euw": "eu-west-1"}
    assert (scratch["name"], scratch["regions"], logs["name"], logs["regions"]) == (
        "dev-scratch",
        ["eu-west-1"],
        "prod-logs",
        ["ap-southeast-2"],
    )
    lines = O.summary_lines(report)
    assert lines[0].endswith("in 2 of 2 accounts, regions us-east-1, eu-west-1, ap-southeast-2")
    assert lines[1].startswith(f"#1 prod-exports (account {PROD} {PROD}, eu-west-1, us-east-1): High 8")
    assert f"| 1 | prod-exports | {PROD} | {PROD} | eu-west-1, us-east-1 | High 8 |" in O.render_markdown(report)
    # without regions asked, the report names the regions of its findings
    assert O.build_triage_report(findings[:3])["regions"] == ["eu-west-1", "us-east-1"]


def test_failed_region_is_listed_with_its_account_and_the_account_still_counts():
    findings = [finding("f1", PROD, "prod-exports", 8.0, "2026-11-29T12:00:00.000Z")]
    accounts = [
        {"account_id": PROD, "account_name": "prod", "host": "prod"},
        {"account_id": DEV, "account_name": "dev", "host": "dev"},
    ]
    no_detector = "GuardDuty is not enabled in region eu-west-1: no detector found, so no findings to read"
    failed_regions = [
        {"account_id": PROD, "account_name": "prod", "host": "prod", "region": "eu-west-1", "error": no_detector},
        {"account_id": "", "account_name": "localhost", "host": "localhost", "region": "ap-south-1", "error": ""},
        {"account_id": PROD, "account_name": "prod", "host": "prod", "region": "ap-south-1", "error": "AccessDenied"},
    ]
    report = O.build_triage_report(
        findings, accounts, mode="per_account", regions=["us-east-1", "eu-west-1"], failed_regions=failed_regions
    )
    assert report["summary"]["regions_failed"] == 3 and report["summary"]["accounts_failed"] == 0
    assert [(r["account_name"], r["region"]) for r in report["failed_regions"]] == [
        ("localhost", "ap-south-1"),
        ("prod", "ap-south-1"),
        ("prod", "eu-west-1"),
    ]
    assert report["failed_regions"][0]["error"] == "the findings could not be read in this region"
    by_name = {a["account_name"]: a for a in report["accounts"]}
    assert (by_name["prod"]["status"], by_name["prod"]["findings"]) == ("ok", 1)
    assert by_name["prod"]["failed_regions"] == ["ap-south-1", "eu-west-1"] and by_name["dev"]["failed_regions"] == []
    assert report["failed_accounts"] == []
    assert O.summary_lines(report)[-1].startswith(
        "FAILED regions: localhost (localhost) ap-south-1: the findings could not be read in this region; "
        f"prod ({PROD}) ap-south-1: AccessDenied; prod ({PROD}) eu-west-1: GuardDuty is not enabled"
    )
    markdown = O.render_markdown(report)
    assert "## Failed regions\n\n- localhost (-, host localhost) region ap-south-1: the findings" in markdown
    assert f"- prod ({PROD}, host prod) region eu-west-1: {no_detector}" in markdown
    assert "| Max severity | Failed regions |" in markdown and "| High 8 | ap-south-1, eu-west-1 |" in markdown
    page = O.render_html(report)
    assert f"<li><b>prod ({PROD}, host prod) region eu-west-1</b>: {no_detector}</li>" in page
    assert json.loads(O.render_json(report))["failed_regions"] == report["failed_regions"]


def test_triage_without_failed_regions_says_none_and_keeps_the_accounts_table():
    report = O.build_triage_report(
        [finding("f1", PROD, "prod-exports", 8.0, "2026-11-29T12:00:00.000Z")], [{"account_id": PROD}]
    )
    assert report["failed_regions"] == [] and report["summary"]["regions_failed"] == 0
    markdown = O.render_markdown(report)
    assert "## Failed regions\n\n_None._" in markdown and "Failed regions |" not in markdown
    assert not [line for line in O.summary_lines(report) if line.startswith("FAILED")]
    assert '<h2>Failed regions</h2>\n<p class="none">None.</p>' in O.render_html(report)
    assert "Failed regions" not in O.render_markdown(O.build_baseline_report([{"account_id": PROD, "host": "p"}]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"failed_regions": ["eu-west-1"]}, "failed_regions[0]: expected a mapping, got str"),
        ({"failed_regions": [{"host": "prod", "error": "x"}]}, "failed_regions[0]: region is not set"),
        ({"failed_regions": [{"region": "eu-west-1"}]}, "failed_regions[0] (eu-west-1): neither account_id nor host"),
        (
            {"failed_regions": [{"host": "prod", "region": "eu-west-1"}, {"host": "prod", "region": "eu-west-1"}]},
            "failed_regions[1]: region eu-west-1 of prod is listed twice",
        ),
        ({"regions": ["us-east-1", ""]}, "regions[1]: expected a region name, got ''"),
    ],
)
def test_bad_regions_input_names_the_entry(kwargs, message):
    with pytest.raises(O.OrgReportError, match=re.escape(message)):
        O.build_triage_report([], **kwargs)


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen = set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)


def test_html_and_markdown_escape_names_and_errors(accounts):
    accounts[1]["error"] = HOSTILE
    accounts[0]["account_name"] = HOSTILE
    report = O.build_baseline_report(accounts)
    page = O.render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    tags = TagCollector()
    tags.feed(page)
    assert "script" not in tags.seen and {"table", "h2", "footer"} <= tags.seen
    markdown = O.render_markdown(report)
    assert "<script>" not in markdown and "[x](javascript" not in markdown
    triage = O.build_triage_report([finding("f1", PROD, "prod-exports", 8.0, "2026-11-29T12:00:00.000Z")])
    assert "<script>" not in O.render_html(triage)


def test_digest_ignores_the_time_of_writing(accounts):
    one = O.build_baseline_report(accounts, generated_at="2026-11-30T01:00:00Z")
    two = O.build_baseline_report(accounts, generated_at="2026-11-30T02:00:00Z")
    assert one["content_digest"] == two["content_digest"]
    accounts[0]["baseline"]["buckets"][0]["controls"]["versioning"]["status"] = "compliant"
    assert O.build_baseline_report(accounts)["content_digest"] != one["content_digest"]
    assert json.loads(O.render_json(one))["content_digest"] == one["content_digest"]


# ---------------------------------------------------------------------------------------------------------------------
# account_outcomes: the playbooks' hostvars -> accounts entries


class _LazyHostVars(dict):
    """Stands in for hostvars: reading a key named in broken raises, like a value that fails to template."""

    def __init__(self, data, broken=()):
        super().__init__(data)
        self.broken = set(broken)

    def __getitem__(self, host):
        inner = dict.__getitem__(self, host)
        broken = self.broken

        class _Vars(dict):
            def get(self, key, default=None):
                if key in broken:
                    raise AssertionError(f"{key} was read")
                return dict.get(self, key, default)

        return _Vars(inner)


def test_account_outcomes_judges_each_host():
    hostvars = _LazyHostVars(
        {
            "prod": {"account_id": PROD, "account_name": "prod", "ou_path": "Root/Prod", "baseline_result": {"x": 1}},
            "dev": {
                "account_id": DEV,
                "cloudsec_account": {"status": "failed", "error": "AccessDenied on arn:aws:iam::444455556666:role/r"},
            },
            "rescued": {"account_id": "777788889999", "baseline__failure": "Audit: boom", "baseline_result": {}},
            "stopped": {"account_id": "121212121212"},
        },
        broken={"unrelated_var"},
    )
    out = O.account_outcomes(
        ["prod", "dev", "rescued", "stopped"],
        hostvars,
        result_var="baseline_result",
        failure_var="baseline__failure",
        result_key="baseline",
        missing="did not complete",
    )
    assert [(o["host"], o["status"], o["error"]) for o in out] == [
        ("prod", "ok", ""),
        ("dev", "failed", "AccessDenied on arn:aws:iam::444455556666:role/r"),
        ("rescued", "failed", "Audit: boom"),
        ("stopped", "failed", "did not complete"),
    ]
    assert out[0]["baseline"] == {"x": 1} and out[0]["ou_path"] == "Root/Prod"
    assert all(o["baseline"] == {} for o in out[1:])
    assert out[1]["account_name"] == "dev"  # no name anywhere: the host


def test_account_outcomes_without_judging_lists_everyone_ok():
    hostvars = {"a": {"account_id": PROD}, "b": {"cloudsec_account": {"account_id": DEV, "account_name": "dev"}}}
    out = O.account_outcomes(["a", "b"], hostvars, result_var="org_triage__read", judge=False)
    assert [(o["account_id"], o["account_name"], o["status"], o["error"]) for o in out] == [
        (PROD, "a", "ok", ""),
        (DEV, "dev", "ok", ""),
    ]
    assert "baseline" not in out[0]
    assert "failed_regions" not in out[0]  # only with region_failures_var


def test_account_outcomes_lists_failed_regions_without_failing_the_host():
    hostvars = {
        "prod": {
            "account_id": PROD,
            "account_name": "prod",
            "org_triage__read": {"results": []},
            "org_triage__region_failures": {"eu-west-1": "no detector", "ap-south-1": ""},
        },
        "dev": {"account_id": DEV, "org_triage__read": {"results": []}},
    }
    out = O.account_outcomes(
        ["prod", "dev"], hostvars, result_var="org_triage__read", region_failures_var="org_triage__region_failures"
    )
    assert [(o["host"], o["status"]) for o in out] == [("prod", "ok"), ("dev", "ok")]
    assert out[0]["failed_regions"] == [
        {"account_id": PROD, "account_name": "prod", "host": "prod", "region": "eu-west-1", "error": "no detector"},
        {
            "account_id": PROD,
            "account_name": "prod",
            "host": "prod",
            "region": "ap-south-1",
            "error": "the findings could not be read in this region",
        },
    ]
    assert out[1]["failed_regions"] == []

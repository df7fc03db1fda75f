# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline compliance report: the Markdown the role's Jinja template wrote, the JSON to_nice_json wrote, HTML."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import baseline_report as B

HOSTILE = "<script>alert(1)</script> | [x](javascript:1)"
CATALOGUE = [
    {"name": "versioning", "title": "Versioning enabled", "fsbp": "S3.14", "cis": None, "report_only": False},
    {"name": "policy_sigv4_only", "title": "SigV4 only", "fsbp": "", "cis": None, "report_only": False},
    {
        "name": "public_access_block",
        "title": "Block Public Access",
        "fsbp": "S3.8",
        "cis": "2.1.4",
        "report_only": False,
    },
    {"name": "logging", "title": "Server access logging", "fsbp": "S3.9", "cis": None, "report_only": False},
]


def control(status, detail, fsbp=None, cis=None, **extra):
    return {"status": status, "fsbp": fsbp, "cis": cis, "detail": detail, **extra}


@pytest.fixture
def result():
    """A baseline_result with the awkward cases: a bucket that failed, a null status, a multi-line detail, a control
    the catalogue does not know, a catalogue control the run did not count."""
    return {
        "mode": "enforce",
        "changed": True,
        "account": {
            "account_id": "123456789012",
            "public_access_block": None,
            "public_access_block_status": "changed",
            "would_lose_public_access": [{"bucket": "acme-www", "paths": []}, {"bucket": "acme-ü", "paths": []}],
            "iam_wildcard_s3": [],
            "data_events": None,
        },
        "buckets": [
            {"name": "acme-gone", "controls": {}, "error": "Bucket acme-gone does not exist"},
            {
                "name": "acme-a",
                "controls": {
                    "versioning": control(None, None, "S3.14"),
                    "public_access_block": control(
                        "excepted", "tag: website\nsecond line | pipe_x *y*", "S3.8", "2.1.4"
                    ),
                    "unlisted": control("failed", "AccessDenied ☃"),
                },
            },
            {
                "name": "acme-b",
                "controls": {
                    "versioning": control("compliant", "ok", "S3.14"),
                    "policy_sigv4_only": control(
                        "changed", "added", before=None, after={"Sid": "CloudsecDenyNonSigV4"}
                    ),
                },
            },
        ],
        "summary": {
            "buckets": 3,
            "compliant_buckets": 1,
            "failed_buckets": ["acme-gone", "acme-a"],
            "statuses": {"compliant": 1, "changed": 1, "excepted": 1, "failed": 1},
            "controls": {"versioning": {}, "policy_sigv4_only": {}, "public_access_block": {}, "unlisted": {}},
        },
        "catalogue": CATALOGUE,
        "report": {"json": "/r/baseline-report.json", "markdown": "/r/baseline-report.md"},
    }


# What roles/baseline/templates/baseline-report.md.j2 (ansible-core 2.19, trim_blocks) wrote for the fixture above
# (\x20: the template left a space at the end of a detail line with no detail).
TEMPLATE_OUTPUT = """\
# S3 hardening baseline (enforce)

Account 123456789012: 3 buckets,
1 fully compliant (or excepted), failed: acme-gone, acme-a.

Account-level Block Public Access (FSBP S3.1, CIS 2.1.4): changed; buckets losing public access: acme-www, acme-ü.

| bucket | versioning (S3.14 / CIS -) | policy_sigv4_only (- / CIS -) | public_access_block (S3.8 / CIS 2.1.4) |
|---|---|---|---|
| acme-gone | - | - | - |
| acme-a |  | - | excepted |
| acme-b | compliant | changed | - |

## Details (everything not compliant)

- `acme-a` versioning: **** -\x20
- `acme-a` public_access_block: **excepted** - tag: website
second line | pipe_x *y*
- `acme-a` unlisted: **failed** - AccessDenied ☃
- `acme-b` policy_sigv4_only: **changed** - added
"""

# ... and for a run over no bucket, with nothing counted.
EMPTY_TEMPLATE_OUTPUT = """\
# S3 hardening baseline (audit)

Account 123456789012: 0 buckets,
0 fully compliant (or excepted).

Account-level Block Public Access (FSBP S3.1, CIS 2.1.4): skipped.

| bucket |
|---|

## Details (everything not compliant)

"""


def test_markdown_is_byte_for_byte_what_the_template_wrote(result):
    assert B.render_markdown(result) == TEMPLATE_OUTPUT


def test_markdown_of_a_run_over_no_bucket_is_what_the_template_wrote():
    empty = {
        "mode": "audit",
        "account": {
            "account_id": "123456789012",
            "public_access_block_status": "skipped",
            "would_lose_public_access": [],
        },
        "buckets": [],
        "summary": {"buckets": 0, "compliant_buckets": 0, "failed_buckets": [], "controls": {}},
        "catalogue": CATALOGUE,
    }
    assert B.render_markdown(empty) == EMPTY_TEMPLATE_OUTPUT


def test_columns_are_the_counted_controls_in_catalogue_order(result):
    result["summary"]["controls"] = {"public_access_block": {}, "versioning": {}}
    header = B.render_markdown(result).splitlines()[7]
    assert header == "| bucket | versioning (S3.14 / CIS -) | public_access_block (S3.8 / CIS 2.1.4) |"
    assert [c["name"] for c in B.shown_controls(result)] == ["versioning", "public_access_block"]


def test_json_keeps_the_key_order_and_escapes_non_ascii_like_to_nice_json(result):
    text = B.render_json(result)
    assert text.startswith('{\n    "mode": "enforce",\n    "changed": true,\n    "account": {\n')
    assert '"bucket": "acme-\\u00fc"' in text and "ü" not in text
    assert '"detail": "AccessDenied \\u2603"' in text
    assert text.endswith('        "markdown": "/r/baseline-report.md"\n    }\n}\n')
    assert list(json.loads(text)) == ["mode", "changed", "account", "buckets", "summary", "catalogue", "report"]
    assert json.loads(text) == result


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen = []
        self.rows = []

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag == "tr":
            self.rows.append(dict(attrs).get("class", ""))


def test_html_escapes_every_value_and_marks_the_buckets_off_the_baseline(result):
    result["buckets"][2]["controls"]["policy_sigv4_only"]["detail"] = HOSTILE
    result["account"]["would_lose_public_access"][0]["bucket"] = HOSTILE
    page = B.render_html(result)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    tags = TagCollector()
    tags.feed(page)
    assert "script" not in tags.seen and {"table", "h1", "ul"} <= set(tags.seen)
    # header row, then acme-gone (error), acme-a (failed), acme-b (changed: off the baseline when this run read it)
    assert tags.rows == ["", "sus", "sus", "sus"]
    assert "versioning (S3.14 / CIS -)" in page and "AccessDenied ☃" in page


def test_html_leaves_compliant_and_excepted_buckets_unmarked(result):
    result["buckets"] = [
        {"name": "acme-ok", "controls": {"versioning": control("compliant", "ok"), "logging": control("excepted", "x")}}
    ]
    tags = TagCollector()
    tags.feed(B.render_html(result))
    assert tags.rows == ["", ""]
    assert '<p class="none">None.</p>' not in B.render_html(result)  # the excepted control is a detail
    result["buckets"][0]["controls"]["logging"]["status"] = "compliant"
    assert '<p class="none">None.</p>' in B.render_html(result)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("summary"), "result.summary: expected a mapping, got NoneType"),
        (lambda r: r.update(buckets={"acme-a": {}}), "result.buckets: expected a list, got dict"),
        (lambda r: r.update(catalogue=None), "result.catalogue: expected a list, got NoneType"),
        (lambda r: r["buckets"].append("acme-c"), "result.buckets[3]: expected a mapping"),
        (lambda r: r["buckets"][1].update(controls=[]), "result.buckets[1]: expected a mapping"),
    ],
)
def test_a_result_the_report_cannot_read_is_refused_naming_the_key(result, change, message):
    change(result)
    with pytest.raises(B.BaselineReportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        B.check_result(result)


def test_a_complete_result_passes_the_check(result):
    B.check_result(result)
    with pytest.raises(B.BaselineReportError, match="expected the baseline_result mapping, got list"):
        B.check_result([result])

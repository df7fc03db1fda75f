# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The compliance report of one baseline run: ``baseline_result`` rendered as JSON, Markdown and HTML.

Pure logic, no Ansible and no AWS imports.

* ``check_result(result)`` says what is missing from a ``baseline_result`` before anything is rendered.
* ``render_json`` writes the result as it is, keys in their order, as ``to_nice_json(sort_keys=false)`` did.
* ``render_markdown`` writes the buckets x controls table (column headers carry the FSBP / CIS ids) and the detail
  of every control that is not compliant, byte for byte what the role's former Jinja template wrote. Values are
  written as they are, as the template did.
* ``render_html`` is the same report as a self-contained page, with the page style and escaping of the incident
  report (``report.py``).

The controls shown are those of the catalogue that the summary counted, in catalogue order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible_collections.cloudsec.s3.plugins.module_utils.report import _d
from ansible_collections.cloudsec.s3.plugins.module_utils.report import _html_table
from ansible_collections.cloudsec.s3.plugins.module_utils.report import _l
from ansible_collections.cloudsec.s3.plugins.module_utils.report import h
from ansible_collections.cloudsec.s3.plugins.module_utils.report import html_page

#: File name of each format, in the report directory.
FILES = {"json": "baseline-report.json", "markdown": "baseline-report.md", "html": "baseline-report.html"}
#: Statuses a bucket can have on every control and still count as fully compliant.
_GOOD = ("compliant", "excepted")
_REQUIRED = (("account", Mapping), ("summary", Mapping), ("buckets", list), ("catalogue", list))

__all__ = ["FILES", "BaselineReportError", "check_result", "render_html", "render_json", "render_markdown"]


class BaselineReportError(ValueError):
    """A ``baseline_result`` the report cannot be written from; the message names the key."""


def _t(value: Any) -> str:
    """A value as the template printed it: ``None`` as nothing, everything else as ``str``."""
    return "" if value is None else str(value)


def _or_dash(value: Any) -> str:
    return str(value) if value else "-"


def check_result(result: Any) -> None:
    """Raise ``BaselineReportError`` naming the first key the report needs that is missing or of the wrong type."""
    if not isinstance(result, Mapping):
        raise BaselineReportError(f"result: expected the baseline_result mapping, got {type(result).__name__}")
    for key, kind in _REQUIRED:
        if not isinstance(result.get(key), kind):
            wanted = "a mapping" if kind is Mapping else "a list"
            raise BaselineReportError(f"result.{key}: expected {wanted}, got {type(result.get(key)).__name__}")
    for index, bucket in enumerate(result["buckets"]):
        if not isinstance(bucket, Mapping) or not isinstance(bucket.get("controls", {}), Mapping):
            raise BaselineReportError(f"result.buckets[{index}]: expected a mapping with controls as a mapping")


def shown_controls(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The catalogue entries the summary counted, in catalogue order: the columns of the table."""
    counted = _d(_d(result.get("summary")).get("controls"))
    return [c for c in map(_d, _l(result.get("catalogue"))) if "name" in c and c["name"] in counted]


def _header(control: Mapping[str, Any]) -> str:
    return f"{_t(control['name'])} ({_or_dash(control.get('fsbp'))} / CIS {_or_dash(control.get('cis'))})"


def _status(bucket: Mapping[str, Any], name: Any) -> str:
    control = _d(bucket.get("controls")).get(name)
    if not isinstance(control, Mapping) or "status" not in control:
        return "-"
    return _t(control["status"])


def _not_compliant(bucket: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(control, status, detail) of each control of the bucket that is not compliant, in the bucket's order."""
    out = []
    for name, raw in _d(bucket.get("controls")).items():
        control = _d(raw)
        if control.get("status") != "compliant":
            out.append((_t(name), _t(control.get("status")), _t(control.get("detail"))))
    return out


def _headline(result: Mapping[str, Any]) -> tuple[str, str, str]:
    """Title, bucket count sentence and account Block Public Access sentence, shared by Markdown and HTML."""
    account = _d(result.get("account"))
    summary = _d(result.get("summary"))
    failed = _l(summary.get("failed_buckets"))
    losing = _l(account.get("would_lose_public_access"))
    title = f"S3 hardening baseline ({_t(result.get('mode'))})"
    buckets = (
        f"Account {_t(account.get('account_id'))}: {_t(summary.get('buckets'))} buckets,\n"
        f"{_t(summary.get('compliant_buckets'))} fully compliant (or excepted)"
        + (f", failed: {', '.join(str(b) for b in failed)}" if failed else "")
        + "."
    )
    bpa = (
        f"Account-level Block Public Access (FSBP S3.1, CIS 2.1.4): {_t(account.get('public_access_block_status'))}"
        + (f"; buckets losing public access: {', '.join(_t(_d(x).get('bucket')) for x in losing)}" if losing else "")
        + "."
    )
    return title, buckets, bpa


def render_json(result: Mapping[str, Any]) -> str:
    """The result as ``to_nice_json(sort_keys=false)`` wrote it: indent 4, keys in their order, ASCII escapes."""
    return json.dumps(result, indent=4, separators=(",", ": "), default=str) + "\n"


def render_markdown(result: Mapping[str, Any]) -> str:
    title, buckets, bpa = _headline(result)
    controls = shown_controls(result)
    names = [c["name"] for c in controls]
    out = [f"# {title}\n", "\n", f"{buckets}\n", "\n", f"{bpa}\n", "\n"]
    out.append("| bucket |" + "".join(f" {_header(c)} |" for c in controls) + "\n")
    out.append("|---|" + "---|" * len(controls) + "\n")
    for raw in _l(result.get("buckets")):
        bucket = _d(raw)
        out.append(f"| {_t(bucket.get('name'))} |" + "".join(f" {_status(bucket, n)} |" for n in names) + "\n")
    out += ["\n", "## Details (everything not compliant)\n", "\n"]
    for raw in _l(result.get("buckets")):
        bucket = _d(raw)
        name = _t(bucket.get("name"))
        out += [
            f"- `{name}` {control}: **{status}** - {detail}\n" for control, status, detail in _not_compliant(bucket)
        ]
    return "".join(out)


def render_html(result: Mapping[str, Any]) -> str:
    title, buckets, bpa = _headline(result)
    controls = shown_controls(result)
    names = [c["name"] for c in controls]
    rows, classes = [], []
    for raw in _l(result.get("buckets")):
        bucket = _d(raw)
        statuses = [_status(bucket, n) for n in names]
        rows.append([bucket.get("name"), *statuses])
        good = not bucket.get("error") and all(
            _d(c).get("status") in _GOOD for c in _d(bucket.get("controls")).values()
        )
        classes.append("" if good else "sus")
    details = [
        f"<li><code>{h(bucket.get('name'))}</code> {h(control)}: <b>{h(status)}</b> - {h(detail, 1000)}</li>"
        for bucket in map(_d, _l(result.get("buckets")))
        for control, status, detail in _not_compliant(bucket)
    ]
    body = [
        f"<h1>{h(title)}</h1>",
        f"<p>{h(buckets, 2000)}</p>",
        f"<p>{h(bpa, 4000)}</p>",
        "<h2>Buckets x controls</h2>",
        _html_table(["bucket", *[_header(c) for c in controls]], rows, classes),
        "<h2>Details (everything not compliant)</h2>",
        f"<ul>{''.join(details)}</ul>" if details else '<p class="none">None.</p>',
    ]
    return html_page(title, body)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The incident report: verdict rule, timeline, SIEM JSON, and escaping of attacker-controlled text.

Inputs are step results in the shapes the roles publish (taken from a public-exfiltration run and trimmed), with
hostile strings where an attacker controls the value: finding titles, user agents, object keys.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import report as R

BUCKET = "acme-customer-exports"
ATTACKER = "arn:aws:iam::123456789012:user/svc-legacy-backup"
REPORTING = "arn:aws:iam::123456789012:role/app-reporting"
HOSTILE_TITLE = '<script>alert("x")</script> Public | access granted [click](javascript:alert(1)) & "quoted"'
HOSTILE_AGENT = '"><img src=x onerror=alert(1)><script>steal()</script>' + "A" * 5000


def finding(fid, ftype, severity, *, archived=False, bucket=BUCKET, title=None):
    return {
        "id": fid,
        "type": ftype,
        "title": title or f"{ftype} on {bucket}",
        "severity": severity,
        "severity_label": R.severity_label(severity),
        "archived": archived,
        "count": 1,
        "first_seen": "2026-11-29T16:57:00.000Z",
        "last_seen": "2026-11-29T17:25:28.000Z",
        "buckets": [{"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}],
        "principal": {"access_key_id": "AKIARZPUZDIKE5E2VO5T", "arn": ATTACKER, "user_name": "svc-legacy-backup"},
        "remote_ips": [{"ip": "203.0.113.66", "country": "Netherlands"}],
        "api_calls": [{"api": "PutBucketPolicy", "user_agent": HOSTILE_AGENT}],
    }


def triage_result():
    return {
        "bucket": BUCKET,
        "max_severity": 8.0,
        "max_severity_label": "High",
        "findings": [
            finding("4bb0", "Policy:S3/BucketAnonymousAccessGranted", 8.0, title=HOSTILE_TITLE),
            finding("68ce", "Exfiltration:S3/MaliciousIPCaller", 8.0),
            finding("5f03", "Policy:S3/BucketBlockPublicAccessDisabled", 2.0),
        ],
        "finding_ids": ["4bb0", "68ce", "5f03"],
        "has_findings": True,
    }


def actor(arn, kind, *, score, agents=(), ips=(), counts=None, reasons=()):
    counts = counts or {"GetObject": 10}
    return {
        "arn": arn,
        "kind": kind,
        "type": "IAMUser" if kind == "iam_user" else "AssumedRole",
        "account_id": "123456789012",
        "access_key_ids": ["AKIARZPUZDIKE5E2VO5T"] if kind == "iam_user" else [],
        "source_ips": list(ips),
        "user_agents": list(agents),
        "event_counts": counts,
        "event_count": sum(counts.values()),
        "first_seen": "2026-11-29T16:48:00Z",
        "last_seen": "2026-11-29T17:25:28Z",
        "error_count": 0,
        "bytes_out": 53816409,
        "objects_touched": 60,
        "suspicion_score": score,
        "reasons": list(reasons),
        "suspected": score >= 40,
    }


def event(minute, principal_arn, name="GetObject", *, kind="iam_user", issuer=None, error=None, key="exports/a.csv"):
    return {
        "time": f"2026-11-29T17:{minute:02d}:13Z",
        "event_name": name,
        "principal_arn": principal_arn,
        "principal_kind": kind,
        "issuer_arn": issuer,
        "source_ip": "203.0.113.66",
        "error_code": error,
        "key": key,
        "user_agent": HOSTILE_AGENT,
    }


def change(minute, name, arn=ATTACKER, error=None):
    return {
        "time": f"2026-11-29T17:{minute:02d}:00Z",
        "last_time": f"2026-11-29T17:{minute:02d}:00Z",
        "actor_arn": arn,
        "actor_kind": "iam_user",
        "event_name": name,
        "source_ip": "203.0.113.66",
        "error": error,
        "change": True,
        "count": 1,
        "objects": 0,
        "key": None,
    }


def investigate_result():
    session = "arn:aws:sts::123456789012:assumed-role/app-reporting/i-02f89dcc15479a11f"
    events = [event(0, ATTACKER, "DeleteBucketPublicAccessBlock"), event(1, ATTACKER, "PutBucketPolicy")]
    events += [event(m, ATTACKER) for m in (1, 1, 1, 2, 5)]
    events += [event(2, session, kind="assumed_role", issuer=REPORTING), event(9, session, kind="assumed_role")]
    return {
        "bucket": BUCKET,
        "window": {"start": "2026-11-29T15:57:00Z", "end": "2026-11-29T23:00:28Z"},
        "suspected_principals": [
            actor(
                ATTACKER,
                "iam_user",
                score=135,
                agents=[HOSTILE_AGENT],
                ips=["203.0.113.66"],
                counts={"GetObject": 5, "PutBucketPolicy": 1, "DeleteBucketPublicAccessBlock": 1},
                reasons=[
                    "calls from outside the trusted networks: 203.0.113.66",
                    "changed the bucket: PutBucketPolicy",
                ],
            )
        ],
        "legitimate_principals": [actor(REPORTING, "assumed_role", score=15, ips=["10.0.1.163"])],
        "events": events,
        "events_truncated": False,
        "timeline": [
            change(0, "DeleteBucketPublicAccessBlock"),
            change(1, "PutBucketPolicy"),
            {
                "time": "2026-11-29T17:01:13Z",
                "last_time": "2026-11-29T17:05:13Z",
                "actor_arn": ATTACKER,
                "event_name": "GetObject",
                "change": False,
                "count": 5,
                "error": None,
            },
        ],
        "observed_calls": {},
        "sources": ["trail", "lookup"],
        "messages": ["Started investigation 1736 of " + ATTACKER + ": SUCCESSFUL"],
        "summary": {"events_found": 9},
    }


def auth_call(action, verdict, *, count=5, errors=0, sid="LegacyBackupAllS3", policy="LegacyBackupS3FullAccess"):
    return {
        "action": action,
        "iam_action": action,
        "resource": f"arn:aws:s3:::{BUCKET}/*",
        "decision": "allowed" if verdict != "unauthorized" else "implicit_deny",
        "verdict": verdict,
        "expected": None,
        "deciding_statements": [{"policy_name": policy, "policy_type": "user-managed", "sid": sid, "index": 0}],
        "observed": {"count": count, "error_count": errors, "outcome": "succeeded" if errors < count else "failed"},
        "notes": [],
    }


def authorization_result(verdict="allowed_intent_unknown", calls=None):
    fix = {
        "action": "remove_bucket_policy_statement",
        "sid": "PublicRead",
        "text": f"Remove statement 'PublicRead' from the bucket policy of {BUCKET} (keep the other statements)",
    }
    return {
        "bucket": BUCKET,
        "public_access": {"is_public": True},
        "principals": [
            {
                "principal": {"label": ATTACKER, "arn": ATTACKER, "input": ATTACKER, "type": "user"},
                "verdict": verdict,
                "flagged": True,
                "calls": calls if calls is not None else [auth_call("s3:GetObject", verdict)],
                "excessive_permissions": [
                    {
                        "policy_name": "LegacyBackupS3FullAccess",
                        "sid": "LegacyBackupAllS3",
                        "reasons": ["wildcard_action"],
                        "fix": "Detach customer-managed policy LegacyBackupS3FullAccess from user svc-legacy-backup",
                    }
                ],
                "remediation": ["Detach customer-managed policy LegacyBackupS3FullAccess from user svc-legacy-backup"],
            }
        ],
        "excessive_permissions": [
            {
                "policy_name": f"bucket policy of {BUCKET}",
                "policy_type": "bucket-policy",
                "sid": "PublicRead",
                "attached_to": f"bucket {BUCKET}",
                "reasons": ["public_grant"],
                "fix": fix,
            }
        ],
    }


def evidence_result():
    return {
        "incident_id": "INC-2026-0042",
        "bucket": BUCKET,
        "location": "s3://acme-ir-evidence/cases",
        "path": f"s3://acme-ir-evidence/cases/INC-2026-0042/{BUCKET}/snapshot-001-20261129T224624Z",
        "manifest_path": f"s3://acme-ir-evidence/cases/INC-2026-0042/{BUCKET}/snapshot-001-20261129T224624Z/manifest.json",
        "files": [
            {
                "name": "policy.txt",
                "size": 512,
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            }
        ],
    }


def contain_result():
    """As the contain role publishes it: bucket and principal actions flattened into ``actions``."""
    undo = f"ansible-playbook cloudsec.s3.restore -e bucket={BUCKET} -e incident_id=INC-2026-0042"
    key = {
        "action": "deactivate_access_key",
        "detail": "AKIARZPUZDIKE5E2VO5T",
        "undo": "reactivate AKIARZPUZDIKE5E2VO5T",
    }
    return {
        "mode": "contained",
        "bucket": BUCKET,
        "incident_id": "INC-2026-0042",
        "undo_command": undo,
        "actions": [
            {
                "action": "put_bucket_policy",
                "detail": "added statement CloudsecQuarantineINC20260042",
                "undo": "restore the recorded policy",
                "target": BUCKET,
                "undo_command": undo,
            },
            dict(key, target=ATTACKER, undo_command=undo),
        ],
        "principals": [{"principal": ATTACKER, "actions": [key]}],
    }


def harden_result():
    return {
        "buckets": [
            {
                "name": BUCKET,
                "controls": {
                    "versioning": {
                        "status": "changed",
                        "fsbp": "S3.14",
                        "cis": None,
                        "detail": "versioning enabled",
                        "before": "Disabled",
                        "after": "Enabled",
                    },
                    "encryption": {"status": "compliant", "fsbp": "S3.17", "cis": None, "detail": "SSE-S3"},
                },
            }
        ]
    }


def full_report(**overrides):
    kwargs = dict(
        incident_id="INC-2026-0042",
        mode="full",
        triage=triage_result(),
        investigate=investigate_result(),
        authorization=authorization_result(),
        evidence=evidence_result(),
        contain=contain_result(),
        harden=harden_result(),
        generated_at="2026-11-29T23:10:00Z",
    )
    kwargs.update(overrides)
    return R.build_report(**kwargs)


# ------------------------------------------------------------------------------------------------------------------
# verdict


def test_high_finding_naming_the_bucket_makes_it_compromised():
    report = R.build_report(triage=triage_result())
    assert report["verdict"] == "compromised"
    assert any("Exfiltration:S3/MaliciousIPCaller" in r for r in report["verdict_reasons"])


def test_archived_high_finding_and_other_buckets_do_not_count():
    triage = {
        "bucket": BUCKET,
        "findings": [
            finding("old", "Discovery:S3/AnomalousBehavior", 8.0, archived=True),
            finding("web", "Policy:S3/BucketAnonymousAccessGranted", 8.0, bucket="acme-public-website"),
        ],
    }
    report = R.build_report(bucket=BUCKET, triage=triage, investigate={"bucket": BUCKET, "suspected_principals": []})
    assert report["verdict"] == "no_evidence"


def test_low_finding_alone_is_suspicious():
    triage = {"bucket": BUCKET, "findings": [finding("5f03", "Policy:S3/BucketBlockPublicAccessDisabled", 2.0)]}
    assert R.build_report(triage=triage)["verdict"] == "suspicious"


def test_suspect_allowed_unexpected_calls_is_compromised_without_findings():
    investigate = investigate_result()
    investigate["timeline"] = []
    report = R.build_report(
        investigate=investigate,
        authorization=authorization_result(
            "allowed_but_unexpected", [auth_call("s3:GetObject", "allowed_but_unexpected")]
        ),
    )
    assert report["verdict"] == "compromised"
    assert any("nobody expected: s3:GetObject" in r for r in report["verdict_reasons"])


def test_suspect_allowed_with_intent_unknown_is_named_in_the_reasons_but_not_compromised_by_that_alone():
    investigate = investigate_result()
    investigate["timeline"] = []
    calls = [
        auth_call("s3:PutBucketPolicy", "allowed_intent_unknown"),
        auth_call("s3:GetObject", "unauthorized", count=2, errors=2),
    ]
    report = R.build_report(
        investigate=investigate, authorization=authorization_result("allowed_intent_unknown", calls)
    )
    assert report["verdict"] == "suspicious"
    [reason] = [r for r in report["verdict_reasons"] if "intent" in r or "expected access" in r]
    assert reason.startswith("user/svc-legacy-backup (suspected) was allowed s3:PutBucketPolicy by the policies")
    assert "no expected access is declared" in reason and "s3:GetObject" not in reason


def test_intent_unknown_reason_stays_next_to_the_reasons_that_make_it_compromised():
    calls = [
        auth_call("s3:PutBucketPublicAccessBlock", "allowed_intent_unknown"),
        auth_call("s3:PutBucketPolicy", "allowed_intent_unknown"),
    ]
    report = R.build_report(
        investigate=investigate_result(), authorization=authorization_result("allowed_intent_unknown", calls)
    )
    assert report["verdict"] == "compromised"
    assert report["verdict_reasons"][0] == "user/svc-legacy-backup changed the bucket: DeleteBucketPublicAccessBlock"
    assert report["verdict_reasons"][-1] == (
        "user/svc-legacy-backup (suspected) was allowed s3:PutBucketPolicy, s3:PutBucketPublicAccessBlock by the "
        "policies, but no expected access is declared: whether that access was meant is unknown"
    )
    assert not any("nobody expected" in r for r in report["verdict_reasons"])


def test_intent_unknown_of_a_principal_nobody_suspects_is_not_a_reason():
    authorization = authorization_result(
        "allowed_intent_unknown", [auth_call("s3:GetObject", "allowed_intent_unknown")]
    )
    authorization["principals"][0]["principal"] = {"label": REPORTING, "arn": REPORTING, "type": "role"}
    report = R.build_report(investigate=investigate_result(), authorization=authorization)
    assert not any("expected access" in r for r in report["verdict_reasons"])


def test_authorization_section_says_once_how_to_resolve_intent_unknown():
    unknown = authorization_result(
        "allowed_intent_unknown",
        [
            auth_call("s3:PutBucketPolicy", "allowed_intent_unknown"),
            auth_call("s3:GetObject", "allowed_intent_unknown"),
        ],
    )
    unknown["principals"].append(copy.deepcopy(unknown["principals"][0]))
    unknown["principals"][1]["principal"] = {"label": REPORTING, "arn": REPORTING, "type": "role"}
    report = full_report(authorization=unknown)
    md_text, page = R.render_markdown(report), R.render_html(report)
    md_hint = [line for line in md_text.splitlines() if "`authorization_expected_access`" in line]
    assert len(md_hint) == 1 and "`cloudsec:expected-access`" in md_hint[0]
    assert md_text.index(md_hint[0]) > md_text.index("## Authorization")
    assert md_text.index(md_hint[0]) < md_text.index("| Action | Resource | Decision | Verdict")
    assert page.count("<code>authorization_expected_access</code>") == 1
    assert "<code>cloudsec:expected-access</code>" in page
    assert page.count('<tr class="unk">') == 4 and '<tr class="sus">' not in page.split("<h2>Authorization</h2>")[1]

    decided = full_report(authorization=authorization_result("authorized", [auth_call("s3:GetObject", "authorized")]))
    assert "authorization_expected_access" not in R.render_markdown(decided)
    assert "authorization_expected_access" not in R.render_html(decided)


def test_suspect_whose_calls_were_all_denied_is_only_suspicious():
    investigate = investigate_result()
    investigate["timeline"] = [change(0, "PutBucketPolicy", error="AccessDenied")]
    denied = [auth_call("s3:PutBucketPolicy", "unauthorized", count=3, errors=3)]
    report = R.build_report(investigate=investigate, authorization=authorization_result("unauthorized", denied))
    assert report["verdict"] == "suspicious"
    assert any("denied" in r for r in report["verdict_reasons"])


def test_unauthorized_call_that_still_succeeded_is_compromised():
    investigate = investigate_result()
    investigate["timeline"] = []
    calls = [auth_call("s3:GetObject", "unauthorized", count=4, errors=1)]
    report = R.build_report(investigate=investigate, authorization=authorization_result("unauthorized", calls))
    assert report["verdict"] == "compromised"
    assert any("judged unauthorized that succeeded" in r for r in report["verdict_reasons"])


def test_bucket_change_by_a_suspect_is_compromised_even_without_authorization_results():
    report = R.build_report(investigate=investigate_result())
    assert report["verdict"] == "compromised"
    assert "user/svc-legacy-backup changed the bucket: PutBucketPolicy" in report["verdict_reasons"]


def test_change_by_a_role_session_counts_for_the_suspected_role():
    role = "arn:aws:iam::123456789012:role/app-ingest"
    session = "arn:aws:sts::123456789012:assumed-role/app-ingest/acme-invoice-ingest"
    investigate = {
        "bucket": "acme-invoice-archive",
        "suspected_principals": [actor(role, "assumed_role", score=90)],
        "timeline": [change(3, "PutBucketVersioning", arn=session)],
    }
    report = R.build_report(investigate=investigate)
    assert report["verdict"] == "compromised"
    assert report["timeline_summary"]["changes"][0]["actor"] == role


def test_quiet_bucket_is_no_evidence_and_nothing_read_is_inconclusive():
    quiet = R.build_report(
        bucket=BUCKET,
        triage={"bucket": BUCKET, "findings": [], "has_findings": False},
        investigate={
            "bucket": BUCKET,
            "suspected_principals": [],
            "legitimate_principals": [actor(REPORTING, "assumed_role", score=5)],
        },
    )
    assert quiet["verdict"] == "no_evidence"
    assert R.build_report(bucket=BUCKET)["verdict"] == "inconclusive"


# ------------------------------------------------------------------------------------------------------------------
# JSON for the SIEM


def test_json_carries_the_keys_a_siem_ingests():
    report = full_report()
    doc = json.loads(R.render_json(report))
    for key in (
        "bucket",
        "incident_id",
        "verdict",
        "suspected_principals",
        "actions_taken",
        "generated_at",
        "mode",
        "findings",
        "timeline_summary",
    ):
        assert key in doc
    assert doc["bucket"] == BUCKET
    assert doc["incident_id"] == "INC-2026-0042"
    assert doc["mode"] == "full"
    assert doc["generated_at"] == "2026-11-29T23:10:00Z"
    assert [p["arn"] for p in doc["suspected_principals"]] == [ATTACKER]
    assert {a["action"] for a in doc["actions_taken"]} >= {"put_bucket_policy", "deactivate_access_key", "versioning"}
    assert doc["statements_to_fix"][0]["sid"] == "PublicRead"


def test_content_digest_ignores_only_the_time_of_writing():
    first = full_report(generated_at="2026-11-29T23:10:00Z")
    later = full_report(generated_at="2026-11-30T08:00:00Z")
    assert first["content_digest"] == later["content_digest"]
    other = full_report(contain={})
    assert other["content_digest"] != first["content_digest"]


def test_actions_carry_their_undo_command():
    report = full_report()
    by_action = {a["action"]: a for a in report["actions_taken"]}
    assert by_action["deactivate_access_key"]["undo"].startswith("ansible-playbook cloudsec.s3.restore")
    assert by_action["deactivate_access_key"]["target"] == ATTACKER
    assert by_action["put_bucket_policy"]["undo"].startswith("ansible-playbook cloudsec.s3.restore")
    assert by_action["versioning"]["undo"] == f"set versioning on {BUCKET} back to Disabled"
    assert by_action["versioning"]["fsbp"] == "S3.14"
    assert "encryption" not in by_action  # compliant controls are not actions
    assert all(a["status"] in ("done", "changed") for a in report["actions_taken"])


def test_check_mode_run_lists_actions_as_planned():
    contain = contain_result()
    report = full_report(contain=contain, check_mode=True, harden={})
    assert {a["status"] for a in report["containment"]} == {"planned"}
    assert "(check mode" in R.render_markdown(report)
    assert "would be applied" in " ".join(report["summary"]["what_was_done"])


def test_mode_is_inferred_from_the_steps_that_ran():
    assert R.build_report(triage=triage_result())["mode"] == "investigate"
    assert R.build_report(triage=triage_result(), contain=contain_result())["mode"] == "contain"
    assert R.build_report(triage=triage_result(), contain=contain_result(), harden=harden_result())["mode"] == "full"


# ------------------------------------------------------------------------------------------------------------------
# timeline


def test_events_are_counted_per_minute_by_actor_with_sessions_folded_into_the_role():
    t = R.build_report(investigate=investigate_result())["timeline_summary"]
    assert t["bin_minutes"] == 1
    assert t["start"] == "2026-11-29T17:00:00Z"
    series = {a["actor"]: a for a in t["actors"]}
    assert set(series) == {ATTACKER, REPORTING}
    assert series[ATTACKER]["bins"][:6] == [1, 4, 1, 0, 0, 1]
    assert sum(series[REPORTING]["bins"]) == 2
    assert t["actors"][0]["actor"] == ATTACKER  # suspected actors first
    assert [(c["event_name"], c["family"]) for c in t["access_changes"]] == [
        ("DeleteBucketPublicAccessBlock", "block_public_access"),
        ("PutBucketPolicy", "policy"),
    ]


def test_grouped_timeline_entries_fill_in_when_the_event_list_is_capped():
    investigate = investigate_result()
    investigate["events"] = investigate["events"][:1]
    investigate["events_truncated"] = True
    t = R.timeline_summary(investigate, [ATTACKER])
    attacker = next(a for a in t["actors"] if a["actor"] == ATTACKER)
    assert attacker["events"] == 7  # 5 grouped GetObject + 2 changes, instead of the 1 event kept
    assert t["events_truncated"] is True


def test_long_activity_is_charted_in_wider_bins():
    events = [
        {"time": f"2026-11-{day:02d}T{hour:02d}:00:00Z", "principal_arn": ATTACKER, "principal_kind": "iam_user"}
        for day in (28, 29)
        for hour in range(24)
    ]
    t = R.timeline_summary({"events": events}, [ATTACKER])
    assert t["bin_minutes"] > 1
    assert len(t["actors"][0]["bins"]) <= R.MAX_BINS
    assert sum(t["actors"][0]["bins"]) == 48


def test_svg_chart_is_well_formed_and_marks_each_change():
    report = full_report()
    svg = R.timeline_svg(report["timeline_summary"])
    root = ET.fromstring(svg[: svg.index("</svg>") + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    marks = [g for g in root.iter(f"{ns}g") if g.get("class") == "mark"]
    assert len(marks) == 2
    assert [m.find(f"{ns}text").text for m in marks] == ["A", "B"]
    assert "PutBucketPolicy" in marks[1].find(f"{ns}title").text
    assert len([r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]) >= 4


# ------------------------------------------------------------------------------------------------------------------
# escaping and self-containment


def test_html_escapes_attacker_controlled_values_and_loads_nothing_external():
    page = R.render_html(full_report())
    assert "<script" not in page.lower()
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert not re.search(r"\b(src|href)\s*=", page.replace("img src=x", ""), re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]


def test_html_is_well_formed_with_hostile_input():
    page = R.render_html(full_report())
    body = page.split("\n", 1)[1].replace("<!DOCTYPE html>", "")
    body = re.sub(r"<meta [^>]*>", "", body)
    ET.fromstring(body)  # escaped values cannot open or close elements


def test_very_long_user_agent_is_truncated_in_human_reports_but_kept_in_json():
    report = full_report()
    assert HOSTILE_AGENT in R.render_json(report)
    for text in (R.render_html(report), R.render_markdown(report)):
        assert "A" * (R.MAX_TEXT + 10) not in text
        assert "…" in text


def test_markdown_neutralises_html_links_and_table_breaking_pipes():
    text = R.render_markdown(full_report())
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert not re.search(r"(?<!\\)\]\(javascript:", text)
    assert "\\[click\\]" in text
    for line in text.splitlines():
        if line.startswith("| High (8) | Policy:S3/BucketAnonymousAccessGranted"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 9  # 8 cells, the title's pipe escaped


def test_report_sections_are_all_present_in_both_human_formats():
    report = full_report()
    md_text = R.render_markdown(report)
    page = R.render_html(report)
    for heading in (
        "Summary",
        "Findings",
        "Actors",
        "Timeline",
        "Authorization",
        "Containment",
        "Hardening",
        "Evidence",
    ):
        assert f"## {heading}" in md_text
        assert f"<h2>{heading}</h2>" in page
    assert "snapshot-001-20261129T224624Z/manifest.json" in md_text
    assert "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" in page
    assert "Remove statement &#x27;PublicRead&#x27;" in page
    assert "<svg" in page


@pytest.mark.parametrize(
    "broken",
    [
        {"triage": {"findings": [None, "x", {"severity": "high?"}]}},
        {
            "investigate": {
                "suspected_principals": ["arn:aws:iam::1:user/a"],
                "timeline": [{"time": "not a time"}],
                "events": [{"time": None}],
            }
        },
        {"authorization": {"principals": [{"principal": None, "calls": [None]}], "excessive_permissions": "x"}},
        {
            "contain": {"actions": ["quarantined"], "principals": {"actions": [{"action": "x"}]}},
            "harden": {"controls": [{"name": "bpa", "status": "would_change"}]},
            "evidence": {"files": "x"},
        },
    ],
)
def test_partial_or_odd_step_results_still_render(broken):
    report = R.build_report(bucket=BUCKET, incident_id="INC-1", **copy.deepcopy(broken))
    assert report["verdict"] in R.VERDICTS
    assert R.render_markdown(report) and R.render_html(report)
    json.loads(R.render_json(report))


def test_summary_has_five_lines_naming_verdict_and_path():
    lines = R.summary_lines(full_report(), "/cases/INC-2026-0042/acme-customer-exports/report.html")
    assert len(lines) == 5
    assert "COMPROMISED" in lines[0] and BUCKET in lines[0]
    assert "user/svc-legacy-backup" in lines[2]
    assert lines[4].endswith("report.html")


def test_contain_role_shape_is_not_counted_twice():
    undo = f"ansible-playbook cloudsec.s3.restore -e bucket={BUCKET} -e incident_id=INC-2026-0042"
    key_action = {"action": "deactivate_access_key", "detail": "AKIARZPUZDIKE5E2VO5T", "undo": "reactivate it"}
    contain = {
        "incident_id": "INC-2026-0042",
        "undo_command": undo,
        "actions": [dict(key_action, target=ATTACKER, undo_command=undo)],
        "principals": [{"principal": ATTACKER, "actions": [key_action]}],
    }
    actions = R.build_report(bucket=BUCKET, contain=contain)["containment"]
    assert [(a["action"], a["target"], a["undo"]) for a in actions] == [("deactivate_access_key", ATTACKER, undo)]


def test_stopped_response_lists_steps_done_and_left():
    from ansible_collections.cloudsec.s3.plugins.module_utils import report as R

    built = R.build_report(
        bucket="victim-bucket",
        incident_id="inc-9",
        mode="full",
        triage={"bucket": "victim-bucket", "findings": []},
        investigate={"bucket": "victim-bucket"},
        failure={"task": "Quarantine the bucket", "message": "AccessDenied: s3:PutBucketPolicy"},
    )
    assert built["steps_done"] == ["triage", "investigate"]
    assert built["steps_left"] == ["authorization", "evidence", "contain", "harden"]
    lines = R.summary_lines(built, "/tmp/report.html")
    assert lines[0].startswith("The response STOPPED at: Quarantine the bucket: AccessDenied")
    assert lines[-1] == "Steps left: authorization, evidence, contain, harden"
    assert "STOPPED at" in R.render_markdown(built)
    assert "Steps left: authorization, evidence, contain, harden" in R.render_html(built)

    finished = R.build_report(
        bucket="victim-bucket",
        incident_id="inc-9",
        mode="investigate",
        triage={"bucket": "victim-bucket"},
        investigate={"bucket": "victim-bucket"},
        authorization={"bucket": "victim-bucket"},
    )
    assert finished["failure"] is None and finished["steps_left"] == []
    assert not any("STOPPED" in line for line in R.summary_lines(finished))

"""`cloudsec.s3.baseline` (audit with --check, then enforce) and the harden role, against the sandbox."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.playbook

QUARANTINE = {
    "Sid": "CloudsecQuarantineDenyAll",
    "Effect": "Deny",
    "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/incident-responder"},
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::acme-customer-exports", "arn:aws:s3:::acme-customer-exports/*"],
}


def bucket_state(s3, bucket):
    state = {"versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status")}
    try:
        state["bpa"] = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        state["bpa"] = None
    try:
        state["policy"] = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        state["policy"] = None
    return state


def test_check_run_writes_drift_report_then_enforce_run_is_idempotent(sandbox, playbook, tmp_path):
    s3 = sandbox.client("s3")
    for name in ("acme-alpha", "acme-beta", "other-gamma"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket="acme-beta", VersioningConfiguration={"Status": "Enabled"})
    args = ["-e", "baseline_bucket_pattern=acme-*", "-e", f"baseline_report_dir={tmp_path}"]
    before = {b: bucket_state(s3, b) for b in ("acme-alpha", "acme-beta")}

    rc, result = playbook("cloudsec.s3.baseline", "--check", *args)
    assert rc == 0, result
    assert {b: bucket_state(s3, b) for b in ("acme-alpha", "acme-beta")} == before
    report = json.loads((tmp_path / "baseline-report.json").read_text())
    assert report["mode"] == "audit"
    assert [b["name"] for b in report["buckets"]] == ["acme-alpha", "acme-beta"]
    alpha = report["buckets"][0]["controls"]
    assert alpha["versioning"]["status"] == "would_change"
    assert report["buckets"][1]["controls"]["versioning"]["status"] == "compliant"
    assert report["account"]["public_access_block_status"] == "would_change"
    markdown = (tmp_path / "baseline-report.md").read_text()
    assert "| bucket | public_access_block (S3.8 / CIS 2.1.4) |" in markdown
    assert "| acme-alpha | would_change | would_change | would_change | would_change |" in markdown
    assert report["report"]["html"] == str(tmp_path / "baseline-report.html")
    assert '<tr class="sus"><td>acme-alpha</td><td>would_change</td>' in (tmp_path / "baseline-report.html").read_text()

    rc, result = playbook("cloudsec.s3.baseline", *args)
    assert rc == 0, result
    report = json.loads((tmp_path / "baseline-report.json").read_text())
    assert report["mode"] == "enforce" and report["changed"] is True
    assert bucket_state(s3, "acme-alpha")["versioning"] == "Enabled"
    assert bucket_state(s3, "other-gamma")["versioning"] is None

    rc, result = playbook("cloudsec.s3.baseline", *args)
    assert rc == 0, result
    report = json.loads((tmp_path / "baseline-report.json").read_text())
    assert report["changed"] is False
    assert report["summary"]["compliant_buckets"] == 2


def test_harden_keeps_the_quarantine_statement(sandbox, playbook):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="acme-customer-exports")
    s3.put_bucket_policy(
        Bucket="acme-customer-exports", Policy=json.dumps({"Version": "2012-10-17", "Statement": [QUARANTINE]})
    )
    rc, result = playbook("tests/integration/playbooks/baseline_harden.yml")
    assert rc == 0, result
    [published] = playbook.tasks(result, "cloudsec.s3.harden : Publish the harden result")
    harden = published["ansible_facts"]["harden_result"]
    assert harden["bucket"] == "acme-customer-exports"
    assert harden["controls"]["policy_tls_only"]["status"] == "changed"
    sids = [s["Sid"] for s in json.loads(bucket_state(s3, "acme-customer-exports")["policy"])["Statement"]]
    assert sids == ["CloudsecQuarantineDenyAll", "CloudsecDenyInsecureTransport", "CloudsecDenyNonSigV4"]

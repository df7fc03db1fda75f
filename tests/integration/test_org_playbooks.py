"""baseline.yml and triage_org.yml over the accounts inventory (cloudsec.s3.aws_accounts) of a sandbox organization:
three member accounts, one whose responder role cannot be assumed. Two ansible-playbook runs in all."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from types import SimpleNamespace

import pytest

from sandbox import clients
from sandbox.organization import seed_organization

pytestmark = pytest.mark.playbook


def _finding(fid: str, account: str, bucket: str, severity: float, last_seen: str) -> dict:
    return {
        "id": fid,
        "accountId": account,
        "type": "Exfiltration:S3/MaliciousIPCaller",
        "severity": severity,
        "title": f"S3 API GetObject on {bucket} from a known malicious IP address",
        "region": "us-east-1",
        "createdAt": last_seen,
        "updatedAt": last_seen,
        "resource": {
            "resourceType": "S3Bucket",
            "s3BucketDetails": [{"name": bucket, "arn": f"arn:aws:s3:::{bucket}", "type": "Destination"}],
        },
        "service": {
            "serviceName": "guardduty",
            "archived": False,
            "count": 4,
            "eventFirstSeen": last_seen,
            "eventLastSeen": last_seen,
        },
    }


@pytest.fixture
def org(sandbox, tmp_path):
    """The seeded organization (no account suspended, member 1 without its role), its inventory file, and GuardDuty
    findings in members 0 and 2 that only the sandbox account (the delegated administrator) sees all of."""
    endpoint = sandbox.endpoint
    seeded = seed_organization(endpoint, {"accounts": 3, "unassumable": [1], "suspended": []})
    members = seeded["accounts"]
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    older = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    findings = [
        _finding("f-prod-high", members[0]["id"], members[0]["buckets"][0], 8.0, older),
        _finding("f-prod-low", members[0]["id"], members[0]["buckets"][1], 2.0, stamp),
        _finding("f-sec-high-1", members[2]["id"], members[2]["buckets"][0], 8.0, stamp),
        _finding("f-sec-high-2", members[2]["id"], members[2]["buckets"][0], 5.0, stamp),
    ]
    clients.seed(endpoint, {"guardduty_findings": findings})
    inventory = tmp_path / "members.aws_accounts.yml"
    inventory.write_text("plugin: cloudsec.s3.aws_accounts\ninclude_management_account: false\n")
    return SimpleNamespace(seeded=seeded, members=members, inventory=inventory, work=tmp_path)


def check_baseline_reports_each_accounts_buckets_and_the_unassumable_one(org, playbook):
    report_dir = org.work / "baseline"
    rc, result = playbook(
        "cloudsec.s3.baseline",
        "-i",
        str(org.inventory),
        "--check",
        "--forks",
        "3",
        "-e",
        f"baseline_report_dir={report_dir}",
    )
    unassumable = org.members[1]
    assert rc != 0, "a failed account must make the run fail at the end"
    (final,) = playbook.tasks(result, "Fail when an account failed, naming it")
    assert final["failed"] and f"in 1 of 3 account(s): {unassumable['name']}: sts:AssumeRole" in final["msg"]

    report = json.loads((report_dir / "org-baseline-report.json").read_text())
    assert report["mode"] == "audit" and report["summary"]["accounts"] == 3
    by_id = {a["account_id"]: a for a in report["accounts"]}
    assert set(by_id) == {m["id"] for m in org.members}
    failed = by_id[unassumable["id"]]
    assert failed["status"] == "failed"
    assert unassumable["role_arn"] in failed["error"] and "sts:AssumeRole" in failed["error"]
    assert [a["account_id"] for a in report["failed_accounts"]] == [unassumable["id"]]
    for member in (org.members[0], org.members[2]):
        assert by_id[member["id"]]["status"] == "ok"
        listed = sorted(b["name"] for b in report["buckets"] if b["account_id"] == member["id"])
        assert listed == sorted(member["buckets"]), "each account lists exactly its own buckets"
        own = json.loads((report_dir / member["id"] / "baseline-report.json").read_text())
        assert own["account"]["account_id"] == member["id"]
        assert by_id[member["id"]]["statuses"]["would_change"] > 0  # the seed leaves drift
    assert not [b for b in report["buckets"] if b["account_id"] == unassumable["id"]]
    markdown = (report_dir / "org-baseline-report.md").read_text()
    assert f"{unassumable['name']} ({unassumable['id']}, host {unassumable['name']})" in markdown


def check_triage_from_the_delegated_administrator_ranks_buckets_across_accounts(org, playbook):
    report_dir = org.work / "triage"
    rc, result = playbook(
        "cloudsec.s3.triage_org", "-i", str(org.inventory), "-e", f"org_triage_report_dir={report_dir}"
    )
    assert rc == 0, result
    report = json.loads((report_dir / "org-triage-report.json").read_text())
    prod, dev, sec = org.members
    ranked = [(b["account_id"], b["name"], b["finding_count"]) for b in report["buckets"]]
    assert ranked == [
        (sec["id"], sec["buckets"][0], 2),  # High, two findings
        (prod["id"], prod["buckets"][0], 1),  # High, one finding
        (prod["id"], prod["buckets"][1], 1),  # Low
    ]
    counts = {a["account_id"]: (a["findings"], a["affected_buckets"], a["status"]) for a in report["accounts"]}
    assert counts == {prod["id"]: (2, 2, "ok"), dev["id"]: (0, 0, "ok"), sec["id"]: (2, 1, "ok")}
    assert report["mode"] == "delegated_admin"


def test_organization_baseline_and_triage_over_the_accounts_inventory(org, playbook):
    """One seeded organization for both runs: seeding and resetting the sandbox cost more than either run."""
    check_baseline_reports_each_accounts_buckets_and_the_unassumable_one(org, playbook)
    check_triage_from_the_delegated_administrator_ranks_buckets_across_accounts(org, playbook)

"""baseline.yml and triage_org.yml over the accounts inventory (cloudsec.s3.aws_accounts) of a sandbox organization:
three member accounts, one whose responder role cannot be assumed, with GuardDuty findings in two regions. Five
ansible-playbook runs in all: the baseline, the triage in one region and in two, a triage over a third region
without a GuardDuty detector, and a triage with a bad region name."""

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

READ_TASK = "List GuardDuty S3 findings (a delegated administrator sees every member account's)"


def _finding(fid: str, account: str, bucket: str, severity: float, last_seen: str, region: str = "us-east-1") -> dict:
    return {
        "id": fid,
        "accountId": account,
        "type": "Exfiltration:S3/MaliciousIPCaller",
        "severity": severity,
        "title": f"S3 API GetObject on {bucket} from a known malicious IP address",
        "region": region,
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
    findings in members 0 and 2, in us-east-1 and eu-west-1, that only the sandbox account (the delegated
    administrator) sees all of. No account has a detector in ap-southeast-2."""
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
        _finding("f-prod-eu", members[0]["id"], members[0]["buckets"][1], 9.0, stamp, region="eu-west-1"),
        _finding("f-sec-eu", members[2]["id"], members[2]["buckets"][1], 3.0, older, region="eu-west-1"),
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
    assert report["regions"] == ["us-east-1"] and report["failed_regions"] == []  # eu-west-1 is not read


def check_triage_over_two_regions_merges_them_into_one_report(org, playbook):
    report_dir = org.work / "triage-regions"
    rc, result = playbook(
        "cloudsec.s3.triage_org",
        "-i",
        str(org.inventory),
        "-e",
        "org_triage_regions=[us-east-1,eu-west-1]",
        "-e",
        f"org_triage_report_dir={report_dir}",
    )
    assert rc == 0, result
    (read,) = playbook.tasks(result, READ_TASK)
    assert [r["item"] for r in read["results"]] == ["us-east-1", "eu-west-1"], "one read per region, from the admin"
    report = json.loads((report_dir / "org-triage-report.json").read_text())
    prod, dev, sec = org.members
    ranked = [(b["account_id"], b["name"], b["regions"], b["finding_count"]) for b in report["buckets"]]
    assert ranked == [
        (prod["id"], prod["buckets"][1], ["eu-west-1", "us-east-1"], 2),  # Critical in eu-west-1, Low in us-east-1
        (sec["id"], sec["buckets"][0], ["us-east-1"], 2),
        (prod["id"], prod["buckets"][0], ["us-east-1"], 1),
        (sec["id"], sec["buckets"][1], ["eu-west-1"], 1),  # Low, only in eu-west-1
    ]
    regions = {fid: region for b in report["buckets"] for fid, region in b["finding_regions"].items()}
    assert regions == {
        "f-prod-high": "us-east-1",
        "f-prod-low": "us-east-1",
        "f-sec-high-1": "us-east-1",
        "f-sec-high-2": "us-east-1",
        "f-prod-eu": "eu-west-1",
        "f-sec-eu": "eu-west-1",
    }
    counts = {a["account_id"]: (a["findings"], a["affected_buckets"]) for a in report["accounts"]}
    assert counts == {prod["id"]: (3, 2), dev["id"]: (0, 0), sec["id"]: (3, 2)}
    assert report["regions"] == ["us-east-1", "eu-west-1"] and report["failed_regions"] == []
    markdown = (report_dir / "org-triage-report.md").read_text()
    assert f"| 1 | {prod['buckets'][1]} | {prod['name']} | {prod['id']} | eu-west-1, us-east-1 |" in markdown


def check_triage_per_account_over_a_region_without_detector_fails_naming_it(org, playbook):
    """Per account, three regions: the members' own findings of us-east-1 and eu-west-1 are reported, ap-southeast-2
    (no detector) is reported as failed for each assumed account, and the run fails at the end naming them."""
    report_dir = org.work / "triage-no-detector"
    rc, result = playbook(
        "cloudsec.s3.triage_org",
        "-i",
        str(org.inventory),
        "--forks",
        "3",
        "-e",
        "org_triage_mode=per_account",
        "-e",
        json.dumps({"org_triage_regions": ["us-east-1", "eu-west-1", "ap-southeast-2"]}),
        "-e",
        f"org_triage_report_dir={report_dir}",
    )
    prod, dev, sec = org.members
    assert rc != 0, "a region that cannot be read must make the run fail at the end"
    (final,) = playbook.tasks(result, "Fail when an account or a region could not be read, naming it")
    assert final["failed"]
    assert f"Findings could not be read in 1 account(s): {dev['name']}: sts:AssumeRole" in final["msg"]
    no_detector = "GuardDuty is not enabled in region ap-southeast-2: no detector found"
    assert "Findings could not be read in 2 region(s): " in final["msg"]
    for member in (prod, sec):
        assert f"{member['name']} ap-southeast-2: {no_detector}" in final["msg"]
    assert "eu-west-1:" not in final["msg"] and "us-east-1:" not in final["msg"]

    report = json.loads((report_dir / "org-triage-report.json").read_text())
    assert report["mode"] == "per_account"
    assert report["regions"] == ["us-east-1", "eu-west-1", "ap-southeast-2"]
    assert sorted(b["name"] for b in report["buckets"]) == sorted(prod["buckets"] + sec["buckets"])
    by_id = {a["account_id"]: a for a in report["accounts"]}
    assert {k: (a["status"], a["findings"], a["failed_regions"]) for k, a in by_id.items()} == {
        prod["id"]: ("ok", 3, ["ap-southeast-2"]),
        dev["id"]: ("failed", 0, []),
        sec["id"]: ("ok", 3, ["ap-southeast-2"]),
    }
    failed = [(r["account_id"], r["region"]) for r in report["failed_regions"]]
    assert sorted(failed) == sorted([(prod["id"], "ap-southeast-2"), (sec["id"], "ap-southeast-2")])
    assert all(no_detector in r["error"] for r in report["failed_regions"])
    markdown = (report_dir / "org-triage-report.md").read_text()
    assert f"- {prod['name']} ({prod['id']}, host {prod['name']}) region ap-southeast-2: {no_detector}" in markdown
    page = (report_dir / "org-triage-report.html").read_text()
    assert "<h2>Failed regions</h2>" in page and f"{sec['name']} ({sec['id']}, host {sec['name']}) region" in page


def check_triage_from_the_administrator_names_it_for_a_region_without_detector(org, playbook):
    report_dir = org.work / "triage-admin-no-detector"
    rc, result = playbook(
        "cloudsec.s3.triage_org",
        "-i",
        str(org.inventory),
        "-e",
        "org_triage_regions=us-east-1,ap-southeast-2",
        "-e",
        f"org_triage_report_dir={report_dir}",
    )
    assert rc != 0
    (final,) = playbook.tasks(result, "Fail when an account or a region could not be read, naming it")
    admin = "the GuardDuty delegated administrator (ambient credentials)"
    assert f"{admin} ap-southeast-2: GuardDuty is not enabled in region ap-southeast-2" in final["msg"], final["msg"]
    assert "localhost" not in final["msg"]
    report = json.loads((report_dir / "org-triage-report.json").read_text())
    assert [(r["account_name"], r["region"]) for r in report["failed_regions"]] == [(admin, "ap-southeast-2")]
    assert len(report["buckets"]) == 3, "the findings of us-east-1 are still reported"


def check_triage_refuses_a_bad_region_name_before_reading(org, playbook):
    rc, result = playbook(
        "cloudsec.s3.triage_org",
        "-e",
        "org_triage_regions=us-east-1,eu-west",
        "-e",
        f"org_triage_report_dir={org.work}",
    )
    assert rc != 0
    (check,) = playbook.tasks(result, "Check the regions")
    assert check["failed"] and '"eu-west" is not a region name' in check["msg"]
    assert not playbook.tasks(result, READ_TASK)


def test_organization_baseline_and_triage_over_the_accounts_inventory(org, playbook):
    """One seeded organization for both runs: seeding and resetting the sandbox cost more than either run."""
    check_baseline_reports_each_accounts_buckets_and_the_unassumable_one(org, playbook)
    check_triage_from_the_delegated_administrator_ranks_buckets_across_accounts(org, playbook)
    check_triage_over_two_regions_merges_them_into_one_report(org, playbook)
    check_triage_per_account_over_a_region_without_detector_fails_naming_it(org, playbook)
    check_triage_from_the_administrator_names_it_for_a_region_without_detector(org, playbook)
    check_triage_refuses_a_bad_region_name_before_reading(org, playbook)

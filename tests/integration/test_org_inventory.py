"""Organization scale: the sandbox organization, the aws_accounts inventory and the per-account credentials role."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox import ACCOUNT_ID
from sandbox import clients
from sandbox import organization

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
REPO = Path(__file__).resolve().parents[2]
LOCALHOST = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}


class Inventory:
    """Write ``<name>.aws_accounts.yml`` files and run ``ansible-inventory --list`` on them against the sandbox."""

    def __init__(self, sandbox: Any, tools_env: dict[str, str], tmp_path: Path) -> None:
        self.env = dict(tools_env)
        self.env.update(clients.client_env(sandbox.endpoint))
        self.env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true"
        self.tmp_path = tmp_path

    def run(self, name: str, config: dict[str, Any], *args: str) -> subprocess.CompletedProcess:
        path = self.tmp_path / f"{name}.aws_accounts.yml"
        path.write_text(json.dumps({"plugin": "cloudsec.s3.aws_accounts", **config}))
        return subprocess.run(
            [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def list(self, name: str, config: dict[str, Any], *args: str) -> dict[str, Any]:
        proc = self.run(name, config, *args)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout, object_hook=plain)


def plain(obj: dict[str, Any]) -> Any:
    """ansible-core 2.19 marks inventory plugin strings as untrusted in --list output: read them as strings."""
    return obj["__ansible_unsafe"] if set(obj) == {"__ansible_unsafe"} else obj


def hosts_of(listing: dict[str, Any], group: str) -> set[str]:
    """Every host in ``group`` and its child groups."""
    entry = listing.get(group, {})
    found = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        found |= hosts_of(listing, child)
    return found


@pytest.mark.slow
def test_inventory_lists_the_organization_filters_groups_caches_and_explains_missing_access(
    sandbox: Any, tools_env: dict[str, str], tmp_path: Path
) -> None:
    inventory = Inventory(sandbox, tools_env, tmp_path)
    static = [{"id": "210987654321", "name": "legacy", "tags": {"env": "prod"}, "ou_path": "Legacy"}]

    # no organization yet: a clear error naming the call and the way out, or the static fallback
    proc = inventory.run("noorg", {})
    assert proc.returncode != 0
    assert "AWSOrganizationsNotInUseException on organizations:DescribeOrganization" in proc.stderr
    assert "source: static" in proc.stderr
    fallback = inventory.list("fallback", {"accounts": static})
    assert hosts_of(fallback, "aws_accounts") == {"legacy"}
    assert hosts_of(fallback, "ou_root_legacy") == {"legacy"}
    listing = inventory.list(
        "static",
        {"source": "static", "accounts": static, "regions": ["eu-west-1"], "external_id": "{{ 'xid-' ~ 'static' }}"},
    )
    assert listing["_meta"]["hostvars"]["legacy_eu-west-1"]["aws_region"] == "eu-west-1"
    assert listing["_meta"]["hostvars"]["legacy_eu-west-1"]["assume_role_external_id"] == "xid-static"
    proc = inventory.run(
        "badarn", {"source": "static", "accounts": static, "role_arn_template": "arn:aws:iam::{account_name}:role/r"}
    )
    assert (
        proc.returncode != 0 and "arn:aws:iam::{account_name}:role/r" in proc.stderr and "210987654321" in proc.stderr
    )

    org = organization.seed_organization(sandbox.endpoint, {"accounts": 3, "buckets_per_account": 0})
    prod, dev, suspended = org["accounts"]
    assert suspended["status"] == "SUSPENDED"

    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    listing = inventory.list("org", cache)
    hostvars = listing["_meta"]["hostvars"]
    assert hosts_of(listing, "aws_accounts") == {"master", prod["name"], dev["name"]}  # SUSPENDED filtered out
    assert hostvars["master"]["is_management_account"] is True
    assert hosts_of(listing, "ou_root_workloads") == {prod["name"], dev["name"]}
    assert hosts_of(listing, "ou_root_workloads_prod") == {prod["name"]}
    assert "ou_root_workloads_prod" in listing["ou_root_workloads"]["children"]
    assert hosts_of(listing, "tag_env_prod") == {prod["name"]}
    assert hosts_of(listing, f"tag_team_{dev['tags']['team']}") == {dev["name"]}
    host = hostvars[prod["name"]]
    assert host["account_id"] == prod["id"] and host["ou_path"] == "Root/Workloads/Prod"
    assert host["ou_id"] == org["ous"]["Root/Workloads/Prod"] and host["account_tags"] == prod["tags"]
    assert host["assume_role_arn"] == prod["role_arn"] and host["account_status"] == "ACTIVE"
    assert host["account_email"] == prod["email"] and host["account_arn"].endswith(f"/{prod['id']}")

    # the cache answers until it is flushed
    sandbox.client("organizations").create_account(AccountName="late-04", Email="late-04@example.com")
    assert "late-04" not in hosts_of(inventory.list("org", cache), "aws_accounts")
    assert "late-04" in hosts_of(inventory.list("org", cache, "--flush-cache"), "aws_accounts")

    filtered = inventory.list(
        "filtered",
        {
            "include_management_account": False,
            "include_ous": ["Workloads"],
            "include_tags": {"env": "dev"},
            "regions": ["us-east-1", "eu-west-1"],
            "external_id": "xid-42",
            "statuses": ["ACTIVE", "SUSPENDED"],
        },
    )
    assert set(filtered["_meta"]["hostvars"]) == {f"{dev['name']}_us-east-1", f"{dev['name']}_eu-west-1"}
    region_host = filtered["_meta"]["hostvars"][f"{dev['name']}_eu-west-1"]
    assert region_host["aws_region"] == "eu-west-1" and region_host["assume_role_external_id"] == "xid-42"
    assert suspended["name"] not in {h.rsplit("_", 1)[0] for h in filtered["_meta"]["hostvars"]}


@pytest.mark.slow
def test_account_role_reports_unassumable_account_and_others_complete(
    sandbox: Any, playbook: Any, tmp_path: Path
) -> None:
    org = organization.seed_organization(
        sandbox.endpoint, {"accounts": 2, "buckets_per_account": 1, "suspended": [], "unassumable": [1]}
    )
    good, bad = org["accounts"]
    # the organization through the inventory plugin, plus localhost (ambient credentials) from a second source
    (tmp_path / "org.aws_accounts.yml").write_text(json.dumps({"plugin": "cloudsec.s3.aws_accounts"}))
    (tmp_path / "local.yml").write_text(json.dumps({"all": {"hosts": {"localhost": LOCALHOST}}}))
    rc, result = playbook(
        str(PLAYBOOKS / "org_accounts.yml"),
        "-i",
        str(tmp_path / "org.aws_accounts.yml"),
        "-i",
        str(tmp_path / "local.yml"),
    )
    assert rc == 0, [
        h.get("msg") for p in result["plays"] for t in p["tasks"] for h in t["hosts"].values() if h.get("failed")
    ]

    def per_host(task_name: str) -> dict[str, Any]:
        return {
            h: r
            for play in result["plays"]
            for t in play["tasks"]
            if t["task"]["name"] == task_name
            for h, r in t["hosts"].items()
        }

    # the assumable account and the ambient host ran every task, each in its own account
    callers = per_host("Ask STS who we are")
    assert {h: r["account"] for h, r in callers.items()} == {
        good["name"]: good["id"],
        "master": ACCOUNT_ID,
        "localhost": ACCOUNT_ID,
    }
    assert ":assumed-role/cloudsec-s3-responder/cloudsec-s3-master" in callers["master"]["arn"]
    assert ":assumed-role/" not in callers["localhost"]["arn"]
    listed = per_host("List this account's buckets with a cloudsec.s3 module")
    assert [b["name"] for b in listed[good["name"]]["buckets"]] == good["buckets"]
    assert listed["localhost"]["buckets"] == listed["master"]["buckets"] == []
    # the report play sees every account, the unassumable one as failed with its role ARN and the AWS error
    report = {a["account_name"]: a for a in per_host("Show the accounts")["localhost"]["msg"]}
    assert report[good["name"]]["status"] == "ok" and report[good["name"]]["account_id"] == good["id"]
    failed = report[bad["name"]]
    assert failed["status"] == "failed" and failed["account_id"] == bad["id"]
    assert bad["role_arn"] in failed["error"] and "AccessDenied" in failed["error"]
    assert report["localhost"]["status"] == "ok" and report["master"]["status"] == "ok"

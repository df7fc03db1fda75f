"""Organization scale: the sandbox organization, the aws_accounts inventory and the per-account credentials role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox import ACCOUNT_ID
from sandbox import organization

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


@pytest.mark.slow
def test_account_role_reports_unassumable_account_and_others_complete(
    sandbox: Any, playbook: Any, tmp_path: Path
) -> None:
    org = organization.seed_organization(
        sandbox.endpoint, {"accounts": 2, "buckets_per_account": 1, "suspended": [], "unassumable": [1]}
    )
    good, bad = org["accounts"]
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "hosts": {
                "good": {"assume_role_arn": good["role_arn"], "account_name": good["name"]},
                "bad": {"assume_role_arn": bad["role_arn"], "account_name": bad["name"]},
                "localhost": {},
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(json.dumps(inventory))
    rc, result = playbook(str(PLAYBOOKS / "org_accounts.yml"), "-i", str(tmp_path / "hosts.yml"))
    assert rc == 0, json.dumps(result)[-3000:]

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
    assert {h: r["account"] for h, r in callers.items()} == {"good": good["id"], "localhost": ACCOUNT_ID}
    listed = per_host("List this account's buckets with a cloudsec.s3 module")
    assert [b["name"] for b in listed["good"]["buckets"]] == good["buckets"]
    assert listed["localhost"]["buckets"] == []
    # the report play sees every account, the unassumable one as failed with its role ARN and the AWS error
    report = {a["account_name"]: a for a in per_host("Show the accounts")["localhost"]["msg"]}
    assert report[good["name"]]["status"] == "ok" and report[good["name"]]["account_id"] == good["id"]
    failed = report[bad["name"]]
    assert failed["status"] == "failed" and failed["account_id"] == bad["id"]
    assert bad["role_arn"] in failed["error"] and "AccessDenied" in failed["error"]
    assert report["localhost"]["status"] == "ok"

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the aws_accounts inventory: filters, host names, role ARNs, groups."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.cloudsec.s3.plugins.module_utils import org_inventory as inv

TEMPLATE = inv.DEFAULT_ROLE_ARN_TEMPLATE


def account(account_id: str, name: str, **extra: Any) -> dict[str, Any]:
    record = {"id": account_id, "name": name, "email": f"{name}@example.com", "status": "ACTIVE", "tags": {}}
    record.update(extra)
    return record


ORG = [
    account("111111111111", "management", ou_path="Root", ou_id="r-ab12", ou_ids=["r-ab12"]),
    account(
        "222222222222",
        "payments-prod",
        ou_path="Root/Workloads/Prod",
        ou_id="ou-ab12-prod",
        ou_ids=["r-ab12", "ou-ab12-work", "ou-ab12-prod"],
        tags={"env": "prod", "team": "payments"},
    ),
    account(
        "333333333333",
        "data-dev",
        ou_path="Root/Workloads/Dev",
        ou_id="ou-ab12-dev",
        ou_ids=["r-ab12", "ou-ab12-work", "ou-ab12-dev"],
        tags={"env": "dev", "team": "data"},
    ),
    account("444444444444", "old", status="SUSPENDED", ou_path="Root/Security", ou_id="ou-ab12-sec"),
    account("555555555555", "workloadsx", ou_path="Root/WorkloadsX", ou_id="ou-ab12-wx"),
]


def select(**options: Any) -> list[str]:
    kwargs: dict[str, Any] = {
        "statuses": ["ACTIVE"],
        "include_ous": [],
        "exclude_ous": [],
        "include_tags": {},
        "exclude_accounts": [],
        "include_management_account": True,
        "management_account_id": "111111111111",
    }
    kwargs.update(options)
    return [a["name"] for a in inv.select_accounts(ORG, **kwargs)]


def test_suspended_accounts_are_dropped_unless_asked_for() -> None:
    assert "old" not in select()
    assert select(statuses=["SUSPENDED"]) == ["old"]
    assert "old" in select(statuses=[])


def test_ou_path_filter_matches_the_ou_and_below_but_not_a_sibling_with_the_same_prefix() -> None:
    assert select(include_ous=["Root/Workloads"]) == ["payments-prod", "data-dev"]
    assert select(include_ous=["Workloads/Prod/"]) == ["payments-prod"]
    assert select(exclude_ous=["Workloads"]) == ["management", "workloadsx"]


def test_ou_id_filter_also_matches_accounts_in_sub_ous() -> None:
    assert select(include_ous=["ou-ab12-work"]) == ["payments-prod", "data-dev"]
    assert select(include_ous=["ou-ab12-dev"]) == ["data-dev"]


def test_tag_filter_needs_every_tag_to_match() -> None:
    assert select(include_tags={"env": "prod"}) == ["payments-prod"]
    assert select(include_tags={"env": "prod", "team": "data"}) == []


def test_management_account_and_excluded_accounts_are_dropped() -> None:
    assert "management" not in select(include_management_account=False)
    assert select(exclude_accounts=["222222222222", "data-dev"]) == ["management", "workloadsx"]


def build(accounts: list[dict[str, Any]], **options: Any) -> list[tuple[str, dict[str, Any]]]:
    kwargs: dict[str, Any] = {
        "regions": [],
        "hostname_template": inv.DEFAULT_HOSTNAME_TEMPLATE,
        "role_arn_template": TEMPLATE,
        "role_name": "cloudsec-s3-responder",
        "partition": "aws",
        "external_id": None,
        "management_account_id": "111111111111",
    }
    kwargs.update(options)
    return inv.build_hosts(accounts, **kwargs)


def test_host_vars_carry_the_role_to_assume_and_the_account() -> None:
    (name, host_vars), *_ = build([ORG[1]])
    assert name == "payments-prod"
    assert host_vars["assume_role_arn"] == "arn:aws:iam::222222222222:role/cloudsec-s3-responder"
    assert host_vars["account_tags"] == {"env": "prod", "team": "payments"}
    assert host_vars["is_management_account"] is False and host_vars["ansible_connection"] == "local"
    assert "assume_role_external_id" not in host_vars and "aws_region" not in host_vars
    (_name, mgmt), *_ = build([ORG[0]], external_id="xid-1", partition="aws-us-gov")
    assert mgmt["is_management_account"] is True and mgmt["assume_role_external_id"] == "xid-1"
    assert mgmt["assume_role_arn"].startswith("arn:aws-us-gov:iam::111111111111:role/")


def test_regions_give_one_host_per_account_and_region() -> None:
    hosts = build(ORG[1:3], regions=["us-east-1", "eu-west-1"])
    assert [n for n, _ in hosts] == [
        "payments-prod_us-east-1",
        "payments-prod_eu-west-1",
        "data-dev_us-east-1",
        "data-dev_eu-west-1",
    ]
    assert hosts[1][1]["aws_region"] == "eu-west-1"
    assert [n for n, _ in build(ORG[1:2], regions=["us-east-1"], hostname_template="{region}.{account_id}")] == [
        "us-east-1.222222222222"
    ]


def test_hostnames_are_sanitised_and_fall_back_to_the_id_on_collision() -> None:
    twins = [
        account("666666666666", "Team A/prod"),
        account("777777777777", "Team A prod"),
        account("888888888888", "ok"),
    ]
    assert [n for n, _ in build(twins)] == ["666666666666", "777777777777", "ok"]
    assert inv.sanitise_hostname("Payments (prod) / EU") == "Payments_prod_EU"
    assert [n for n, _ in build([account("999999999999", "ÿ!!")])] == ["999999999999"]


def test_role_arn_template_that_gives_an_invalid_arn_names_the_template_and_the_account() -> None:
    with pytest.raises(
        inv.InventoryInputError, match=r"role_arn_template 'arn:aws:iam::\{account_name\}:role/x'.*222222222222"
    ):
        build([ORG[1]], role_arn_template="arn:aws:iam::{account_name}:role/x")
    with pytest.raises(inv.InventoryInputError, match=r"unknown fields \['acount_id'\] for account 222222222222"):
        build([ORG[1]], role_arn_template="arn:aws:iam::{acount_id}:role/x")
    with pytest.raises(inv.InventoryInputError, match="partition 'aws-moon'"):
        build([ORG[1]], partition="aws-moon")
    assert (
        build([ORG[1]], role_arn_template="arn:{partition}:iam::{account_id}:role/sec/{role_name}")[0][1][
            "assume_role_arn"
        ]
        == "arn:aws:iam::222222222222:role/sec/cloudsec-s3-responder"
    )


def test_static_entries_are_validated_and_their_role_arn_wins() -> None:
    record = inv.static_account({"id": "222222222222", "role_arn": "arn:aws:iam::222222222222:role/other"}, 0)
    assert record["name"] == "222222222222" and record["status"] == "ACTIVE"
    assert build([record])[0][1]["assume_role_arn"] == "arn:aws:iam::222222222222:role/other"
    assert inv.static_account("333333333333", 1)["id"] == "333333333333"
    assert inv.static_account({"id": "333333333333", "ou_path": "Workloads/Dev"}, 1)["ou_path"] == "Root/Workloads/Dev"
    with pytest.raises(inv.InventoryInputError, match=r"accounts\[2\]\.id: '12345' is not a 12-digit"):
        inv.static_account({"id": "12345"}, 2)
    with pytest.raises(inv.InventoryInputError, match=r"accounts\[0\]\.role_arn gives 'arn:aws:iam::1:role/x'"):
        inv.static_account({"id": "222222222222", "role_arn": "arn:aws:iam::1:role/x"}, 0)
    with pytest.raises(inv.InventoryInputError, match=r"accounts\[0\]: unknown keys \['region'\]"):
        inv.static_account({"id": "222222222222", "region": "us-east-1"}, 0)


def test_groups_are_nested_ou_paths_tags_and_regions() -> None:
    assert inv.ou_groups("Root/Workloads/Prod") == ["ou_root", "ou_root_workloads", "ou_root_workloads_prod"]
    assert inv.host_groups(
        {"ou_path": "Root/Work-loads", "account_tags": {"Cost Center": "R&D"}, "aws_region": "eu-west-1"}
    ) == [
        "ou_root",
        "ou_root_work_loads",
        "tag_cost_center_r_d",
        "region_eu_west_1",
    ]
    assert inv.host_groups({"ou_path": "", "account_tags": {}}) == []


class _DeniedClient:
    """A stand-in Organizations client whose every call fails with one AWS error code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        import botocore.exceptions

        def call(**kwargs: Any) -> Any:
            raise botocore.exceptions.ClientError({"Error": {"Code": self.code, "Message": "nope"}}, operation)

        return call


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", "access denied on organizations:ListAccounts (nope). The inventory needs"),
        ("AWSOrganizationsNotInUseException", "AWSOrganizationsNotInUseException on organizations:ListAccounts"),
    ],
)
def test_missing_organizations_access_names_the_permission_and_the_static_fallback(code: str, expected: str) -> None:
    from ansible_collections.cloudsec.s3.plugins.inventory import aws_accounts

    plugin = aws_accounts.InventoryModule()
    with pytest.raises(aws_accounts.OrganizationsUnavailable) as raised:
        plugin._call(_DeniedClient(code), "list_accounts", "organizations:ListAccounts")
    assert expected in str(raised.value) and "source: static" in str(raised.value)
    if code == "AccessDeniedException":
        assert all(action in str(raised.value) for action in aws_accounts.REQUIRED_ACTIONS)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: aws_accounts
short_description: The accounts of an AWS Organization (or a static list) as inventory hosts
version_added: 0.1.0
author: cloudsec.s3 contributors (@cloudsec-s3)
description:
  - One host per AWS account (or per account and region with O(regions)), so a playbook runs once per account
    with forks, and AWX / Automation Platform can slice a job over the accounts.
  - Reads the organization from AWS Organizations (run it with credentials of the management account or of a
    delegated administrator), walks the OU tree, reads each account's tags, and filters by status, OU, tag and id.
  - Each host carries the role to assume in its account (C(assume_role_arn)), built from O(role_arn_template);
    the C(cloudsec.s3.account) role assumes it and hands the credentials to every module of the play.
  - Hosts run on the controller (C(ansible_connection=local), C(ansible_python_interpreter) set to the Python
    that runs Ansible, so boto3 is found); override either with O(compose).
  - Groups - every host is in C(aws_accounts); per OU path C(ou_root_workloads_prod) with the parent OUs as
    parent groups (C(ou_root) > C(ou_root_workloads) > C(ou_root_workloads_prod)); per tag C(tag_<key>_<value>);
    per region C(region_<region>) when O(regions) is set. Names are lower case, other characters become C(_).
  - The inventory file must end with C(aws_accounts.yml) or C(aws_accounts.yaml).
  - Needs, with O(source=organizations), C(organizations:DescribeOrganization), C(organizations:ListAccounts),
    C(organizations:ListRoots), C(organizations:ListOrganizationalUnitsForParent),
    C(organizations:ListAccountsForParent) and C(organizations:ListTagsForResource). With O(source=static) it
    makes no AWS call.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: Marks this file as a C(cloudsec.s3.aws_accounts) inventory source.
    type: str
    required: true
    choices: [cloudsec.s3.aws_accounts]
  source:
    description:
      - Where the accounts come from. V(organizations) reads AWS Organizations; V(static) uses O(accounts) only.
      - With V(organizations), when Organizations is not enabled or the caller may not list the accounts and
        O(accounts) is not empty, O(accounts) is used instead, with a warning; when O(accounts) is empty the
        inventory fails with an error naming the missing permission.
    type: str
    choices: [organizations, static]
    default: organizations
  accounts:
    description:
      - A static list of accounts, for O(source=static) or as the fallback. Each entry is a mapping with C(id)
        (12 digits, required) and optionally C(name), C(email), C(status) (default C(ACTIVE)), C(tags) (mapping),
        C(ou_path) (for example C(Root/Workloads/Prod)), C(ou_id), C(arn) and C(role_arn) (used instead of
        O(role_arn_template)). A bare account id is accepted too.
    type: list
    elements: raw
    default: []
  regions:
    description:
      - When set, one host per account and region, with the host variable C(aws_region). The region is appended
        to the host name unless O(hostname_template) uses C({region}).
      - When empty, one host per account.
    type: list
    elements: str
    default: []
  role_name:
    description: The role to assume in every account, used by O(role_arn_template).
    type: str
    default: cloudsec-s3-responder
  role_arn_template:
    description:
      - Python format template of the role ARN of each account. Fields - C({partition}), C({account_id}),
        C({account_name}), C({account_email}), C({role_name}), C({ou_path}).
      - A template that gives an invalid IAM role ARN, or uses an unknown field, is an error naming the template
        and the account.
    type: str
    default: "arn:{partition}:iam::{account_id}:role/{role_name}"
  external_id:
    description: The C(sts:ExternalId) to send when assuming the role; set as C(assume_role_external_id) on every host.
    type: str
  partition:
    description: The AWS partition for role ARNs.
    type: str
    default: aws
  include_ous:
    description:
      - Keep only accounts in these OUs, given by id (C(ou-ab12-cdef3456)) or path (C(Root/Workloads) or
        C(Workloads)); a path also matches the OUs below it, an OU id also matches accounts in its sub-OUs.
    type: list
    elements: str
    default: []
  exclude_ous:
    description: Drop accounts in these OUs (ids or paths, matched as in O(include_ous)).
    type: list
    elements: str
    default: []
  include_tags:
    description: Keep only accounts that have every one of these tags with exactly this value.
    type: dict
    default: {}
  exclude_accounts:
    description: Drop these accounts, by id or by name.
    type: list
    elements: str
    default: []
  statuses:
    description: Keep only accounts with one of these statuses (V(ACTIVE), V(SUSPENDED), V(PENDING_CLOSURE)).
    type: list
    elements: str
    default: [ACTIVE]
  include_management_account:
    description: Include the organization's management account as a host (C(is_management_account=true)).
    type: bool
    default: true
  hostname_template:
    description:
      - Python format template of the host name. Fields - C({account_name}), C({account_id}), C({account_email}),
        C({region}), C({ou_path}), C({partition}), C({role_name}).
      - Characters other than letters, digits, C(_), C(.) and C(-) become C(_). When two hosts would get the same
        name, both use the account id instead (plus the region).
    type: str
    default: "{account_name}"
"""

EXAMPLES = r"""
# accounts.aws_accounts.yml - every ACTIVE account of the organization, grouped by OU and tag
plugin: cloudsec.s3.aws_accounts
# ansible-inventory -i accounts.aws_accounts.yml --graph

---
# Production workloads only, per region, with an ExternalId, cached for an hour
plugin: cloudsec.s3.aws_accounts
include_ous: [Root/Workloads/Prod]
include_tags:
  env: prod
exclude_accounts: ["111122223333"]
regions: [us-east-1, eu-west-1]
external_id: "{{ lookup('ansible.builtin.env', 'CLOUDSEC_EXTERNAL_ID') }}"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/cloudsec-accounts
cache_timeout: 3600
keyed_groups:
  - key: account_tags.team | default('none')
    prefix: team

---
# Run from a delegated administrator account, with a role naming scheme per account
plugin: cloudsec.s3.aws_accounts
assume_role_arn: arn:aws:iam::222233334444:role/org-reader
role_arn_template: "arn:{partition}:iam::{account_id}:role/security/{role_name}"
include_management_account: false

---
# No Organizations access: a static list
plugin: cloudsec.s3.aws_accounts
source: static
accounts:
  - id: "111122223333"
    name: payments-prod
    ou_path: Root/Workloads/Prod
    tags: {env: prod, team: payments}
  - id: "444455556666"
    name: data-dev
    role_arn: arn:aws:iam::444455556666:role/breakglass-s3
"""

import concurrent.futures

try:
    import botocore
    import botocore.config
except ImportError:
    pass  # reported by AWSInventoryBase.require_aws_sdk

from ansible.errors import AnsibleError

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates inventory variables without marking them

    def trust_as_template(value):
        return value


from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase
from ansible_collections.cloudsec.s3.plugins.module_utils import org_inventory as inv

REQUIRED_ACTIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "organizations:ListTagsForResource",
)
DENIED_CODES = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation")


class OrganizationsUnavailable(Exception):
    """Organizations cannot be read with these credentials; the message says why and what to do."""


class InventoryModule(AWSInventoryBase):
    NAME = "cloudsec.s3.aws_accounts"
    INVENTORY_FILE_SUFFIXES = ("aws_accounts.yml", "aws_accounts.yaml")

    # ------------------------------------------------------------------ Organizations
    def _call(self, client, operation, action, **kwargs):
        """All pages of one Organizations call; AccessDenied / not in use become OrganizationsUnavailable."""
        try:
            if client.can_paginate(operation):
                pages = list(client.get_paginator(operation).paginate(**kwargs))
            else:
                pages = [getattr(client, operation)(**kwargs)]
        except is_boto3_error_code("AWSOrganizationsNotInUseException"):
            raise OrganizationsUnavailable(
                "AWS Organizations is not enabled for the account of these credentials "
                f"(AWSOrganizationsNotInUseException on {action}). Run the inventory with credentials of the "
                "management account or of a delegated administrator, or use source: static with an accounts list"
            ) from None
        except is_boto3_error_code(DENIED_CODES) as exc:  # pylint: disable=duplicate-except
            raise OrganizationsUnavailable(
                f"access denied on {action} ({exc.response['Error'].get('Message', '')}). The inventory needs "
                f"{', '.join(REQUIRED_ACTIONS)}; grant them to the caller, or use source: static with an accounts list"
            ) from None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:  # pylint: disable=duplicate-except
            raise AnsibleError(f"cloudsec.s3.aws_accounts: {action} failed: {exc}") from None
        return pages

    def _tags(self, client, account_id):
        pages = self._call(client, "list_tags_for_resource", "organizations:ListTagsForResource", ResourceId=account_id)
        return {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}

    def _read_organization(self):
        """The management account id and every account record of the organization (OU path and tags included)."""
        # Organizations allows few calls per second: let botocore back off and retry when it throttles
        retries = botocore.config.Config(retries={"mode": "adaptive", "max_attempts": 10})
        client = self.client("organizations", region=self.region or "us-east-1", config=retries)
        organization = self._call(client, "describe_organization", "organizations:DescribeOrganization")[0]
        management = organization["Organization"]["MasterAccountId"]
        listed = [
            a for page in self._call(client, "list_accounts", "organizations:ListAccounts") for a in page["Accounts"]
        ]
        roots = [r for page in self._call(client, "list_roots", "organizations:ListRoots") for r in page["Roots"]]
        placement = {}
        todo = [(root["Id"], "Root", [root["Id"]]) for root in roots]
        while todo:
            parent_id, path, ids = todo.pop(0)
            for page in self._call(
                client, "list_accounts_for_parent", "organizations:ListAccountsForParent", ParentId=parent_id
            ):
                for account in page["Accounts"]:
                    placement[account["Id"]] = (parent_id, path, ids)
            for page in self._call(
                client,
                "list_organizational_units_for_parent",
                "organizations:ListOrganizationalUnitsForParent",
                ParentId=parent_id,
            ):
                for ou in page["OrganizationalUnits"]:
                    todo.append((ou["Id"], f"{path}/{ou['Name']}", [*ids, ou["Id"]]))
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            tags = dict(
                zip([a["Id"] for a in listed], pool.map(lambda a: self._tags(client, a["Id"]), listed), strict=True)
            )
        accounts = []
        for account in listed:
            ou_id, ou_path, ou_ids = placement.get(account["Id"], ("", "", []))
            accounts.append(
                {
                    "id": account["Id"],
                    "name": account.get("Name") or account["Id"],
                    "email": account.get("Email", ""),
                    "status": account.get("Status", "ACTIVE"),
                    "arn": account.get("Arn", ""),
                    "ou_id": ou_id,
                    "ou_ids": ou_ids,
                    "ou_path": ou_path,
                    "tags": tags[account["Id"]],
                }
            )
        return {"management_account_id": management, "accounts": accounts}

    def _static(self):
        try:
            accounts = [inv.static_account(entry, i) for i, entry in enumerate(self.get_option("accounts") or [])]
        except inv.InventoryInputError as exc:
            raise AnsibleError(f"cloudsec.s3.aws_accounts: {exc}") from None
        return {"management_account_id": None, "accounts": accounts}

    def _query(self):
        if self.get_option("source") == "static":
            return self._static()
        try:
            return self._read_organization()
        except OrganizationsUnavailable as exc:
            if self.get_option("accounts"):
                self.warn(f"cloudsec.s3.aws_accounts: {exc}; using the static accounts list instead")
                return self._static()
            raise AnsibleError(f"cloudsec.s3.aws_accounts: {exc}") from None

    # ------------------------------------------------------------------ inventory
    def _templated(self, option):
        """An option that may hold a template (a lookup of a secret, for example), rendered."""
        value = self.get_option(option)
        if isinstance(value, str) and self.templar is not None and self.templar.is_template(value):
            value = self.templar.template(value)
        return value

    def _populate(self, result):
        management = result.get("management_account_id")
        try:
            selected = inv.select_accounts(
                result["accounts"],
                statuses=self.get_option("statuses") or [],
                include_ous=self.get_option("include_ous") or [],
                exclude_ous=self.get_option("exclude_ous") or [],
                include_tags=self.get_option("include_tags") or {},
                exclude_accounts=self.get_option("exclude_accounts") or [],
                include_management_account=self.get_option("include_management_account"),
                management_account_id=management,
            )
            hosts = inv.build_hosts(
                selected,
                regions=self.get_option("regions") or [],
                hostname_template=self.get_option("hostname_template"),
                role_arn_template=self.get_option("role_arn_template"),
                role_name=self.get_option("role_name"),
                partition=self.get_option("partition"),
                external_id=self._templated("external_id"),
                management_account_id=management,
            )
        except inv.InventoryInputError as exc:
            raise AnsibleError(f"cloudsec.s3.aws_accounts: {exc}") from None
        strict = self.get_option("strict")
        self.inventory.add_group("aws_accounts")
        for name, host_vars in hosts:
            self.inventory.add_host(name, group="aws_accounts")
            host_vars.setdefault("ansible_python_interpreter", trust_as_template("{{ ansible_playbook_python }}"))
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)
            parent = None
            for group in inv.host_groups(host_vars):
                self.inventory.add_group(group)
                if group.startswith("ou_"):
                    if parent is not None:
                        self.inventory.add_child(parent, group)
                    parent = group
            if parent is not None:
                self.inventory.add_child(parent, name)
            for group in inv.host_groups(host_vars):
                if not group.startswith("ou_"):
                    self.inventory.add_child(group, name)
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        cached, result = self.get_cached_result(path, cache)
        if not cached:
            result = self._query()
        self._populate(result)
        self.update_cached_result(path, cache, result)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The least-privilege policies in ``docs/policies/`` are enough, and not more than enough.

Each test seeds a scenario with authorisation off, creates an IAM user holding ONLY one policy file, turns moto's
identity-policy enforcement on (``POST /moto-api/reset-auth`` with ``0``, the server form of
``INITIAL_NO_AUTH_ACTION_COUNT=0``) and runs the real playbook with that user's access key. Enforcement is always
turned off again afterwards.

The tests run on a private sandbox (not the shared ``sandbox`` fixture), for two reasons: enforcement stays out of
other tests' way, and moto 5.2.5 needs one fix to check signatures at all. It rebuilds a bodyless REST-JSON GET
request (GuardDuty ``ListDetectors`` / ``GetDetector``) with the request's header dict as a form body, so every
signature it computes for them is wrong (``SignatureDoesNotMatch`` for any caller). The private server signs such
requests with the empty body botocore sent. Authorisation itself is moto's, unchanged.

What moto can prove, and what it cannot (the runbook repeats this):

* Proven: every **action** a mode calls on S3, IAM, STS, CloudTrail (DescribeTrails, GetEventSelectors,
  PutEventSelectors), GuardDuty ``ListDetectors`` is in that mode's policy; S3 bucket and object **resources** are
  checked for real (bucket ARNs, and the trail-log object ARNs under ``*/AWSLogs/*``); and the investigate policy
  cannot contain (``response_mode=contain`` with it fails with AccessDenied).
* Adapted for moto, in :func:`moto_view` and nowhere else: moto authorises every request except S3 bucket/object
  requests and IAM role requests against the resource ``*``, so statements without an S3 bucket/object ARN (IAM,
  GuardDuty, CloudTrail, Detective, S3 access points) get ``Resource: "*"`` in the copy given to moto (their action
  lists are unchanged); and moto names a few S3 actions
  differently from IAM (``MOTO_S3_ALIASES``), so the copy also grants moto's name wherever the policy grants the
  IAM name.
* Not proven: the APIs the sandbox serves itself are not authorised at all (GuardDuty ListFindings / GetFindings,
  CloudTrail LookupEvents, Detective, IAM SimulatePrincipalPolicy): their actions come from the AWS service
  authorization reference and the role READMEs. Conditions are not evaluated, inactive access keys still work.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import clients
from sandbox import scenarios

DENIED = re.compile(r"AccessDenied|Access Denied|not authorized to perform")

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "docs" / "policies"
BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
RESPONDER = f"arn:aws:iam::{ACCOUNT}:role/incident-responder"

# IAM action -> the name(s) moto 5.2.5 checks for the same request. moto maps the S3 sub-resources it does not know
# (``?publicAccessBlock``, ``?ownershipControls``, ``?encryption`` ...) to the bucket's default action of the method,
# and names the account-level Block Public Access actions after the S3 Control operation.
MOTO_S3_ALIASES = {
    "s3:GetBucketPublicAccessBlock": ["s3:ListBucket"],
    "s3:GetBucketOwnershipControls": ["s3:ListBucket"],
    "s3:GetEncryptionConfiguration": ["s3:ListBucket"],
    "s3:GetBucketObjectLockConfiguration": ["s3:ListBucket"],
    "s3:GetReplicationConfiguration": ["s3:ListBucket"],
    "s3:PutBucketPublicAccessBlock": ["s3:CreateBucket", "s3:DeleteBucket"],
    "s3:PutBucketOwnershipControls": ["s3:CreateBucket"],
    "s3:PutEncryptionConfiguration": ["s3:CreateBucket"],
    "s3:GetAccountPublicAccessBlock": ["s3:GetPublicAccessBlock"],
    "s3:PutAccountPublicAccessBlock": ["s3:PutPublicAccessBlock"],
}

# S3 actions without a bucket or object resource type: the only S3 actions allowed on Resource "*"
ACCOUNT_LEVEL_S3 = {
    "s3:ListAllMyBuckets",
    "s3:GetAccountPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "s3:ListAccessPoints",
    "s3:GetAccessPoint",
}

# The private server: the sandbox, with moto's signature check fixed for bodyless GET/HEAD/DELETE requests.
SERVER_CODE = """
import sys
from sandbox import server
from moto.iam import access_control

_create = access_control.IAMRequestBase._create_aws_request

def _create_aws_request(self):
    request = _create(self)
    if not self._body and self._method in ("GET", "HEAD", "DELETE"):
        request.data = b""
    return request

access_control.IAMRequestBase._create_aws_request = _create_aws_request
server.serve("127.0.0.1", 0)
"""


def policy(name: str) -> dict[str, Any]:
    return json.loads((POLICIES / f"{name}.json").read_text())


def as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def moto_view(document: dict[str, Any]) -> dict[str, Any]:
    """The same policy as moto can evaluate it (see the module docstring for exactly what changes)."""
    doc = copy.deepcopy(document)
    for statement in doc["Statement"]:
        actions = as_list(statement["Action"])
        statement["Action"] = actions + [alias for a in actions for alias in MOTO_S3_ALIASES.get(a, [])]
        if not all(r == "*" or r.startswith("arn:aws:s3:::") for r in as_list(statement["Resource"])):
            # never widen a bucket or object ARN: only statements without one are rewritten
            assert not any(r.startswith("arn:aws:s3:::") for r in as_list(statement["Resource"])), statement["Sid"]
            statement["Resource"] = "*"
    return doc


def set_auth(endpoint: str, count: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


class Enforcing:
    """A private sandbox; ``seeded(scenario)`` resets and seeds it, ``run(...)`` runs a playbook as a policy's user."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def seeded(self, scenario: str) -> dict[str, Any]:
        set_auth(self.endpoint, "inf")
        clients.reset(self.endpoint)
        return scenarios.apply(scenario, self.endpoint, seed=0)["expected"]

    def user_with(self, name: str) -> dict[str, str]:
        """An IAM user holding only ``docs/policies/<name>.json``; returns its credentials."""
        iam = clients.client(self.endpoint, "iam")
        user = f"lp-{name}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(moto_view(policy(name))))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    def run(self, credentials: dict[str, str], *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "ANSIBLE_STDOUT_CALLBACK"):
            env.pop(var, None)
        env.update(clients.client_env(self.endpoint))
        env.update(credentials)
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_HOME=str(REPO / ".tmp" / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(REPO / ".tmp" / "ansible-local"),
            ANSIBLE_NOCOLOR="1",
        )
        set_auth(self.endpoint, "0")
        try:
            return subprocess.run(
                [str(BIN / "ansible-playbook"), *args],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            set_auth(self.endpoint, "inf")


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Enforcing]:
    from sandbox.__main__ import stop_subprocess
    from sandbox.__main__ import wait_healthy

    log = (tmp_path_factory.mktemp("lp-server") / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("sandbox listening on "), line
        endpoint = line.split(" on ", 1)[1].strip()
        threading.Thread(target=process.stdout.read, daemon=True).start()
        assert wait_healthy(endpoint, process, timeout=60)
        yield Enforcing(endpoint)
        set_auth(endpoint, "inf")
    finally:
        stop_subprocess(process)
        log.close()


def respond_args(tmp_path: Path, bucket: str, mode: str, *extra: str) -> list[str]:
    varfile = tmp_path / f"respond-{mode}.json"
    varfile.write_text(
        json.dumps(
            {
                "bucket": bucket,
                "response_mode": mode,
                "incident_id": f"inc-lp-{mode}",
                "responder_principals": [RESPONDER],
                "output_dir": str(tmp_path / "out"),
            }
        )
    )
    return ["playbooks/respond.yml", "-e", f"@{varfile}", *extra]


def bucket_policy(endpoint: str, bucket: str) -> str | None:
    s3 = clients.client(endpoint, "s3")
    try:
        return s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        return None


def tail(proc: subprocess.CompletedProcess) -> str:
    return (proc.stdout[-4000:] + "\n" + proc.stderr[-2000:]).strip()


# --------------------------------------------------------------------------- the documents themselves
@pytest.mark.parametrize("name", sorted(p.stem for p in POLICIES.glob("*.json")))
def test_policy_file_is_a_narrow_iam_policy(name):
    document = policy(name)
    assert document["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids)), "Sids are unique"
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), f"{action}: no wildcard actions"
        for resource in as_list(statement["Resource"]):
            assert resource != "arn:aws:s3:::*/*", f"{statement['Sid']}: no blanket object access"
        if statement["Resource"] == "*":
            s3_actions = {a for a in as_list(statement["Action"]) if a.startswith("s3:")}
            assert s3_actions <= ACCOUNT_LEVEL_S3, f"{statement['Sid']}: bucket actions are narrowed to bucket ARNs"


def test_investigate_policy_grants_no_write_action():
    writes = [
        a
        for s in policy("respond-investigate")["Statement"]
        for a in as_list(s["Action"])
        if re.match(r"[a-z0-9-]+:(Put|Delete|Update|Create|Attach|Detach|Tag|Untag|Archive|Restore)", a)
    ]
    assert writes == []


def test_no_collection_code_deletes_a_bucket():
    """The moto copy of the policies grants s3:DeleteBucket (moto's name for DeletePublicAccessBlock); prove no
    code of the collection could use that to delete a bucket."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "plugins").rglob("*.py")
        if re.search(r"\bdelete_bucket\(|[\"']delete_bucket[\"']", p.read_text())
    ]
    assert offenders == []


# --------------------------------------------------------------------------- the playbooks, as the policy's user
@pytest.mark.playbook
@pytest.mark.slow
def test_investigate_policy_runs_the_read_only_response(enforcing, tmp_path):
    expected = enforcing.seeded("public-exfiltration")
    bucket = expected["victim_bucket"]
    before = bucket_policy(enforcing.endpoint, bucket)
    creds = enforcing.user_with("respond-investigate")

    proc = enforcing.run(creds, *respond_args(tmp_path, bucket, "investigate"))

    assert proc.returncode == 0, tail(proc)
    assert not DENIED.search(proc.stdout + proc.stderr), tail(proc)
    report = json.loads((tmp_path / "out" / "inc-lp-investigate" / bucket / "report.json").read_text())
    assert expected["attacker"]["principal_arn"] in [p["arn"] for p in report["suspected_principals"]]
    assert bucket_policy(enforcing.endpoint, bucket) == before


@pytest.mark.playbook
@pytest.mark.slow
def test_investigate_policy_cannot_contain(enforcing, tmp_path):
    expected = enforcing.seeded("public-exfiltration")
    bucket = expected["victim_bucket"]
    before = bucket_policy(enforcing.endpoint, bucket)
    creds = enforcing.user_with("respond-investigate")

    proc = enforcing.run(creds, *respond_args(tmp_path, bucket, "contain"))

    assert proc.returncode != 0, tail(proc)
    assert DENIED.search(proc.stdout + proc.stderr), tail(proc)
    # it stops before any change: the bucket and the attacker's key are as the attacker left them
    assert bucket_policy(enforcing.endpoint, bucket) == before
    keys = clients.client(enforcing.endpoint, "iam").list_access_keys(UserName=expected["attacker"]["user_name"])
    assert {k["Status"] for k in keys["AccessKeyMetadata"]} == {"Active"}


@pytest.mark.playbook
@pytest.mark.slow
def test_contain_policy_runs_the_containment(enforcing, tmp_path):
    expected = enforcing.seeded("public-exfiltration")
    bucket = expected["victim_bucket"]
    creds = enforcing.user_with("respond-contain")

    proc = enforcing.run(creds, *respond_args(tmp_path, bucket, "contain"))

    assert proc.returncode == 0, tail(proc)
    assert not DENIED.search(proc.stdout + proc.stderr), tail(proc)
    assert "CloudsecQuarantine" in (bucket_policy(enforcing.endpoint, bucket) or "")
    keys = clients.client(enforcing.endpoint, "iam").list_access_keys(UserName=expected["attacker"]["user_name"])
    assert {k["Status"] for k in keys["AccessKeyMetadata"]} == {"Inactive"}


@pytest.mark.playbook
@pytest.mark.slow
def test_full_policy_runs_the_full_response_and_restore_policy_undoes_it(enforcing, tmp_path):
    expected = enforcing.seeded("public-exfiltration")
    bucket = expected["victim_bucket"]
    before = bucket_policy(enforcing.endpoint, bucket)

    proc = enforcing.run(enforcing.user_with("respond-full"), *respond_args(tmp_path, bucket, "full"))
    assert proc.returncode == 0, tail(proc)
    assert not DENIED.search(proc.stdout + proc.stderr), tail(proc)
    assert bucket_policy(enforcing.endpoint, bucket) != before

    proc = enforcing.run(
        enforcing.user_with("restore"),
        "playbooks/restore.yml",
        "-e",
        f"bucket={bucket}",
        "-e",
        "incident_id=inc-lp-full",
        "-e",
        f"output_dir={tmp_path / 'out'}",
    )
    assert proc.returncode == 0, tail(proc)
    assert not DENIED.search(proc.stdout + proc.stderr), tail(proc)
    assert "CloudsecQuarantine" not in (bucket_policy(enforcing.endpoint, bucket) or "")
    keys = clients.client(enforcing.endpoint, "iam").list_access_keys(UserName=expected["attacker"]["user_name"])
    assert {k["Status"] for k in keys["AccessKeyMetadata"]} == {"Active"}


@pytest.mark.playbook
@pytest.mark.slow
def test_baseline_policies_run_the_audit_and_the_enforcement(enforcing, tmp_path):
    enforcing.seeded("public-exfiltration")
    s3control = clients.client(enforcing.endpoint, "s3control")

    audit = enforcing.run(
        enforcing.user_with("baseline-audit"),
        "playbooks/baseline.yml",
        "--check",
        "-e",
        f"baseline_report_dir={tmp_path / 'audit'}",
    )
    assert audit.returncode == 0, tail(audit)
    assert not DENIED.search(audit.stdout + audit.stderr), tail(audit)

    enforce = enforcing.run(
        enforcing.user_with("baseline-enforce"),
        "playbooks/baseline.yml",
        "-e",
        f"baseline_report_dir={tmp_path / 'enforce'}",
    )
    assert enforce.returncode == 0, tail(enforce)
    assert not DENIED.search(enforce.stdout + enforce.stderr), tail(enforce)
    account_bpa = s3control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    assert all(account_bpa.values())

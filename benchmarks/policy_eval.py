"""Benchmark: the compiled policy engine, against its previous revision and a naive evaluator.

Builds a realistic account (users and roles with inline, managed and group policies carrying conditions, some
permission boundaries, callers from a second account and anonymous callers, a ~20-statement bucket policy) and draws
N requests (default 100,000). Three evaluators answer every request on one core:

* the engine of this checkout (``plugins/module_utils/policy_eval.py``);
* the same file at ``--baseline`` (default: the last revision before resource-class plans and specialised condition
  tests), loaded from git, so old and new run side by side in one process on the same input;
* a naive evaluator working straight from the parsed JSON (``--naive-sample`` limits it to the first N requests).

The two engines run alternately ``--repeat`` times after a first pass each (the pass that fills the per-action /
per-plan indexes, printed as "first pass" and not counted in the timed passes). Rates are given per CPU second of
this process (``time.process_time``), which other work on a shared machine barely moves, and per wall second, which
it does; the load average before and after is printed so a reader can tell. Every request's full result from the
two engines (decision, deciding statements, reason, details, warnings) must be identical, and the decision must equal
the naive evaluator's; any difference fails the run.

    .venv/bin/python benchmarks/policy_eval.py [--requests 100000] [--repeat 3] [--naive-sample 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import random
import re
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
importlib.import_module("conftest")  # puts this checkout on sys.path as ansible_collections.cloudsec.s3

from ansible_collections.cloudsec.s3.plugins.module_utils import policy_eval as current_engine
from ansible_collections.cloudsec.s3.plugins.module_utils.policy import parse_policy

# policy_eval.py before resource-class plans and specialised condition tests (31.8k evaluations/s on a quiet core).
BASELINE_REV = "565b016992241d1c0be66760f4823786619a4fe1"
ENGINE_PATH = "plugins/module_utils/policy_eval.py"

OWNER = "111111111111"
OTHER = "222222222222"
BUCKET = "corp-data"
B_ARN = f"arn:aws:s3:::{BUCKET}"
PREFIXES = ["public", "shared", "reports", "home", "logs", "finance", "tmp"]
READ = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetObjectTagging"]
WRITE = ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"]
ADMIN = ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucketPolicy"]
ALL_ACTIONS = READ + WRITE + ADMIN
CORP_NET = "10.20.0.0/16"
VPCE = "vpce-0corp"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# ------------------------------------------------------------------------------------------------ the account


def identity_policy(rng: random.Random, name: str) -> dict:
    statements = []
    for index in range(rng.randint(3, 6)):
        kind = rng.random()
        prefix = rng.choice(PREFIXES)
        statement = {"Sid": f"S{index}", "Effect": "Allow"}
        if kind < 0.35:
            statement["Action"] = rng.sample(READ, rng.randint(1, 3))
            statement["Resource"] = [f"{B_ARN}/{prefix}/*", B_ARN]
        elif kind < 0.55:
            statement["Action"] = rng.sample(WRITE, 2)
            statement["Resource"] = f"{B_ARN}/home/${{aws:username}}/*"
        elif kind < 0.65:
            statement["Action"] = "s3:*"
            statement["Resource"] = "*"
            statement["Condition"] = {
                "IpAddress": {"aws:SourceIp": [CORP_NET, "2001:db8:corp::/48".replace("corp", "c0")]}
            }
        elif kind < 0.75:
            statement["Action"] = ["s3:Get*", "s3:List*"]
            statement["Resource"] = "*"
            statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        elif kind < 0.85:
            statement["Effect"] = "Deny"
            statement["Action"] = rng.sample(ADMIN, 2)
            statement["Resource"] = "*"
            statement["Condition"] = {"StringNotEquals": {"aws:SourceVpce": VPCE}}
        elif kind < 0.92:
            statement["Effect"] = "Deny"
            statement["Action"] = "s3:DeleteObject"
            statement["Resource"] = f"{B_ARN}/finance/*"
        else:
            statement["Action"] = "s3:GetObject"
            statement["Resource"] = f"{B_ARN}/reports/*"
            statement["Condition"] = {"StringLike": {"s3:prefix": ["reports/2026/*", "reports/summary-?.csv"]}}
        statements.append(statement)
    return doc(*statements)


def build_account(rng: random.Random):
    groups = {
        f"group-{g}": [(f"group-{g}-p{i}", "group-inline", identity_policy(rng, "g")) for i in range(2)]
        for g in range(5)
    }
    managed = [(f"managed-{m}", "user-managed", identity_policy(rng, "m")) for m in range(8)]
    boundary = (
        "s3-boundary",
        "permissions-boundary",
        doc(
            {"Effect": "Allow", "Action": READ + WRITE, "Resource": "*"},
        ),
    )
    callers = {}
    for u in range(40):
        arn = f"arn:aws:iam::{OWNER}:user/user{u}"
        policies = [(f"user{u}-inline", "user-inline", identity_policy(rng, arn))]
        policies += rng.sample(managed, rng.randint(0, 2))
        for group in rng.sample(sorted(groups), rng.randint(0, 2)):
            policies += groups[group]
        callers[arn] = (policies, boundary if rng.random() < 0.3 else None)
    for r in range(20):
        arn = f"arn:aws:sts::{OWNER}:assumed-role/role{r}/session{r}"
        policies = [(f"role{r}-inline", "role-inline", identity_policy(rng, arn)), *rng.sample(managed, 1)]
        callers[arn] = (policies, boundary if rng.random() < 0.2 else None)
    for u in range(10):
        arn = f"arn:aws:iam::{OTHER}:user/partner{u}"
        callers[arn] = ([(f"partner{u}-inline", "user-inline", identity_policy(rng, arn))], None)
    callers["anonymous"] = ([], None)
    return callers


def bucket_policy() -> dict:
    statements = [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [B_ARN, f"{B_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "MaxSignatureAge",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": f"{B_ARN}/*",
            "Condition": {"NumericGreaterThan": {"s3:signatureAge": "600000"}},
        },
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{B_ARN}/public/*",
        },
        {
            "Sid": "PartnerShared",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": READ,
            "Resource": [B_ARN, f"{B_ARN}/shared/*"],
        },
        {
            "Sid": "PartnerUpload",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:user/partner{i}" for i in range(3)]},
            "Action": "s3:PutObject",
            "Resource": f"{B_ARN}/shared/inbox/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "ProtectFinance",
            "Effect": "Deny",
            "Principal": "*",
            "Action": WRITE,
            "Resource": f"{B_ARN}/finance/*",
            "Condition": {
                "StringNotLike": {
                    "aws:PrincipalArn": [f"arn:aws:iam::{OWNER}:role/role1", f"arn:aws:iam::{OWNER}:user/user1*"]
                }
            },
        },
        {
            "Sid": "AdminOnlyFromVpce",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ADMIN,
            "Resource": B_ARN,
            "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": VPCE}},
        },
        {
            "Sid": "LogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{B_ARN}/logs/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": OWNER}},
        },
        {
            "Sid": "CorpNetworkRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": READ,
            "Resource": [B_ARN, f"{B_ARN}/reports/*"],
            "Condition": {"IpAddress": {"aws:SourceIp": CORP_NET}},
        },
    ]
    for r in range(11):
        statements.append(
            {
                "Sid": f"Role{r}Prefix",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OWNER}:role/role{r}"},
                "Action": READ + WRITE[:1],
                "Resource": f"{B_ARN}/{PREFIXES[r % len(PREFIXES)]}/role{r}/*",
            }
        )
    return doc(*statements)


def draw_requests(rng: random.Random, callers: dict, count: int):
    names = sorted(callers)
    out = []
    for _ in range(count):
        caller = rng.choice(names)
        action = rng.choice(ALL_ACTIONS)
        if action in ADMIN or action == "s3:ListBucket":
            resource = B_ARN
        else:
            prefix = rng.choice(PREFIXES)
            middle = rng.choice(["", "role3/", "inbox/", "2026/", f"user{rng.randint(0, 40)}/"])
            resource = f"{B_ARN}/{prefix}/{middle}obj{rng.randint(0, 500)}.csv"
        context = {"aws:SecureTransport": rng.random() < 0.95}
        context["aws:SourceIp"] = rng.choice(["10.20.4.7", "198.51.100.23", "2001:db8:c0::9", "203.0.113.5"])
        if rng.random() < 0.4:
            context["aws:SourceVpce"] = rng.choice([VPCE, "vpce-0other"])
        if rng.random() < 0.2:
            context["s3:signatureAge"] = rng.choice([1000, 600001, 300000])
        if rng.random() < 0.3:
            context["s3:prefix"] = rng.choice(["reports/2026/q1", "reports/summary-1.csv", "home/"])
        if action == "s3:PutObject" and rng.random() < 0.5:
            context["s3:x-amz-acl"] = "bucket-owner-full-control"
        out.append((caller, action, resource, context))
    return out


# ------------------------------------------------------------------------------------------- naive baseline


def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S | (re.I if ignore_case else 0)) is not None


def _aslist(value):
    return value if isinstance(value, list) else [value]


def _caller_info(arn: str) -> dict:
    if arn == "anonymous":
        return {"kind": "anonymous", "account": None}
    parts = arn.split(":")
    account, rest = parts[4], parts[5]
    if rest.startswith("assumed-role/"):
        _, role, _session = rest.split("/")
        return {
            "kind": "role_session",
            "account": account,
            "role": f"arn:aws:iam::{account}:role/{role}",
            "arn": arn,
            "principal_arn": f"arn:aws:iam::{account}:role/{role}",
        }
    return {"kind": "user", "account": account, "arn": arn, "principal_arn": arn, "username": rest.split("/")[-1]}


def _naive_context(info: dict, context: dict) -> dict:
    out = {}
    if info["kind"] != "anonymous":
        out["aws:principalarn"] = [info["principal_arn"]]
        out["aws:principalaccount"] = [info["account"]]
        if "username" in info:
            out["aws:username"] = [info["username"]]
    for key, value in context.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[key.lower()] = [str(v) for v in _aslist(value)]
    return out


def _naive_resource(pattern: str, resource: str, ctx: dict) -> bool | None:
    while "${" in pattern:
        start = pattern.index("${")
        end = pattern.index("}", start)
        key = pattern[start + 2 : end].lower()
        if key not in ctx or len(ctx[key]) != 1:
            return False
        pattern = pattern[:start] + ctx[key][0].replace("*", "").replace("?", "") + pattern[end + 1 :]
    return _glob(pattern, resource, False)


def _naive_condition(op: str, values: list[str], actual: list[str] | None) -> bool:
    if_exists = op.endswith("IfExists")
    base = op[: -len("IfExists")] if if_exists else op
    if actual is None:
        return if_exists or base.startswith(("StringNot", "NotIp"))
    if base == "StringEquals":
        return any(a == v for a in actual for v in values)
    if base == "StringNotEquals":
        return not any(a == v for a in actual for v in values)
    if base == "StringLike":
        return any(_glob(v, a, False) for a in actual for v in values)
    if base == "StringNotLike":
        return not any(_glob(v, a, False) for a in actual for v in values)
    if base == "Bool":
        return any(a.lower() == v.lower() for a in actual for v in values)
    if base == "NumericGreaterThan":
        return any(float(a) > float(v) for a in actual for v in values)
    if base == "IpAddress":
        return any(
            ipaddress.ip_address(a).version == ipaddress.ip_network(v, strict=False).version
            and ipaddress.ip_address(a) in ipaddress.ip_network(v, strict=False)
            for a in actual
            for v in values
        )
    raise ValueError(f"naive baseline does not know {op}")


def _naive_principal(principal, info: dict) -> int:
    """0 no match, 1 account, 2 role, 3 direct (same scale as the engine)."""
    if principal == "*":
        return 2 if info["kind"] == "role_session" else 3
    best = 0
    for value in _aslist(principal.get("AWS", [])):
        if value == "*":
            best = max(best, 2 if info["kind"] == "role_session" else 3)
        elif info["kind"] == "anonymous":
            continue
        elif value in (info["account"], f"arn:aws:iam::{info['account']}:root"):
            best = max(best, 1)
        elif info["kind"] == "user" and value == info["arn"]:
            best = 3
        elif info["kind"] == "role_session" and value == info["role"]:
            best = max(best, 2)
    return best


def _naive_scan(document: dict, action: str, resource: str, ctx: dict, info: dict | None):
    denies, allows = [], []
    for statement in _aslist(document["Statement"]):
        if "Action" in statement:
            if not any(_glob(p, action, True) for p in _aslist(statement["Action"])):
                continue
        elif any(_glob(p, action, True) for p in _aslist(statement["NotAction"])):
            continue
        if not any(_naive_resource(p, resource, ctx) for p in _aslist(statement.get("Resource", "*"))):
            continue
        strength = 3
        if info is not None:
            strength = _naive_principal(statement.get("Principal", {}), info)
            if not strength:
                continue
        if not all(
            _naive_condition(op, _aslist(values), ctx.get(key.lower()))
            for op, block in statement.get("Condition", {}).items()
            for key, values in block.items()
        ):
            continue
        (denies if statement["Effect"] == "Deny" else allows).append((statement.get("Sid"), strength))
    return denies, allows


def naive_evaluate(caller: str, action: str, resource: str, context: dict, policies, boundary, bucket: dict) -> str:
    info = _caller_info(caller)
    ctx = _naive_context(info, context)
    denies, id_allows, b_allows = [], [], []
    for _, _, document in policies:
        d, a = _naive_scan(document, action, resource, ctx, None)
        denies += d
        id_allows += a
    if boundary is not None:
        d, b_allows = _naive_scan(boundary[2], action, resource, ctx, None)
        denies += d
    d, rb = _naive_scan(bucket, action, resource, ctx, info)
    denies += d
    if denies:
        return "explicit_deny"
    boundary_ok = boundary is None or bool(b_allows)
    if info["kind"] == "anonymous":
        return "allowed" if any(s == 3 for _, s in rb) else "implicit_deny"
    identity_ok = bool(id_allows) and boundary_ok
    if info["account"] == OWNER:
        if any(s == 3 for _, s in rb) or (any(s == 2 for _, s in rb) and boundary_ok) or identity_ok:
            return "allowed"
        return "implicit_deny"
    return "allowed" if identity_ok and rb else "implicit_deny"


# ---------------------------------------------------------------------------------------------------------- main


def _timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def load_engine(rev: str) -> types.ModuleType:
    """``policy_eval.py`` as it was at git revision ``rev``, imported as a separate module."""
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:{ENGINE_PATH}"], capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(f"policy_eval_at_{rev[:7]}")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, f"{ENGINE_PATH}@{rev[:7]}", "exec"), module.__dict__)
    return module


class Engine:
    """One engine module with the account and bucket compiled for it (what a module does once per run)."""

    def __init__(self, label: str, module: types.ModuleType, callers: dict, policy_doc: dict) -> None:
        self.label = label
        self.module = module
        started = time.process_time()
        self.principals = {arn: module.Principal.from_arn(arn) for arn in callers}
        self.compiled = {
            arn: module.PrincipalPolicies.build(identity=p, permissions_boundary=b) for arn, (p, b) in callers.items()
        }
        self.bucket = module.BucketContext(account_id=OWNER, bucket_policy=policy_doc, name=BUCKET)
        self.compile_seconds = time.process_time() - started
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.first: tuple[float, float] = (0.0, 0.0)

    def run(self, requests: list) -> list[str]:
        """Timed unit: building each Request from the raw call plus its evaluation. Only the decision is kept (as the
        first version of this benchmark did): holding 100k full results would time the garbage collector walking
        them, the same cost for both engines."""
        evaluate, request, principals, compiled, bucket = (
            self.module.evaluate,
            self.module.Request,
            self.principals,
            self.compiled,
            self.bucket,
        )
        return [evaluate(request(principals[c], a, r, ctx), compiled[c], bucket).decision for c, a, r, ctx in requests]

    def result(self, call: tuple):
        """The full result for one call, for the cross-check (untimed)."""
        c, a, r, ctx = call
        return self.module.evaluate(self.module.Request(self.principals[c], a, r, ctx), self.compiled[c], self.bucket)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per engine, alternating (default 3)")
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of policy_eval.py to compare with")
    parser.add_argument("--naive-sample", type=int, default=0, help="evaluate only the first N with the naive one")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    callers = build_account(rng)
    policy_doc = bucket_policy()
    requests = draw_requests(rng, callers, args.requests)
    statements = sum(len(d["Statement"]) for p, _ in callers.values() for _, _, d in p)
    print(
        f"account: {len(callers)} callers, {statements} identity statements (incl. shared), "
        f"bucket policy of {len(policy_doc['Statement'])} statements; {len(requests):,} requests"
    )
    load_before = os.getloadavg()
    new = Engine("engine (this checkout)", current_engine, callers, policy_doc)
    old = Engine(f"engine @ {args.baseline[:7]}", load_engine(args.baseline), callers, policy_doc)
    engines = (old, new)
    results = {}
    for engine in engines:
        results[engine.label], wall, cpu = _timed(lambda engine=engine: engine.run(requests))
        engine.first = (wall, cpu)
    for _ in range(args.repeat):
        for engine in engines:
            _, wall, cpu = _timed(lambda engine=engine: engine.run(requests))
            engine.wall.append(wall)
            engine.cpu.append(cpu)
    load_after = os.getloadavg()

    sample = requests[: args.naive_sample] if args.naive_sample else requests
    parsed = {arn: ([(n, t, parse_policy(d)) for n, t, d in p], b) for arn, (p, b) in callers.items()}
    bucket_parsed = parse_policy(policy_doc)

    def run_naive():
        return [naive_evaluate(c, a, r, ctx, *parsed[c], bucket_parsed) for c, a, r, ctx in sample]

    naive, naive_wall, naive_cpu = _timed(run_naive)

    count = len(requests)
    print(f"load average (1/5/15 min) before: {_load(load_before)}   after the engine runs: {_load(load_after)}")
    print(
        "                            compile  first pass        timed passes: evaluations/s"
        f" ({args.repeat} runs, alternating)"
    )
    print("engine                       cpu ms  cpu /s   wall /s   cpu best   cpu median   wall best  wall median")
    for engine in engines:
        cpu_median, wall_median = statistics.median(engine.cpu), statistics.median(engine.wall)
        print(
            f"{engine.label:28s} {engine.compile_seconds * 1000:6.0f} {count / engine.first[1]:7,.0f}"
            f" {count / engine.first[0]:9,.0f} {count / min(engine.cpu):10,.0f} {count / cpu_median:12,.0f}"
            f" {count / min(engine.wall):11,.0f} {count / wall_median:12,.0f}"
        )
    print(
        f"naive (parsed JSON, no index)              {len(sample) / naive_cpu:7,.0f} {len(sample) / naive_wall:9,.0f}"
        f"   ({len(sample):,} requests, one pass)"
    )
    speedup = statistics.median(old.cpu) / statistics.median(new.cpu)
    speedup_best = min(old.cpu) / min(new.cpu)
    new_rate = count / statistics.median(new.cpu)
    print(
        f"speed-up (cpu time, same run): {speedup:.2f}x median, {speedup_best:.2f}x best; "
        f"engine / naive = {new_rate / (len(sample) / naive_cpu):.0f}x"
    )
    print(
        f"target > 50,000 evaluations/s on one core: {'met' if new_rate > 50_000 else 'NOT met'} "
        f"({new_rate:,.0f}/s, median cpu; wall rates depend on the machine's other load)"
    )

    differ = []
    for call in requests:  # one request at a time, so nothing large is held
        this, before = new.result(call).as_dict(), old.result(call).as_dict()
        if this != before:
            differ.append((call, this, before))
    decisions = results[new.label]
    disagreements = [(req, e, n) for req, e, n in zip(sample, decisions, naive, strict=False) if e != n]
    counts = {d: decisions.count(d) for d in ("allowed", "implicit_deny", "explicit_deny")}
    print(f"decisions (engine): {counts}")
    print(
        f"cross-check vs {old.label}: {count - len(differ):,} of {count:,} identical results "
        "(decision, deciding statements, reason, details, warnings)"
    )
    for req, a, b in differ[:5]:
        print(f"  DIFFER request={req}\n    this checkout: {a}\n    baseline:      {b}")
    print(f"cross-check vs naive: {len(sample) - len(disagreements):,} of {len(sample):,} agree")
    for req, e, n in disagreements[:10]:
        print(f"  DISAGREE engine={e} naive={n} request={req}")
    if disagreements or differ:
        sys.exit(1)


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()

"""Organization scale: the baseline audit over the accounts inventory vs the single-account playbook in a shell loop.

Starts its own sandbox (``python -m sandbox serve --verbose``, one log line per AWS request), seeds an AWS
Organization with ``sandbox.organization.seed_organization`` (N member accounts x M drifting buckets, every account
ACTIVE and assumable), writes an inventory file for the ``cloudsec.s3.aws_accounts`` plugin (members only) and times:

* ``ansible-playbook cloudsec.s3.baseline -i org.aws_accounts.yml --check`` with forks 1, 5 and 20 (every account);
* the same at forks 20 with ``--limit`` to the first 5, 10, ... accounts: how the time grows with the accounts;
* a shell loop that runs ``ansible-playbook cloudsec.s3.baseline --check`` (no inventory: localhost) once per
  account, each iteration with that account's assumed-role credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
  AWS_SESSION_TOKEN. The credentials are fetched before the loop and not timed (the inventory runs assume the roles
  inside their time), so the loop is measured at its best.

For each run: wall seconds, CPU seconds of ansible-playbook and everything it started (the sandbox server shares the
cores and is not counted), accounts per minute, buckets per second, AWS API calls (from the sandbox log), and the
ratio to the shell loop. Each run is checked: every inventory run's organization report must list every account it
ran with all of its buckets, and every loop iteration must report that account's buckets.

Not part of ``make test``:  .venv/bin/python benchmarks/org_scale.py                       # 20 accounts x 50 buckets
                            .venv/bin/python benchmarks/org_scale.py --accounts 5 --buckets 10   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _sandbox import LoggedSandbox

from sandbox import clients
from sandbox.organization import seed_organization

BIN = Path(sys.executable).parent


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command; stops the benchmark when it fails."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(command[:3])} ... failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return wall, cpu


def unwrap(value: object) -> object:
    """ansible-inventory --list marks untrusted strings as {"__ansible_unsafe": text}."""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def check_org_report(path: Path, accounts: list[dict], buckets: int) -> None:
    """The organization report lists every account that ran, with exactly its seeded buckets."""
    report = json.loads(path.read_text())
    if report["summary"]["accounts_failed"]:
        raise SystemExit(f"{path}: failed accounts {report['failed_accounts']}")
    for account in accounts:
        listed = sorted(b["name"] for b in report["buckets"] if b["account_id"] == account["id"])
        if listed != sorted(account["buckets"]) or len(listed) != buckets:
            raise SystemExit(f"{path}: account {account['id']} lists {len(listed)} buckets, expected {buckets}")
    if report["summary"]["accounts"] != len(accounts):
        raise SystemExit(f"{path}: {report['summary']['accounts']} accounts, expected {len(accounts)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--buckets", type=int, default=50, help="buckets per account")
    parser.add_argument("--forks", default="1,5,20", help="forks of the full inventory runs")
    parser.add_argument(
        "--growth",
        default="5,10,20",
        help="account counts timed at the largest forks (--limit); 2 or more, one account writes no org report",
    )
    parser.add_argument("--no-loop", action="store_true", help="skip the shell loop")
    options = parser.parse_args()
    forks = [int(f) for f in options.forks.split(",")]
    growth = sorted({n for n in (int(g) for g in options.growth.split(",")) if 1 < n < options.accounts})
    sandbox = LoggedSandbox("org-bench-")
    work = Path(tempfile.mkdtemp(prefix="org-bench-"))
    env = dict(os.environ)
    env.update(clients.client_env(sandbox.endpoint))
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("AWS_PROFILE", None)
    rows: list[dict] = []
    try:
        start = time.perf_counter()
        org = seed_organization(
            sandbox.endpoint,
            {"accounts": options.accounts, "buckets_per_account": options.buckets, "suspended": [], "unassumable": []},
        )
        accounts = org["accounts"]
        print(
            f"organization: {len(accounts)} accounts x {options.buckets} buckets seeded in "
            f"{time.perf_counter() - start:.1f} s; sandbox {sandbox.endpoint}",
            flush=True,
        )
        inventory = work / "org.aws_accounts.yml"
        inventory.write_text("plugin: cloudsec.s3.aws_accounts\ninclude_management_account: false\n")
        listed = subprocess.run(
            [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
        by_id = {unwrap(v["account_id"]): host for host, v in hostvars.items()}
        hosts = [by_id[a["id"]] for a in accounts]  # seed order, so --limit takes the first N accounts

        def run(label: str, count: int, fork: int, limit: bool) -> None:
            out = work / label.replace(" ", "-")
            args = [str(BIN / "ansible-playbook"), "cloudsec.s3.baseline", "-i", str(inventory), "--check"]
            args += ["--forks", str(fork), "-e", f"baseline_report_dir={out}"]
            if limit:
                args += ["--limit", ",".join(hosts[:count])]
            before = len(sandbox.requests())
            wall, cpu = timed(args, env)
            check_org_report(out / "org-baseline-report.json", accounts[:count], options.buckets)
            record(label, count, fork, wall, cpu, len(sandbox.requests()) - before)

        def record(label: str, count: int, fork: int | None, wall: float, cpu: float, calls: int) -> None:
            row = {
                "run": label,
                "accounts": count,
                "forks": fork,
                "seconds": round(wall, 2),
                "cpu_seconds": round(cpu, 2),
                "accounts_per_minute": round(count / wall * 60, 2),
                "buckets_per_second": round(count * options.buckets / wall, 2),
                "api_calls": calls,
            }
            rows.append(row)
            print(
                f"  {label:<36} {wall:8.1f} s wall {cpu:7.1f} s CPU {row['accounts_per_minute']:7.2f} accounts/min "
                f"{row['buckets_per_second']:7.2f} buckets/s {calls:7d} calls",
                flush=True,
            )

        for fork in forks:
            run(f"inventory forks {fork}", len(accounts), fork, limit=False)
        for count in growth:
            run(f"inventory forks {max(forks)} {count} accounts", count, max(forks), limit=True)

        if not options.no_loop:
            sts = clients.client(sandbox.endpoint, "sts")
            lines = ["set -e"]
            for account in accounts:
                creds = sts.assume_role(RoleArn=account["role_arn"], RoleSessionName="org-bench")["Credentials"]
                out = work / "loop" / account["id"]
                lines.append(
                    f"AWS_ACCESS_KEY_ID={shlex.quote(creds['AccessKeyId'])} "
                    f"AWS_SECRET_ACCESS_KEY={shlex.quote(creds['SecretAccessKey'])} "
                    f"AWS_SESSION_TOKEN={shlex.quote(creds['SessionToken'])} "
                    f"{shlex.quote(str(BIN / 'ansible-playbook'))} cloudsec.s3.baseline --check "
                    f"-e baseline_report_dir={shlex.quote(str(out))} > /dev/null"
                )
            script = work / "loop.sh"
            script.write_text("\n".join(lines) + "\n")
            before = len(sandbox.requests())
            wall, cpu = timed(["bash", str(script)], env)
            for account in accounts:
                own = json.loads((work / "loop" / account["id"] / "baseline-report.json").read_text())
                names = sorted(b["name"] for b in own["buckets"])
                if own["account"]["account_id"] != account["id"] or names != sorted(account["buckets"]):
                    raise SystemExit(f"loop: account {account['id']} reported {own['account']['account_id']} {names}")
            record("shell loop, one run per account", len(accounts), None, wall, cpu, len(sandbox.requests()) - before)
    finally:
        sandbox.stop()

    loop = next((r for r in rows if r["run"].startswith("shell loop")), None)
    print()
    # vs loop: the loop's seconds per account over the run's, so rows with fewer accounts (--limit) compare too
    print(f"{'run':<36} {'accounts':>8} {'wall s':>8} {'CPU s':>8} {'acc/min':>8} {'bkt/s':>8} {'vs loop':>8}")
    for row in rows:
        ratio = f"{(loop['seconds'] / loop['accounts']) / (row['seconds'] / row['accounts']):.2f}x" if loop else "-"
        print(
            f"{row['run']:<36} {row['accounts']:>8} {row['seconds']:>8.1f} {row['cpu_seconds']:>8.1f} "
            f"{row['accounts_per_minute']:>8.2f} {row['buckets_per_second']:>8.2f} {ratio:>8}"
        )
    full = [r for r in rows if r["forks"] == max(forks)]
    points = sorted((r["accounts"], r["seconds"]) for r in full)
    if len(points) > 1:
        (n0, t0), (n1, t1) = points[0], points[-1]
        print(
            f"growth at forks {max(forks)}: {n0} -> {n1} accounts ({n1 / n0:.1f}x) took {t0:.1f} -> {t1:.1f} s "
            f"({t1 / t0:.2f}x); marginal {(t1 - t0) / (n1 - n0):.2f} s per extra account"
        )
    print(json.dumps({"accounts": options.accounts, "buckets_per_account": options.buckets, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

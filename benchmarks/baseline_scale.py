"""Baseline at scale: cloudsec.s3 baseline.yml vs a loop of amazon.aws.s3_bucket tasks, side by side.

Starts its own sandbox (``python -m sandbox serve --verbose``, one log line per AWS request), creates N buckets in
mixed states, then times, for the controls amazon.aws.s3_bucket supports (bucket Block Public Access, object
ownership BucketOwnerEnforced, default encryption, versioning):

* audit:   ``ansible-playbook cloudsec.s3.baseline --check``  vs  the s3_bucket loop with ``--check``
* enforce: ``ansible-playbook cloudsec.s3.baseline``          vs  the s3_bucket loop (on freshly regenerated state)

and prints buckets per second, AWS API calls per bucket (counted from the sandbox request log) and the ratios.
Not part of ``make test``:  .venv/bin/python benchmarks/baseline_scale.py --buckets 500
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox import clients

BIN = Path(sys.executable).parent
CONTROLS = ["public_access_block", "ownership_controls", "encryption", "versioning"]
LOOP_PLAYBOOK = """---
- name: Baseline the way amazon.aws does it today, one s3_bucket task per bucket
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Put each bucket on the baseline
      amazon.aws.s3_bucket:
        name: "{{ item }}"
        state: present
        public_access:
          block_public_acls: true
          ignore_public_acls: true
          block_public_policy: true
          restrict_public_buckets: true
        object_ownership: BucketOwnerEnforced
        encryption: AES256
        versioning: true
      loop: "{{ lookup('ansible.builtin.file', bucket_file) | from_json }}"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bucket_names(count: int) -> list[str]:
    return [f"bench-{i:04d}-data" for i in range(count)]


def generate(endpoint: str, names: list[str]) -> None:
    """Mixed states: a quarter untouched, a quarter half done, a quarter compliant, a quarter suspended/ACL'd."""
    clients.reset(endpoint)
    s3 = clients.client(endpoint, "s3", max_pool_connections=16)
    bpa = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)

    def one(item: tuple[int, str]) -> None:
        index, name = item
        s3.create_bucket(Bucket=name)
        kind = index % 4
        if kind in (1, 2):
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=bpa)
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if kind == 2:
            s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            )
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
        if kind == 3:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
            s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, enumerate(names)))


class Sandbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="baseline-bench-", suffix=".log")[1])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), "--verbose"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        for _ in range(240):
            try:
                clients.client(self.endpoint, "s3").list_buckets()
                return
            except Exception:  # not up yet
                time.sleep(0.5)
        raise SystemExit("sandbox did not start")

    def requests(self) -> int:
        text = self.log.read_text(errors="replace")
        return sum(
            1 for line in text.splitlines() if '" ' in line and ("HTTP/1.1" in line) and "/_sandbox/" not in line
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def ansible(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"ansible-playbook {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def measure(sandbox: Sandbox, label: str, args: list[str], env: dict[str, str], count: int) -> dict:
    before = sandbox.requests()
    seconds = ansible(args, env)
    calls = sandbox.requests() - before
    row = {
        "run": label,
        "seconds": round(seconds, 2),
        "buckets_per_s": round(count / seconds, 2),
        "api_calls_per_bucket": round(calls / count, 2),
    }
    print(
        f"  {label:<34} {seconds:8.1f} s {row['buckets_per_s']:8.2f} buckets/s "
        f"{row['api_calls_per_bucket']:6.2f} calls/bucket",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16, help="max_workers of s3_bucket_baseline")
    options = parser.parse_args()
    names = bucket_names(options.buckets)
    sandbox = Sandbox()
    work = Path(tempfile.mkdtemp(prefix="baseline-bench-"))
    (work / "loop.yml").write_text(LOOP_PLAYBOOK)
    (work / "buckets.json").write_text(json.dumps(names))
    env = dict(os.environ)
    env.update(clients.client_env(sandbox.endpoint))
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    cloudsec = [
        "cloudsec.s3.baseline",
        "-e",
        json.dumps(
            {
                "baseline_bucket_pattern": "bench-*",
                "baseline_controls": CONTROLS,
                "baseline_statements": {},
                "baseline_account_public_access_block": False,
                "baseline_exception_tag": "",
                "baseline_max_workers": options.workers,
                "baseline_report_dir": str(work / "report"),
            }
        ),
    ]
    loop = [str(work / "loop.yml"), "-e", f"bucket_file={work / 'buckets.json'}"]
    rows = []
    try:
        print(f"{options.buckets} buckets in mixed states; controls: {', '.join(CONTROLS)}", flush=True)
        generate(sandbox.endpoint, names)
        rows.append(measure(sandbox, "audit   cloudsec.s3 baseline.yml", [*cloudsec, "--check"], env, len(names)))
        rows.append(measure(sandbox, "audit   amazon.aws.s3_bucket loop", [*loop, "--check"], env, len(names)))
        rows.append(measure(sandbox, "enforce cloudsec.s3 baseline.yml", cloudsec, env, len(names)))
        rows.append(measure(sandbox, "enforce (again, idempotent)", cloudsec, env, len(names)))
        generate(sandbox.endpoint, names)
        rows.append(measure(sandbox, "enforce amazon.aws.s3_bucket loop", loop, env, len(names)))
    finally:
        sandbox.stop()
    audit = rows[1]["seconds"] / rows[0]["seconds"]
    enforce = rows[4]["seconds"] / rows[2]["seconds"]
    print(
        f"speed-up audit:   {audit:5.1f}x   "
        f"(API calls/bucket {rows[0]['api_calls_per_bucket']} vs {rows[1]['api_calls_per_bucket']})"
    )
    print(
        f"speed-up enforce: {enforce:5.1f}x   "
        f"(API calls/bucket {rows[2]['api_calls_per_bucket']} vs {rows[4]['api_calls_per_bucket']})"
    )
    print(
        json.dumps(
            {
                "buckets": options.buckets,
                "rows": rows,
                "audit_speedup": round(audit, 1),
                "enforce_speedup": round(enforce, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Baseline at scale: cloudsec.s3 baseline.yml vs the same work done with amazon.aws tasks, side by side.

Starts its own sandbox (``python -m sandbox serve --verbose``, one log line per AWS request), creates N buckets in
mixed states, then times, for the controls amazon.aws.s3_bucket supports (bucket Block Public Access, object
ownership BucketOwnerEnforced, default encryption, versioning):

* audit:   ``ansible-playbook cloudsec.s3.baseline --check``  vs  a loop of ``amazon.aws.s3_bucket_info`` tasks
  reading the same four settings (``amazon.aws.s3_bucket`` does not support check mode: under ``--check`` every
  item is skipped without an AWS call, so it cannot audit). The loop only reads; deciding compliance from what it
  read would cost the loop more tasks, which are not counted. A single ``s3_bucket_info`` task over every bucket
  (sequential, no loop) is printed as a reference row.
* enforce: ``ansible-playbook cloudsec.s3.baseline``  vs  a loop of ``amazon.aws.s3_bucket`` tasks, each on
  freshly regenerated state; then ours again (idempotent: no write).

``--loop-sample A,B`` times each amazon.aws loop on two disjoint samples of A and B buckets (stratified: equal
numbers of each generated state) of the same N-bucket estate instead of on all N, prints the seconds per bucket of
both samples (their difference shows whether the per-bucket cost is constant), and extrapolates the loop's time and
CPU to N buckets from the two samples together. Ours always runs on all N. The output says which rows are
extrapolated.

For each run it prints wall seconds, CPU seconds (ansible-playbook and its modules; the sandbox server, which
shares the same cores), buckets per second, AWS API calls per bucket (counted from the sandbox request log) and the
calls by operation, then the ratios. It checks the outcome: our audit must report exactly the drift the generator
planted, and after each enforcement every bucket must be compliant (read back with boto3).
Not part of ``make test``:  .venv/bin/python benchmarks/baseline_scale.py --buckets 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _sandbox import LoggedSandbox

from sandbox import clients

BIN = Path(sys.executable).parent
CONTROLS = ["public_access_block", "ownership_controls", "encryption", "versioning"]
BPA = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
ENFORCE_LOOP = """---
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
FACTS = """        bucket_facts:
          public_access_block: true
          bucket_ownership_controls: true
          bucket_encryption: true
          bucket_versioning: true
"""
AUDIT_LOOP = (
    """---
- name: Read the baseline settings the way amazon.aws does it today, one s3_bucket_info task per bucket
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read each bucket's settings
      amazon.aws.s3_bucket_info:
        name: "{{ item }}"
"""
    + FACTS
    + """      loop: "{{ lookup('ansible.builtin.file', bucket_file) | from_json }}"
"""
)
AUDIT_ONE_TASK = (
    """---
- name: Read the baseline settings of every bucket in one s3_bucket_info task (sequential)
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read every bench bucket's settings
      amazon.aws.s3_bucket_info:
        name_filter: bench-
"""
    + FACTS
)


def bucket_names(count: int) -> list[str]:
    return [f"bench-{i:04d}-data" for i in range(count)]


def generate(endpoint: str, names: list[str]) -> None:
    """Mixed states: a quarter untouched, a quarter half done, a quarter compliant, a quarter suspended/ACL'd."""
    clients.reset(endpoint)
    s3 = clients.client(endpoint, "s3", max_pool_connections=16)

    def one(item: tuple[int, str]) -> None:
        index, name = item
        s3.create_bucket(Bucket=name)
        kind = index % 4
        if kind in (1, 2):
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BPA)
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


def read_state(endpoint: str, names: list[str]) -> dict[str, dict[str, bool]]:
    """Per bucket, whether each control is compliant, read back with boto3 (the benchmark's own judge)."""
    s3 = clients.client(endpoint, "s3", max_pool_connections=16)

    def optional(call, code):
        try:
            return call()
        except s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] == code:
                return None
            raise

    def one(name: str) -> tuple[str, dict[str, bool]]:
        bpa = optional(lambda: s3.get_public_access_block(Bucket=name), "NoSuchPublicAccessBlockConfiguration")
        own = optional(lambda: s3.get_bucket_ownership_controls(Bucket=name), "OwnershipControlsNotFoundError")
        enc = optional(lambda: s3.get_bucket_encryption(Bucket=name), "ServerSideEncryptionConfigurationNotFoundError")
        ver = s3.get_bucket_versioning(Bucket=name)
        return name, {
            "public_access_block": bool(bpa) and all(bpa["PublicAccessBlockConfiguration"].get(k) for k in BPA),
            "ownership_controls": bool(own)
            and own["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced",
            "encryption": bool(enc and enc["ServerSideEncryptionConfiguration"]["Rules"]),
            "versioning": ver.get("Status") == "Enabled",
        }

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(one, names))


def ansible(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"ansible-playbook {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, proc.stdout


def measure(sandbox: LoggedSandbox, label: str, args: list[str], env: dict[str, str], count: int) -> dict:
    before = len(sandbox.requests())
    server_before = sandbox.cpu()
    seconds, cpu, stdout = ansible(args, env)
    server_cpu = sandbox.cpu() - server_before
    calls = sandbox.requests()[before:]
    if not calls:
        raise SystemExit(f"{label}: no AWS call was made, so nothing was measured:\n{stdout[-2000:]}")
    ops = Counter(calls)
    row = {
        "run": label,
        "seconds": round(seconds, 2),
        "ansible_cpu_s": round(cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "buckets_per_s": round(count / seconds, 2),
        "api_calls_per_bucket": round(len(calls) / count, 2),
        "calls": dict(ops.most_common()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        f"  {label:<38} {seconds:8.1f} s {cpu:7.1f} + {server_cpu:6.1f} CPU-s {row['buckets_per_s']:8.2f} buckets/s "
        f"{row['api_calls_per_bucket']:6.2f} calls/bucket   load {row['load_average'][0]:.1f}",
        flush=True,
    )
    print("      " + ", ".join(f"{op} {n}" for op, n in ops.most_common()), flush=True)
    return row


def stratified_samples(names: list[str], sizes: list[int]) -> list[list[str]]:
    """Disjoint samples with equal numbers of each generated state (index % 4), picked at random (seed 7)."""
    rng = random.Random(7)
    kinds = [[n for i, n in enumerate(names) if i % 4 == k] for k in range(4)]
    for group in kinds:
        rng.shuffle(group)
    samples, taken = [], 0
    for size in sizes:
        if size % 4 or taken + size // 4 > len(kinds[0]):
            raise SystemExit(f"--loop-sample sizes must be multiples of 4 that fit in the estate, got {size}")
        samples.append(sorted(n for group in kinds for n in group[taken : taken + size // 4]))
        taken += size // 4
    return samples


def measure_loop(sandbox, label, playbook, work, env, names, samples, regenerate=None, check=None) -> dict:
    """The loop over every bucket, or over the samples with the result extrapolated to ``len(names)`` buckets."""
    bucket_file = work / "buckets.json"
    if not samples:
        bucket_file.write_text(json.dumps(names))
        row = measure(sandbox, label, [playbook, "-e", f"bucket_file={bucket_file}"], env, len(names))
        if check:
            check(names)
        return row
    parts = []
    for sample in samples:
        if regenerate:
            regenerate()
        bucket_file.write_text(json.dumps(sample))
        args = [playbook, "-e", f"bucket_file={bucket_file}"]
        parts.append(measure(sandbox, f"{label} ({len(sample)})", args, env, len(sample)))
        parts[-1]["sample"] = sample
        if check:
            check(sample)
    per_bucket = [p["seconds"] / len(p["sample"]) for p in parts]
    sampled = sum(len(p["sample"]) for p in parts)
    scale = len(names) / sampled
    row = {
        "run": f"{label} (extrapolated)",
        "extrapolated_from": [len(p["sample"]) for p in parts],
        "seconds_per_bucket_by_sample": [round(x, 3) for x in per_bucket],
        "seconds": round(sum(p["seconds"] for p in parts) * scale, 2),
        "ansible_cpu_s": round(sum(p["ansible_cpu_s"] for p in parts) * scale, 2),
        "server_cpu_s": round(sum(p["server_cpu_s"] for p in parts) * scale, 2),
        "api_calls_per_bucket": round(sum(p["api_calls_per_bucket"] * len(p["sample"]) for p in parts) / sampled, 2),
        "samples": [{k: v for k, v in p.items() if k != "sample"} for p in parts],
    }
    row["buckets_per_s"] = round(len(names) / row["seconds"], 2)
    spread = abs(per_bucket[0] - per_bucket[-1]) / max(per_bucket)
    print(
        f"  {row['run']:<38} {row['seconds']:8.1f} s {row['ansible_cpu_s']:7.1f} + {row['server_cpu_s']:6.1f} CPU-s "
        f"{row['buckets_per_s']:8.2f} buckets/s {row['api_calls_per_bucket']:6.2f} calls/bucket   "
        f"(s/bucket {' vs '.join(f'{x:.2f}' for x in per_bucket)}: {spread:.0%} apart)",
        flush=True,
    )
    return row


def planted_drift(names: list[str]) -> dict[str, set[str]]:
    """The controls generate() leaves non-compliant on each bucket (encryption: whatever the sandbox defaults to)."""
    drift = {}
    for index, name in enumerate(names):
        kind = index % 4
        controls = set()
        if kind in (0, 3):
            controls |= {"public_access_block", "ownership_controls", "versioning"}
        if kind == 1:
            controls.add("ownership_controls")
        drift[name] = controls
    return drift


def check_audit(report: Path, names: list[str], state: dict[str, dict[str, bool]]) -> None:
    """Our audit reports exactly the drift present (read back independently), and nothing else."""
    buckets = {b["name"]: b for b in json.loads(report.read_text())["buckets"]}
    if sorted(buckets) != sorted(names):
        raise SystemExit(f"audit report covers {len(buckets)} buckets, expected {len(names)}")
    for name in names:
        reported = {c for c, r in buckets[name]["controls"].items() if r["status"] == "would_change"}
        actual = {c for c, ok in state[name].items() if not ok}
        if reported != actual:
            raise SystemExit(f"audit of {name}: reported drift {sorted(reported)}, actual {sorted(actual)}")


def check_enforced(endpoint: str, names: list[str], label: str) -> None:
    bad = {
        n: [c for c, ok in s.items() if not ok] for n, s in read_state(endpoint, names).items() if not all(s.values())
    }
    if bad:
        first = next(iter(bad.items()))
        raise SystemExit(f"after {label}: {len(bad)} bucket(s) still drift, e.g. {first}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16, help="max_workers of s3_bucket_baseline")
    parser.add_argument("--only-ours", action="store_true", help="skip the amazon.aws runs (for profiling ours)")
    parser.add_argument(
        "--loop-sample",
        default="",
        help="A,B: time the amazon.aws loops on two stratified samples of A and B buckets and extrapolate to N",
    )
    options = parser.parse_args()
    names = bucket_names(options.buckets)
    count = len(names)
    sandbox = LoggedSandbox("baseline-bench-")
    work = Path(tempfile.mkdtemp(prefix="baseline-bench-"))
    for file, text in (("enforce-loop.yml", ENFORCE_LOOP), ("audit-loop.yml", AUDIT_LOOP), ("one.yml", AUDIT_ONE_TASK)):
        (work / file).write_text(text)
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
    rows: dict[str, dict] = {}
    sizes = [int(x) for x in options.loop_sample.split(",") if x.strip()]
    samples = stratified_samples(names, sizes) if sizes else []
    print(
        f"{count} buckets in mixed states; controls: {', '.join(CONTROLS)}; max_workers {options.workers}; "
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    print("  run                                     wall s   ansible + server CPU-s", flush=True)
    try:
        generate(sandbox.endpoint, names)
        state = read_state(sandbox.endpoint, names)
        rows["audit"] = measure(sandbox, "audit   cloudsec.s3 baseline.yml", [*cloudsec, "--check"], env, count)
        check_audit(work / "report" / "baseline-report.json", names, state)
        if not options.only_ours:
            rows["audit_loop"] = measure_loop(
                sandbox,
                "audit   amazon.aws.s3_bucket_info loop",
                str(work / "audit-loop.yml"),
                work,
                env,
                names,
                samples,
            )
            rows["audit_one"] = measure(
                sandbox, "audit   s3_bucket_info, one task (ref.)", [str(work / "one.yml")], env, count
            )
        rows["enforce"] = measure(sandbox, "enforce cloudsec.s3 baseline.yml", cloudsec, env, count)
        check_enforced(sandbox.endpoint, names, "our enforcement")
        rows["again"] = measure(sandbox, "enforce again (idempotent)", cloudsec, env, count)
        if any(op.startswith("PUT") for op in rows["again"]["calls"]):
            raise SystemExit(f"the second enforcement wrote: {rows['again']['calls']}")
        if not options.only_ours:
            rows["enforce_loop"] = measure_loop(
                sandbox,
                "enforce amazon.aws.s3_bucket loop",
                str(work / "enforce-loop.yml"),
                work,
                env,
                names,
                samples,
                regenerate=lambda: generate(sandbox.endpoint, names),
                check=lambda checked: check_enforced(sandbox.endpoint, checked, "the s3_bucket loop"),
            )
    finally:
        sandbox.stop()
    summary: dict = {"buckets": count, "workers": options.workers, "rows": list(rows.values())}
    for kind, ours, theirs in (("audit", "audit", "audit_loop"), ("enforce", "enforce", "enforce_loop")):
        if theirs not in rows:
            continue
        a, b = rows[ours], rows[theirs]
        wall = b["seconds"] / a["seconds"]
        cpu = (b["ansible_cpu_s"] + b["server_cpu_s"]) / (a["ansible_cpu_s"] + a["server_cpu_s"])
        summary[f"{kind}_speedup_wall"] = round(wall, 1)
        summary[f"{kind}_less_cpu"] = round(cpu, 1)
        print(
            f"{kind:<8} ours {a['buckets_per_s']:7.2f} buckets/s vs loop {b['buckets_per_s']:6.2f}: "
            f"{wall:5.1f}x faster (wall), {cpu:5.1f}x less CPU; "
            f"API calls/bucket {a['api_calls_per_bucket']} vs {b['api_calls_per_bucket']}"
            + ("  [loop extrapolated from samples]" if "extrapolated_from" in b else ""),
            flush=True,
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Side-by-side benchmark of the CloudTrail trail-log scanner (``plugins/module_utils/cloudtrail_scan.py``).

One run, same files, same query for every approach: events on one bucket inside one time window, grouped by
principal ARN + source IP + event name with count, errors and first/last seen. The approaches:

* ours: ``cloudtrail_scan.scan`` (isal + msgspec, a process per core), on every file and with key pruning;
* stdlib: ``gzip`` + ``json`` in one process, the baseline a plain Python script would be;
* DuckDB: ``read_json_objects`` + ``from_json`` with only the query's fields, on all cores;
* jq: ``zcat FILE | jq`` per file, two files at a time, groups merged in Python;
* the decompression floor: decompressing every file with isal on all cores and doing nothing else (plain
  ``isal_zlib.decompress`` / ``igzip.decompress``, and into a buffer sized from the gzip trailer as ours does).
* bounds: the sized decompression followed only by validating the JSON, or only by decoding two fields of every
  record: lower bounds for any scanner that checks its input (they answer nothing).

All answers are checked against ours, group by group, and the run fails if any differs.

    python benchmarks/gen_cloudtrail.py            # once: ~1.5 M records in benchmarks/data/cloudtrail
    python benchmarks/cloudtrail_scan.py           # the full comparison
    python benchmarks/cloudtrail_scan.py --only ours,floor,bounds --repeat 5
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
importlib.import_module("conftest")  # puts this checkout on sys.path as ansible_collections.cloudsec.s3
cloudtrail_scan = importlib.import_module("ansible_collections.cloudsec.s3.plugins.module_utils.cloudtrail_scan")

DEFAULT_DATA = REPO / "benchmarks" / "data" / "cloudtrail"
Groups = dict[tuple[str, str | None, str | None], tuple[int, int, str, str]]


# --------------------------------------------------------------------------------------------- approaches


def run_ours(files: list[str], q: dict, workers: int, prune: bool) -> tuple[Groups, dict]:
    res = cloudtrail_scan.scan(
        files, bucket=q["bucket"], start=q["start"], end=q["end"], workers=workers, prune=prune, max_events=1000
    )
    groups = {
        (g["principal_arn"], g["source_ip"], g["event_name"]): (
            g["count"],
            g["errors"],
            g["first_seen"],
            g["last_seen"],
        )
        for g in res.groups
    }
    return groups, res.stats


def _principal(ui) -> str:
    if not isinstance(ui, dict):
        return "unknown"
    issuer = ((ui.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
    return ui.get("arn") or issuer or ui.get("invokedBy") or ui.get("accountId") or "unknown"


def _add(groups: dict, key: tuple, t: str, err: int) -> None:
    g = groups.get(key)
    if g is None:
        groups[key] = [1, err, t, t]
    else:
        g[0] += 1
        g[1] += err
        g[2] = min(g[2], t)
        g[3] = max(g[3], t)


def run_stdlib(files: list[str], q: dict) -> tuple[Groups, int]:
    """What a plain Python script does: gzip + json, one file after the other."""
    groups: dict = {}
    records = 0
    bucket, start, end = q["bucket"], q["start"], q["end"]
    for path in files:
        with gzip.open(path, "rb") as fh:
            doc = json.load(fh)
        recs = doc.get("Records") or []
        records += len(recs)
        for r in recs:
            rp = r.get("requestParameters")
            if not isinstance(rp, dict) or rp.get("bucketName") != bucket:
                continue
            t = r.get("eventTime")
            if not isinstance(t, str) or not start <= t <= end:
                continue
            key = (_principal(r.get("userIdentity")), r.get("sourceIPAddress"), r.get("eventName"))
            _add(groups, key, t, 1 if r.get("errorCode") else 0)
    return {k: tuple(v) for k, v in groups.items()}, records


_DUCK_STRUCTURE = json.dumps(
    {
        "Records": [
            {
                "eventTime": "VARCHAR",
                "eventName": "VARCHAR",
                "sourceIPAddress": "VARCHAR",
                "errorCode": "VARCHAR",
                "requestParameters": {"bucketName": "VARCHAR"},
                "userIdentity": {
                    "arn": "VARCHAR",
                    "accountId": "VARCHAR",
                    "invokedBy": "VARCHAR",
                    "sessionContext": {"sessionIssuer": {"arn": "VARCHAR"}},
                },
            }
        ]
    }
)


def run_duckdb(files: list[str], q: dict, threads: int) -> Groups:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    sql = f"""
        WITH docs AS (
            SELECT from_json(json, '{_DUCK_STRUCTURE}') AS d
            FROM read_json_objects($files, format = 'auto', maximum_object_size = 536870912)
        ),
        recs AS (SELECT unnest(d.Records) AS r FROM docs)
        SELECT coalesce(r.userIdentity.arn, r.userIdentity.sessionContext.sessionIssuer.arn,
                        r.userIdentity.invokedBy, r.userIdentity.accountId, 'unknown') AS principal,
               r.sourceIPAddress, r.eventName, count(*), count(r.errorCode), min(r.eventTime), max(r.eventTime)
        FROM recs
        WHERE r.requestParameters.bucketName = $bucket AND r.eventTime BETWEEN $start AND $end
        GROUP BY ALL
    """
    rows = con.execute(sql, {"files": files, "bucket": q["bucket"], "start": q["start"], "end": q["end"]}).fetchall()
    con.close()
    return {(p, ip, name): (n, e, first, last) for p, ip, name, n, e, first, last in rows}


_JQ_PROGRAM = r"""
[ .Records[]
  | select((.requestParameters | type) == "object" and .requestParameters.bucketName == $b
           and .eventTime >= $s and .eventTime <= $e)
  | { k: [ (.userIdentity.arn // .userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.invokedBy
            // .userIdentity.accountId // "unknown"), .sourceIPAddress, .eventName ],
      t: .eventTime, e: (if .errorCode then 1 else 0 end) } ]
| group_by(.k)[]
| [ .[0].k[0], .[0].k[1], .[0].k[2], length, (map(.e) | add), (map(.t) | min), (map(.t) | max) ]
"""


def _jq_file(path: str, q: dict, jq: str) -> list[list]:
    cmd = (
        f"zcat -- {_quote(path)} | {jq} -c --arg b {_quote(q['bucket'])} --arg s {_quote(q['start'])} "
        f"--arg e {_quote(q['end'])} {_quote(_JQ_PROGRAM)}"
    )
    out = subprocess.run(["/bin/sh", "-c", cmd], check=True, capture_output=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def run_jq(files: list[str], q: dict, procs: int, jq: str) -> Groups:
    merged: dict = {}
    with ThreadPoolExecutor(procs) as pool:
        for rows in pool.map(lambda p: _jq_file(p, q, jq), files):
            for principal, ip, name, n, e, first, last in rows:
                g = merged.get((principal, ip, name))
                if g is None:
                    merged[(principal, ip, name)] = [n, e, first, last]
                else:
                    g[0] += n
                    g[1] += e
                    g[2] = min(g[2], first)
                    g[3] = max(g[3], last)
    return {k: tuple(v) for k, v in merged.items()}


def _igzip_len(path: str) -> int:
    from isal import igzip

    with open(path, "rb") as fh:
        return len(igzip.decompress(fh.read()))


def _isal_zlib_len(path: str) -> int:
    from isal import isal_zlib

    with open(path, "rb") as fh:
        return len(isal_zlib.decompress(fh.read(), wbits=31))


def _sized(path: str) -> bytes:
    """Decompress into one buffer of the size the gzip trailer announces, with the scanner's own function (no
    regrowth); a file that is not one member of the announced size is decompressed plainly."""
    from isal import igzip

    with open(path, "rb") as fh:
        data = fh.read()
    out = cloudtrail_scan._gunzip_sized(data)
    return out if out is not None else igzip.decompress(data)


def _igzip_sized_len(path: str) -> int:
    return len(_sized(path))


try:  # module level: msgspec resolves the string annotations of module-level Structs only
    import msgspec

    class _Anything(msgspec.Struct):
        pass

    class _Params(msgspec.Struct, gc=False):
        bucketName: str | None = None

    class _Rec(msgspec.Struct, gc=False):
        eventTime: str | None = None
        requestParameters: _Params | None = None

    class _Log(msgspec.Struct, gc=False):
        Records: list[_Rec] | None = None

except ImportError:  # pragma: no cover - the bounds need msgspec
    msgspec = None


def _validate_len(path: str) -> int:
    """Decompress as the scanner does, then only validate the JSON (msgspec skips every value): no answer at all."""
    msgspec.json.decode(_sized(path), type=_Anything)
    return 1


def _probe_len(path: str) -> int:
    """Decompress, then decode two fields of every record with a typed msgspec Struct: the cheapest validating pass
    that could answer "which records name the bucket inside the window", before any aggregation."""
    return len(msgspec.json.decode(_sized(path), type=_Log).Records or ())


def run_floor(files: list[str], workers: int, fn) -> int:
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(fn, files, chunksize=2))


# --------------------------------------------------------------------------------------------- harness


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (pool workers, jq, zcat)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, repeat: int):
    """Median wall seconds and median CPU seconds over ``repeat`` runs, and the last answer."""
    walls, cpus = [], []
    out = None
    for _ in range(repeat):
        c0, t0 = _cpu(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return (statistics.median(walls), statistics.median(cpus)), out


def compare(name: str, theirs: Groups, ours: Groups) -> str:
    if theirs == ours:
        return f"{len(theirs)} groups, identical"
    only_theirs = set(theirs) - set(ours)
    only_ours = set(ours) - set(theirs)
    differ = [k for k in set(theirs) & set(ours) if theirs[k] != ours[k]]
    example = (only_theirs or only_ours or set(differ) or {None}).pop()
    raise SystemExit(
        f"{name} disagrees with ours: {len(only_theirs)} groups only in {name}, {len(only_ours)} only in ours, "
        f"{len(differ)} with other values; e.g. {example}: {theirs.get(example)} vs {ours.get(example)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory written by gen_cloudtrail.py")
    parser.add_argument(
        "--only", default="ours,floor,bounds,stdlib,duckdb,jq", help="comma-separated approaches to run"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast approaches (median is reported)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--files", type=int, default=0, help="use only the first N files (0: all)")
    args = parser.parse_args(argv)

    data = Path(args.data)
    manifest = json.loads((data / "manifest.json").read_text())
    files = [str(data / p) for p in manifest["paths"]]
    if args.files:
        files = files[: args.files]
    q = {"bucket": manifest["bucket"], "start": manifest["window_start"], "end": manifest["window_end"]}
    only = set(args.only.split(","))
    gz_bytes = sum(os.path.getsize(f) for f in files)
    for f in files:  # page cache: every approach reads from memory
        Path(f).read_bytes()

    rows: list[tuple[str, tuple[float, float]]] = []
    print(
        f"{len(files)} files, {gz_bytes / 1e6:.0f} MB gz; query: bucket {q['bucket']}, {q['start']} .. {q['end']}; "
        f"{args.workers} workers on {os.cpu_count()} cores",
        flush=True,
    )

    t, (ours, stats) = timed(lambda: run_ours(files, q, args.workers, prune=False), args.repeat)
    records = stats["records_scanned"]
    raw_bytes = stats["bytes_decompressed"]
    rows.append(("ours: isal + msgspec, all files", t))
    print(f"ours: {len(ours)} groups, {stats['records_matched']:,} events matched, decoder {stats['decoder']}")
    top = max(ours.items(), key=lambda kv: kv[1][0])
    print(f"top group: {top[0]} -> {top[1]}", flush=True)
    t_ours = t
    t, (pruned, pstats) = timed(lambda: run_ours(files, q, args.workers, prune=True), args.repeat)
    print(f"with key pruning: {pstats['files_read']}/{len(files)} files read; {compare('pruned', pruned, ours)}")
    rows.append((f"ours + key-timestamp pruning ({pstats['files_read']}/{len(files)} files)", t))

    if "floor" in only:
        t, n = timed(lambda: run_floor(files, args.workers, _isal_zlib_len), args.repeat)
        rows.append(("floor: isal_zlib.decompress, all cores", t))
        t, n = timed(lambda: run_floor(files, args.workers, _igzip_len), args.repeat)
        rows.append(("floor: isal igzip.decompress, all cores", t))
        raw_bytes = n
        t, n = timed(lambda: run_floor(files, args.workers, _igzip_sized_len), args.repeat)
        rows.append(("floor: isal igzip_lib into a buffer sized from the trailer, all cores", t))
    if "bounds" in only:  # what any validating scanner pays before it answers anything (see benchmarks/README.md)
        t, n = timed(lambda: run_floor(files, args.workers, _validate_len), args.repeat)
        rows.append(("bound: sized decompression + msgspec JSON validation only, all cores", t))
        t, n = timed(lambda: run_floor(files, args.workers, _probe_len), args.repeat)
        rows.append(("bound: sized decompression + typed eventTime/bucketName of every record, all cores", t))
    if "duckdb" in only:
        t, theirs = timed(lambda: run_duckdb(files, q, args.workers), 1)
        print(f"duckdb: {compare('duckdb', theirs, ours)}", flush=True)
        rows.append((f"DuckDB read_json_objects + from_json, {args.workers} threads", t))
    if "stdlib" in only:
        t, (theirs, n) = timed(lambda: run_stdlib(files, q), 1)
        print(f"stdlib: {compare('stdlib', theirs, ours)}", flush=True)
        records = n
        rows.append(("stdlib gzip + json, 1 process", t))
    if "jq" in only:
        jq = shutil.which("jq") or "/usr/bin/jq"
        t, theirs = timed(lambda: run_jq(files, q, args.workers, jq), 1)
        print(f"jq: {compare('jq', theirs, ours)}", flush=True)
        rows.append((f"zcat \\| jq 1.6 per file, {args.workers} at a time", t))

    print()
    print(f"{records:,} records, {raw_bytes / 1e9:.2f} GB uncompressed, {gz_bytes / 1e6:.0f} MB gz")
    print("| approach | wall s | CPU s | records/s (wall) | MB/s (wall) | ours is N× faster (wall) | N× less CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    w_ours, c_ours = t_ours
    for name, (w, c) in rows:
        print(
            f"| {name} | {w:.2f} | {c:.2f} | {records / w:,.0f} | {raw_bytes / 1e6 / w:,.0f} | "
            f"{w / w_ours:.2f} | {c / c_ours:.2f} |"
        )
    by_name = {name.split(" ")[0].rstrip(":"): t for name, t in rows}
    print()
    for label, key, target in (("DuckDB", "DuckDB", ">= 3"), ("stdlib", "stdlib", ">= 8"), ("jq", "zcat", "-")):
        if key in by_name:
            w, c = by_name[key]
            print(f"ours vs {label}: {w / w_ours:.2f}x faster wall, {c / c_ours:.2f}x less CPU (target {target})")
    sized = next((t for name, t in rows if name.startswith("floor: isal igzip_lib")), None)
    for name, (w, c) in rows:
        if name.startswith("floor"):
            print(f"ours / {name}: {w_ours / w:.2f}x wall, {c_ours / c:.2f}x CPU (target <= 2)")
        if name.startswith("bound") and sized is not None:
            print(f"{name} / sized floor: {w / sized[0]:.2f}x wall, {c / sized[1]:.2f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())

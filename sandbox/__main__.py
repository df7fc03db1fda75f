# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m sandbox``: serve, start/stop in the background, reset, seed and run commands against the sandbox."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sandbox import DEFAULT_HOST
from sandbox import DEFAULT_PORT

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_endpoint() -> str:
    return os.environ.get("SANDBOX_ENDPOINT") or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def healthy(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_sandbox/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(endpoint: str, process: subprocess.Popen | None = None, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(endpoint):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "sandbox", "serve", "--host", host, "--port", str(port)]


def _scenarios() -> Any:
    """The scenario registry, imported lazily (it is written separately and may be absent)."""
    try:
        import sandbox.scenarios as registry
    except ImportError as exc:
        raise SystemExit(_fail(f"sandbox: scenarios are not available ({exc})", EXIT_FAILED)) from None
    return registry


def _fail(message: str, code: int) -> int:
    _say(message)
    return code


# --------------------------------------------------------------------------- commands
def cmd_serve(args: argparse.Namespace) -> int:
    from sandbox import server

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve(args.host, args.port, verbose=args.verbose)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return _fail(f"sandbox: cannot listen on {args.host}:{args.port}: port {args.port} is already in use", 2)
        return _fail(f"sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        return 0
    return 0


def _state_files(state_dir: str) -> tuple[Path, Path, Path]:
    root = Path(state_dir).resolve()
    return root / "sandbox.pid", root / "endpoint", root / "server.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def cmd_start(args: argparse.Namespace) -> int:
    pid_file, endpoint_file, log_file = _state_files(args.state_dir)
    pid = _read_pid(pid_file)
    if pid is not None:
        endpoint = endpoint_file.read_text().strip() if endpoint_file.exists() else "?"
        return _fail(f"sandbox: already running at {endpoint} (pid {pid}); run `python -m sandbox stop` first", 2)
    if args.port and not port_free(args.host, args.port):
        return _fail(f"sandbox: cannot start: port {args.port} on {args.host} is already in use", 2)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            _server_command(args.host, args.port),
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    endpoint = None
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and endpoint is None:
        first = log_file.read_text(errors="replace").splitlines()
        if first and first[0].startswith("sandbox listening on "):
            endpoint = first[0].split(" on ", 1)[1].strip()
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.1)
    if endpoint is None or not wait_healthy(endpoint, process, timeout=max(1.0, deadline - time.monotonic())):
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        detail = log_file.read_text(errors="replace").strip().splitlines()
        return _fail(f"sandbox: failed to start: {detail[-1] if detail else 'no output'} (log: {log_file})", 2)
    pid_file.write_text(f"{process.pid}\n")
    endpoint_file.write_text(f"{endpoint}\n")
    print(endpoint, flush=True)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    pid_file, endpoint_file, _ = _state_files(args.state_dir)
    pid = _read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        endpoint_file.unlink(missing_ok=True)
        print("sandbox: not running", flush=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    endpoint_file.unlink(missing_ok=True)
    print(f"sandbox: stopped (pid {pid})", flush=True)
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from sandbox import clients

    try:
        clients.reset(args.endpoint)
    except clients.ControlError as exc:
        return _fail(f"sandbox: {exc}", EXIT_FAILED)
    print(f"sandbox: reset {args.endpoint}", flush=True)
    return 0


def _load_seed_file(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read seed file {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"seed file {path} is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None


def apply_scenario(name: str, endpoint: str, seed: int = 0) -> dict[str, Any]:
    """Apply a scenario; on failure reset the sandbox so nothing is left half-seeded, then re-raise."""
    from sandbox import clients

    registry = _scenarios()
    try:
        return registry.apply(name, endpoint, seed=seed)
    except registry.UnknownScenario:
        raise
    except Exception:
        with contextlib.suppress(clients.ControlError):
            clients.reset(endpoint)
        raise


def cmd_seed(args: argparse.Namespace) -> int:
    from sandbox import clients

    if bool(args.scenario) == bool(args.file):
        return _fail("sandbox seed: give either a SCENARIO name or --file seed.json", EXIT_BAD_INPUT)
    if args.file:
        try:
            payload = _load_seed_file(args.file)
        except ValueError as exc:
            return _fail(f"sandbox: {exc}; nothing seeded", EXIT_BAD_INPUT)
        try:
            result = clients.seed(args.endpoint, payload)
        except clients.ControlError as exc:
            return _fail(f"sandbox: {exc}; nothing seeded", EXIT_BAD_INPUT)
        print(json.dumps(result, indent=2), flush=True)
        return 0
    registry = _scenarios()
    try:
        result = apply_scenario(args.scenario, args.endpoint, seed=args.seed)
    except registry.UnknownScenario as exc:
        return _fail(f"sandbox: {exc}", EXIT_BAD_INPUT)
    except Exception as exc:
        return _fail(f"sandbox: scenario {args.scenario} failed: {exc}; the sandbox was reset", EXIT_FAILED)
    print(json.dumps(result, indent=2, default=str), flush=True)
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    registry = _scenarios()
    names = registry.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        print(f"{name:<{width}}  {registry.describe(name)}")
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    from sandbox import clients
    from sandbox import organization

    spec = {"accounts": args.accounts, "buckets_per_account": args.buckets_per_account}
    if args.unassumable:
        spec["unassumable"] = args.unassumable
    if args.external_id:
        spec["external_id"] = args.external_id
    try:
        result = organization.seed_organization(args.endpoint, spec)
    except organization.OrganizationSeedError as exc:
        return _fail(f"sandbox org: {exc}", EXIT_BAD_INPUT)
    except clients.ControlError as exc:
        return _fail(f"sandbox org: {exc}", EXIT_FAILED)
    print(json.dumps(result, indent=2), flush=True)
    return 0


def _drain(stream: Any, tail: list[str]) -> None:
    """Keep reading a child's pipe so it never blocks on a full buffer; remember the last lines."""
    for line in stream:
        tail.append(line)
        del tail[:-20]


def start_subprocess(host: str, port: int, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start ``python -m sandbox serve`` and return (process, endpoint) once it is healthy."""
    process = subprocess.Popen(
        _server_command(host, port),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("sandbox listening on "):
        process.wait(timeout=10)
        err = process.stderr.read() if process.stderr else ""
        raise RuntimeError((err or line or "the server exited").strip())
    endpoint = line.split(" on ", 1)[1].strip()
    tail: list[str] = []
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=_drain, args=(stream, tail), daemon=True).start()
    if not wait_healthy(endpoint, process, timeout=timeout):
        stop_subprocess(process)
        raise RuntimeError(f"the sandbox at {endpoint} did not become healthy: {''.join(tail[-3:]).strip()}")
    return process, endpoint


def stop_subprocess(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cmd_run(args: argparse.Namespace) -> int:
    from sandbox import clients

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        return _fail("sandbox run: give the command to run after --, e.g. run --scenario X -- pytest", EXIT_BAD_INPUT)
    if args.scenario:
        registry = _scenarios()
        if args.scenario.strip().replace("_", "-") not in registry.names():
            return _fail(f"sandbox: {registry.UnknownScenario(args.scenario)}", EXIT_BAD_INPUT)
    try:
        process, endpoint = start_subprocess(args.host, args.port)
    except RuntimeError as exc:
        return _fail(f"sandbox: failed to start: {exc}", EXIT_BAD_INPUT)
    try:
        if args.scenario:
            try:
                apply_scenario(args.scenario, endpoint, seed=args.seed)
            except Exception as exc:
                return _fail(f"sandbox: scenario {args.scenario} failed: {exc}", EXIT_FAILED)
        env = dict(os.environ)
        env.update(clients.client_env(endpoint))
        env["SANDBOX_ENDPOINT"] = endpoint
        try:
            return subprocess.call(command, env=env)
        except OSError as exc:
            return _fail(f"sandbox run: cannot run {command[0]!r}: {exc.strerror or exc}", 127)
    finally:
        stop_subprocess(process)


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A local AWS on one loopback port: moto plus GuardDuty findings, CloudTrail LookupEvents, "
        "Detective and IAM SimulatePrincipalPolicy, with seeded incident scenarios.",
    )
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")

    def endpoint_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--endpoint",
            default=default_endpoint(),
            help="sandbox URL (default: $SANDBOX_ENDPOINT, else http://127.0.0.1:5055)",
        )

    p = sub.add_parser("serve", help="serve in the foreground (first stdout line: 'sandbox listening on URL')")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 5055; 0 picks a free port)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("start", help="start in the background, wait until healthy, print the endpoint")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 5055; 0 picks a free port)")
    p.add_argument(
        "--state-dir", default=".sandbox", help="where the pid, endpoint and log files go (default .sandbox)"
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness (default 60)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", help="stop the background sandbox started with 'start'")
    p.add_argument("--state-dir", default=".sandbox", help="state directory used by 'start' (default .sandbox)")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("reset", help="forget everything: moto's state and the sandbox's own")
    endpoint_option(p)
    p.set_defaults(func=cmd_reset)

    p = sub.add_parser("seed", help="seed a scenario by name, or a JSON payload with --file (see sandbox/README.md)")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario name (see 'scenarios')")
    p.add_argument("--file", help="a JSON seed payload to POST to /_sandbox/seed")
    p.add_argument("--seed", type=int, default=0, help="random seed for the scenario (default 0)")
    endpoint_option(p)
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "org",
        help="seed an AWS Organization: OUs, member accounts with tags, their responder role and buckets",
    )
    p.add_argument("--accounts", type=int, default=3, help="member accounts (default 3; the last one is SUSPENDED)")
    p.add_argument("--buckets-per-account", type=int, default=2, help="buckets in each member account (default 2)")
    p.add_argument(
        "--unassumable", type=int, action="append", metavar="INDEX", help="member account seeded without the role"
    )
    p.add_argument("--external-id", help="ExternalId the responder role's trust policy requires")
    endpoint_option(p)
    p.set_defaults(func=cmd_org)

    p = sub.add_parser("scenarios", help="list the scenarios with a one-line description each")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser(
        "run",
        help="start a private sandbox, seed a scenario, run a command against it, stop it; exit with its code",
    )
    p.add_argument("--scenario", help="scenario to seed first (optional)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the scenario (default 0)")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...: the command to run")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

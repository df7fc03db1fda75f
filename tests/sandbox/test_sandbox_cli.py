# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m sandbox``: bad input gives one clear message and a non-zero exit, nothing half-done."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cli(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_serve_on_a_port_in_use_names_the_port_and_exits_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _cli("serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"sandbox: cannot listen on 127.0.0.1:{port}: port {port} is already in use"
    ]


@pytest.mark.sandbox
def test_seed_unknown_scenario_lists_the_available_ones_and_exits_2(sandbox):
    result = _cli("seed", "no-such-scenario", "--endpoint", sandbox.endpoint)
    assert result.returncode == 2
    assert "no-such-scenario" in result.stderr and "public-exfiltration" in result.stderr


@pytest.mark.sandbox
def test_malformed_seed_file_names_the_file_and_seeds_nothing(sandbox, tmp_path):
    bad = tmp_path / "seed.json"
    bad.write_text('{"guardduty_findings": [}\n')
    result = _cli("seed", "--file", str(bad), "--endpoint", sandbox.endpoint)
    assert result.returncode == 2
    assert str(bad) in result.stderr and "line 1 column 25" in result.stderr


@pytest.mark.sandbox
def test_seed_file_refused_by_the_server_exits_2_with_its_reason(sandbox, tmp_path, record):
    payload = tmp_path / "seed.json"
    payload.write_text(json.dumps({"cloudtrail_events": [record(), {"eventName": "x"}]}))
    result = _cli("seed", "--file", str(payload), "--endpoint", sandbox.endpoint)
    assert result.returncode == 2
    assert 'cloudtrail_events[1]: missing "eventTime"' in result.stderr
    assert sandbox.client("cloudtrail").lookup_events()["Events"] == []


def test_run_gives_the_command_the_sandbox_environment_and_its_exit_code():
    probe = (
        "import os, sys, boto3;"
        "s3 = boto3.client('s3');"
        "s3.create_bucket(Bucket='probe-bucket');"
        "sys.exit(7 if os.environ['AWS_ENDPOINT_URL'].startswith('http://127.0.0.1:') else 1)"
    )
    result = _cli("run", "--", sys.executable, "-c", probe)
    assert result.returncode == 7, result.stderr


def test_start_refuses_a_second_start_and_stop_cleans_up(tmp_path):
    state = tmp_path / "state"
    started = _cli("start", "--port", "0", "--state-dir", str(state))
    try:
        assert started.returncode == 0, started.stderr
        endpoint = started.stdout.strip()
        assert endpoint.startswith("http://127.0.0.1:")
        assert (state / "endpoint").read_text().strip() == endpoint
        again = _cli("start", "--port", "0", "--state-dir", str(state))
        assert again.returncode == 2
        assert f"already running at {endpoint}" in again.stderr
    finally:
        stopped = _cli("stop", "--state-dir", str(state))
    assert stopped.returncode == 0
    assert not (state / "sandbox.pid").exists()


def test_help_lists_every_command():
    result = _cli("--help")
    assert result.returncode == 0
    for command in ("serve", "start", "stop", "reset", "seed", "scenarios", "run"):
        assert command in result.stdout

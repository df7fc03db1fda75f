"""Every molecule scenario under extensions/molecule (converge, idempotence, verify) against its own sandbox."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import clients

pytestmark = [pytest.mark.molecule, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(
    p.parent.name for p in (REPO / "extensions" / "molecule").glob("*/molecule.yml") if p.parent.name != "shared"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, tools_env):
    port = _free_port()
    env = dict(tools_env)
    env.update(clients.client_env(f"http://127.0.0.1:{port}"))
    env["SANDBOX_PORT"] = str(port)
    env["MOLECULE_NO_LOG"] = "false"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = proc.stdout + proc.stderr
    failures = [output[max(0, m.start() - 1500) : m.start() + 2500] for m in re.finditer(r"fatal:|CRITICAL", output)]
    assert proc.returncode == 0, f"molecule test -s {scenario} failed:\n" + "\n...\n".join(
        failures[:3] or [output[-6000:]]
    )

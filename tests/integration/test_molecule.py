"""Every molecule scenario under extensions/molecule (create, converge, idempotence, verify).

The scenarios run on this xdist worker's sandbox (``sandbox_server``): ``create`` resets it and seeds the scenario,
so no server is started per scenario, and ``--destroy=never`` skips the destroy step, which would only stop a
sandbox that create started itself. Each run gets its own molecule ephemeral directory, so no state (``created``,
converge results) carries over from an earlier run or another worker.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import clients

pytestmark = [pytest.mark.molecule, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;.*?\x1b\\")  # colours and hyperlinks
SCENARIOS = sorted(
    p.parent.name for p in (REPO / "extensions" / "molecule").glob("*/molecule.yml") if p.parent.name != "shared"
)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, sandbox_server, tools_env, tmp_path):
    env = dict(tools_env)
    env.update(clients.client_env(sandbox_server.endpoint))
    env["SANDBOX_ENDPOINT"] = sandbox_server.endpoint
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(tmp_path / "molecule")
    env["MOLECULE_NO_LOG"] = "false"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario, "--destroy=never"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = ANSI.sub("", proc.stdout + proc.stderr)
    failures = [output[max(0, m.start() - 1500) : m.start() + 2500] for m in re.finditer(r"fatal:|CRITICAL", output)]
    assert proc.returncode == 0, f"molecule test -s {scenario} failed:\n" + "\n...\n".join(
        failures[:3] or [output[-6000:]]
    )
    # the sequence really ran: a step skipped or dropped from molecule.yml fails this test
    for step in ("create", "converge", "idempotence", "verify"):
        assert f"{scenario} \u279c {step}: Executed: Successful" in output, (
            f"molecule test -s {scenario} did not run {step}:\n{output[-3000:]}"
        )

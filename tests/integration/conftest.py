"""Helpers to run real ansible-playbook / molecule processes against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_HOME"] = str(REPO / ".tmp" / "ansible-home")
    env["ANSIBLE_LOCAL_TEMP"] = str(REPO / ".tmp" / "ansible-local")
    env["ANSIBLE_NOCOLOR"] = "1"
    env.pop("ANSIBLE_STDOUT_CALLBACK", None)
    return env


class PlaybookRunner:
    """``runner(path_or_fqcn, *args) -> (rc, json_result)`` with the json stdout callback."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    @staticmethod
    def tasks(result: dict, task_name: str) -> list[dict]:
        """The per-host results of every task with that name, across plays."""
        out = []
        for play in result.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name:
                    out.extend(task["hosts"].values())
        return out

    def __call__(self, target: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
        sandbox = self.sandbox
        proc_env = tool_env(env or sandbox.env)
        proc_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        proc = subprocess.run(
            [str(BIN / "ansible-playbook"), target, *args],
            cwd=REPO,
            env=proc_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            pytest.fail(f"ansible-playbook printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc.returncode, result


@pytest.fixture
def playbook(sandbox: Any) -> PlaybookRunner:
    return PlaybookRunner(sandbox)


@pytest.fixture
def tools_env() -> dict[str, str]:
    """os.environ prepared for running ansible tools from this checkout (no sandbox variables)."""
    return tool_env(dict(os.environ))

"""Run a cloudsec.s3 module's main() in-process against the sandbox, as Ansible would, and return its result."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_module(sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable:
    """``run_module(name, args, check_mode=False, diff=False) -> (failed, result)`` against the sandbox."""
    for key, value in sandbox.env.items():
        if key.startswith(("AWS_", "SANDBOX_")):
            monkeypatch.setenv(key, value)

    def run(name: str, args: dict[str, Any], *, check_mode: bool = False, diff: bool = False) -> tuple[bool, dict]:
        module = importlib.import_module(f"ansible_collections.cloudsec.s3.plugins.modules.{name}")
        full = {"endpoint_url": sandbox.endpoint, "region": "us-east-1", **args}
        if check_mode:
            full["_ansible_check_mode"] = True
        if diff:
            full["_ansible_diff"] = True
        capsys.readouterr()
        with patch_module_args(full), pytest.raises(SystemExit) as exc:
            module.main()
        result = json.loads(capsys.readouterr().out)
        return bool(exc.value.code) or bool(result.get("failed")), result

    return run

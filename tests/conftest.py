# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sandbox fixtures shared by every test suite.

``sandbox_server`` (session): one ``python -m sandbox serve --port 0`` subprocess on 127.0.0.1, started on
first use and stopped at the end of the session (one per xdist worker).

``sandbox`` (function): the same server, reset before the test, as an object with ``.endpoint``,
``.env`` (``os.environ`` + the AWS variables pointing at the sandbox + ``ANSIBLE_CONFIG``),
``.client(service, region=...)``, ``.seed(payload)``, ``.reset()`` and ``.scenario(name) -> dict``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest

from sandbox import REGION
from sandbox import clients

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_CONFIG = REPO / "ansible.cfg"
_CLIENTS: dict[tuple[str, str, str], Any] = {}


@dataclass
class SandboxServer:
    endpoint: str
    process: Any


@dataclass
class Sandbox:
    """A reset sandbox for one test."""

    endpoint: str
    env: dict[str, str] = field(default_factory=dict)

    def client(self, service: str, region: str = REGION, **config: Any) -> Any:
        if config:
            return clients.client(self.endpoint, service, region, **config)
        key = (self.endpoint, service, region)
        # Shared by every test of the worker (building one costs ~0.1 s): never register event handlers on them;
        # a test that needs a modified client builds its own with clients.client().
        if key not in _CLIENTS:
            _CLIENTS[key] = clients.client(self.endpoint, service, region)
        return _CLIENTS[key]

    def seed(self, payload: dict[str, Any]) -> Any:
        return clients.seed(self.endpoint, payload)

    def reset(self) -> None:
        clients.reset(self.endpoint)

    def scenario(self, name: str, *, seed: int = 0) -> dict[str, Any]:
        from sandbox import scenarios

        return scenarios.apply(name, self.endpoint, seed=seed)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    from sandbox.__main__ import start_subprocess
    from sandbox.__main__ import stop_subprocess

    process, endpoint = start_subprocess("127.0.0.1", 0)
    try:
        yield SandboxServer(endpoint=endpoint, process=process)
    finally:
        stop_subprocess(process)


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Sandbox:
    clients.reset(sandbox_server.endpoint)
    env = dict(os.environ)
    env.update(clients.client_env(sandbox_server.endpoint))
    env["SANDBOX_ENDPOINT"] = sandbox_server.endpoint
    env["ANSIBLE_CONFIG"] = str(ANSIBLE_CONFIG)
    return Sandbox(endpoint=sandbox_server.endpoint, env=env)

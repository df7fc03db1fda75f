# -*- coding: utf-8 -*-
# Copyright: (c) 2026, cloudsec.s3 contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeded incident scenarios for the sandbox.

A scenario is a module ``sandbox/scenarios/<snake_name>.py`` with ``NAME`` (kebab-case), ``DESCRIPTION`` (one
line), a pure ``build(seed, now) -> dict`` and ``apply(endpoint, *, seed=0, now=None) -> dict``.
``apply`` returns ``{"scenario", "seed", "now", "endpoint", "expected", "created", "placeholders", "seconds"}``:
``expected`` holds the conclusions a correct response reaches (see docs/scenarios.md), ``created`` the counts
of what was made.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sandbox.scenarios._common import ScenarioConflict

__all__ = ["ScenarioConflict", "UnknownScenario", "apply", "build", "describe", "names"]

_MODULES = ("public_exfiltration", "ransomware", "cross_account_backdoor")


class UnknownScenario(ValueError):
    """Raised for a scenario name that does not exist; the message lists the ones that do."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown scenario {name!r}; available: {', '.join(names())}")


def _load() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for mod_name in _MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{mod_name}")
        except ModuleNotFoundError as exc:  # a scenario still being written must not break the others
            if exc.name != f"{__name__}.{mod_name}":
                raise
            continue
        found[mod.NAME] = mod
    return found


def _module(name: str) -> ModuleType:
    mods = _load()
    key = name.strip().replace("_", "-") if isinstance(name, str) else name
    if key not in mods:
        raise UnknownScenario(name)
    return mods[key]


def names() -> list[str]:
    """The available scenario names, sorted."""
    return sorted(_load())


def describe(name: str) -> str:
    """The one-line description of scenario ``name``."""
    return _module(name).DESCRIPTION


def build(name: str, *, seed: int = 0, now: Any = None) -> dict:
    """Everything scenario ``name`` would create, without creating it (pure)."""
    from sandbox.scenarios._common import default_now

    return _module(name).build(seed, now or default_now())


def apply(name: str, endpoint: str, *, seed: int = 0) -> dict:
    """Create scenario ``name`` in the sandbox at ``endpoint``; returns its expected conclusions and counts."""
    return _module(name).apply(endpoint, seed=seed)

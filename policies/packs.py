"""What the pack entry points (`policies/<pack>/__main__.py`) need besides the registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from inferstack.policies.config import pack_config
from inferstack.policies.rules._base import ENVS, LEVELS

ROOT = Path(__file__).resolve().parent.parent


def current_environment() -> str:
    """INFERSTACK_ENV, else the Pulumi stack name when it is an environment, else prod (strictest)."""
    for var in ("INFERSTACK_ENV", "PULUMI_STACK"):
        value = os.environ.get(var, "")
        if value in ENVS:
            return value
    return "prod"


def initial_config(pack: str, env_name: str | None = None) -> dict[str, dict[str, Any] | EnforcementLevel]:
    """PolicyPack(initial_config=...): the same configuration `inferstack policy-config` prints for the
    environment (its file's overrides included when the project is next to the pack), with enforcement
    levels as pulumi_policy enums."""
    name = env_name or current_environment()
    env: Any = name
    try:
        from inferstack.config.loader import InputError, Project, load_environment

        env = load_environment(Project(ROOT), name, check_packages=False)
    except (ImportError, InputError):
        env = name
    out: dict[str, dict[str, Any] | EnforcementLevel] = {}
    for policy, values in pack_config(env, pack).items():
        entry = dict(values)
        entry["enforcementLevel"] = LEVELS[entry["enforcementLevel"]]
        out[policy] = entry
    return out

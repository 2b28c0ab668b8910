"""Shared pieces of the `inferstack` commands: which project, which environment, plain output.

Nothing here imports inferstack.cli, so every command module can use it.

Project root: `--project DIR` (or `INFERSTACK_PROJECT`), else the nearest directory upward from the
current directory holding `Pulumi.yaml` and `environments/`. Never the directory inferstack was
installed from: an installed wheel run in another repository must not read this checkout's files.

Environment, first match wins:

1. `--env/-e NAME`;
2. `--stack/-s STACK`: the environment the stack file `Pulumi.<STACK>.yaml` names
   (`inferstack:environment`), else the stack's own name (`org/project/dev` -> `dev`);
3. `INFERSTACK_ENV`;
4. `PULUMI_STACK`, which the Pulumi CLI ranks between `--stack` and the selected stack
   (https://www.pulumi.com/docs/iac/cli/environment-variables/, read 2026-12-02);
5. the stack chosen with `pulumi stack select`: the Pulumi CLI stores it as `{"stack": NAME}` in
   `$PULUMI_HOME/workspaces/<project name>-<sha1 of the Pulumi.yaml path>-workspace.json`, with
   PULUMI_HOME defaulting to `~/.pulumi` (pulumi/pulumi sdk/go/common/workspace/workspace.go,
   `settingsPath`, read 2026-12-02).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
import yaml

from inferstack.errors import InputError
from inferstack.project import Project, find_project
from inferstack.text import plural

ENV_VAR, PROJECT_VAR = "INFERSTACK_ENV", "INFERSTACK_PROJECT"

#: Set by the root callback from `--project`; read by `current_project()`.
_PROJECT_DIR: dict[str, Path | None] = {"dir": None}

EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help=f"Environment (environments/<env>.yaml). Default: from --stack, ${ENV_VAR}, $PULUMI_STACK, "
        "or the stack selected with `pulumi stack select`.",
        show_default=False,
    ),
]
StackOpt = Annotated[
    str | None,
    typer.Option(
        "--stack",
        "-s",
        help="Pulumi stack; selects the environment its Pulumi.<stack>.yaml names (like `pulumi -s`).",
        show_default=False,
    ),
]


def markup_mode() -> Literal["rich"] | None:
    """Typer's box-drawn help and error panels on an interactive terminal only; plain text in pipes and CI
    logs (Typer prints plain Click messages when the app's rich_markup_mode is None)."""
    return "rich" if sys.stderr.isatty() and sys.stdout.isatty() else None


def set_project_dir(path: Path | None) -> None:
    _PROJECT_DIR["dir"] = path


def current_project() -> Project:
    """The project named by --project / INFERSTACK_PROJECT, else discovered from the current directory."""
    explicit = _PROJECT_DIR["dir"] or (Path(os.environ[PROJECT_VAR]) if os.environ.get(PROJECT_VAR) else None)
    if explicit is None:
        return find_project()
    root = explicit.expanduser()
    if not (root / "Pulumi.yaml").is_file() or not (root / "environments").is_dir():
        raise InputError(
            f"{root} ==> not an inferstack project (no Pulumi.yaml and environments/ there); pass the directory "
            "holding them to --project"
        )
    return Project(root.resolve())


def optional_project() -> Project | None:
    """The project when there is one; None for commands that also work without (policy check of a file)."""
    try:
        return current_project()
    except InputError:
        if _PROJECT_DIR["dir"] is not None or os.environ.get(PROJECT_VAR):
            raise
        return None


def _stack_file_environment(project: Project | None, stack: str) -> str | None:
    if project is None:
        return None
    path = project.root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    from inferstack.config.loader import read_yaml

    data, _ = read_yaml(path, project.rel(path))  # InputError (exit 2) for a file that is there but unreadable
    config = data.get("config") if isinstance(data, dict) else None
    value = config.get("inferstack:environment") if isinstance(config, dict) else None
    if isinstance(value, dict):  # `inferstack:environment: {value: dev}` is also valid stack config
        value = value.get("value")
    return value if isinstance(value, str) and value else None


def selected_stack(project: Project | None) -> str | None:
    """The stack `pulumi stack select` recorded for this project's workspace, if any."""
    if project is None:
        return None
    pulumi_yaml = project.root / "Pulumi.yaml"
    try:
        name = (yaml.safe_load(pulumi_yaml.read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, ValueError, yaml.YAMLError, AttributeError):  # ValueError: not UTF-8
        return None
    if not isinstance(name, str):
        return None
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    digest = hashlib.sha1(str(pulumi_yaml.resolve()).encode(), usedforsecurity=False).hexdigest()
    settings = home / "workspaces" / f"{name}-{digest}-workspace.json"
    try:
        stack = json.loads(settings.read_text(encoding="utf-8")).get("stack")
    except (OSError, ValueError, AttributeError):
        return None
    return stack if isinstance(stack, str) and stack else None


@dataclass(frozen=True)
class Target:
    """Which environment a command works on, and why (for messages)."""

    env: str
    stack: str | None
    source: str


def resolve_target(env: str | None, stack: str | None, project: Project | None) -> Target:
    """Apply the order in the module docstring; InputError (exit 2) when nothing names an environment."""
    if env:
        return Target(env, stack, "--env")
    if stack:
        short = stack.rsplit("/", 1)[-1]  # `org/project/dev` names the same stack file as `dev`
        return Target(_stack_file_environment(project, short) or short, short, "--stack")
    if os.environ.get(ENV_VAR):
        return Target(os.environ[ENV_VAR], None, f"${ENV_VAR}")
    for origin, lookup in (
        ("$PULUMI_STACK", lambda: os.environ.get("PULUMI_STACK")),
        ("pulumi stack select", lambda: selected_stack(project)),
    ):
        chosen = (lookup() or "").rsplit("/", 1)[-1]
        if chosen:
            return Target(_stack_file_environment(project, chosen) or chosen, chosen, origin)
    known = ", ".join(project.environment_names()) if project else "dev, staging, prod"
    raise InputError(
        f"no environment given ==> pass --env ENV (one of: {known}), --stack STACK, set ${ENV_VAR}, or select a "
        "Pulumi stack with `pulumi stack select`"
    )


def resolve_env(env: str | None, stack: str | None = None) -> tuple[Project, Target]:
    project = current_project()
    return project, resolve_target(env, stack, project)


def wrote(out: Path, what: str) -> None:
    """The one line a successful `--out` prints (stderr, so piping stdout stays clean)."""
    size = out.stat().st_size if out.exists() else 0
    print(f"wrote {what} to {out} ({plural(size, 'byte')})", file=sys.stderr)

"""`inferstack policy-config` and `inferstack policy check` (registered on the app in inferstack/cli.py).

Nothing here imports inferstack.cli at module level, so the two modules can import each other.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

policy_app = typer.Typer(name="policy", help="Guardrail packs: audit existing stacks.", no_args_is_help=True)


class PackChoice(StrEnum):
    security = "security"
    cost = "cost"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def policy_config(
    env: Annotated[str, typer.Option("--env", "-e", help="Environment name (environments/<env>.yaml).")],
    pack: Annotated[
        PackChoice | None, typer.Option("--pack", help="Only this pack (one file per --policy-pack).")
    ] = None,
) -> None:
    """Print the JSON for `pulumi preview --policy-pack-config`: levels and limits the offline preview uses."""
    from inferstack.cli import fail, project_or_fail
    from inferstack.config.loader import InputError, load_environment
    from policies.config import PolicyConfigError, pack_config

    project = project_or_fail()
    try:
        environment = load_environment(project, env, check_packages=False)
        config = pack_config(environment, pack.value if pack else None)
    except InputError as exc:
        fail(exc.message)
    except PolicyConfigError as exc:
        fail(f"environments/{env}.yaml ==> {exc}")
    print(json.dumps(config, indent=2, sort_keys=True))


@policy_app.command("check")
def policy_check(
    input_file: Annotated[Path, typer.Option("--input", "-i", help="`pulumi stack export` file or preview JSON.")],
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Environment whose levels apply (default: the file's stack).")
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json or markdown.")] = CheckFormat.text,
) -> None:
    """Audit a deployed stack (`pulumi stack export`) or a preview JSON with the security and cost packs."""
    from inferstack.cli import EXIT_OK, EXIT_VIOLATIONS, fail, project_or_fail
    from inferstack.config.loader import InputError
    from inferstack.policy_check import check_file, render_chunks

    project = project_or_fail()
    try:
        report = check_file(project, input_file, env)
    except InputError as exc:
        fail(exc.message)
    for chunk in render_chunks(report, fmt.value):
        sys.stdout.write(chunk)
    raise typer.Exit(EXIT_VIOLATIONS if report.has_mandatory else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add `policy-config` and the `policy` group to the main app."""
    app.command("policy-config")(policy_config)
    app.add_typer(policy_app, name="policy")

"""`inferstack policy config` (old name `policy-config` kept, hidden) and `inferstack policy check`.

Registered on the app in inferstack/cli.py.

Nothing here imports inferstack.cli at module level, so the two modules can import each other.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from inferstack.cli_options import EnvOpt, StackOpt, markup_mode, optional_project, wrote

policy_app = typer.Typer(
    name="policy",
    help="Guardrail packs: the --policy-pack-config JSON (config) and audits of stacks or previews (check).",
    invoke_without_command=True,
    rich_markup_mode=markup_mode(),
)


@policy_app.callback()
def _policy_root(ctx: typer.Context) -> None:
    """Guardrail packs: the --policy-pack-config JSON (config) and audits of stacks or previews (check)."""
    if ctx.invoked_subcommand is None:  # `inferstack policy` alone: help, exit 0 (not Click's exit 2)
        print(ctx.get_help())
        raise typer.Exit(0)


class PackChoice(StrEnum):
    security = "security"
    cost = "cost"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def policy_config(
    env: EnvOpt = None,
    pack: Annotated[
        PackChoice | None, typer.Option("--pack", help="Only this pack (one file per --policy-pack).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    stack: StackOpt = None,
) -> None:
    """Print the JSON for `pulumi preview --policy-pack-config`: levels and limits the offline preview uses."""
    from inferstack.cli import fail, target_or_fail
    from inferstack.config.loader import InputError, load_environment
    from inferstack.policies.config import PolicyConfigError, pack_config
    from inferstack.preview import write_output

    project, env, _stack = target_or_fail(env, stack)
    try:
        environment = load_environment(project, env, check_packages=False)
        config = pack_config(environment, pack.value if pack else None)
    except InputError as exc:
        fail(exc.message)
    except PolicyConfigError as exc:
        fail(f"environments/{env}.yaml ==> {exc}")
    write_output(json.dumps(config, indent=2, sort_keys=True) + "\n", out)
    if out is not None:
        wrote(out, f"the {env} policy pack configuration{f' ({pack.value})' if pack else ''}")


@policy_app.command("check")
def policy_check(
    input_file: Annotated[Path, typer.Option("--input", "-i", help="`pulumi stack export` file or preview JSON.")],
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Environment whose levels apply (default: the file's stack).")
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json or markdown.")] = CheckFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Audit a deployed stack (`pulumi stack export`) or a preview JSON with the security and cost packs.

    Works outside a project too: the packs ship with inferstack; the environment's default levels and
    limits apply when there is no environments/<env>.yaml to read overrides from."""
    from inferstack.cli import EXIT_OK, EXIT_VIOLATIONS, fail
    from inferstack.config.loader import InputError
    from inferstack.policy_check import check_file, render_chunks
    from inferstack.preview import write_output

    try:
        project = optional_project()
        report = check_file(project, input_file, env)
    except InputError as exc:
        fail(exc.message)
    if out is None:
        for chunk in render_chunks(report, fmt.value):  # streamed: large audits print as they render
            sys.stdout.write(chunk)
    else:
        write_output("".join(render_chunks(report, fmt.value)), out)
        wrote(out, f"the policy check of {input_file} ({fmt.value})")
    raise typer.Exit(EXIT_VIOLATIONS if report.has_mandatory else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `policy` group (`policy config`, `policy check`) to the main app, and the old top-level
    `policy-config` as a hidden alias so existing scripts and workflows keep working."""
    policy_app.command("config")(policy_config)
    app.command("policy-config", hidden=True)(policy_config)
    app.add_typer(policy_app, name="policy")

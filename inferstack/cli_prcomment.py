"""`inferstack pr-comment`: one pull-request comment over every environment's base and head previews.

Registered on the app in inferstack/cli.py; nothing here imports inferstack.cli at module level.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from inferstack.cli_options import optional_project, wrote


class CommentFormat(StrEnum):
    markdown = "markdown"
    json = "json"


def pr_comment(
    base: Annotated[Path, typer.Option("--base", help="Directory of the base commit's previews (<env>.json).")],
    head: Annotated[Path, typer.Option("--head", help="Directory of the head commit's previews (<env>.json).")],
    envs: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Environments, in order (default: every <env>.json under --head)."),
    ] = None,
    sha: Annotated[
        str | None, typer.Option("--sha", help="Commit the comment is about (default: $GITHUB_SHA).")
    ] = None,
    fmt: Annotated[CommentFormat, typer.Option("--format", "-f", help="markdown or json.")] = CommentFormat.markdown,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """One comment for the pull request: every environment's changes, cost and policy results.

    Exit 1 when a head preview has mandatory violations, 2 when a preview is missing, unreadable or of
    another environment than its file name says."""
    from inferstack.cli import EXIT_OK, EXIT_VIOLATIONS, fail
    from inferstack.cli_cost import evaluated_policies
    from inferstack.config.environment import ENV_NAMES
    from inferstack.config.loader import InputError, load_environment
    from inferstack.diff import compare
    from inferstack.policies.rules._base import ENVS
    from inferstack.prcomment import RunInfo, load_pair, render, with_cost_guardrail
    from inferstack.preview import write_output

    names = envs or [e for e in ENV_NAMES if (head / f"{e}.json").is_file()]
    if not names:
        fail(f"{head} ==> no <env>.json previews found; write them with inferstack preview --format json --out")
    try:
        project = optional_project()
        diffs = []
        for name in names:
            base_doc, head_doc = load_pair(base, head, name)
            policies = None
            environment: Any = name if name in ENVS else None  # outside a project: the packs' defaults
            if project is not None and name in project.environment_names():
                environment = load_environment(project, name, check_packages=False)
                policies = evaluated_policies(environment)
            if environment is not None:  # the cost-increase guardrail against the base preview's cost
                head_doc = with_cost_guardrail(
                    base_doc, head_doc, environment, str(base / f"{name}.json"), str(head / f"{name}.json"), project
                )
            diffs.append(compare(base_doc, head_doc, policies=policies))
    except InputError as exc:
        fail(exc.message)
    write_output(render(diffs, RunInfo.from_env(os.environ, sha=sha), fmt.value), out)
    if out is not None:
        wrote(out, f"the pull-request comment for {', '.join(names)} ({fmt.value})")
    raise typer.Exit(EXIT_VIOLATIONS if any(d.failed for d in diffs) else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="pr-comment")(pr_comment)

"""`inferstack cost` and the `preview --compare` output (registered on the app in inferstack/cli.py).

Nothing here imports inferstack.cli at module level, so the two modules can import each other.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from inferstack.cli_options import EnvOpt, StackOpt
from inferstack.errors import InputError

if TYPE_CHECKING:
    from inferstack.engine.model import PreviewResult


class CostFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def load_base_preview(path: Path) -> dict[str, Any]:
    """A base-branch preview JSON document; InputError naming the file when it is missing or not one."""
    from inferstack.json_input import read_json  # strict: UTF-8, finite numbers, bounded nesting (issue 13)

    doc = read_json(
        path, "pass a file written by `inferstack preview --format json --out FILE`", what="base preview file"
    )
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise InputError(
            f"{path} ==> not an inferstack preview document (no 'resources' list); pass a file written "
            "by `inferstack preview --format json`"
        )
    version = doc.get("schema_version", 1)
    if version != 1:
        raise InputError(f"{path} ==> schema_version {version!r} is not supported (expected 1); regenerate it")
    return doc


def evaluated_policies(env: Any) -> list[str] | None:
    """Names of the policies the preview evaluates for `env` (not disabled), or None when the policy
    packs cannot tell (then the diff counts as passed only the policies this change fixed)."""
    try:
        from inferstack.policies.config import pack_config

        config = pack_config(env)
    except Exception:  # the packs are optional for the diff; never fail the comment on them
        return None
    return sorted(name for name, c in config.items() if isinstance(c, dict) and c.get("enforcementLevel") != "disabled")


def compare_output(base: dict[str, Any], result: PreviewResult, fmt: str, env: Any = None) -> str:
    """The diff of `result` against `base` as markdown (PR comment), JSON or text."""
    from inferstack.diff import compare, render_markdown, render_text

    policies = evaluated_policies(env) if env is not None else None
    diff = compare(base, result.to_json(), policies=policies)
    if fmt == "markdown":
        return render_markdown(diff)
    if fmt == "json":
        return json.dumps(diff.to_json(), indent=2) + "\n"
    return render_text(diff)


def cost(
    env: EnvOpt = None,
    fmt: Annotated[CostFormat, typer.Option("--format", "-f", help="text, json or markdown.")] = CostFormat.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    stack: StackOpt = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Base preview JSON: show the cost change against it.")
    ] = None,
) -> None:
    """Monthly cost estimate of an environment: per component, baseline (minimum) and peak (maximum) capacity."""
    from inferstack.cli import EXIT_OK, fail, progress, target_or_fail
    from inferstack.cli_options import wrote
    from inferstack.config.loader import load_environment
    from inferstack.cost import estimate_preview, render_cost_text
    from inferstack.cost_markdown import render_cost_markdown
    from inferstack.preview import run_preview, write_output

    project, env, stack = target_or_fail(env, stack)
    try:
        base = load_base_preview(compare) if compare is not None else None
        if base is not None:
            from inferstack.prcomment import check_same_environment

            check_same_environment(base, env, str(compare))
        environment = load_environment(project, env)
        with progress(f"estimating {env}", enabled=fmt is CostFormat.text):
            result = run_preview(project, env, stack=stack, evaluate_policies=False, estimate_cost=False)
    except InputError as exc:
        fail(exc.message)
    estimate = estimate_preview(result, environment)
    if base is not None:
        from inferstack.diff import compare as diff
        from inferstack.diff import cost_markdown, cost_text

        head = result.to_json()
        head["cost"] = estimate
        d = diff(base, head)
        if fmt is CostFormat.json:
            text = json.dumps({"schema_version": 1, "environment": env, **d.to_json()["cost"]}, indent=2) + "\n"
        else:
            text = cost_markdown(d) if fmt is CostFormat.markdown else cost_text(d)
    elif fmt is CostFormat.markdown:
        text = render_cost_markdown(estimate, env)
    elif fmt is CostFormat.json:
        text = json.dumps({"environment": env, **estimate}, indent=2) + "\n"
    else:
        text = render_cost_text(estimate, env)
    write_output(text, out)
    if out is not None:
        wrote(out, f"the {env} cost estimate ({fmt.value})")
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the `cost` command to the CLI."""
    app.command(name="cost")(cost)

"""One pull-request comment for every environment (`inferstack pr-comment`).

The comment starts with the hidden marker `<!-- inferstack-preview -->`, so the workflow updates its own
comment instead of adding one per push. It opens with a summary table (one row per environment), the new
mandatory failures and new warnings of every environment, then one collapsed section per environment
that changed; an environment without changes is one line. It ends with the commit, the run link and the
time, so a reviewer can tell a stale comment from a fresh one.

Run metadata comes from GitHub Actions' default variables (https://docs.github.com/en/actions/reference/
variables-reference, read 2026-12-02): GITHUB_SHA, and the run page
`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`. On `pull_request` events GITHUB_SHA is
the merge commit GitHub made for the run, so the workflow passes the head commit with `--sha`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inferstack.config.loader import InputError, Project
from inferstack.diff import (
    PreviewDiff,
    _delta,
    _violation_key,
    change_table,
    resource_counts,
    signed,
    usd,
    violation_line,
)
from inferstack.text import plural

MARKER = "<!-- inferstack-preview -->"


@dataclass(frozen=True)
class RunInfo:
    """Where and when the comment was made."""

    sha: str | None
    run_url: str | None
    time: datetime

    @classmethod
    def from_env(cls, environ: Mapping[str, str], sha: str | None = None, now: datetime | None = None) -> RunInfo:
        server, repo, run = (environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
        url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
        return cls(sha=sha or environ.get("GITHUB_SHA"), run_url=url, time=now or datetime.now(UTC))

    def footer(self) -> str:
        parts = []
        if self.sha:
            parts.append(f"commit `{self.sha[:12]}`")
        if self.run_url:
            parts.append(f"[workflow run]({self.run_url})")
        parts.append(self.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        return "<sub>Offline preview by inferstack: " + ", ".join(parts) + ".</sub>"


def check_same_environment(base: dict[str, Any], head_env: str, where: str) -> None:
    """A base preview of another environment would compare unlike things ("+865.6%"): refuse it (exit 2)."""
    base_env = base.get("environment")
    if base_env is not None and base_env != head_env:
        raise InputError(
            f"{where} ==> the base preview is of environment {base_env!r}, the head of {head_env!r}; compare "
            f"previews of the same environment (inferstack preview --env {head_env} --format json on the base commit)"
        )


def load_pair(base_dir: Path, head_dir: Path, env: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """`<dir>/<env>.json` of the base (absent: nothing to compare) and the head (required)."""
    from inferstack.cli_cost import load_base_preview

    head = load_base_preview(head_dir / f"{env}.json")
    check_same_environment(head, env, str(head_dir / f"{env}.json"))
    base_path = base_dir / f"{env}.json"
    if not base_path.exists():
        return None, head
    base = load_base_preview(base_path)
    check_same_environment(base, env, str(base_path))
    return base, head


def with_cost_guardrail(
    base: dict[str, Any] | None,
    head: dict[str, Any],
    environment: Any,
    base_where: str,
    head_where: str,
    project: Project | None = None,
) -> dict[str, Any]:
    """`head` with the cost-increase guardrail evaluated against `base`'s cost, as `preview --compare` does.

    The workflow previews the head commit without `--compare` (it needs the preview JSON, not a diff), so
    inferstack-stack-warn-cost-increase saw only the figures recorded in policies.config and a cost
    increase never reached the comment (issue 15). Here the policy itself runs again over the head
    preview's resources, with the base preview's baseline and peak as its previous figures over the
    environment's configuration; its result replaces the head's own. Every other policy is left as the
    head preview evaluated it. `environment` is an Environment (its levels and limits apply) or a name
    (the packs' defaults); with `project` the new violation names the environment file and line like the
    preview's do. Nothing changes when the base carries no cost or the policy is disabled."""
    from inferstack.cost import COST_INCREASE_POLICY, previous_cost_settings

    if base is None:
        return head
    overrides = previous_cost_settings(base, base_where)
    if overrides is None:
        return head
    from inferstack.policies.config import PolicyConfigError, pack_config
    from inferstack.policy_check import parse_document
    from inferstack.policy_eval import evaluate_resources

    try:
        config = pack_config(environment, "cost")
    except PolicyConfigError as exc:
        name = environment if isinstance(environment, str) else environment.name
        raise InputError(f"environments/{name}.yaml ==> {exc}") from None
    own = config.get(COST_INCREASE_POLICY)
    if not isinstance(own, dict) or own.get("enforcementLevel") == "disabled":
        return head
    only = {
        name: ({**values, **overrides[name]} if name == COST_INCREASE_POLICY else {"enforcementLevel": "disabled"})
        for name, values in config.items()
    }
    _, _, resources = parse_document(head, head_where)
    found = evaluate_resources(resources, only, packs=("cost",))
    if project is not None and not isinstance(environment, str):  # the file and line, as the preview adds
        from inferstack.provenance import annotate

        env_file = project.environments_dir / f"{environment.name}.yaml"
        annotate(found, resources, environment, env_file, project.rel(env_file))
    kept = [v for v in head.get("violations") or [] if v.get("policy") != COST_INCREASE_POLICY]
    return {**head, "violations": kept + found}


def _is_unchanged(d: PreviewDiff) -> bool:
    moved = _delta(d.cost_before, d.cost_after, "peak") or _delta(d.cost_before, d.cost_after, "baseline")
    return not d.changes and not d.new_violations and not moved


def _policy_cell(d: PreviewDiff) -> str:
    text = f"{len(d.failed)} failed, {plural(len(d.warnings), 'warning')}"
    new = sum(1 for v in d.failed + d.warnings if _violation_key(v) in d.new_violations)
    return text + (f" ({new} new)" if new else "")


def _cost_cell(d: PreviewDiff) -> str:
    if d.cost_after is None:
        return "not estimated"
    peak = usd(d.cost_after["peak"])
    if d.cost_before is None:
        return f"{peak} (new)"
    change = signed(_delta(d.cost_before, d.cost_after, "peak"), d.cost_before["peak"])
    return peak if change == "$0.00" else f"{peak} ({change})"


def render_pr_comment(diffs: list[PreviewDiff], run: RunInfo) -> str:
    """The one comment for the pull request."""
    failed = sum(len(d.failed) for d in diffs)
    lines = [MARKER, "### inferstack preview", ""]
    verdict = (
        f"**{failed} mandatory {'failure blocks' if failed == 1 else 'failures block'} the deploy.**"
        if failed
        else "No mandatory policy failures."
    )
    lines += [verdict, ""]
    lines += ["| Environment | Resources | Peak monthly cost | Policies |", "|---|---|---:|---|"]
    for d in diffs:
        counts = "no changes" if _is_unchanged(d) else resource_counts(d)
        lines.append(f"| `{d.environment}` | {counts} | {_cost_cell(d)} | {_policy_cell(d)} |")
    lines.append("")
    for title, pick in (("New failures (mandatory)", "failed"), ("New warnings (advisory)", "warnings")):
        found = [(d.environment, v) for d in diffs for v in getattr(d, pick) if _violation_key(v) in d.new_violations]
        if found:
            lines += [f"**{title}:**", ""]
            lines += [f"- `{env}`: {violation_line(v)}" for env, v in found]
            lines.append("")
    for d in diffs:
        if _is_unchanged(d):
            continue
        lines += [f"<details><summary><b>{d.environment}</b>: {resource_counts(d)}</summary>", ""]
        lines += _env_details(d)
        lines += ["</details>", ""]
    lines.append(run.footer())
    return "\n".join(lines) + "\n"


def _env_details(d: PreviewDiff) -> list[str]:
    out: list[str] = []
    if d.cost_after is not None:
        out += ["| Monthly cost (USD) | Before | After | Change |", "|---|---:|---:|---:|"]
        for which, label in (("baseline", "Baseline (minimum capacity)"), ("peak", "Peak (maximum capacity)")):
            b = d.cost_before[which] if d.cost_before else None
            a = d.cost_after[which]
            out.append(f"| {label} | {usd(b)} | {usd(a)} | {signed(_delta(d.cost_before, d.cost_after, which), b)} |")
        out.append("")
    table = change_table(d)
    # The per-environment section is already collapsed: show its change table open.
    rows = [line for line in table if line != "</details>" and not line.startswith("<details>")]
    while rows and rows[0] == "":
        rows.pop(0)
    out += rows[:-1] if rows and rows[-1] == "" and rows[-2:-1] == [""] else rows
    existing = [v for v in d.failed + d.warnings if _violation_key(v) not in d.new_violations]
    if existing:
        out += ["Violations already on the base branch:", ""]
        out += [f"- [{v.get('enforcement_level')}] {violation_line(v)}" for v in existing]
        out.append("")
    return out


def to_json(diffs: list[PreviewDiff], run: RunInfo) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "sha": run.sha,
        "run_url": run.run_url,
        "time": run.time.astimezone(UTC).isoformat(timespec="seconds"),
        "environments": [d.to_json() for d in diffs],
    }


def render(diffs: list[PreviewDiff], run: RunInfo, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(diffs, run), indent=2) + "\n"
    return render_pr_comment(diffs, run)

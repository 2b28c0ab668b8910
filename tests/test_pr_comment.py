"""One pull-request comment for all environments: summary first, unchanged ones on one line, run metadata."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.diff import compare
from inferstack.prcomment import MARKER, RunInfo, render_pr_comment
from tests.test_diff_markdown import doc, violation

GOLDEN = Path(__file__).parent / "golden" / "pr_comment.md"
RUN = RunInfo(
    sha="0123456789abcdef0123",
    run_url="https://github.com/acme/infra/actions/runs/42",
    time=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
)


def as_env(d: dict[str, Any], env: str) -> dict[str, Any]:
    out = json.loads(json.dumps(d).replace("urn:pulumi:test::", f"urn:pulumi:{env}::"))
    out["environment"] = out["stack"] = env
    return out


@pytest.fixture(scope="module")
def previews() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    same = doc(("g6.xlarge",))
    base = doc(("g6.xlarge",), [violation("aws-eks-nodegroup-max-size", "advisory", "gpu-l4-nodes", "max 2")])
    head = doc(
        ("g6.2xlarge",),
        [
            violation("cost-instance-family-allowlist", "mandatory", "gpu-l4-nodes", "g6.2xlarge not allowed"),
            violation("aws-eks-nodegroup-max-size", "advisory", "gpu-l4-nodes", "max 2"),
        ],
    )
    return {"dev": (as_env(same, "dev"), as_env(same, "dev")), "prod": (as_env(base, "prod"), as_env(head, "prod"))}


def comment(previews: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> str:
    return render_pr_comment([compare(*previews[e]) for e in ("dev", "prod")], RUN)


def test_one_comment_covers_every_environment_with_the_unchanged_one_on_one_line(previews) -> None:
    md = comment(previews)
    assert md.startswith(MARKER + "\n") and md.count(MARKER) == 1
    assert "| `dev` | no changes |" in md
    assert "<summary><b>dev</b>" not in md, "an unchanged environment gets no section"
    assert "<summary><b>prod</b>: 0 to create, 0 to update, 1 to replace, 0 to delete" in md


def test_new_failures_are_in_the_summary_above_every_collapsed_section(previews) -> None:
    md = comment(previews)
    summary = md.split("<details>", 1)[0]
    assert "**1 mandatory failure blocks the deploy.**" in summary
    assert "- `prod`: `cost-instance-family-allowlist` on `gpu-l4-nodes`: g6.2xlarge not allowed" in summary
    assert "aws-eks-nodegroup-max-size" not in summary, "a warning already on the base branch is not new"


def test_comment_names_the_commit_the_run_and_the_time(previews) -> None:
    md = comment(previews)
    assert "commit `0123456789ab`" in md
    assert "[workflow run](https://github.com/acme/infra/actions/runs/42)" in md
    assert "2026-12-02 10:00 UTC" in md


def test_run_info_comes_from_the_github_actions_variables() -> None:
    env = {
        "GITHUB_SHA": "f" * 40,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "a/b",
        "GITHUB_RUN_ID": "7",
    }
    run = RunInfo.from_env(env)
    assert run.sha == "f" * 40 and run.run_url == "https://github.com/a/b/actions/runs/7"
    assert RunInfo.from_env(env, sha="abc").sha == "abc", "--sha (the PR head) wins over the merge commit"


def test_comment_is_stable_against_the_golden_file(previews) -> None:
    md = comment(previews)
    if os.environ.get("INFERSTACK_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(md, encoding="utf-8")
    assert md == GOLDEN.read_text(encoding="utf-8")


def _write(folder: Path, env: str, data: dict[str, Any]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{env}.json").write_text(json.dumps(data), encoding="utf-8")


def test_cli_writes_one_comment_and_exits_1_on_mandatory_failures(previews, tmp_path: Path) -> None:
    for env, (b, h) in previews.items():
        _write(tmp_path / "base", env, b)
        _write(tmp_path / "head", env, h)
    out = tmp_path / "comment.md"
    result = CliRunner().invoke(
        app,
        [
            "pr-comment",
            "--base",
            str(tmp_path / "base"),
            "--head",
            str(tmp_path / "head"),
            "--sha",
            "abc",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.stderr
    text = out.read_text()
    assert text.count(MARKER) == 1 and "| `dev` |" in text and "| `prod` |" in text
    assert result.stderr.startswith(f"wrote the pull-request comment for dev, prod (markdown) to {out}")


def test_a_base_preview_of_another_environment_is_refused(previews, tmp_path: Path) -> None:
    _write(tmp_path / "base", "prod", previews["dev"][0])  # dev's preview filed as prod's
    _write(tmp_path / "head", "prod", previews["prod"][1])
    result = CliRunner().invoke(app, ["pr-comment", "--base", str(tmp_path / "base"), "--head", str(tmp_path / "head")])
    assert result.exit_code == 2
    assert "the base preview is of environment 'dev', the head of 'prod'" in result.stderr


def test_preview_compare_refuses_a_base_of_another_environment(previews, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps(previews["prod"][0]), encoding="utf-8")
    result = CliRunner().invoke(app, ["preview", "--env", "dev", "--compare", str(base), "--format", "markdown"])
    assert result.exit_code == 2 and "the base preview is of environment 'prod'" in result.stderr


# -- the cost-increase guardrail in the PR comment (issue 15 regression) ------------------------------


@pytest.fixture(scope="module")
def dev_preview() -> dict[str, Any]:
    """A real offline preview of dev, as the workflow writes it (`preview --format json`, no --compare)."""
    from inferstack.config.loader import Project
    from inferstack.preview import run_preview

    return run_preview(Project(Path(__file__).resolve().parent.parent), "dev").to_json()


def _cheaper(doc_: dict[str, Any], factor: float) -> dict[str, Any]:
    """The same preview with its monthly totals scaled: a base commit that cost less."""
    out = json.loads(json.dumps(doc_))
    out["cost"]["monthly_usd"] = {k: round(v * factor, 2) for k, v in out["cost"]["monthly_usd"].items()}
    return out


def _pr_comment(tmp_path: Path, base: dict[str, Any], head: dict[str, Any]) -> tuple[int, str]:
    for side, d in (("base", base), ("head", head)):
        (tmp_path / side).mkdir(exist_ok=True)
        (tmp_path / side / "dev.json").write_text(json.dumps(d))
    root = str(Path(__file__).resolve().parent.parent)
    res = CliRunner().invoke(
        app, ["--project", root, "pr-comment", "--base", str(tmp_path / "base"), "--head", str(tmp_path / "head")]
    )
    return res.exit_code, res.output


def test_a_cost_increase_over_the_base_preview_is_a_new_warning_in_the_summary(dev_preview, tmp_path: Path) -> None:
    head_peak = dev_preview["cost"]["monthly_usd"]["peak"]
    assert head_peak > 0
    assert not [v for v in dev_preview["violations"] if v["policy"] == "inferstack-stack-warn-cost-increase"]
    code, md = _pr_comment(tmp_path, _cheaper(dev_preview, 0.5), dev_preview)
    assert code == 0, md  # advisory: the comment warns, it does not block
    summary = md.split("<details>", 1)[0]
    assert "**New warnings (advisory):**" in summary
    lines = [x for x in summary.splitlines() if "inferstack-stack-warn-cost-increase" in x]
    assert len(lines) == 2, lines  # baseline and peak both doubled: +100% > 20% (dev's limit)
    baseline, peak = sorted(lines)
    assert "estimated baseline monthly cost" in baseline and "100.0% above the recorded $" in baseline
    assert f"100.0% above the recorded peak ${head_peak / 2:,.2f}" in peak
    for line in lines:
        assert line.startswith("- `dev`: ")
        assert f"the base preview {tmp_path / 'base' / 'dev.json'}" in line
        assert "(`environments/dev.yaml:" in line, "points at the environment file like the preview's violations"
    assert "(2 new)" in md.split("\n| `dev` |", 1)[1].split("\n", 1)[0]


def test_no_cost_warning_when_the_cost_stays_within_the_limit(dev_preview, tmp_path: Path) -> None:
    code, md = _pr_comment(tmp_path, _cheaper(dev_preview, 0.95), dev_preview)  # +5.3% < 20%
    assert code == 0, md
    assert "inferstack-stack-warn-cost-increase" not in md
    assert "New warnings" not in md

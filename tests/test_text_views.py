"""Text views put the summary first and never cut names."""

from __future__ import annotations

from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.cost import render_cost_text
from inferstack.preview import render_text
from tests.conftest import preview_of


def test_preview_text_starts_with_violations_cost_and_budget_then_details() -> None:
    text = render_text(preview_of("prod"), budget_usd=25000)
    lines = text.splitlines()
    first = "\n".join(lines[:6])
    assert "Policy violations" in first and "Estimated monthly cost" in first
    assert "Monthly budget (monitoring.budget_monthly_usd): $25,000.00" in first
    assert text.index("Estimated monthly cost") < text.index("Resources by type:") < text.index("Component tree:")


def test_cost_table_shows_full_names_and_the_region_column() -> None:
    result = preview_of("prod")
    assert result.cost is not None
    text = render_cost_text(result.cost, "prod")
    assert "…" not in text, "names are never cut"
    longest = max((i["name"] for i in result.cost["items"]), key=len)
    assert longest in text
    header = text.splitlines()[2]
    assert "region" in header
    assert any("us-west-2" in line for line in text.splitlines()), "the secondary region is visible"


def test_preview_cli_text_has_the_budget_line() -> None:
    result = CliRunner().invoke(app, ["preview", "--env", "dev"])
    assert "Monthly budget (monitoring.budget_monthly_usd): $3,000.00" in result.stdout


def test_cost_has_a_markdown_view_with_regions(tmp_path) -> None:
    out = tmp_path / "cost.md"
    result = CliRunner().invoke(app, ["cost", "--env", "prod", "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("### inferstack cost: `prod`") and "| us-west-2 |" in text
    assert result.stderr.startswith(f"wrote the prod cost estimate (markdown) to {out}")


def test_cost_compare_shows_the_change_like_infracost_diff(tmp_path) -> None:
    import json

    base = tmp_path / "base.json"
    doc = preview_of("dev").to_json()
    for r in doc["resources"]:
        if r["type"] == "aws:eks/nodeGroup:NodeGroup" and "gpu" in r["name"]:
            r["inputs"]["scalingConfig"]["maxSize"] = 1
    doc["cost"] = None
    base.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["cost", "--env", "dev", "--compare", str(base), "--format", "markdown"])
    assert result.exit_code == 0, result.stderr
    assert "### inferstack cost: `dev`" in result.stdout and "| Peak (maximum capacity) |" in result.stdout
    staging = CliRunner().invoke(app, ["cost", "--env", "staging", "--compare", str(base)])
    assert staging.exit_code == 2 and "the base preview is of environment 'dev'" in staging.stderr

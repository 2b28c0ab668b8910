"""The pull-request comment: resource changes, cost deltas, policy results, stability, and the CLI flag."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.cost import estimate_preview
from inferstack.diff import changed_paths, compare, render_markdown, resource_key
from tests.cost_synthetic import small_environment

GOLDEN = Path(__file__).parent / "golden" / "preview_diff.md"


def doc(gpu_types: tuple[str, ...], violations: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    result = small_environment(gpu_types=gpu_types, gpu_capacity="ON_DEMAND", gpu_min=1, **kw).result(violations)
    result.cost = estimate_preview(result)
    return result.to_json()


def violation(policy: str, level: str, name: str, message: str) -> dict[str, Any]:
    return {
        "policy": policy,
        "pack": "cost",
        "severity": "medium",
        "enforcement_level": level,
        "urn": f"urn:pulumi:test::inferstack::inferstack:index:EksCluster$aws:eks/nodeGroup:NodeGroup::{name}",
        "message": message,
    }


@pytest.fixture(scope="module")
def pair() -> tuple[dict[str, Any], dict[str, Any]]:
    base = doc(("g6.xlarge",), [violation("aws-eks-nodegroup-max-size", "advisory", "gpu-l4-nodes", "max 2 | ok")])
    head = doc(
        ("g6.2xlarge",),
        [violation("cost-instance-family-allowlist", "mandatory", "gpu-l4-nodes", "g6.2xlarge not allowed in test")],
    )
    return base, head


def test_changed_paths_name_nested_keys_and_list_items():
    before = {"scalingConfig": {"minSize": 1, "maxSize": 2}, "instanceTypes": ["g6.xlarge"], "tags": {"a": "1"}}
    after = {"scalingConfig": {"minSize": 1, "maxSize": 4}, "instanceTypes": ["g6.2xlarge", "g6.4xlarge"], "x": 1}
    assert changed_paths(before, after) == [
        "instanceTypes[0]",
        "instanceTypes[1]",
        "scalingConfig.maxSize",
        "tags",
        "x",
    ]


def test_resources_match_across_stacks_by_type_chain_and_name():
    assert resource_key("urn:pulumi:dev::inferstack::a:b:C$d:e:F::name") == "a:b:C$d:e:F::name"


def test_instance_type_change_shows_the_changed_path_and_the_right_delta(pair):
    base, head = pair
    markdown = render_markdown(compare(base, head))
    before_peak = round(0.8048 * 730 * 2, 2)  # g6.xlarge x 2 nodes
    after_peak = round(0.9776 * 730 * 2, 2)  # g6.2xlarge x 2 nodes
    delta = after_peak - before_peak
    assert f"+${delta:,.2f}" in markdown
    assert f"+{delta / base['cost']['monthly_usd']['peak'] * 100:.1f}%" in markdown
    volumes = 200 * 0.08 * 2  # gp3 root volumes of the two nodes, unchanged
    assert f"${before_peak + volumes:,.2f} → ${after_peak + volumes:,.2f}" in markdown
    # instanceTypes is ForceNew on EKS node groups: Pulumi replaces the group (+-), with old and new values
    assert (
        '| +- replace | `gpu-l4-nodes` | `aws:eks/nodeGroup:NodeGroup` | `instanceTypes[0]`: `"g6.xlarge"` → '
        '`"g6.2xlarge"` **(replaces)** |'
    ) in markdown
    assert "0 to create, 0 to update, 1 to replace, 0 to delete, 13 unchanged (14 after the change)" in markdown


def test_comment_carries_the_hidden_marker_for_updates(pair):
    markdown = render_markdown(compare(*pair))
    assert markdown.startswith("<!-- inferstack-preview:test -->\n")


def test_policy_results_split_failed_warnings_and_passed(pair):
    d = compare(*pair)
    assert [v["policy"] for v in d.failed] == ["cost-instance-family-allowlist"]
    assert d.warnings == []
    assert d.passed == ["aws-eks-nodegroup-max-size"]
    markdown = render_markdown(d)
    assert "1 failed (mandatory), 0 warnings (advisory), 1 passed" in markdown
    assert "- `cost-instance-family-allowlist` on `gpu-l4-nodes`: g6.2xlarge not allowed in test *(new)*" in markdown
    summary = markdown.split("<details>", 1)[0]
    assert "**New failures (mandatory):**" in summary, "new failures show before the collapsed details"
    assert "`cost-instance-family-allowlist` on `gpu-l4-nodes`" in summary


def test_evaluated_policy_list_counts_every_passing_policy(pair):
    d = compare(*pair, policies=["a", "b", "cost-instance-family-allowlist"])
    assert d.passed == ["a", "b"]


def test_added_and_removed_resources_are_listed(pair):
    base, head = pair
    extra = json.loads(json.dumps(head))
    extra["resources"] = [r for r in extra["resources"] if r["name"] != "network-nat-0"]
    extra["resources"].append({**head["resources"][-1], "urn": head["resources"][-1]["urn"] + "-2", "name": "new-one"})
    d = compare(base, extra)
    assert sorted((c.action, c.name) for c in d.changes if c.action != "change") == [
        ("add", "new-one"),
        ("remove", "network-nat-0"),
    ]


def test_without_a_base_everything_is_added():
    head = doc(("g6.xlarge",))
    d = compare(None, head)
    assert d.count("remove") == 0 and d.count("change") == 0
    assert d.count("add") == len([r for r in head["resources"] if r["custom"]])
    assert "nothing to compare against" in render_markdown(d)


def test_markdown_is_stable_against_the_golden_file(pair):
    markdown = render_markdown(compare(*pair))
    assert markdown == render_markdown(compare(*pair))
    if os.environ.get("INFERSTACK_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(markdown, encoding="utf-8")
    assert markdown == GOLDEN.read_text(encoding="utf-8")


runner = CliRunner()


def test_compare_with_a_missing_base_file_is_an_input_error_naming_it(tmp_path):
    missing = tmp_path / "base.json"
    result = runner.invoke(app, ["preview", "--env", "dev", "--compare", str(missing), "--format", "markdown"])
    assert result.exit_code == 2
    assert f"{missing} ==> base preview file not found" in result.output


def test_compare_with_a_file_that_is_not_a_preview_is_an_input_error(tmp_path):
    bad = tmp_path / "base.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    result = runner.invoke(app, ["preview", "--env", "dev", "--compare", str(bad)])
    assert result.exit_code == 2
    assert "not an inferstack preview document" in result.output
    bad.write_text("{oops", encoding="utf-8")
    result = runner.invoke(app, ["preview", "--env", "dev", "--compare", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:1:2 ==> not valid JSON" in result.output  # file:line:col (issue 13 strict JSON input)


def test_long_tables_are_cut_with_a_count_so_the_comment_fits_github(pair):
    from inferstack.diff import MAX_ROWS

    base, head = pair
    assert "more (`inferstack preview" not in render_markdown(compare(None, head))  # the small one fits
    big = json.loads(json.dumps(head))
    template = head["resources"][-1]
    big["resources"] += [{**template, "urn": f"{template['urn']}-{i}", "name": f"extra-{i}"} for i in range(MAX_ROWS)]
    markdown = render_markdown(compare(base, big))
    added = MAX_ROWS  # every extra resource is new
    changed = 1
    assert f"… and {added + changed - MAX_ROWS} more" in markdown


def test_evaluated_policies_of_an_environment_leave_out_disabled_ones(project):
    from inferstack.cli_cost import evaluated_policies
    from inferstack.config.loader import load_environment
    from inferstack.policies.config import pack_config

    env = load_environment(project, "dev")
    names = evaluated_policies(env)
    assert names, "the packs evaluate some policies in dev"
    config = pack_config(env)
    assert all(config[n]["enforcementLevel"] != "disabled" for n in names)
    assert len(names) == sum(1 for c in config.values() if c["enforcementLevel"] != "disabled")

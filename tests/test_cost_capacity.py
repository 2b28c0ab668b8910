"""Cost from required capacity: GPU baselines count the nodes the minimum replicas need, a deployment's cost is
shown with its GPU nodes, and the EKS control plane is priced by its version's support window (issue 14)."""

from __future__ import annotations

import datetime
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from inferstack.config.loader import Project, load_environment
from inferstack.cost import estimate_preview
from tests.cost_synthetic import small_environment

ROOT = Path(__file__).resolve().parent.parent
G6_XLARGE_MONTHLY = 0.8048 * 730  # prices.csv g6.xlarge us-east-1 on demand


def gpu_instance_lines(cost: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        i["components"][0]
        for i in cost["items"]
        if i["type"] == "aws:eks/nodeGroup:NodeGroup" and i["name"].startswith("gpu-l4-")
    ]


def with_gpu_group(env: Any, **update: Any) -> Any:
    group = env.cluster.gpu_node_groups[0].model_copy(update=update)
    return env.model_copy(update={"cluster": env.cluster.model_copy(update={"gpu_node_groups": [group]})})


def gpu_min_size_one(result: Any) -> Any:
    """The preview as the shipped prod had it: GPU node groups at min_size 1."""
    copy = deepcopy(result)
    for r in copy.resources:
        if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name.startswith("gpu-l4-"):
            r.inputs["scalingConfig"]["minSize"] = 1
    return copy


def test_prod_baseline_counts_two_gpu_nodes_per_region_even_with_min_size_one(previews):
    env = with_gpu_group(load_environment(Project(ROOT), "prod"), min_size=1)
    cost = estimate_preview(gpu_min_size_one(previews("prod")), env)
    lines = gpu_instance_lines(cost)
    assert len(lines) == 2  # one GPU group per region
    for line in lines:
        assert line["quantity"]["baseline"] == 2 * 730
        assert line["monthly_usd"]["baseline"] == pytest.approx(2 * G6_XLARGE_MONTHLY, abs=0.02)
        assert (
            "not min_size=1: the minimum replicas need 2 (text-embedder 2 pod(s) x 1 GPU -> 2 node(s))"
            in (line["note"])
        )


def test_a_new_triton_model_in_staging_adds_the_gpu_node_it_needs_to_the_baseline(previews):
    result = previews("staging")
    env = load_environment(Project(ROOT), "staging")
    base = estimate_preview(result, env)
    embedder = env.deployments[0]
    ranker = embedder.model_copy(update={"model": "text-ranker", "replicas": embedder.replicas})
    head = estimate_preview(result, env.model_copy(update={"deployments": [*env.deployments, ranker]}))
    delta = head["monthly_usd"]["baseline"] - base["monthly_usd"]["baseline"]
    # One more g6.xlarge node and its root volume, not just an ALB and alarms (+$22.57 before issue 14).
    assert delta > G6_XLARGE_MONTHLY
    (line,) = gpu_instance_lines(head)
    assert line["quantity"]["baseline"] == 2 * 730


def test_cost_breakdown_shows_each_deployment_with_its_gpu_nodes(previews):
    cost = previews("prod").cost
    rows = {(d["deployment"], d["region"]): d for d in cost["by_deployment"]}
    assert set(rows) == {
        ("text-embedder", "us-east-1"),
        ("text-embedder", "us-west-2"),
        ("fraud-scorer", "us-east-1"),
        ("fraud-scorer", "us-west-2"),
        ("llama-3-1-70b-instruct", "us-east-1"),
        ("llama-3-1-70b-instruct", "us-west-2"),
    }
    # The 70B model at tensor parallel 4: one g6e.12xlarge per replica, 2 at minimum, 3 at the HPA maximum.
    llm = rows[("llama-3-1-70b-instruct", "us-east-1")]
    assert llm["gpu_nodes"]["baseline"] == 2 and llm["gpu_nodes"]["peak"] == 3
    assert llm["monthly_usd"]["baseline"] > 2 * 10.49264 * 730
    embedder = rows[("text-embedder", "us-east-1")]
    assert embedder["gpu_nodes"]["baseline"] == 2 and embedder["gpu_nodes"]["peak"] == 5
    assert embedder["monthly_usd"]["baseline"] > 2 * G6_XLARGE_MONTHLY
    assert "gpu_nodes" not in rows[("fraud-scorer", "us-east-1")]
    assert rows[("fraud-scorer", "us-east-1")]["monthly_usd"]["baseline"] > 0


def _cluster_line(version: str, today: datetime.date) -> dict[str, Any]:
    result = small_environment().result()
    for r in result.resources:
        if r.type == "aws:eks/cluster:Cluster":
            r.inputs["version"] = version
    cost = estimate_preview(result, today=today)
    (item,) = [i for i in cost["items"] if i["type"] == "aws:eks/cluster:Cluster"]
    return dict(item["components"][0])


def test_a_cluster_in_standard_support_costs_ten_cents_an_hour():
    line = _cluster_line("1.35", datetime.date(2026, 12, 2))
    assert line["name"] == "EKS control plane (standard support)"
    assert line["monthly_usd"]["baseline"] == 73.0


def test_a_cluster_in_extended_support_costs_sixty_cents_an_hour():
    line = _cluster_line("1.33", datetime.date(2026, 12, 2))
    assert line["name"] == "EKS control plane (extended support)"
    assert line["monthly_usd"]["baseline"] == 438.0
    assert "left standard support on 2026-07-29" in line["note"]


def test_a_cluster_past_extended_support_is_priced_extended_and_says_it_cannot_be_created():
    line = _cluster_line("1.31", datetime.date(2026, 12, 2))
    assert line["monthly_usd"]["baseline"] == 438.0
    assert "cannot be created" in line["note"]


def test_cost_text_lists_each_deployment_with_its_gpu_nodes(previews):
    from inferstack.cost import render_cost_text

    cost = previews("prod").cost
    text = render_cost_text(cost, "prod")
    row = next(d for d in cost["by_deployment"] if d["deployment"] == "text-embedder")
    assert "By deployment (its resources + the GPU nodes it needs)" in text
    assert "  text-embedder (triton-eks, us-east-1), 2-5 l4 nodes" in text
    assert f"${row['monthly_usd']['baseline']:,.2f}" in text

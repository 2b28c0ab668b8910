"""Cost from required capacity: GPU baselines count the nodes the minimum replicas need, a deployment's cost is
shown with its GPU nodes, and the EKS control plane is priced by its version's support window (issue 14)."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest

from inferstack.config.loader import Project
from inferstack.cost import estimate_preview
from inferstack.preview import run_preview
from tests.cost_synthetic import small_environment

ROOT = Path(__file__).resolve().parent.parent
G6_XLARGE_MONTHLY = 0.8048 * 730  # prices.csv g6.xlarge us-east-1 on demand


def copy_project(tmp_path: Path) -> Path:
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ["environments", "model_packages", "stacks"]:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def gpu_instance_lines(cost: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        i["components"][0]
        for i in cost["items"]
        if i["type"] == "aws:eks/nodeGroup:NodeGroup" and i["name"].startswith("gpu-")
    ]


def test_prod_baseline_counts_two_gpu_nodes_per_region_even_with_min_size_one(tmp_path):
    root = copy_project(tmp_path)
    prod = root / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("min_size: 2, max_size: 8", "min_size: 1, max_size: 8"))
    cost = run_preview(Project(root), "prod", evaluate_policies=False).cost
    assert cost is not None
    lines = gpu_instance_lines(cost)
    assert len(lines) == 2  # one GPU group per region
    for line in lines:
        assert line["quantity"]["baseline"] == 2 * 730
        assert line["monthly_usd"]["baseline"] == pytest.approx(2 * G6_XLARGE_MONTHLY, abs=0.02)
        assert (
            "not min_size=1: the minimum replicas need 2 (text-embedder 2 pod(s) x 1 GPU -> 2 node(s))"
            in (line["note"])
        )


def test_a_new_triton_model_in_staging_adds_the_gpu_node_it_needs_to_the_baseline(tmp_path):
    root = copy_project(tmp_path)
    base = run_preview(Project(root), "staging", evaluate_policies=False).cost
    shutil.copytree(root / "model_packages" / "text-embedder", root / "model_packages" / "text-ranker")
    manifest = root / "model_packages" / "text-ranker" / "model.yaml"
    manifest.write_text(manifest.read_text().replace("name: text-embedder", "name: text-ranker"))
    staging = root / "environments" / "staging.yaml"
    staging.write_text(
        staging.read_text().replace(
            "deployments:\n",
            "deployments:\n  - {model: text-ranker, version: 3, target: triton-eks, gpu_node_group: l4, "
            "replicas: {min: 1, max: 1}}\n",
        )
    )
    head = run_preview(Project(root), "staging", evaluate_policies=False).cost
    assert base is not None and head is not None
    delta = head["monthly_usd"]["baseline"] - base["monthly_usd"]["baseline"]
    # One more g6.xlarge node (plus its root volume, the ALB and alarms), not just the ALB's +$22.57.
    assert delta > G6_XLARGE_MONTHLY
    ranker = [d for d in head["by_deployment"] if d["deployment"] == "text-ranker"]
    assert ranker and ranker[0]["gpu_nodes"]["baseline"] == 1
    assert ranker[0]["monthly_usd"]["baseline"] > G6_XLARGE_MONTHLY


def test_cost_breakdown_shows_each_deployment_with_its_gpu_nodes(previews):
    cost = previews("prod").cost
    rows = {(d["deployment"], d["region"]): d for d in cost["by_deployment"]}
    assert set(rows) == {
        ("text-embedder", "us-east-1"),
        ("text-embedder", "us-west-2"),
        ("fraud-scorer", "us-east-1"),
        ("fraud-scorer", "us-west-2"),
    }
    embedder = rows[("text-embedder", "us-east-1")]
    assert embedder["gpu_nodes"]["baseline"] == 2 and embedder["gpu_nodes"]["peak"] == 6
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

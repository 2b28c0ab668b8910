"""Guardrails on capacity and cost (issue 14): tight GPU capacity warns with its numbers, a peak-cost ceiling per
environment, and the cost-increase warning fed by the base preview of `preview --compare` (baseline and peak)."""

from __future__ import annotations

import json
import re
from copy import deepcopy
from pathlib import Path

from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.config.loader import Project, load_environment
from inferstack.cost import estimate_preview
from inferstack.policies.config import pack_config
from tests.policy_cases import messages, res
from tests.test_config_errors import edit, workspace  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
TIGHT = "inferstack-stack-warn-tight-gpu-capacity"
PEAK = "inferstack-stack-limit-peak-monthly-cost"
INCREASE = "inferstack-stack-warn-cost-increase"
NG = "aws:eks/nodeGroup:NodeGroup"


def test_reference_environments_have_no_tight_gpu_capacity():
    for env in ("dev", "staging", "prod"):
        assert messages(TIGHT, [], env) == [], env


def test_max_replicas_at_max_size_warn_that_a_rollout_has_no_room(workspace):  # noqa: F811
    path = workspace / "environments" / "staging.yaml"
    edit(path, lambda t: re.sub(r"replicas: \{min: 1, max: \d+\}", "replicas: {min: 1, max: 4}", t, count=1))
    assert messages(TIGHT, [], "staging") == [
        "environments/staging.yaml at cluster.gpu_node_groups[0].max_size: at maximum replicas the deployments on "
        "cluster.gpu_node_groups[0] ('l4') need 4 of max_size=4 nodes (100% > 80%): text-embedder (replicas.max=4 x "
        "1 GPU = 4 GPUs need 4 nodes (1 pod(s) per node)); a rolling update's surge pod or a replaced node finds no "
        "room; raise max_size to 5 or lower replicas.max"
    ]


def test_min_replicas_above_a_nonzero_min_size_warn(workspace):  # noqa: F811
    path = workspace / "environments" / "prod.yaml"
    edit(path, lambda t: t.replace("min_size: 2, max_size: 8", "min_size: 1, max_size: 8"))
    (found,) = messages(TIGHT, [], "prod")
    assert found.startswith("environments/prod.yaml at cluster.gpu_node_groups[0].min_size: the minimum replicas on ")
    assert "need 2 nodes but min_size=1" in found and "set min_size: 2" in found


def test_peak_ceiling_defaults_to_one_and_a_half_budgets():
    assert pack_config("prod")[PEAK]["ceiling_usd"] == 37500
    big = res(NG, {"instanceTypes": ["g6.2xlarge"], "scalingConfig": {"minSize": 1, "maxSize": 60}}, name="gpu")
    small = res(NG, {"instanceTypes": ["g6.2xlarge"], "scalingConfig": {"minSize": 1, "maxSize": 8}}, name="gpu")
    assert messages(PEAK, [small]) == []
    (found,) = messages(PEAK, [big])
    assert found.startswith("estimated peak monthly cost $")
    assert "exceeds this environment's peak ceiling $37,500.00" in found


def test_cost_increase_looks_at_peak_as_well_as_baseline():
    group = res(NG, {"instanceTypes": ["g6.2xlarge"], "scalingConfig": {"minSize": 1, "maxSize": 30}}, name="gpu")
    found = messages(INCREASE, [group], previous_monthly_usd=100_000, previous_peak_monthly_usd=1_000)
    assert len(found) == 1 and found[0].startswith("estimated peak monthly cost $")
    assert "above the recorded peak $1,000.00 (limit 20%)" in found[0]


def test_compare_feeds_the_base_preview_cost_to_the_increase_guardrail(tmp_path, previews):
    head = previews("prod")
    base_doc = head.to_json()
    before = {"baseline": round(head.cost["monthly_usd"]["baseline"] / 2, 2), "peak": 100.0}
    base_doc["cost"] = {**base_doc["cost"], "monthly_usd": before}
    base = tmp_path / "base.json"
    base.write_text(json.dumps(base_doc))
    result = CliRunner().invoke(app, ["preview", "--env", "prod", "--compare", str(base), "--format", "json"])
    assert result.exit_code == 0, result.output
    text = json.dumps(json.loads(result.stdout))
    assert f"above the recorded ${before['baseline']:,.2f} (limit 20%)" in text
    assert "above the recorded peak $100.00 (limit 20%)" in text
    assert f"compared with the base preview {base}" in text


def test_prod_at_max_size_30_on_g6_2xlarge_trips_the_peak_ceiling(previews):
    from inferstack.policy_eval import evaluate_resources
    from tests.policy_cases import only

    result = deepcopy(previews("prod"))
    for r in result.resources:
        if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name.startswith("gpu-l4-"):
            r.inputs["instanceTypes"] = ["g6.2xlarge"]
            r.inputs["scalingConfig"]["maxSize"] = 30
    env = load_environment(Project(ROOT), "prod")
    before = previews("prod").cost["monthly_usd"]["peak"]
    after = estimate_preview(result, env)["monthly_usd"]["peak"]
    assert after - before > 30_000  # about +$34,000 a month at peak
    found = evaluate_resources(result.resources, only(PEAK, "prod"), packs=("cost",))
    assert [(v["enforcement_level"], v["policy"]) for v in found] == [("mandatory", PEAK)]

"""The vllm-eks target end to end in the reference previews: the GPU node group with the NVMe RAID0, vLLM pods
with tensor parallelism from the planner, the HPA on token signals, the adapter rules it needs, alerts,
dashboards, the cold-start budget and the policies (issue 16, items 3, 4 and 7)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from inferstack.components.llm_service import KV_CACHE_METRIC, WAITING_METRIC
from inferstack.config.llm_package import LlmPackage
from inferstack.config.loader import Project, load_environment, load_package
from inferstack.engine.model import PreviewResult, Resource
from inferstack.llm.planner import plan_for_deployment
from inferstack.render import render
from tests.conftest import ROOT, preview_of

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
MODELS = {"prod": "llama-3-1-70b-instruct"}


def vllm_deployments(p: PreviewResult) -> list[Resource]:
    return [r for r in p.of_type(DEPLOYMENT) if r.inputs["metadata"]["namespace"].startswith("vllm-")]


def container(d: Resource) -> dict[str, Any]:
    (c,) = d.inputs["spec"]["template"]["spec"]["containers"]
    return c


def flag(args: list[str], name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in args if a.startswith(f"{name}=")]
    return value


# staging serves its 8B model on sagemaker-llm (tests/test_serving_sagemaker_llm.py); prod runs vllm-eks.
@pytest.mark.parametrize(("env", "regions", "tp", "group"), [("prod", 2, 4, "l40s-x4")])
def test_vllm_pods_run_the_planners_tensor_parallel_on_the_llm_node_group(
    env: str, regions: int, tp: int, group: str
) -> None:
    p = preview_of(env)
    pods = vllm_deployments(p)
    assert len(pods) == regions  # one stable Deployment per region
    environment = load_environment(Project(ROOT), env)
    d = next(x for x in environment.deployments if x.target == "vllm-eks")
    package = load_package(Project(ROOT), d.model)
    assert isinstance(package, LlmPackage)
    plan = plan_for_deployment(environment, d, package, package_dir=ROOT / "model_packages" / d.model)
    assert plan.tensor_parallel == tp
    for dep in pods:
        c = container(dep)
        assert flag(c["args"], "--tensor-parallel-size") == str(tp) == c["resources"]["limits"]["nvidia.com/gpu"]
        assert flag(c["args"], "--max-model-len") == str(plan.max_model_len)
        assert flag(c["args"], "--max-num-seqs") == str(plan.max_num_seqs)
        assert flag(c["args"], "--load-format") == "runai_streamer"
        assert c["args"][0] == "s3://inferstack-llm-weights/" + d.model + "/1/"
        volumes = {v["name"]: v for v in dep.inputs["spec"]["template"]["spec"]["volumes"]}
        assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": f"{plan.shm_size_gib}Gi"}
        terms = dep.inputs["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"][0]["matchExpressions"]
        assert {"key": "inferstack.io/gpu-class", "operator": "In", "values": ["L40S"]} in terms
        assert any(t["key"] == "inferstack.io/node-group" and t["values"][0].startswith(f"gpu-{group}") for t in terms)


@pytest.mark.parametrize("env", ["prod"])
def test_the_llm_node_group_puts_kubelet_and_containerd_on_an_nvme_raid0(env: str) -> None:
    p = preview_of(env)
    lts = [r for r in p.of_type("aws:ec2/launchTemplate:LaunchTemplate") if r.name.startswith("gpu-l40s")]
    assert lts
    for lt in lts:
        assert "strategy: RAID0" in base64.b64decode(lt.inputs["userData"]).decode()
    others = [r for r in p.of_type("aws:ec2/launchTemplate:LaunchTemplate") if r.name.startswith("gpu-l4-")]
    assert others and all("userData" not in r.inputs for r in others)


@pytest.mark.parametrize("env", ["prod"])
def test_hpa_scales_on_token_signals_the_adapter_serves(env: str) -> None:
    p = preview_of(env)
    hpas = [
        r
        for r in p.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
        if r.inputs["metadata"]["namespace"].startswith("vllm-")
    ]
    assert hpas
    for hpa in hpas:
        names = {m["pods"]["metric"]["name"] for m in hpa.inputs["spec"]["metrics"]}
        assert names == {WAITING_METRIC, KV_CACHE_METRIC}
        assert hpa.inputs["spec"]["minReplicas"] >= 1
    adapters = [r for r in p.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == "prometheus-adapter"]
    for adapter in adapters:
        served = {r["name"]["as"] for r in adapter.inputs["values"]["rules"]["custom"]}
        assert {WAITING_METRIC, KV_CACHE_METRIC} <= served


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_environments_without_vllm_keep_an_adapter_that_serves_only_triton(env: str) -> None:
    p = preview_of(env)
    assert not vllm_deployments(p)
    for adapter in [
        r for r in p.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == "prometheus-adapter"
    ]:
        assert {r["name"]["as"] for r in adapter.inputs["values"]["rules"]["custom"]} == {"avg_time_queue_us"}


@pytest.mark.parametrize("env", ["prod"])
def test_ttft_itl_queue_and_error_alerts_use_the_packages_slo(env: str) -> None:
    p = preview_of(env)
    model = MODELS[env]
    package = load_package(Project(ROOT), model)
    assert isinstance(package, LlmPackage)
    slo = package.slo
    assert slo is not None
    rules = [
        r
        for r in p.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        if r.inputs["metadata"]["namespace"] == f"vllm-{model}"
    ]
    assert rules
    alerts = {a["alert"]: a for g in rules[0].inputs["spec"]["groups"] for a in g["rules"] if "alert" in a}
    assert alerts["VllmTimeToFirstTokenAboveSlo"]["expr"].endswith(f"> {slo.time_to_first_token_p95_ms / 1000:g}")
    assert alerts["VllmInterTokenLatencyAboveSlo"]["expr"].endswith(f"> {slo.inter_token_latency_p95_ms / 1000:g}")
    assert {"VllmQueueTimeAboveSlo", "VllmErrorRatio", "VllmKvCacheSaturated"} <= set(alerts)


@pytest.mark.parametrize("env", ["prod"])
def test_dashboards_show_the_llm(env: str) -> None:
    p = preview_of(env)
    model = MODELS[env]
    maps = [
        c
        for c in p.of_type("kubernetes:core/v1:ConfigMap")
        if c.inputs["metadata"]["name"] == "inferstack-llm-dashboard"
    ]
    assert maps and all(model in json.dumps(c.inputs["data"]) for c in maps)
    (board,) = p.of_type("aws:cloudwatch/dashboard:Dashboard")
    titles = [w["properties"]["title"] for w in json.loads(board.inputs["dashboardBody"])["widgets"]]
    assert any(t.startswith(f"{model} (") and "GPU" in t for t in titles)


@pytest.mark.parametrize("env", ["prod"])
def test_preview_prints_the_llm_cold_start_budget_and_the_probe_follows_it(env: str) -> None:
    p = preview_of(env)
    model = MODELS[env]
    budget = p.outputs["cold_start"][model]
    assert budget["target"] == "vllm-eks" and budget["load_format"] == "runai_streamer"
    assert "image pull 28.6 GB" in budget["formula"] and "engine start 120s" in budget["formula"]
    for dep in vllm_deployments(p):
        probe = container(dep)["startupProbe"]
        assert probe["periodSeconds"] * probe["failureThreshold"] >= budget["startup_seconds"]
        assert dep.inputs["spec"]["progressDeadlineSeconds"] >= budget["total_seconds"]


@pytest.mark.parametrize("env", ["prod"])
def test_reference_environments_pass_the_mandatory_policies(env: str) -> None:
    p = preview_of(env)
    assert [v for v in p.violations if v.get("enforcement_level") == "mandatory"] == []


def test_rendered_prod_manifests_validate_including_the_vllm_objects(tmp_path: Path) -> None:
    report = render(preview_of("prod"), tmp_path / "manifests", "1.35")
    assert report.invalid == []
    validated = {q.name for q in report.validated}
    ns = "vllm-llama-3-1-70b-instruct"
    assert f"{ns}_deployment_llama-3-1-70b-instruct.yaml" in validated
    assert f"{ns}_horizontalpodautoscaler_llama-3-1-70b-instruct.yaml" in validated
    assert f"{ns}_poddisruptionbudget_llama-3-1-70b-instruct.yaml" in validated

"""stacks/serving.py in the reference environments: what each environment serves, and how."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi_aws as aws
import pytest

from inferstack.config.loader import Project, load_environment
from inferstack.engine.model import PreviewResult, Resource
from inferstack.render import render
from stacks import serving
from stacks.context import RegionStack, StackContext
from tests.conftest import ROOT, preview_of, run_components


def of_type(result: PreviewResult, type_: str) -> list[Resource]:
    return result.of_type(type_)


def test_prod_serves_triton_in_both_regions_behind_internal_albs() -> None:
    prod = preview_of("prod")
    services = of_type(prod, "inferstack:index:TritonService")
    assert sorted(r.name for r in services) == ["triton-text-embedder", "triton-text-embedder-us-west-2"]
    albs = of_type(prod, "aws:lb/loadBalancer:LoadBalancer")
    triton_albs = [r for r in albs if r.name.startswith("triton-")]
    assert len(triton_albs) == 2 and all(r.inputs["internal"] is True for r in triton_albs)
    assert all(r.inputs["enableDeletionProtection"] is True for r in triton_albs)
    listeners = [r for r in of_type(prod, "aws:lb/listener:Listener") if r.name.startswith("triton-")]
    assert len(listeners) == 2 and all(r.inputs["protocol"] == "HTTPS" for r in listeners)


def test_prod_sagemaker_endpoint_rolls_out_by_canary_with_auto_rollback() -> None:
    prod = preview_of("prod")
    endpoints = of_type(prod, "aws:sagemaker/endpoint:Endpoint")
    assert {r.inputs["name"] for r in endpoints} == {"prod-fraud-scorer"}
    assert len(endpoints) == 2  # one per region
    for endpoint in endpoints:
        config = endpoint.inputs["deploymentConfig"]
        routing = config["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
        assert routing["type"] == "CANARY"
        assert routing["canarySize"] == {"type": "CAPACITY_PERCENT", "value": 10}
        assert len(config["autoRollbackConfiguration"]["alarms"]) == 3


def test_prod_sagemaker_endpoints_capture_data_and_monitor_drift() -> None:
    prod = preview_of("prod")
    configs = of_type(prod, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    assert all(c.inputs["dataCaptureConfig"]["initialSamplingPercentage"] == 10 for c in configs)
    assert len(of_type(prod, "aws:sagemaker/monitoringSchedule:MonitoringSchedule")) == 2


def test_prod_sagemaker_image_matches_each_region() -> None:
    prod = preview_of("prod")
    images = sorted(r.inputs["primaryContainer"]["image"] for r in of_type(prod, "aws:sagemaker/model:Model"))
    assert [re.sub(r"^\d+\.dkr\.ecr\.([a-z0-9-]+)\..*$", r"\1", i) for i in images] == ["us-east-1", "us-west-2"]


def test_dev_async_endpoint_scales_to_zero() -> None:
    dev = preview_of("dev")
    [target] = of_type(dev, "aws:appautoscaling/target:Target")
    assert target.inputs["minCapacity"] == 0
    assert target.inputs["resourceId"] == "endpoint/dev-fraud-scorer/variant/AllTraffic"
    [config] = of_type(dev, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    assert config.inputs["asyncInferenceConfig"]["outputConfig"]["s3OutputPath"].endswith("/async/fraud-scorer/output")
    metrics = {r.inputs.get("metricName") for r in of_type(dev, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert "HasBacklogWithoutCapacity" in metrics


def test_triton_pods_land_on_the_configured_gpu_node_group() -> None:
    dev = preview_of("dev")
    [deployment] = [r for r in of_type(dev, "kubernetes:apps/v1:Deployment") if r.name.startswith("triton-")]
    pod = deployment.inputs["spec"]["template"]["spec"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    expressions = {e["key"]: e["values"] for e in terms[0]["matchExpressions"]}
    assert expressions["inferstack.io/gpu-class"] == ["T4"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_rendered_prod_manifests_validate_against_kubernetes_schemas(tmp_path: Path) -> None:
    report = render(preview_of("prod"), tmp_path / "manifests", "1.35")
    assert report.invalid == []
    validated = {p.name for p in report.validated}
    assert "triton-text-embedder_deployment_text-embedder.yaml" in validated
    assert "triton-text-embedder_horizontalpodautoscaler_text-embedder.yaml" in validated
    assert "triton-text-embedder_poddisruptionbudget_text-embedder.yaml" in validated


def test_serving_refuses_to_run_before_the_platform_is_built() -> None:
    env = load_environment(Project(ROOT), "dev")

    def build() -> None:
        ctx = StackContext(env=env, root=ROOT, packages={}, tags={})
        rs = RegionStack(region="us-east-1", is_primary=True, provider=aws.Provider("aws"), cidr="10.20.0.0/16")
        serving.build(ctx, rs)

    message = (
        "serving in us-east-1: platform (stacks/platform.build), registry (stacks/registry.build), alerting "
        "(stacks/observability.build_alerting) not built yet; run those modules before serving.build"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        run_components(build)


def test_triton_kubernetes_objects_wait_for_the_cluster_addons_that_install_their_crds() -> None:
    dev = preview_of("dev")
    [ns] = [r for r in of_type(dev, "kubernetes:core/v1:Namespace") if r.name == "triton-text-embedder-ns"]
    releases = {u.rsplit("::", 1)[1] for u in ns.dependencies if "kubernetes:helm.sh/v3:Release" in u}
    assert {"addons-aws-load-balancer-controller", "addons-kube-prometheus-stack"} <= releases

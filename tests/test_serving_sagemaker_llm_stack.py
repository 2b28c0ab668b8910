"""target sagemaker-llm through the real stack program: staging's 8B model on SageMaker (plan, timeouts, cost,
front door, policies), and the SageMaker timeout checks `validate` runs for LLM weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferstack import coldstart, coldstart_checks
from inferstack.config.environment import Deployment
from inferstack.config.loader import Project, load_environment, load_package
from inferstack.engine.model import PreviewResult, Resource
from inferstack.preview import render_text
from stacks.serving import EXPECTED_OUTPUT_TOKENS
from tests.conftest import ROOT, preview_of

MODEL = "llama-3-1-8b-instruct"
GIB = 1024**3


@pytest.fixture(scope="module")
def staging() -> PreviewResult:
    return preview_of("staging")


def _one(result: PreviewResult, type_: str, name: str) -> Resource:
    [found] = [r for r in result.of_type(type_) if r.name == name]
    return found


def test_staging_serves_the_8b_model_on_lmi_with_the_plans_tensor_parallel_degree(staging: PreviewResult) -> None:
    assert [r.name for r in staging.of_type("inferstack:index:SageMakerLlm")] == [f"sm-{MODEL}"]
    model = _one(staging, "aws:sagemaker/model:Model", f"sm-{MODEL}-model").inputs
    env = model["primaryContainer"]["environment"]
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "1"  # 8B bf16 fits one L40S (plan below)
    assert env["OPTION_MAX_MODEL_LEN"] == "8192"
    assert env["OPTION_MAX_ROLLING_BATCH_SIZE"] == "16"
    assert env["OPTION_GPU_MEMORY_UTILIZATION"] == "0.9"
    [source] = model["primaryContainer"]["modelDataSource"]["s3DataSources"]
    assert source["s3Uri"] == "s3://inferstack-llm-weights/llama-3-1-8b-instruct/1/"


def test_variant_timeouts_are_the_cold_start_budgets(staging: PreviewResult) -> None:
    budget = json.loads(json.dumps(staging.outputs["cold_start"]))[MODEL]
    config = _one(staging, "aws:sagemaker/endpointConfiguration:EndpointConfiguration", f"sm-{MODEL}-config").inputs
    [variant] = config["productionVariants"]
    assert variant["modelDataDownloadTimeoutInSeconds"] == budget["model_data_download_timeout_seconds"]
    assert (
        variant["containerStartupHealthCheckTimeoutInSeconds"]
        == (budget["container_startup_health_check_timeout_seconds"])
    )
    # 16,060,522,496 B at 85 MB/s = 188.9 s x 2 = 378 s; (61.3 s disk read + 120 s engine) x 2 = 363 s: both under
    # the 600 s floor.
    assert budget["download_seconds"] == 188.9 and budget["load_seconds"] == 61.3
    assert (variant["modelDataDownloadTimeoutInSeconds"], variant["containerStartupHealthCheckTimeoutInSeconds"]) == (
        600,
        600,
    )
    assert variant["instanceType"] == "ml.g6e.xlarge" and variant["initialInstanceCount"] == 1


def test_preview_prints_the_plan_and_the_timeouts(staging: PreviewResult) -> None:
    text = render_text(staging)
    line = next(x for x in text.splitlines() if x.strip().startswith(f"{MODEL} (sagemaker-llm)"))
    assert "14.96 GiB weights (S3 prefix)" in line and "ModelDataDownloadTimeoutInSeconds 600" in line
    assert (
        "GPU memory plan: TP 1 on ml.g6e.xlarge: weights 14.96 GiB (16.06 GB bf16) + KV cache 8,192 tokens x 16 "
        "seqs x 131,072 B/token = 16.00 GiB + overhead 1 x 1.5 GiB = 32.46 GiB required <= 43.20 GiB available"
    ) in text


def test_latency_alarm_allows_ttft_plus_the_expected_output_at_the_itl_objective(staging: PreviewResult) -> None:
    alarm = _one(staging, "aws:cloudwatch/metricAlarm:MetricAlarm", f"sm-{MODEL}-latency-p99").inputs
    # 1,500 ms TTFT + 256 x 100 ms ITL (the package's slo) = 27,100 ms, in microseconds.
    assert EXPECTED_OUTPUT_TOKENS == 256
    assert alarm["threshold"] == 27_100_000
    assert alarm["dimensions"]["EndpointName"] == f"staging-{MODEL}"


def test_the_api_front_door_routes_to_the_llm_endpoint_and_artifacts_point_at_the_weights(
    staging: PreviewResult,
) -> None:
    api = staging.of_type("inferstack:index:InferenceApi")
    assert api, "staging has an API front door"
    integrations = [
        r
        for r in staging.of_type("aws:apigateway/integration:Integration")
        if f"endpoints/staging-{MODEL}/" in str(r.inputs)
    ]
    assert integrations, "the front door invokes the LLM endpoint"
    artifacts = json.loads(json.dumps(staging.outputs["model_artifacts"]))
    assert artifacts[MODEL] == "s3://inferstack-llm-weights/llama-3-1-8b-instruct/1/"


def test_llm_endpoint_is_priced_from_its_autoscaling_range(staging: PreviewResult) -> None:
    assert staging.cost is not None
    [entry] = [d for d in staging.cost["by_deployment"] if d["deployment"] == MODEL]
    # ml.g6e.xlarge at $2.61/h (inferstack/pricing/prices.csv) x 730 h: 1 instance baseline, 2 at peak; plus its
    # 5 standard-resolution alarms at $0.10 a month.
    assert entry["monthly_usd"] == {
        "baseline": pytest.approx(2.61 * 730 + 0.5, abs=0.01),
        "peak": pytest.approx(2 * 2.61 * 730 + 0.5, abs=0.01),
    }


def test_staging_policies_pass_with_the_llm_deployment(staging: PreviewResult) -> None:
    assert staging.violations is not None
    blocking = [v for v in staging.violations if v["enforcement_level"] == "mandatory"]
    assert blocking == []
    mine = [v for v in staging.violations if f"sm-{MODEL}" in str(v.get("urn"))]
    # Only the advisory "two instances" rule, as for staging's other SageMaker endpoint; it points at the line.
    assert {v["policy"] for v in mine} == {"aws-sagemaker-endpointconfig-require-multiple-instances"}
    assert all(v["source"]["path"].endswith("instances.min") for v in mine)


# -- validate: SageMaker's 3600 s limits against LLM weights -------------------------------------------------


def _llm_deployment(**overrides: Any) -> Deployment:
    data: dict[str, Any] = {
        "model": "llama-3-1-70b-instruct",
        "version": 1,
        "target": "sagemaker-llm",
        "instance_type": "ml.p4d.24xlarge",
        "instances": {"min": 1, "max": 1},
        "llm": {"max_model_len": 8192, "max_concurrent_sequences": 8},
    }
    data.update(overrides)
    return Deployment.model_validate(data)


def test_70b_weights_fit_sagemakers_timeouts_with_the_arithmetic() -> None:
    package = load_package(Project(ROOT), "llama-3-1-70b-instruct")
    budget = coldstart_checks.budget(ROOT, package, _llm_deployment())
    # 70.55 B params x 2 B = 141.1 GB: 141.1e9 / 85e6 = 1,660 s x 2 = 3,320 s; disk read 538 s + 120 s engine x 2.
    assert budget.download_bytes == pytest.approx(141.1e9, rel=0.001)
    download, startup = coldstart.sagemaker_timeouts(budget)
    assert 3300 < download <= 3600 and 1300 < startup < 1400


def test_weights_beyond_sagemakers_download_limit_are_refused_with_the_fix() -> None:
    too_big = coldstart.cold_start(download_bytes=200 * 10**9, engine_start_seconds=120)
    with pytest.raises(
        coldstart.ColdStartError, match=r"ModelDataDownloadTimeoutInSeconds would need 4706s .* vllm-eks"
    ):
        coldstart.sagemaker_timeouts(too_big, eks_target="vllm-eks")


def test_validate_reports_an_llm_deployment_sagemaker_cannot_start_in_time(tmp_path: Path) -> None:
    env = load_environment(Project(ROOT), "staging")
    packages = {"big": load_package(Project(ROOT), "llama-3-1-70b-instruct").model_copy(update={"name": "big"})}
    big = packages["big"].model_copy(update={"parameters": 100_000_000_000})  # 200 GB of bf16 weights
    (tmp_path / "model_packages" / "big").mkdir(parents=True)
    (tmp_path / "model_packages" / "big" / "config.json").write_text(
        (ROOT / "model_packages" / "llama-3-1-70b-instruct" / "config.json").read_text()
    )
    env = env.model_copy(update={"deployments": [_llm_deployment(model="big")]})
    problems = coldstart_checks.deployment_problems(tmp_path, env, {"big": big})
    assert len(problems) == 1
    assert problems[0].startswith("environments/staging.yaml ==> at deployments[0] (big)")
    assert "ModelDataDownloadTimeoutInSeconds would need 4706s" in problems[0] and "vllm-eks" in problems[0]


def test_dashboard_shows_what_the_llm_endpoint_scales_on(staging: PreviewResult) -> None:
    [dashboard] = staging.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert f"{MODEL} (us-east-1) concurrent requests per model" in titles
    widget = next(w for w in body["widgets"] if w["properties"]["title"].endswith("concurrent requests per model"))
    [metric] = widget["properties"]["metrics"]
    assert metric[:6] == [
        "AWS/SageMaker",
        "ConcurrentRequestsPerModel",
        "EndpointName",
        f"staging-{MODEL}",
        "VariantName",
        "AllTraffic",
    ]

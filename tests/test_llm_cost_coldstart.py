"""Cost per 1M output tokens from the same cost model (issue 16, item 6) and the LLM cold-start budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferstack import coldstart
from inferstack.config.environment import Deployment
from inferstack.config.loader import Project, load_environment
from inferstack.cost import cost_per_million_tokens, estimate_preview, render_cost_text
from inferstack.cost_markdown import render_cost_markdown
from tests.conftest import preview_of
from tests.cost_synthetic import Builder

ROOT = Path(__file__).resolve().parent.parent
ML_G6_XLARGE_HOURLY = 1.1267  # inferstack/pricing/prices.csv, sagemaker ml.g6.xlarge us-east-1


def _llm_endpoint(model: str, lo: int, hi: int) -> Builder:
    b = Builder()
    serving = b.add("inferstack:index:SageMakerEndpoint", f"sm-{model}", custom=False)
    config = b.add(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        f"{model}-config",
        {"productionVariants": [{"variantName": "AllTraffic", "instanceType": "ml.g6.xlarge"}]},
        parent=serving,
    )
    endpoint = b.add(
        "aws:sagemaker/endpoint:Endpoint", f"{model}-endpoint", {"name": f"{model}-test"}, parent=serving, deps=[config]
    )
    b.add(
        "aws:appautoscaling/target:Target",
        f"{model}-scaling",
        {
            "serviceNamespace": "sagemaker",
            "resourceId": f"endpoint/{model}-test/variant/AllTraffic",
            "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "minCapacity": lo,
            "maxCapacity": hi,
        },
        parent=serving,
        deps=[endpoint],
    )
    return b


def _env(lo: int, hi: int, throughput: float | None):
    env = load_environment(Project(ROOT), "staging", check_packages=False)
    dep = Deployment.model_validate(
        {
            "model": "llama-3-1-8b-instruct",
            "version": 1,
            "target": "sagemaker-llm",
            "instance_type": "ml.g6.xlarge",
            "instances": {"min": lo, "max": hi},
            "llm": {"max_model_len": 8192, "max_concurrent_sequences": 4, "throughput_tokens_per_s": throughput},
        }
    )
    return env.model_copy(update={"deployments": [dep], "regions": env.regions.model_copy(update={"secondary": None})})


def test_cost_per_million_output_tokens_from_the_deployments_monthly_cost() -> None:
    cost = estimate_preview(_llm_endpoint("llama-3-1-8b-instruct", 1, 3).result(), _env(1, 3, 1000))
    [row] = cost["by_deployment"]
    assert row["monthly_usd"] == {
        "baseline": round(730 * ML_G6_XLARGE_HOURLY, 2),
        "peak": round(3 * 730 * ML_G6_XLARGE_HOURLY, 2),
    }
    per = row["cost_per_million_output_tokens"]
    # 1 instance: $1.1267/h / (1,000 tokens/s x 3,600 s) x 1e6 = $0.313 per 1M tokens; 3 instances cost 3x, make 3x
    assert per["baseline"] == pytest.approx(ML_G6_XLARGE_HOURLY / 3.6, abs=1e-4)
    assert per["peak"] == pytest.approx(per["baseline"], abs=1e-4)
    assert per["replicas"] == {"baseline": 1, "peak": 3}
    assert "/ 730 / (1 x 1000 x 3600) x 1e6 = $0.31" in per["formula"]
    text = render_cost_text(cost, "staging")
    assert "    $ per 1M output tokens: $0.31 baseline (1 replica), $0.31 peak (3 replicas) at 1000 tokens/s" in text
    markdown = render_cost_markdown(cost, "staging")
    assert "- `llama-3-1-8b-instruct` (sagemaker-llm, us-east-1): $ per 1M output tokens: $0.31 baseline" in markdown


def test_no_throughput_no_per_token_figure_and_scaled_to_zero_has_no_baseline() -> None:
    cost = estimate_preview(_llm_endpoint("llama-3-1-8b-instruct", 1, 3).result(), _env(1, 3, None))
    assert "cost_per_million_output_tokens" not in cost["by_deployment"][0]
    assert "$ per 1M output tokens" not in render_cost_text(cost, "staging")
    assert cost_per_million_tokens(500.0, 0, 1000) is None
    assert cost_per_million_tokens(730.0, 2, 500) == pytest.approx(1 / (2 * 500 * 3600) * 1e6, abs=1e-4)


def test_llm_cold_start_streams_weights_over_parallel_s3_connections_capped_by_the_network() -> None:
    b = coldstart.llm_cold_start(weights_bytes=8_030_261_248 * 2)  # Llama-3.1-8B bf16, 16.06 GB
    assert b.s3_mb_s == 1250  # min(16 x 85 MB/s, 10 Gbps = 1,250 MB/s)
    assert b.download_seconds == pytest.approx(16.0605 / 1.25, abs=0.01)
    assert b.load_seconds == 0  # overlapped with the download
    assert b.startup_seconds == 300  # (12.8 + 120) x 2 = 266 s, floor 300 s
    assert b.image_pull_seconds == pytest.approx(28_600 / 77, abs=0.1)
    assert coldstart.startup_probe(b) == (10, 30)
    assert "[runai_streamer: 16 S3 streams x 85 MB/s, at most 10 Gbps -> 1250 MB/s]" in b.text()
    big = coldstart.llm_cold_start(weights_bytes=70_553_706_496 * 2)
    assert big.startup_seconds == 466  # (141.1 GB / 1,250 MB/s = 112.9 s + 120 s) x 2


def test_downloading_to_disk_first_pays_the_disk_twice() -> None:
    b = coldstart.llm_cold_start(weights_bytes=8_030_261_248 * 2, load_format="download", image_bytes=0)
    disk = 8_030_261_248 * 2 / (250 * 1024**2)
    assert b.download_seconds == pytest.approx(disk)  # gp3 250 MiB/s is slower than 1,250 MB/s from S3
    assert b.load_seconds == pytest.approx(disk)
    assert coldstart.sagemaker_timeouts(b) == (600, 600)
    with pytest.raises(coldstart.ColdStartError, match="load_format 'nfs' is not one of"):
        coldstart.llm_cold_start(weights_bytes=1, load_format="nfs")


def test_the_prod_vllm_deployment_prices_its_tokens_from_its_gpu_nodes_when_throughput_is_given() -> None:
    """End to end on the reference prod preview: the 70B vllm-eks deployment's row (its g6e.12xlarge nodes, one
    per TP-4 replica, in both regions) yields $ per 1M output tokens once it declares a measured throughput."""
    env = load_environment(Project(ROOT), "prod")
    deps = [
        d.model_copy(update={"llm": d.llm.model_copy(update={"throughput_tokens_per_s": 1500})})
        if d.target == "vllm-eks" and d.llm is not None
        else d
        for d in env.deployments
    ]
    cost = estimate_preview(preview_of("prod"), env.model_copy(update={"deployments": deps}))
    rows = [r for r in cost["by_deployment"] if "cost_per_million_output_tokens" in r]
    assert rows, "no deployment row carries a per-token figure"
    for row in rows:
        per = row["cost_per_million_output_tokens"]
        lo, hi = per["replicas"]["baseline"], per["replicas"]["peak"]
        assert per["baseline"] == pytest.approx(row["monthly_usd"]["baseline"] / 730 / (lo * 1500 * 3600) * 1e6, 1e-3)
        assert per["peak"] == pytest.approx(row["monthly_usd"]["peak"] / 730 / (hi * 1500 * 3600) * 1e6, 1e-3)
        assert per["baseline"] > 0
    text = render_cost_text(cost, "prod")
    assert "baseline (2 replicas)" in text
    assert "(1 replicas)" not in text


def test_a_single_replica_reads_in_the_singular() -> None:
    cost = estimate_preview(_llm_endpoint("llama-3-1-8b-instruct", 1, 3).result(), _env(1, 3, 1000))
    text = render_cost_text(cost, "staging")
    assert "baseline (1 replica), $0.31 peak (3 replicas)" in text

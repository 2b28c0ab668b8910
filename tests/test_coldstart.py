"""Model size drives the Triton scratch volume, the startup probe and SageMaker's timeouts (issue 14, item 4)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from inferstack import coldstart, coldstart_checks
from inferstack.config.loader import InputError, Project
from inferstack.engine.model import PreviewResult, Resource
from inferstack.preview import render_text, run_preview
from stacks import program
from tests.conftest import preview_of
from tests.packages_helpers import copy_project

GIB = 1024**3


def _sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no disk space (the tests need big models, not their bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.truncate(size)


def _stable_deployment(result: PreviewResult, model: str) -> Resource:
    found = [
        r
        for r in result.of_type("kubernetes:apps/v1:Deployment")
        if r.inputs["metadata"]["name"] == model and not r.name.endswith("-us-west-2-deployment")
    ]
    return found[0]


def _quantity_gib(value: str) -> float:
    assert value.endswith("Gi"), value
    return float(value[:-2])


@pytest.fixture(scope="module")
def big_models(tmp_path_factory: pytest.TempPathFactory) -> PreviewResult:
    """dev with a 6 GiB text-embedder repository (Triton on EKS) and a 30 GiB fraud-scorer archive (SageMaker)."""
    root = tmp_path_factory.mktemp("bigmodels")
    project = copy_project(root)
    _sparse(root / "model_packages/text-embedder/triton/text-embedder/3/weights.bin", 6 * GIB)
    _sparse(root / "model_packages/fraud-scorer/triton/fraud-scorer/7/weights.bin", 30 * GIB)
    return _preview_copy(project, root)


def _preview_copy(project: Project, root: Path) -> PreviewResult:
    """Preview the copy: the already-imported stack program reads its files from ROOT, so point it there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(program, "ROOT", root)
        return run_preview(project, "dev", evaluate_policies=False, estimate_cost=False)


def test_a_6_gib_triton_repository_gets_a_tmp_volume_and_ephemeral_storage_larger_than_it(
    big_models: PreviewResult,
) -> None:
    pod = _stable_deployment(big_models, "text-embedder").inputs["spec"]["template"]["spec"]
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
    size = _quantity_gib(tmp["emptyDir"]["sizeLimit"])
    assert size > 6  # Triton copies the whole repository into /tmp before loading it
    resources = pod["containers"][0]["resources"]
    assert _quantity_gib(resources["requests"]["ephemeral-storage"]) > size  # the scheduler reserves node disk
    assert _quantity_gib(resources["limits"]["ephemeral-storage"]) > size


def test_a_6_gib_triton_repository_gets_a_startup_budget_covering_download_and_load(
    big_models: PreviewResult,
) -> None:
    container = _stable_deployment(big_models, "text-embedder").inputs["spec"]["template"]["spec"]["containers"][0]
    probe = container["startupProbe"]
    budget = probe["periodSeconds"] * probe["failureThreshold"]
    # 6 GiB at one 85 MB/s S3 stream is ~76 s, read back at 250 MiB/s ~25 s, + 60 s engine start, x 2.
    download = 6 * GIB / 85e6
    assert budget >= 2 * (download + 6 * 1024 / 250 + 60)
    assert budget > 300  # larger than the fixed 5 minutes it had before


def test_a_30_gib_sagemaker_archive_gets_download_and_startup_timeouts_from_its_size(
    big_models: PreviewResult,
) -> None:
    config = next(
        r
        for r in big_models.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
        if "fraud-scorer" in r.name
    )
    variant = config.inputs["productionVariants"][0]
    download = math.ceil(2 * 30 * GIB / 85e6)
    assert variant["modelDataDownloadTimeoutInSeconds"] == download  # 758 s, above the old fixed 600
    # Loading 30 GiB from local disk (~123 s) + 60 s engine start, x 2 = 366 s: the 600 s floor still holds.
    assert variant["containerStartupHealthCheckTimeoutInSeconds"] == 600


def test_preview_prints_the_cold_start_arithmetic_per_deployment(big_models: PreviewResult) -> None:
    text = render_text(big_models)
    assert "Cold-start budget (per deployment):" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("text-embedder (triton-eks):"))
    assert "6.00 GiB to fetch: download 75.8s + load 24.6s + engine start 60s" in line
    assert big_models.outputs["cold_start"]["fraud-scorer"]["model_data_download_timeout_seconds"] == 758


def test_an_archive_sagemaker_cannot_fetch_within_3600_s_is_refused_with_the_arithmetic(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    _sparse(tmp_path / "model_packages/fraud-scorer/triton/fraud-scorer/7/weights.bin", 200 * GIB)
    with pytest.raises(InputError, match=r"ModelDataDownloadTimeoutInSeconds would need 5053s .* at most 3600s"):
        _preview_copy(project, tmp_path)


def test_reference_environments_keep_at_least_the_previous_budgets() -> None:
    prod = preview_of("prod")
    probe = _stable_deployment(prod, "text-embedder").inputs["spec"]["template"]["spec"]["containers"][0][
        "startupProbe"
    ]
    assert probe["periodSeconds"] * probe["failureThreshold"] == 300
    budgets = prod.outputs["cold_start"]
    assert budgets["fraud-scorer"]["model_data_download_timeout_seconds"] == 600
    assert budgets["text-embedder"]["startup_probe"] == "30 x 10s = 300s"


# -- the pure module ---------------------------------------------------------------------------------


def test_cold_start_text_shows_each_phase_and_the_budget_for_llm_weights() -> None:
    # What an LLM deployment passes: 16 GiB of weights, a 20 GB image, 120 s engine start.
    budget = coldstart.cold_start(download_bytes=16 * GIB, image_bytes=20 * 10**9, engine_start_seconds=120)
    assert budget.download_seconds == pytest.approx(16 * GIB / 85e6)
    assert budget.startup_seconds == math.ceil(2 * (16 * GIB / 85e6 + 16 * 1024 / 250 + 120))
    assert budget.total_seconds == math.ceil(2 * 20e9 / 77e6) + budget.startup_seconds
    assert budget.text().startswith("16.00 GiB to fetch: download 202.1s + load 65.5s + engine start 120s = 387.7s")
    period, threshold = coldstart.startup_probe(budget)
    assert period * threshold >= budget.startup_seconds > period * (threshold - 1)


def test_scratch_is_the_repository_with_headroom_and_never_below_two_gib() -> None:
    assert coldstart.scratch_gib(0) == 2
    assert coldstart.scratch_gib(6 * GIB) == 9  # 6 x 1.25 = 7.5 -> 8, + 1 GiB for HOME and logs


def test_node_disk_too_small_for_the_scratch_of_its_pods_is_refused() -> None:
    problem = coldstart_checks.node_disk_problem("l4", 100, 40, 4, "big")
    assert problem is not None
    assert re.search(r"4 pod\(s\) per node x 40 GiB scratch .*disk_size_gib=100 .* at least 194", problem)
    assert coldstart_checks.node_disk_problem("l4", 200, 9, 1, "ok") is None


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(coldstart.ColdStartError, match="non-negative"):
        coldstart.cold_start(download_bytes=-1)


def test_an_external_artifact_must_declare_its_size_so_scratch_and_timeouts_can_be_derived() -> None:
    from inferstack.config.model_package import ModelPackage

    base = {
        "name": "big-llm",
        "version": 1,
        "owner": "ml",
        "backend": "python",
        "artifact_uri": "s3://bucket/big-llm/model.tar.gz",
        "gpu_memory_gib": 20,
        "latency_slo": {"p99_ms": 500},
    }
    with pytest.raises(ValueError, match="artifact_uri needs artifact_size_gib"):
        ModelPackage.model_validate(base)
    assert ModelPackage.model_validate({**base, "artifact_size_gib": 12}).artifact_size_gib == 12


def test_validate_refuses_an_archive_sagemaker_cannot_fetch_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from inferstack.cli import app

    copy_project(tmp_path)
    _sparse(tmp_path / "model_packages/fraud-scorer/triton/fraud-scorer/7/weights.bin", 200 * GIB)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert "environments/dev.yaml ==> at deployments[1] (fraud-scorer)" in result.output
    assert "ModelDataDownloadTimeoutInSeconds would need 5053s" in result.output


def test_validate_refuses_a_triton_repository_the_gpu_nodes_disk_cannot_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from inferstack.cli import app

    copy_project(tmp_path)
    _sparse(tmp_path / "model_packages/text-embedder/triton/text-embedder/3/weights.bin", 150 * GIB)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert "GiB Triton image = " in result.output and "raise disk_size_gib to at least" in result.output


def test_sagemaker_arithmetic_names_both_timeouts_and_their_floor() -> None:
    budget = coldstart.cold_start(download_bytes=30 * GIB)
    assert coldstart.sagemaker_text(budget) == (
        "30.00 GiB archive: download 379.0s x 2 -> ModelDataDownloadTimeoutInSeconds 758; load 122.9s + engine "
        "start 60s x 2 -> ContainerStartupHealthCheckTimeoutInSeconds 600 (each at least 600s, at most 3600s)"
    )

"""LLM packages (kind: llm): safetensors headers, the manifest, the loader's dispatch by kind, deployment fields,
runtime support, and `inferstack validate` refusing what the planner cannot fit."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.config.environment import Deployment
from inferstack.config.llm_package import (
    LlmArchitecture,
    LlmPackage,
    SafetensorsError,
    read_safetensors_header,
    summarize_safetensors,
)
from inferstack.config.loader import InputError, Project, load_environment, load_model_package, load_package
from inferstack.config.model_package import ModelPackage
from inferstack.llm.planner import plan_for_deployment
from inferstack.llm.runtime import support_problems

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "model_packages" / "tiny-llama"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copytree(ROOT / "model_packages", tmp_path / "model_packages")
    # Copies under names no environment deploys, so the tests' deployments never collide with the reference ones.
    for copy, source in (("big-llm", "llama-3-1-70b-instruct"), ("small-llm", "llama-3-1-8b-instruct")):
        shutil.copytree(tmp_path / "model_packages" / source, tmp_path / "model_packages" / copy)
        manifest = tmp_path / "model_packages" / copy / "model.yaml"
        manifest.write_text(manifest.read_text().replace(f"name: {source}", f"name: {copy}"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- safetensors -------------------------------------------------------------------------------------


def test_tiny_llama_is_regenerated_byte_for_byte() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_tiny_llm.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_safetensors_header_gives_the_parameter_count_the_config_implies() -> None:
    summary = summarize_safetensors([TINY / "model.safetensors"])
    arch = LlmArchitecture.load(TINY / "config.json")
    assert summary.parameters == arch.dense_decoder_parameters() == 107_072
    assert summary.dtypes == {"BF16": 107_072}
    assert summary.weight_bytes == 2 * 107_072
    assert len(read_safetensors_header(TINY / "model.safetensors")) == 2 + 9 * 2 + 1  # embed, norm, 9/layer, head


def _write_safetensors(path: Path, header: dict, data: bytes) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def test_corrupt_safetensors_are_refused_with_the_file_and_problem(tmp_path: Path) -> None:
    short = tmp_path / "short.safetensors"
    short.write_bytes(struct.pack("<Q", 1_000_000) + b"{}")
    with pytest.raises(SafetensorsError, match="header length 1000000 does not fit the file"):
        read_safetensors_header(short)
    bad = _write_safetensors(
        tmp_path / "b.safetensors", {"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 8
    )
    with pytest.raises(SafetensorsError, match=r"tensor 'w' data_offsets \[0, 4\] do not match its shape \[4\] x BF16"):
        read_safetensors_header(bad)
    odd = _write_safetensors(
        tmp_path / "c.safetensors", {"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 1]}}, b"\0"
    )
    with pytest.raises(SafetensorsError, match="unknown dtype 'Q4'"):
        read_safetensors_header(odd)


# -- manifest and loader ---------------------------------------------------------------------------


def test_loader_picks_the_manifest_model_by_kind() -> None:
    project = Project(ROOT)
    assert isinstance(load_package(project, "fraud-scorer"), ModelPackage)
    tiny = load_package(project, "tiny-llama")
    assert isinstance(tiny, LlmPackage)
    assert tiny.weight_bytes(TINY) == 2 * 107_072
    with pytest.raises(InputError, match="'tiny-llama' is an LLM package \\(kind: llm\\)"):
        load_model_package(project, "tiny-llama")


def test_remote_packages_weigh_their_parameters_at_the_serving_precision() -> None:
    project = Project(ROOT)
    pkg = load_package(project, "llama-3-1-70b-instruct")
    assert isinstance(pkg, LlmPackage)
    directory = ROOT / "model_packages" / pkg.name
    assert pkg.parameter_count(directory) == 70_553_706_496
    assert pkg.weight_bytes(directory) == 2 * 70_553_706_496
    int4 = pkg.model_copy(update={"serving": pkg.serving.model_copy(update={"precision": "int4-awq"})})
    assert 0.25 < int4.weight_bytes(directory) / pkg.weight_bytes(directory) < 0.27  # 4-bit + scales


def test_unknown_kind_names_the_line_and_the_kinds(workspace: Path) -> None:
    path = workspace / "model_packages" / "tiny-llama" / "model.yaml"
    path.write_text(path.read_text().replace("kind: llm", "kind: lm"))
    with pytest.raises(InputError) as exc:
        load_package(Project(workspace), "tiny-llama")
    assert exc.value.message == (
        "model_packages/tiny-llama/model.yaml:6:7 ==> at kind\n  ==> unknown package kind 'lm'; use kind: llm, "
        "or leave kind out for a Triton package"
    )


def test_weights_uri_must_be_s3() -> None:
    with pytest.raises(ValueError, match="weights_uri 'https://x/y' must be an s3:// URI"):
        LlmPackage.model_validate(
            {"kind": "llm", "name": "abc", "version": 1, "owner": "o", "weights_uri": "https://x/y",
             "serving": {"precision": "bf16"}}
        )  # fmt: skip


# -- deployment fields -----------------------------------------------------------------------------


def _dep(**kw: object) -> Deployment:
    return Deployment.model_validate({"model": "llama-3-1-8b-instruct", "version": 1, **kw})


def test_llm_targets_need_llm_settings_and_their_target_fields() -> None:
    with pytest.raises(ValueError, match=re.escape("target vllm-eks needs llm: {max_model_len: N")):
        _dep(target="vllm-eks", gpu_node_group="l4", replicas={"min": 1, "max": 2})
    with pytest.raises(ValueError, match="target vllm-eks needs gpu_node_group"):
        _dep(target="vllm-eks", llm={"max_model_len": 8192, "max_concurrent_sequences": 4})
    with pytest.raises(ValueError, match="target sagemaker-llm needs instance_type"):
        _dep(target="sagemaker-llm", llm={"max_model_len": 8192, "max_concurrent_sequences": 4})
    with pytest.raises(ValueError, match="llm applies to LLM targets"):
        _dep(target="triton-eks", gpu_node_group="l4", replicas={"min": 1, "max": 2},
             llm={"max_model_len": 8192, "max_concurrent_sequences": 4})  # fmt: skip
    with pytest.raises(ValueError, match=re.escape("set llm.tensor_parallel: 4 instead")):
        _dep(target="vllm-eks", gpu_node_group="l4", replicas={"min": 1, "max": 2}, gpus_per_replica=4,
             llm={"max_model_len": 8192, "max_concurrent_sequences": 4})  # fmt: skip
    # SageMaker inference components may scale to zero
    d = _dep(target="sagemaker-llm", instance_type="ml.g6.xlarge", instances={"min": 0, "max": 2},
             llm={"max_model_len": 8192, "max_concurrent_sequences": 4})  # fmt: skip
    assert d.llm is not None and d.llm.gpu_memory_utilization == 0.9


def test_runtime_support_by_target_and_gpu() -> None:
    assert support_problems("vllm", "bf16", "fp8", "L4") == []
    [bf16_t4] = support_problems("vllm", "bf16", "auto", "T4")
    assert bf16_t4.startswith("precision 'bf16' needs compute capability >= 8 but the T4 has 7.5")
    assert "use precision fp16 / int4-awq / int4-gptq / int8 on the T4" in bf16_t4
    [kv] = support_problems("lmi", "bf16", "fp8", "L4")
    assert kv.startswith("kv_cache_dtype 'fp8' is not supported by the SageMaker LMI container")


# -- validate ----------------------------------------------------------------------------------------

LLM_DEPLOYMENT = """
  - model: big-llm
    version: 1
    target: vllm-eks
    gpu_node_group: l4
    replicas: {min: 1, max: 2}
    llm: {max_model_len: 8192, max_concurrent_sequences: 4}
"""


def test_validate_refuses_an_llm_deployment_that_cannot_fit_with_file_line_and_arithmetic(workspace: Path) -> None:
    staging = workspace / "environments" / "staging.yaml"
    text = staging.read_text()
    staging.write_text(text.replace("deployments:\n", "deployments:" + LLM_DEPLOYMENT, 1))
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = staging.read_text().splitlines()
    line = lines.index("    llm: {max_model_len: 8192, max_concurrent_sequences: 4}") + 1
    column = lines[line - 1].index("8192") + 1  # the value of llm.max_model_len
    assert result.stderr.startswith(
        f"error: environments/staging.yaml:{line}:{column} ==> at deployments[0].llm.max_model_len "
        "(big-llm)\n  ==> big-llm does not fit on g6.xlarge, g6.2xlarge at any "
        "tensor-parallel degree up to 1 (the GPUs per node):\n    TP 1 on g6.xlarge: weights 131.42 GiB "
        "(141.11 GB bf16) + KV cache 8,192 tokens x 4 seqs x 327,680 B/token = 10.00 GiB"
    )


def test_an_llm_deployment_that_fits_validates_and_plans(workspace: Path) -> None:
    staging = workspace / "environments" / "staging.yaml"
    dep = LLM_DEPLOYMENT.replace("big-llm", "small-llm")
    staging.write_text(staging.read_text().replace("deployments:\n", "deployments:" + dep, 1))
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.stderr
    project = Project(workspace)
    env = load_environment(project, "staging")
    pkg = load_package(project, "small-llm")
    assert isinstance(pkg, LlmPackage)
    p = plan_for_deployment(env, env.deployments[0], pkg, package_dir=project.packages_dir / pkg.name)
    assert (p.instance_type, p.tensor_parallel, p.kv_cache_gib) == ("g6.xlarge", 1, 4.0)


def test_a_triton_package_on_an_llm_target_is_refused(workspace: Path) -> None:
    copy = workspace / "model_packages" / "fraud-copy"
    shutil.copytree(workspace / "model_packages" / "fraud-scorer", copy)
    manifest = copy / "model.yaml"
    manifest.write_text(manifest.read_text().replace("name: fraud-scorer", "name: fraud-copy"))
    staging = workspace / "environments" / "staging.yaml"
    dep = LLM_DEPLOYMENT.replace("big-llm", "fraud-copy").replace("version: 1", "version: 7")
    staging.write_text(staging.read_text().replace("deployments:\n", "deployments:" + dep, 1))
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    target = staging.read_text().splitlines().index("    target: vllm-eks") + 1
    assert (
        f"environments/staging.yaml:{target}:13 ==> at deployments[0].target\n  ==> 'fraud-copy' is a Triton package; "
        "the LLM targets (vllm-eks, sagemaker-llm) serve kind: llm packages, use triton-eks, sagemaker or "
        "sagemaker-async\n"
    ) in result.stderr


def test_an_llm_config_path_outside_the_package_is_refused(workspace: Path) -> None:
    path = workspace / "model_packages" / "tiny-llama" / "model.yaml"
    path.write_text(path.read_text().replace("weights: local\n", "weights: local\nconfig: ../fraud-scorer/x.json\n"))
    with pytest.raises(InputError, match=r"at config\n  ==> '../fraud-scorer/x.json' leaves the package"):
        load_package(Project(workspace), "tiny-llama")


def test_package_validate_checks_an_llm_package_and_plans_its_deployments(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["package", "validate", "model_packages/tiny-llama"])
    assert result.exit_code == 0, result.stderr
    assert "  ok  safetensors headers (model.safetensors): 107,072 parameters (BF16 107,072), 214,144 bytes" in (
        result.stdout
    )
    assert result.stdout.endswith("ok: tiny-llama is valid (LLM package)\n")
    staging = workspace / "environments" / "staging.yaml"
    staging.write_text(staging.read_text().replace("deployments:\n", "deployments:" + LLM_DEPLOYMENT, 1))
    refused = CliRunner().invoke(app, ["package", "validate", "big-llm"])
    assert refused.exit_code == 2
    assert "at deployments[0].llm.max_model_len (big-llm)" in refused.stderr
    assert "= 10.00 GiB + overhead 1 x 1.5 GiB = 142.92 GiB required > 21.60 GiB available" in refused.stderr
    fits = LLM_DEPLOYMENT.replace("big-llm", "small-llm")
    staging.write_text(staging.read_text().replace(LLM_DEPLOYMENT, fits, 1))
    ok = CliRunner().invoke(app, ["package", "validate", "small-llm"])
    assert ok.exit_code == 0, ok.stderr
    assert "  ok  environments/staging.yaml: TP 1 on g6.xlarge: weights 14.96 GiB" in ok.stdout


def test_package_validate_refuses_weights_whose_dtype_differs_from_the_declared_precision(workspace: Path) -> None:
    path = workspace / "model_packages" / "tiny-llama" / "model.yaml"
    path.write_text(path.read_text().replace("precision: bf16", "precision: fp16"))
    result = CliRunner().invoke(app, ["package", "validate", "tiny-llama"])
    assert result.exit_code == 2
    assert "at serving.precision\n  ==> precision fp16 but the safetensors hold BF16 107,072" in result.stderr

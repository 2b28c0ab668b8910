"""`inferstack package validate` and `build`: the example packages pass, broken ones fail precisely,
and builds are reproducible byte for byte."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from inferstack.config.loader import Project
from inferstack.packages.build import build_package, read_built
from inferstack.packages.errors import PackageError
from inferstack.packages.validate import resolve_package, validate_package
from tests.packages_helpers import copy_project


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return copy_project(tmp_path)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("name", ["fraud-scorer", "text-embedder"])
def test_example_packages_validate_including_the_sample_run_on_every_version(project: Project, name: str) -> None:
    ref = resolve_package(project, f"model_packages/{name}")
    report = validate_package(ref)
    assert report.problems == []
    ran = [c for c in report.checks if "sample request ran on onnxruntime" in c]
    assert len(ran) == len(ref.versions()) == 2


def test_generated_models_are_committed_and_match_the_generator() -> None:
    from scripts.generate_models import main

    assert main(["--check"]) == 0


def test_config_dims_that_differ_from_the_manifest_are_reported_with_both_values(proj: Project) -> None:
    config = proj.packages_dir / "fraud-scorer/triton/fraud-scorer/config.pbtxt"
    _edit(config, "dims: [ 16 ]", "dims: [ 12 ]")
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "fraud-scorer"))
    assert exc.value.message == (
        "model_packages/fraud-scorer/triton/fraud-scorer/config.pbtxt ==> at input[features].dims\n"
        "  ==> config has [12] but model.yaml has [16]; make them equal"
    )


def test_config_pbtxt_syntax_errors_name_line_and_column(proj: Project) -> None:
    config = proj.packages_dir / "text-embedder/triton/text-embedder/config.pbtxt"
    _edit(config, "max_batch_size: 32", "max_batch_size: 32\nmax_batch: 4")
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "text-embedder"))
    assert exc.value.message == (
        "model_packages/text-embedder/triton/text-embedder/config.pbtxt:6:1 ==> not a Triton ModelConfig: "
        'Message type "inference.ModelConfig" has no field named "max_batch".; fix that line'
    )


def test_a_tensor_name_missing_from_the_onnx_graph_is_reported_for_each_version(proj: Project) -> None:
    _edit(proj.packages_dir / "fraud-scorer/model.yaml", "{name: score,", "{name: probability,")
    _edit(proj.packages_dir / "fraud-scorer/triton/fraud-scorer/config.pbtxt", '"score"', '"probability"')
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "fraud-scorer"))
    for version in (6, 7):
        assert (
            f"model_packages/fraud-scorer/triton/fraud-scorer/{version}/model.onnx ==> at outputs[0]\n"
            "  ==> the graph has no output 'probability' (graph has ['score']); rename it in model.yaml and "
            "config.pbtxt"
        ) in exc.value.message


def test_a_graph_batch_dimension_without_max_batch_size_is_reported(proj: Project) -> None:
    pkg = proj.packages_dir / "fraud-scorer"
    _edit(pkg / "model.yaml", "max_batch_size: 64", "max_batch_size: 0")
    _edit(
        pkg / "model.yaml", "dynamic_batching:\n  preferred_batch_sizes: [8, 16, 32]\n  max_queue_delay_us: 100\n", ""
    )
    config = pkg / "triton/fraud-scorer/config.pbtxt"
    _edit(config, "max_batch_size: 64", "max_batch_size: 0")
    _edit(
        config,
        "dynamic_batching {\n  preferred_batch_size: [ 8, 16, 32 ]\n  max_queue_delay_microseconds: 100\n}\n",
        "",
    )
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "fraud-scorer"))
    assert (
        "model_packages/fraud-scorer/triton/fraud-scorer/7/model.onnx ==> at inputs[0]\n"
        "  ==> 'features' has graph dims [-1, 16] but model.yaml declares [16]; make model.yaml and config.pbtxt "
        "match the graph"
    ) in exc.value.message


def test_a_sample_request_with_the_wrong_shape_is_refused(proj: Project) -> None:
    path = proj.packages_dir / "fraud-scorer/sample_request.json"
    doc = json.loads(path.read_text())
    doc["inputs"][0]["shape"] = [2, 8]
    path.write_text(json.dumps(doc))
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "fraud-scorer"))
    assert exc.value.message == (
        "model_packages/fraud-scorer/sample_request.json ==> at inputs[0].shape\n"
        "  ==> [2, 8] does not fit the declared dims [16] plus a leading batch dimension; fix the shape"
    )


def test_gpu_memory_above_the_headroom_of_the_smallest_gpu_is_refused(proj: Project) -> None:
    _edit(proj.packages_dir / "text-embedder/model.yaml", "gpu_memory_gib: 2", "gpu_memory_gib: 7")
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "text-embedder"))
    assert exc.value.message == (
        "model_packages/text-embedder/model.yaml ==> at gpu_memory_gib\n"
        "  ==> needs 14 GiB per GPU (gpu_memory_gib=7 x 2 GPU instance(s)) but the smallest GPU it is deployed on "
        "is g4dn.xlarge in environments/dev.yaml with 16 GiB, of which 80% (12.8 GiB) may be planned; lower "
        "gpu_memory_gib or the instance count, or deploy on a larger GPU"
    )


def test_a_path_outside_model_packages_is_refused(proj: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "fraud-scorer"
    elsewhere.mkdir(parents=True)
    (elsewhere / "model.yaml").write_text("name: fraud-scorer\n")
    with pytest.raises(PackageError, match="is not under model_packages/; environments pin packages by name"):
        resolve_package(proj, str(elsewhere))


def test_build_has_the_sagemaker_triton_layout_with_fixed_owners_and_mtimes(proj: Project) -> None:
    result = build_package(resolve_package(proj, "fraud-scorer"), 6)
    assert result.path == proj.root / "dist" / "fraud-scorer-6.tar.gz"
    with tarfile.open(result.path) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        "fraud-scorer",
        "fraud-scorer/6",
        "fraud-scorer/6/model.onnx",
        "fraud-scorer/config.pbtxt",
    ]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    assert (proj.root / "dist/fraud-scorer-6.tar.gz.sha256").read_text() == f"{result.sha256}  fraud-scorer-6.tar.gz\n"


def test_build_is_byte_for_byte_reproducible_across_file_times_and_output_dirs(proj: Project, tmp_path: Path) -> None:
    ref = resolve_package(proj, "text-embedder")
    first = build_package(ref, dist=tmp_path / "a")
    for path in ref.model_dir.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (ref.model_dir / "3" / ".DS_Store").write_bytes(b"junk")
    second = build_package(ref, dist=tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256


def test_publishing_input_detects_a_corrupted_archive_by_its_checksum(proj: Project) -> None:
    ref = resolve_package(proj, "fraud-scorer")
    built = build_package(ref)
    built.path.write_bytes(built.path.read_bytes() + b"\0")
    with pytest.raises(PackageError, match=r"checksum mismatch: the archive's sha256 is [0-9a-f]{64} but "):
        read_built(ref, 7)


def test_publishing_input_detects_an_archive_older_than_the_package(proj: Project) -> None:
    ref = resolve_package(proj, "fraud-scorer")
    build_package(ref)
    _edit(ref.model_dir / "config.pbtxt", "max_queue_delay_microseconds: 100", "max_queue_delay_microseconds: 200")
    with pytest.raises(PackageError, match=r"dist/fraud-scorer-7\.tar\.gz ==> stale: it differs from a fresh build"):
        read_built(ref, 7)


def test_building_a_version_without_a_directory_names_the_available_ones(proj: Project) -> None:
    with pytest.raises(PackageError) as exc:
        build_package(resolve_package(proj, "fraud-scorer"), 9)
    assert exc.value.message == (
        "model_packages/fraud-scorer/model.yaml ==> fraud-scorer version 9 does not exist; available versions: 6, 7; "
        "pick one of them or add the directory triton/fraud-scorer/9/"
    )

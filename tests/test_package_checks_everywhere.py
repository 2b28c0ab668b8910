"""`validate`, `preview`, `package build` and `publish` refuse what `package validate` refuses (issue 14, item 6)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.config.loader import Project
from inferstack.packages.build import build_package
from inferstack.packages.errors import PackageError
from inferstack.packages.publish import publish_package
from inferstack.packages.validate import resolve_package
from stacks import program
from tests.packages_helpers import copy_project

GPU_MESSAGE = "needs 30 GiB per GPU (gpu_memory_gib=30 x 1 GPU instance(s)) but the smallest GPU it is deployed on"


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A copy of the project the CLI finds from the working directory and the stack program reads."""
    project = copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(program, "ROOT", tmp_path)
    return project


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _too_big_for_l4(proj: Project) -> None:
    # text-embedder declares 2 GPU instances; one instance of 30 GiB cannot fit a 24 GiB L4 either way.
    manifest = proj.packages_dir / "text-embedder/model.yaml"
    _edit(manifest, "gpu_memory_gib: 2", "gpu_memory_gib: 30")
    _edit(manifest, "  - {kind: KIND_GPU, count: 2}", "  - {kind: KIND_GPU, count: 1}")
    _edit(
        proj.packages_dir / "text-embedder/triton/text-embedder/config.pbtxt",
        "count: 2",
        "count: 1",
    )


def _new_version_without_bump(proj: Project) -> None:
    versions = proj.packages_dir / "fraud-scorer/triton/fraud-scorer"
    shutil.copytree(versions / "7", versions / "8")


def test_validate_refuses_a_model_too_big_for_the_l4_it_is_deployed_on(proj: Project) -> None:
    _too_big_for_l4(proj)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert "model_packages/text-embedder/model.yaml ==> at gpu_memory_gib" in result.output
    assert GPU_MESSAGE in result.output


def test_preview_refuses_a_model_too_big_for_the_l4_it_is_deployed_on(proj: Project) -> None:
    _too_big_for_l4(proj)
    result = CliRunner().invoke(app, ["preview", "--env", "prod"])
    assert result.exit_code == 2, result.output
    assert GPU_MESSAGE in result.output


def test_validate_refuses_a_new_version_directory_without_a_version_bump(proj: Project) -> None:
    _new_version_without_bump(proj)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert "model_packages/fraud-scorer/model.yaml ==> at version" in result.output
    assert "version 7 is not the newest" in result.output and "set version: 8" in result.output


def test_package_build_does_not_silently_build_the_old_version(proj: Project) -> None:
    _new_version_without_bump(proj)
    with pytest.raises(PackageError, match="version 7 is not the newest"):
        build_package(resolve_package(proj, "fraud-scorer"))
    assert not (proj.root / "dist").exists()


def test_package_publish_checks_the_package_before_reading_the_archive_or_aws(proj: Project) -> None:
    from inferstack.config.loader import load_environment

    _too_big_for_l4(proj)
    env = load_environment(proj, "prod")
    # No AWS client: the check must fail before any call (a bare object() would raise AttributeError).
    with pytest.raises(PackageError, match="at gpu_memory_gib"):
        publish_package(resolve_package(proj, "text-embedder"), env, object())  # type: ignore[arg-type]


def test_the_reference_packages_pass_validate_and_build(proj: Project) -> None:
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    built = build_package(resolve_package(proj, "fraud-scorer"))
    assert built.version == 7

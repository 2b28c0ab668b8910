"""A package limited to some environments gets a model package group only there, and cannot leak elsewhere."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from inferstack.config.loader import InputError, Project, load_environment
from inferstack.packages.errors import PackageError
from inferstack.packages.publish import publish_package
from inferstack.packages.validate import resolve_package
from inferstack.preview import run_preview

ROOT = Path(__file__).resolve().parent.parent
GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A copy of the project with a third package, `ranker`, limited to staging and deployed nowhere."""
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ["environments", "model_packages", "stacks"]:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    pkg = tmp_path / "model_packages" / "ranker"
    shutil.copytree(ROOT / "model_packages" / "fraud-scorer", pkg)
    (pkg / "triton" / "fraud-scorer").rename(pkg / "triton" / "ranker")
    for f in (pkg / "model.yaml", pkg / "triton" / "ranker" / "config.pbtxt"):
        f.write_text(f.read_text().replace("fraud-scorer", "ranker"))
    (pkg / "model.yaml").write_text((pkg / "model.yaml").read_text() + "environments: [staging]\n")
    for name in [m for m in sys.modules if m == "stacks" or m.startswith("stacks.")]:
        monkeypatch.delitem(sys.modules, name)  # run this copy's program, not the checkout's
    monkeypatch.syspath_prepend(str(tmp_path))
    return Project(tmp_path)


def _groups(project: Project, env: str) -> list[str]:
    result = run_preview(project, env, evaluate_policies=False, estimate_cost=False)
    return sorted(r.inputs["modelPackageGroupName"] for r in result.resources if r.type == GROUP)


def test_a_staging_only_package_gets_a_group_in_staging_and_none_in_dev(project: Project) -> None:
    assert any("ranker" in g for g in _groups(project, "staging"))
    dev = _groups(project, "dev")
    assert dev and not any("ranker" in g for g in dev), dev


def test_deploying_it_outside_its_environments_is_an_input_error(project: Project) -> None:
    dev = project.environments_dir / "dev.yaml"
    dev.write_text(dev.read_text().replace("  - model: fraud-scorer\n", "  - model: ranker\n", 1))
    with pytest.raises(
        InputError, match=r"deployments\[1\]\.model\n  ==> model package 'ranker' is limited to staging"
    ):
        load_environment(project, "dev")


def test_publishing_it_outside_its_environments_is_refused_before_any_aws_call(project: Project) -> None:
    env = load_environment(project, "dev")
    with pytest.raises(PackageError, match="ranker is limited to staging; publishing it to dev"):
        publish_package(resolve_package(project, "ranker"), env, None, 7)  # type: ignore[arg-type]

"""The packs over the real program: the reference environments have no mandatory violation, and a
deliberately misconfigured environment fails prod (exit 1, naming the policies) but only warns in dev."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import preview_of

ROOT = Path(__file__).resolve().parent.parent
MISCONFIG_TRIPS = {
    "aws-cloudwatch-loggroup-configure-retention",
    "aws-eks-cluster-enable-control-plane-logging",
    "aws-sagemaker-endpointconfig-require-multiple-instances",
}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_reference_environment_has_no_mandatory_violation(env: str) -> None:
    result = preview_of(env)
    mandatory = [f"{v['policy']}: {v['message']}" for v in result.violations if v["enforcement_level"] == "mandatory"]
    assert mandatory == []


def test_reference_previews_evaluate_every_resource_policy_type_they_register() -> None:
    """Coverage: the serving resource types the stack registers all have at least one rule."""
    from inferstack.policies.registry import all_rules

    covered = {t for r in all_rules() for t in (r.meta.resource_types or ())}
    registered = {r.type for r in preview_of("prod").resources}
    must = {
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:route53/record:Record",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:lb/listener:Listener",
        "aws:ecr/repository:Repository",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:Service",
    }
    assert must & registered <= covered


def _misconfigure(doc: dict[str, Any]) -> dict[str, Any]:
    # 60: a value CloudWatch Logs accepts (45 is not, and validate refuses it); dev allows <= 30, prod needs >= 90
    doc["monitoring"]["log_retention_days"] = 60
    if doc["name"] == "prod":
        doc["cluster"]["control_plane_logs"] = ["api", "audit", "authenticator"]
        for d in doc["deployments"]:
            if d["target"] == "sagemaker":
                d["instances"]["min"] = 1
    return doc


@pytest.fixture(scope="module")
def misconfigured_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose dev and prod environment files carry the misconfiguration."""
    dest = tmp_path_factory.mktemp("misconfigured")
    skip = shutil.ignore_patterns(".venv", ".git", "tests", "benchmarks", "docs", "__pycache__", "*.egg-info", "out")
    shutil.copytree(ROOT, dest, ignore=skip, dirs_exist_ok=True)
    for env in ("dev", "prod"):
        path = dest / "environments" / f"{env}.yaml"
        path.write_text(yaml.safe_dump(_misconfigure(yaml.safe_load(path.read_text()))))
    return dest


def _preview(project: Path, env: str) -> tuple[int, str]:
    """`inferstack preview` in a fresh process inside the copy (the program's modules are cached per process)."""
    done = subprocess.run(
        [sys.executable, "-m", "inferstack.cli", "preview", "--env", env, "--format", "text"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout


def test_misconfigured_prod_exits_1_naming_the_policies(misconfigured_project: Path) -> None:
    code, out = _preview(misconfigured_project, "prod")
    assert code == 1
    for policy in MISCONFIG_TRIPS:
        assert f"[mandatory] {policy} " in out


def test_misconfigured_dev_only_warns(misconfigured_project: Path) -> None:
    code, out = _preview(misconfigured_project, "dev")
    assert "[advisory] aws-cloudwatch-loggroup-configure-retention " in out
    assert "[mandatory]" not in out
    assert code == 0

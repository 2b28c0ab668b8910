"""The GitHub Actions workflows: valid against the workflow schema, and wired the way the docs say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def run_step(job: dict[str, Any], fragment: str) -> str:
    runs = [s["run"] for s in job["steps"] if fragment in s.get("run", "")]
    assert runs, f"no step runs {fragment!r}"
    return runs[0]


def uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if s.get("uses", "").startswith(action + "@")]
    assert len(found) == 1, f"expected one {action} step"
    return found[0]


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_workflow_validates_against_the_github_workflow_schema(name):
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(WORKFLOWS / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    steps: []\n", encoding="utf-8")  # no runs-on
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1


def test_preview_runs_on_pull_requests_over_every_environment():
    wf = load("preview.yml")
    assert "pull_request" in wf["on"]
    offline = wf["jobs"]["offline"]
    assert offline["strategy"]["matrix"]["environment"] == ["dev", "staging", "prod"]
    assert "--compare ../base.json --format markdown" in run_step(offline, "--compare")
    assert "PYTHONPATH" in run_step(offline, "--out ../base.json")


def test_preview_comment_is_found_again_by_its_marker():
    offline = load("preview.yml")["jobs"]["offline"]
    script = uses(offline, "actions/github-script")
    assert script["env"]["MARKER"] == "<!-- inferstack-preview:${{ matrix.environment }} -->"
    assert "updateComment" in script["with"]["script"]


def test_real_preview_uses_oidc_and_both_policy_packs_with_the_environment_config():
    job = load("preview.yml")["jobs"]["pulumi"]
    assert job["permissions"]["id-token"] == "write"
    assert uses(job, "aws-actions/configure-aws-credentials")["with"]["role-to-assume"].startswith("${{ secrets.")
    pulumi = uses(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "preview" and pulumi["diff"] is True
    assert pulumi["policyPacks"].split() == ["policies/security", "policies/cost"]
    assert pulumi["policyPackConfigs"].split() == ["policy-config-security.json", "policy-config-cost.json"]
    config = run_step(job, "policy-config")
    assert "--pack security > policy-config-security.json" in config
    assert "--pack cost > policy-config-cost.json" in config


def test_deploy_goes_dev_then_staging_then_prod_behind_environments():
    wf = load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    jobs = wf["jobs"]
    assert list(jobs) == ["dev", "staging", "prod"]
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    for env, job in jobs.items():
        assert job["environment"]["name"] == env
        up = uses(job, "pulumi/actions")["with"]
        assert up["command"] == "up"
        assert up["policyPacks"].split() == ["policies/security", "policies/cost"]
        assert up["policyPackConfigs"].split() == ["policy-config-security.json", "policy-config-cost.json"]
    assert wf["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_deploy_job_runs_on_the_runner_the_environment_declares_for_its_private_api(env: str) -> None:
    from inferstack.config.loader import Project, load_environment

    deployer = load_environment(Project(ROOT), env).cluster.deployer
    assert deployer is not None, f"environments/{env}.yaml declares no cluster.deployer"
    runs_on = load("deploy.yml")["jobs"][env]["runs-on"]
    labels = [runs_on] if isinstance(runs_on, str) else list(runs_on)
    assert deployer.runner_label in labels
    if deployer.mode == "in_vpc":
        # A GitHub-hosted runner sits outside the VPC and cannot open the private endpoint.
        assert "self-hosted" in labels and not any(label.startswith("ubuntu-") for label in labels)

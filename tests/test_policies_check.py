"""`inferstack policy check` over a `pulumi stack export` checkpoint and over preview JSON documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from tests.conftest import preview_of

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "policy_check" / "stack_export.json"


def _check(path: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["policy", "check", "--input", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_checkpoint_trips_the_named_policies_for_its_stack_environment() -> None:
    code, out, _ = _check(FIXTURE, "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["format"] == "pulumi-stack-export" and report["environment"] == "prod"
    found = {(v["policy"], v["urn"].rsplit("::", 1)[-1] if v["urn"] else None) for v in report["violations"]}
    assert ("aws-eks-cluster-disallow-public-endpoint", "legacy") in found
    assert ("aws-kms-key-enable-rotation", "models") in found
    assert ("inferstack-budgets-budget-require-subscriber", None) in found


def test_checkpoint_summary_counts_coverage_and_never_prints_secrets() -> None:
    code, out, _ = _check(FIXTURE)
    assert code == 1
    assert "5 resources, 4 evaluated, 1 type without rules" in out
    assert "aws:sqs/queue:Queue" in out
    assert "b2xkc2VjcmV0" not in out and "ciphertext" not in out


def test_dev_levels_apply_when_asked() -> None:
    code, out, _ = _check(FIXTURE, "--env", "dev", "--format", "json")
    levels = {v["policy"]: v["enforcement_level"] for v in json.loads(out)["violations"]}
    assert levels["aws-kms-key-enable-rotation"] == "advisory"
    assert levels["aws-eks-cluster-disallow-public-endpoint"] == "mandatory"
    assert code == 1


def test_reference_preview_json_gives_the_same_violations_as_preview(tmp_path: Path) -> None:
    result = preview_of("prod")
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(result.to_json()))
    code, out, _ = _check(path, "--format", "json")
    assert json.loads(out)["violations"] == result.violations
    assert code == (1 if any(v["enforcement_level"] == "mandatory" for v in result.violations) else 0)


def test_preview_json_with_a_public_eks_endpoint_trips_exactly_that_policy(tmp_path: Path) -> None:
    doc = copy.deepcopy(preview_of("prod").to_json())
    cluster = next(r for r in doc["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] = True
    cluster["inputs"]["vpcConfig"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(doc))
    code, out, _ = _check(path, "--format", "json")
    before = {(v["policy"], v["urn"]) for v in preview_of("prod").violations}
    new = [v for v in json.loads(out)["violations"] if (v["policy"], v["urn"]) not in before]
    assert [(v["policy"], v["urn"], v["enforcement_level"]) for v in new] == [
        ("aws-eks-cluster-disallow-public-endpoint", cluster["urn"], "mandatory")
    ]
    assert code == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"hello": "world"}', "not a recognised document; accepted formats:"),
        ('{"version": 3, "deployment": {"resources": [', ":1:45 ==> not valid JSON ("),
        ("", "the file is empty; accepted formats:"),
        ('{"version": 2, "deployment": {"resources": []}}', "checkpoint version 2 is not supported"),
    ],
    ids=["unknown-format", "truncated", "empty", "old-version"],
)
def test_bad_inputs_exit_2_with_a_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    code, out, err = _check(path)
    assert code == 2
    assert out == ""
    assert expected in err

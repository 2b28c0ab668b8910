"""`inferstack preview` and `render`: the JSON contract, the text/markdown views, schema-valid manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.engine.model import PreviewResult
from inferstack.preview import render_markdown, render_text
from inferstack.render import api_version_kind, render
from tests.conftest import ROOT, preview_of

CONTRACT_KEYS = ["schema_version", "environment", "project", "stack", "resources", "outputs", "violations", "cost"]
RESOURCE_KEYS = ["urn", "type", "name", "parent", "custom", "provider", "inputs", "dependencies"]


@pytest.fixture(scope="module")
def prod_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("preview") / "prod.json"
    result = CliRunner().invoke(app, ["preview", "--env", "prod", "--format", "json", "--out", str(out)])
    assert result.exit_code in (0, 1), result.stderr
    assert result.stdout == "", "JSON written to --out leaves stdout empty (no progress, no banner)"
    return json.loads(out.read_text())


def test_prod_preview_json_follows_the_contract(prod_json: dict) -> None:
    assert list(prod_json) == CONTRACT_KEYS
    assert prod_json["schema_version"] == 1
    assert (prod_json["environment"], prod_json["project"], prod_json["stack"]) == ("prod", "inferstack", "prod")
    assert prod_json["resources"], "prod registers resources"
    for res in prod_json["resources"]:
        assert list(res) == RESOURCE_KEYS


def test_every_parent_is_a_registered_component_or_the_stack(prod_json: dict) -> None:
    urns = {r["urn"]: r for r in prod_json["resources"]}
    stack_urn = "urn:pulumi:prod::inferstack::pulumi:pulumi:Stack::inferstack-prod"
    for res in prod_json["resources"]:
        assert res["parent"] == stack_urn or not urns[res["parent"]]["custom"], res["urn"]


def test_prod_preview_inputs_are_fully_resolved(prod_json: dict) -> None:
    text = json.dumps(prod_json["resources"])
    assert "[unknown]" not in text


def test_prod_uses_one_explicit_provider_per_region(prod_json: dict) -> None:
    providers = [r for r in prod_json["resources"] if r["type"] == "pulumi:providers:aws"]
    assert sorted(p["inputs"]["region"] for p in providers) == ["us-east-1", "us-west-2"]
    aws_resources = [r for r in prod_json["resources"] if r["type"].startswith("aws:")]
    assert aws_resources, "prod registers AWS resources"
    provider_urns = {p["urn"] for p in providers}
    assert all(r["provider"] in provider_urns for r in aws_resources)


def test_text_view_groups_by_component_and_counts_types() -> None:
    result = preview_of("dev")
    text = render_text(result)
    assert text.startswith(
        f"inferstack offline preview: environment dev (project inferstack, stack dev): "
        f"{len(result.resources)} resources to create\n"
    )
    for type_, n in result.type_counts().items():
        assert f"{n:4d}  {type_}\n" in text


def test_markdown_view_tables_every_type() -> None:
    result = preview_of("dev")
    md = render_markdown(result)
    assert md.startswith("### inferstack preview: `dev`")
    for type_, n in result.type_counts().items():
        assert f"| `{type_}` | {n} |" in md


def test_preview_is_deterministic_across_runs(prod_json: dict) -> None:
    again = preview_of("prod").to_json()
    assert json.loads(json.dumps(again)) == prod_json


def test_api_version_and_kind_come_from_the_type_token() -> None:
    assert api_version_kind("kubernetes:apps/v1:Deployment") == ("apps/v1", "Deployment")
    assert api_version_kind("kubernetes:core/v1:Service") == ("v1", "Service")
    assert api_version_kind("kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
    )


def test_render_writes_schema_valid_manifests_for_prod(tmp_path: Path) -> None:
    result = preview_of("prod")
    report = render(result, tmp_path / "manifests", "1.31")
    assert report.invalid == []
    k8s = [
        r
        for r in result.resources
        if r.type.startswith("kubernetes:")
        and r.custom
        and not r.type.startswith(("kubernetes:helm.sh/", "pulumi:providers:"))
    ]
    assert len(report.written) == len(k8s)
    for path in report.written:
        doc = yaml.safe_load(path.read_text())
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]
    assert len(report.validated) + len(report.not_schema_checked) == len(report.written)


def test_render_refuses_an_object_that_breaks_the_schema(tmp_path: Path) -> None:
    from inferstack.engine.model import Resource

    bad = Resource(
        urn="urn:pulumi:dev::inferstack::kubernetes:core/v1:Service::svc",
        type="kubernetes:core/v1:Service",
        name="svc",
        parent=None,
        custom=True,
        provider=None,
        inputs={"metadata": {"name": "svc", "namespace": "ml"}, "spec": {"ports": [{"port": "eighty"}]}},
    )
    result = PreviewResult("dev", "inferstack", "dev", [bad], {})
    report = render(result, tmp_path / "m", "1.31")
    assert [p.name for p, _ in report.invalid] == ["ml_service_svc.yaml"]


def test_cli_render_reports_counts(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    result = CliRunner().invoke(app, ["render", "--env", "dev", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    written = sorted(out.glob("*.yaml"))
    assert result.stdout.startswith(f"wrote {len(written)} manifests to {out}\n")


def test_project_root_is_found_from_a_subdirectory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "environments")
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.stderr

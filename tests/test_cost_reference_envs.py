"""The cost model over the real offline preview of the dev environment (one cached preview)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from tests.conftest import preview_of


@pytest.fixture(scope="module")
def dev():
    return preview_of("dev")


def test_every_cloud_resource_is_priced_free_or_listed_as_not_priced(dev):
    cost = dev.cost
    assert cost is not None and cost["currency"] == "USD"
    cloud = [r for r in dev.resources if r.custom and not r.type.startswith("pulumi:")]
    counts = cost["resources"]
    assert counts["estimated"] + counts["free"] + counts["not_priced"] == len(cloud)
    assert {i["urn"] for i in cost["items"]}.isdisjoint({n["urn"] for n in cost["not_priced"]})


def test_dev_baseline_is_below_peak_and_every_item_is_ordered(dev):
    cost = dev.cost
    assert 0 < cost["monthly_usd"]["baseline"] < cost["monthly_usd"]["peak"]
    for item in cost["items"]:
        assert item["monthly_usd"]["baseline"] <= item["monthly_usd"]["peak"], item["urn"]


def test_dev_spot_gpu_group_at_min_zero_pays_at_baseline_for_the_node_its_minimum_replica_needs(dev):
    # min_size is 0, but text-embedder's one minimum replica keeps one spot node up (issue 14).
    groups = [i for i in dev.cost["items"] if i["type"] == "aws:eks/nodeGroup:NodeGroup"]
    spot = [g for g in groups if "spot" in g["components"][0]["name"]]
    assert spot, [g["components"][0]["name"] for g in groups]
    for g in spot:
        instance = g["components"][0]
        assert instance["quantity"]["baseline"] == 1 * 730
        assert "baseline 1 node, not min_size=0: the minimum replicas need 1" in instance["note"]
        assert "below on demand" in instance["note"]
    on_demand = [g for g in groups if g not in spot]
    assert all("on-demand" in g["components"][0]["name"] for g in on_demand)


def test_cost_command_prints_components_and_totals(dev, monkeypatch):
    monkeypatch.setattr("inferstack.preview.run_preview", lambda *a, **k: dev)
    runner = CliRunner()
    text = runner.invoke(app, ["cost", "--env", "dev"])
    assert text.exit_code == 0, text.output
    assert "inferstack cost estimate: environment dev" in text.output
    assert "inferstack:index:EksCluster" in text.output
    total = dev.cost["monthly_usd"]
    assert f"${total['baseline']:,.2f}" in text.output and f"${total['peak']:,.2f}" in text.output
    as_json = runner.invoke(app, ["cost", "--env", "dev", "--format", "json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["monthly_usd"] == total


def test_cost_command_rejects_an_unknown_environment():
    result = CliRunner().invoke(app, ["cost", "--env", "qa"])
    assert result.exit_code == 2
    assert "qa" in result.output

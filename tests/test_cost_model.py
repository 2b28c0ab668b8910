"""The cost model over hand-made previews: totals to the cent, baseline vs peak, spot, regions, unpriced."""

from __future__ import annotations

from typing import Any

import pytest

from inferstack.cost import HOURS_PER_MONTH, estimate_preview, render_cost_text
from tests.cost_synthetic import Builder, small_environment


def item(cost: dict[str, Any], name: str) -> dict[str, Any]:
    found = [i for i in cost["items"] if i["name"] == name]
    assert len(found) == 1, [i["name"] for i in cost["items"]]
    return found[0]


@pytest.fixture(scope="module")
def cost() -> dict[str, Any]:
    return estimate_preview(small_environment().result())


def test_small_environment_costs_what_a_hand_computation_gives(cost):
    # Prices from prices.csv (us-east-1), 730 h; baseline | peak:
    #   EKS control plane 0.10/h                                        73.00 | 73.00
    #   system m6i.large 0.096/h x 2..4 nodes                          140.16 | 280.32
    #     + gp3 root 50 GB x 0.08 x 2..4 nodes                           8.00 | 16.00    -> 148.16 | 296.32
    #   GPU g6.xlarge (cheapest) spot 0.8048 x (1 - 0.60) = 0.32192/h
    #     x 0..2 nodes                                                    0.00 | 470.00
    #     + gp3 root 200 GB x 0.08 x 0..2 nodes                           0.00 | 32.00    ->   0.00 | 502.00
    #   NAT 0.045/h = 32.85 + 100 GB x 0.045 = 4.50                      37.35 | 37.35
    #   SageMaker ml.g6.xlarge 1.1267/h x 1..3 instances               822.49 | 2467.47
    assert item(cost, "platform-cluster")["monthly_usd"] == {"baseline": 73.00, "peak": 73.00}
    assert item(cost, "system-nodes")["monthly_usd"] == {"baseline": 148.16, "peak": 296.32}
    assert item(cost, "gpu-l4-nodes")["monthly_usd"] == {"baseline": 0.00, "peak": 502.00}
    assert item(cost, "network-nat-0")["monthly_usd"] == {"baseline": 37.35, "peak": 37.35}
    assert item(cost, "fraud-scorer-endpoint")["monthly_usd"] == {"baseline": 822.49, "peak": 2467.47}
    assert cost["monthly_usd"] == {"baseline": 1081.00, "peak": 3376.14}
    assert cost["currency"] == "USD"


def test_components_carry_unit_quantity_price_and_monthly(cost):
    compute = item(cost, "system-nodes")["components"][0]
    assert compute["unit"] == "hours"
    assert compute["quantity"] == {"baseline": 2 * HOURS_PER_MONTH, "peak": 4 * HOURS_PER_MONTH}
    assert compute["unit_price"] == 0.096
    assert compute["monthly_usd"] == {"baseline": 140.16, "peak": 280.32}
    assert compute["usage_based"] is False
    assert "karpenter" in compute["source"]


def test_usage_based_components_are_marked_and_explain_their_assumption(cost):
    data = item(cost, "network-nat-0")["components"][1]
    assert data["usage_based"] is True
    assert data["quantity"] == {"baseline": 100, "peak": 100}
    assert "assumed 100 GB/month" in data["note"]


def test_baseline_never_exceeds_peak(cost):
    assert cost["monthly_usd"]["baseline"] <= cost["monthly_usd"]["peak"]
    for i in cost["items"]:
        assert i["monthly_usd"]["baseline"] <= i["monthly_usd"]["peak"], i["name"]


def test_spot_discount_applies_only_to_the_spot_node_group(cost):
    gpu = item(cost, "gpu-l4-nodes")["components"][0]
    system = item(cost, "system-nodes")["components"][0]
    assert gpu["unit_price"] == round(0.8048 * 0.4, 6)
    assert "spot" in gpu["name"] and "60% below on demand" in gpu["note"]
    assert system["unit_price"] == 0.096 and "on-demand" in system["name"]
    on_demand = estimate_preview(small_environment(gpu_capacity="ON_DEMAND").result())
    assert item(on_demand, "gpu-l4-nodes")["components"][0]["unit_price"] == 0.8048


def test_a_group_of_several_instance_types_is_priced_at_the_cheapest_and_says_so(cost):
    gpu = item(cost, "gpu-l4-nodes")["components"][0]
    assert "g6.xlarge" in gpu["name"]
    assert "cheapest of g6.xlarge, g6.2xlarge" in gpu["note"]


def test_a_gpu_group_at_min_zero_costs_nothing_at_baseline(cost):
    assert all(c["monthly_usd"]["baseline"] == 0 for c in item(cost, "gpu-l4-nodes")["components"])


def test_unpriced_types_are_listed_and_free_types_counted(cost):
    assert [(n["type"], n["urn"].rsplit("::", 1)[-1]) for n in cost["not_priced"]] == [
        ("aws:secretsmanager/secret:Secret", "fraud-scorer-secret")
    ]
    assert cost["free"]["types"] == {
        "aws:appautoscaling/target:Target": 1,
        "aws:ec2/launchTemplate:LaunchTemplate": 2,
        "aws:ec2/subnet:Subnet": 1,
        "aws:iam/role:Role": 1,
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration": 1,
        "kubernetes:apps/v1:Deployment": 1,
    }
    assert cost["resources"] == {"estimated": 5, "free": 7, "not_priced": 1}


def test_totals_are_grouped_by_top_level_component(cost):
    groups = {g["name"]: g["monthly_usd"] for g in cost["by_component"]}
    assert groups == {
        "inferstack:index:EksCluster platform": {"baseline": 221.16, "peak": 871.32},
        "inferstack:index:Network network": {"baseline": 37.35, "peak": 37.35},
        "inferstack:index:SageMakerEndpoint fraud-scorer": {"baseline": 822.49, "peak": 2467.47},
    }


def test_region_comes_from_the_resource_provider():
    b = Builder()
    b.add("aws:ec2/natGateway:NatGateway", "nat-east", {}, region="us-east-1")
    b.add("aws:ec2/natGateway:NatGateway", "nat-ireland", {}, region="eu-west-1")
    cost = estimate_preview(b.result())
    east, ireland = item(cost, "nat-east"), item(cost, "nat-ireland")
    assert ireland["region"] == "eu-west-1"
    mult = 1.1163
    assert ireland["components"][0]["unit_price"] == round(0.045 * mult, 6)
    assert ireland["monthly_usd"]["peak"] > east["monthly_usd"]["peak"]


def test_a_region_without_prices_is_not_priced_never_zero():
    b = Builder()
    b.add("aws:ec2/natGateway:NatGateway", "nat", {}, region="me-central-1")
    cost = estimate_preview(b.result())
    assert cost["items"] == []
    assert "no price for vpc 'NAT gateway' in me-central-1" in cost["not_priced"][0]["reason"]


def test_async_endpoint_scaled_to_zero_costs_nothing_at_baseline():
    b = Builder()
    parent = b.add("inferstack:index:SageMakerEndpoint", "async", custom=False)
    config = b.add(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "async-config",
        {
            "productionVariants": [
                {"variantName": "AllTraffic", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 1}
            ],
            "asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://b/o"}},
        },
        parent=parent,
    )
    b.add(
        "aws:sagemaker/endpoint:Endpoint",
        "async-endpoint",
        {"endpointConfigName": "[unknown]"},
        parent=parent,
        deps=[config],
    )
    b.add(
        "aws:appautoscaling/target:Target",
        "async-scaling",
        {"serviceNamespace": "sagemaker", "resourceId": "[unknown]", "minCapacity": 0, "maxCapacity": 2},
        parent=parent,
    )
    cost = estimate_preview(b.result())
    assert item(cost, "async-endpoint")["monthly_usd"] == {"baseline": 0.0, "peak": round(1.4084 * 730 * 2, 2)}


def test_route53_health_check_prices_each_optional_feature():
    b = Builder()
    b.add(
        "aws:route53/healthCheck:HealthCheck",
        "hc",
        {"type": "HTTPS_STR_MATCH", "requestInterval": 10, "searchString": "ok"},
        region=None,
    )
    cost = estimate_preview(b.result())
    comps = item(cost, "hc")["components"]
    assert comps[1]["quantity"]["peak"] == 3  # HTTPS, string matching, fast interval
    assert item(cost, "hc")["monthly_usd"]["peak"] == 0.50 + 3 * 1.00


def test_interface_endpoints_are_priced_per_az_and_gateway_endpoints_are_free():
    b = Builder()
    b.add("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr-api", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"]})
    b.add("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})
    cost = estimate_preview(b.result())
    ep = item(cost, "ecr-api")
    assert ep["components"][0]["quantity"]["peak"] == 3 * HOURS_PER_MONTH
    assert ep["monthly_usd"]["peak"] == round(0.01 * 3 * 730, 2) + round(10 * 0.01, 2)
    assert cost["free"]["types"] == {"aws:ec2/vpcEndpoint:VpcEndpoint": 1}


def test_text_report_lists_components_totals_and_unpriced(cost):
    text = render_cost_text(cost, "test")
    assert "inferstack:index:EksCluster platform" in text
    assert "Total" in text and "$1,081.00" in text and "$3,376.14" in text
    assert "aws:secretsmanager/secret:Secret fraud-scorer-secret" in text

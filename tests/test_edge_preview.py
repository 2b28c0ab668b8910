"""The full offline preview of prod carries the edge and observability pieces, and says how fast it fails over."""

from __future__ import annotations

from inferstack.preview import render_text
from tests.conftest import preview_of


def test_prod_preview_has_failover_records_api_in_both_regions_topic_dashboard_alarms_and_budget() -> None:
    result = preview_of("prod")
    by_type: dict[str, list[str]] = {}
    for r in result.resources:
        by_type.setdefault(r.type, []).append(r.name)
    records = [
        r for r in result.resources if r.type == "aws:route53/record:Record" and r.inputs.get("failoverRoutingPolicies")
    ]
    kinds = sorted(r.inputs["failoverRoutingPolicies"][0]["type"] for r in records)
    assert kinds == ["PRIMARY", "PRIMARY", "SECONDARY", "SECONDARY"]
    assert all(r.inputs.get("healthCheckId") for r in records)
    assert len(by_type["aws:route53/healthCheck:HealthCheck"]) >= 4
    # One SageMaker front door per region, and one Triton front (VPC link to its internal ALB) per region (issue 12).
    assert sorted(by_type["aws:apigateway/restApi:RestApi"]) == [
        "api-api",
        "api-us-west-2-api",
        "triton-front-text-embedder-api",
        "triton-front-text-embedder-us-west-2-api",
    ]
    assert len(by_type["aws:sns/topic:Topic"]) == 2
    assert by_type["aws:cloudwatch/dashboard:Dashboard"] == ["dashboard-dashboard"]
    # One composite per deployment and region: text-embedder, fraud-scorer and llama-3-1-70b-instruct x 2 regions.
    assert len(by_type["aws:cloudwatch/compositeAlarm:CompositeAlarm"]) == 6
    assert by_type["aws:budgets/budget:Budget"] == ["budget-budget"]


def test_every_alarm_in_the_prod_preview_has_an_action() -> None:
    result = preview_of("prod")
    alarms = [
        r
        for r in result.resources
        if r.type in ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")
    ]
    silent = [a.name for a in alarms if not a.inputs.get("alarmActions")]
    assert alarms and silent == []


def test_preview_text_prints_the_computed_failover_time() -> None:
    result = preview_of("prod")
    assert result.outputs["failover_seconds"] == 60
    assert "  failover_seconds: 60\n" in render_text(result)

"""FailoverDns, InferenceApi, Budget, ServiceAlarms, Dashboard and KubernetesMonitoring used directly."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from inferstack.components import (
    Budget,
    Dashboard,
    FailoverDns,
    InferenceApi,
    KubernetesMonitoring,
    ServiceAlarms,
)
from inferstack.components.failover_dns import DnsTarget, failover_seconds
from tests.conftest import run_components


def target(region: str, *, public: bool = True, alarm: str | None = None) -> DnsTarget:
    t: DnsTarget = {
        "region": region,
        "dns_name": f"entry.{region}.example.com",
        "zone_id": "ZTARGET",
        "public": public,
        "health_path": "/health",
    }
    if alarm:
        t["health_alarm_name"] = alarm
    return t


def dns(**overrides: Any) -> None:
    args: dict[str, Any] = {
        "zone_id": "ZZONE",
        "record_name": "m.prod.example.com",
        "targets": [target("us-east-1"), target("us-west-2")],
        **overrides,
    }
    FailoverDns("dns", args)  # type: ignore[arg-type]


def test_failover_seconds_is_detection_plus_ttl() -> None:
    assert failover_seconds(10, 3, 30) == 60
    assert failover_seconds(30, 3, 60) == 150


def test_failover_dns_refuses_a_pair_over_its_failover_budget() -> None:
    with pytest.raises(ValueError) as err:
        run_components(lambda: dns(health_check_interval_seconds=30, ttl_seconds=60, max_failover_seconds=60))
    assert str(err.value) == (
        "FailoverDns 'dns': failover takes 150s (health_check_interval_seconds=30 x failure_threshold=3 + ttl 60s) "
        "which exceeds max_failover_seconds=60; lower ttl_seconds or failure_threshold, or use "
        "health_check_interval_seconds=10"
    )


def test_alias_records_count_the_targets_fixed_sixty_second_ttl() -> None:
    with pytest.raises(ValueError, match=r"failover takes 90s .* \+ ttl 60s\) which exceeds max_failover_seconds=60"):
        run_components(
            lambda: dns(health_check_interval_seconds=10, ttl_seconds=30, max_failover_seconds=60, alias=True)
        )


def test_private_target_without_an_alarm_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        run_components(lambda: dns(targets=[target("us-east-1"), target("us-west-2", public=False)]))
    assert str(err.value) == (
        "FailoverDns 'dns': target in us-west-2 is private but has no health_alarm_name; pass the alarm that says "
        "it is unhealthy (Route53 cannot reach private entry points)"
    )


def test_alias_mode_writes_alias_records_that_evaluate_target_health() -> None:
    rec = run_components(lambda: dns(alias=True, ttl_seconds=0, health_check_interval_seconds=10))
    primary = rec.one("aws:route53/record:Record", "dns-primary")
    assert primary.inputs["aliases"] == [
        {"name": "entry.us-east-1.example.com", "zoneId": "ZTARGET", "evaluateTargetHealth": True}
    ]
    assert primary.inputs["type"] == "A" and "ttl" not in primary.inputs


def test_health_alarms_on_route53_checks_notify_the_topic() -> None:
    rec = run_components(lambda: dns(health_alarm_topic_arn="arn:aws:sns:us-east-1:123456789012:t"))
    alarms = rec.all("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 2
    for a in alarms:
        assert a.inputs["namespace"] == "AWS/Route53" and a.inputs["metricName"] == "HealthCheckStatus"
        assert a.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:t"]
        assert a.inputs["treatMissingData"] == "breaching"


def api(**overrides: Any) -> None:
    args: dict[str, Any] = {
        "api_name": "inferstack-test",
        "models": [{"name": "m", "endpoint_name": "m-ep"}],
        "domain_suffix": "test.example.com",
        "zone_id": "ZZONE",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
        **overrides,
    }
    InferenceApi("api", args)  # type: ignore[arg-type]


def test_inference_api_refuses_a_burst_below_the_rate() -> None:
    with pytest.raises(ValueError) as err:
        run_components(lambda: api(rate_per_second=100, burst=50))
    assert str(err.value) == (
        "InferenceApi 'api': burst=50 is below rate_per_second=100; raise burst to at least the rate"
    )


def test_inference_api_defaults_to_iam_auth_and_an_unauthenticated_throttled_health_route() -> None:
    rec = run_components(lambda: api())
    assert rec.one("aws:apigateway/method:Method", "api-m-invocations-method").inputs["authorization"] == "AWS_IAM"
    health = rec.one("aws:apigateway/method:Method", "api-m-health-method")
    assert health.inputs["authorization"] == "NONE" and health.inputs["httpMethod"] == "GET"
    integration = rec.one("aws:apigateway/integration:Integration", "api-m-health-integration")
    assert json.loads(integration.inputs["requestTemplates"]["application/json"]) == {"EndpointName": "m-ep"}
    settings = rec.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["dataTraceEnabled"] is False
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (100, 200)
    assert not rec.all("aws:apigateway/apiKey:ApiKey")


def test_budget_without_any_subscriber_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        run_components(
            lambda: Budget("b", {"budget_name": "b", "limit_usd": 10, "tag_key": "environment", "tag_value": "dev"})
        )
    assert str(err.value) == (
        "Budget 'b': topic_arn and emails are both empty, so nobody hears about overspend; "
        "pass the alert topic ARN or at least one email"
    )


def test_service_alarms_need_something_to_watch() -> None:
    with pytest.raises(ValueError) as err:
        run_components(lambda: ServiceAlarms("a", {"alarm_prefix": "p", "topic_arn": "arn:t", "metrics": []}))
    assert str(err.value) == (
        "ServiceAlarms 'a': metrics and extra_alarm_names are both empty; "
        "pass at least one metric alarm or an existing alarm name"
    )


def test_dashboard_refuses_a_sagemaker_row_without_its_endpoint() -> None:
    with pytest.raises(ValueError) as err:
        run_components(
            lambda: Dashboard(
                "d",
                {"dashboard_name": "d", "deployments": [{"model": "m", "region": "us-east-1", "target": "sagemaker"}]},
            )
        )
    assert str(err.value) == "Dashboard 'd': deployments[0] (m, sagemaker) lacks endpoint_name; pass it"


def test_kubernetes_monitoring_pins_the_cluster_provider_on_its_rule_and_grafana_configmap() -> None:
    def build() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        KubernetesMonitoring(
            "mon",
            {"cluster_label": "prod us-east-1", "models": ["text-embedder"]},
            opts=pulumi.ResourceOptions(provider=provider),
        )

    rec = run_components(build)
    provider = rec.one("pulumi:providers:kubernetes", "cluster")
    rule = rec.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    config_map = rec.one("kubernetes:core/v1:ConfigMap")
    for r in (rule, config_map):
        assert r.provider is not None and r.provider.startswith(provider.urn)
    alerts = {r["alert"] for g in rule.inputs["spec"]["groups"] for r in g["rules"]}
    assert {"GpuXidErrors", "GpuMemoryNearlyFull"} <= alerts
    # Per-model Triton alerts are TritonService's (one definition per alert); the cluster rule is DCGM only.
    assert [g["name"] for g in rule.inputs["spec"]["groups"]] == ["dcgm"]
    assert not any(a.startswith("Triton") for a in alerts)
    assert config_map.inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(config_map.inputs["data"]["inferstack-serving.json"])
    assert any("DCGM_FI_DEV_GPU_UTIL" in p["targets"][0]["expr"] for p in board["panels"])


def test_kubernetes_monitoring_without_a_provider_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        run_components(lambda: KubernetesMonitoring("mon", {"cluster_label": "x", "models": ["m"]}))
    assert str(err.value) == (
        "KubernetesMonitoring 'mon': opts has no provider; pass "
        "ResourceOptions(provider=<the cluster's kubernetes.Provider>)"
    )

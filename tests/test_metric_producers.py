"""Every dashboard metric, alarm and Prometheus rule reads data something in the stack produces (issue 14, item 5).

Walks the previewed CloudWatch dashboard JSON, every CloudWatch metric alarm and every PrometheusRule
(plus the prometheus-adapter query and the Grafana dashboard), and maps each namespace / metric to the
registered resource that emits it. A metric without a producer fails with the metric and where it is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from inferstack.engine.model import PreviewResult
from tests.conftest import preview_of

Check = Callable[[PreviewResult], bool]


def _has(type_: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> Check:
    return lambda p: any(where(r.inputs) for r in p.of_type(type_))


def _helm(chart: str) -> Check:
    return _has("kubernetes:helm.sh/v3:Release", lambda i: i.get("chart") == chart)


def _addon(name: str) -> Check:
    return _has("aws:eks/addon:Addon", lambda i: i.get("addonName") == name)


def _async_endpoint(p: PreviewResult) -> bool:
    return any(
        "asyncInferenceConfig" in r.inputs
        for r in p.of_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    )


SAGEMAKER_ENDPOINT = _has("aws:sagemaker/endpoint:Endpoint")
# CloudWatch namespace -> who publishes it (metric names checked where a namespace has several producers).
CLOUDWATCH: dict[str, Check] = {
    "AWS/SageMaker": SAGEMAKER_ENDPOINT,  # invocation metrics of every endpoint
    "/aws/sagemaker/Endpoints": SAGEMAKER_ENDPOINT,  # instance metrics (CPU, memory, GPU) of every endpoint
    "AWS/ApplicationELB": _has(
        "aws:lb/loadBalancer:LoadBalancer", lambda i: i.get("loadBalancerType") == "application"
    ),
    "AWS/Route53": _has("aws:route53/healthCheck:HealthCheck"),
    "AWS/ApiGateway": _has("aws:apigateway/restApi:RestApi"),
    "ContainerInsights": _addon("amazon-cloudwatch-observability"),
}
ASYNC_ONLY = {"ApproximateBacklogSize", "ApproximateBacklogSizePerInstance", "HasBacklogWithoutCapacity"}


def _recorded(p: PreviewResult) -> set[str]:
    """Series a recording rule in some PrometheusRule of the preview produces."""
    return {
        r["record"]
        for rule in p.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        for group in rule.inputs["spec"]["groups"]
        for r in group["rules"]
        if "record" in r
    }


VLLM_SERVICE_MONITOR = _has(
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    lambda i: (
        i["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") == "vllm"
        and i["spec"]["endpoints"][0] == {"port": "http", "interval": "15s", "path": "/metrics"}
    ),
)
# Prometheus metric prefix -> exporter in the stack (kube-prometheus-stack scrapes ServiceMonitors of all of them).
# vLLM V1 names (vLLM docs/design/metrics.md, read 2026-12-02): `vllm:*` gauges, counters and histograms, and the
# HTTP middleware's `http_requests_total` on the same /metrics endpoint. `service:` series are recording rules.
PROMETHEUS: dict[str, Check] = {
    "vllm:": VLLM_SERVICE_MONITOR,
    "http_requests_total": VLLM_SERVICE_MONITOR,
    "service:": lambda p: False,  # replaced per metric below: a recording rule must produce the exact series
    "nv_": _has(
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", lambda i: i["spec"]["endpoints"][0]["port"] == "metrics"
    ),
    "DCGM_FI_": _helm("dcgm-exporter"),
    "kube_": _helm("kube-prometheus-stack"),  # kube-state-metrics is part of the chart
}
PROMQL_NAME = re.compile(r"\b([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{|\[)")


def _dashboard_metrics(p: PreviewResult) -> Iterator[tuple[str, str, str]]:
    for board in p.of_type("aws:cloudwatch/dashboard:Dashboard"):
        for widget in json.loads(board.inputs["dashboardBody"])["widgets"]:
            for row in widget.get("properties", {}).get("metrics", []):
                yield row[0], row[1], f"dashboard widget {widget['properties']['title']!r}"


def _alarm_metrics(p: PreviewResult) -> Iterator[tuple[str, str, str]]:
    for alarm in p.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        if alarm.inputs.get("metricName"):
            yield alarm.inputs["namespace"], alarm.inputs["metricName"], f"alarm {alarm.name}"
        for query in alarm.inputs.get("metricQueries") or []:
            metric = query.get("metric") or {}
            if metric:
                yield metric["namespace"], metric["metricName"], f"alarm {alarm.name} query {query.get('id')}"


def _promql(p: PreviewResult) -> Iterator[tuple[str, str]]:
    for rule in p.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        for group in rule.inputs["spec"]["groups"]:
            for r in group["rules"]:
                yield r["expr"], f"PrometheusRule {rule.name} alert {r.get('alert')}"
    for release in p.of_type("kubernetes:helm.sh/v3:Release"):
        for r in release.inputs.get("values", {}).get("rules", {}).get("custom", []):
            yield (
                r["metricsQuery"].replace("<<.LabelMatchers>>", "").replace("<<.GroupBy>>", "pod"),
                "prometheus-adapter",
            )
    for cm in p.of_type("kubernetes:core/v1:ConfigMap"):
        for text in (cm.inputs.get("data") or {}).values():
            for panel in json.loads(text).get("panels", []):
                for target in panel["targets"]:
                    yield target["expr"], f"Grafana panel {panel['title']!r}"


def _promql_metrics(expr: str) -> set[str]:
    functions = {
        "rate",
        "increase",
        "sum",
        "avg",
        "max",
        "min",
        "clamp_min",
        "by",
        "delta",
        "irate",
        "histogram_quantile",
        "ignoring",
    }
    return {m for m in PROMQL_NAME.findall(expr) if m not in functions}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_cloudwatch_metric_on_dashboards_and_alarms_has_a_producer(env: str) -> None:
    p = preview_of(env)
    read = list(_dashboard_metrics(p)) + list(_alarm_metrics(p))
    assert read, "the environment reads no CloudWatch metric at all"
    orphans = []
    for namespace, metric, where in read:
        check = CLOUDWATCH.get(namespace)
        produced = check is not None and check(p) and (metric not in ASYNC_ONLY or _async_endpoint(p))
        if not produced:
            orphans.append(f"{namespace}/{metric} read by {where}")
    assert orphans == []


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_prometheus_metric_in_rules_adapter_and_grafana_has_an_exporter(env: str) -> None:
    p = preview_of(env)
    orphans = []
    seen = 0
    for expr, where in _promql(p):
        for metric in _promql_metrics(expr):
            seen += 1
            check = next((c for prefix, c in PROMETHEUS.items() if metric.startswith(prefix)), None)
            produced = metric in _recorded(p) if metric.startswith("service:") else check is not None and check(p)
            if not produced:
                orphans.append(f"{metric} read by {where}")
    assert seen > 0 and orphans == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_counter_is_read_with_delta(env: str) -> None:
    # Triton's nv_inference_* series are counters: delta() mishandles resets, rate()/increase() do not.
    offenders = [where for expr, where in _promql(preview_of(env)) if "delta(" in expr]
    assert offenders == []


def test_each_triton_signal_is_alerted_on_once_per_model_and_region() -> None:
    p = preview_of("prod")
    alerts: dict[tuple[str, str, str], list[str]] = {}
    for rule in p.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule"):
        region = "us-west-2" if "us-west-2" in rule.name else "us-east-1"
        for group in rule.inputs["spec"]["groups"]:
            for r in group["rules"]:
                model = r.get("labels", {}).get("model")
                for signal in ("nv_inference_queue_duration_us", "nv_inference_request_failure"):
                    if model and signal in r["expr"]:
                        alerts.setdefault((region, model, signal), []).append(f"{rule.name}/{r['alert']}")
    assert len(alerts) == 4  # text-embedder x 2 regions x 2 signals
    assert {k: v for k, v in alerts.items() if len(v) != 1} == {}


def test_the_cloudwatch_add_on_runs_as_its_own_irsa_role_with_the_agent_policy() -> None:
    p = preview_of("prod")
    addons = [r for r in p.of_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "amazon-cloudwatch-observability"]
    assert len(addons) == 2  # one cluster per region
    attachments = [
        r for r in p.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.endswith("cloudwatch-agent")
    ]
    assert {a.inputs["policyArn"] for a in attachments} == {"arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"}
    roles = [r for r in p.of_type("aws:iam/role:Role") if r.name.endswith("cloudwatch-agent")]
    for role in roles:
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        assert "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" in trust.values()


def test_sagemaker_instance_metrics_are_read_from_the_endpoints_namespace() -> None:
    rows = [(ns, m) for ns, m, _ in _dashboard_metrics(preview_of("prod"))]
    assert ("/aws/sagemaker/Endpoints", "CPUUtilization") in rows
    assert ("AWS/SageMaker", "CPUUtilization") not in rows

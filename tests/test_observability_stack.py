"""Alerting, dashboard and budget as stacks/observability.py composes them (stand-in serving components)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from inferstack.config.loader import InputError, Project, load_environment
from tests.conftest import ROOT
from tests.test_edge_stack import load_env, recorded_env

ALARM_TYPES = ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_alarm_notifies_the_alert_topic_of_its_own_region(name: str) -> None:
    rec = recorded_env(name)
    topics = {region_of_arn(t.inputs["kmsMasterKeyId"]): t for t in rec.all("aws:sns/topic:Topic")}
    alarms = [a for t in ALARM_TYPES for a in rec.all(t)]
    assert len(alarms) >= 2 * len(load_env(name).deployments)
    for alarm in alarms:
        actions = alarm.inputs["alarmActions"]
        assert actions and actions == alarm.inputs["okActions"], alarm.name
        (topic_arn,) = actions
        assert topic_arn.endswith(f":inferstack-{name}-alerts")
        assert region_of_arn(topic_arn) in topics


def test_composite_alarm_per_deployment_and_region_includes_the_serving_health_alarm() -> None:
    rec = recorded_env("prod")
    composites = {a.name: a for a in rec.all("aws:cloudwatch/compositeAlarm:CompositeAlarm")}
    assert sorted(composites) == sorted(
        f"alarms-{m}{s}-composite"
        for m in ("fraud-scorer", "text-embedder", "llama-3-1-70b-instruct")
        for s in ("", "-us-west-2")
    )
    llm = composites["alarms-llama-3-1-70b-instruct-composite"].inputs["alarmRule"]
    # The vLLM ALB's 5xx/latency alarms and its healthy-hosts alarm, not SageMaker's.
    assert 'ALARM("llama-3-1-70b-instruct-us-east-1-unhealthy")' in llm
    assert "gpu-memory" not in llm
    rule = composites["alarms-fraud-scorer-composite"].inputs["alarmRule"]
    assert 'ALARM("inferstack-prod-fraud-scorer-us-east-1-5xx")' in rule
    assert 'ALARM("fraud-scorer-unhealthy")' in rule
    assert " OR " in rule


def test_alert_topic_is_encrypted_with_a_key_cloudwatch_and_budgets_can_use() -> None:
    rec = recorded_env("prod")
    for key in rec.all("aws:kms/key:Key"):
        assert key.inputs["enableKeyRotation"] is True
        policy = json.loads(key.inputs["policy"])
        services = {s for st in policy["Statement"] for s in _as_list(st["Principal"].get("Service", []))}
        assert {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"} <= services
    for topic in rec.all("aws:sns/topic:Topic"):
        assert topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    subs = rec.all("aws:sns/topicSubscription:TopicSubscription")
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subs) == [("email", "oncall@example.com")] * 2


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, str, str, dict[str, str]]]:
    found = []
    for w in body["widgets"]:
        for row in w["properties"]["metrics"]:
            parts = [p for p in row if not isinstance(p, dict)]
            dims = dict(zip(parts[2::2], parts[3::2], strict=True))
            found.append((w["properties"]["region"], parts[0], parts[1], dims))
    return found


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_dashboard_json_parses_and_shows_only_deployed_resources(name: str) -> None:
    rec = recorded_env(name)
    env = load_env(name)
    body = json.loads(rec.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    metrics = _dashboard_metrics(body)
    eks_targets = ("triton-eks", "vllm-eks")
    endpoints = {
        f"{d.model}{'' if i == 0 else '-' + r}-endpoint"
        for d in env.deployments
        if d.target not in eks_targets
        for i, r in enumerate(env.regions.all)
    }
    clusters = {f"inferstack-{r}" for r in env.regions.all}
    lbs = {f"app/{d.model}/abc" for d in env.deployments if d.target in eks_targets}
    health_ids = {dep for r in rec.all("aws:route53/record:Record") for dep in r.dependencies if "HealthCheck" in dep}
    seen: dict[str, set[str]] = {
        "EndpointName": set(),
        "ClusterName": set(),
        "LoadBalancer": set(),
        "HealthCheckId": set(),
    }
    for region, namespace, metric, dims in metrics:
        assert region in env.regions.all or (namespace == "AWS/Route53" and region == "us-east-1"), metric
        for k, v in dims.items():
            seen.setdefault(k, set()).add(v)
    assert seen["EndpointName"] == endpoints
    assert seen["ClusterName"] == clusters
    assert seen["LoadBalancer"] == lbs
    assert seen["Namespace"] == {
        f"{'triton' if d.target == 'triton-eks' else 'vllm'}-{d.model}"
        for d in env.deployments
        if d.target in eks_targets
    }
    assert len(seen["HealthCheckId"]) == len(health_ids)
    names = {m for _, _, m, _ in metrics}
    assert {
        "ModelLatency",
        "Invocation5XXErrors",
        "Invocation4XXErrors",
        "GPUUtilization",
        "cluster_node_count",
    } <= names
    # Triton's Prometheus metrics are not in CloudWatch (nothing publishes ContainerInsights/Prometheus).
    assert "nv_inference_queue_duration_us" not in names
    assert ("HealthCheckStatus" in names) is (name == "prod")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_budget_is_monthly_cost_for_the_environment_tag_with_forecast_and_actual_alerts(name: str) -> None:
    rec = recorded_env(name)
    env = load_env(name)
    budget = rec.one("aws:budgets/budget:Budget")
    assert budget.inputs["budgetType"] == "COST" and budget.inputs["timeUnit"] == "MONTHLY"
    assert float(budget.inputs["limitAmount"]) == env.monitoring.budget_monthly_usd
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:environment${name}"]}]
    notes = {(n["notificationType"], n["threshold"]): n for n in budget.inputs["notifications"]}
    assert sorted(notes) == [("ACTUAL", 100), ("FORECASTED", 80)]
    for n in notes.values():
        assert n["subscriberEmailAddresses"] == env.monitoring.alarm_emails
        assert n["subscriberSnsTopicArns"] == [f"arn:aws:sns:us-east-1:123456789012:inferstack-{name}-alerts"]
    assert rec.outputs["alert_topic_arn"] == f"arn:aws:sns:us-east-1:123456789012:inferstack-{name}-alerts"


# -- the failover budget is an input error, with its exact message ----------------------------------


def write_env(tmp_path: Path, name: str, **dns: Any) -> Project:
    data = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text(encoding="utf-8"))
    data["dns"].update(dns)
    (tmp_path / "environments").mkdir(exist_ok=True)
    (tmp_path / "environments" / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Project(tmp_path)


def test_environment_over_its_failover_budget_fails_with_the_exact_message(tmp_path: Path) -> None:
    project = write_env(tmp_path, "staging", ttl_seconds=300)
    with pytest.raises(InputError) as err:
        load_environment(project, "staging", check_packages=False)
    assert err.value.message.split(" ==> ", 1)[1] == (
        "at dns\n  ==> failover takes 330s (health_check_interval_seconds=10 x failure_threshold=3 + "
        "ttl_seconds=300) which exceeds max_failover_seconds=120; lower ttl_seconds or failure_threshold"
    )


def test_slow_checks_over_budget_also_suggest_the_ten_second_interval(tmp_path: Path) -> None:
    project = write_env(tmp_path, "dev", failure_threshold=10)
    with pytest.raises(InputError) as err:
        load_environment(project, "dev", check_packages=False)
    assert err.value.message.endswith(
        "failover takes 360s (health_check_interval_seconds=30 x failure_threshold=10 + ttl_seconds=60) which "
        "exceeds max_failover_seconds=300; lower ttl_seconds or failure_threshold, or use "
        "health_check_interval_seconds: 10"
    )


def test_prod_slower_than_sixty_seconds_fails_even_within_its_own_max(tmp_path: Path) -> None:
    project = write_env(tmp_path, "prod", health_check_interval_seconds=30, max_failover_seconds=120)
    with pytest.raises(InputError) as err:
        load_environment(project, "prod", check_packages=False)
    assert err.value.message == (
        "environments/prod.yaml:1:1 ==> at (top level)\n  ==> prod must fail over within 60s but dns settings "
        "give 120s; lower dns.ttl_seconds or dns.failure_threshold, or use dns.health_check_interval_seconds: 10"
    )

"""Stack wiring for alerting, dashboards and the budget."""

from __future__ import annotations

import pulumi

from inferstack.components.alerting import AlertTopic, MetricSpec, ServiceAlarms, alb_metrics, sagemaker_metrics
from inferstack.components.budget import Budget
from inferstack.components.monitoring import Dashboard, DashboardDeployment, KubernetesMonitoring
from stacks.context import AlertingOutputs, RegionStack, StackContext


def build_alerting(ctx: StackContext, rs: RegionStack) -> None:
    """Alert topic in one region (serving alarms publish to it)."""
    topic = AlertTopic(
        f"alerts{rs.suffix}",
        {
            "topic_name": f"inferstack-{ctx.env.name}-alerts",
            "emails": ctx.env.monitoring.alarm_emails,
            "tags": ctx.tags,
        },
        opts=rs.opts(),
    )
    rs.alerting = AlertingOutputs(topic_arn=topic.topic_arn, key_arn=topic.key_arn, component=topic)


def _service_alarms(ctx: StackContext, rs: RegionStack) -> None:
    """A composite alarm per deployment in this region over its metric alarms and the serving ones."""
    assert rs.alerting is not None
    for d in ctx.env.deployments:
        metrics: list[MetricSpec] = []
        endpoint = rs.sagemaker.get(d.model)
        if endpoint is not None and getattr(endpoint, "endpoint_name", None) is not None:
            metrics = sagemaker_metrics(endpoint.endpoint_name, asynchronous=d.target == "sagemaker-async")
        ep = rs.entry_points.get(d.model)
        if d.target == "triton-eks" and ep is not None and ep.extra.get("load_balancer_arn_suffix") is not None:
            metrics = alb_metrics(ep.extra["load_balancer_arn_suffix"])
        extra = [ep.health_alarm_name] if ep is not None and ep.health_alarm_name is not None else []
        if not metrics and not extra:
            continue
        ServiceAlarms(
            f"alarms-{d.model}{rs.suffix}",
            {
                "alarm_prefix": f"inferstack-{ctx.env.name}-{d.model}-{rs.region}",
                "topic_arn": rs.alerting.topic_arn,
                "metrics": metrics,
                "extra_alarm_names": extra,
                "tags": ctx.tags,
            },
            opts=rs.opts(),
        )


def _dashboard_rows(ctx: StackContext) -> list[DashboardDeployment]:
    rows: list[DashboardDeployment] = []
    for rs in ctx.regions:
        for d in ctx.env.deployments:
            if d.target == "triton-eks":
                if rs.platform is None or d.model not in rs.triton:
                    continue
                row: DashboardDeployment = {
                    "model": d.model,
                    "region": rs.region,
                    "target": "triton-eks",
                    "cluster_name": rs.platform.cluster_name,
                }
                ep = rs.entry_points.get(d.model)
                namespace = ep.extra.get("namespace") if ep is not None else None
                if namespace is not None:
                    row["namespace"] = namespace
                if ep is not None and ep.extra.get("load_balancer_arn_suffix") is not None:
                    row["load_balancer"] = ep.extra["load_balancer_arn_suffix"]
                rows.append(row)
            elif d.target in ("sagemaker", "sagemaker-async", "sagemaker-llm"):  # vllm-eks: its own wiring
                endpoint = rs.sagemaker.get(d.model)
                if endpoint is None or getattr(endpoint, "endpoint_name", None) is None:
                    continue
                rows.append(
                    {
                        "model": d.model,
                        "region": rs.region,
                        "target": d.target,
                        "endpoint_name": endpoint.endpoint_name,
                    }
                )
    return rows


def build_environment(ctx: StackContext) -> None:
    """Environment-wide dashboard and budget."""
    env = ctx.env
    primary = ctx.primary
    for rs in ctx.regions:
        if rs.alerting is None:
            build_alerting(ctx, rs)
        _service_alarms(ctx, rs)
        triton_models = [d.model for d in env.deployments if d.target == "triton-eks" and d.model in rs.triton]
        if rs.platform is not None and rs.platform.k8s_provider is not None and triton_models:
            KubernetesMonitoring(
                f"k8s-monitoring{rs.suffix}",
                {
                    "cluster_label": f"{env.name} {rs.region}",
                    "models": triton_models,
                    "queue_time_us": {
                        d.model: d.autoscaling.queue_time_us for d in env.deployments if d.target == "triton-eks"
                    },
                },
                opts=pulumi.ResourceOptions(provider=rs.platform.k8s_provider),
            )

    rows = _dashboard_rows(ctx)
    checks = {f"{model} {region}": hc for model, dns in ctx.dns.items() for region, hc in dns.health_check_ids.items()}
    if rows:
        board = Dashboard(
            "dashboard",
            {"dashboard_name": f"inferstack-{env.name}", "deployments": rows, "health_checks": checks},
            opts=primary.opts(),
        )
        pulumi.export("dashboard_name", board.dashboard_name)

    assert primary.alerting is not None
    budget = Budget(
        "budget",
        {
            "budget_name": f"inferstack-{env.name}-monthly",
            "limit_usd": env.monitoring.budget_monthly_usd,
            "tag_key": "environment",
            "tag_value": env.name,
            "topic_arn": primary.alerting.topic_arn,
            "emails": env.monitoring.alarm_emails,
            "tags": ctx.tags,
        },
        opts=primary.opts(),  # budgets are global; the primary provider's account owns it
    )
    pulumi.export("alert_topic_arn", primary.alerting.topic_arn)
    pulumi.export("alert_topic_arns", {rs.region: rs.alerting.topic_arn for rs in ctx.regions if rs.alerting})
    pulumi.export("budget_name", budget.budget_name)

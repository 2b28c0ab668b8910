"""The serving signals are alarmed: SageMaker 5XX and latency, GPU utilisation, Route53 health (ML rule)."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.catalog import is_gpu_ec2_type
from inferstack.policies.rules._base import RuleMeta, get, items, stack_policy

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
META = RuleMeta(pack="security", levels="DAM")
GPU_METRIC = re.compile(r"gpu", re.IGNORECASE)


def _metric_names(alarm: Any) -> list[str]:
    names = [str(get(alarm.props, "metricName", default=""))]
    for q in items(get(alarm.props, "metricQueries")):
        names.append(str(get(q, "metric", "metricName", default="")))
        names.append(str(get(q, "expression", default="")))
    return [n for n in names if n]


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    metrics = [n for r in args.resources if r.resource_type == ALARM for n in _metric_names(r)]
    types = {r.resource_type for r in args.resources}
    missing: list[str] = []
    if "aws:sagemaker/endpoint:Endpoint" in types:
        missing += [m for m in ("Invocation5XXErrors", "ModelLatency") if m not in metrics]
    gpu_groups = [
        r
        for r in args.resources
        if r.resource_type == "aws:eks/nodeGroup:NodeGroup"
        and any(is_gpu_ec2_type(str(t)) for t in items(get(r.props, "instanceTypes")))
    ]
    if gpu_groups and not any(GPU_METRIC.search(m) for m in metrics):
        missing.append("GPU utilisation (e.g. DCGM_FI_DEV_GPU_UTIL)")
    if "aws:route53/healthCheck:HealthCheck" in types and "HealthCheckStatus" not in metrics:
        missing.append("HealthCheckStatus")
    if missing:
        report_violation(
            f"the stack serves models but has no alarm on {', '.join(missing)}; add the serving alarms "
            "(observability.build_alerting) so on-call hears about errors, latency, idle GPUs and failover",
            None,
        )


POLICY = stack_policy(
    name="inferstack-cloudwatch-alarms-require-serving-alarms",
    description="Stacks that serve models alarm on 5XX errors, model latency, GPU utilisation and DNS health.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Create the missing CloudWatch alarms with the alert topic as action.",
    validate=validate,
)

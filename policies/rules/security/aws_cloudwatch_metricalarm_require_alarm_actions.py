"""Alarms notify someone (CKV_AWS_319)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_319",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "actionsEnabled") is False:
        report_violation(f"alarm {args.name!r} has actionsEnabled=false; enable actions so it notifies", None)
    elif not items(get(args.props, "alarmActions")):
        report_violation(f"alarm {args.name!r} has no alarmActions; send it to the environment's alert topic", None)


POLICY = resource_policy(
    name="aws-cloudwatch-metricalarm-require-alarm-actions",
    description="CloudWatch alarms have enabled alarm actions.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set alarm_actions=[alert topic ARN] (and keep actions_enabled true).",
    validate=validate,
)

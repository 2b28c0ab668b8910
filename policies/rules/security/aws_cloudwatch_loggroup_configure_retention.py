"""Log groups expire, within per-environment bounds (CKV_AWS_66/338; dev <= 30, staging <= 60, prod >= 90 days)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, fmt_num, get, number, resource_policy

RESOURCE_TYPE = "aws:cloudwatch/logGroup:LogGroup"
META = RuleMeta(
    pack="security",
    levels="AMM",
    anchors=("CKV_AWS_66", "CKV_AWS_338"),
    resource_types=(RESOURCE_TYPE,),
    defaults={
        "dev": {"min_days": 1, "max_days": 30},
        "staging": {"min_days": 7, "max_days": 60},
        "prod": {"min_days": 90, "max_days": 3653},
    },
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    cfg = effective_config(args, POLICY.config_schema, META)
    low, high = int(cfg["min_days"]), int(cfg["max_days"])
    days = number(get(args.props, "retentionInDays"))
    if days is None or days == 0:
        report_violation(
            f"log group {args.name!r} never expires; set retentionInDays between {low} and {high} "
            "(monitoring.log_retention_days)",
            None,
        )
    elif not low <= days <= high:
        report_violation(
            f"log group {args.name!r} keeps logs {fmt_num(days)} days, outside {low}-{high} for this environment; "
            "change monitoring.log_retention_days",
            None,
        )


POLICY = resource_policy(
    name="aws-cloudwatch-loggroup-configure-retention",
    description="CloudWatch log groups set a retention within the environment's bounds.",
    meta=META,
    severity=Severity.LOW,
    remediation="Set monitoring.log_retention_days (and network.flow_logs_retention_days) within the bounds.",
    validate=validate,
    config={
        "min_days": {"type": "integer", "minimum": 1, "default": 90},
        "max_days": {"type": "integer", "minimum": 1, "default": 3653},
    },
)

"""Warn when the estimated monthly cost rises more than N% over the last accepted figure (Sentinel)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from policies.rules._base import RuleMeta, effective_config, env_of, stack_policy
from policies.rules.cost._estimate import monthly_estimate

META = RuleMeta(pack="cost", levels="AAA", anchors=("Sentinel limit-cost-and-percentage-increase",))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    previous = float(cfg["previous_monthly_usd"])
    if previous <= 0:
        return  # nothing recorded to compare with
    estimate = monthly_estimate(args.resources, env_of(cfg))
    if estimate is None:
        args.not_applicable("the inferstack cost model is not importable next to the policy pack")
        return
    limit = float(cfg["max_increase_percent"])
    change = (estimate["baseline"] - previous) / previous * 100
    if change > limit:
        report_violation(
            f"estimated baseline monthly cost ${estimate['baseline']:,.2f} is {change:.1f}% above the recorded "
            f"${previous:,.2f} (limit {limit:g}%); review the change or update previous_monthly_usd",
            None,
        )


POLICY = stack_policy(
    name="inferstack-stack-warn-cost-increase",
    description="The estimated monthly cost does not grow more than the allowed percentage in one change.",
    meta=META,
    severity=Severity.LOW,
    remediation="Confirm the increase, then record the new figure as previous_monthly_usd in policies.config.",
    validate=validate,
    config={
        "previous_monthly_usd": {"type": "number", "minimum": 0, "default": 0},
        "max_increase_percent": {"type": "number", "minimum": 0, "default": 20},
    },
)

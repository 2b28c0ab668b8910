"""The stack's estimated monthly cost at peak (every group and endpoint at its maximum) stays under the
environment's peak ceiling, by default 1.5 x monitoring.budget_monthly_usd (Sentinel limit-cost)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, env_of, stack_policy
from inferstack.policies.rules.cost._estimate import monthly_estimate

PEAK_BUDGET_MULTIPLE = 1.5
"""Default peak ceiling as a multiple of the environment's monthly budget (policies/config.py derives it)."""

META = RuleMeta(
    pack="cost",
    levels="AAM",
    anchors=("Sentinel limit-cost-and-percentage-increase",),
    defaults={"dev": {"ceiling_usd": 4500}, "staging": {"ceiling_usd": 18000}, "prod": {"ceiling_usd": 37500}},
)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    estimate = monthly_estimate(args.resources, env_of(cfg))
    if estimate is None:
        args.not_applicable("the inferstack cost model is not importable next to the policy pack")
        return
    ceiling = float(cfg["ceiling_usd"])
    if estimate["peak"] > ceiling:
        report_violation(
            f"estimated peak monthly cost ${estimate['peak']:,.2f} (every node group at max_size, every endpoint at "
            f"its maximum instances) exceeds this environment's peak ceiling ${ceiling:,.2f}; lower max_size / "
            "instances.max or raise ceiling_usd (default 1.5 x monitoring.budget_monthly_usd)",
            None,
        )


POLICY = stack_policy(
    name="inferstack-stack-limit-peak-monthly-cost",
    description="The stack's estimated peak monthly cost stays within the environment's peak ceiling.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Lower max_size of GPU node groups or endpoint maximums, or raise the peak ceiling.",
    validate=validate,
    config={"ceiling_usd": {"type": "number", "minimum": 0, "default": 37500}},
)

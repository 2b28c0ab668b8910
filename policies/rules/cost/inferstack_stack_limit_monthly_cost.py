"""The stack's estimated monthly cost stays under the environment's ceiling (clstokes budget-limit, Sentinel)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, env_of, stack_policy
from inferstack.policies.rules.cost._estimate import monthly_estimate

META = RuleMeta(
    pack="cost",
    levels="AMM",
    anchors=("clstokes/pulumi-policy-aws-cost budget-limit", "Sentinel limit-cost-and-percentage-increase"),
    defaults={"dev": {"ceiling_usd": 3000}, "staging": {"ceiling_usd": 12000}, "prod": {"ceiling_usd": 25000}},
)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    estimate = monthly_estimate(args.resources, env_of(cfg))
    if estimate is None:
        args.not_applicable("the inferstack cost model is not importable next to the policy pack")
        return
    measure = str(cfg["measure"])
    ceiling = float(cfg["ceiling_usd"])
    if estimate[measure] > ceiling:
        report_violation(
            f"estimated {measure} monthly cost ${estimate[measure]:,.2f} exceeds this environment's ceiling "
            f"${ceiling:,.2f}; shrink instance counts/types or raise ceiling_usd (monitoring.budget_monthly_usd)",
            None,
        )


POLICY = stack_policy(
    name="inferstack-stack-limit-monthly-cost",
    description="The stack's estimated monthly cost stays within the environment's ceiling.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Reduce instance counts or sizes, or raise the ceiling (defaults to monitoring.budget_monthly_usd).",
    validate=validate,
    config={
        "ceiling_usd": {"type": "number", "minimum": 0, "default": 25000},
        "measure": {"type": "string", "enum": ["baseline", "peak"], "default": "baseline"},
    },
)

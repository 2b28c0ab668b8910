"""Warn when the estimated monthly cost, at baseline or at peak, rises more than N% over the previous figure
(Sentinel). `inferstack preview --compare BASE.json` and `inferstack pr-comment` feed the base preview's
figures; otherwise the `previous_*` settings recorded in policies.config are used."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, env_of, stack_policy
from inferstack.policies.rules.cost._estimate import monthly_estimate

META = RuleMeta(pack="cost", levels="AAA", anchors=("Sentinel limit-cost-and-percentage-increase",))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    previous = {"baseline": float(cfg["previous_monthly_usd"]), "peak": float(cfg["previous_peak_monthly_usd"])}
    if not any(v > 0 for v in previous.values()):
        return  # nothing to compare with
    estimate = monthly_estimate(args.resources, env_of(cfg))
    if estimate is None:
        args.not_applicable("the inferstack cost model is not importable next to the policy pack")
        return
    limit = float(cfg["max_increase_percent"])
    source = str(cfg["previous_source"]) or "the recorded figure"
    for measure in ("baseline", "peak"):
        before = previous[measure]
        if before <= 0:
            continue
        change = (estimate[measure] - before) / before * 100
        if change > limit:
            label = "" if measure == "baseline" else "peak "
            report_violation(
                f"estimated {measure} monthly cost ${estimate[measure]:,.2f} is {change:.1f}% above the recorded "
                f"{label}${before:,.2f} (limit {limit:g}%): +${estimate[measure] - before:,.2f}/month compared with "
                f"{source}; review the change",
                None,
            )


POLICY = stack_policy(
    name="inferstack-stack-warn-cost-increase",
    description="The estimated monthly cost (baseline and peak) does not grow more than the allowed percentage.",
    meta=META,
    severity=Severity.LOW,
    remediation="Confirm the increase in the pull request (the --compare base preview is the previous figure).",
    validate=validate,
    config={
        "previous_monthly_usd": {"type": "number", "minimum": 0, "default": 0},
        "previous_peak_monthly_usd": {"type": "number", "minimum": 0, "default": 0},
        "previous_source": {
            "type": "string",
            "default": "",
            "description": "Where the previous figures come from (set by `inferstack preview --compare`).",
        },
        "max_increase_percent": {"type": "number", "minimum": 0, "default": 20},
    },
)

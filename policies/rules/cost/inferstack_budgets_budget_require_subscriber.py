"""The stack has an AWS Budget that notifies someone (ML cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, get, items, stack_policy

BUDGET = "aws:budgets/budget:Budget"
META = RuleMeta(pack="cost", levels="AAM")


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    budgets = [r for r in args.resources if r.resource_type == BUDGET]
    if not budgets:
        report_violation(
            "the stack has no aws.budgets.Budget; set monitoring.budget_monthly_usd so the stack creates one", None
        )
        return
    for b in budgets:
        subscribed = any(
            items(get(n, "subscriberEmailAddresses")) or items(get(n, "subscriberSnsTopicArns"))
            for n in items(get(b.props, "notifications"))
        )
        if subscribed:
            return
    report_violation(
        "no AWS Budget in the stack has a notification subscriber; add monitoring.alarm_emails or the alert topic "
        "as a subscriber",
        budgets[0].urn,
    )


POLICY = stack_policy(
    name="inferstack-budgets-budget-require-subscriber",
    description="Each stack has an AWS Budget with at least one notification subscriber.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Keep the environment budget (monitoring.budget_monthly_usd) and subscribe alarm_emails to it.",
    validate=validate,
)

"""A monthly AWS cost budget for one environment's cost-allocation tag, with alerts before and at the limit."""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws


class BudgetArgs(TypedDict):
    budget_name: str
    """Budget name, e.g. 'inferstack-prod-monthly'."""
    limit_usd: float
    """Monthly limit in USD (> 0)."""
    tag_key: str
    """Cost-allocation tag key, e.g. 'environment' (must be activated in Billing)."""
    tag_value: str
    """Tag value the budget counts, e.g. 'prod'."""
    topic_arn: NotRequired[pulumi.Input[str] | None]
    """Default: None. SNS topic notified (its policy must let budgets.amazonaws.com publish)."""
    emails: NotRequired[Sequence[str]]
    """Default: none. Email subscribers; at least one of topic_arn or emails is required."""
    forecast_percent: NotRequired[int]
    """Default: 80. Notify when the month's forecast crosses this percent of the limit."""
    actual_percent: NotRequired[int]
    """Default: 100. Notify when actual spend crosses this percent of the limit."""
    tags: NotRequired[Mapping[str, str]]
    """Added to the budget."""


class Budget(pulumi.ComponentResource):
    """`aws.budgets.Budget`: monthly COST filtered to one tag; FORECASTED and ACTUAL notifications."""

    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:Budget", name, None, opts)
        limit = args["limit_usd"]
        forecast = args.get("forecast_percent", 80)
        actual = args.get("actual_percent", 100)
        emails = list(args.get("emails", []))
        topic = args.get("topic_arn")
        if limit <= 0:
            raise ValueError(f"Budget {name!r}: limit_usd={limit} must be > 0; set the monthly limit in USD")
        if topic is None and not emails:
            raise ValueError(
                f"Budget {name!r}: topic_arn and emails are both empty, so nobody hears about overspend; "
                "pass the alert topic ARN or at least one email"
            )
        for field, value in (("forecast_percent", forecast), ("actual_percent", actual)):
            if not 1 <= value <= 1000:
                raise ValueError(f"Budget {name!r}: {field}={value} is outside 1-1000; use e.g. 80 or 100")
        if len(emails) > 10:
            raise ValueError(
                f"Budget {name!r}: emails has {len(emails)} addresses but AWS Budgets allows 10 per notification; "
                "subscribe the rest to the alert topic"
            )

        def notification(kind: str, percent: int) -> dict[str, object]:
            return {
                "comparison_operator": "GREATER_THAN",
                "notification_type": kind,
                "threshold": percent,
                "threshold_type": "PERCENTAGE",
                "subscriber_email_addresses": emails,
                "subscriber_sns_topic_arns": [topic] if topic is not None else [],
            }

        budget = aws.budgets.Budget(
            f"{name}-budget",
            name=args["budget_name"],
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{limit:.2f}",
            limit_unit="USD",
            cost_filters=[{"name": "TagKeyValue", "values": [f"user:{args['tag_key']}${args['tag_value']}"]}],
            notifications=[notification("FORECASTED", forecast), notification("ACTUAL", actual)],
            tags=dict(args.get("tags", {})),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_name = budget.name
        self.register_outputs({"budget_name": self.budget_name})

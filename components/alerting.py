"""Alerting: a KMS-encrypted SNS topic per region, and per-deployment alarms that publish to it.

CloudWatch alarms can only notify a topic in their own region, so each region gets its own topic.
The topic is encrypted with a dedicated customer-managed key whose policy lets CloudWatch and AWS
Budgets use it: the AWS-managed `alias/aws/sns` key cannot be used by CloudWatch alarms, and an
environment key without those grants silently drops every notification.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com")


def alert_key_policy(account_id: str, region: str, partition: str = "aws") -> dict[str, Any]:
    """Key policy: the account administers it; CloudWatch, Budgets and this region's Logs may use it."""
    root = f"arn:{partition}:iam::{account_id}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AlarmAndBudgetPublishers",
                "Effect": "Allow",
                "Principal": {"Service": list(PUBLISHERS)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "LogGroupsInThisRegion",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:*"}
                },
            },
        ],
    }


def alert_topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    """Topic policy: only CloudWatch and Budgets of this account publish; TLS is required."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlarmAndBudgetPublish",
                "Effect": "Allow",
                "Principal": {"Service": list(PUBLISHERS)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


class AlertTopicArgs(TypedDict):
    topic_name: str
    """SNS topic name, e.g. 'inferstack-prod-alerts'."""
    emails: NotRequired[Sequence[str]]
    """Default: none. Email subscribers (each must confirm the subscription mail)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Default: a dedicated key (rotation on) whose policy lets CloudWatch, Budgets and Logs use it.
    Pass an existing key only if its policy already grants those services."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class AlertTopic(pulumi.ComponentResource):
    """A KMS-encrypted SNS topic that CloudWatch alarms and AWS Budgets can publish to."""

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:AlertTopic", name, None, opts)
        emails = list(args.get("emails", []))
        tags = dict(args.get("tags", {}))
        for addr in emails:
            if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
                raise ValueError(
                    f"AlertTopic {name!r}: emails contains {addr!r}, which is not an email address; "
                    "use e.g. 'oncall@example.com'"
                )
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)

        key_arn: pulumi.Input[str]
        if "kms_key_arn" in args:
            key_arn = args["kms_key_arn"]
        else:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts the {args['topic_name']} alert topic and alerting log groups",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=pulumi.Output.all(identity.account_id, region.region, partition.partition).apply(
                    lambda v: json.dumps(alert_key_policy(v[0], v[1], v[2]))
                ),
                tags=tags,
                opts=child,
            )
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{args['topic_name']}", target_key_id=key.key_id, opts=child)
            key_arn = key.arn

        topic = aws.sns.Topic(
            f"{name}-topic", name=args["topic_name"], kms_master_key_id=key_arn, tags=tags, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, identity.account_id).apply(
                lambda v: json.dumps(alert_topic_policy(v[0], v[1]))
            ),
            opts=child,
        )
        for i, addr in enumerate(emails):
            aws.sns.TopicSubscription(f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=addr, opts=child)

        self.topic_arn = topic.arn
        self.key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs({"topic_arn": self.topic_arn, "key_arn": self.key_arn})


class MetricSpec(TypedDict):
    """One metric alarm of a deployment."""

    role: str
    """Short name, becomes the child name suffix and alarm name suffix, e.g. '5xx'."""
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: NotRequired[str]
    """Default: Sum. Use extended_statistic for percentiles."""
    extended_statistic: NotRequired[str]
    threshold: float
    comparison: NotRequired[str]
    """Default: GreaterThanThreshold."""
    period: NotRequired[int]
    """Default: 60 seconds."""
    evaluation_periods: NotRequired[int]
    """Default: 5."""
    datapoints_to_alarm: NotRequired[int]
    """Default: 3 of evaluation_periods."""
    treat_missing_data: NotRequired[Literal["missing", "ignore", "breaching", "notBreaching"]]
    """Default: notBreaching (an idle or scaled-to-zero deployment is not an incident)."""
    description: str


class ServiceAlarmsArgs(TypedDict):
    alarm_prefix: str
    """Alarm name prefix, e.g. 'prod-fraud-scorer-us-east-1'."""
    topic_arn: pulumi.Input[str]
    """SNS topic in the same region; every alarm notifies it on ALARM and OK."""
    metrics: Sequence[MetricSpec]
    """The deployment's metric alarms (use sagemaker_metrics / alb_metrics)."""
    extra_alarm_names: NotRequired[Sequence[pulumi.Input[str]]]
    """Default: none. Alarms created elsewhere (e.g. by the serving component) that join the composite."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class ServiceAlarms(pulumi.ComponentResource):
    """Metric alarms for one deployment in one region, and a composite alarm that ORs them."""

    composite_alarm_name: pulumi.Output[str]
    alarm_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ServiceAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:ServiceAlarms", name, None, opts)
        metrics = list(args["metrics"])
        extra = list(args.get("extra_alarm_names", []))
        tags = dict(args.get("tags", {}))
        prefix = args["alarm_prefix"]
        if not metrics and not extra:
            raise ValueError(
                f"ServiceAlarms {name!r}: metrics and extra_alarm_names are both empty; "
                "pass at least one metric alarm or an existing alarm name"
            )
        roles = [m["role"] for m in metrics]
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(
                f"ServiceAlarms {name!r}: metrics roles {dupes} are repeated; give each alarm a unique role"
            )
        child = pulumi.ResourceOptions(parent=self)
        actions = [args["topic_arn"]]
        names: list[pulumi.Output[str]] = []
        for m in metrics:
            evaluation = m.get("evaluation_periods", 5)
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{m['role']}",
                name=f"{prefix}-{m['role']}",
                alarm_description=m["description"],
                namespace=m["namespace"],
                metric_name=m["metric_name"],
                dimensions=dict(m["dimensions"]),
                statistic=None if "extended_statistic" in m else m.get("statistic", "Sum"),
                extended_statistic=m.get("extended_statistic"),
                threshold=m["threshold"],
                comparison_operator=m.get("comparison", "GreaterThanThreshold"),
                period=m.get("period", 60),
                evaluation_periods=evaluation,
                datapoints_to_alarm=m.get("datapoints_to_alarm", min(3, evaluation)),
                treat_missing_data=m.get("treat_missing_data", "notBreaching"),
                alarm_actions=actions,
                ok_actions=actions,
                tags=tags,
                opts=child,
            )
            names.append(alarm.name)
        all_names: list[pulumi.Input[str]] = [*names, *extra]
        rule = pulumi.Output.all(*all_names).apply(lambda ns: " OR ".join(f'ALARM("{n}")' for n in ns))
        composite = aws.cloudwatch.CompositeAlarm(
            f"{name}-composite",
            alarm_name=f"{prefix}-unhealthy",
            alarm_description=f"Any alarm of {prefix} is firing",
            alarm_rule=rule,
            actions_enabled=True,
            alarm_actions=actions,
            ok_actions=actions,
            tags=tags,
            opts=child,
        )
        self.alarm_names = names
        self.composite_alarm_name = composite.alarm_name
        self.register_outputs({"composite_alarm_name": self.composite_alarm_name})


def sagemaker_metrics(
    endpoint_name: pulumi.Input[str],
    *,
    variant_name: str = "AllTraffic",
    asynchronous: bool = False,
    latency_p99_ms: int = 1000,
    error_threshold: int = 5,
) -> list[MetricSpec]:
    """5XX errors, p99 model latency, GPU saturation (and backlog for async) of a SageMaker endpoint."""
    dims: dict[str, pulumi.Input[str]] = {"EndpointName": endpoint_name, "VariantName": variant_name}
    specs: list[MetricSpec] = [
        {
            "role": "5xx",
            "namespace": "AWS/SageMaker",
            "metric_name": "Invocation5XXErrors",
            "dimensions": dims,
            "threshold": error_threshold,
            "description": f"More than {error_threshold} model errors (5XX) per minute",
        },
        {
            "role": "latency-p99",
            "namespace": "AWS/SageMaker",
            "metric_name": "ModelLatency",
            "dimensions": dims,
            "extended_statistic": "p99",
            "threshold": latency_p99_ms * 1000,  # ModelLatency is in microseconds
            "description": f"p99 model latency above {latency_p99_ms} ms",
        },
        {
            "role": "gpu-memory",
            "namespace": "/aws/sagemaker/Endpoints",
            "metric_name": "GPUMemoryUtilization",
            "dimensions": dims,
            "statistic": "Maximum",
            "threshold": 95,
            "period": 300,
            "evaluation_periods": 3,
            "description": "GPU memory above 95% for 15 minutes (out-of-memory risk)",
        },
    ]
    if asynchronous:
        specs.append(
            {
                "role": "backlog",
                "namespace": "AWS/SageMaker",
                "metric_name": "ApproximateBacklogSizePerInstance",
                "dimensions": {"EndpointName": endpoint_name},
                "statistic": "Average",
                "threshold": 50,
                "period": 300,
                "evaluation_periods": 3,
                "description": "Async backlog above 50 requests per instance for 15 minutes",
            }
        )
    return specs


def alb_metrics(
    load_balancer: pulumi.Input[str], *, latency_p99_ms: int = 1000, error_threshold: int = 5
) -> list[MetricSpec]:
    """Target 5XX and p99 target response time of the ALB in front of a Triton service."""
    dims: dict[str, pulumi.Input[str]] = {"LoadBalancer": load_balancer}
    return [
        {
            "role": "5xx",
            "namespace": "AWS/ApplicationELB",
            "metric_name": "HTTPCode_Target_5XX_Count",
            "dimensions": dims,
            "threshold": error_threshold,
            "description": f"More than {error_threshold} Triton 5XX responses per minute",
        },
        {
            "role": "latency-p99",
            "namespace": "AWS/ApplicationELB",
            "metric_name": "TargetResponseTime",
            "dimensions": dims,
            "extended_statistic": "p99",
            "threshold": latency_p99_ms / 1000,  # seconds
            "description": f"p99 Triton response time above {latency_p99_ms} ms",
        },
    ]

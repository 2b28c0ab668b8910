"""Pieces every SageMaker real-time endpoint of this project shares (SageMakerEndpoint, SageMakerLlm).

Plain helpers and small resource builders that take the component as parent; children keep the names the
components gave them before this module existed (`<name>-sg`, `<name>-5xx`, `<name>-scaling-target`, ...), so
moving code here changes no URN.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from inferstack.catalog import SAGEMAKER_TYPES, known_sagemaker_types
from inferstack.coldstart import SAGEMAKER_TIMEOUT_RANGE
from inferstack.components import _serving_iam as iam
from inferstack.components._serving_images import ecr_repository_arn

VARIANT = "AllTraffic"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
ENDPOINT_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
TRAFFIC_TYPES = {"all_at_once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}
SAGEMAKER_VPC_SERVICES: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "monitoring", "kms")
"""AWS APIs a SageMaker model or processing job in VPC mode reaches besides S3 (image pull, logs, metrics, the
environment key)."""

AlarmFactory = Callable[..., aws.cloudwatch.MetricAlarm]


class HostingArgs(TypedDict):
    """Args every SageMaker real-time endpoint component takes (SageMakerEndpointArgs, SageMakerLlmArgs)."""

    instance_type: str
    """An `ml.*` type from the instance catalog (`inferstack.catalog`)."""
    region: str
    """Region of the endpoint (image and ARNs)."""
    bucket_name: pulumi.Input[str]
    """Model artifact bucket of the region (receives data capture; for Triton also async results and monitor
    reports)."""
    bucket_arn: pulumi.Input[str]
    """ARN of that bucket."""
    kms_key_arn: pulumi.Input[str]
    """Environment key: endpoint storage, data capture, async outputs, monitor outputs, SNS topics."""
    vpc_id: pulumi.Input[str]
    """VPC of the model's network interfaces."""
    vpc_cidr: str
    """VPC CIDR (egress of the model's security group to the interface endpoints)."""
    s3_prefix_list_id: pulumi.Input[str]
    """Managed prefix list of the VPC's S3 gateway endpoint (`Network.s3_prefix_list_id`): S3 is reached at S3's
    public ranges through the gateway route, never at the VPC CIDR, so the security group must allow it."""
    interface_endpoint_services: NotRequired[Sequence[str]]
    """Services with an interface endpoint in the VPC (`Network.interface_endpoint_services`), reached at the VPC
    CIDR. Default: none, so ECR, CloudWatch Logs/metrics and KMS are reached through the NAT gateway (HTTPS to
    0.0.0.0/0)."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets for the model's interfaces."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic every alarm notifies."""
    endpoint_name: NotRequired[str]
    """Default: the component name. Fixed so the alarms (and their rollback wiring) can name it."""
    max_instances: NotRequired[int]
    """Default: 2. Autoscaling maximum (>= min_instances)."""
    rollout_strategy: NotRequired[Literal["all_at_once", "canary", "linear"]]
    """Default: "all_at_once". Blue/green traffic shifting mode."""
    canary_percent: NotRequired[int]
    """Default: 10. Canary capacity percent (1-50)."""
    linear_step_percent: NotRequired[int]
    """Default: 20. Linear step capacity percent (10-50)."""
    wait_minutes: NotRequired[int]
    """Default: 10. Bake time between shifts (0-60)."""
    termination_wait_minutes: NotRequired[int]
    """Default: 5. How long the blue fleet lingers after the shift (0-60)."""
    off_hours_schedule: NotRequired[bool]
    """Default: False. Cap capacity at min_instances 20:00-07:00 UTC on weekdays (dev)."""
    capture_sampling_percent: NotRequired[int]
    """Default: 10. Percent of requests captured (1-100)."""
    model_download_timeout_seconds: NotRequired[int]
    """Default: 600. `ModelDataDownloadTimeoutInSeconds` (60-3600); the stack derives it from the cold-start budget
    of what the variant downloads (`inferstack.coldstart.sagemaker_timeouts`)."""
    container_startup_timeout_seconds: NotRequired[int]
    """Default: 600. `ContainerStartupHealthCheckTimeoutInSeconds` (60-3600), derived like the download timeout."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


@dataclass(frozen=True)
class Settings:
    """HostingArgs with their defaults resolved and checked."""

    endpoint_name: str
    min_instances: int
    max_instances: int
    strategy: str
    canary_percent: int
    linear_step: int
    wait_minutes: int
    termination_wait: int
    capture: bool
    sampling: int
    download_timeout: int
    startup_timeout: int
    tags: dict[str, str] = field(default_factory=dict)


def settings(where: str, name: str, args: HostingArgs, *, min_instances: int, capture: bool) -> Settings:
    """Resolve and check the shared args (`min_instances` / `capture` come from each component's own keys)."""
    out = Settings(
        endpoint_name=args.get("endpoint_name") or name,
        min_instances=min_instances,
        max_instances=args.get("max_instances", 2),
        strategy=args.get("rollout_strategy", "all_at_once"),
        canary_percent=args.get("canary_percent", 10),
        linear_step=args.get("linear_step_percent", 20),
        wait_minutes=args.get("wait_minutes", 10),
        termination_wait=args.get("termination_wait_minutes", 5),
        capture=capture,
        sampling=args.get("capture_sampling_percent", 10),
        download_timeout=args.get("model_download_timeout_seconds", 600),
        startup_timeout=args.get("container_startup_timeout_seconds", 600),
        tags=dict(args.get("tags") or {}),
    )
    check_common(
        where,
        instance_type=args["instance_type"],
        endpoint_name=out.endpoint_name,
        strategy=out.strategy,
        canary_percent=out.canary_percent,
        linear_step=out.linear_step,
        min_instances=out.min_instances,
        max_instances=out.max_instances,
        sampling=out.sampling,
    )
    check_timeouts(where, out.download_timeout, out.startup_timeout)
    return out


def s3_arn(uri: pulumi.Input[str]) -> pulumi.Output[str]:
    """`s3://bucket/prefix` -> `arn:aws:s3:::bucket/prefix/*`."""
    return pulumi.Output.from_input(uri).apply(lambda u: f"arn:aws:s3:::{u.removeprefix('s3://').rstrip('/')}/*")


def check_common(
    where: str,
    *,
    instance_type: str,
    endpoint_name: str,
    strategy: str,
    canary_percent: int,
    linear_step: int,
    min_instances: int,
    max_instances: int,
    sampling: int,
) -> None:
    """The validation both endpoint components share (instance type, name, rollout, capacity, capture)."""
    if instance_type not in known_sagemaker_types():
        raise ValueError(
            f"{where}: instance_type {instance_type!r} is not in the instance catalog; use one of "
            + ", ".join(sorted(known_sagemaker_types()))
        )
    if not ENDPOINT_NAME_RE.match(endpoint_name):
        raise ValueError(
            f"{where}: endpoint_name {endpoint_name!r} is not a SageMaker endpoint name; use 1-63 letters, "
            "digits and hyphens, starting and ending with a letter or digit"
        )
    if strategy not in TRAFFIC_TYPES:
        raise ValueError(
            f"{where}: rollout_strategy {strategy!r} is not supported; use one of all_at_once, canary, linear"
        )
    if not 1 <= canary_percent <= 50:
        raise ValueError(
            f"{where}: canary_percent={canary_percent} must be between 1 and 50; lower it (the canary fleet "
            "may take at most half the capacity)"
        )
    if not 10 <= linear_step <= 50:
        raise ValueError(f"{where}: linear_step_percent={linear_step} must be between 10 and 50; use e.g. 20")
    if min_instances > max_instances:
        raise ValueError(
            f"{where}: min_instances={min_instances} exceeds max_instances={max_instances}; "
            "raise max_instances or lower min_instances"
        )
    if not 1 <= sampling <= 100:
        raise ValueError(f"{where}: capture_sampling_percent={sampling} must be between 1 and 100")


def check_timeouts(where: str, download_timeout: int, startup_timeout: int) -> None:
    """Both variant timeouts inside SageMaker's allowed range (`inferstack.coldstart.SAGEMAKER_TIMEOUT_RANGE`)."""
    low, high = SAGEMAKER_TIMEOUT_RANGE
    for field_name, seconds in (
        ("model_download_timeout_seconds", download_timeout),
        ("container_startup_timeout_seconds", startup_timeout),
    ):
        if not low <= seconds <= high:
            raise ValueError(
                f"{where}: {field_name}={seconds} is outside SageMaker's {low}-{high} s; "
                "use a value in that range (a model that needs more cannot be served by a SageMaker endpoint)"
            )


def hosting_statements(
    *,
    region: str,
    account: pulumi.Input[str],
    endpoint_name: str,
    key_arn: pulumi.Input[str],
    key_actions: Sequence[str],
    image: str,
) -> list[Any]:
    """Execution-role statements of any hosted model: the environment key, its image, its own log group and
    metrics, and its ENIs in the VPC."""
    return [
        {"Sid": "UseEnvironmentKey", "Effect": "Allow", "Action": list(key_actions), "Resource": [key_arn]},
        *iam.ecr_pull("PullServingImage", ecr_repository_arn(image)),
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            "Resource": [
                pulumi.Output.concat(
                    f"arn:aws:logs:{region}:", account, f":log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
                ),
                pulumi.Output.concat(
                    f"arn:aws:logs:{region}:", account, f":log-group:/aws/sagemaker/Endpoints/{endpoint_name}:*"
                ),
            ],
        },
        iam.statement(
            "OwnMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            {"StringEquals": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints", "AWS/SageMaker"]}},
        ),
        iam.vpc_interfaces(),
    ]


def capture_statement(bucket_arn: pulumi.Input[str], model: str) -> dict[str, Any]:
    """Write captured requests/responses under `data-capture/<model>/`."""
    return {
        "Sid": "WriteDataCapture",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [pulumi.Output.concat(bucket_arn, f"/data-capture/{model}/*")],
    }


def execution_role(
    name: str,
    description: str,
    statements: Sequence[Any],
    account: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """`<name>-exec` (trusted by SageMaker for this account only) with its inline policy `<name>-exec-policy`."""
    role = aws.iam.Role(
        f"{name}-exec",
        assume_role_policy=iam.service_trust("sagemaker.amazonaws.com", account),
        description=description,
        tags=dict(tags),
        opts=opts,
    )
    return role, aws.iam.RolePolicy(f"{name}-exec-policy", role=role.id, policy=iam.policy(statements), opts=opts)


def model_security_group(
    name: str, model: str, args: HostingArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """`<name>-sg`: no inbound; HTTPS egress to S3 (prefix list), the interface endpoints and, for services without
    one, the NAT gateway.

    Egress of the model's (and the monitoring job's) ENIs in VPC mode, all HTTPS (SageMaker Developer Guide,
    host-vpc.html and process-vpc.html, read 2026-12-02: an S3 VPC endpoint for artifacts and capture, and
    ECR, CloudWatch and KMS through interface endpoints or a NAT gateway). S3 behind a gateway endpoint is
    reached at the S3 prefix list, not at the VPC CIDR (issue 12, defect 5)."""
    in_vpc = set(args.get("interface_endpoint_services", ()))
    via_nat = [svc for svc in SAGEMAKER_VPC_SERVICES if svc not in in_vpc]
    egress: list[dict[str, Any]] = [
        {
            "description": "HTTPS to S3 through the gateway endpoint",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "prefix_list_ids": [args["s3_prefix_list_id"]],
        }
    ]
    if in_vpc:
        egress.append(
            {
                "description": "HTTPS to interface endpoints in the VPC",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": [args["vpc_cidr"]],
            }
        )
    if via_nat:
        egress.append(
            {
                "description": f"HTTPS through the NAT gateway to {', '.join(via_nat)} (no interface endpoint)",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": ["0.0.0.0/0"],
            }
        )
    return aws.ec2.SecurityGroup(
        f"{name}-sg",
        description=f"SageMaker model {model}: no inbound, HTTPS to S3 and the AWS APIs it needs",
        vpc_id=args["vpc_id"],
        egress=egress,
        tags={**tags, "Name": f"{name}-sagemaker"},
        opts=opts,
    )


def data_capture_config(sampling: int, destination: pulumi.Input[str], key_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Request and response capture (JSON), encrypted with the environment key."""
    return {
        "enable_capture": True,
        "initial_sampling_percentage": sampling,
        "destination_s3_uri": destination,
        "kms_key_id": key_arn,
        "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
        "capture_content_type_header": {"json_content_types": ["application/json"]},
    }


def alarm_factory(
    name: str, endpoint_name: str, topic: pulumi.Input[str], tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> AlarmFactory:
    """`alarm(role, description, **metric)` -> `<name>-<role>`, notifying `topic` on ALARM and OK."""

    def alarm(role_name: str, description: str, **kw: Any) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{role_name}",
            alarm_description=f"{endpoint_name}: {description}",
            alarm_actions=[topic],
            ok_actions=[topic],
            tags=dict(tags),
            opts=opts,
            **kw,
        )

    return alarm


def endpoint_alarms(
    alarm: AlarmFactory,
    *,
    endpoint_name: str,
    instance_type: str,
    latency_threshold_ms: float,
    latency_description: str,
    gpu_memory_percent: float = 90,
) -> tuple[aws.cloudwatch.MetricAlarm, list[aws.cloudwatch.MetricAlarm]]:
    """5XX, p99 ModelLatency and utilization alarms of the variant; returns (5XX alarm, rollback alarms).

    Metric names: SageMaker Developer Guide, monitoring-cloudwatch.html, "Endpoint invocation metrics"
    (AWS/SageMaker: Invocation5XXErrors, ModelLatency in microseconds) and "Endpoint instance metrics"
    (/aws/sagemaker/Endpoints: CPUUtilization, GPUUtilization, GPUMemoryUtilization, 0-100 per unit), read
    2026-12-02. `gpu_memory_percent`: per-GPU share that counts as too much (an LLM engine preallocates
    most of the memory at start, so its threshold must sit above that share)."""
    spec = SAGEMAKER_TYPES[instance_type]
    dims = {"EndpointName": endpoint_name, "VariantName": VARIANT}
    errors = alarm(
        "5xx",
        "model returns 5XX errors",
        namespace="AWS/SageMaker",
        metric_name="Invocation5XXErrors",
        dimensions=dims,
        statistic="Sum",
        period=60,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
    )
    latency = alarm(
        "latency-p99",
        latency_description,
        namespace="AWS/SageMaker",
        metric_name="ModelLatency",
        dimensions=dims,
        extended_statistic="p99",
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        threshold=int(latency_threshold_ms * 1000),  # ModelLatency is reported in microseconds
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
    )
    rollback = [errors, latency]
    utilization: list[tuple[str, str, int, float]] = [("cpu-utilization", "CPUUtilization", spec.vcpu, 90)]
    if spec.accelerator == "nvidia":
        utilization += [
            ("gpu-utilization", "GPUUtilization", spec.gpus, 90),
            ("gpu-memory-utilization", "GPUMemoryUtilization", spec.gpus, gpu_memory_percent),
        ]
    for role_name, metric, units, percent in utilization:
        created = alarm(
            role_name,
            f"{metric} above {percent:g}% of {units} unit(s) for 15 minutes",
            namespace="/aws/sagemaker/Endpoints",
            metric_name=metric,
            dimensions=dims,
            statistic="Average",
            period=300,
            evaluation_periods=3,
            threshold=percent * units,  # SageMaker reports 0-100 per CPU/GPU
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
        )
        if metric == "GPUMemoryUtilization":
            rollback.append(created)
    return errors, rollback


def blue_green(cfg: Settings, rollback: Sequence[aws.cloudwatch.MetricAlarm]) -> dict[str, Any]:
    """Endpoint `deployment_config`: blue/green traffic shifting whose auto-rollback watches `rollback`."""
    routing: dict[str, Any] = {"type": TRAFFIC_TYPES[cfg.strategy], "wait_interval_in_seconds": cfg.wait_minutes * 60}
    if cfg.strategy == "canary":
        routing["canary_size"] = {"type": "CAPACITY_PERCENT", "value": cfg.canary_percent}
    elif cfg.strategy == "linear":
        routing["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": cfg.linear_step}
    return {
        "blue_green_update_policy": {
            "traffic_routing_configuration": routing,
            "termination_wait_in_seconds": cfg.termination_wait * 60,
        },
        "auto_rollback_configuration": {"alarms": [{"alarm_name": a.name} for a in rollback]},
    }


@dataclass(frozen=True)
class Guarded:
    """What `guarded_endpoint` made."""

    endpoint: aws.sagemaker.Endpoint
    errors: aws.cloudwatch.MetricAlarm
    rollback: list[aws.cloudwatch.MetricAlarm]
    scaling_ids: dict[str, Any]


def guarded_endpoint(
    name: str,
    cfg: Settings,
    *,
    instance_type: str,
    model_name: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    alarm_topic_arn: pulumi.Input[str],
    latency_threshold_ms: float,
    latency_description: str,
    gpu_memory_percent: float = 90,
    variant_extra: Mapping[str, Any] | None = None,
    config_extra: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions,
) -> Guarded:
    """Endpoint configuration (KMS, the variant's timeouts), alarms, the endpoint with blue/green rollout and
    auto-rollback on those alarms, and the variant's scalable target."""
    variant: dict[str, Any] = {
        "variant_name": VARIANT,
        "model_name": model_name,
        "instance_type": instance_type,
        "initial_instance_count": max(cfg.min_instances, 1),
        "model_data_download_timeout_in_seconds": cfg.download_timeout,
        "container_startup_health_check_timeout_in_seconds": cfg.startup_timeout,
        **(variant_extra or {}),
    }
    # No explicit name: every change creates a new, uniquely named configuration before the old one goes.
    config = aws.sagemaker.EndpointConfiguration(
        f"{name}-config",
        production_variants=[variant],
        kms_key_arn=key_arn,
        **(config_extra or {}),
        tags=cfg.tags,
        opts=opts,
    )
    alarm = alarm_factory(name, cfg.endpoint_name, alarm_topic_arn, cfg.tags, opts)
    errors, rollback = endpoint_alarms(
        alarm,
        endpoint_name=cfg.endpoint_name,
        instance_type=instance_type,
        latency_threshold_ms=latency_threshold_ms,
        latency_description=latency_description,
        gpu_memory_percent=gpu_memory_percent,
    )
    endpoint = aws.sagemaker.Endpoint(
        f"{name}-endpoint",
        name=cfg.endpoint_name,
        endpoint_config_name=config.name,
        deployment_config=blue_green(cfg, rollback),
        tags=cfg.tags,
        opts=opts,
    )
    scaling_ids = variant_scaling(
        name, endpoint, min_instances=cfg.min_instances, max_instances=cfg.max_instances, tags=cfg.tags, opts=opts
    )
    return Guarded(endpoint, errors, rollback, scaling_ids)


def variant_scaling(
    name: str,
    endpoint: aws.sagemaker.Endpoint,
    *,
    min_instances: int,
    max_instances: int,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> dict[str, Any]:
    """`<name>-scaling-target` on the variant's instance count; returns the ids a policy needs."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="sagemaker",
        scalable_dimension=SCALABLE_DIMENSION,
        resource_id=endpoint.name.apply(lambda n: f"endpoint/{n}/variant/{VARIANT}"),
        min_capacity=min_instances,
        max_capacity=max_instances,
        tags=dict(tags),
        opts=opts,
    )
    return {
        "service_namespace": target.service_namespace,
        "scalable_dimension": target.scalable_dimension,
        "resource_id": target.resource_id,
    }


def off_hours_schedule(
    name: str, scaling_ids: Mapping[str, Any], *, min_instances: int, max_instances: int, opts: pulumi.ResourceOptions
) -> None:
    """Cap capacity at min_instances 20:00-07:00 UTC on weekdays."""
    for role_name, cron, low, high in (
        ("off-hours", "cron(0 20 ? * MON-FRI *)", min_instances, min_instances),
        ("business-hours", "cron(0 7 ? * MON-FRI *)", min_instances, max_instances),
    ):
        aws.appautoscaling.ScheduledAction(
            f"{name}-{role_name}",
            **scaling_ids,
            schedule=cron,
            timezone="UTC",
            scalable_target_action={"min_capacity": low, "max_capacity": high},
            opts=opts,
        )

"""SageMakerEndpoint: one model on a SageMaker Triton endpoint with deployment guardrails.

Children (all inherit the caller's AWS provider):

- execution role scoped to the model's artifact prefix, the environment key, ECR pull of its image and
  its own log group and metrics; a security group for the model's VPC interfaces;
- `aws.sagemaker.Model` (network isolation, private subnets), an auto-named `EndpointConfiguration`
  (KMS, optional data capture, optional async inference) and the `Endpoint` with a blue/green
  deployment config whose auto-rollback watches the endpoint's own alarms;
- CloudWatch alarms (5XX, p99 ModelLatency vs SLO, GPU/GPU-memory/CPU utilization) to the alert topic;
- Application Auto Scaling: invocations per instance (real-time) or backlog per instance down to zero
  plus a scale-out-from-zero step policy on `HasBacklogWithoutCapacity` (async); off-hours schedule;
- data-quality drift monitoring (`DataQualityJobDefinition` + hourly `MonitoringSchedule`) when capturing.
"""

from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws

from inferstack.artifacts import artifact_key, artifact_prefix
from inferstack.components import _sagemaker_hosting as hosting
from inferstack.components import _serving_iam as iam
from inferstack.components._sagemaker_hosting import (  # re-exported: callers import them from here
    ENDPOINT_NAME_RE,
    SAGEMAKER_VPC_SERVICES,
    SCALABLE_DIMENSION,
    TRAFFIC_TYPES,
    VARIANT,
)
from inferstack.components._sagemaker_hosting import s3_arn as _s3_arn
from inferstack.components._serving_images import ecr_repository_arn, model_monitor_image, sagemaker_triton_image

__all__ = [
    "ENDPOINT_NAME_RE",
    "SAGEMAKER_VPC_SERVICES",
    "SCALABLE_DIMENSION",
    "TRAFFIC_TYPES",
    "VARIANT",
    "SageMakerEndpoint",
    "SageMakerEndpointArgs",
]


class SageMakerEndpointArgs(hosting.HostingArgs):
    """Triton on SageMaker; the shared keys are `HostingArgs`' (components/_sagemaker_hosting.py)."""

    model_name: str
    """Triton model name (`SAGEMAKER_TRITON_DEFAULT_MODEL_NAME`) and artifact prefix `models/<model>/`."""
    model_version: int
    """Version whose archive `models/<model>/<version>/model.tar.gz` the endpoint serves."""
    latency_slo_ms: NotRequired[float | None]
    """p99 ModelLatency objective in ms; required (the latency alarm and rollback need it)."""
    min_instances: NotRequired[int]
    """Default: 1 (0 allowed only for asynchronous endpoints)."""
    asynchronous: NotRequired[bool]
    """Default: False. Asynchronous inference (results in S3, SNS notifications, scale to zero)."""
    async_input_path: NotRequired[pulumi.Input[str] | None]
    """Default: None. s3:// prefix callers upload async requests to (the role may read it)."""
    async_output_path: NotRequired[pulumi.Input[str] | None]
    """Required when asynchronous: s3:// prefix for results."""
    async_failure_path: NotRequired[pulumi.Input[str] | None]
    """Default: `<async_output_path>/failures`."""
    async_max_concurrent_invocations: NotRequired[int]
    """Default: 4. Concurrent async invocations per instance."""
    triton_version: NotRequired[str]
    """Default: "24.09". SageMaker Triton container version."""
    image_uri: NotRequired[str | None]
    """Default: resolved offline with `sagemaker.core.image_uris` for region, version and instance type."""
    invocations_per_instance: NotRequired[int]
    """Default: 70. Target tracking value of `SageMakerVariantInvocationsPerInstance` (per minute)."""
    backlog_per_instance: NotRequired[float]
    """Default: 5. Async target of `ApproximateBacklogSizePerInstance`."""
    data_capture: NotRequired[bool]
    """Default: False. Capture requests/responses (KMS); with `baseline_s3_prefix`, also run hourly data-quality
    drift monitoring against that baseline."""
    baseline_s3_prefix: NotRequired[pulumi.Input[str] | None]
    """Default: None (no drift schedule). s3:// prefix holding `statistics.json` and `constraints.json` of the drift
    baseline (written by `inferstack package publish`)."""
    volume_size_gib: NotRequired[int | None]
    """Default: None (instance-store types such as g4dn/g5/g6 reject a volume size)."""


class SageMakerEndpoint(pulumi.ComponentResource):
    """A SageMaker Triton endpoint with blue/green guardrails, alarms, autoscaling and drift monitoring."""

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    variant_name: str
    execution_role_arn: pulumi.Output[str]
    image_uri: str
    health_alarm_name: pulumi.Output[str]
    rollback_alarm_names: list[pulumi.Output[str]]
    async_output_path: pulumi.Output[str] | None
    success_topic_arn: pulumi.Output[str] | None
    error_topic_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: SageMakerEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:SageMakerEndpoint", name, None, opts)
        where = f"SageMakerEndpoint {name!r}"
        model = args["model_name"]
        region = args["region"]
        instance_type = args["instance_type"]
        asynchronous = args.get("asynchronous", False)
        cfg = hosting.settings(
            where, name, args, min_instances=args.get("min_instances", 1), capture=args.get("data_capture", False)
        )
        endpoint_name, min_instances, max_instances = cfg.endpoint_name, cfg.min_instances, cfg.max_instances
        capture, sampling, tags = cfg.capture, cfg.sampling, cfg.tags
        slo_ms = args.get("latency_slo_ms")
        output_path = args.get("async_output_path")
        if min_instances < (0 if asynchronous else 1):
            raise ValueError(
                f"{where}: min_instances={min_instances} for a real-time endpoint; use >= 1 "
                "(only asynchronous endpoints scale to zero)"
            )
        if asynchronous and not output_path:
            raise ValueError(
                f"{where}: asynchronous endpoints need async_output_path (an s3:// prefix for results); set it, "
                "e.g. s3://<bucket>/async/<model>/output"
            )
        if slo_ms is None or slo_ms <= 0:
            raise ValueError(
                f"{where}: latency_slo_ms={slo_ms!r} but the ModelLatency alarm and auto-rollback need a p99 "
                "objective; set it from the model package's latency_slo.p99_ms"
            )

        child = pulumi.ResourceOptions(parent=self)
        image = args.get("image_uri") or sagemaker_triton_image(
            region, args.get("triton_version", "24.09"), instance_type
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        bucket_arn = args["bucket_arn"]
        key_arn = args["kms_key_arn"]
        capture_uri = pulumi.Output.concat("s3://", args["bucket_name"], f"/data-capture/{model}")
        reports_uri = pulumi.Output.concat("s3://", args["bucket_name"], f"/monitoring/{model}")
        self.image_uri = image
        self.variant_name = VARIANT

        # -- async notification topics ---------------------------------------------------------------------
        success_topic = error_topic = None
        failure_path: pulumi.Output[str] | None = None
        if asynchronous:
            success_topic = aws.sns.Topic(f"{name}-async-success", kms_master_key_id=key_arn, tags=tags, opts=child)
            error_topic = aws.sns.Topic(f"{name}-async-error", kms_master_key_id=key_arn, tags=tags, opts=child)
            given_failure = args.get("async_failure_path")
            failure_path = (
                pulumi.Output.from_input(given_failure)
                if given_failure
                else pulumi.Output.from_input(output_path).apply(lambda p: f"{str(p).rstrip('/')}/failures")
            )

        # -- execution role -------------------------------------------------------------------------------
        prefix = artifact_prefix(model)
        statements: list[Any] = [
            iam.statement(
                "ListArtifactPrefix", ["s3:ListBucket"], [], {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
            )
            | {"Resource": [bucket_arn]},
            {
                "Sid": "ReadModelArtifacts",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [pulumi.Output.concat(bucket_arn, f"/{prefix}*")],
            },
            *hosting.hosting_statements(
                region=region,
                account=account,
                endpoint_name=endpoint_name,
                key_arn=key_arn,
                # GenerateDataKey only when the endpoint writes encrypted objects (data capture, async results).
                key_actions=[
                    "kms:Decrypt",
                    *(["kms:GenerateDataKey"] if capture or asynchronous else []),
                    "kms:DescribeKey",
                ],
                image=image,
            ),
        ]
        if capture:
            statements.append(hosting.capture_statement(bucket_arn, model))
        if asynchronous and output_path and failure_path is not None and success_topic and error_topic:
            statements.append(
                {
                    "Sid": "WriteAsyncResults",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                    "Resource": [_s3_arn(output_path), _s3_arn(failure_path)],
                }
            )
            statements.append(
                {
                    "Sid": "NotifyAsync",
                    "Effect": "Allow",
                    "Action": ["sns:Publish"],
                    "Resource": [success_topic.arn, error_topic.arn],
                }
            )
            input_path = args.get("async_input_path")
            if input_path:
                statements.append(
                    {
                        "Sid": "ReadAsyncRequests",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": [_s3_arn(input_path)],
                    }
                )
        role, role_policy = hosting.execution_role(
            name,
            f"SageMaker endpoint {endpoint_name}: model {model} artifacts, key, image, own logs",
            statements,
            account,
            tags,
            child,
        )
        self.execution_role_arn = role.arn
        sg = hosting.model_security_group(name, model, args, tags, child)

        # -- model, endpoint configuration ------------------------------------------------------------------
        sm_model = aws.sagemaker.Model(
            f"{name}-model",
            execution_role_arn=role.arn,
            enable_network_isolation=True,
            primary_container={
                "image": image,
                "mode": "SingleModel",
                "model_data_url": pulumi.Output.concat(
                    "s3://", args["bucket_name"], "/", artifact_key(model, args["model_version"])
                ),
                "environment": {
                    "SAGEMAKER_TRITON_DEFAULT_MODEL_NAME": model,
                    "SAGEMAKER_TRITON_LOG_VERBOSE": "false",
                },
            },
            vpc_config={"subnets": args["subnet_ids"], "security_group_ids": [sg.id]},
            tags={**tags, "model-version": str(args["model_version"])},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        variant: dict[str, Any] = {}
        if args.get("volume_size_gib"):
            variant["volume_size_in_gb"] = args.get("volume_size_gib")
        config_args: dict[str, Any] = {}
        if capture:
            config_args["data_capture_config"] = hosting.data_capture_config(sampling, capture_uri, key_arn)
        if asynchronous and success_topic is not None and error_topic is not None:
            config_args["async_inference_config"] = {
                "client_config": {
                    "max_concurrent_invocations_per_instance": args.get("async_max_concurrent_invocations", 4)
                },
                "output_config": {
                    "s3_output_path": output_path,
                    "s3_failure_path": failure_path,
                    "kms_key_id": key_arn,
                    "notification_config": {
                        "success_topic": success_topic.arn,
                        "error_topic": error_topic.arn,
                        "include_inference_response_ins": ["SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC"],
                    },
                },
            }
        guarded = hosting.guarded_endpoint(
            name,
            cfg,
            instance_type=instance_type,
            model_name=sm_model.name,
            key_arn=key_arn,
            alarm_topic_arn=args["alarm_topic_arn"],
            latency_threshold_ms=slo_ms,
            latency_description=f"p99 ModelLatency above the {slo_ms:g} ms SLO",
            variant_extra=variant,
            config_extra=config_args,
            opts=child,
        )
        endpoint, errors, rollback, scaling_ids = (
            guarded.endpoint,
            guarded.errors,
            guarded.rollback,
            guarded.scaling_ids,
        )

        # -- autoscaling ------------------------------------------------------------------------------------
        if asynchronous:
            aws.appautoscaling.Policy(
                f"{name}-backlog-tracking",
                policy_type="TargetTrackingScaling",
                **scaling_ids,
                target_tracking_scaling_policy_configuration={
                    "target_value": args.get("backlog_per_instance", 5.0),
                    "customized_metric_specification": {
                        "metric_name": "ApproximateBacklogSizePerInstance",
                        "namespace": "AWS/SageMaker",
                        "dimensions": [{"name": "EndpointName", "value": endpoint.name}],
                        "statistic": "Average",
                    },
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
                opts=child,
            )
            from_zero = aws.appautoscaling.Policy(
                f"{name}-scale-from-zero",
                policy_type="StepScaling",
                **scaling_ids,
                step_scaling_policy_configuration={
                    "adjustment_type": "ChangeInCapacity",
                    "cooldown": 300,
                    "metric_aggregation_type": "Average",
                    "step_adjustments": [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}],
                },
                opts=child,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-backlog-without-capacity",
                alarm_description=f"{endpoint_name}: requests wait while no instance runs; scale out from zero",
                namespace="AWS/SageMaker",
                metric_name="HasBacklogWithoutCapacity",
                dimensions={"EndpointName": endpoint.name},
                statistic="Average",
                period=60,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[from_zero.arn],
                tags=tags,
                opts=child,
            )
        else:
            aws.appautoscaling.Policy(
                f"{name}-invocations-tracking",
                policy_type="TargetTrackingScaling",
                **scaling_ids,
                target_tracking_scaling_policy_configuration={
                    "target_value": args.get("invocations_per_instance", 70),
                    "predefined_metric_specification": {
                        "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                    },
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
                opts=child,
            )
        if args.get("off_hours_schedule", False):
            hosting.off_hours_schedule(
                name, scaling_ids, min_instances=min_instances, max_instances=max_instances, opts=child
            )

        # -- drift: data-quality monitoring on captured traffic -----------------------------------------------
        # Only with a baseline: `inferstack package publish` writes statistics.json / constraints.json under
        # baseline_s3_prefix before the version is registered; without one the job has nothing to compare to.
        if capture and args.get("baseline_s3_prefix"):
            monitor_role = aws.iam.Role(
                f"{name}-monitor",
                assume_role_policy=iam.service_trust("sagemaker.amazonaws.com", account),
                description=f"Data-quality monitoring of {endpoint_name}: read capture, write reports",
                tags=tags,
                opts=child,
            )
            monitor_image = model_monitor_image(region)
            baseline = args.get("baseline_s3_prefix")
            read = [pulumi.Output.concat(bucket_arn, f"/data-capture/{model}/*")]
            if baseline:
                read.append(_s3_arn(baseline))
            monitor_policy = aws.iam.RolePolicy(
                f"{name}-monitor-policy",
                role=monitor_role.id,
                policy=iam.policy(
                    [
                        {"Sid": "ReadCapture", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": read},
                        iam.statement(
                            "ListCapture",
                            ["s3:ListBucket"],
                            [],
                            {"StringLike": {"s3:prefix": [f"data-capture/{model}/*", f"baselines/{model}/*"]}},
                        )
                        | {"Resource": [bucket_arn]},
                        {
                            "Sid": "WriteReports",
                            "Effect": "Allow",
                            "Action": ["s3:PutObject"],
                            "Resource": [pulumi.Output.concat(bucket_arn, f"/monitoring/{model}/*")],
                        },
                        {
                            "Sid": "UseEnvironmentKey",
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": [key_arn],
                        },
                        *iam.ecr_pull("PullMonitorImage", ecr_repository_arn(monitor_image)),
                        {
                            "Sid": "OwnLogs",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [
                                pulumi.Output.concat(
                                    f"arn:aws:logs:{region}:", account, ":log-group:/aws/sagemaker/ProcessingJobs"
                                ),
                                pulumi.Output.concat(
                                    f"arn:aws:logs:{region}:", account, ":log-group:/aws/sagemaker/ProcessingJobs:*"
                                ),
                            ],
                        },
                        iam.statement(
                            "OwnMetrics",
                            ["cloudwatch:PutMetricData"],
                            ["*"],
                            {"StringEquals": {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"}},
                        ),
                        # The job runs in VPC mode (network_config.vpc_config below): SageMaker creates its ENIs as
                        # this role (SageMaker Developer Guide, CreateProcessingJob execution role permissions).
                        iam.vpc_interfaces(),
                    ]
                ),
                opts=child,
            )
            job: dict[str, Any] = {
                "role_arn": monitor_role.arn,
                "data_quality_app_specification": {"image_uri": monitor_image},
                "data_quality_job_input": {
                    "endpoint_input": {
                        "endpoint_name": endpoint.name,
                        "local_path": "/opt/ml/processing/input/endpoint",
                        "s3_data_distribution_type": "FullyReplicated",
                        "s3_input_mode": "File",
                    }
                },
                "data_quality_job_output_config": {
                    "kms_key_id": key_arn,
                    "monitoring_outputs": {
                        "s3_output": {
                            "s3_uri": reports_uri,
                            "local_path": "/opt/ml/processing/output",
                            "s3_upload_mode": "EndOfJob",
                        }
                    },
                },
                "job_resources": {
                    "cluster_config": {
                        "instance_count": 1,
                        "instance_type": "ml.m5.xlarge",
                        "volume_size_in_gb": 20,
                        "volume_kms_key_id": key_arn,
                    }
                },
                "network_config": {
                    "enable_network_isolation": True,
                    "enable_inter_container_traffic_encryption": True,
                    "vpc_config": {"subnets": args["subnet_ids"], "security_group_ids": [sg.id]},
                },
                "stopping_condition": {"max_runtime_in_seconds": 1800},
            }
            if baseline:
                base = pulumi.Output.from_input(baseline).apply(lambda b: str(b).rstrip("/"))
                job["data_quality_baseline_config"] = {
                    "statistics_resource": {"s3_uri": pulumi.Output.concat(base, "/statistics.json")},
                    "constraints_resource": {"s3_uri": pulumi.Output.concat(base, "/constraints.json")},
                }
            job_definition = aws.sagemaker.DataQualityJobDefinition(
                f"{name}-data-quality",
                **job,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[monitor_policy]),
            )
            aws.sagemaker.MonitoringSchedule(
                f"{name}-drift-schedule",
                monitoring_schedule_config={
                    "monitoring_type": "DataQuality",
                    "monitoring_job_definition_name": job_definition.name,
                    "schedule_config": {"schedule_expression": "cron(0 * ? * * *)"},
                },
                tags=tags,
                opts=child,
            )

        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        self.health_alarm_name = errors.name
        self.rollback_alarm_names = [a.name for a in rollback]
        self.async_output_path = pulumi.Output.from_input(output_path) if asynchronous and output_path else None
        self.success_topic_arn = success_topic.arn if success_topic is not None else None
        self.error_topic_arn = error_topic.arn if error_topic is not None else None
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "execution_role_arn": self.execution_role_arn,
                "health_alarm_name": self.health_alarm_name,
                "image_uri": image,
            }
        )

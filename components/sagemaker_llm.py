"""SageMakerLlm: one LLM on a SageMaker real-time endpoint with the Large Model Inference (LMI) container.

The container is AWS's LMI image (DJL-Serving with the vLLM engine, `components/_serving_images.LMI_VERSION`).
What the GPU memory planner decided (`inferstack.llm.planner.LlmPlan`) goes into the container's environment;
LMI turns `OPTION_<KEY>` into `option.<key>` (deepjavalibrary/djl-serving `wlm/.../ModelInfo.java`, snapshot
2026-06-24) and hands the vLLM engine arguments on (`djl_python/properties_manager/vllm_rb_properties.py`):

- `OPTION_TENSOR_PARALLEL_DEGREE` -> vLLM `tensor_parallel_size` (the plan's degree; LMI starts
  GPUs // degree model workers per instance);
- `OPTION_MAX_ROLLING_BATCH_SIZE` -> vLLM `max_num_seqs` (the plan's concurrent sequences);
- `OPTION_MAX_MODEL_LEN`, `OPTION_GPU_MEMORY_UTILIZATION` -> the vLLM engine arguments of the same names
  (pass-through, `serving/docs/lmi/user_guides/vllm_user_guide.md` "Advanced vLLM Configurations");
- no `OPTION_ROLLING_BATCH`: left at `auto`, LMI serves a text-generation model with vLLM in async mode
  (`wlm/.../LmiConfigRecommender.java` `setRollingBatch`: `rolling_batch=disable`, `async_mode=true`); naming
  `vllm` would select the older rolling-batch mode, which the vLLM user guide says is going away;
- `HF_MODEL_ID=/opt/ml/model`: the weights are not fetched by the container. The model's `ModelDataSource` is the
  uncompressed S3 prefix of the Hugging Face directory (`S3DataType=S3Prefix`, `CompressionType=None`), which
  SageMaker copies to `/opt/ml/model` before the container starts, as the execution role (SageMaker Developer
  Guide, large-model-inference-uncompressed.html; LMI `starting-guide.md` "HF_MODEL_ID": set it to
  `/opt/ml/model` with uncompressed artifacts). The container itself keeps network isolation.

Children: execution role that reads exactly the weights prefix (and its key), the same hardening as
SageMakerEndpoint (VPC interfaces, HTTPS egress to the S3 prefix list, KMS, optional data capture), a real-time
endpoint with blue/green rollout and auto-rollback on its alarms, and Application Auto Scaling on
`SageMakerVariantConcurrentRequestsPerModelHighResolution` (concurrent requests per model container).

Scale to zero is not offered: SageMaker scales an endpoint to zero instances only when it hosts inference
components (SageMaker Developer Guide, endpoint-auto-scaling-zero-instances.html, read 2026-12-02), and
pulumi_aws 7.51.1 has no inference-component resource (`aws.sagemaker` lists none; pulumi/pulumi-aws#4940 and
hashicorp/terraform-provider-aws#35226 are open, the provider PR #48894 is unmerged as of 2026-12-02). The
endpoint configuration already takes what the inference-component form needs (`managed_instance_scaling`,
`execution_role_arn`), so the mode can be added when the resource exists.
"""

import math
from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws

from inferstack.catalog import SAGEMAKER_TYPES
from inferstack.components import _sagemaker_hosting as hosting
from inferstack.components import _serving_iam as iam
from inferstack.components._sagemaker_hosting import VARIANT
from inferstack.components._serving_images import LMI_VERSION, inference_ami_for, sagemaker_lmi_image

CONCURRENCY_METRIC = "SageMakerVariantConcurrentRequestsPerModelHighResolution"
"""Predefined target-tracking metric of the variant's `ConcurrentRequestsPerModel` (high resolution): SageMaker
Developer Guide, endpoint-auto-scaling-add-code-define.html, "Specify a high-resolution predefined metric";
the enum value is in botocore 1.44.5 `application-autoscaling` `MetricType` (read 2026-12-02)."""

CONCURRENCY_TARGET_SHARE = 0.75
"""Default scaling target: 75 % of the sequences the instance's workers batch at once, so a new instance is
asked for before requests queue behind a full batch."""

INSTANCE_STORE_FAMILIES = frozenset({"g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en"})
"""ml.* families whose storage is the NVMe instance store, fixed to the instance's capacity; SageMaker takes no
`VolumeSizeInGB` for them (SageMaker API Reference `ResourceConfig.VolumeSizeInGB`: "ML instance families with
the NVMe-type instance storage include ml.p4d, ml.g4dn, and ml.g5"; g6/g6e/p5* carry NVMe instance store per the
EC2 instance type pages; SageMaker Developer Guide host-instance-storage.html, read 2026-12-02). The same rule
is why SageMakerEndpoint sets no volume on g4dn/g5/g6."""

IMAGE_ROOM_GB = 40
"""Room on an EBS model volume besides the weights (the LMI image is ~20 GB compressed, plus logs and caches)."""


class SageMakerLlmArgs(hosting.HostingArgs):
    """An LLM on SageMaker: the plan's engine settings and the weights; the shared keys are `HostingArgs`'."""

    model_name: str
    """LLM package name (tags, log group, data-capture prefix)."""
    model_version: int
    """Package version (tag only: the weights prefix names the version)."""
    weights_uri: str
    """`s3://bucket/prefix/` of the Hugging Face directory (config.json, tokenizer files, *.safetensors)."""
    weights_bytes: int
    """Bytes under `weights_uri` (sizes the EBS volume on types without instance store)."""
    tensor_parallel: int
    """The plan's tensor-parallel degree (GPUs per model worker); must divide the instance's GPUs."""
    max_model_len: int
    """The plan's longest sequence (prompt + output tokens)."""
    max_concurrent_sequences: int
    """The plan's sequences batched at once per worker (vLLM max_num_seqs)."""
    gpu_memory_utilization: float
    """The plan's share of each GPU's memory vLLM may take (0-1]."""
    latency_alarm_ms: float
    """p99 ModelLatency ceiling in ms (a whole generation for non-streaming calls): the stack derives it from the
    package's token SLOs."""
    weights_kms_key_arn: NotRequired[pulumi.Input[str] | None]
    """Key of the weights bucket (SSE-KMS). Default: the environment key."""
    min_instances: NotRequired[int]
    """Default: 1 (a real-time endpoint without inference components cannot scale to zero)."""
    lmi_version: NotRequired[str]
    """Default: `LMI_VERSION`. LMI container version in the SDK's `djl-lmi` table."""
    image_uri: NotRequired[str | None]
    """Default: resolved offline for region and `lmi_version`."""
    concurrent_requests_target: NotRequired[float | None]
    """Default: 75 % of workers x max_concurrent_sequences. Target of ConcurrentRequestsPerModel per instance."""
    data_capture: NotRequired[bool]
    """Default: False."""


def lmi_environment(
    *, tensor_parallel: int, max_model_len: int, max_concurrent_sequences: int, gpu_memory_utilization: float
) -> dict[str, str]:
    """The LMI container environment a plan fixes (names: see the module docstring)."""
    return {
        "HF_MODEL_ID": "/opt/ml/model",
        "OPTION_TENSOR_PARALLEL_DEGREE": str(tensor_parallel),
        "OPTION_MAX_ROLLING_BATCH_SIZE": str(max_concurrent_sequences),
        "OPTION_MAX_MODEL_LEN": str(max_model_len),
        "OPTION_GPU_MEMORY_UTILIZATION": f"{gpu_memory_utilization:g}",
    }


def model_volume_gb(instance_type: str, weights_bytes: int) -> int | None:
    """EBS model volume of a variant: None on instance-store families, else weights x 1.25 + room for the image."""
    family = instance_type.removeprefix("ml.").split(".", 1)[0]
    if family in INSTANCE_STORE_FAMILIES:
        return None
    return math.ceil(weights_bytes / 1e9 * 1.25) + IMAGE_ROOM_GB


class SageMakerLlm(pulumi.ComponentResource):
    """An LLM on a SageMaker real-time endpoint (LMI/vLLM) with plan-derived engine settings and guardrails."""

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    variant_name: str
    execution_role_arn: pulumi.Output[str]
    image_uri: str
    environment: dict[str, str]
    workers_per_instance: int
    health_alarm_name: pulumi.Output[str]
    rollback_alarm_names: list[pulumi.Output[str]]

    def __init__(self, name: str, args: SageMakerLlmArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:SageMakerLlm", name, None, opts)
        where = f"SageMakerLlm {name!r}"
        model = args["model_name"]
        region = args["region"]
        instance_type = args["instance_type"]
        tp = args["tensor_parallel"]
        util = args["gpu_memory_utilization"]
        weights_uri = args["weights_uri"]
        latency_ms = args["latency_alarm_ms"]
        cfg = hosting.settings(
            where, name, args, min_instances=args.get("min_instances", 1), capture=args.get("data_capture", False)
        )
        endpoint_name, min_instances, max_instances = cfg.endpoint_name, cfg.min_instances, cfg.max_instances
        capture, sampling, tags = cfg.capture, cfg.sampling, cfg.tags
        spec = SAGEMAKER_TYPES[instance_type]
        if spec.accelerator != "nvidia" or spec.gpus < 1:
            raise ValueError(
                f"{where}: instance_type {instance_type} has no NVIDIA GPU; the LMI vLLM container needs one "
                "(use e.g. ml.g6e.xlarge)"
            )
        if tp < 1 or spec.gpus % tp:
            raise ValueError(
                f"{where}: tensor_parallel={tp} does not divide the {spec.gpus} GPU(s) of {instance_type}; use the "
                "plan's degree (inferstack.llm.planner) or an instance type whose GPU count it divides"
            )
        if min_instances < 1:
            raise ValueError(
                f"{where}: min_instances={min_instances}; a SageMaker real-time endpoint keeps >= 1 instance. Scale "
                "to zero needs inference components, which pulumi_aws 7.51.1 cannot create; set instances.min: 1"
            )
        if not 0 < util <= 1:
            raise ValueError(f"{where}: gpu_memory_utilization={util} must be in (0, 1]; vLLM's default is 0.9")
        weights_dir = iam.s3_directory(weights_uri)
        if weights_dir is None:
            raise ValueError(
                f"{where}: weights_uri {weights_uri!r} must be an s3://bucket/prefix/ ending in '/' (SageMaker's "
                "S3Prefix model data source takes every object under the prefix)"
            )
        if latency_ms <= 0:
            raise ValueError(f"{where}: latency_alarm_ms={latency_ms} must be > 0 (the ModelLatency alarm needs it)")

        child = pulumi.ResourceOptions(parent=self)
        image = args.get("image_uri") or sagemaker_lmi_image(region, args.get("lmi_version", LMI_VERSION))
        ami = inference_ami_for(image)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        key_arn = args["kms_key_arn"]
        weights_key = args.get("weights_kms_key_arn") or key_arn
        weights_bucket, weights_prefix = weights_dir
        self.image_uri = image
        self.variant_name = VARIANT
        self.workers_per_instance = spec.gpus // tp
        self.environment = lmi_environment(
            tensor_parallel=tp,
            max_model_len=args["max_model_len"],
            max_concurrent_sequences=args["max_concurrent_sequences"],
            gpu_memory_utilization=util,
        )

        # -- execution role: exactly the weights prefix, the keys, the image, own logs/metrics ----------------
        statements: list[Any] = [
            iam.statement(
                "ListWeightsPrefix",
                ["s3:ListBucket"],
                [f"arn:aws:s3:::{weights_bucket}"],
                {"StringLike": {"s3:prefix": [weights_prefix, f"{weights_prefix}*"]}},
            ),
            iam.statement("ReadWeights", ["s3:GetObject"], [f"arn:aws:s3:::{weights_bucket}/{weights_prefix}*"]),
            *hosting.hosting_statements(
                region=region,
                account=account,
                endpoint_name=endpoint_name,
                key_arn=key_arn,
                key_actions=["kms:Decrypt", *(["kms:GenerateDataKey"] if capture else []), "kms:DescribeKey"],
                image=image,
            ),
        ]
        if args.get("weights_kms_key_arn"):
            statements.append(
                {"Sid": "DecryptWeights", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [weights_key]}
            )
        if capture:
            statements.append(hosting.capture_statement(args["bucket_arn"], model))
        role, role_policy = hosting.execution_role(
            name,
            f"SageMaker LLM endpoint {endpoint_name}: weights {weights_uri}, key, image, own logs",
            statements,
            account,
            tags,
            child,
        )
        self.execution_role_arn = role.arn
        sg = hosting.model_security_group(name, model, args, tags, child)

        # -- model, endpoint configuration ------------------------------------------------------------------
        # Typed so a misspelt key fails mypy: pulumi_aws passes unknown nested keys through untranslated (the
        # provider's block is `s3_data_sources`, a list of one, for the API's single `S3DataSource`).
        container: aws.sagemaker.ModelPrimaryContainerArgsDict = {
            "image": image,
            "mode": "SingleModel",
            "model_data_source": {
                "s3_data_sources": [{"s3_uri": weights_uri, "s3_data_type": "S3Prefix", "compression_type": "None"}]
            },
            "environment": self.environment,
        }
        sm_model = aws.sagemaker.Model(
            f"{name}-model",
            execution_role_arn=role.arn,
            enable_network_isolation=True,
            primary_container=container,
            vpc_config={"subnets": args["subnet_ids"], "security_group_ids": [sg.id]},
            tags={**tags, "model-version": str(args["model_version"])},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        variant: dict[str, Any] = {}
        if ami:
            variant["inference_ami_version"] = ami
        volume = model_volume_gb(instance_type, args["weights_bytes"])
        if volume is not None:
            variant["volume_size_in_gb"] = volume
        config_extra: dict[str, Any] = {}
        if capture:
            config_extra["data_capture_config"] = hosting.data_capture_config(
                sampling, pulumi.Output.concat("s3://", args["bucket_name"], f"/data-capture/{model}"), key_arn
            )
        # vLLM takes gpu_memory_utilization of each GPU at start (weights + KV cache pool), so GPU memory sits
        # there while healthy: the alarm fires only above halfway between that share and 100 %.
        guarded = hosting.guarded_endpoint(
            name,
            cfg,
            instance_type=instance_type,
            model_name=sm_model.name,
            key_arn=key_arn,
            alarm_topic_arn=args["alarm_topic_arn"],
            latency_threshold_ms=latency_ms,
            latency_description=f"p99 ModelLatency above {latency_ms:g} ms (token SLOs x expected output)",
            gpu_memory_percent=round(100 * (util + (1 - util) / 2), 1),
            variant_extra=variant,
            config_extra=config_extra,
            opts=child,
        )
        endpoint, scaling_ids = guarded.endpoint, guarded.scaling_ids

        # -- autoscaling on concurrent requests per model container -----------------------------------------
        target_value = args.get("concurrent_requests_target") or max(
            1.0, math.floor(CONCURRENCY_TARGET_SHARE * self.workers_per_instance * args["max_concurrent_sequences"])
        )
        aws.appautoscaling.Policy(
            f"{name}-concurrency-tracking",
            policy_type="TargetTrackingScaling",
            **scaling_ids,
            target_tracking_scaling_policy_configuration={
                "target_value": target_value,
                "predefined_metric_specification": {"predefined_metric_type": CONCURRENCY_METRIC},
                # A new LLM instance takes the whole cold start: scale in slowly so it is not given back at once.
                "scale_in_cooldown": 600,
                "scale_out_cooldown": 120,
            },
            opts=child,
        )
        if args.get("off_hours_schedule", False):
            hosting.off_hours_schedule(
                name, scaling_ids, min_instances=min_instances, max_instances=max_instances, opts=child
            )

        self.endpoint_name = endpoint.name
        self.endpoint_arn = endpoint.arn
        self.health_alarm_name = guarded.errors.name
        self.rollback_alarm_names = [a.name for a in guarded.rollback]
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "execution_role_arn": self.execution_role_arn,
                "health_alarm_name": self.health_alarm_name,
                "image_uri": image,
            }
        )


__all__ = ["CONCURRENCY_METRIC", "SageMakerLlm", "SageMakerLlmArgs", "lmi_environment", "model_volume_gb"]

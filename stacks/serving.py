"""Stack wiring for the serving components (environment config -> component args).

One component per deployment in every region of the environment: `TritonService` for `triton-eks`,
`LlmService` for `vllm-eks` (sized by the GPU memory planner), `SageMakerEndpoint` for `sagemaker` and
`sagemaker-async`, `SageMakerLlm` for `sagemaker-llm`. Triton's and vLLM's entry points (their internal ALBs) are
recorded here; SageMaker entry points come from the API front door (stacks/edge.build_api). The vLLM entry point
stays private (VPC clients): API Gateway's 29-30 s integration timeout and buffered responses do not fit streamed
generations.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from inferstack import coldstart, coldstart_checks
from inferstack.artifacts import baseline_prefix
from inferstack.capacity import group_pod_size
from inferstack.catalog import EC2_TYPES
from inferstack.components._eks_serving import EksServing
from inferstack.components._sagemaker_hosting import HostingArgs
from inferstack.components.llm_service import LlmService
from inferstack.components.sagemaker_endpoint import SageMakerEndpoint
from inferstack.components.sagemaker_llm import SageMakerLlm
from inferstack.components.triton_service import GPU_CLASS_LABEL, NODE_GROUP_LABEL, TritonService
from inferstack.config.environment import Deployment
from inferstack.config.llm_package import LlmPackage
from inferstack.config.model_package import ModelPackage
from inferstack.llm.planner import LlmPlan, PlanError, plan_for_deployment
from stacks.context import AlertingOutputs, EntryPoint, PlatformOutputs, RegionStack, RegistryOutputs, StackContext


def _inputs(rs: RegionStack) -> tuple[PlatformOutputs, RegistryOutputs, AlertingOutputs]:
    missing = [
        what
        for what, value in (
            ("platform (stacks/platform.build)", rs.platform),
            ("registry (stacks/registry.build)", rs.registry),
            ("alerting (stacks/observability.build_alerting)", rs.alerting),
        )
        if value is None
    ]
    if missing:
        raise ValueError(
            f"serving in {rs.region}: {', '.join(missing)} not built yet; run those modules before serving.build"
        )
    assert rs.platform is not None and rs.registry is not None and rs.alerting is not None
    return rs.platform, rs.registry, rs.alerting


def cold_start(ctx: StackContext, d: Deployment) -> coldstart.ColdStart:
    """The cold-start budget of one deployment (same in every region)."""
    return coldstart_checks.budget(ctx.root, ctx.packages[d.model], d)


class _Exposure(TypedDict):
    domain_name: str
    zone_id: pulumi.Output[str]
    deletion_protection: bool
    k8s_depends_on: list[Any]
    tags: dict[str, str]


def _exposure_args(ctx: StackContext, rs: RegionStack, d: Deployment, platform: PlatformOutputs) -> _Exposure:
    """What TritonService and LlmService both take for their internal ALB and the cluster (EksServiceArgs' names)."""
    return {
        "domain_name": f"{d.model}.{ctx.env.name}.{ctx.env.dns.zone}",
        "zone_id": aws.route53.get_zone_output(
            name=ctx.env.dns.zone, private_zone=False, opts=pulumi.InvokeOutputOptions(provider=rs.provider)
        ).zone_id,
        "deletion_protection": ctx.env.name == "prod",
        "k8s_depends_on": [c for c in (platform.components.get("addons"),) if c is not None],
        "tags": {**ctx.tags, "model": d.model},
    }


def _eks_entry_point(d: Deployment, service: EksServing) -> EntryPoint:
    """An EKS serving component's internal ALB as the deployment's (private) entry point in one region."""
    return EntryPoint(
        model=d.model,
        target=d.target,
        dns_name=service.alb_dns_name,
        zone_id=service.alb_zone_id,
        public=False,
        health_path=service.health_path,
        health_alarm_name=service.health_alarm_name,
        extra={
            "load_balancer_arn_suffix": service.alb_arn_suffix,
            "target_group_arn_suffix": service.stable_target_group_arn_suffix,
            "namespace": service.namespace,
        },
    )


def _triton_package(ctx: StackContext, d: Deployment) -> ModelPackage:
    package = ctx.packages[d.model]
    if not isinstance(package, ModelPackage):
        raise ValueError(f"deployment {d.model}: target {d.target} serves Triton packages, {d.model} is kind: llm")
    return package


class _Workload(TypedDict):
    region: str
    kms_key_arn: Any
    oidc_provider_arn: Any
    oidc_issuer_url: Any
    k8s_provider: Any
    vpc_id: Any
    vpc_cidr: str
    pod_security_group_id: Any
    subnet_ids: Any
    gpu_class: str
    node_group: str | None
    alarm_topic_arn: Any


def _eks_workload_args(rs: RegionStack, platform: Any, alerting: Any, group_cfg: Any) -> _Workload:
    """The cluster, network, identity and alerting args every EKS serving component (Triton, vLLM) takes, and the
    GPU node group it is scheduled on (its labels, else the smallest instance type's GPU class)."""
    group = platform.gpu_node_groups.get(group_cfg.name)
    labels: dict[str, str] = dict(getattr(group, "labels", None) or {})
    smallest = min((EC2_TYPES[t] for t in group_cfg.instance_types), key=lambda s: s.vcpu)
    return {
        "region": rs.region,
        "kms_key_arn": platform.key_arn,
        "oidc_provider_arn": platform.oidc_provider_arn,
        "oidc_issuer_url": platform.oidc_issuer_url,
        "k8s_provider": platform.k8s_provider,
        "vpc_id": platform.vpc_id,
        "vpc_cidr": platform.vpc_cidr,
        "pod_security_group_id": platform.cluster_security_group_id,
        "subnet_ids": platform.private_subnet_ids,
        "gpu_class": labels.get(GPU_CLASS_LABEL) or str(smallest.gpu_class),
        "node_group": labels.get(NODE_GROUP_LABEL),
        "alarm_topic_arn": alerting.topic_arn,
    }


def _triton(ctx: StackContext, rs: RegionStack, d: Deployment) -> None:
    platform, registry, alerting = _inputs(rs)
    assert d.replicas is not None and d.gpu_node_group is not None
    group_cfg = next(g for g in ctx.env.cluster.gpu_node_groups if g.name == d.gpu_node_group)
    # Requests = the replica's GPU share of allocatable CPU/memory on every type of its group (inferstack/capacity.py).
    pod = group_pod_size(ctx.env, group_cfg, d.gpus_per_replica)
    if pod is None:
        raise ValueError(
            f"deployment {d.model}: gpus_per_replica={d.gpus_per_replica} does not fit gpu_node_group "
            f"{group_cfg.name!r}"
        )
    package = _triton_package(ctx, d)
    budget = cold_start(ctx, d)
    scratch = coldstart.scratch_gib(budget.download_bytes)
    period, threshold = coldstart.startup_probe(budget)
    pods = coldstart_checks.pods_per_node(ctx.env, d)
    disk_problem = coldstart_checks.node_disk_problem(group_cfg.name, group_cfg.disk_size_gib, scratch, pods, d.model)
    if disk_problem:
        raise ValueError(disk_problem)
    service = TritonService(
        f"triton-{d.model}{rs.suffix}",
        {
            "model_name": d.model,
            "model_version": d.version,
            "image": ctx.env.serving.triton_image,
            "bucket_name": registry.bucket_name,
            "bucket_arn": registry.bucket_arn,
            **_eks_workload_args(rs, platform, alerting, group_cfg),
            "latency_slo_ms": package.latency_slo.p99_ms,
            "min_replicas": d.replicas.min,
            "max_replicas": d.replicas.max,
            "gpus_per_replica": d.gpus_per_replica,
            "cpu": pod.cpu,
            "memory": pod.memory,
            "queue_time_target_us": d.autoscaling.queue_time_us,
            "startup_period_seconds": period,
            "startup_failure_threshold": threshold,
            "scratch_gib": scratch,
            "image_pull_seconds": budget.total_seconds - budget.startup_seconds,
            "canary_version": d.rollout.canary_version if d.rollout.strategy == "canary" else None,
            "canary_percent": d.rollout.canary_percent,
            **_exposure_args(ctx, rs, d, platform),
        },
        opts=rs.opts(),
    )
    rs.triton[d.model] = service
    rs.entry_points[d.model] = _eks_entry_point(d, service)


def llm_cold_start(ctx: StackContext, d: Deployment) -> coldstart.ColdStart:
    """The cold-start budget of a vllm-eks replica: image pull, the weights streamed from S3, engine start."""
    weights = ctx.llm_packages[d.model].weight_bytes(ctx.root / "model_packages" / d.model)
    return coldstart.llm_cold_start(weights_bytes=weights, load_format="runai_streamer")


def _vllm(ctx: StackContext, rs: RegionStack, d: Deployment) -> None:
    platform, _registry, alerting = _inputs(rs)
    assert d.replicas is not None and d.gpu_node_group is not None
    package = ctx.llm_packages[d.model]
    if d.rollout.canary_version is not None:
        # LlmService runs canaries (canary_version + canary_weights_uri), but an LLM package pins one version's
        # weights_uri, so the environment cannot name the canary's weights yet.
        raise ValueError(
            f"deployment {d.model}: rollout.canary_version={d.rollout.canary_version} is not supported on vllm-eks "
            "(the LLM package pins one weights_uri); remove canary_version and roll out by bumping version"
        )
    group_cfg = next(g for g in ctx.env.cluster.gpu_node_groups if g.name == d.gpu_node_group)
    plan = llm_plan(ctx, d)
    # Requests = the replica's share (tensor_parallel GPUs) of allocatable CPU/memory on every type of its group.
    pod = group_pod_size(ctx.env, group_cfg, plan.tensor_parallel)
    if pod is None:
        raise ValueError(
            f"deployment {d.model}: tensor parallel {plan.tensor_parallel} (the GPUs of one replica) does not fit "
            f"gpu_node_group {group_cfg.name!r}"
        )
    if package.slo is None:
        raise ValueError(
            f"deployment {d.model}: model_packages/{d.model}/model.yaml has no slo; the vLLM alerts and canary gates "
            "need one: add slo: {time_to_first_token_p95_ms: N, inter_token_latency_p95_ms: M}"
        )
    budget = llm_cold_start(ctx, d)
    period, threshold = coldstart.startup_probe(budget)
    service = LlmService(
        f"vllm-{d.model}{rs.suffix}",
        {
            "model_name": d.model,
            "model_version": d.version,
            "weights_uri": package.weights_uri,
            "image": ctx.env.serving.vllm_image,
            **_eks_workload_args(rs, platform, alerting, group_cfg),
            "tensor_parallel": plan.tensor_parallel,
            "max_model_len": plan.max_model_len,
            "max_num_seqs": plan.max_num_seqs,
            "gpu_memory_utilization": plan.gpu_memory_utilization,
            "kv_cache_dtype": plan.kv_cache_dtype,
            "shm_size_gib": plan.shm_size_gib,
            "ttft_slo_ms": package.slo.time_to_first_token_p95_ms,
            "itl_slo_ms": package.slo.inter_token_latency_p95_ms,
            "min_replicas": d.replicas.min,
            "max_replicas": d.replicas.max,
            "cpu": pod.cpu,
            "memory": pod.memory,
            "streamer_concurrency": coldstart.STREAMER_CONCURRENCY,
            "startup_period_seconds": period,
            "startup_failure_threshold": threshold,
            "image_pull_seconds": budget.total_seconds - budget.startup_seconds,
            **_exposure_args(ctx, rs, d, platform),
        },
        opts=rs.opts(),
    )
    rs.llm[d.model] = service
    rs.entry_points[d.model] = _eks_entry_point(d, service)


def _hosting_args(ctx: StackContext, rs: RegionStack, d: Deployment) -> HostingArgs:
    """What every SageMaker endpoint component of a deployment takes: network, key, bucket, alarms, capacity,
    rollout, capture, and the variant timeouts from the deployment's cold-start budget."""
    platform, registry, alerting = _inputs(rs)
    assert d.instances is not None and d.instance_type is not None
    llm = d.target == "sagemaker-llm"
    try:
        download_timeout, startup_timeout = coldstart.sagemaker_timeouts(
            cold_start(ctx, d), eks_target="vllm-eks" if llm else "triton-eks"
        )
    except coldstart.ColdStartError as exc:
        raise ValueError(f"deployment {d.model}: {exc}") from None
    network = platform.components["network"]
    return {
        "instance_type": d.instance_type,
        "region": rs.region,
        "endpoint_name": f"{ctx.env.name}-{d.model}",
        "bucket_name": registry.bucket_name,
        "bucket_arn": registry.bucket_arn,
        "kms_key_arn": platform.key_arn,
        "vpc_id": platform.vpc_id,
        "vpc_cidr": platform.vpc_cidr,
        "s3_prefix_list_id": network.s3_prefix_list_id,
        "interface_endpoint_services": network.interface_endpoint_services,
        "subnet_ids": platform.private_subnet_ids,
        "alarm_topic_arn": alerting.topic_arn,
        "max_instances": d.instances.max,
        "rollout_strategy": d.rollout.strategy,
        "canary_percent": d.rollout.canary_percent,
        "linear_step_percent": d.rollout.linear_step_percent,
        "wait_minutes": d.rollout.wait_minutes,
        "termination_wait_minutes": d.rollout.termination_wait_minutes,
        "off_hours_schedule": d.autoscaling.off_hours_schedule,
        "model_download_timeout_seconds": download_timeout,
        "container_startup_timeout_seconds": startup_timeout,
        "capture_sampling_percent": d.data_capture.sampling_percent,
        "tags": {**ctx.tags, "model": d.model},
    }


def _sagemaker(ctx: StackContext, rs: RegionStack, d: Deployment) -> None:
    _, registry, _ = _inputs(rs)
    assert d.instances is not None
    package = _triton_package(ctx, d)
    asynchronous = d.target == "sagemaker-async"
    bucket = registry.bucket_name
    endpoint = SageMakerEndpoint(
        f"sm-{d.model}{rs.suffix}",
        {
            **_hosting_args(ctx, rs, d),
            "model_name": d.model,
            "model_version": d.version,
            "latency_slo_ms": package.latency_slo.p99_ms,
            "min_instances": d.instances.min,
            "asynchronous": asynchronous,
            "async_input_path": pulumi.Output.concat("s3://", bucket, f"/async/{d.model}/input")
            if asynchronous
            else None,
            "async_output_path": pulumi.Output.concat("s3://", bucket, f"/async/{d.model}/output")
            if asynchronous
            else None,
            "async_failure_path": pulumi.Output.concat("s3://", bucket, f"/async/{d.model}/failures")
            if asynchronous
            else None,
            "async_max_concurrent_invocations": d.async_inference.max_concurrent_invocations,
            "triton_version": ctx.env.serving.sagemaker_triton_version,
            "invocations_per_instance": d.autoscaling.invocations_per_instance,
            "backlog_per_instance": d.autoscaling.backlog_per_instance,
            "data_capture": d.data_capture.enabled,
            "baseline_s3_prefix": pulumi.Output.concat("s3://", bucket, "/", baseline_prefix(d.model, d.version))
            if package.drift_baseline
            else None,
        },
        opts=rs.opts(),
    )
    rs.sagemaker[d.model] = endpoint


# -- sagemaker-llm (issue 16) ------------------------------------------------------------------------------

EXPECTED_OUTPUT_TOKENS = 256
"""Output tokens of a typical request, for the ModelLatency alarm of an LLM endpoint: a non-streaming call's
ModelLatency is its whole generation, so the ceiling is TTFT p95 + this many tokens at the ITL p95 objective
(1,500 ms + 256 x 100 ms = 27.1 s for the 8B package, under the API front door's 29 s integration timeout)."""


def _llm_package(ctx: StackContext, d: Deployment) -> LlmPackage:
    package = ctx.packages[d.model]
    if not isinstance(package, LlmPackage):
        raise ValueError(f"deployment {d.model}: target {d.target} serves LLM packages (kind: llm)")
    return package


def llm_plan(ctx: StackContext, d: Deployment) -> LlmPlan:
    """The GPU memory plan of an LLM deployment (same in every region); ValueError with the planner's arithmetic."""
    try:
        return plan_for_deployment(ctx.env, d, _llm_package(ctx, d), package_dir=ctx.root / "model_packages" / d.model)
    except PlanError as exc:
        raise ValueError(f"deployment {d.model}: {exc}") from None


def llm_latency_alarm_ms(package: LlmPackage) -> float:
    if package.slo is None:
        raise ValueError(
            f"model package {package.name}: target sagemaker-llm alarms and rolls back on ModelLatency, which needs "
            "the package's slo (time_to_first_token_p95_ms, inter_token_latency_p95_ms); add them to its model.yaml"
        )
    return package.slo.time_to_first_token_p95_ms + EXPECTED_OUTPUT_TOKENS * package.slo.inter_token_latency_p95_ms


def _sagemaker_llm(ctx: StackContext, rs: RegionStack, d: Deployment) -> None:
    assert d.instances is not None
    package = _llm_package(ctx, d)
    plan = llm_plan(ctx, d)
    endpoint = SageMakerLlm(
        f"sm-{d.model}{rs.suffix}",
        {
            **_hosting_args(ctx, rs, d),
            "model_name": d.model,
            "model_version": d.version,
            "weights_uri": package.weights_uri,
            "weights_bytes": package.weight_bytes(ctx.root / "model_packages" / d.model),
            "tensor_parallel": plan.tensor_parallel,
            "max_model_len": plan.max_model_len,
            "max_concurrent_sequences": plan.max_num_seqs,
            "gpu_memory_utilization": plan.gpu_memory_utilization,
            "latency_alarm_ms": llm_latency_alarm_ms(package),
            "min_instances": d.instances.min,
            "data_capture": d.data_capture.enabled,
        },
        opts=rs.opts(),
    )
    rs.sagemaker[d.model] = endpoint


# -- end sagemaker-llm


def build(ctx: StackContext, rs: RegionStack) -> None:
    """One serving component per deployment in this region."""
    for d in ctx.env.deployments:
        if d.target == "triton-eks":
            _triton(ctx, rs, d)
        elif d.target == "vllm-eks":
            _vllm(ctx, rs, d)
        elif d.target == "sagemaker-llm":
            _sagemaker_llm(ctx, rs, d)
        elif d.target in ("sagemaker", "sagemaker-async"):
            _sagemaker(ctx, rs, d)
    if rs.is_primary:
        # Printed by `inferstack preview` like the failover budget: the arithmetic behind probes and timeouts.
        budgets = ("triton-eks", "vllm-eks", "sagemaker", "sagemaker-async", "sagemaker-llm")
        pulumi.export(
            "cold_start", {d.model: _cold_start_output(ctx, d) for d in ctx.env.deployments if d.target in budgets}
        )


def _cold_start_output(ctx: StackContext, d: Deployment) -> dict[str, object]:
    if d.target == "vllm-eks":
        llm_budget = llm_cold_start(ctx, d)
        period, threshold = coldstart.startup_probe(llm_budget)
        plan = llm_plan(ctx, d)
        return {
            "target": d.target,
            **llm_budget.to_json(),
            "startup_probe": f"{threshold} x {period}s = {threshold * period}s",
            "tensor_parallel": plan.tensor_parallel,
            "instance_type": plan.instance_type,
            "gpu_memory_plan": plan.arithmetic,
        }
    budget = cold_start(ctx, d)
    out: dict[str, object] = {"target": d.target, **budget.to_json()}
    if d.target == "triton-eks":
        period, threshold = coldstart.startup_probe(budget)
        out["startup_probe"] = f"{threshold} x {period}s = {threshold * period}s"
        out["scratch_gib"] = coldstart.scratch_gib(budget.download_bytes)
    else:
        llm = d.target == "sagemaker-llm"
        download, startup = coldstart.sagemaker_timeouts(budget, eks_target="vllm-eks" if llm else "triton-eks")
        out["formula"] = coldstart.sagemaker_text(budget, what="weights (S3 prefix)" if llm else "archive")
        out["model_data_download_timeout_seconds"] = download
        out["container_startup_health_check_timeout_seconds"] = startup
        if llm:
            plan = llm_plan(ctx, d)
            out["plan"] = {
                "instance_type": plan.instance_type,
                "tensor_parallel": plan.tensor_parallel,
                "max_model_len": plan.max_model_len,
                "max_num_seqs": plan.max_num_seqs,
                "gpu_memory_utilization": plan.gpu_memory_utilization,
                "required_gib": round(plan.required_gib, 2),
                "available_gib": round(plan.available_gib, 2),
                "kv_capacity_tokens": plan.kv_capacity_tokens,
                "arithmetic": plan.arithmetic,
            }
    return out

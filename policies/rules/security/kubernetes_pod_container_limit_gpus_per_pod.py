"""A pod asks for at most the environment's GPU cap (ML/GPU cost-and-blast-radius rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    GPU_RESOURCE,
    WORKLOAD_TYPES,
    RuleMeta,
    effective_config,
    fmt_num,
    get,
    gpu_quantity,
    items,
    parse_quantity,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(
    pack="security",
    levels="AMM",
    resource_types=WORKLOAD_TYPES,
    defaults={"dev": {"max_gpus_per_pod": 1}, "staging": {"max_gpus_per_pod": 4}, "prod": {"max_gpus_per_pod": 8}},
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    cap = int(effective_config(args, POLICY.config_schema, META)["max_gpus_per_pod"])
    total = 0.0
    for c in items(get(pod_spec(args.resource_type, args.props), "containers")):
        value = parse_quantity(gpu_quantity(c, "limits"))
        total += value or 0.0
    if total > cap:
        report_violation(
            f"{workload_name(args)} asks for {fmt_num(total)} {GPU_RESOURCE} per pod, above this environment's cap "
            f"of {cap}; lower gpus_per_replica or raise max_gpus_per_pod in policies.config",
            None,
        )


POLICY = resource_policy(
    name="kubernetes-pod-container-limit-gpus-per-pod",
    description="Pods request no more GPUs than the environment allows per pod.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Lower deployments[].gpus_per_replica, or raise the cap in the environment's policies.config.",
    validate=validate,
    config={"max_gpus_per_pod": {"type": "integer", "minimum": 1, "default": 8}},
)

"""GPU pods tolerate the GPU taint and select GPU nodes (ML/GPU rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    GPU_RESOURCE,
    WORKLOAD_TYPES,
    RuleMeta,
    get,
    is_gpu_pod,
    items,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    spec = pod_spec(args.resource_type, args.props)
    if not is_gpu_pod(spec):
        return
    missing = []
    if not any(get(t, "key") == GPU_RESOURCE for t in items(get(spec, "tolerations"))):
        missing.append(f"a toleration for the {GPU_RESOURCE} taint")
    affinity = get(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    if not get(spec, "nodeSelector") and affinity is None:
        missing.append("a nodeSelector or required node affinity for its GPU node group")
    if missing:
        report_violation(f"{workload_name(args)} uses GPUs but lacks {' and '.join(missing)}", None)


POLICY = resource_policy(
    name="kubernetes-pod-spec-require-gpu-scheduling",
    description="GPU pods tolerate the nvidia.com/gpu taint and pin themselves to their GPU node group.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Add the nvidia.com/gpu toleration and a nodeSelector on the node group label.",
    validate=validate,
)

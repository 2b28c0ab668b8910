"""GPU node groups are tainted so only GPU pods land on them (ML/GPU rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import is_gpu_ec2_type
from inferstack.policies.rules._base import GPU_RESOURCE, RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    gpu_types = [str(t) for t in items(get(args.props, "instanceTypes")) if is_gpu_ec2_type(str(t))]
    if not gpu_types:
        return
    for taint in items(get(args.props, "taints")):
        if get(taint, "key") == GPU_RESOURCE and get(taint, "effect") in ("NO_SCHEDULE", "NO_EXECUTE"):
            return
    report_violation(
        f"GPU node group {args.name!r} ({', '.join(gpu_types)}) has no {GPU_RESOURCE}:NoSchedule taint, so CPU "
        "pods can take its nodes; add taint {key: nvidia.com/gpu, value: 'true', effect: NO_SCHEDULE}",
        None,
    )


POLICY = resource_policy(
    name="aws-eks-nodegroup-require-gpu-taint",
    description="GPU node groups carry the nvidia.com/gpu NoSchedule taint.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Build GPU node groups with GpuNodeGroup, which taints nodes nvidia.com/gpu=true:NoSchedule.",
    validate=validate,
)

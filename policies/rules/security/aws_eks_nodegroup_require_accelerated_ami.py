"""GPU node groups boot an accelerated (NVIDIA) EKS AMI (ML/GPU rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import is_gpu_ec2_type
from inferstack.policies.rules._base import RuleMeta, get, has, items, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    gpu_types = [str(t) for t in items(get(args.props, "instanceTypes")) if is_gpu_ec2_type(str(t))]
    if not gpu_types:
        return
    if not has(args.props, "amiType"):
        report_violation(
            f"GPU node group {args.name!r} sets no amiType, so it boots the standard AMI without NVIDIA drivers; "
            "set amiType to AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA",
            None,
        )
        return
    ami = str(get(args.props, "amiType"))
    if "NVIDIA" not in ami and "GPU" not in ami:
        report_violation(
            f"GPU node group {args.name!r} uses amiType {ami}, which has no NVIDIA drivers; use "
            "AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-nodegroup-require-accelerated-ami",
    description="GPU node groups use an accelerated EKS AMI type with NVIDIA drivers.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set ami_type on the GPU node group to an *_NVIDIA AMI type.",
    validate=validate,
)

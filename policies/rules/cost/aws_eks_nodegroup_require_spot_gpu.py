"""Non-prod GPU node groups use Spot capacity (ML/GPU cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import is_gpu_ec2_type
from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(pack="cost", levels="MAD", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if not any(is_gpu_ec2_type(str(t)) for t in items(get(args.props, "instanceTypes"))):
        return
    capacity = get(args.props, "capacityType", default="ON_DEMAND")
    if capacity != "SPOT":
        report_violation(
            f"GPU node group {args.name!r} runs {capacity} capacity; non-production GPU groups use SPOT "
            "(capacity_type: SPOT, several instance types for availability)",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-nodegroup-require-spot-gpu",
    description="GPU node groups outside production use Spot capacity.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set capacity_type: SPOT on the GPU node group of non-prod environments.",
    validate=validate,
)

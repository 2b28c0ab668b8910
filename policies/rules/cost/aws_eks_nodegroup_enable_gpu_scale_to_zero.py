"""Dev GPU node groups scale to zero when idle (ML/GPU cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import is_gpu_ec2_type
from inferstack.policies.rules._base import RuleMeta, fmt_num, get, items, number, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(pack="cost", levels="ADD", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if not any(is_gpu_ec2_type(str(t)) for t in items(get(args.props, "instanceTypes"))):
        return
    minimum = number(get(args.props, "scalingConfig", "minSize"))
    if minimum is None or minimum > 0:
        shown = "unset" if minimum is None else fmt_num(minimum)
        report_violation(
            f"GPU node group {args.name!r} keeps minSize={shown} GPU nodes running; set min_size: 0 so idle dev "
            "GPUs cost nothing",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-nodegroup-enable-gpu-scale-to-zero",
    description="GPU node groups in dev scale down to zero nodes.",
    meta=META,
    severity=Severity.LOW,
    remediation="Set min_size: 0 on dev GPU node groups.",
    validate=validate,
)

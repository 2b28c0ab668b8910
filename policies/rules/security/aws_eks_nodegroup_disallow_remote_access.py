"""Managed node groups do not open SSH remote access (CKV_AWS_100)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_100",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    remote = get(args.props, "remoteAccess")
    if remote:
        report_violation(
            f"node group {args.name!r} enables SSH remote access; remove remoteAccess and use SSM Session Manager",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-nodegroup-disallow-remote-access",
    description="EKS managed node groups do not allow SSH remote access.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Remove remote_access from the node group; use SSM Session Manager for break-glass access.",
    validate=validate,
)

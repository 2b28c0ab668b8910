"""EKS API server is private (CKV_AWS_38/39, Security Hub EKS.1)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, has, is_true, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(
    pack="security", levels="MMM", anchors=("CKV_AWS_38", "CKV_AWS_39", "FSBP EKS.1"), resource_types=(RESOURCE_TYPE,)
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    vpc = get(args.props, "vpcConfig")
    if not has(vpc, "endpointPublicAccess"):
        report_violation(
            f"EKS cluster {args.name!r} leaves vpcConfig.endpointPublicAccess unset, which AWS treats as public; "
            "set endpointPublicAccess=false and endpointPrivateAccess=true",
            None,
        )
        return
    if not is_true(vpc["endpointPublicAccess"]):
        return
    cidrs = [str(c) for c in get(vpc, "publicAccessCidrs", default=[])]
    if not cidrs or any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
        report_violation(
            f"EKS cluster {args.name!r} exposes its API server to the whole internet "
            f"(publicAccessCidrs={cidrs or 'unset'}); set cluster.endpoint_public_access: false",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-disallow-public-endpoint",
    description="EKS clusters do not expose the Kubernetes API server to the internet.",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Keep cluster.endpoint_public_access false (default), or list specific CIDRs in public_access_cidrs.",
    validate=validate,
)

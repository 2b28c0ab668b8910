"""EKS runs a pinned, supported Kubernetes version (CKV_AWS_339)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.rules._base import RuleMeta, effective_config, get, has, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(pack="security", levels="AAM", anchors=("CKV_AWS_339",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    supported = [str(v) for v in effective_config(args, POLICY.config_schema, META)["supported_versions"]]
    if not has(args.props, "version"):
        report_violation(
            f"EKS cluster {args.name!r} does not pin a Kubernetes version; set version to one of {supported}", None
        )
        return
    version = str(get(args.props, "version"))
    if version not in supported:
        report_violation(
            f"EKS cluster {args.name!r} runs Kubernetes {version}, which is not in the supported list {supported}; "
            "upgrade cluster.kubernetes_version",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-configure-supported-version",
    description="EKS clusters pin a Kubernetes version that is still in standard support.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set cluster.kubernetes_version to a supported version.",
    validate=validate,
    config={
        "supported_versions": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["1.30", "1.31", "1.32", "1.33"],
        }
    },
)

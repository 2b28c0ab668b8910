"""Warn when an EKS cluster's Kubernetes minor is in extended support ($0.60 instead of $0.10 per cluster-hour)
or leaves standard support within N days (dates from components/versions.py)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, get, has, resource_policy
from inferstack.policies.rules.security.aws_eks_cluster_configure_supported_version import as_of

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(
    pack="security",
    levels="AAA",
    anchors=("EKS version lifecycle", "EKS extended support pricing"),
    resource_types=(RESOURCE_TYPE,),
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE or not has(args.props, "version"):
        return  # a missing version is aws-eks-cluster-configure-supported-version's finding
    from inferstack.components.versions import minor, standard_minors

    cfg = effective_config(args, POLICY.config_schema, META)
    today = as_of(cfg["as_of"])
    version = str(get(args.props, "version"))
    row = minor(version)
    if row is None or row.status(today) == "ended":
        return  # reported by aws-eks-cluster-configure-supported-version
    newer = list(standard_minors(today))
    target = f"upgrade cluster.kubernetes_version to {newer[-1]}" if newer else "plan the upgrade"
    if row.status(today) == "extended":
        report_violation(
            f"EKS cluster {args.name!r} runs Kubernetes {version}, in extended support since "
            f"{row.end_of_standard_support.isoformat()} (until {row.end_of_extended_support.isoformat()}): the control "
            f"plane costs $0.60 instead of $0.10 per hour (+$365/month); {target}",
            None,
        )
        return
    days = (row.end_of_standard_support - today).days
    if days <= int(cfg["warn_days"]):
        others = [m for m in newer if m != version]
        report_violation(
            f"EKS cluster {args.name!r} runs Kubernetes {version}, whose standard support ends on "
            f"{row.end_of_standard_support.isoformat()} (in {days} days); extended support then costs $0.60 instead "
            "of $0.10 per hour; "
            + (
                f"upgrade cluster.kubernetes_version to {others[-1]}"
                if others
                else "add the next minor to components/versions.py and upgrade"
            ),
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-warn-end-of-standard-support",
    description="EKS clusters run a Kubernetes minor in standard support, not within N days of its end.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Upgrade cluster.kubernetes_version to the newest minor in components/versions.py.",
    validate=validate,
    config={
        "warn_days": {"type": "integer", "minimum": 0, "default": 60},
        "as_of": {
            "type": "string",
            "default": "",
            "description": "ISO date the support windows are compared with; empty means today.",
        },
    },
)

"""EKS runs a pinned Kubernetes version that can still be created: not past the end of extended support
(CKV_AWS_339), dated by components/versions.py."""

from __future__ import annotations

import datetime

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, get, has, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_339",), resource_types=(RESOURCE_TYPE,))


def as_of(value: object) -> datetime.date:
    """The policy's `as_of` date (ISO string), or today when it is empty."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) and value else datetime.date.today()


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    from inferstack.components.versions import creatable_minors, minor

    today = as_of(effective_config(args, POLICY.config_schema, META)["as_of"])
    if not has(args.props, "version"):
        report_violation(
            f"EKS cluster {args.name!r} does not pin a Kubernetes version, so EKS picks one; pin "
            "cluster.kubernetes_version to a minor of components/versions.py",
            None,
        )
        return
    version = str(get(args.props, "version"))
    row = minor(version)
    if row is None:
        report_violation(
            f"EKS cluster {args.name!r} runs Kubernetes {version}, which components/versions.py does not know; "
            "set cluster.kubernetes_version to one of its minors (or add this one with its support dates)",
            None,
        )
        return
    if row.status(today) == "ended":
        report_violation(
            f"EKS cluster {args.name!r} runs Kubernetes {version}, whose EKS extended support ended on "
            f"{row.end_of_extended_support.isoformat()}: the cluster is auto-upgraded and the version can no longer "
            f"be created; set cluster.kubernetes_version to one of {', '.join(creatable_minors(today))}",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-configure-supported-version",
    description="EKS clusters pin a Kubernetes version that is not past the end of EKS extended support.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set cluster.kubernetes_version to a minor in standard support (components/versions.py).",
    validate=validate,
    config={
        "as_of": {
            "type": "string",
            "default": "",
            "description": "ISO date the support windows are compared with; empty means today.",
        }
    },
)

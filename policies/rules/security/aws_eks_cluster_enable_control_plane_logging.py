"""EKS control-plane log types are shipped to CloudWatch (CKV_AWS_37, Security Hub EKS.8)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, get, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
META = RuleMeta(
    pack="security",
    levels="AMM",
    anchors=("CKV_AWS_37", "FSBP EKS.8"),
    resource_types=(RESOURCE_TYPE,),
    defaults={"prod": {"required_log_types": ALL_LOGS}},
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    required = list(effective_config(args, POLICY.config_schema, META)["required_log_types"])
    enabled = [str(t) for t in get(args.props, "enabledClusterLogTypes", default=[])]
    missing = [t for t in required if t not in enabled]
    if missing:
        report_violation(
            f"EKS cluster {args.name!r} does not ship control-plane logs {missing}; add them to "
            "cluster.control_plane_logs",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-enable-control-plane-logging",
    description="EKS clusters ship the required control-plane log types (at least api, audit, authenticator).",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="List the log types in cluster.control_plane_logs of the environment file.",
    validate=validate,
    config={
        "required_log_types": {
            "type": "array",
            "items": {"type": "string", "enum": ALL_LOGS},
            "default": ["api", "audit", "authenticator"],
        }
    },
)

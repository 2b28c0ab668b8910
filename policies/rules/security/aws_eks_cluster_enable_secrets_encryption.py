"""EKS envelope-encrypts Kubernetes secrets with a KMS key (CKV_AWS_58, Security Hub EKS.3)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, has, items, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_58", "FSBP EKS.3"), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    for config in items(get(args.props, "encryptionConfig")):
        if "secrets" in [str(r) for r in items(get(config, "resources"))] and has(get(config, "provider"), "keyArn"):
            return
    report_violation(
        f"EKS cluster {args.name!r} does not encrypt Kubernetes secrets with KMS; set encryptionConfig "
        "{resources: [secrets], provider.keyArn: <environment key>}",
        None,
    )


POLICY = resource_policy(
    name="aws-eks-cluster-enable-secrets-encryption",
    description="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Pass the environment KMS key to EksCluster (encryptionConfig resources=['secrets']).",
    validate=validate,
)

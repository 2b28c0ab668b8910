"""ECR repositories encrypt images with KMS (CKV_AWS_136)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:ecr/repository:Repository"
META = RuleMeta(pack="security", levels="AAM", anchors=("CKV_AWS_136",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    kinds = [
        str(get(c, "encryptionType", default="AES256")) for c in items(get(args.props, "encryptionConfigurations"))
    ]
    if not any(k.startswith("KMS") for k in kinds):
        report_violation(
            f"ECR repository {args.name!r} uses {kinds[0] if kinds else 'AES256 (default)'} encryption; set "
            "encryptionConfigurations=[{encryptionType: KMS, kmsKey: <environment key>}]",
            None,
        )


POLICY = resource_policy(
    name="aws-ecr-repository-require-kms-encryption",
    description="ECR repositories encrypt images with a KMS key.",
    meta=META,
    severity=Severity.LOW,
    remediation="Set encryption_configurations with encryption_type='KMS' and the environment key.",
    validate=validate,
)

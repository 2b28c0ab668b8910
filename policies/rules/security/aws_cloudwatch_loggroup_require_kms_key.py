"""Log groups are encrypted with a customer-managed KMS key (CKV_AWS_158)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, has, resource_policy

RESOURCE_TYPE = "aws:cloudwatch/logGroup:LogGroup"
META = RuleMeta(pack="security", levels="AAM", anchors=("CKV_AWS_158",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if not has(args.props, "kmsKeyId"):
        report_violation(
            f"log group {args.name!r} is not encrypted with a KMS key; set kmsKeyId to the environment key "
            "(its key policy must allow logs.<region>.amazonaws.com)",
            None,
        )


POLICY = resource_policy(
    name="aws-cloudwatch-loggroup-require-kms-key",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Pass kms_key_id (the environment key) to every log group.",
    validate=validate,
)

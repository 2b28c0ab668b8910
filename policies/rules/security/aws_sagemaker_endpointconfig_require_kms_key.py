"""SageMaker endpoint configurations encrypt attached storage with KMS (CKV_AWS_98)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, is_blank, resource_policy

RESOURCE_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_98",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if is_blank(args.props, "kmsKeyArn"):
        report_violation(
            f"endpoint config {args.name!r} has no kmsKeyArn; pass kms_key_arn to SageMakerEndpoint or keep its "
            "default environment key",
            None,
        )


POLICY = resource_policy(
    name="aws-sagemaker-endpointconfig-require-kms-key",
    description="SageMaker endpoint configurations encrypt attached storage with a KMS key.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set kms_key_arn on SageMakerEndpoint (the environment key by default).",
    validate=validate,
)

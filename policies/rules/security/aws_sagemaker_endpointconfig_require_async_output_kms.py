"""Asynchronous inference results are KMS-encrypted in S3 (ML rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, has, resource_policy

RESOURCE_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    async_config = get(args.props, "asyncInferenceConfig")
    if async_config is None:
        return
    if not has(get(async_config, "outputConfig"), "kmsKeyId"):
        report_violation(
            f"endpoint config {args.name!r} writes async inference results without a KMS key; set "
            "asyncInferenceConfig.outputConfig.kmsKeyId",
            None,
        )


POLICY = resource_policy(
    name="aws-sagemaker-endpointconfig-require-async-output-kms",
    description="SageMaker asynchronous inference encrypts its S3 output with a KMS key.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set async_inference_config.output_config.kms_key_id to the environment key.",
    validate=validate,
)

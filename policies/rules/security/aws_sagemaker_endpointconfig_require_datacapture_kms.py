"""Captured requests/responses are KMS-encrypted (ML rule; extends CKV_AWS_98 to data capture)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, has, resource_policy

RESOURCE_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    capture = get(args.props, "dataCaptureConfig")
    if capture is None or get(capture, "enableCapture") is False:
        return
    if not has(capture, "kmsKeyId"):
        report_violation(
            f"endpoint config {args.name!r} captures inference data without a KMS key; set "
            "dataCaptureConfig.kmsKeyId to the environment key",
            None,
        )


POLICY = resource_policy(
    name="aws-sagemaker-endpointconfig-require-datacapture-kms",
    description="SageMaker data capture writes captured payloads encrypted with a KMS key.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set data_capture_config.kms_key_id (SageMakerEndpoint does this when data capture is on).",
    validate=validate,
)

"""KMS keys rotate yearly (CKV_AWS_7)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:kms/key:Key"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_7",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "customerMasterKeySpec", default="SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return  # AWS rotates only symmetric keys
    if get(args.props, "enableKeyRotation") is not True:
        report_violation(f"KMS key {args.name!r} does not rotate; set enableKeyRotation=true", None)


POLICY = resource_policy(
    name="aws-kms-key-enable-rotation",
    description="Symmetric KMS keys have automatic key rotation enabled.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set enable_key_rotation=True on the key.",
    validate=validate,
)

"""ECR scans images on push (CKV_AWS_163)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:ecr/repository:Repository"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_163",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "imageScanningConfiguration", "scanOnPush") is not True:
        report_violation(
            f"ECR repository {args.name!r} does not scan images on push; set "
            "imageScanningConfiguration.scanOnPush=true",
            None,
        )


POLICY = resource_policy(
    name="aws-ecr-repository-enable-scan-on-push",
    description="ECR repositories scan every pushed image for vulnerabilities.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set image_scanning_configuration.scan_on_push=True.",
    validate=validate,
)

"""Launch templates require IMDSv2 session tokens (CKV_AWS_79, Security Hub EC2.170)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_79", "FSBP EC2.170"), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    tokens = get(args.props, "metadataOptions", "httpTokens")
    if tokens != "required":
        report_violation(
            f"launch template {args.name!r} allows IMDSv1 (metadataOptions.httpTokens={tokens or 'unset'}); "
            "set httpTokens='required'",
            None,
        )


POLICY = resource_policy(
    name="aws-ec2-launchtemplate-enforce-imdsv2",
    description="Launch templates require IMDSv2 (metadataOptions.httpTokens = required).",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set metadata_options.http_tokens='required' on the launch template.",
    validate=validate,
)

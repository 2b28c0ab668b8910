"""Launch templates do not give instances public IPs (CKV_AWS_88)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, is_true, items, resource_policy

RESOURCE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_88",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    for i, nic in enumerate(items(get(args.props, "networkInterfaces"))):
        if is_true(get(nic, "associatePublicIpAddress")):
            report_violation(
                f"launch template {args.name!r} networkInterfaces[{i}] associates a public IP; set "
                "associatePublicIpAddress='false' and keep nodes in private subnets",
                None,
            )


POLICY = resource_policy(
    name="aws-ec2-launchtemplate-disallow-public-ip",
    description="Launch templates never associate public IP addresses.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Remove associate_public_ip_address (or set 'false'); nodes reach the internet through NAT.",
    validate=validate,
)

"""Launch template block devices are encrypted (Pulumi compliance-policies; note `encrypted` is a string)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, is_true, items, resource_policy

RESOURCE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_8",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    mappings = items(get(args.props, "blockDeviceMappings"))
    if not mappings:
        report_violation(
            f"launch template {args.name!r} declares no blockDeviceMappings, so the root volume's encryption is "
            "left to the AMI; add a mapping with ebs.encrypted='true'",
            None,
        )
        return
    for m in mappings:
        if get(m, "ebs") is not None and not is_true(get(m, "ebs", "encrypted")):
            report_violation(
                f"launch template {args.name!r} attaches {get(m, 'deviceName', default='a volume')} unencrypted; "
                "set ebs.encrypted='true' (and kmsKeyId)",
                None,
            )


POLICY = resource_policy(
    name="aws-ec2-launchtemplate-enable-ebs-encryption",
    description="Every EBS volume in a launch template is encrypted.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set block_device_mappings[].ebs.encrypted='true' with the environment KMS key.",
    validate=validate,
)

"""AWS providers and per-resource regions are on the allowlist (cost and data-residency rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, get, resource_policy

PROVIDER = "pulumi:providers:aws"
META = RuleMeta(pack="cost", levels="MMM", type_prefixes=(PROVIDER, "aws:"))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PROVIDER and not args.resource_type.startswith("aws:"):
        return
    region = get(args.props, "region")
    if region is None:
        if args.resource_type == PROVIDER:
            report_violation(
                f"AWS provider {args.name!r} sets no region, so it follows AWS_REGION of whoever runs Pulumi; "
                "set region explicitly",
                None,
            )
        return
    allowed = [str(r) for r in effective_config(args, POLICY.config_schema, META)["allowed_regions"]]
    if str(region) not in allowed:
        report_violation(
            f"{args.name!r} deploys to {region}, which is not an allowed region ({', '.join(allowed)}); use an "
            "allowed region or extend allowed_regions in policies.config",
            None,
        )


POLICY = resource_policy(
    name="aws-provider-config-restrict-regions",
    description="Resources are deployed only to allowed AWS regions.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set regions.primary/secondary to allowed regions, or extend allowed_regions in policies.config.",
    validate=validate,
    config={
        "allowed_regions": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"],
        }
    },
)

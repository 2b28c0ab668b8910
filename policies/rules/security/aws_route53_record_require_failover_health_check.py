"""A failover PRIMARY record has a health check, else Route53 never fails over (ML/serving rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, has, items, resource_policy

RESOURCE_TYPE = "aws:route53/record:Record"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    kinds = [get(p, "type") for p in items(get(args.props, "failoverRoutingPolicies"))]
    if "PRIMARY" in kinds and not has(args.props, "healthCheckId"):
        report_violation(
            f"failover PRIMARY record {args.name!r} has no healthCheckId, so Route53 never fails over; attach "
            "the deployment's health check",
            None,
        )


POLICY = resource_policy(
    name="aws-route53-record-require-failover-health-check",
    description="Route53 failover PRIMARY records are tied to a health check.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set health_check_id on the PRIMARY failover record.",
    validate=validate,
)

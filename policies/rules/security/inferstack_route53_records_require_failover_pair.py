"""Every failover PRIMARY has a SECONDARY with the same name and zone, and vice versa (serving rule)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, get, items, stack_policy

RECORD = "aws:route53/record:Record"
META = RuleMeta(pack="security", levels="AMM")


def _key(r: Any) -> tuple[str, str, str]:
    return (
        str(get(r.props, "zoneId", default="")),
        str(get(r.props, "name", default="")).rstrip("."),
        str(get(r.props, "type", default="")),
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    roles: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in args.resources:
        if r.resource_type != RECORD:
            continue
        for p in items(get(r.props, "failoverRoutingPolicies")):
            roles.setdefault(_key(r), {})[str(get(p, "type"))] = r
    for (_, name, _), found in roles.items():
        for have, want in (("PRIMARY", "SECONDARY"), ("SECONDARY", "PRIMARY")):
            if have in found and want not in found:
                report_violation(
                    f"failover record {name!r} has a {have} but no {want}; add the {want.lower()} region's record "
                    "or use a simple record",
                    found[have].urn,
                )


POLICY = stack_policy(
    name="inferstack-route53-records-require-failover-pair",
    description="Route53 failover records come in complete PRIMARY/SECONDARY pairs.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Create both failover records for the name (regions.secondary), or drop the failover policy.",
    validate=validate,
)

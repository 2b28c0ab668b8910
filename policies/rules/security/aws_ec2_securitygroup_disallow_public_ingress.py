"""No ingress from 0.0.0.0/0 or ::/0 except the allowed public ports (CKV_AWS_24/25/260, Security Hub EC2.19)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, get, items, number, resource_policy

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WORLD = ("0.0.0.0/0", "::/0")
META = RuleMeta(
    pack="security",
    levels="MMM",
    anchors=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "FSBP EC2.19"),
    resource_types=(SECURITY_GROUP, RULE, INGRESS_RULE),
)


def _check(name: str, rule: Any, cidrs: list[str], allowed: list[int], report_violation: ReportViolation) -> None:
    world = [c for c in cidrs if c in WORLD]
    if not world:
        return
    protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="-1")))
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    if protocol not in ("-1", "all") and low is not None and high is not None and low == high and int(low) in allowed:
        return
    ports = "all ports" if protocol in ("-1", "all") or low is None else f"ports {int(low)}-{int(high or low)}"
    report_violation(
        f"security group {name!r} allows {ports} from {world[0]}; open only {allowed} to the internet and "
        "reach everything else through the VPC",
        None,
    )


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in META.resource_types:  # type: ignore[operator]
        return
    allowed = [int(p) for p in effective_config(args, POLICY.config_schema, META)["allowed_public_ports"]]
    props = args.props
    if args.resource_type == SECURITY_GROUP:
        for rule in items(get(props, "ingress")):
            cidrs = [str(c) for c in items(get(rule, "cidrBlocks")) + items(get(rule, "ipv6CidrBlocks"))]
            _check(args.name, rule, cidrs, allowed, report_violation)
    elif args.resource_type == RULE:
        if get(props, "type") == "ingress":
            cidrs = [str(c) for c in items(get(props, "cidrBlocks")) + items(get(props, "ipv6CidrBlocks"))]
            _check(args.name, props, cidrs, allowed, report_violation)
    else:
        cidrs = [str(c) for c in (get(props, "cidrIpv4"), get(props, "cidrIpv6")) if c]
        _check(args.name, props, cidrs, allowed, report_violation)


POLICY = resource_policy(
    name="aws-ec2-securitygroup-disallow-public-ingress",
    description="Security groups accept internet traffic only on the allowed public ports (HTTPS).",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Restrict the rule to VPC CIDRs or a security group; only load balancers take 443 from anywhere.",
    validate=validate,
    config={"allowed_public_ports": {"type": "array", "items": {"type": "integer"}, "default": [443]}},
)

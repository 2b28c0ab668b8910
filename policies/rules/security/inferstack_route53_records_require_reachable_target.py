"""A DNS record only names a load balancer its clients can connect to (issue 12, defect 6).

Who can resolve a record is decided by its zone: a public zone answers everyone, a private zone only the VPCs
associated with it. Who can connect is decided by the target. An internal load balancer has private addresses
only, so a record in a public zone that names one resolves for every client and connects for none outside the
load balancer's VPC (and a failover to it in another, unpeered VPC helps nobody). A record in a private zone
reaches the load balancer only if the load balancer's security groups admit each associated VPC's CIDR. A record
for an API Gateway custom domain whose REST API reaches an internal load balancer through a VPC link (the
TritonFront shape) needs the link's security group to send to the listener port and the load balancer's security
groups to admit the link's subnets.

Joins are by dependency (a record that takes an ALB's `dns_name` depends on the ALB; a zone that takes a VPC's
id depends on the VPC), so the rule also works under `pulumi preview`, where those values are not known yet.
Zones the stack does not create are looked up (`aws.route53.get_zone`) and count as public unless their ids are
listed in `private_zone_ids`. Not modelled: routes between VPCs (peering, Transit Gateway) and NACLs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, get, is_true, items, number, stack_policy

RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
API_DOMAIN = "aws:apigateway/domainName:DomainName"
BASE_PATH_MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
REST_API = "aws:apigateway/restApi:RestApi"
INTEGRATION = "aws:apigateway/integration:Integration"
VPC_LINKS = ("aws:apigatewayv2/vpcLink:VpcLink", "aws:apigateway/vpcLink:VpcLink")
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
META = RuleMeta(pack="security", levels="AMM")
CONFIG = {
    "private_zone_ids": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Hosted zone ids, owned outside the stack, that are private (their records are not public).",
    }
}


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def _covers(rule: Mapping[str, Any], client: ipaddress.IPv4Network | ipaddress.IPv6Network, ports: set[int]) -> bool:
    """Whether one rule (inline or standalone shape) covers `client` (ingress: source, egress: destination) on
    one of `ports` (any port when empty)."""
    protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="tcp")))
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    if protocol != "-1" and ports and low is not None and high is not None and not any(low <= p <= high for p in ports):
        return False
    sources = [*items(get(rule, "cidrBlocks")), *items(get(rule, "ipv6CidrBlocks"))]
    sources += [s for s in (get(rule, "cidrIpv4"), get(rule, "cidrIpv6")) if s is not None]
    for source in sources:
        net = _network(source)
        if net is not None and net.version == client.version and client.subnet_of(net):  # type: ignore[arg-type]
            return True
    return False


class _Graph:
    def __init__(self, resources: list[Any]) -> None:
        self.dependents: dict[str, list[Any]] = {}
        for r in resources:
            for d in r.dependencies:
                self.dependents.setdefault(d.urn, []).append(r)

    def below(self, r: Any, types: str | tuple[str, ...]) -> list[Any]:
        """Resources of `types` that depend on `r`."""
        kinds = (types,) if isinstance(types, str) else types
        return [x for x in self.dependents.get(r.urn, []) if x.resource_type in kinds]

    def ports(self, lb: Any) -> set[int]:
        return {
            int(p) for listener in self.below(lb, LISTENERS) if (p := number(get(listener.props, "port"))) is not None
        }

    def ingress_rules(self, lb: Any) -> list[Any]:
        groups = [d for d in lb.dependencies if d.resource_type == SECURITY_GROUP]
        rules = [rule for g in groups for rule in items(get(g.props, "ingress"))]
        rules += [
            r.props
            for g in groups
            for r in self.below(g, INGRESS_RULES)
            if str(get(r.props, "type", default="ingress")) == "ingress"
        ]
        return rules


def _check_front(g: _Graph, record: Any, name: str, report_violation: ReportViolation) -> None:
    """Record -> API domain -> REST API -> VPC-link integration -> internal load balancer: is each hop open?"""
    seen: set[tuple[str, str, str]] = set()  # (link, load balancer, finding): several routes share one link
    for domain in [d for d in record.dependencies if d.resource_type == API_DOMAIN]:
        apis = [d for m in g.below(domain, BASE_PATH_MAPPING) for d in m.dependencies if d.resource_type == REST_API]
        for api in apis:
            for integration in g.below(api, INTEGRATION):
                if str(get(integration.props, "connectionType", default="")) != "VPC_LINK":
                    continue
                links = [d for d in integration.dependencies if d.resource_type in VPC_LINKS]
                lbs = [d for d in integration.dependencies if d.resource_type in LOAD_BALANCERS]
                for link in links:
                    subnets = [
                        _network(get(s.props, "cidrBlock")) for s in link.dependencies if s.resource_type == SUBNET
                    ]
                    sources = [n for n in subnets if n is not None]
                    egress = [
                        rule
                        for sg in link.dependencies
                        if sg.resource_type == SECURITY_GROUP
                        for rule in items(get(sg.props, "egress"))
                    ]
                    for lb in lbs:
                        ports = g.ports(lb)
                        rules = g.ingress_rules(lb)
                        closed = sorted(str(n) for n in sources if not any(_covers(r, n, ports) for r in rules))
                        if closed and (link.urn, lb.urn, "ingress") not in seen:
                            seen.add((link.urn, lb.urn, "ingress"))
                            report_violation(
                                f"record {name!r} goes through VPC link {link.name!r} to load balancer {lb.name!r}, "
                                f"whose security groups admit none of the link's subnets {closed} on listener "
                                f"port(s) {sorted(ports) or 'any'}; admit the link's subnets (or the VPC CIDR)",
                                record.urn,
                            )
                        lb_nets = [
                            _network(get(x.props, "cidrBlock")) for x in lb.dependencies if x.resource_type == SUBNET
                        ]
                        unsent = sorted(
                            str(n) for n in lb_nets if n is not None and not any(_covers(r, n, ports) for r in egress)
                        )
                        if unsent and (link.urn, lb.urn, "egress") not in seen:
                            seen.add((link.urn, lb.urn, "egress"))
                            report_violation(
                                f"record {name!r} goes through VPC link {link.name!r}, whose security group sends "
                                f"nothing to the subnets {unsent} of load balancer {lb.name!r} on listener port(s) "
                                f"{sorted(ports) or 'any'}; allow egress on the listener port to the VPC CIDR",
                                record.urn,
                            )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    external_private = {str(z) for z in cfg.get("private_zone_ids") or []}
    resources = list(args.resources)
    g = _Graph(resources)
    for record in resources:
        if record.resource_type != RECORD:
            continue
        name = str(get(record.props, "name", default=record.name))
        _check_front(g, record, name, report_violation)
        targets = [d for d in record.dependencies if d.resource_type in LOAD_BALANCERS]
        internal = [lb for lb in targets if is_true(get(lb.props, "internal"))]
        if not internal:
            continue
        zones = [d for d in record.dependencies if d.resource_type == ZONE]
        private_zones = [z for z in zones if items(get(z.props, "vpcs"))]
        if not private_zones and str(get(record.props, "zoneId", default="")) not in external_private:
            for lb in internal:
                report_violation(
                    f"record {name!r} is in a public zone but targets internal load balancer {lb.name!r}: every "
                    "client resolves it and none outside the load balancer's VPC can connect; put a regional "
                    "front in between (components/triton_front.py: API Gateway with a VPC link) or move the "
                    "record to a private zone associated with the clients' VPCs",
                    record.urn,
                )
            continue
        for zone in private_zones:
            vpcs = [d for d in zone.dependencies if d.resource_type == VPC]
            for lb in internal:
                ports = g.ports(lb)
                rules = g.ingress_rules(lb)
                for vpc in vpcs:
                    client = _network(get(vpc.props, "cidrBlock"))
                    if client is None or any(_covers(rule, client, ports) for rule in rules):
                        continue
                    report_violation(
                        f"record {name!r} is in private zone {zone.name!r}, associated with VPC {vpc.name!r} "
                        f"({client}), but internal load balancer {lb.name!r} admits no traffic from that CIDR on "
                        f"its listener port(s) {sorted(ports) or 'any'}; add an ingress rule for the clients' CIDR "
                        "(and the route between the VPCs) or drop the association",
                        record.urn,
                    )


POLICY = stack_policy(
    name="inferstack-route53-records-require-reachable-target",
    description="DNS records name load balancers their clients can reach: no public record for an internal load "
    "balancer; a private record's VPCs are admitted by the load balancer's security groups.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Front an internal ALB with a regional API (TritonFront) for public names, or use a private zone "
    "associated with the clients' VPCs and admit their CIDRs on the listener port.",
    validate=validate,
    config=CONFIG,
)

"""A stack that deploys Kubernetes resources can reach the API server it deploys them through (issue 12, defect 3).

`pulumi up` applies the Helm releases, Deployments and custom resources from wherever it runs. With a private-only
endpoint that is inside the VPC, and the endpoint's network interfaces carry the cluster security group, which by
default admits only itself (EKS user guide, "View Amazon EKS security group requirements for clusters",
docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, read 2026-12-02). So the stack must declare the
deployer's path: an ingress rule covering 443 on a security group of the cluster (a standalone rule that depends
on the cluster, e.g. on `vpcConfig.clusterSecurityGroupId`, or an additional cluster security group with such a
rule). A public endpoint must list specific `publicAccessCidrs` (none broader than `min_prefix_length`; unset or
0.0.0.0/0 is reported by aws-eks-cluster-disallow-public-endpoint).

Not modelled: whether the runner actually sits at the admitted CIDR, routes, NACLs, and whether the runner's IAM
principal has an access entry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, get, is_true, items, number, stack_policy

CLUSTER = "aws:eks/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
META = RuleMeta(pack="security", levels="AMM")
CONFIG = {
    "min_prefix_length": {
        "type": "integer",
        "default": 16,
        "description": "Broadest IPv4 prefix accepted in a public endpoint's publicAccessCidrs (e.g. 16 = /16).",
    }
}


def _admits_443(rule: Mapping[str, Any]) -> bool:
    if str(get(rule, "type", default="ingress")) != "ingress":
        return False
    protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="tcp")))
    if protocol == "-1":
        return True
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    has_source = any(
        get(rule, key) is not None
        for key in ("cidrBlocks", "cidrIpv4", "cidrIpv6", "sourceSecurityGroupId", "referencedSecurityGroupId")
    )
    return low is not None and high is not None and low <= 443 <= high and has_source


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = list(args.resources)
    kubernetes = [r for r in resources if r.resource_type.startswith("kubernetes:")]
    if not kubernetes:
        return
    min_prefix = int(effective_config(args, POLICY.config_schema, META)["min_prefix_length"])
    dependents: dict[str, list[Any]] = {}
    for r in resources:
        for d in r.dependencies:
            dependents.setdefault(d.urn, []).append(r)
    for cluster in resources:
        if cluster.resource_type != CLUSTER:
            continue
        vpc = get(cluster.props, "vpcConfig")
        if is_true(get(vpc, "endpointPublicAccess", default=True)):
            # Unset or open-to-all CIDRs are aws-eks-cluster-disallow-public-endpoint's finding; this rule asks
            # for ranges specific enough to name a deploy runner.
            cidrs = [str(c) for c in items(get(vpc, "publicAccessCidrs"))]
            broad = [
                c
                for c in cidrs
                if c not in ("0.0.0.0/0", "::/0") and ((n := _net(c)) is None or n.prefixlen < min_prefix)
            ]
            if broad:
                report_violation(
                    f"EKS cluster {cluster.name!r} has a public endpoint open to {broad}; list the deploy runner's "
                    f"specific static ranges (/{min_prefix} or narrower) in public_access_cidrs, or keep the endpoint "
                    "private with an in-VPC deployer (cluster.deployer.mode: in_vpc)",
                    cluster.urn,
                )
            continue
        standalone = [
            r for r in dependents.get(cluster.urn, []) if r.resource_type in INGRESS_RULES and _admits_443(r.props)
        ]
        extra_groups = [
            g
            for g in cluster.dependencies
            if g.resource_type == SECURITY_GROUP
            and (
                any(_admits_443(rule) for rule in items(get(g.props, "ingress")))
                or any(r.resource_type in INGRESS_RULES and _admits_443(r.props) for r in dependents.get(g.urn, []))
            )
        ]
        if standalone or extra_groups:
            continue
        report_violation(
            f"EKS cluster {cluster.name!r} has a private-only endpoint and the stack deploys {len(kubernetes)} "
            "Kubernetes resources through it, but no security-group rule admits a deployer on 443; declare "
            "cluster.deployer (mode in_vpc with runner_cidrs, which adds the rule) or a public endpoint restricted "
            "to the runner's static CIDRs",
            cluster.urn,
        )


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


POLICY = stack_policy(
    name="inferstack-eks-cluster-require-deployer-path",
    description="A stack that deploys Kubernetes resources declares how its deployer reaches the cluster's API "
    "server: a 443 rule for an in-VPC runner on a private endpoint, or specific CIDRs on a public one.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set cluster.deployer in the environment file (in_vpc: runner_label + runner_cidrs; or "
    "public_cidrs with endpoint_public_access and specific public_access_cidrs).",
    validate=validate,
    config=CONFIG,
)

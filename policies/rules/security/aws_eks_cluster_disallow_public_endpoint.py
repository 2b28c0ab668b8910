"""EKS API server is private (CKV_AWS_38/39, Security Hub EKS.1).

A public endpoint passes only with publicAccessCidrs that are all CIDR blocks (the EKS console asks for "a CIDR
block, such as 203.0.113.5/32", https://docs.aws.amazon.com/eks/latest/userguide/config-cluster-endpoint.html,
read 2026-12-02) and that together leave part of the internet out: the union is computed per address family
(ipaddress.collapse_addresses), so 0.0.0.0/1 + 128.0.0.0/1, or 8.8.8.8/0 (host bits are masked off), count as
0.0.0.0/0, and IPv4-mapped IPv6 blocks (::ffff:0:0/96) count as the IPv4 addresses they carry (issue 13, class 6).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, fmt_num, get, has, is_true, items, resource_policy

RESOURCE_TYPE = "aws:eks/cluster:Cluster"
META = RuleMeta(
    pack="security", levels="MMM", anchors=("CKV_AWS_38", "CKV_AWS_39", "FSBP EKS.1"), resource_types=(RESOURCE_TYPE,)
)
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_EVERYWHERE: dict[int, ipaddress.IPv4Network | ipaddress.IPv6Network] = {
    4: ipaddress.IPv4Network("0.0.0.0/0"),
    6: ipaddress.IPv6Network("::/0"),
}


def parse_cidrs(entries: Iterable[Any]) -> tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], list[str]]:
    """(the networks, the entries that are not CIDR blocks: not a string, no /prefix, or not an address)."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    bad: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or "/" not in entry:
            bad.append(fmt_num(entry) if isinstance(entry, int | float) and not isinstance(entry, bool) else str(entry))
            continue
        try:
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            bad.append(entry)
            continue
        if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_IPV4_MAPPED):
            mapped = net.network_address.ipv4_mapped
            assert mapped is not None  # inside ::ffff:0:0/96
            net = ipaddress.IPv4Network(f"{mapped}/{net.prefixlen - 96}")
        networks.append(net)
    return networks, bad


def covered_families(networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> list[str]:
    """The address families ("0.0.0.0/0", "::/0") whose every address the networks admit together."""
    networks = list(networks)
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    out = []
    if v4 and list(ipaddress.collapse_addresses(v4)) == [_EVERYWHERE[4]]:
        out.append(str(_EVERYWHERE[4]))
    if v6 and list(ipaddress.collapse_addresses(v6)) == [_EVERYWHERE[6]]:
        out.append(str(_EVERYWHERE[6]))
    return out


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    vpc = get(args.props, "vpcConfig")
    if not has(vpc, "endpointPublicAccess"):
        report_violation(
            f"EKS cluster {args.name!r} leaves vpcConfig.endpointPublicAccess unset, which AWS treats as public; "
            "set endpointPublicAccess=false and endpointPrivateAccess=true",
            None,
        )
        return
    if not is_true(vpc["endpointPublicAccess"]):
        return
    raw = items(get(vpc, "publicAccessCidrs", default=[]))
    cidrs = [str(c) for c in raw]
    networks, bad = parse_cidrs(raw)
    if bad:
        report_violation(
            f"EKS cluster {args.name!r} has publicAccessCidrs entries that are not CIDR blocks: {bad}; write each as "
            "an address with a prefix length, e.g. 203.0.113.5/32, in cluster.public_access_cidrs, or set "
            "cluster.endpoint_public_access: false",
            None,
        )
        return
    covered = covered_families(networks)
    if not cidrs or any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
        report_violation(
            f"EKS cluster {args.name!r} exposes its API server to the whole internet "
            f"(publicAccessCidrs={cidrs or 'unset'}); set cluster.endpoint_public_access: false",
            None,
        )
    elif covered:
        report_violation(
            f"EKS cluster {args.name!r} exposes its API server to the whole internet: publicAccessCidrs={cidrs} "
            f"together cover {' and '.join(covered)}; list only specific ranges (e.g. the VPN's /24) or set "
            "cluster.endpoint_public_access: false",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-cluster-disallow-public-endpoint",
    description="EKS clusters do not expose the Kubernetes API server to the internet.",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Keep cluster.endpoint_public_access false (default), or list specific CIDRs in public_access_cidrs.",
    validate=validate,
)

"""Stack wiring for the platform components (environment config -> component args).

Per region: Keys -> Network -> EksCluster -> one GpuNodeGroup per `cluster.gpu_node_groups` entry ->
ClusterAddons; then `rs.platform` is filled for the modules that follow.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from inferstack.components.cluster_addons import ClusterAddons
from inferstack.components.eks_cluster import EksCluster
from inferstack.components.gpu_node_group import GpuNodeGroup
from inferstack.components.keys import Keys
from inferstack.components.network import Network
from stacks.context import PlatformOutputs, RegionStack, StackContext


def cluster_name_for(ctx: StackContext) -> str:
    """EKS cluster name; clusters are regional, so both regions of an environment use the same one."""
    return f"inferstack-{ctx.env.name}"


def deployer_access(ctx: StackContext, rs: RegionStack) -> tuple[bool, list[Any], list[str]]:
    """(endpoint_public_access, public_access_cidrs, deployer_cidrs) of this region's cluster.

    `in_vpc`: the runner lives in the primary VPC, so the primary cluster opens 443 on its security group to
    `runner_cidrs` (private endpoint only). The secondary VPC is not peered, so its cluster keeps the private
    endpoint for its nodes and adds a public endpoint restricted to the primary VPC's NAT addresses, which is
    where the runner's traffic to another region leaves from. `public_cidrs` (or no deployer): as configured.
    """
    c = ctx.env.cluster
    d = c.deployer
    if d is None or d.mode != "in_vpc":
        return c.endpoint_public_access, list(c.public_access_cidrs), []
    if rs.is_primary:
        return False, [], list(d.runner_cidrs)
    primary = ctx.primary.platform
    if primary is None:
        raise ValueError(
            f"platform in {rs.region}: the primary region's platform is not built yet; build it first (its NAT "
            "addresses are the deploy runner's source for this region's API endpoint)"
        )
    network = primary.components["network"]
    return True, [ip.apply(lambda a: f"{a}/32") for ip in network.nat_public_ips], []


def build(ctx: StackContext, rs: RegionStack) -> None:
    """Compose the platform in one region."""
    env = ctx.env
    sfx = rs.suffix
    tags = ctx.tags
    cluster_name = cluster_name_for(ctx)

    # AWSServiceRoleForAutoScaling is account-wide (IAM is global): the primary region creates it unless the
    # environment declares it existing; every other region's key waits for the primary's.
    slr_mode: Literal["create", "existing"] = (
        "create" if rs.is_primary and env.cluster.autoscaling_service_linked_role == "create" else "existing"
    )
    primary_keys = None if rs.is_primary or ctx.primary.platform is None else ctx.primary.platform.components["keys"]
    primary_slr = getattr(primary_keys, "autoscaling_role", None)
    keys = Keys(
        f"keys{sfx}",
        {
            "alias": f"inferstack-{env.name}",
            "autoscaling_service_linked_role": slr_mode,
            "key_depends_on": [primary_slr] if primary_slr is not None else [],
            "tags": tags,
        },
        opts=rs.opts(),
    )

    zones_lookup = aws.get_availability_zones_output(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOutputOptions(provider=rs.provider),
    )
    zones = [zones_lookup.names.apply(lambda names, i=i: names[i]) for i in range(env.network.availability_zones)]
    network = Network(
        f"network{sfx}",
        {
            "cidr": rs.cidr,
            "availability_zones": zones,
            "flow_logs_kms_key_arn": keys.key_arn,
            "nat_gateways": env.network.nat_gateways,
            "flow_logs_retention_days": env.network.flow_logs_retention_days,
            "interface_endpoints": env.network.interface_endpoints,
            "cluster_name": cluster_name,
            "tags": tags,
        },
        opts=rs.opts(),
    )

    c = env.cluster
    public_endpoint, public_cidrs, deployer_cidrs = deployer_access(ctx, rs)
    eks = EksCluster(
        f"eks{sfx}",
        {
            "cluster_name": cluster_name,
            "kubernetes_version": c.kubernetes_version,
            "subnet_ids": network.private_subnet_ids,
            "kms_key_arn": keys.key_arn,
            "endpoint_public_access": public_endpoint,
            "public_access_cidrs": public_cidrs,
            "deployer_cidrs": deployer_cidrs,
            "enabled_log_types": c.control_plane_logs,
            "log_retention_days": env.monitoring.log_retention_days,
            "admin_role_arns": c.admin_role_arns,
            "system_node_instance_type": c.system_nodes.instance_type,
            "system_node_min": c.system_nodes.min,
            "system_node_max": c.system_nodes.max,
            "tags": tags,
        },
        opts=rs.opts(),
    )

    groups: dict[str, GpuNodeGroup] = {}
    for g in c.gpu_node_groups:
        groups[g.name] = GpuNodeGroup(
            f"gpu-{g.name}{sfx}",
            {
                "cluster_name": eks.cluster_name,
                "node_role_arn": eks.node_role_arn,
                "subnet_ids": network.private_subnet_ids,
                "cluster_security_group_id": eks.cluster_security_group_id,
                "instance_types": g.instance_types,
                "capacity_type": g.capacity_type,
                "min_size": g.min_size,
                "max_size": g.max_size,
                "ami_type": g.ami_type,
                "disk_size_gib": g.disk_size_gib,
                "local_nvme_raid0": g.local_nvme_raid0,
                "kms_key_arn": keys.key_arn,
                "tags": tags,
            },
            opts=rs.opts(),
        )

    addons = ClusterAddons(
        f"addons{sfx}",
        {
            "cluster_name": eks.cluster_name,
            "k8s_provider": eks.k8s_provider,
            "oidc_provider_arn": eks.oidc_provider_arn,
            "oidc_issuer_url": eks.oidc_issuer_url,
            "vpc_id": network.vpc_id,
            "kubernetes_version": c.kubernetes_version,
            # The device plugin config is cluster-wide; time slicing applies when any group asks for it.
            "time_slicing_replicas": max((g.time_slicing_replicas for g in c.gpu_node_groups), default=0),
            "mig_strategy": c.mig_strategy,
            # LlmService's HPA scales on vLLM gauges the adapter serves only when a vllm-eks model needs them.
            "llm_autoscaling": any(d.target == "vllm-eks" for d in env.deployments),
            "tags": tags,
        },
        opts=rs.opts(),
    )

    rs.platform = PlatformOutputs(
        key_arn=keys.key_arn,
        vpc_id=network.vpc_id,
        vpc_cidr=rs.cidr,
        private_subnet_ids=network.private_subnet_ids,
        public_subnet_ids=network.public_subnet_ids,
        cluster_name=eks.cluster_name,
        cluster_security_group_id=eks.cluster_security_group_id,
        oidc_provider_arn=eks.oidc_provider_arn,
        oidc_issuer_url=eks.oidc_issuer_url,
        k8s_provider=eks.k8s_provider,
        gpu_node_groups=dict(groups),
        components={"keys": keys, "network": network, "eks": eks, "addons": addons},
    )
    pulumi.export("cluster_name" if rs.is_primary else f"cluster_name_{rs.region}", eks.cluster_name)
    if rs.is_primary:
        pulumi.export("deployer", deployer_summary(ctx))


def deployer_summary(ctx: StackContext) -> dict[str, Any]:
    """How the deploy job reaches each cluster's API server (the preview prints it as `deployer`)."""
    d = ctx.env.cluster.deployer
    if d is None:
        return {
            "mode": "undeclared",
            "runner_label": None,
            "summary": "not declared: the Kubernetes resources need a runner that reaches the API server "
            "(cluster.deployer)",
        }
    regions = {ctx.primary.region: "private endpoint, 443 from " + ", ".join(d.runner_cidrs)}
    if d.mode == "public_cidrs":
        regions = {r.region: "public endpoint, " + ", ".join(ctx.env.cluster.public_access_cidrs) for r in ctx.regions}
    elif ctx.secondary is not None:
        regions[ctx.secondary.region] = f"public endpoint restricted to the {ctx.primary.region} NAT addresses"
    return {"mode": d.mode, "runner_label": d.runner_label, "summary": d.summary, "regions": regions}

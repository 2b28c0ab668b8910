"""EksCluster: a private, encrypted EKS cluster with IRSA, pinned managed add-ons and system nodes."""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from inferstack.components.versions import DEFAULT_KUBERNETES_VERSION, EKS_ADDON_VERSIONS, SUPPORTED_KUBERNETES_VERSIONS

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
REQUIRED_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator")
_MANAGED = "arn:{partition}:iam::aws:policy/{name}"


class EksClusterArgs(TypedDict):
    cluster_name: str
    """Physical cluster name (unique per account and region); also used in subnet and autoscaler tags."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets in two or more zones; the control plane ENIs and system nodes go here."""
    kms_key_arn: pulumi.Input[str]
    """KMS key for secrets encryption, the control-plane log group and system node volumes."""
    kubernetes_version: NotRequired[str]
    """Default: DEFAULT_KUBERNETES_VERSION ("1.35"). Managed add-on versions come from components/versions.py."""
    endpoint_public_access: NotRequired[bool]
    """Default: False (private endpoint only)."""
    public_access_cidrs: NotRequired[Sequence[pulumi.Input[str]]]
    """CIDRs allowed to a public endpoint; required when it is public, never 0.0.0.0/0. Default: []."""
    deployer_cidrs: NotRequired[Sequence[str]]
    """Default: [] (no rule). CIDRs of an in-VPC deployer (the CI runner that runs `pulumi up` and so also applies
    the Kubernetes resources): each gets an HTTPS (443) ingress rule on the cluster security group, which is the
    only path to the private endpoint's ENIs from outside the cluster's own nodes."""
    enabled_log_types: NotRequired[Sequence[LogType]]
    """Default: ["api", "audit", "authenticator"] (all three are required)."""
    log_retention_days: NotRequired[int]
    """Retention of the control-plane log group. Default: 90."""
    admin_role_arns: NotRequired[Sequence[str]]
    """IAM roles granted cluster admin with EKS access entries. Default: []."""
    system_node_instance_type: NotRequired[str]
    """Default: "m6i.large"."""
    system_node_min: NotRequired[int]
    """Default: 2 (CoreDNS and the controllers survive a node loss)."""
    system_node_max: NotRequired[int]
    """Default: 4."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class EksCluster(pulumi.ComponentResource):
    """EKS with secure defaults: private endpoint, KMS-encrypted secrets, audit logs, API access entries.

    Exposes `k8s_provider`, a `pulumi_kubernetes.Provider` authenticated with `aws eks get-token`; pass it
    explicitly (`ResourceOptions(provider=cluster.k8s_provider)`) to every Kubernetes resource.
    """

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    node_role_name: pulumi.Output[str]
    system_node_group_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    k8s_provider: k8s.Provider

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:EksCluster", name, None, opts)
        cluster_name = args["cluster_name"]
        version = args.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION)
        subnets = list(args["subnet_ids"])
        public = args.get("endpoint_public_access", False)
        cidrs = list(args.get("public_access_cidrs", []))
        deployer_cidrs = list(args.get("deployer_cidrs", []))
        log_types = list(args.get("enabled_log_types", list(REQUIRED_LOG_TYPES)))
        retention = args.get("log_retention_days", 90)
        sys_type = args.get("system_node_instance_type", "m6i.large")
        sys_min = args.get("system_node_min", 2)
        sys_max = args.get("system_node_max", 4)
        tags = dict(args.get("tags", {}))
        where = f"EksCluster {name!r}"
        if version not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"{where}: kubernetes_version={version!r} has no pinned add-on versions; use one of "
                f"{', '.join(SUPPORTED_KUBERNETES_VERSIONS)} or add it to components/versions.py"
            )
        if len(subnets) < 2:
            raise ValueError(f"{where}: subnet_ids has {len(subnets)} subnet(s); EKS needs subnets in 2 or more zones")
        missing = [t for t in REQUIRED_LOG_TYPES if t not in log_types]
        if missing:
            raise ValueError(
                f"{where}: enabled_log_types={log_types} lacks {missing}; api, audit and authenticator are required, "
                "add them"
            )
        if public and not cidrs:
            raise ValueError(
                f"{where}: endpoint_public_access=True with no public_access_cidrs; list the CIDRs allowed to reach "
                "the API server or keep the endpoint private"
            )
        if not public and cidrs:
            raise ValueError(
                f"{where}: public_access_cidrs={cidrs} is set but endpoint_public_access=False; remove the CIDRs or "
                "make the endpoint public"
            )
        open_cidrs = [c for c in cidrs if isinstance(c, str) and c in ("0.0.0.0/0", "::/0")]
        if open_cidrs:
            raise ValueError(f"{where}: public_access_cidrs contains {open_cidrs[0]!r}; list specific office/VPN CIDRs")
        open_deployers = [c for c in deployer_cidrs if c in ("0.0.0.0/0", "::/0")]
        if open_deployers:
            raise ValueError(
                f"{where}: deployer_cidrs contains {open_deployers[0]!r}; list the subnets the deploy runner lives in"
            )
        if not 1 <= sys_min <= sys_max:
            raise ValueError(
                f"{where}: system_node_min={sys_min}, system_node_max={sys_max}; need 1 <= system_node_min <= "
                "system_node_max"
            )

        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region

        account = aws.get_caller_identity_output(opts=invoke).account_id
        # Confused deputy: EKS accepts aws:SourceArn / aws:SourceAccount in the cluster role's trust policy (EKS User
        # Guide, "Cross-service confused deputy prevention in Amazon EKS", added 2025-08-19), so only this
        # account's cluster of this name can have EKS assume it.
        cluster_trust = pulumi.Output.all(partition, region, account).apply(
            lambda v: json.dumps(
                _service_trust(
                    "eks.amazonaws.com",
                    ["sts:AssumeRole", "sts:TagSession"],
                    {
                        "StringEquals": {"aws:SourceAccount": v[2]},
                        "ArnLike": {"aws:SourceArn": f"arn:{v[0]}:eks:{v[1]}:{v[2]}:cluster/{cluster_name}"},
                    },
                )
            )
        )
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            description=f"EKS control plane of {cluster_name}",
            assume_role_policy=cluster_trust,
            tags=tags,
            opts=child,
        )
        cluster_attach = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=partition.apply(lambda p: _MANAGED.format(partition=p, name="AmazonEKSClusterPolicy")),
            opts=child,
        )
        # Created before the cluster so that EKS writes into an encrypted group with a retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=retention,
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=subnets,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=cidrs if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args["kms_key_arn"]),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=log_types,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity running `pulumi up` installs the add-ons through the Kubernetes provider.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            bootstrap_self_managed_addons=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_attach, log_group]),
        )
        # The private endpoint's ENIs carry the cluster security group, whose only inbound rule admits the group
        # itself (EKS user guide, "View Amazon EKS security group requirements for clusters", default rules;
        # docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, read 2026-12-02): an in-VPC deployer needs
        # its own 443 rule. Standalone rules, because EKS (not Pulumi) owns the group and its self rule.
        deployer_rules: list[pulumi.Resource] = []
        for i, source in enumerate(deployer_cidrs):
            rule = aws.vpc.SecurityGroupIngressRule(
                f"{name}-deployer-{i}",
                security_group_id=cluster.vpc_config.cluster_security_group_id,
                description=f"Deploy runner ({source}) to the Kubernetes API of {cluster_name}",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=source,
                tags=tags,
                opts=child,
            )
            deployer_rules.append(rule)
        issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer or "")
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], tags=tags, opts=child
        )
        issuer_host = issuer.apply(lambda u: u.removeprefix("https://"))

        for i, role_arn in enumerate(args.get("admin_role_arns", [])):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=partition.apply(
                    lambda p: f"arn:{p}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                ),
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=child,
            )

        # Node role: join the cluster and pull from ECR, nothing else (the CNI uses its own IRSA role).
        # EC2 sets neither aws:SourceAccount nor aws:SourceArn when an instance assumes its profile's role, so the
        # node role's trust has no source condition; only principals allowed iam:PassRole can attach it.
        node_role = aws.iam.Role(
            f"{name}-node-role",
            description=f"EKS worker nodes of {cluster_name}",
            assume_role_policy=json.dumps(_service_trust("ec2.amazonaws.com", ["sts:AssumeRole"])),
            tags=tags,
            opts=child,
        )
        node_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{short}",
                role=node_role.name,
                policy_arn=partition.apply(lambda p, n=managed: _MANAGED.format(partition=p, name=n)),
                opts=child,
            )
            for short, managed in (
                ("worker", "AmazonEKSWorkerNodePolicy"),
                ("ecr", "AmazonEC2ContainerRegistryReadOnly"),
            )
        ]
        cni_role = irsa_role(
            f"{name}-vpc-cni",
            parent=self,
            oidc_provider_arn=oidc.arn,
            oidc_issuer=issuer_host,
            namespace="kube-system",
            service_account="aws-node",
            tags=tags,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-vpc-cni",
            role=cni_role.name,
            policy_arn=partition.apply(lambda p: _MANAGED.format(partition=p, name="AmazonEKS_CNI_Policy")),
            opts=child,
        )

        pinned = EKS_ADDON_VERSIONS[version]
        before_nodes = []
        for addon in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            before_nodes.append(
                aws.eks.Addon(
                    f"{name}-{addon}",
                    cluster_name=cluster.name,
                    addon_name=addon,
                    addon_version=pinned[addon],
                    service_account_role_arn=cni_role.arn if addon == "vpc-cni" else None,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="PRESERVE",
                    tags=tags,
                    opts=child,
                )
            )

        system_lt = aws.ec2.LaunchTemplate(
            f"{name}-system-lt",
            description=f"System nodes of {cluster_name}: IMDSv2 only, encrypted gp3",
            metadata_options=imdsv2_only(),
            block_device_mappings=[encrypted_root_volume("/dev/xvda", 50, args["kms_key_arn"])],
            network_interfaces=[private_interface([cluster.vpc_config.cluster_security_group_id])],
            tag_specifications=instance_tag_specs({**tags, "Name": f"{cluster_name}-system"}),
            tags=tags,
            opts=child,
        )
        system_nodes = aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=subnets,
            instance_types=[sys_type],
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=sys_min, max_size=sys_max, desired_size=sys_min),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=system_lt.id, version=system_lt.latest_version.apply(str)
            ),
            labels={"inferstack.io/node-role": "system"},
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*node_attachments, *before_nodes], ignore_changes=["scalingConfig.desiredSize"]
            ),
        )
        aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=cluster.name,
            addon_name="coredns",
            addon_version=pinned["coredns"],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_nodes]),
        )

        self.kubeconfig = pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority.data, region
        ).apply(lambda v: json.dumps(kubeconfig(v[0], v[1], v[2], v[3])))
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # The deployer's first API call waits for its 443 rule (a fresh stack creates both in one run).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_nodes, *deployer_rules]),
        )
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer_url = issuer_host
        self.node_role_arn = node_role.arn
        self.node_role_name = node_role.name
        self.system_node_group_name = system_nodes.node_group_name
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "cluster_security_group_id": self.cluster_security_group_id,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "node_role_arn": self.node_role_arn,
                "system_node_group_name": self.system_node_group_name,
            }
        )


# -- helpers shared by the platform components (values only, no resources) ---------------------------


def _service_trust(service: str, actions: list[str], condition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}
    if condition:
        statement["Condition"] = dict(condition)
    return {"Version": "2012-10-17", "Statement": [statement]}


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Trust policy that lets exactly one Kubernetes service account assume the role through IRSA."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{oidc_issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def irsa_role(
    name: str,
    *,
    parent: pulumi.Resource,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    tags: Mapping[str, str],
) -> aws.iam.Role:
    """An IAM role for one service account (`oidc_issuer` without https://)."""
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda v: json.dumps(irsa_trust_policy(v[0], v[1], namespace, service_account))
    )
    return aws.iam.Role(
        name,
        description=f"IRSA role of service account {namespace}/{service_account}",
        assume_role_policy=trust,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def imdsv2_only() -> aws.ec2.LaunchTemplateMetadataOptionsArgs:
    """IMDSv2 required and hop limit 1: pods cannot reach the node's instance credentials."""
    return aws.ec2.LaunchTemplateMetadataOptionsArgs(
        http_endpoint="enabled",
        http_tokens="required",
        http_put_response_hop_limit=1,
        instance_metadata_tags="disabled",
    )


def encrypted_root_volume(
    device: str, size_gib: int, kms_key_arn: pulumi.Input[str] | None
) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
    return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name=device,
        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=size_gib,
            volume_type="gp3",
            iops=3000,
            throughput=250,
            encrypted="true",
            kms_key_id=kms_key_arn,
            delete_on_termination="true",
        ),
    )


def private_interface(
    security_group_ids: Sequence[pulumi.Input[str]],
) -> aws.ec2.LaunchTemplateNetworkInterfaceArgs:
    """The node's primary interface: never a public IP; the cluster security group lets it reach the control plane."""
    return aws.ec2.LaunchTemplateNetworkInterfaceArgs(
        device_index=0,
        associate_public_ip_address="false",
        delete_on_termination="true",
        security_groups=list(security_group_ids),
    )


def instance_tag_specs(tags: Mapping[str, str]) -> list[aws.ec2.LaunchTemplateTagSpecificationArgs]:
    return [
        aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=dict(tags))
        for kind in ("instance", "volume", "network-interface")
    ]


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig that gets short-lived tokens from `aws eks get-token` (no static credentials)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }

"""ClusterAddons: the Helm releases that make GPUs schedulable, measurable and autoscalable."""

import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from inferstack.components.eks_cluster import irsa_role
from inferstack.components.versions import (
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
    DEFAULT_KUBERNETES_VERSION,
    EKS_ADDON_VERSIONS,
    helm_chart,
)

TRITON_QUEUE_TIME_METRIC = "avg_time_queue_us"
TRITON_QUEUE_TIME_QUERY = (
    "sum(increase(nv_inference_queue_duration_us{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) / "
    "clamp_min(sum(increase(nv_inference_request_success{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>), 1)"
)
"""Triton's average per-request queue time over 1 min, per pod (prometheus-adapter template syntax).

Both series are counters, so increase() (which handles counter resets on pod restarts) and not delta()
(meant for gauges); a 1 min window holds four 15 s scrapes. Idle pods (no request) read 0."""
VLLM_ADAPTER_RULES = (
    # (vLLM gauge, HPA metric name, aggregation over the pod's series). vLLM V1 gauges (docs/design/metrics.md,
    # read 2026-12-02): `vllm:num_requests_waiting` (requests queued for a batch slot) and `vllm:kv_cache_usage_perc`
    # (fraction of KV-cache blocks in use, 0-1). A pod exports one series per engine (label `engine`), so waiting
    # requests add up and KV-cache use takes the fullest engine. The HPA names drop the colon.
    ("vllm:num_requests_waiting", "vllm_num_requests_waiting", "sum"),
    ("vllm:kv_cache_usage_perc", "vllm_kv_cache_usage_perc", "max"),
)
"""Pods metrics for LlmService's HPA (llm_service.WAITING_METRIC, llm_service.KV_CACHE_METRIC)."""
MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
SYSTEM_NODES = {"inferstack.io/node-role": "system"}


class ClusterAddonsArgs(TypedDict):
    cluster_name: pulumi.Input[str]
    """EKS cluster the add-ons run in."""
    k8s_provider: k8s.Provider
    """EksCluster.k8s_provider; every release uses it explicitly."""
    oidc_provider_arn: pulumi.Input[str]
    """EksCluster.oidc_provider_arn (IRSA)."""
    oidc_issuer_url: pulumi.Input[str]
    """EksCluster.oidc_issuer_url, without https://."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster (the load balancer controller cannot read it from IMDS at hop limit 1)."""
    kubernetes_version: NotRequired[str]
    """Picks the cluster-autoscaler image. Default: DEFAULT_KUBERNETES_VERSION ("1.35")."""
    time_slicing_replicas: NotRequired[int]
    """NVIDIA time-slicing: pods sharing one GPU (0 = off). Default: 0."""
    mig_strategy: NotRequired[Literal["none", "single", "mixed"]]
    """NVIDIA device-plugin MIG strategy. Default: "none"."""
    expander: NotRequired[Literal["least-waste", "priority"]]
    """cluster-autoscaler expander. Default: "least-waste" (fewest idle GPUs after scale-up)."""
    expander_priorities: NotRequired[Mapping[int, list[str]]]
    """Priority expander: priority -> ASG name regexes (higher wins). Default: {10: [".*"]}."""
    scale_down_unneeded_time: NotRequired[str]
    """Idle time before a CPU node is removed; GPU groups set a longer one on their ASG. Default: "10m"."""
    prometheus_retention: NotRequired[str]
    """Default: "15d"."""
    llm_autoscaling: NotRequired[bool]
    """Default: False. Also serve the vLLM gauges LlmService's HPA scales on (VLLM_ADAPTER_RULES) as pods metrics;
    the stack turns it on when the environment deploys a `vllm-eks` model."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags (the IAM roles and policies)."""


class ClusterAddons(pulumi.ComponentResource):
    """NVIDIA device plugin, DCGM exporter, kube-prometheus-stack, prometheus-adapter (Triton queue time),
    metrics-server, cluster-autoscaler and the AWS Load Balancer Controller, each pinned in versions.py."""

    releases: dict[str, k8s.helm.v3.Release]
    autoscaler_role_arn: pulumi.Output[str]
    cloudwatch_agent_role_arn: pulumi.Output[str]
    load_balancer_controller_role_arn: pulumi.Output[str]
    prometheus_url: str

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:ClusterAddons", name, None, opts)
        version = args.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION)
        replicas = args.get("time_slicing_replicas", 0)
        mig = args.get("mig_strategy", "none")
        expander = args.get("expander", "least-waste")
        idle = args.get("scale_down_unneeded_time", "10m")
        tags = dict(args.get("tags", {}))
        where = f"ClusterAddons {name!r}"
        if version not in CLUSTER_AUTOSCALER_IMAGE_TAGS:
            raise ValueError(
                f"{where}: kubernetes_version={version!r} has no pinned cluster-autoscaler image; use one of "
                f"{', '.join(CLUSTER_AUTOSCALER_IMAGE_TAGS)} or add it to components/versions.py"
            )
        if not 0 <= replicas <= 16:
            raise ValueError(f"{where}: time_slicing_replicas={replicas} is outside 0-16; use 0 (off) to 16")
        if mig not in ("none", "single", "mixed"):
            raise ValueError(f"{where}: mig_strategy={mig!r} is not allowed; use 'none', 'single' or 'mixed'")
        if replicas and mig != "none":
            raise ValueError(
                f"{where}: time_slicing_replicas={replicas} with mig_strategy={mig!r}; pick one way to share GPUs"
            )
        if expander not in ("least-waste", "priority"):
            raise ValueError(f"{where}: expander={expander!r} is not allowed; use 'least-waste' or 'priority'")
        if not isinstance(args.get("k8s_provider"), k8s.Provider):
            raise ValueError(f"{where}: k8s_provider is missing; pass EksCluster.k8s_provider")

        provider = args["k8s_provider"]
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        cluster = pulumi.Output.from_input(args["cluster_name"])

        # IRSA roles, each trusting only its own service account in kube-system, with its own inline policy.
        roles: dict[str, aws.iam.Role] = {}
        for service_account, policy_document in (
            ("cluster-autoscaler", autoscaler_policy),
            ("aws-load-balancer-controller", load_balancer_controller_policy),
        ):
            role = irsa_role(
                f"{name}-{service_account}",
                parent=self,
                oidc_provider_arn=args["oidc_provider_arn"],
                oidc_issuer=args["oidc_issuer_url"],
                namespace="kube-system",
                service_account=service_account,
                tags=tags,
            )
            aws.iam.RolePolicy(
                f"{name}-{service_account}",
                role=role.id,
                policy=pulumi.Output.all(partition, region, account, cluster).apply(
                    lambda v, document=policy_document: json.dumps(document(v[0], v[1], v[2], v[3]))
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            roles[service_account] = role
        ca_role, lbc_role = roles["cluster-autoscaler"], roles["aws-load-balancer-controller"]
        self.cloudwatch_agent_role_arn = _cloudwatch_observability(self, name, args, version, partition, tags)

        device_plugin: dict[str, Any] = {
            "migStrategy": mig,
            "tolerations": [GPU_TOLERATION],
            "nodeSelector": {"nvidia.com/gpu.present": "true"},
        }
        if replicas:
            sharing = {
                "version": "v1",
                "sharing": {"timeSlicing": {"resources": [{"name": "nvidia.com/gpu", "replicas": replicas}]}},
            }
            device_plugin["config"] = {
                "map": {"default": yaml.safe_dump(sharing, sort_keys=False)},
                "default": "default",
            }

        releases: dict[str, k8s.helm.v3.Release] = {}

        def release(
            chart: str, namespace: str, values: Mapping[str, Any], depends_on: list[pulumi.Resource] | None = None
        ) -> k8s.helm.v3.Release:
            pinned = helm_chart(chart, version)
            releases[chart] = k8s.helm.v3.Release(
                f"{name}-{chart}",
                name=chart,
                chart=pinned.chart,
                version=pinned.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pinned.repo),
                namespace=namespace,
                create_namespace=namespace not in ("kube-system",),
                atomic=True,
                cleanup_on_fail=True,
                timeout=600,
                values=dict(values),
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on or []),
            )
            return releases[chart]

        release("nvidia-device-plugin", "nvidia-device-plugin", device_plugin)
        prometheus = release(
            "kube-prometheus-stack",
            MONITORING_NAMESPACE,
            {
                "prometheus": {
                    "prometheusSpec": {
                        # Pick up every ServiceMonitor/PodMonitor (Triton, DCGM), not only this release's.
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                        "podMonitorSelectorNilUsesHelmValues": False,
                        "ruleSelectorNilUsesHelmValues": False,
                        "retention": args.get("prometheus_retention", "15d"),
                        "nodeSelector": SYSTEM_NODES,
                    }
                },
                "alertmanager": {"alertmanagerSpec": {"nodeSelector": SYSTEM_NODES}},
                "grafana": {"nodeSelector": SYSTEM_NODES},
            },
        )
        release(
            "dcgm-exporter",
            MONITORING_NAMESPACE,
            {
                "serviceMonitor": {"enabled": True, "interval": "15s"},
                "tolerations": [GPU_TOLERATION],
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
            },
            depends_on=[prometheus],
        )
        release(
            "prometheus-adapter",
            MONITORING_NAMESPACE,
            {
                "prometheus": {"url": PROMETHEUS_URL, "port": 9090},
                "rules": {
                    "default": False,
                    "custom": [
                        {
                            "seriesQuery": 'nv_inference_queue_duration_us{namespace!="",pod!=""}',
                            "resources": {
                                "overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}
                            },
                            "name": {"matches": "^nv_inference_queue_duration_us$", "as": TRITON_QUEUE_TIME_METRIC},
                            "metricsQuery": TRITON_QUEUE_TIME_QUERY,
                        },
                        *(
                            {
                                "seriesQuery": f'{series}{{namespace!="",pod!=""}}',
                                "resources": {
                                    "overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}
                                },
                                "name": {"matches": f"^{series}$", "as": metric},
                                "metricsQuery": f"{agg}({series}{{<<.LabelMatchers>>}}) by (<<.GroupBy>>)",
                            }
                            for series, metric, agg in (VLLM_ADAPTER_RULES if args.get("llm_autoscaling") else ())
                        ),
                    ],
                },
                "nodeSelector": SYSTEM_NODES,
            },
            depends_on=[prometheus],
        )
        release("metrics-server", "kube-system", {"nodeSelector": SYSTEM_NODES})
        autoscaler_values: dict[str, Any] = {
            "cloudProvider": "aws",
            "awsRegion": region,
            "autoDiscovery": {"clusterName": cluster},
            "image": {"tag": CLUSTER_AUTOSCALER_IMAGE_TAGS[version]},
            "rbac": {
                "serviceAccount": {
                    "create": True,
                    "name": "cluster-autoscaler",
                    "annotations": {"eks.amazonaws.com/role-arn": ca_role.arn},
                }
            },
            "extraArgs": {
                # GPU nodes keep model caches on local storage; they must still be removable.
                "skip-nodes-with-local-storage": False,
                "expander": expander,
                "scale-down-unneeded-time": idle,
                "balance-similar-node-groups": True,
                "scale-down-delay-after-add": "10m",
            },
            "nodeSelector": SYSTEM_NODES,
        }
        if expander == "priority":
            autoscaler_values["expanderPriorities"] = yaml.safe_dump(
                {int(k): list(v) for k, v in args.get("expander_priorities", {10: [".*"]}).items()}
            )
        release("cluster-autoscaler", "kube-system", autoscaler_values)
        release(
            "aws-load-balancer-controller",
            "kube-system",
            {
                "clusterName": cluster,
                "region": region,
                "vpcId": args["vpc_id"],
                "serviceAccount": {
                    "create": True,
                    "name": "aws-load-balancer-controller",
                    "annotations": {"eks.amazonaws.com/role-arn": lbc_role.arn},
                },
                "nodeSelector": SYSTEM_NODES,
            },
        )

        self.releases = releases
        self.autoscaler_role_arn = ca_role.arn
        self.load_balancer_controller_role_arn = lbc_role.arn
        self.prometheus_url = PROMETHEUS_URL
        self.register_outputs(
            {
                "autoscaler_role_arn": self.autoscaler_role_arn,
                "load_balancer_controller_role_arn": self.load_balancer_controller_role_arn,
                "prometheus_url": PROMETHEUS_URL,
            }
        )


CLOUDWATCH_ADDON = "amazon-cloudwatch-observability"
CLOUDWATCH_NAMESPACE = "amazon-cloudwatch"
CLOUDWATCH_SERVICE_ACCOUNT = "cloudwatch-agent"


def _cloudwatch_observability(
    self: ClusterAddons,
    name: str,
    args: ClusterAddonsArgs,
    version: str,
    partition: pulumi.Output[str],
    tags: Mapping[str, str],
) -> pulumi.Output[str]:
    """The Amazon CloudWatch Observability EKS add-on: publishes the `ContainerInsights` metrics the dashboard reads.

    IAM as the EKS user guide ("Amazon CloudWatch Observability agent" add-on page) and the CloudWatch guide
    ("Install the CloudWatch agent with the Amazon CloudWatch Observability EKS add-on") describe it, read
    2026-12-02: IRSA for service account `amazon-cloudwatch/cloudwatch-agent` with the AWS-managed
    `CloudWatchAgentServerPolicy` (rather than attaching it to the node role, which every pod could use).
    The add-on's DaemonSets tolerate all taints by default (aws-observability/helm-charts PR #41), so they
    also run on the tainted GPU nodes; its own dcgm-exporter feeds the node_gpu_* metrics.
    """
    role = irsa_role(
        f"{name}-{CLOUDWATCH_SERVICE_ACCOUNT}",
        parent=self,
        oidc_provider_arn=args["oidc_provider_arn"],
        oidc_issuer=args["oidc_issuer_url"],
        namespace=CLOUDWATCH_NAMESPACE,
        service_account=CLOUDWATCH_SERVICE_ACCOUNT,
        tags=tags,
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-{CLOUDWATCH_SERVICE_ACCOUNT}",
        role=role.name,
        policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/CloudWatchAgentServerPolicy"),
        opts=pulumi.ResourceOptions(parent=self),
    )
    aws.eks.Addon(
        f"{name}-cloudwatch-observability",
        cluster_name=args["cluster_name"],
        addon_name=CLOUDWATCH_ADDON,
        # Pinned per minor in components/versions.py; a minor without a pin gets EKS's default version for it.
        addon_version=EKS_ADDON_VERSIONS.get(version, {}).get(CLOUDWATCH_ADDON),
        service_account_role_arn=role.arn,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
    )
    return role.arn


def autoscaler_policy(partition: str, region: str, account: str, cluster: str) -> dict[str, Any]:
    """Read what it needs everywhere; mutate only Auto Scaling groups tagged as this cluster's."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScaleOnlyThisClustersNodeGroups",
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}},
            },
            {
                "Sid": "DescribeThisClustersNodeGroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": f"arn:{partition}:eks:{region}:{account}:nodegroup/{cluster}/*/*",
            },
            {
                "Sid": "DiscoverGroupsAndInstanceTypes",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
        ],
    }


def load_balancer_controller_policy(partition: str, region: str, account: str, cluster: str) -> dict[str, Any]:
    """The AWS Load Balancer Controller's permissions, mutations limited to resources it tagged itself."""
    owned = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cluster}}
    requested = {"StringEquals": {"aws:RequestTag/elbv2.k8s.aws/cluster": cluster}}
    elb = f"arn:{partition}:elasticloadbalancing:{region}:{account}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceLinkedRole",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            },
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeAccountAttributes",
                    "ec2:DescribeAddresses",
                    "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeInternetGateways",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeInstances",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeTags",
                    "ec2:GetCoipPoolUsage",
                    "ec2:DescribeCoipPools",
                    "ec2:GetSecurityGroupsForVpc",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeLoadBalancerAttributes",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeListenerCertificates",
                    "elasticloadbalancing:DescribeListenerAttributes",
                    "elasticloadbalancing:DescribeSSLPolicies",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetGroupAttributes",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeTags",
                    "elasticloadbalancing:DescribeTrustStores",
                    "acm:ListCertificates",
                    "acm:DescribeCertificate",
                    "wafv2:GetWebACL",
                    "wafv2:GetWebACLForResource",
                    "wafv2:AssociateWebACL",
                    "wafv2:DisassociateWebACL",
                    "shield:GetSubscriptionState",
                ],
                "Resource": "*",
            },
            {
                "Sid": "SecurityGroups",
                "Effect": "Allow",
                "Action": ["ec2:CreateSecurityGroup"],
                "Resource": "*",
            },
            {
                "Sid": "TagNewSecurityGroups",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": f"arn:{partition}:ec2:*:*:security-group/*",
                "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", **requested["StringEquals"]}},
            },
            {
                "Sid": "ManageOwnSecurityGroups",
                "Effect": "Allow",
                "Action": [
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupIngress",
                    "ec2:DeleteSecurityGroup",
                    "ec2:CreateTags",
                    "ec2:DeleteTags",
                ],
                "Resource": f"arn:{partition}:ec2:*:*:security-group/*",
                "Condition": owned,
            },
            {
                "Sid": "CreateLoadBalancersTagged",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
                "Resource": "*",
                "Condition": requested,
            },
            {
                "Sid": "ListenersAndRules",
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:CreateListener",
                    "elasticloadbalancing:DeleteListener",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:DeleteRule",
                ],
                "Resource": [
                    f"{elb}:loadbalancer/app/*/*",
                    f"{elb}:loadbalancer/net/*/*",
                    f"{elb}:listener/app/*/*/*",
                    f"{elb}:listener/net/*/*/*",
                    f"{elb}:listener-rule/app/*/*/*/*",
                    f"{elb}:listener-rule/net/*/*/*/*",
                ],
            },
            {
                "Sid": "TagOwnLoadBalancers",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                "Resource": [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/app/*/*", f"{elb}:loadbalancer/net/*/*"],
            },
            {
                "Sid": "ModifyOwnLoadBalancers",
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:ModifyLoadBalancerAttributes",
                    "elasticloadbalancing:SetIpAddressType",
                    "elasticloadbalancing:SetSecurityGroups",
                    "elasticloadbalancing:SetSubnets",
                    "elasticloadbalancing:DeleteLoadBalancer",
                    "elasticloadbalancing:ModifyTargetGroup",
                    "elasticloadbalancing:ModifyTargetGroupAttributes",
                    "elasticloadbalancing:DeleteTargetGroup",
                    "elasticloadbalancing:ModifyListenerAttributes",
                ],
                "Resource": "*",
                "Condition": owned,
            },
            {
                "Sid": "RegisterTargets",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                "Resource": f"{elb}:targetgroup/*/*",
            },
            {
                # SetWebAcl (WAF Classic regional association) has no resource type in the Service Authorization
                # Reference (list_awselasticloadbalancingv2.html, read 2026-12-02): scoped to listener ARNs it can
                # never match, so it takes "*" like upstream docs/install/iam_policy.json (v2.10.1) grants it.
                "Sid": "WebAclAssociation",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:SetWebAcl"],
                "Resource": "*",
            },
            {
                "Sid": "ListenersCertificatesAndRules",
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:ModifyListener",
                    "elasticloadbalancing:AddListenerCertificates",
                    "elasticloadbalancing:RemoveListenerCertificates",
                    "elasticloadbalancing:ModifyRule",
                ],
                "Resource": [f"{elb}:listener/*/*/*/*", f"{elb}:listener-rule/*/*/*/*", f"{elb}:listener/*/*/*"],
            },
        ],
    }

"""Platform components on their own, under recording mocks: secure defaults, GPU shape, IAM scope, validation."""

from __future__ import annotations

import base64
import email
import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from inferstack.catalog import EC2_TYPES
from inferstack.components.cluster_addons import TRITON_QUEUE_TIME_METRIC, ClusterAddons
from inferstack.components.eks_cluster import EksCluster
from inferstack.components.gpu_node_group import GpuNodeGroup, GpuNodeGroupArgs
from inferstack.components.keys import Keys
from inferstack.components.network import Network
from inferstack.components.versions import DEFAULT_KUBERNETES_VERSION, EKS_ADDON_VERSIONS, HELM_CHARTS, helm_chart
from tests.conftest import Recorded, run_components

TAGS = {"owner": "ml-platform", "cost-center": "ml-1234"}
KEY = "arn:aws:kms:us-east-1:123456789012:key/test"


def gpu_args(**overrides: Any) -> GpuNodeGroupArgs:
    args: dict[str, Any] = {
        "cluster_name": "demo",
        "node_role_arn": "arn:aws:iam::123456789012:role/nodes",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "cluster_security_group_id": "sg-cluster",
        "tags": TAGS,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def build_gpu_group(**overrides: Any) -> Recorded:
    def program() -> None:
        GpuNodeGroup("gpu", gpu_args(**overrides))

    return run_components(program)


def statements(policy: str) -> list[dict[str, Any]]:
    doc = json.loads(policy)
    return doc["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# -- GpuNodeGroup ------------------------------------------------------------------------------------


def test_gpu_nodes_are_tainted_so_cpu_pods_stay_off() -> None:
    group = build_gpu_group().one("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]


def test_local_nvme_raid0_puts_a_nodeadm_raid0_node_config_in_the_user_data() -> None:
    assert "userData" not in build_gpu_group().one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    lt = build_gpu_group(local_nvme_raid0=True).one("aws:ec2/launchTemplate:LaunchTemplate")
    message = email.message_from_string(base64.b64decode(lt.inputs["userData"]).decode("utf-8"))
    assert message.is_multipart()
    (part,) = message.get_payload()
    assert part.get_content_type() == "application/node.eks.aws"
    config = yaml.safe_load(part.get_payload())
    assert config == {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {"instance": {"localStorage": {"strategy": "RAID0"}}},
    }


def test_local_nvme_raid0_is_refused_on_bottlerocket() -> None:
    with pytest.raises(ValueError, match=r"local_nvme_raid0 needs ami_type AL2023_x86_64_NVIDIA"):
        build_gpu_group(local_nvme_raid0=True, ami_type="BOTTLEROCKET_x86_64_NVIDIA")


def test_gpu_launch_template_requires_imdsv2_with_hop_limit_one_and_no_public_ip() -> None:
    lt = build_gpu_group().one("aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
    assert lt.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert [n["associatePublicIpAddress"] for n in lt.inputs["networkInterfaces"]] == ["false"]


def test_gpu_root_volume_is_encrypted_gp3_of_200_gib_by_default() -> None:
    lt = build_gpu_group(kms_key_arn=KEY).one("aws:ec2/launchTemplate:LaunchTemplate")
    (mapping,) = lt.inputs["blockDeviceMappings"]
    assert mapping["ebs"]["encrypted"] == "true"
    assert mapping["ebs"]["volumeType"] == "gp3"
    assert mapping["ebs"]["volumeSize"] == 200
    assert mapping["ebs"]["kmsKeyId"] == KEY


def test_gpu_node_group_leaves_desired_size_to_the_autoscaler_and_starts_at_min() -> None:
    group = build_gpu_group(min_size=0, max_size=3).one("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 3, "desiredSize": 0}
    assert group.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group.inputs["updateConfig"] == {"maxUnavailable": 1}


def test_gpu_node_group_carries_autoscaler_discovery_and_node_template_tags() -> None:
    recorded = build_gpu_group(instance_types=["g5.12xlarge"])
    tags = recorded.one("aws:eks/nodeGroup:NodeGroup").inputs["tags"]
    gpus = str(EC2_TYPES["g5.12xlarge"].gpus)
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert tags["k8s.io/cluster-autoscaler/demo"] == "owned"
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == gpus
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/inferstack.io/gpu-class"] == "A10G"
    assert tags["owner"] == "ml-platform"
    # The ASG itself gets the node-template tags, so the autoscaler can scale up from zero.
    asg_tags = {t.inputs["tag"]["key"]: t.inputs["tag"]["value"] for t in recorded.all("aws:autoscaling/tag:Tag")}
    assert asg_tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == gpus
    assert asg_tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
    assert all(t.inputs["autoscalingGroupName"].startswith("eks-") for t in recorded.all("aws:autoscaling/tag:Tag"))


def test_gpu_nodes_are_labelled_with_accelerator_and_instance_family() -> None:
    labels = (
        build_gpu_group(instance_types=["g6.xlarge", "g6.2xlarge"]).one("aws:eks/nodeGroup:NodeGroup").inputs["labels"]
    )
    assert labels["inferstack.io/gpu-class"] == "L4"
    assert labels["inferstack.io/instance-family"] == "g6"
    assert labels["nvidia.com/gpu.present"] == "true"


def test_bottlerocket_gpu_nodes_encrypt_their_data_volume() -> None:
    lt = build_gpu_group(ami_type="BOTTLEROCKET_x86_64_NVIDIA").one("aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.inputs["blockDeviceMappings"][0]["deviceName"] == "/dev/xvdb"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"instance_types": ["g6.xlarge", "m6i.large"]},
            "GpuNodeGroup 'gpu': instance_types ['m6i.large'] are not NVIDIA GPU instance types; use GPU types such as "
            + ", ".join(sorted(t for t, s in EC2_TYPES.items() if s.accelerator == "nvidia")),
        ),
        (
            {"instance_types": ["g6.xlarge", "g5.xlarge"]},
            "GpuNodeGroup 'gpu': instance_types ['g6.xlarge', 'g5.xlarge'] mix GPU classes ['A10G', 'L4']; one node "
            "group holds one GPU class, create one GpuNodeGroup per class",
        ),
        (
            {"min_size": 3, "max_size": 2},
            "GpuNodeGroup 'gpu': min_size=3 exceeds max_size=2; raise max_size or lower min_size",
        ),
        (
            {"min_size": 0, "max_size": 0},
            "GpuNodeGroup 'gpu': max_size=0 must be >= 1; set max_size to 1 or more",
        ),
        (
            {"instance_types": []},
            "GpuNodeGroup 'gpu': instance_types is empty; list one or more GPU instance types such as 'g6.xlarge'",
        ),
        (
            {"disk_size_gib": 20},
            "GpuNodeGroup 'gpu': disk_size_gib=20 is too small for GPU serving images; use 50 or more (default 200)",
        ),
    ],
    ids=["non-gpu-type", "mixed-gpu-classes", "min-above-max", "max-below-one", "no-types", "small-disk"],
)
def test_invalid_gpu_node_group_fails_with_the_exact_message(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        GpuNodeGroup("gpu", gpu_args(**overrides))
    assert str(info.value) == message


# -- Keys --------------------------------------------------------------------------------------------


def test_key_rotates_and_its_policy_names_no_wildcard_principal() -> None:
    recorded = run_components(lambda: Keys("keys", {"alias": "inferstack-test", "tags": TAGS}) and None)
    key = recorded.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["tags"] == TAGS
    for stmt in statements(key.inputs["policy"]):
        principal = stmt["Principal"]
        assert principal != "*"
        for values in principal.values():
            assert "*" not in as_list(values)
    services = {s for st in statements(key.inputs["policy"]) for s in as_list(st["Principal"].get("Service", []))}
    assert {"logs.us-east-1.amazonaws.com", "sns.amazonaws.com"} <= services
    service_statements = [st for st in statements(key.inputs["policy"]) if "Service" in st["Principal"]]
    assert all("Condition" in st for st in service_statements)
    assert recorded.one("aws:kms/alias:Alias").inputs["name"] == "alias/inferstack-test"


def test_key_with_an_invalid_alias_fails_with_the_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        Keys("keys", {"alias": "alias/bad name"})
    assert str(info.value) == (
        "Keys 'keys': alias='alias/bad name' is not a valid KMS alias name; use letters, digits, '/', '_' or '-' "
        "without the 'alias/' prefix and not starting with 'aws'"
    )


# -- Network -----------------------------------------------------------------------------------------


def build_network(**overrides: Any) -> Recorded:
    args: dict[str, Any] = {
        "cidr": "10.50.0.0/16",
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "flow_logs_kms_key_arn": KEY,
        "cluster_name": "demo",
        "tags": TAGS,
    }
    args.update(overrides)
    return run_components(lambda: Network("net", args) and None)  # type: ignore[arg-type]


def test_subnets_spread_over_the_given_zones_without_overlap() -> None:
    recorded = build_network()
    subnets = recorded.all("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if s.inputs["tags"]["inferstack.io/tier"] == "private"]
    public = [s for s in subnets if s.inputs["tags"]["inferstack.io/tier"] == "public"]
    assert sorted(s.inputs["availabilityZone"] for s in private) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert sorted(s.inputs["availabilityZone"] for s in public) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert len({s.inputs["cidrBlock"] for s in subnets}) == 6
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/cluster/demo"] == "shared" for s in subnets)


def test_single_nat_mode_builds_one_gateway_and_per_az_one_per_zone() -> None:
    assert len(build_network(nat_gateways="single").all("aws:ec2/natGateway:NatGateway")) == 1
    assert len(build_network(nat_gateways="per_az").all("aws:ec2/natGateway:NatGateway")) == 3


def test_flow_logs_go_to_a_kms_encrypted_group_with_the_retention() -> None:
    recorded = build_network(flow_logs_retention_days=14)
    group = recorded.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == KEY
    assert group.inputs["retentionInDays"] == 14
    assert recorded.one("aws:ec2/flowLog:FlowLog").inputs["trafficType"] == "ALL"


def test_interface_endpoints_are_created_in_private_subnets_and_can_be_turned_off() -> None:
    on = build_network()
    services = sorted(e.inputs["serviceName"] for e in on.all("aws:ec2/vpcEndpoint:VpcEndpoint"))
    assert services == sorted(
        f"com.amazonaws.us-east-1.{s}"
        for s in ("s3", "ecr.api", "ecr.dkr", "sts", "logs", "sagemaker.api", "sagemaker.runtime")
    )
    for endpoint in on.all("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint.inputs["vpcEndpointType"] == "Interface":
            assert endpoint.inputs["privateDnsEnabled"] is True
            assert len(endpoint.inputs["subnetIds"]) == 3
    off = build_network(interface_endpoints=False)
    assert [e.inputs["vpcEndpointType"] for e in off.all("aws:ec2/vpcEndpoint:VpcEndpoint")] == ["Gateway"]


def test_network_with_one_zone_fails_with_the_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        Network("net", {"cidr": "10.50.0.0/16", "availability_zones": ["us-east-1a"], "flow_logs_kms_key_arn": KEY})
    assert (
        str(info.value) == "Network 'net': availability_zones has 1 zones; EKS needs 2 to 6, pass 2 or more zone names"
    )


# -- EksCluster --------------------------------------------------------------------------------------


def eks_args(**overrides: Any) -> Any:
    args: dict[str, Any] = {
        "cluster_name": "demo",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "kms_key_arn": KEY,
        "tags": TAGS,
    }
    args.update(overrides)
    return args


def test_cluster_defaults_to_private_endpoint_kms_secrets_and_audit_logs() -> None:
    recorded = run_components(lambda: EksCluster("eks", eks_args()) and None)
    cluster = recorded.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster.inputs["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": KEY}}
    assert cluster.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert cluster.inputs["accessConfig"]["authenticationMode"] == "API"
    logs = recorded.one("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/eks/demo/cluster"
    assert logs.inputs["kmsKeyId"] == KEY


def test_cluster_pins_managed_addons_for_its_kubernetes_version() -> None:
    recorded = run_components(lambda: EksCluster("eks", eks_args(kubernetes_version="1.32")) and None)
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in recorded.all("aws:eks/addon:Addon")}
    assert addons == EKS_ADDON_VERSIONS["1.32"]
    cni = next(a for a in recorded.all("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni")
    assert cni.inputs["serviceAccountRoleArn"].startswith("arn:aws:iam::")


def test_node_role_has_only_worker_and_ecr_read_only_policies() -> None:
    recorded = run_components(lambda: EksCluster("eks", eks_args()) and None)
    node_role = recorded.one("aws:iam/role:Role", "eks-node-role")
    attached = [a.inputs["policyArn"] for a in recorded.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    node_urn_name = node_role.name
    node_policies = [
        a.inputs["policyArn"]
        for a in recorded.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"].startswith(node_urn_name)
    ]
    assert sorted(node_policies) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" in attached


def test_cluster_kubernetes_provider_authenticates_with_aws_eks_get_token() -> None:
    recorded = run_components(lambda: EksCluster("eks", eks_args()) and None)
    provider = recorded.one("pulumi:providers:kubernetes")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    user = kubeconfig["users"][0]["user"]
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "demo"]
    assert "token" not in user


def test_public_endpoint_open_to_the_world_fails_with_the_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        EksCluster("eks", eks_args(endpoint_public_access=True, public_access_cidrs=["0.0.0.0/0"]))
    assert (
        str(info.value) == "EksCluster 'eks': public_access_cidrs contains '0.0.0.0/0'; list specific office/VPN CIDRs"
    )


def test_cluster_without_audit_logs_fails_with_the_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        EksCluster("eks", eks_args(enabled_log_types=["api", "authenticator"]))
    assert str(info.value) == (
        "EksCluster 'eks': enabled_log_types=['api', 'authenticator'] lacks ['audit']; api, audit and authenticator "
        "are required, add them"
    )


# -- ClusterAddons -----------------------------------------------------------------------------------


def build_addons(**overrides: Any) -> Recorded:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args: dict[str, Any] = {
            "cluster_name": "demo",
            "k8s_provider": provider,
            "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
            "oidc_issuer_url": "oidc.eks.us-east-1.amazonaws.com/id/ABC",
            "vpc_id": "vpc-1",
            "tags": TAGS,
        }
        args.update(overrides)
        ClusterAddons("addons", args)  # type: ignore[arg-type]

    return run_components(program)


def release(recorded: Recorded, chart: str) -> Any:
    return recorded.one("kubernetes:helm.sh/v3:Release", f"addons-{chart}")


def test_every_helm_release_uses_the_explicit_kubernetes_provider_and_a_pinned_version() -> None:
    recorded = build_addons()
    provider = recorded.one("pulumi:providers:kubernetes")
    releases = recorded.all("kubernetes:helm.sh/v3:Release")
    assert sorted(r.inputs["chart"] for r in releases) == sorted(c.chart for c in HELM_CHARTS.values())
    for r in releases:
        assert r.provider_urn == provider.urn
        assert r.inputs["version"] == helm_chart(r.inputs["name"], DEFAULT_KUBERNETES_VERSION).version


def test_cluster_autoscaler_chart_follows_the_kubernetes_minor() -> None:
    # Chart 9.59.0 ships appVersion 1.35.0; a minor without a chart pin keeps the HELM_CHARTS version.
    assert release(build_addons(kubernetes_version="1.35"), "cluster-autoscaler").inputs["version"] == "9.59.0"
    older = release(build_addons(kubernetes_version="1.33"), "cluster-autoscaler").inputs
    assert older["version"] == HELM_CHARTS["cluster-autoscaler"].version == "9.43.2"
    assert older["values"]["image"]["tag"] == "v1.33.0"


def test_prometheus_adapter_serves_triton_queue_time_per_pod() -> None:
    rules = release(build_addons(), "prometheus-adapter").inputs["values"]["rules"]["custom"]
    (rule,) = [r for r in rules if r["name"]["as"] == TRITON_QUEUE_TIME_METRIC]
    assert rule["name"]["as"] == TRITON_QUEUE_TIME_METRIC == "avg_time_queue_us"
    # Counters: increase() (handles resets), never delta() (for gauges).
    expected = (
        "sum(increase(nv_inference_queue_duration_us[1m])) by (<<.GroupBy>>) / "
        "clamp_min(sum(increase(nv_inference_request_success[1m])) by (<<.GroupBy>>), 1)"
    )
    query = rule["metricsQuery"].replace("{<<.LabelMatchers>>}", "")
    assert query == expected
    assert "delta(" not in rule["metricsQuery"]


def test_prometheus_adapter_serves_the_vllm_gauges_per_pod_for_the_llm_hpa() -> None:
    without = release(build_addons(), "prometheus-adapter").inputs["values"]["rules"]["custom"]
    assert [r["name"]["as"] for r in without] == [TRITON_QUEUE_TIME_METRIC]  # only what the cluster serves
    rules = release(build_addons(llm_autoscaling=True), "prometheus-adapter").inputs["values"]["rules"]["custom"]
    by_name = {r["name"]["as"]: r for r in rules}
    waiting, kv = by_name["vllm_num_requests_waiting"], by_name["vllm_kv_cache_usage_perc"]
    assert waiting["seriesQuery"] == 'vllm:num_requests_waiting{namespace!="",pod!=""}'
    assert waiting["metricsQuery"] == "sum(vllm:num_requests_waiting{<<.LabelMatchers>>}) by (<<.GroupBy>>)"
    assert kv["metricsQuery"] == "max(vllm:kv_cache_usage_perc{<<.LabelMatchers>>}) by (<<.GroupBy>>)"
    for r in (waiting, kv):
        assert r["resources"]["overrides"] == {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}


def test_cluster_autoscaler_is_gpu_aware() -> None:
    values = release(build_addons(), "cluster-autoscaler").inputs["values"]
    assert values["extraArgs"]["skip-nodes-with-local-storage"] is False
    assert values["extraArgs"]["expander"] == "least-waste"
    assert values["autoDiscovery"]["clusterName"] == "demo"
    assert values["image"]["tag"].startswith("v1.35.")  # the default Kubernetes minor (components/versions.py)


def test_device_plugin_time_slicing_shares_each_gpu() -> None:
    values = release(build_addons(time_slicing_replicas=4), "nvidia-device-plugin").inputs["values"]
    assert "replicas: 4" in values["config"]["map"]["default"]
    assert values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_irsa_roles_trust_only_their_own_service_account() -> None:
    recorded = build_addons()
    expected = {
        "addons-cluster-autoscaler": "system:serviceaccount:kube-system:cluster-autoscaler",
        "addons-aws-load-balancer-controller": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        "addons-cloudwatch-agent": "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent",
    }
    for role in recorded.all("aws:iam/role:Role"):
        (stmt,) = statements(role.inputs["assumeRolePolicy"])
        assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = stmt["Condition"]["StringEquals"]
        assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == expected[role.name]
        assert condition["oidc.eks.us-east-1.amazonaws.com/id/ABC:aud"] == "sts.amazonaws.com"


def test_autoscaler_mutates_only_node_groups_tagged_for_this_cluster() -> None:
    policy = build_addons().one("aws:iam/rolePolicy:RolePolicy", "addons-cluster-autoscaler").inputs["policy"]
    mutating = [s for s in statements(policy) if "autoscaling:SetDesiredCapacity" in as_list(s["Action"])]
    (stmt,) = mutating
    assert stmt["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/demo": "owned"}}
    assert stmt["Resource"] != "*"


def test_time_slicing_with_mig_fails_with_the_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        ClusterAddons(
            "addons",
            {
                "cluster_name": "demo",
                "k8s_provider": None,  # type: ignore[typeddict-item]
                "oidc_provider_arn": "arn",
                "oidc_issuer_url": "issuer",
                "vpc_id": "vpc-1",
                "time_slicing_replicas": 2,
                "mig_strategy": "single",
            },
        )
    assert str(info.value) == (
        "ClusterAddons 'addons': time_slicing_replicas=2 with mig_strategy='single'; pick one way to share GPUs"
    )


def test_components_register_outputs_for_consumers() -> None:
    # A minimal smoke of the outputs other modules read, resolved through the mocks.
    seen: dict[str, Any] = {}

    def program() -> None:
        group = GpuNodeGroup("gpu", gpu_args())
        group.node_group_name.apply(lambda v: seen.__setitem__("name", v))
        pulumi.export("labels", group.labels)

    recorded = run_components(program)
    assert seen["name"].startswith("gpu-nodes-")
    assert recorded.outputs["labels"]["inferstack.io/node-group"] == "gpu"

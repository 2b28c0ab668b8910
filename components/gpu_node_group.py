"""GpuNodeGroup: tainted GPU nodes of one GPU class that the cluster autoscaler can scale from zero."""

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from inferstack.catalog import EC2_TYPES, gpu_class_of_ec2, is_gpu_ec2_type
from inferstack.components.eks_cluster import encrypted_root_volume, imdsv2_only, instance_tag_specs, private_interface

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
"""The taint on every GPU node (`nvidia.com/gpu=true:NoSchedule`); GPU pods tolerate it."""
AMI_TYPES = ("AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA")
_AUTOSCALER = "k8s.io/cluster-autoscaler"


class GpuNodeGroupArgs(TypedDict):
    cluster_name: pulumi.Input[str]
    """EKS cluster the nodes join."""
    node_role_arn: pulumi.Input[str]
    """Node IAM role (EksCluster.node_role_arn: worker + ECR read-only)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets; nodes never get public IPs."""
    cluster_security_group_id: pulumi.Input[str]
    """The cluster security group (EksCluster.cluster_security_group_id), put on the node interface."""
    instance_types: NotRequired[Sequence[str]]
    """GPU instance types, all of one GPU class. Default: ["g6.xlarge"]."""
    capacity_type: NotRequired[Literal["ON_DEMAND", "SPOT"]]
    """Default: "ON_DEMAND"."""
    min_size: NotRequired[int]
    """Default: 0, so an idle group costs nothing."""
    max_size: NotRequired[int]
    """Default: 2 (must be >= 1)."""
    ami_type: NotRequired[Literal["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"]]
    """Default: "AL2023_x86_64_NVIDIA"."""
    disk_size_gib: NotRequired[int]
    """Encrypted gp3 root volume for multi-GB serving images. Default: 200."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key for the root volume. Default: the account's EBS default key (still encrypted)."""
    max_unavailable: NotRequired[int]
    """Nodes replaced at once during an update. Default: 1."""
    scale_down_unneeded_time: NotRequired[str]
    """How long a GPU node must be idle before the autoscaler removes it. Default: "20m"."""
    labels: NotRequired[Mapping[str, str]]
    """Extra Kubernetes node labels. Default: none."""
    local_nvme_raid0: NotRequired[bool]
    """Default: False. Assemble the instance's NVMe instance-store volumes into one RAID0 array at boot and put
    kubelet's directory (so every pod's emptyDir), containerd's image store and pod logs on it (AL2023 nodeadm
    `NodeConfig.spec.instance.localStorage.strategy: RAID0`). For LLM nodes: the multi-GB serving image is pulled
    and unpacked at NVMe speed instead of the gp3 root volume's 125 MiB/s baseline, and vLLM's compile caches sit
    on local flash. AL2023 only; instance-store data is lost when the node stops (only caches live there)."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class GpuNodeGroup(pulumi.ComponentResource):
    """GPU nodes tainted `nvidia.com/gpu=true:NoSchedule`, so only GPU pods land there.

    The autoscaler owns the desired size (`ignore_changes`); node-template tags on the group's Auto
    Scaling group tell it the GPU count, labels and taint of a node that does not exist yet, so the group
    scales up from zero.
    """

    node_group_name: pulumi.Output[str]
    node_group_arn: pulumi.Output[str]
    labels: dict[str, str]
    """Node labels; use them as the node selector of GPU workloads."""
    taint: dict[str, str]
    gpus_per_node: int
    gpu_class: str
    local_nvme_raid0: bool
    """Whether kubelet, containerd and pod logs live on the instance-store RAID0 array."""

    def __init__(self, name: str, args: GpuNodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:GpuNodeGroup", name, None, opts)
        types = list(args.get("instance_types", ["g6.xlarge"]))
        capacity = args.get("capacity_type", "ON_DEMAND")
        min_size = args.get("min_size", 0)
        max_size = args.get("max_size", 2)
        ami = args.get("ami_type", "AL2023_x86_64_NVIDIA")
        disk = args.get("disk_size_gib", 200)
        max_unavailable = args.get("max_unavailable", 1)
        idle = args.get("scale_down_unneeded_time", "20m")
        tags = dict(args.get("tags", {}))
        validate_gpu_node_group(name, types, capacity, min_size, max_size, ami, disk, max_unavailable)
        raid0 = bool(args.get("local_nvme_raid0", False))
        if raid0 and not ami.startswith("AL2023"):
            raise ValueError(
                f"GpuNodeGroup {name!r}: local_nvme_raid0 needs ami_type AL2023_x86_64_NVIDIA (nodeadm assembles the "
                f"RAID0 array); ami_type={ami!r} does not read a NodeConfig. Use AL2023_x86_64_NVIDIA or turn it off"
            )

        gpu_class = gpu_class_of_ec2(types[0]) or ""
        gpus = min(EC2_TYPES[t].gpus for t in types)
        family = EC2_TYPES[types[0]].family
        labels = {
            "nvidia.com/gpu.present": "true",
            "inferstack.io/accelerator": "nvidia",
            "inferstack.io/gpu-class": gpu_class,
            "inferstack.io/instance-family": family,
            "inferstack.io/node-group": name,
            **dict(args.get("labels", {})),
        }
        template_tags = {
            f"{_AUTOSCALER}/node-template/resources/nvidia.com/gpu": str(gpus),
            f"{_AUTOSCALER}/node-template/taint/nvidia.com/gpu": "true:NoSchedule",
            f"{_AUTOSCALER}/node-template/autoscaling-options/scaledownunneededtime": idle,
            **{f"{_AUTOSCALER}/node-template/label/{k}": v for k, v in labels.items()},
        }
        group_tags = pulumi.Output.from_input(args["cluster_name"]).apply(
            lambda cluster: {
                **tags,
                f"{_AUTOSCALER}/enabled": "true",
                f"{_AUTOSCALER}/{cluster}": "owned",
                **template_tags,
            }
        )

        child = pulumi.ResourceOptions(parent=self)
        device = "/dev/xvdb" if ami.startswith("BOTTLEROCKET") else "/dev/xvda"  # Bottlerocket's data volume
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"GPU node group {name}: IMDSv2 only, no public IP, encrypted gp3 {disk} GiB",
            metadata_options=imdsv2_only(),
            block_device_mappings=[encrypted_root_volume(device, disk, args.get("kms_key_arn"))],
            network_interfaces=[private_interface([args["cluster_security_group_id"]])],
            tag_specifications=instance_tag_specs({**tags, "Name": f"{name}-gpu"}),
            user_data=nvme_raid0_user_data() if raid0 else None,
            tags=tags,
            opts=child,
        )
        group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=args["cluster_name"],
            node_role_arn=args["node_role_arn"],
            subnet_ids=list(args["subnet_ids"]),
            instance_types=types,
            capacity_type=capacity,
            ami_type=ami,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=min_size, max_size=max_size, desired_size=min_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=max_unavailable),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            taints=[aws.eks.NodeGroupTaintArgs(**GPU_TAINT)],
            labels=labels,
            tags=group_tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
        # Managed node groups do not copy their tags to the Auto Scaling group; the autoscaler reads the
        # node templates from the ASG, so tag it directly.
        asg_name = group.resources.apply(lambda r: r[0].autoscaling_groups[0].name or "")
        for key, value in template_tags.items():
            aws.autoscaling.Tag(
                f"{name}-asg-{re.sub(r'[^a-z0-9]+', '-', key.split('/node-template/', 1)[1].lower())}",
                autoscaling_group_name=asg_name,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=child,
            )

        self.node_group_name = group.node_group_name
        self.node_group_arn = group.arn
        self.labels = labels
        self.taint = dict(GPU_TAINT)
        self.gpus_per_node = gpus
        self.gpu_class = gpu_class
        self.local_nvme_raid0 = raid0
        self.register_outputs({"node_group_name": self.node_group_name, "node_group_arn": self.node_group_arn})


_MIME_BOUNDARY = "INFERSTACK"


def nvme_raid0_user_data() -> str:
    """Launch-template user data (base64) with one nodeadm NodeConfig part: RAID0 over the instance stores.

    nodeadm API node.eks.aws/v1alpha1 (awslabs/amazon-eks-ami nodeadm/doc/api.md, read 2026-12-02):
    `spec.instance.localStorage.strategy` is one of RAID0, RAID10, Mount; the array mounts at `mountPath`
    (default /mnt/k8s-disks/) and, unless `disabledMounts` says otherwise, kubelet, containerd (/var/lib/containerd)
    and pod logs (/var/log/pods) are moved onto it. With a launch template and no custom AMI, EKS managed node
    groups merge their own NodeConfig (cluster name, endpoint, CA) with the MIME parts given here, in order
    (nodeadm doc/examples.md "Merging multiple configuration objects"), so this part carries no cluster details.
    """
    node_config = "\n".join(
        [
            "---",
            "apiVersion: node.eks.aws/v1alpha1",
            "kind: NodeConfig",
            "spec:",
            "  instance:",
            "    localStorage:",
            "      strategy: RAID0",
        ]
    )
    mime = "\n".join(
        [
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed; boundary="{_MIME_BOUNDARY}"',
            "",
            f"--{_MIME_BOUNDARY}",
            "Content-Type: application/node.eks.aws",
            "",
            node_config,
            "",
            f"--{_MIME_BOUNDARY}--",
            "",
        ]
    )
    return base64.b64encode(mime.encode("utf-8")).decode("ascii")


def validate_gpu_node_group(
    name: str,
    instance_types: list[str],
    capacity_type: str,
    min_size: int,
    max_size: int,
    ami_type: str,
    disk_size_gib: int,
    max_unavailable: int,
) -> None:
    """Raise ValueError naming the component, the field, the value and the fix."""
    where = f"GpuNodeGroup {name!r}"
    if not instance_types:
        raise ValueError(f"{where}: instance_types is empty; list one or more GPU instance types such as 'g6.xlarge'")
    not_gpu = [t for t in instance_types if not is_gpu_ec2_type(t)]
    if not_gpu:
        known = ", ".join(sorted(t for t in EC2_TYPES if is_gpu_ec2_type(t)))
        raise ValueError(
            f"{where}: instance_types {not_gpu} are not NVIDIA GPU instance types; use GPU types such as {known}"
        )
    classes = sorted({gpu_class_of_ec2(t) or "" for t in instance_types})
    if len(classes) > 1:
        raise ValueError(
            f"{where}: instance_types {instance_types} mix GPU classes {classes}; one node group holds one GPU class, "
            "create one GpuNodeGroup per class"
        )
    if capacity_type not in ("ON_DEMAND", "SPOT"):
        raise ValueError(f"{where}: capacity_type={capacity_type!r} is not allowed; use 'ON_DEMAND' or 'SPOT'")
    if ami_type not in AMI_TYPES:
        raise ValueError(
            f"{where}: ami_type={ami_type!r} is not an accelerated AMI type; use one of {', '.join(AMI_TYPES)}"
        )
    if max_size < 1:
        raise ValueError(f"{where}: max_size={max_size} must be >= 1; set max_size to 1 or more")
    if min_size < 0:
        raise ValueError(f"{where}: min_size={min_size} is negative; use 0 to let an idle group cost nothing")
    if min_size > max_size:
        raise ValueError(f"{where}: min_size={min_size} exceeds max_size={max_size}; raise max_size or lower min_size")
    if disk_size_gib < 50:
        raise ValueError(
            f"{where}: disk_size_gib={disk_size_gib} is too small for GPU serving images; use 50 or more (default 200)"
        )
    if max_unavailable < 1:
        raise ValueError(f"{where}: max_unavailable={max_unavailable} must be >= 1; use 1")

"""Instance catalog: the EC2 and SageMaker instance types inferstack knows, with their accelerators.

One table serves config validation, the components (GPU labels, autoscaler node-template tags), the
policies (GPU class and memory) and the cost model (which prices exist). Specs are AWS's published
instance specifications; prices live in `inferstack/pricing`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class InstanceSpec:
    """One instance type."""

    name: str
    vcpu: int
    memory_gib: float
    gpus: int = 0
    gpu_model: str | None = None
    gpu_memory_gib: int = 0  # per GPU
    accelerator: str | None = None  # "nvidia" or "neuron"

    @property
    def family(self) -> str:
        return self.name.removeprefix("ml.").split(".", 1)[0]

    @property
    def gpu_class(self) -> str | None:
        """The GPU model, e.g. 'L4'; None for CPU and Neuron instances."""
        return self.gpu_model if self.accelerator == "nvidia" else None


_EC2 = [
    InstanceSpec("g4dn.xlarge", 4, 16, 1, "T4", 16, "nvidia"),
    InstanceSpec("g4dn.2xlarge", 8, 32, 1, "T4", 16, "nvidia"),
    InstanceSpec("g4dn.12xlarge", 48, 192, 4, "T4", 16, "nvidia"),
    InstanceSpec("g5.xlarge", 4, 16, 1, "A10G", 24, "nvidia"),
    InstanceSpec("g5.2xlarge", 8, 32, 1, "A10G", 24, "nvidia"),
    InstanceSpec("g5.4xlarge", 16, 64, 1, "A10G", 24, "nvidia"),
    InstanceSpec("g5.12xlarge", 48, 192, 4, "A10G", 24, "nvidia"),
    InstanceSpec("g5.48xlarge", 192, 768, 8, "A10G", 24, "nvidia"),
    InstanceSpec("g6.xlarge", 4, 16, 1, "L4", 24, "nvidia"),
    InstanceSpec("g6.2xlarge", 8, 32, 1, "L4", 24, "nvidia"),
    InstanceSpec("g6.12xlarge", 48, 192, 4, "L4", 24, "nvidia"),
    InstanceSpec("g6e.xlarge", 4, 32, 1, "L40S", 48, "nvidia"),
    InstanceSpec("g6e.12xlarge", 48, 384, 4, "L40S", 48, "nvidia"),
    InstanceSpec("p4d.24xlarge", 96, 1152, 8, "A100", 40, "nvidia"),
    InstanceSpec("p5.48xlarge", 192, 2048, 8, "H100", 80, "nvidia"),
    InstanceSpec("inf2.xlarge", 4, 16, 1, "Inferentia2", 32, "neuron"),
    InstanceSpec("inf2.48xlarge", 192, 768, 12, "Inferentia2", 32, "neuron"),
    InstanceSpec("m6i.large", 2, 8),
    InstanceSpec("m6i.xlarge", 4, 16),
    InstanceSpec("m7i.xlarge", 4, 16),
    InstanceSpec("c6i.xlarge", 4, 8),
    InstanceSpec("t3.medium", 2, 4),
]

_SAGEMAKER = [
    InstanceSpec("ml.g4dn.xlarge", 4, 16, 1, "T4", 16, "nvidia"),
    InstanceSpec("ml.g5.xlarge", 4, 16, 1, "A10G", 24, "nvidia"),
    InstanceSpec("ml.g5.2xlarge", 8, 32, 1, "A10G", 24, "nvidia"),
    InstanceSpec("ml.g5.12xlarge", 48, 192, 4, "A10G", 24, "nvidia"),
    InstanceSpec("ml.g6.xlarge", 4, 16, 1, "L4", 24, "nvidia"),
    InstanceSpec("ml.g6.2xlarge", 8, 32, 1, "L4", 24, "nvidia"),
    InstanceSpec("ml.g6e.xlarge", 4, 32, 1, "L40S", 48, "nvidia"),
    InstanceSpec("ml.p4d.24xlarge", 96, 1152, 8, "A100", 40, "nvidia"),
    InstanceSpec("ml.m5.xlarge", 4, 16),
    InstanceSpec("ml.c5.xlarge", 4, 8),
]

EC2_TYPES: dict[str, InstanceSpec] = {s.name: s for s in _EC2}
SAGEMAKER_TYPES: dict[str, InstanceSpec] = {s.name: s for s in _SAGEMAKER}


@cache
def known_ec2_types() -> frozenset[str]:
    return frozenset(EC2_TYPES)


@cache
def known_sagemaker_types() -> frozenset[str]:
    return frozenset(SAGEMAKER_TYPES)


def spec(instance_type: str) -> InstanceSpec:
    """The spec of an EC2 (`g6.xlarge`) or SageMaker (`ml.g6.xlarge`) type; KeyError names the valid ones."""
    table = SAGEMAKER_TYPES if instance_type.startswith("ml.") else EC2_TYPES
    try:
        return table[instance_type]
    except KeyError:
        raise KeyError(f"{instance_type!r} is not in the instance catalog; known: {', '.join(sorted(table))}") from None


def is_gpu_ec2_type(instance_type: str) -> bool:
    s = EC2_TYPES.get(instance_type)
    return s is not None and s.accelerator == "nvidia"


def gpu_class_of_ec2(instance_type: str) -> str | None:
    s = EC2_TYPES.get(instance_type)
    return s.gpu_class if s else None


def is_gpu_type(instance_type: str) -> bool:
    """True for NVIDIA GPU instance types of either catalog."""
    table = SAGEMAKER_TYPES if instance_type.startswith("ml.") else EC2_TYPES
    s = table.get(instance_type)
    return s is not None and s.accelerator == "nvidia"


#: AWS commercial and GovCloud region names: botocore 1.44.5 `botocore/data/endpoints.json`, partitions
#: `aws` and `aws-us-gov` (read 2026-12-02). Used for "did you mean" on region typos.
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
        "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1",
    }
)  # fmt: skip


# Network limits per EC2 type: (ENIs on the default network card, IPv4 addresses per ENI). Source:
# github:awslabs/amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl (file last changed 2026-07-01,
# snapshot 2026-07-23), the table nodeadm computes the kubelet's maxPods from. A type missing here gets the
# kubelet default of 110 pods, as nodeadm does when it cannot look the type up.
ENI_LIMITS: dict[str, tuple[int, int]] = {
    "g4dn.xlarge": (3, 10),
    "g4dn.2xlarge": (3, 10),
    "g4dn.12xlarge": (8, 30),
    "g5.xlarge": (4, 15),
    "g5.2xlarge": (4, 15),
    "g5.4xlarge": (8, 30),
    "g5.12xlarge": (15, 50),
    "g5.48xlarge": (7, 50),
    "g6.xlarge": (4, 15),
    "g6.2xlarge": (4, 15),
    "g6.12xlarge": (8, 30),
    "g6e.xlarge": (4, 15),
    "g6e.12xlarge": (10, 30),
    "p4d.24xlarge": (15, 50),
    "p5.48xlarge": (2, 50),
    "inf2.xlarge": (4, 15),
    "inf2.48xlarge": (15, 50),
    "m6i.large": (3, 10),
    "m6i.xlarge": (4, 15),
    "m7i.xlarge": (4, 15),
    "c6i.xlarge": (4, 15),
    "t3.medium": (3, 6),
}

"""One capacity model: what a deployment needs from its node group, and whether the group can give it.

Pure functions over the config models and `inferstack/catalog.py`, used by the config loader (impossible
configurations are input errors at `inferstack validate`, `preview` and `cost`), by the serving stack (the
pods' CPU/memory requests), by the cost model (baseline GPU nodes = what the minimum replicas need) and by
the `inferstack-stack-warn-tight-gpu-capacity` policy (tight configurations are warnings).

Node allocatable follows the EKS AL2023 AMI's kubelet defaults (github:awslabs/amazon-eks-ami, snapshot
2026-07-23, nodeadm/internal/kubelet/config.go):

- kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% above 4
  (`getCPUMillicoresToReserve`); no system-reserved values are set;
- kube-reserved memory: 11 MiB x maxPods + 255 MiB (`getMemoryMebibytesToReserve`);
- eviction threshold `memory.available < 100Mi` (`defaultKubeletSubConfig().EvictionHard`);
- maxPods: ENIs x (IPv4 addresses per ENI - 1) + 2 (`calculateStandardMaxPods`, eni_max_pods.go), from
  `catalog.ENI_LIMITS`; 110 (the kubelet default) for a type not in that table.

Assumptions (not published facts, stated so they can be checked): the kernel reports about 95% of the
nominal instance memory as node capacity; the per-node DaemonSets (aws-node, kube-proxy, pod identity
agent, NVIDIA device plugin, DCGM exporter, node exporter, log/metrics agents) request at most 500m CPU,
1 GiB memory and 8 pods per node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from inferstack.catalog import EC2_TYPES, ENI_LIMITS, InstanceSpec
from inferstack.catalog import spec as instance_spec

if TYPE_CHECKING:
    from inferstack.config.environment import Deployment, Environment, GpuNodeGroup

KUBELET_DEFAULT_MAX_PODS = 110
EVICTION_MEMORY_MIB = 100
VISIBLE_MEMORY_SHARE = 0.95
"""Assumption: share of the nominal instance memory the kernel reports as node capacity."""
DAEMONSET_CPU_M = 500
DAEMONSET_MEMORY_MIB = 1024
DAEMONSET_PODS = 8
"""Assumption: what the per-node DaemonSets request on every GPU node (CPU millicores, MiB, pods)."""
TIGHT_SHARE = 0.8
"""The tight-capacity warning fires when the maximum replicas need more than this share of max_size."""
CPU_STEP_M = 100
MEMORY_STEP_MIB = 256


# -- nodes -----------------------------------------------------------------------------------------


def max_pods(instance_type: str) -> int:
    """The kubelet maxPods the EKS AMI sets for `instance_type` (ENI formula)."""
    limits = ENI_LIMITS.get(instance_type)
    if limits is None:
        return KUBELET_DEFAULT_MAX_PODS
    enis, ips = limits
    return enis * (ips - 1) + 2


def kube_reserved_cpu_m(vcpu: int) -> int:
    """kube-reserved CPU in millicores for a node of `vcpu` cores (EKS AMI formula)."""
    total = vcpu * 1000
    out = 0
    for start, end, per_10000 in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, total, 25)):
        if total > start:
            out += (min(total, end) - start) * per_10000 // 10000
    return out


def kube_reserved_memory_mib(pods: int) -> int:
    """kube-reserved memory in MiB for a node running at most `pods` pods (EKS AMI formula)."""
    return 11 * pods + 255


@dataclass(frozen=True)
class Node:
    """What one node of an instance type offers to workloads."""

    instance_type: str
    gpus: int
    """nvidia.com/gpu the node advertises (physical GPUs x time-slicing replicas)."""
    gpu_model: str | None
    gpu_memory_gib: float
    vcpu: int
    memory_gib: float
    max_pods: int
    allocatable_cpu_m: int
    allocatable_memory_mib: int

    @property
    def workload_cpu_m(self) -> int:
        return self.allocatable_cpu_m - DAEMONSET_CPU_M

    @property
    def workload_memory_mib(self) -> int:
        return self.allocatable_memory_mib - DAEMONSET_MEMORY_MIB

    @property
    def workload_pods(self) -> int:
        return self.max_pods - DAEMONSET_PODS


def node(instance_type: str, time_slicing_replicas: int = 0) -> Node:
    s: InstanceSpec = instance_spec(instance_type)
    pods = max_pods(instance_type)
    capacity_mib = int(s.memory_gib * 1024 * VISIBLE_MEMORY_SHARE)
    return Node(
        instance_type=instance_type,
        gpus=s.gpus * max(1, time_slicing_replicas),
        gpu_model=s.gpu_model,
        gpu_memory_gib=float(s.gpu_memory_gib),
        vcpu=s.vcpu,
        memory_gib=s.memory_gib,
        max_pods=pods,
        allocatable_cpu_m=s.vcpu * 1000 - kube_reserved_cpu_m(s.vcpu),
        allocatable_memory_mib=capacity_mib - kube_reserved_memory_mib(pods) - EVICTION_MEMORY_MIB,
    )


# -- pods ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodSize:
    """Requests (= limits) of one serving pod."""

    cpu_m: int
    memory_mib: int
    gpus: int

    @property
    def cpu(self) -> str:
        return f"{self.cpu_m}m"

    @property
    def memory(self) -> str:
        return f"{self.memory_mib}Mi"


def pod_size(instance_types: Sequence[str], gpus_per_replica: int, time_slicing_replicas: int = 0) -> PodSize | None:
    """The largest pod that takes `gpus_per_replica` GPUs and its GPU share of CPU and memory on every type
    (after kube-reserved, eviction and the DaemonSets), so N such pods fill an N-GPU node on any of them.
    None when a type has fewer GPUs than one replica needs."""
    cpu: int | None = None
    mem: int | None = None
    for t in instance_types:
        n = node(t, time_slicing_replicas)
        if n.gpus < gpus_per_replica:
            return None
        share = gpus_per_replica / n.gpus
        c = int(n.workload_cpu_m * share) // CPU_STEP_M * CPU_STEP_M
        m = int(n.workload_memory_mib * share) // MEMORY_STEP_MIB * MEMORY_STEP_MIB
        cpu = c if cpu is None else min(cpu, c)
        mem = m if mem is None else min(mem, m)
    if cpu is None or mem is None:
        return None
    return PodSize(cpu_m=cpu, memory_mib=mem, gpus=gpus_per_replica)


def pods_per_node(n: Node, pod: PodSize) -> int:
    if pod.cpu_m <= 0 or pod.memory_mib <= 0:
        return 0
    return max(
        0,
        min(
            n.gpus // pod.gpus,
            n.workload_cpu_m // pod.cpu_m,
            n.workload_memory_mib // pod.memory_mib,
            n.workload_pods,
        ),
    )


# -- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentNeed:
    """What one triton-eks or vllm-eks deployment needs from its node group."""

    index: int
    model: str
    group: str
    gpus_per_replica: int
    replicas_min: int
    replicas_max: int
    canary_pods: int
    pod: PodSize | None
    pods_per_node: int
    """On the instance type of the group that fits the fewest (the autoscaler may launch any)."""

    @property
    def pods_min(self) -> int:
        return self.replicas_min + self.canary_pods

    @property
    def pods_max(self) -> int:
        return self.replicas_max + self.canary_pods

    def nodes_for(self, pods: int) -> int:
        return math.ceil(pods / self.pods_per_node) if self.pods_per_node else 0

    @property
    def nodes_min(self) -> int:
        return self.nodes_for(self.pods_min)

    @property
    def nodes_max(self) -> int:
        return self.nodes_for(self.pods_max)


@dataclass
class GroupPlan:
    """A GPU node group and the deployments on it."""

    index: int
    name: str
    instance_types: list[str]
    min_size: int
    max_size: int
    gpus_per_node: int
    """Fewest GPUs a node of the group advertises."""
    needs: list[DeploymentNeed] = field(default_factory=list)

    @property
    def nodes_min(self) -> int:
        """Nodes the deployments' minimum replicas (and canaries) need."""
        return sum(n.nodes_min for n in self.needs)

    @property
    def nodes_max(self) -> int:
        return sum(n.nodes_max for n in self.needs)

    @property
    def baseline_nodes(self) -> int:
        """The larger of min_size and what the minimum replicas need (never above max_size)."""
        return min(self.max_size, max(self.min_size, self.nodes_min))

    @property
    def peak_nodes(self) -> int:
        return self.max_size


def _time_slicing(env: Environment) -> int:
    # The device plugin config is cluster-wide (stacks/platform.py): any group's setting applies to all.
    return max((g.time_slicing_replicas for g in env.cluster.gpu_node_groups), default=0)


def _canary_pods(d: Deployment) -> int:
    # TritonService runs ceil(min_replicas x canary_percent / 100) canary pods while a canary version is set.
    # (vllm-eks refuses canary versions: an LLM package pins one weights_uri; stacks/serving.py says so.)
    if (
        d.target == "triton-eks"
        and d.rollout.strategy == "canary"
        and d.rollout.canary_version is not None
        and d.replicas is not None
    ):
        return max(1, math.ceil(d.replicas.min * d.rollout.canary_percent / 100))
    return 0


def replica_gpus(env: Environment, d: Deployment) -> int | None:
    """GPUs one replica of an EKS deployment takes: `gpus_per_replica` on triton-eks; on vllm-eks the GPU memory
    planner's tensor-parallel degree (LlmService gives every rank its own GPU), read from the package next to the
    environment file. None when the package cannot be planned: validate reports the planner's error, and a
    capacity figure built on a guess would only add a misleading second one."""
    if d.target != "vllm-eks":
        return d.gpus_per_replica
    if d.llm is not None and d.llm.tensor_parallel:
        return d.llm.tensor_parallel
    root = env._project_root
    if root is None:
        return None
    from pathlib import Path

    from inferstack.config.llm_package import LlmPackage
    from inferstack.config.loader import InputError, Project, load_package
    from inferstack.llm.planner import PlanError, plan_for_deployment

    project = Project(Path(root))
    try:
        package = load_package(project, d.model)
        if not isinstance(package, LlmPackage):
            return None
        return plan_for_deployment(env, d, package, package_dir=project.packages_dir / d.model).tensor_parallel
    except (InputError, PlanError, ValueError):
        return None


def group_pod_size(env: Environment, group: GpuNodeGroup, gpus_per_replica: int) -> PodSize | None:
    """The pod requests for a replica of `gpus_per_replica` GPUs on `group` (what stacks/serving.py sets)."""
    return pod_size(group.instance_types, gpus_per_replica, _time_slicing(env))


def plan(env: Environment) -> dict[str, GroupPlan]:
    """Per GPU node group: its sizes and what each triton-eks and vllm-eks deployment on it needs."""
    ts = _time_slicing(env)
    plans: dict[str, GroupPlan] = {}
    for gi, g in enumerate(env.cluster.gpu_node_groups):
        plans[g.name] = GroupPlan(
            index=gi,
            name=g.name,
            instance_types=list(g.instance_types),
            min_size=g.min_size,
            max_size=g.max_size,
            gpus_per_node=min(node(t, ts).gpus for t in g.instance_types),
        )
    for i, d in enumerate(env.deployments):
        if d.target not in ("triton-eks", "vllm-eks") or d.gpu_node_group not in plans or d.replicas is None:
            continue
        gp = plans[d.gpu_node_group]
        gpus = replica_gpus(env, d)
        if gpus is None:
            continue
        pod = pod_size(gp.instance_types, gpus, ts)
        per_node = min(pods_per_node(node(t, ts), pod) for t in gp.instance_types) if pod else 0
        gp.needs.append(
            DeploymentNeed(
                index=i,
                model=d.model,
                group=gp.name,
                gpus_per_replica=gpus,
                replicas_min=d.replicas.min,
                replicas_max=d.replicas.max,
                canary_pods=_canary_pods(d),
                pod=pod,
                pods_per_node=per_node,
            )
        )
    return plans


# -- findings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One capacity problem: an error (cannot work) or a warning (works, but tight)."""

    severity: Literal["error", "warning"]
    path: tuple[str | int, ...]
    """Field path in the environment file the message is about."""
    message: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _suggest_types(gpu_class: str | None, gpus: int) -> str:
    bigger = sorted(
        (s.gpus, s.name) for s in EC2_TYPES.values() if s.accelerator == "nvidia" and s.gpu_class == gpu_class
    )
    names = [name for g, name in bigger if g >= gpus]
    return f" (e.g. {', '.join(names[:2])})" if names else ""


def check(env: Environment) -> list[Finding]:
    """Every capacity error and warning of `env`. (The GPU-memory fit of a package is checked by the package
    validator, `inferstack/packages/validate.py`, which validate, preview, build and publish all run.)"""
    ts = _time_slicing(env)
    plans = plan(env)
    findings: list[Finding] = []
    for i, d in enumerate(env.deployments):
        if d.target != "triton-eks":
            continue
        gp = plans.get(d.gpu_node_group or "")
        if gp is None:
            continue
        for t in gp.instance_types:
            n = node(t, ts)
            if n.gpus < d.gpus_per_replica:
                findings.append(
                    Finding(
                        "error",
                        ("deployments", i, "gpus_per_replica"),
                        f"{_plural(d.gpus_per_replica, 'GPU')} per replica > {_plural(n.gpus, 'GPU')} per {t} node "
                        f"(gpu_node_group {gp.name!r}): the pods would stay Pending; set gpus_per_replica <= "
                        f"{n.gpus} or use a node group whose every instance type has >= {d.gpus_per_replica} GPUs"
                        f"{_suggest_types(instance_spec(t).gpu_class, d.gpus_per_replica)}",
                    )
                )
                break
    for gp in plans.values():
        findings += _group_findings(gp)
    return findings


def _group_findings(gp: GroupPlan) -> list[Finding]:
    out: list[Finding] = []
    sized = [n for n in gp.needs if n.pods_per_node > 0]
    if not sized:
        return out
    group_ref = f"cluster.gpu_node_groups[{gp.index}] ({gp.name!r})"
    others = len(sized) > 1

    def detail(n: DeploymentNeed, pods: int, replicas_word: str) -> str:
        canary = f" + {n.canary_pods} canary" if n.canary_pods else ""
        text = (
            f"{replicas_word}={pods - n.canary_pods}{canary} x {_plural(n.gpus_per_replica, 'GPU')} = "
            f"{pods * n.gpus_per_replica} GPUs need {_plural(n.nodes_for(pods), 'node')} "
            f"({n.pods_per_node} pod(s) per node)"
        )
        return text

    last = sized[-1]
    if gp.nodes_min > gp.max_size:
        parts = "; ".join(f"{n.model}: {detail(n, n.pods_min, 'replicas.min')}" for n in sized)
        out.append(
            Finding(
                "error",
                ("deployments", last.index, "replicas", "min"),
                f"{parts}{' in total ' + str(gp.nodes_min) + ' nodes' if others else ''} > max_size={gp.max_size} "
                f"of {group_ref} ({gp.max_size} x {_plural(gp.gpus_per_node, 'GPU')} = "
                f"{gp.max_size * gp.gpus_per_node} GPUs): the minimum can never run; raise max_size to "
                f"{gp.nodes_min} or lower replicas.min",
            )
        )
        return out
    if gp.nodes_max > gp.max_size:
        parts = "; ".join(f"{n.model}: {detail(n, n.pods_max, 'replicas.max')}" for n in sized)
        fit = max(0, (gp.max_size - (gp.nodes_max - last.nodes_max)) * last.pods_per_node - last.canary_pods)
        out.append(
            Finding(
                "error",
                ("deployments", last.index, "replicas", "max"),
                f"{parts}{' in total ' + str(gp.nodes_max) + ' nodes' if others else ''} > max_size={gp.max_size} "
                f"of {group_ref} ({gp.max_size} x {_plural(gp.gpus_per_node, 'GPU')} = "
                f"{gp.max_size * gp.gpus_per_node} GPUs): the autoscaler cannot add the nodes the HPA maximum needs; "
                f"raise max_size to {gp.nodes_max} or lower replicas.max of {last.model} to {fit}",
            )
        )
        return out
    # A group declared to scale from zero (min_size 0, which the non-prod cost policy asks for) is not warned about;
    # the baseline cost still counts the nodes its minimum replicas keep up.
    if 0 < gp.min_size < gp.nodes_min:
        names = ", ".join(f"{n.model} ({detail(n, n.pods_min, 'replicas.min')})" for n in sized if n.nodes_min)
        out.append(
            Finding(
                "warning",
                ("cluster", "gpu_node_groups", gp.index, "min_size"),
                f"the minimum replicas on {group_ref} need {_plural(gp.nodes_min, 'node')} but min_size="
                f"{gp.min_size}: {names}; the autoscaler must add {gp.nodes_min - gp.min_size} node(s) (minutes) "
                f"before the minimum is served, and the baseline cost counts {gp.nodes_min}; set min_size: "
                f"{gp.nodes_min}",
            )
        )
    if gp.nodes_max > TIGHT_SHARE * gp.max_size:
        names = ", ".join(f"{n.model} ({detail(n, n.pods_max, 'replicas.max')})" for n in sized)
        out.append(
            Finding(
                "warning",
                ("cluster", "gpu_node_groups", gp.index, "max_size"),
                f"at maximum replicas the deployments on {group_ref} need {gp.nodes_max} of max_size={gp.max_size} "
                f"nodes ({gp.nodes_max / gp.max_size:.0%} > {TIGHT_SHARE:.0%}): {names}; a rolling update's surge "
                "pod or a replaced node finds no room; raise max_size to "
                f"{math.ceil(gp.nodes_max / TIGHT_SHARE)} or lower replicas.max",
            )
        )
    return out


def errors(env: Environment) -> list[Finding]:
    return [f for f in check(env) if f.severity == "error"]


def warnings(env: Environment) -> list[Finding]:
    return [f for f in check(env) if f.severity == "warning"]


__all__ = [
    "DeploymentNeed",
    "Finding",
    "GroupPlan",
    "Node",
    "PodSize",
    "check",
    "errors",
    "group_pod_size",
    "kube_reserved_cpu_m",
    "kube_reserved_memory_mib",
    "max_pods",
    "node",
    "plan",
    "pod_size",
    "replica_gpus",
    "warnings",
]

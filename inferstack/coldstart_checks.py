"""Cold-start budgets of an environment's deployments, and the ones that cannot work (validate, preview, stack).

Glue between the config (environment + model packages on disk) and the pure arithmetic in
`inferstack.coldstart`: what a replica downloads, and the two limits a model's size can break:
SageMaker's 3600 s timeouts, and a GPU node's disk holding every GPU pod's scratch plus the image.
"""

from __future__ import annotations

from pathlib import Path

from inferstack import coldstart
from inferstack.artifacts import sagemaker_archive_bytes, triton_repository_bytes
from inferstack.catalog import EC2_TYPES
from inferstack.config.environment import Deployment, Environment
from inferstack.config.llm_package import LlmPackage
from inferstack.config.model_package import ModelPackage

KUBELET_EVICTION_FREE = 0.10
"""kubelet's default hard eviction threshold `nodefs.available<10%` (Kubernetes "Node-pressure Eviction")."""


# -- sagemaker-llm (issue 16) ------------------------------------------------------------------------------

LMI_ENGINE_START_SECONDS = 120.0
"""LMI (DJL-Serving) process start plus the vLLM engine after the weights are read: memory profiling, KV-cache
allocation, CUDA graph capture. An allowance like TRITON_ENGINE_START_SECONDS, not a measurement; the safety
factor covers the rest, and a GPU run replaces it with the container's startup log."""


def llm_sagemaker_budget(root: Path, package: LlmPackage, d: Deployment) -> coldstart.ColdStart:
    """The cold start of a `sagemaker-llm` variant. SageMaker copies the weights prefix (`ModelDataSource`,
    uncompressed) to the instance before the container starts: the download phase, at one S3 GET stream
    (AWS documents no throughput for it; one stream is the conservative figure Triton's path uses, and a
    too-long timeout only delays a failure while a too-short one kills a healthy start). Then LMI reads
    the weights from local disk and starts vLLM: the container-startup phase."""
    weights = package.weight_bytes(root / "model_packages" / d.model)
    return coldstart.cold_start(download_bytes=weights, engine_start_seconds=LMI_ENGINE_START_SECONDS)


# -- end sagemaker-llm


def download_bytes(root: Path, package: ModelPackage, d: Deployment) -> int:
    """Bytes a new replica fetches: the whole Triton repository on EKS, one version's archive on SageMaker."""
    if package.repository is None:
        return int((package.artifact_size_gib or 0) * coldstart.GIB)
    model_dir = root / "model_packages" / d.model / package.repository
    if d.target == "triton-eks":
        return triton_repository_bytes(model_dir)
    return sagemaker_archive_bytes(model_dir, d.version)


def budget(root: Path, package: ModelPackage | LlmPackage, d: Deployment) -> coldstart.ColdStart:
    """The cold-start budget of one deployment (same in every region)."""
    if isinstance(package, LlmPackage):
        if d.target != "sagemaker-llm":
            raise ValueError(f"deployment {d.model}: no cold-start budget here for target {d.target}")
        return llm_sagemaker_budget(root, package, d)
    image = coldstart.TRITON_IMAGE_BYTES if d.target == "triton-eks" else 0
    return coldstart.cold_start(download_bytes=download_bytes(root, package, d), image_bytes=image)


def pods_per_node(env: Environment, d: Deployment) -> int:
    """Most replicas of `d` one node of its group can hold by GPUs (at least 1)."""
    group = next(g for g in env.cluster.gpu_node_groups if g.name == d.gpu_node_group)
    gpus = max((EC2_TYPES[t].gpus for t in group.instance_types if t in EC2_TYPES), default=0)
    return max(1, gpus // d.gpus_per_replica)


def node_disk_problem(group_name: str, disk_gib: int, scratch_gib: int, pods: int, model: str) -> str | None:
    """Every GPU pod's scratch + the Triton image must fit the node's root volume above kubelet's eviction line."""
    image_gib = coldstart.TRITON_IMAGE_BYTES / coldstart.GIB
    usable = disk_gib * (1 - KUBELET_EVICTION_FREE)
    need = scratch_gib * pods + image_gib
    if need <= usable:
        return None
    return (
        f"deployment {model}: {pods} pod(s) per node x {scratch_gib} GiB scratch + {image_gib:.1f} GiB "
        f"Triton image = {need:.1f} GiB exceeds 90% of gpu_node_groups[{group_name}].disk_size_gib={disk_gib} "
        f"({usable:.1f} GiB before kubelet evicts); raise disk_size_gib to at least "
        f"{int(need / (1 - KUBELET_EVICTION_FREE)) + 1} or shrink the model repository"
    )


def deployment_problems(
    root: Path, env: Environment, packages: dict[str, ModelPackage] | dict[str, ModelPackage | LlmPackage]
) -> list[str]:
    """What cannot work because of a model's size, one message per deployment (empty when all fit)."""
    problems = []
    for i, d in enumerate(env.deployments):
        package = packages.get(d.model)
        if package is None or (isinstance(package, LlmPackage) and d.target != "sagemaker-llm"):
            continue
        where = f"environments/{env.name}.yaml ==> at deployments[{i}] ({d.model})\n  ==> "
        try:
            b = budget(root, package, d)
        except ValueError:
            if isinstance(package, LlmPackage):
                continue  # weights that cannot be sized: the GPU memory planner reports them (inferstack.llm.checks)
            raise
        if d.target == "triton-eks" and d.gpu_node_group is not None:
            group = next((g for g in env.cluster.gpu_node_groups if g.name == d.gpu_node_group), None)
            if group is None:
                continue
            problem = node_disk_problem(
                group.name, group.disk_size_gib, coldstart.scratch_gib(b.download_bytes), pods_per_node(env, d), d.model
            )
            if problem:
                problems.append(where + problem)
        elif d.target != "triton-eks":
            try:
                coldstart.sagemaker_timeouts(
                    b, eks_target="vllm-eks" if isinstance(package, LlmPackage) else "triton-eks"
                )
            except coldstart.ColdStartError as exc:
                problems.append(f"{where}deployment {d.model}: {exc}")
    return problems

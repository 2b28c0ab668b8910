"""GPU memory planner for LLM deployments: does the model fit, on how many GPUs, with what KV cache.

Pure arithmetic (no Pulumi, no AWS), used by `validate`, `package validate`, the stack wiring (vLLM
arguments, SageMaker tensor-parallel degree, /dev/shm size), cost and policies. API (stable; other
modules build on it):

    plan(arch, *, weight_bytes, precision, kv_cache_dtype, max_model_len, max_num_seqs, instance_types,
         gpu_memory_utilization=0.9, tensor_parallel=None, model="", specs=None) -> LlmPlan
    plan_for_deployment(env, deployment, package, *, package_dir) -> LlmPlan
    PlanError(ValueError): .arithmetic (str), .field (the deployment field to blame, e.g. "llm.max_model_len")

The sum, per replica of `tensor_parallel` GPUs on one node:

    required  = weights + KV cache + overhead
    weights   = weight_bytes (safetensors shard bytes, or parameters x bytes per parameter of the precision)
    KV cache  = kv_bytes_per_token x max_model_len x max_num_seqs x replication
                kv_bytes_per_token = 2 (K and V) x layers x kv_heads x head_dim x bytes per element
                (bytes per element: 2 for kv_cache_dtype auto, 1 for fp8); replication = tp / kv_heads when
                tp > kv_heads (vLLM then replicates KV heads so every rank holds one), else 1
    overhead  = tp x OVERHEAD_GIB_PER_GPU (CUDA context, CUDA graphs, the activation peak of vLLM's
                profiling run, NCCL buffers)
    available = tp x GPU memory x gpu_memory_utilization

It fits when required <= available. The planner tries tensor-parallel degrees 1, 2, ... up to the GPUs of
the largest instance type given and picks the smallest that fits and divides the attention heads (and the
KV heads, or is a multiple of them: vLLM's rule), on the smallest instance type with that many GPUs. A
declared `tensor_parallel` is checked instead of searched. Everything that cannot fit raises `PlanError`
with the arithmetic of each degree tried.

Sizing the KV cache for `max_num_seqs` sequences of `max_model_len` tokens each is the worst case; vLLM itself
refuses to start only when one `max_model_len` sequence does not fit, and otherwise queues or preempts. The
plan reports `kv_capacity_tokens` (what the leftover memory holds) so the real concurrency is visible.

Units: GPU memory per accelerator is the instance catalog's GiB (AWS publishes "GPU memory (GiB)"); the
usable memory nvidia-smi reports is somewhat lower than the nominal figure; the overhead allowance absorbs part
of that, and a GPU run (docs/llm.md) calibrates it.
Worked example (tests/test_llm_planner.py, docs/llm.md): Llama-3.1-8B bf16 on one L4 (g6.xlarge): 0.9 x 24 =
21.6 GiB available; 16.06 GB (14.96 GiB) weights; 1.5 GiB overhead; 5.14 GiB left for KV at
128 KiB/token: 42,127 tokens, i.e. 8,192 context x 5 sequences (5 GiB) fits and x 6 does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from inferstack import catalog
from inferstack.catalog import InstanceSpec
from inferstack.config.llm_package import LlmArchitecture
from inferstack.llm.runtime import TARGET_RUNTIME, kv_bytes_per_element, support_problems

if TYPE_CHECKING:
    from inferstack.config.environment import Deployment, Environment
    from inferstack.config.llm_package import LlmPackage

GIB = 1024**3
GB = 1000**3

OVERHEAD_GIB_PER_GPU = 1.5
"""Per GPU: CUDA context and non-torch allocations (~0.5 GiB), CUDA graphs (captured by default in vLLM
V1, up to ~1 GiB for an 8B model) and the activation peak of the profiling forward pass vLLM subtracts
before it sizes the KV cache. An allowance, not a measurement: calibrate it from the engine's startup log
("Available KV cache memory") on the target GPU; docs/llm.md says how."""

SHM_GIB_PER_RANK = 2
"""/dev/shm per tensor-parallel rank: NCCL and vLLM's multiprocessing executor exchange tensors through
shared memory, and a container's default 64 MiB ends in "Bus error" under tensor parallelism
(vllm-project/production-stack PR #994, 2026-07-28, read 2026-12-02). vLLM's Kubernetes guide mounts a
memory-backed emptyDir at /dev/shm; 2 GiB per rank is this planner's choice (counted against the pod's
memory limit)."""


class PlanError(ValueError):
    """A deployment that cannot be served as declared; the message carries the arithmetic and the fix."""

    def __init__(self, message: str, *, arithmetic: str = "", field: str = "llm") -> None:
        super().__init__(message)
        self.message = message
        self.arithmetic = arithmetic
        self.field = field


@dataclass(frozen=True)
class LlmPlan:
    """One replica of an LLM deployment: tensor-parallel degree and memory, all per replica."""

    model: str
    instance_type: str
    gpu_model: str
    tensor_parallel: int
    gpus_per_node: int
    gpu_memory_gib: float
    """Per GPU, from the instance catalog."""
    precision: str
    kv_cache_dtype: str
    weights_gib: float
    kv_bytes_per_token: int
    """2 x layers x kv_heads x head_dim x bytes per element (the model's, before replication)."""
    kv_cache_gib: float
    """kv_bytes_per_token x max_model_len x max_num_seqs x replication."""
    overhead_gib: float
    required_gib: float
    available_gib: float
    max_model_len: int
    max_num_seqs: int
    gpu_memory_utilization: float
    shm_size_gib: int
    kv_capacity_tokens: int
    """Tokens of KV the memory left after weights and overhead holds (what vLLM would allocate)."""
    arithmetic: str

    @property
    def headroom_gib(self) -> float:
        return self.available_gib - self.required_gib

    def to_json(self) -> dict[str, object]:
        """Every field, GiB rounded to 2 decimals (for the preview JSON)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = round(value, 2) if f.name.endswith("_gib") and isinstance(value, float) else value
        out["headroom_gib"] = round(self.headroom_gib, 2)
        return out

    def vllm_args(self) -> list[str]:
        """The vLLM server arguments the plan fixes."""
        args = [
            f"--tensor-parallel-size={self.tensor_parallel}",
            f"--max-model-len={self.max_model_len}",
            f"--max-num-seqs={self.max_num_seqs}",
            f"--gpu-memory-utilization={self.gpu_memory_utilization:g}",
        ]
        if self.kv_cache_dtype != "auto":
            args.append(f"--kv-cache-dtype={self.kv_cache_dtype}")
        return args


def _gib(n: float) -> str:
    return f"{n / GIB:,.2f} GiB"


def _tp_compatible(arch: LlmArchitecture, tp: int) -> str | None:
    """Why `tp` cannot split this model's heads; None when it can."""
    if arch.num_attention_heads % tp:
        return f"{arch.num_attention_heads} attention heads are not divisible by tensor parallel {tp}"
    kv = arch.num_key_value_heads
    if kv % tp and tp % kv:
        return f"{kv} KV heads are neither divisible by nor a divisor of tensor parallel {tp}"
    return None


def plan(
    arch: LlmArchitecture,
    *,
    weight_bytes: int,
    precision: str,
    kv_cache_dtype: str,
    max_model_len: int,
    max_num_seqs: int,
    instance_types: Sequence[str],
    gpu_memory_utilization: float = 0.9,
    tensor_parallel: int | None = None,
    model: str = "",
    specs: Callable[[str], InstanceSpec] | None = None,
    overhead_gib_per_gpu: float = OVERHEAD_GIB_PER_GPU,
) -> LlmPlan:
    """The smallest tensor-parallel plan that fits; `PlanError` with the arithmetic when none does.

    `instance_types`: the node group's EC2 types, or one SageMaker `ml.*` type. `specs`: where to look the
    types up (default: the instance catalog)."""
    lookup = specs or catalog.spec
    label = model or arch.model_type
    if not instance_types:
        raise PlanError(f"{label}: no instance types to plan on; name a GPU node group or instance_type")
    try:
        nodes = sorted((lookup(t) for t in instance_types), key=lambda s: (s.gpus, s.vcpu, s.name))
    except KeyError as exc:
        raise PlanError(str(exc.args[0]), field="instance_type") from None
    not_gpu = [n.name for n in nodes if n.accelerator != "nvidia" or n.gpus < 1]
    if not_gpu:
        raise PlanError(
            f"{label}: {', '.join(not_gpu)} have no NVIDIA GPU; LLM runtimes here need CUDA GPUs", field="instance_type"
        )
    memories = {n.gpu_memory_gib for n in nodes}
    if len(memories) > 1:
        raise PlanError(f"{label}: instance types {list(instance_types)} mix GPU memory sizes; use one GPU class")
    if not 0 < gpu_memory_utilization <= 1:
        raise PlanError(
            f"gpu_memory_utilization {gpu_memory_utilization} must be in (0, 1]", field="llm.gpu_memory_utilization"
        )
    if max_model_len > arch.max_position_embeddings:
        raise PlanError(
            f"{label}: max_model_len {max_model_len:,} exceeds the model's max_position_embeddings "
            f"{arch.max_position_embeddings:,}; lower llm.max_model_len to <= {arch.max_position_embeddings}",
            field="llm.max_model_len",
        )
    gpu_mem = nodes[0].gpu_memory_gib
    gpu_model = nodes[0].gpu_model or "GPU"
    max_gpus = nodes[-1].gpus
    kv_token = arch.kv_bytes_per_token(kv_bytes_per_element(kv_cache_dtype))
    tokens = max_model_len * max_num_seqs

    def attempt(tp: int) -> tuple[LlmPlan | None, str]:
        node = next(n for n in nodes if n.gpus >= tp)
        replication = max(1, tp // arch.num_key_value_heads)
        kv = kv_token * tokens * replication
        overhead = tp * overhead_gib_per_gpu * GIB
        required = weight_bytes + kv + overhead
        available = tp * gpu_mem * GIB * gpu_memory_utilization
        rep = f" x {replication} (KV heads replicated over {tp} ranks)" if replication > 1 else ""
        fits = required <= available
        capacity = max(0, int((available - weight_bytes - overhead) // (kv_token * replication)))
        text = (
            f"TP {tp} on {node.name}: weights {_gib(weight_bytes)} ({weight_bytes / GB:,.2f} GB {precision}) + KV "
            f"cache {max_model_len:,} tokens x {max_num_seqs} seqs x {kv_token:,} B/token{rep} = {_gib(kv)} + "
            f"overhead {tp} x {overhead_gib_per_gpu:g} GiB = {_gib(required)} required "
            f"{'<=' if fits else '>'} {_gib(available)} available ({tp} x {gpu_model} {gpu_mem:g} GiB x "
            f"{gpu_memory_utilization:g}); KV capacity {capacity:,} tokens"
        )
        if not fits:
            return None, text
        return (
            LlmPlan(
                model=label,
                instance_type=node.name,
                gpu_model=gpu_model,
                tensor_parallel=tp,
                gpus_per_node=node.gpus,
                gpu_memory_gib=float(gpu_mem),
                precision=precision,
                kv_cache_dtype=kv_cache_dtype,
                weights_gib=weight_bytes / GIB,
                kv_bytes_per_token=kv_token,
                kv_cache_gib=kv / GIB,
                overhead_gib=overhead / GIB,
                required_gib=required / GIB,
                available_gib=available / GIB,
                max_model_len=max_model_len,
                max_num_seqs=max_num_seqs,
                gpu_memory_utilization=gpu_memory_utilization,
                shm_size_gib=SHM_GIB_PER_RANK * tp,
                kv_capacity_tokens=capacity,
                arithmetic=text,
            ),
            text,
        )

    if tensor_parallel is not None:
        if tensor_parallel > max_gpus:
            raise PlanError(
                f"{label}: tensor_parallel {tensor_parallel} exceeds the {max_gpus} GPUs per node of "
                f"{nodes[-1].name}; tensor parallelism stays inside one node, so lower llm.tensor_parallel or use "
                f"instance types with >= {tensor_parallel} GPUs",
                field="llm.tensor_parallel",
            )
        why = _tp_compatible(arch, tensor_parallel)
        if why:
            ok = [d for d in range(1, max_gpus + 1) if _tp_compatible(arch, d) is None]
            raise PlanError(
                f"{label}: {why}; use llm.tensor_parallel one of {', '.join(map(str, ok))}",
                field="llm.tensor_parallel",
            )
        result, text = attempt(tensor_parallel)
        if result is None:
            raise PlanError(
                f"{label} does not fit with tensor_parallel {tensor_parallel}: {text}; {_fix(max_gpus, True)}",
                arithmetic=text,
                field="llm.tensor_parallel",
            )
        return result

    tried: list[str] = []
    for tp in range(1, max_gpus + 1):
        if _tp_compatible(arch, tp) is not None:
            continue
        result, text = attempt(tp)
        if result is not None:
            return result
        tried.append(text)
    arithmetic = "\n".join(f"    {t}" for t in tried)
    raise PlanError(
        f"{label} does not fit on {', '.join(n.name for n in nodes)} at any tensor-parallel degree up to "
        f"{max_gpus} (the GPUs per node):\n{arithmetic}\n  {_fix(max_gpus, False)}",
        arithmetic=arithmetic,
        field="llm.max_model_len",
    )


def _fix(max_gpus: int, declared: bool) -> str:
    first = "raise or drop llm.tensor_parallel, " if declared else ""
    return (
        f"{first}lower llm.max_model_len or llm.max_concurrent_sequences, use kv_cache_dtype fp8 or a quantized "
        f"precision in the package, or GPUs with more memory / more than {max_gpus} per node"
    )


def plan_for_deployment(env: Environment, deployment: Deployment, package: LlmPackage, *, package_dir: Path) -> LlmPlan:
    """The plan of an LLM deployment (target vllm-eks or sagemaker-llm) of `package` in `env`.

    Checks the package's precision and KV-cache dtype against the target's runtime and GPU first
    (`inferstack.llm.runtime.support_problems`); raises PlanError with `.field` naming the deployment field."""
    llm = deployment.llm
    if deployment.target not in TARGET_RUNTIME or llm is None:
        raise PlanError(
            f"deployment {deployment.model!r} has target {deployment.target}; plans exist for targets "
            f"{', '.join(TARGET_RUNTIME)} with llm settings",
            field="target",
        )
    if deployment.target == "vllm-eks":
        group = next((g for g in env.cluster.gpu_node_groups if g.name == deployment.gpu_node_group), None)
        if group is None:
            raise PlanError(f"gpu_node_group {deployment.gpu_node_group!r} is not defined", field="gpu_node_group")
        types: list[str] = list(group.instance_types)
        type_field = "gpu_node_group"
    else:
        types = [deployment.instance_type or ""]
        type_field = "instance_type"
    try:
        gpu_model = catalog.spec(types[0]).gpu_model
    except KeyError as exc:
        raise PlanError(str(exc.args[0]), field=type_field) from None
    runtime = TARGET_RUNTIME[deployment.target]
    problems = support_problems(runtime, package.serving.precision, package.serving.kv_cache_dtype, gpu_model)
    if problems:
        raise PlanError(
            f"{package.name} on {deployment.target} ({', '.join(types)}): " + "; ".join(problems), field=type_field
        )
    try:
        arch = package.architecture(package_dir)
        weights = package.weight_bytes(package_dir)
    except ValueError as exc:
        raise PlanError(str(exc), field="model") from None
    try:
        return plan(
            arch,
            weight_bytes=weights,
            precision=package.serving.precision,
            kv_cache_dtype=package.serving.kv_cache_dtype,
            max_model_len=llm.max_model_len,
            max_num_seqs=llm.max_concurrent_sequences,
            instance_types=types,
            gpu_memory_utilization=llm.gpu_memory_utilization,
            tensor_parallel=llm.tensor_parallel,
            model=package.name,
        )
    except PlanError as exc:
        if exc.field == "instance_type":
            exc.field = type_field
        raise


def kv_tokens_fitting(plan_: LlmPlan) -> int:
    """Concurrent sequences of max_model_len tokens the plan's KV capacity holds."""
    return plan_.kv_capacity_tokens // plan_.max_model_len if plan_.max_model_len else 0


__all__ = [
    "OVERHEAD_GIB_PER_GPU",
    "SHM_GIB_PER_RANK",
    "LlmPlan",
    "PlanError",
    "kv_tokens_fitting",
    "plan",
    "plan_for_deployment",
]

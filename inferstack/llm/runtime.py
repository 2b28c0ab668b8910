"""What each LLM runtime accepts: weight precisions, KV-cache dtypes, and which GPUs can run them.

Two runtimes, one per target:

- `vllm` (target `vllm-eks`): the vLLM OpenAI-compatible server. `--kv-cache-dtype` choices are
  `auto`, `fp8`, `fp8_e4m3`, `fp8_e5m2` (vllm.config `CacheDType`, docs.vllm.ai v0.9.2 API reference, read
  2026-12-02). Quantized checkpoints (AWQ, GPTQ, FP8, INT8 W8A8 via compressed-tensors) are detected from the
  checkpoint's quantization config; fp8 can also be applied at load time (`--quantization fp8`).
- `lmi` (target `sagemaker-llm`): the SageMaker Large Model Inference container with its vLLM backend. It
  serves Hugging Face directories; pre-quantized checkpoints are deduced by vLLM, runtime quantization is
  `fp8` or `bitsandbytes` (`option.quantize` / `OPTION_QUANTIZE`; deepjavalibrary/djl-serving
  serving/docs/lmi/user_guides/vllm_user_guide.md "Quantization Support", read 2026-12-02). The LMI docs
  name no KV-cache dtype option, so only `auto` is accepted there.

GPU rules (both runtimes run the same CUDA kernels): bf16 needs compute capability >= 8.0 (Ampere) and so
does fp8 (weight-only FP8 Marlin kernels on Ampere, W8A8 on Ada/Hopper: vLLM docs "Supported Hardware" for
quantization, read 2026-12-02); AWQ and INT8 W8A8 need >= 7.5 (Turing), GPTQ >= 7.0. Compute capabilities:
NVIDIA "CUDA GPUs" table (developer.nvidia.com/cuda-gpus, read 2026-12-02).
"""

from __future__ import annotations

from dataclasses import dataclass

Runtime = str  # "vllm" | "lmi"

#: Compute capability of each GPU model in the instance catalog.
COMPUTE_CAPABILITY: dict[str, float] = {
    "T4": 7.5,
    "A10G": 8.6,
    "A100": 8.0,
    "L4": 8.9,
    "L40S": 8.9,
    "H100": 9.0,
    "H200": 9.0,
}

#: Minimum compute capability per weight precision.
MIN_COMPUTE_CAPABILITY: dict[str, float] = {
    "bf16": 8.0,
    "fp16": 7.0,
    "fp8": 8.0,
    "int8": 7.5,
    "int4-awq": 7.5,
    "int4-gptq": 7.0,
}


@dataclass(frozen=True)
class RuntimeSupport:
    name: str
    description: str
    precisions: tuple[str, ...]
    kv_cache_dtypes: tuple[str, ...]


RUNTIMES: dict[str, RuntimeSupport] = {
    "vllm": RuntimeSupport(
        "vllm",
        "vLLM OpenAI-compatible server",
        ("bf16", "fp16", "fp8", "int8", "int4-awq", "int4-gptq"),
        ("auto", "fp8", "fp8_e4m3", "fp8_e5m2"),
    ),
    "lmi": RuntimeSupport(
        "lmi",
        "SageMaker LMI container (vLLM backend)",
        ("bf16", "fp16", "fp8", "int8", "int4-awq", "int4-gptq"),
        ("auto",),
    ),
}

#: Deployment target -> runtime.
TARGET_RUNTIME: dict[str, str] = {"vllm-eks": "vllm", "sagemaker-llm": "lmi"}


def kv_bytes_per_element(kv_cache_dtype: str) -> int:
    """auto keeps the activation dtype (bf16/fp16 for every precision here, including quantized weights:
    AWQ/GPTQ/FP8 checkpoints compute in 16-bit), 2 bytes; fp8 variants 1 byte."""
    return 1 if kv_cache_dtype.startswith("fp8") else 2


def support_problems(runtime: str, precision: str, kv_cache_dtype: str, gpu_model: str | None) -> list[str]:
    """Why `precision` / `kv_cache_dtype` cannot run on `runtime` with `gpu_model`; empty when they can."""
    rt = RUNTIMES[runtime]
    problems = []
    if precision not in rt.precisions:
        problems.append(
            f"precision {precision!r} is not served by the {rt.description}; use one of {', '.join(rt.precisions)}"
        )
    if kv_cache_dtype not in rt.kv_cache_dtypes:
        problems.append(
            f"kv_cache_dtype {kv_cache_dtype!r} is not supported by the {rt.description}; use "
            f"{' or '.join(rt.kv_cache_dtypes)}"
        )
    if gpu_model is not None and gpu_model in COMPUTE_CAPABILITY:
        cc, need = COMPUTE_CAPABILITY[gpu_model], MIN_COMPUTE_CAPABILITY[precision]
        if cc < need:
            ok = sorted(g for g, c in COMPUTE_CAPABILITY.items() if c >= need)
            alt = sorted(p for p, c in MIN_COMPUTE_CAPABILITY.items() if c <= cc)
            problems.append(
                f"precision {precision!r} needs compute capability >= {need:g} but the {gpu_model} has {cc:g}; "
                f"serve it on {', '.join(ok)} GPUs, or use precision {' / '.join(alt)} on the {gpu_model}"
            )
    return problems

"""The GPU memory planner against the published model configurations in shared/reference/llm_memory.md.

Facts (config.json of each model; parameter counts as the model cards publish them):
Llama-3.1-8B 32 layers, 32 heads, 8 KV heads, head_dim 128, 8.03 B params, 16.06 GB bf16, 128 KiB KV/token;
Llama-3.1-70B 80 / 64 / 8 / 128, 70.55 B, 141.1 GB, 320 KiB; Mistral-7B-v0.1 32 / 32 / 8 / 128, 7.24 B, 14.48 GB,
128 KiB; Qwen2.5-7B 28 / 28 / 4 / 128, 7.62 B, 15.23 GB, 56 KiB.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inferstack.catalog import InstanceSpec
from inferstack.catalog import spec as catalog_spec
from inferstack.config.llm_package import LlmArchitecture
from inferstack.llm.planner import GIB, PlanError, plan

ROOT = Path(__file__).resolve().parent.parent
LLAMA_8B = LlmArchitecture.load(ROOT / "model_packages" / "llama-3-1-8b-instruct" / "config.json")
LLAMA_70B = LlmArchitecture.load(ROOT / "model_packages" / "llama-3-1-70b-instruct" / "config.json")
MISTRAL_7B = LlmArchitecture.from_config(
    {
        "model_type": "mistral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "max_position_embeddings": 32768,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
    }
)
QWEN25_7B = LlmArchitecture.from_config(
    {
        "model_type": "qwen2",
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "max_position_embeddings": 131072,
        "vocab_size": 152064,
        "tie_word_embeddings": False,
    }
)

# H200 instances are not in the instance catalog (no price row yet); the spec is AWS's p5e.48xlarge:
# 8 x H200 141 GB (shared/reference/llm_memory.md).
P5E = InstanceSpec("p5e.48xlarge", 192, 2048, 8, "H200", 141, "nvidia")


def _specs(name: str) -> InstanceSpec:
    return P5E if name == P5E.name else catalog_spec(name)


PUBLISHED = [
    # (arch, layers, attn heads, kv heads, head_dim, exact params, bf16 GB as published, KV bytes/token bf16)
    (LLAMA_8B, 32, 32, 8, 128, 8_030_261_248, "16.06", 131_072),
    (LLAMA_70B, 80, 64, 8, 128, 70_553_706_496, "141.1", 327_680),
    (MISTRAL_7B, 32, 32, 8, 128, 7_241_732_096, "14.48", 131_072),
    (QWEN25_7B, 28, 28, 4, 128, 7_615_616_512, "15.23", 57_344),
]


@pytest.mark.parametrize("row", PUBLISHED, ids=["llama-3.1-8b", "llama-3.1-70b", "mistral-7b", "qwen2.5-7b"])
def test_architecture_facts_parameters_weights_and_kv_per_token_match_the_published_configs(row) -> None:
    arch, layers, heads, kv_heads, head_dim, params, bf16_gb, kv_token = row
    assert (arch.num_hidden_layers, arch.num_attention_heads, arch.num_key_value_heads, arch.head_dim) == (
        layers,
        heads,
        kv_heads,
        head_dim,
    )
    assert arch.dense_decoder_parameters() == params
    digits = len(bf16_gb.split(".")[1])
    assert f"{params * 2 / 1e9:.{digits}f}" == bf16_gb
    assert arch.kv_bytes_per_token(2) == kv_token
    assert arch.kv_bytes_per_token(1) == kv_token // 2  # fp8 KV cache halves it


def _llama8b(max_num_seqs: int, **kw) -> object:
    return plan(
        LLAMA_8B,
        weight_bytes=8_030_261_248 * 2,
        precision="bf16",
        kv_cache_dtype=kw.pop("kv_cache_dtype", "auto"),
        max_model_len=kw.pop("max_model_len", 8192),
        max_num_seqs=max_num_seqs,
        instance_types=kw.pop("instance_types", ["g6.xlarge"]),
        model="llama-3.1-8b",
        **kw,
    )


def test_worked_example_llama_8b_bf16_on_one_l4_holds_about_40k_tokens_of_kv() -> None:
    p = _llama8b(5)
    assert (p.instance_type, p.tensor_parallel, p.gpu_model) == ("g6.xlarge", 1, "L4")
    assert p.available_gib == pytest.approx(0.9 * 24)  # 21.6 budget
    assert p.weights_gib * GIB / 1e9 == pytest.approx(16.06, abs=0.005)  # 16.06 GB of weights
    assert p.kv_bytes_per_token == 131_072
    assert p.kv_cache_gib == 5.0  # 8,192 x 5 x 128 KiB
    # "~5.5 GB left for KV and activations -> roughly 40k tokens of KV (8,192 context x 4-5 sequences)"
    assert 40_960 <= p.kv_capacity_tokens < 6 * 8192
    assert p.kv_capacity_tokens == 42_127
    assert p.arithmetic == (
        "TP 1 on g6.xlarge: weights 14.96 GiB (16.06 GB bf16) + KV cache 8,192 tokens x 5 seqs x 131,072 B/token "
        "= 5.00 GiB + overhead 1 x 1.5 GiB = 21.46 GiB required <= 21.60 GiB available (1 x L4 24 GiB x 0.9); KV "
        "capacity 42,127 tokens"
    )
    as_json = p.to_json()
    assert (as_json["weights_gib"], as_json["required_gib"], as_json["headroom_gib"]) == (14.96, 21.46, 0.14)
    assert as_json["arithmetic"] == p.arithmetic and as_json["shm_size_gib"] == 2
    assert p.vllm_args() == [
        "--tensor-parallel-size=1",
        "--max-model-len=8192",
        "--max-num-seqs=5",
        "--gpu-memory-utilization=0.9",
    ]


def test_a_sixth_sequence_does_not_fit_and_the_refusal_shows_the_arithmetic() -> None:
    with pytest.raises(PlanError) as exc:
        _llama8b(6)
    message = str(exc.value)
    assert message.startswith("llama-3.1-8b does not fit on g6.xlarge at any tensor-parallel degree up to 1")
    assert "KV cache 8,192 tokens x 6 seqs x 131,072 B/token = 6.00 GiB" in message
    assert "= 22.46 GiB required > 21.60 GiB available (1 x L4 24 GiB x 0.9)" in message
    assert "kv_cache_dtype fp8" in message  # the fix
    assert exc.value.field == "llm.max_model_len"
    assert "22.46 GiB required" in exc.value.arithmetic


def test_fp8_kv_cache_doubles_the_sequences_that_fit() -> None:
    p = _llama8b(10, kv_cache_dtype="fp8")
    assert (p.kv_bytes_per_token, p.kv_cache_gib) == (65_536, 5.0)
    assert "--kv-cache-dtype=fp8" in p.vllm_args()


def test_smallest_tensor_parallel_degree_that_fits_and_the_smallest_type_with_that_many_gpus() -> None:
    p = _llama8b(16, instance_types=["g6.12xlarge", "g6.xlarge"])
    assert (p.tensor_parallel, p.instance_type, p.gpus_per_node) == (2, "g6.12xlarge", 4)
    assert p.available_gib == pytest.approx(2 * 24 * 0.9)
    assert p.shm_size_gib == 4


def test_llama_70b_bf16_needs_tensor_parallel_4_on_h100_and_2_on_h200() -> None:
    kw = dict(
        weight_bytes=70_553_706_496 * 2,
        precision="bf16",
        kv_cache_dtype="auto",
        max_model_len=8192,
        max_num_seqs=16,
        model="llama-3.1-70b",
        specs=_specs,
    )
    h100 = plan(LLAMA_70B, instance_types=["p5.48xlarge"], **kw)  # type: ignore[arg-type]
    assert (h100.tensor_parallel, h100.gpu_model) == (4, "H100")
    assert h100.kv_cache_gib == 40.0  # 8,192 x 16 x 320 KiB
    h200 = plan(LLAMA_70B, instance_types=["p5e.48xlarge"], **kw)  # type: ignore[arg-type]
    assert (h200.tensor_parallel, h200.gpu_model) == (2, "H200")
    with pytest.raises(PlanError, match=r"does not fit with tensor_parallel 1: TP 1 on p5e\.48xlarge: weights "):
        plan(LLAMA_70B, instance_types=["p5e.48xlarge"], tensor_parallel=1, **kw)  # type: ignore[arg-type]


def test_llama_70b_cannot_fit_on_a_single_l4_node_and_every_degree_tried_is_shown() -> None:
    with pytest.raises(PlanError) as exc:
        plan(
            LLAMA_70B,
            weight_bytes=70_553_706_496 * 2,
            precision="bf16",
            kv_cache_dtype="auto",
            max_model_len=4096,
            max_num_seqs=1,
            instance_types=["g6.12xlarge"],
        )
    lines = exc.value.arithmetic.splitlines()
    assert [line.split(":")[0].strip() for line in lines] == [
        "TP 1 on g6.12xlarge",
        "TP 2 on g6.12xlarge",
        "TP 4 on g6.12xlarge",
    ]
    assert "required > 86.40 GiB available (4 x L4 24 GiB x 0.9)" in lines[2]


def test_tensor_parallel_must_divide_the_attention_heads() -> None:
    kw = dict(
        weight_bytes=7_615_616_512 * 2,
        precision="bf16",
        kv_cache_dtype="auto",
        max_model_len=8192,
        max_num_seqs=1,
        instance_types=["g5.48xlarge"],
        model="qwen2.5-7b",
    )
    with pytest.raises(PlanError) as exc:
        plan(QWEN25_7B, tensor_parallel=8, **kw)  # type: ignore[arg-type]
    assert str(exc.value) == (
        "qwen2.5-7b: 28 attention heads are not divisible by tensor parallel 8; use llm.tensor_parallel one of 1, 2, 4"
    )
    assert exc.value.field == "llm.tensor_parallel"
    # 7 divides the 28 attention heads, but neither divides nor is divided by the 4 KV heads
    with pytest.raises(PlanError, match="4 KV heads are neither divisible by nor a divisor of tensor parallel 7"):
        plan(QWEN25_7B, tensor_parallel=7, **kw)  # type: ignore[arg-type]


def test_tensor_parallel_above_the_gpus_of_one_node_is_refused() -> None:
    with pytest.raises(PlanError, match=re.escape("tensor_parallel 4 exceeds the 1 GPUs per node of g6.xlarge")):
        _llama8b(1, tensor_parallel=4)


def test_more_ranks_than_kv_heads_replicate_the_kv_cache() -> None:
    tiny = LlmArchitecture.load(ROOT / "model_packages" / "tiny-llama" / "config.json")
    p = plan(
        tiny,
        weight_bytes=1_000_000,
        precision="bf16",
        kv_cache_dtype="auto",
        max_model_len=2048,
        max_num_seqs=1,
        instance_types=["g6.12xlarge"],
        tensor_parallel=4,
    )
    assert tiny.num_key_value_heads == 2
    assert p.kv_cache_gib * GIB == 2048 * tiny.kv_bytes_per_token(2) * 2
    assert "x 2 (KV heads replicated over 4 ranks)" in p.arithmetic


def test_context_longer_than_the_model_supports_is_refused() -> None:
    with pytest.raises(PlanError, match="max_model_len 200,000 exceeds the model's max_position_embeddings 131,072"):
        _llama8b(1, max_model_len=200_000)


def test_cpu_and_unknown_instance_types_are_refused() -> None:
    with pytest.raises(PlanError, match=re.escape("m6i.large have no NVIDIA GPU")):
        _llama8b(1, instance_types=["m6i.large"])
    with pytest.raises(PlanError, match=re.escape("'g9.huge' is not in the instance catalog")) as exc:
        _llama8b(1, instance_types=["g9.huge"])
    assert exc.value.field == "instance_type"


def test_gpu_memory_utilization_scales_the_budget() -> None:
    assert _llama8b(1, gpu_memory_utilization=0.8).available_gib == pytest.approx(0.8 * 24)
    with pytest.raises(PlanError):
        _llama8b(5, gpu_memory_utilization=0.8)

"""LLM model packages: `model_packages/<name>/model.yaml` with `kind: llm`.

An LLM package is a Hugging Face model directory whose weights live in S3 (`weights_uri: s3://...`,
the layout `config.json`, tokenizer files, `*.safetensors` shards). The package directory in git holds
the manifest and a copy of the model's `config.json` (small; for remote models only the architecture
facts the planner needs), so planning works offline:

    kind: llm
    name: llama-3-1-8b-instruct
    version: 1
    owner: assistants
    weights_uri: s3://inferstack-models/llama-3-1-8b-instruct/1/
    serving: {precision: bf16, kv_cache_dtype: auto}

When the weights are in the package directory (`weights: local`, the generated `tiny-llama`), the
parameter count, dtypes and exact weight bytes are read from the safetensors headers (format: an 8-byte
little-endian header length, then that many bytes of JSON mapping tensor names to `dtype`, `shape` and
`data_offsets`; huggingface/safetensors README "Format", read 2026-12-02). For remote weights the
parameter count comes from `parameters:` in the manifest or, for dense decoder families whose layout is
known (llama, mistral, qwen2), from `config.json` itself (`dense_decoder_parameters`, tested against the
published counts).

The Triton manifest (`inferstack/config/model_package.py`) has no `kind`; the loader picks the model by
`kind` (`inferstack.config.loader.load_package`).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inferstack.config.environment import MODEL_NAME_RE

Precision = Literal["bf16", "fp16", "fp8", "int8", "int4-awq", "int4-gptq"]
KvCacheDtype = Literal["auto", "fp8", "fp8_e4m3", "fp8_e5m2"]

#: Bytes per weight parameter of each serving precision. int4 formats store 4-bit weights plus one fp16
#: scale and one 4-bit zero point per group of 128 weights (AWQ and GPTQ default group size 128), i.e.
#: 0.5 + 2/128 + 0.5/128 bytes; embeddings and lm_head stay 16-bit in practice, which this table does
#: not model: declare `weights_bytes` (the sum of the shard sizes in S3) for an exact figure.
BYTES_PER_PARAM: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4-awq": 0.5 + 2 / 128 + 0.5 / 128,
    "int4-gptq": 0.5 + 2 / 128 + 0.5 / 128,
}

#: safetensors dtype names -> bytes per element (huggingface/safetensors `Dtype`, read 2026-12-02).
SAFETENSORS_DTYPE_BYTES: dict[str, float] = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}

#: The tokenizer files a Hugging Face model directory carries: a fast tokenizer (`tokenizer.json`) or a
#: sentencepiece model (`tokenizer.model`), plus `tokenizer_config.json` (chat template, special tokens).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")


class SafetensorsError(ValueError):
    """A file that is not a readable safetensors file; the message names the file and the problem."""


@dataclass(frozen=True)
class SafetensorsSummary:
    """What the headers of one or more safetensors files say."""

    parameters: int
    """Elements over every tensor."""
    weight_bytes: int
    """Bytes of tensor data (what the GPU holds), from `data_offsets`."""
    dtypes: dict[str, int]
    """Parameters per safetensors dtype, e.g. {"BF16": 1048576}."""
    files: tuple[str, ...]


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (without `__metadata__`), read without loading the tensors."""
    try:
        with path.open("rb") as fh:
            raw_len = fh.read(8)
            if len(raw_len) != 8:
                raise SafetensorsError(f"{path}: shorter than the 8-byte header length; not a safetensors file")
            (length,) = struct.unpack("<Q", raw_len)
            size = path.stat().st_size
            if length > size - 8 or length > 100 * 1024 * 1024:
                raise SafetensorsError(
                    f"{path}: header length {length} does not fit the file ({size} bytes); not a safetensors file"
                )
            header = json.loads(fh.read(length).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsError(f"{path}: the header is not JSON ({exc}); not a safetensors file") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: the header is a {type(header).__name__}, expected a JSON object")
    header.pop("__metadata__", None)
    data_len = size - 8 - length
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise SafetensorsError(f"{path}: tensor {name!r} lacks dtype, shape or data_offsets")
        if info["dtype"] not in SAFETENSORS_DTYPE_BYTES:
            raise SafetensorsError(f"{path}: tensor {name!r} has unknown dtype {info['dtype']!r}")
        start, end = info["data_offsets"]
        expected = math.prod(info["shape"]) * SAFETENSORS_DTYPE_BYTES[info["dtype"]]
        if not 0 <= start <= end <= data_len or end - start != expected:
            raise SafetensorsError(
                f"{path}: tensor {name!r} data_offsets {info['data_offsets']} do not match its shape "
                f"{info['shape']} x {info['dtype']} ({expected:g} bytes) inside {data_len} data bytes"
            )
    return header


def summarize_safetensors(paths: list[Path]) -> SafetensorsSummary:
    params = 0
    nbytes = 0
    dtypes: dict[str, int] = {}
    for path in paths:
        for info in read_safetensors_header(path).values():
            n = math.prod(info["shape"])
            params += n
            nbytes += info["data_offsets"][1] - info["data_offsets"][0]
            dtypes[info["dtype"]] = dtypes.get(info["dtype"], 0) + n
    return SafetensorsSummary(params, nbytes, dict(sorted(dtypes.items())), tuple(p.name for p in paths))


@dataclass(frozen=True)
class LlmArchitecture:
    """The architecture facts of a decoder-only transformer, as its Hugging Face `config.json` gives them."""

    model_type: str
    num_hidden_layers: int
    hidden_size: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    max_position_embeddings: int
    intermediate_size: int | None = None
    vocab_size: int | None = None
    tie_word_embeddings: bool = False
    torch_dtype: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], source: str = "config.json") -> LlmArchitecture:
        """Read the facts; `head_dim` defaults to hidden_size / num_attention_heads and
        `num_key_value_heads` to num_attention_heads (multi-head attention), as transformers does."""
        missing = [
            k
            for k in ("num_hidden_layers", "hidden_size", "num_attention_heads", "max_position_embeddings")
            if not isinstance(config.get(k), int) or isinstance(config.get(k), bool) or config[k] < 1
        ]
        if missing:
            raise ValueError(
                f"{source} lacks {', '.join(missing)} (positive integers); copy them from the model's config.json"
            )
        heads = config["num_attention_heads"]
        kv_heads = config.get("num_key_value_heads") or heads
        head_dim = config.get("head_dim") or config["hidden_size"] // heads
        if "head_dim" not in config and config["hidden_size"] % heads:
            raise ValueError(
                f"{source}: hidden_size {config['hidden_size']} is not divisible by num_attention_heads {heads}; "
                "add head_dim from the model's config.json"
            )
        if heads % kv_heads:
            raise ValueError(
                f"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv_heads}; "
                "check both values against the model's config.json"
            )
        return cls(
            model_type=str(config.get("model_type", "unknown")),
            num_hidden_layers=config["num_hidden_layers"],
            hidden_size=config["hidden_size"],
            num_attention_heads=heads,
            num_key_value_heads=kv_heads,
            head_dim=head_dim,
            max_position_embeddings=config["max_position_embeddings"],
            intermediate_size=config.get("intermediate_size"),
            vocab_size=config.get("vocab_size"),
            tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
            torch_dtype=config.get("torch_dtype") or config.get("dtype"),
        )

    @classmethod
    def load(cls, path: Path) -> LlmArchitecture:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{path} not found; copy the model's config.json into the package") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}:{exc.colno} is not valid JSON ({exc.msg}); fix it") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path} is a JSON {type(data).__name__}, expected an object")
        return cls.from_config(data, str(path))

    def kv_bytes_per_token(self, bytes_per_element: float) -> int:
        """2 (K and V) x layers x kv heads x head_dim x bytes per element."""
        return int(2 * self.num_hidden_layers * self.num_key_value_heads * self.head_dim * bytes_per_element)

    def dense_decoder_parameters(self) -> int | None:
        """Parameters of a llama-layout dense decoder (llama, mistral, qwen2): embeddings, per layer
        q/k/v/o projections (+ q/k/v biases for qwen2), gate/up/down MLP and two RMSNorms, the final norm
        and an untied lm_head. None for other families or when intermediate_size / vocab_size are missing."""
        if self.model_type not in ("llama", "mistral", "qwen2") or not self.intermediate_size or not self.vocab_size:
            return None
        h, kv = self.hidden_size, self.num_key_value_heads * self.head_dim
        q = self.num_attention_heads * self.head_dim
        attn = h * q + 2 * h * kv + q * h + (q + 2 * kv if self.model_type == "qwen2" else 0)
        layer = attn + 3 * h * self.intermediate_size + 2 * h
        embed = self.vocab_size * h
        return embed * (1 if self.tie_word_embeddings else 2) + self.num_hidden_layers * layer + h


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LlmServingSpec(_Model):
    """How the weights are served."""

    precision: Precision = Field(
        description="Weight precision served: bf16, fp16, fp8, int8, int4-awq or int4-gptq (pre-quantized "
        "checkpoints for int4; fp8 may also be quantized at load time)."
    )
    kv_cache_dtype: KvCacheDtype = Field(
        default="auto",
        description="KV-cache element type: auto (the model's activation dtype, 2 bytes) or fp8 / fp8_e4m3 / "
        "fp8_e5m2 (1 byte; vLLM --kv-cache-dtype).",
    )


class LlmSlo(_Model):
    """Token-level latency objectives (alerts and canary gates)."""

    time_to_first_token_p95_ms: float = Field(gt=0, description="p95 time to first token, milliseconds.")
    inter_token_latency_p95_ms: float = Field(gt=0, description="p95 inter-token latency, milliseconds.")


class LlmPackage(_Model):
    """A versioned LLM: a Hugging Face model directory in S3 plus its config.json in the package."""

    kind: Literal["llm"] = Field(description="Always 'llm' (Triton packages have no kind).")
    name: str = Field(pattern=MODEL_NAME_RE, description="Package name; equals its directory name.")
    version: int = Field(ge=1, description="Version this manifest describes (the S3 prefix holds one version).")
    description: str = Field(default="", description="What the model does.")
    owner: str = Field(description="Owning team, e.g. assistants.")
    source: str | None = Field(
        default=None, description="Where the weights come from, e.g. the Hugging Face repository and revision."
    )
    weights_uri: str = Field(
        description="s3://bucket/prefix/ of the Hugging Face model directory (config.json, tokenizer files, "
        "*.safetensors)."
    )
    weights: Literal["remote", "local"] = Field(
        default="remote",
        description="remote: only config.json is in the package; local: the safetensors shards and tokenizer files "
        "are in the package too (small test models), and their headers give the exact parameter count.",
    )
    config: str = Field(default="config.json", description="The model's config.json, package-relative.")
    parameters: int | None = Field(
        default=None,
        ge=1,
        description="remote: parameter count (model card / safetensors index); default: computed from config.json "
        "for llama, mistral and qwen2 layouts.",
    )
    weights_bytes: int | None = Field(
        default=None,
        ge=1,
        description="remote: total bytes of the *.safetensors shards in S3 (exact weight memory); default: "
        "parameters x bytes per parameter of serving.precision.",
    )
    serving: LlmServingSpec = Field(description="Served precision and KV-cache dtype.")
    environments: list[Literal["dev", "staging", "prod"]] | None = Field(
        default=None,
        min_length=1,
        description="Environments the package may be deployed in (default: every one).",
    )
    slo: LlmSlo | None = Field(default=None, description="Token-level latency objectives.")

    @model_validator(mode="after")
    def _rules(self) -> LlmPackage:
        if not self.weights_uri.startswith("s3://") or len(self.weights_uri) <= len("s3://"):
            raise ValueError(
                f"weights_uri {self.weights_uri!r} must be an s3:// URI of the model directory, e.g. "
                f"s3://my-models/{self.name}/{self.version}/"
            )
        if self.weights == "local" and (self.parameters is not None or self.weights_bytes is not None):
            raise ValueError(
                "parameters and weights_bytes are read from the safetensors headers of a local package; remove them"
            )
        return self

    def available_versions(self, package_dir: Path) -> list[int]:
        return [self.version]

    def architecture(self, package_dir: Path) -> LlmArchitecture:
        return LlmArchitecture.load(package_dir / self.config)

    def safetensors(self, package_dir: Path) -> SafetensorsSummary | None:
        """The headers of the local shards; None for remote weights."""
        if self.weights != "local":
            return None
        shards = sorted(package_dir.glob("*.safetensors"))
        if not shards:
            raise ValueError(
                f"{package_dir}: weights: local but no *.safetensors file in the package; add the shards or use "
                "weights: remote"
            )
        return summarize_safetensors(shards)

    def parameter_count(self, package_dir: Path) -> int:
        local = self.safetensors(package_dir)
        if local is not None:
            return local.parameters
        if self.parameters is not None:
            return self.parameters
        computed = self.architecture(package_dir).dense_decoder_parameters()
        if computed is None:
            raise ValueError(
                f"{self.name}: parameters cannot be derived from {self.config} for this model type; add "
                "parameters: <count> from the model card"
            )
        return computed

    def weight_bytes(self, package_dir: Path) -> int:
        """Bytes of weights the GPUs hold at serving precision."""
        local = self.safetensors(package_dir)
        if local is not None:
            return local.weight_bytes
        if self.weights_bytes is not None:
            return self.weights_bytes
        return math.ceil(self.parameter_count(package_dir) * BYTES_PER_PARAM[self.serving.precision])

    def missing_files(self, package_dir: Path) -> list[str]:
        """Files a local Hugging Face directory lacks (config, tokenizer); empty for complete packages."""
        missing = [] if (package_dir / self.config).is_file() else [self.config]
        if self.weights == "local":
            if not any((package_dir / f).is_file() for f in TOKENIZER_FILES):
                missing.append(" or ".join(TOKENIZER_FILES))
            if not (package_dir / "tokenizer_config.json").is_file():
                missing.append("tokenizer_config.json")
        return missing


__all__ = [
    "BYTES_PER_PARAM",
    "KvCacheDtype",
    "LlmArchitecture",
    "LlmPackage",
    "LlmServingSpec",
    "Precision",
    "SafetensorsError",
    "SafetensorsSummary",
    "read_safetensors_header",
    "summarize_safetensors",
]

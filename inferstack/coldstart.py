"""Cold-start budget: how long a new replica needs from "scheduled" to "ready", derived from what it downloads.

Pure arithmetic (no Pulumi, no I/O), used by the stack wiring (Triton startup probe, scratch volume,
SageMaker timeouts) and printed by `inferstack preview` as the "cold-start budget" of each deployment.
An LLM deployment uses the same entry point with its weights as `download_bytes`:

    budget = cold_start(download_bytes=weights, image_bytes=image, engine_start_seconds=90)
    budget.startup_seconds, budget.text()   # probe budget and the arithmetic, e.g. for the preview

Phases of a cold start, and the throughput assumed for each (all documented in `Throughput`):

1. image pull (only on a node that does not have the image yet; before the container starts, so it is
   not part of the startup probe, but it is part of the Deployment's progress deadline);
2. model download: Triton copies an S3 model repository to local disk before loading it
   (triton-inference-server/core `src/filesystem/implementations/s3.h`, `S3FileSystem::LocalizePath`,
   read 2026-12-02 at commit 73aad7c: one `GetObject` per file, files one after the other, into a
   temporary directory under `TRITON_AWS_MOUNT_DIRECTORY`, default `/tmp` (`common.h`
   `kDefaultMountDirectory`)); the whole model directory is localized (`backend_model.cc`
   `TritonModel::Create`), i.e. every version present in the repository, not only the served one;
3. load: reading the local copy back from disk into host/GPU memory;
4. engine start: process start, CUDA context, backend initialisation, warm-up (a fixed allowance).

The budget is the expected time of phases 2-4 times `safety_factor`, never below `floor_seconds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MB = 1000**2
MIB = 1024**2
GIB = 1024**3

SAGEMAKER_TIMEOUT_RANGE = (60, 3600)
"""Allowed `ModelDataDownloadTimeoutInSeconds` and `ContainerStartupHealthCheckTimeoutInSeconds`: botocore
1.44.5 service model `sagemaker` 2017-07-24, shapes `ProductionVariantModelDataDownloadTimeoutInSeconds` and
`ProductionVariantContainerStartupHealthCheckTimeoutInSeconds` (integer, min 60, max 3600), read 2026-12-02."""


class ColdStartError(ValueError):
    """A cold start that cannot fit a platform limit; the message carries the arithmetic and the fix."""


@dataclass(frozen=True)
class Throughput:
    """Throughput assumptions of a cold start (each with where it comes from)."""

    s3_download_mb_s: float = 85.0
    """One S3 GET stream, MB/s (decimal). AWS whitepaper "Best Practices Design Patterns: Optimizing Amazon
    S3 Performance", Horizontal Scaling and Request Parallelization (read 2026-12-02): "Make one concurrent
    request for each 85-90 MB/s of desired network throughput". Triton's S3 localizer issues one GET at a
    time (see the module docstring), so one stream's lower figure applies."""
    disk_mib_s: float = 250.0
    """Node root volume throughput, MiB/s: the GPU node launch template provisions gp3 at 250 MiB/s
    (components/eks_cluster.encrypted_root_volume). Bounds writing the download and reading it back."""
    image_pull_mb_s: float = 77.0
    """Container image pull incl. extraction, MB/s: a 10.7 GB image pulled in 2 min 18 s on EKS
    (aws-samples/karpenter-blueprints issue #32, cited in shared/reference/serving_anchors.md 2026-11-21)."""

    def describe(self) -> str:
        return (
            f"S3 {self.s3_download_mb_s:g} MB/s (one GET stream), disk {self.disk_mib_s:g} MiB/s (gp3), "
            f"image pull {self.image_pull_mb_s:g} MB/s"
        )


DEFAULT_THROUGHPUT = Throughput()

TRITON_IMAGE_BYTES = 15_500 * MB
"""nvcr.io/nvidia/tritonserver:<yy.mm>-py3 is ~15.5 GB (24.06-py3, NVIDIA's answer in
triton-inference-server/server issue #7474, 2024-07-31: "15.5 GB is expected"). Used for the image-pull phase."""

TRITON_ENGINE_START_SECONDS = 60.0
"""Triton process start, CUDA context and backend initialisation for a small model: an allowance, not a
measurement; the safety factor covers the rest. LLM engines pass their own figure."""


@dataclass(frozen=True)
class ColdStart:
    """The phases of one cold start and the budget derived from them (seconds)."""

    download_bytes: int
    image_bytes: int
    engine_start_seconds: float
    throughput: Throughput = field(default=DEFAULT_THROUGHPUT)
    safety_factor: float = 2.0
    floor_seconds: int = 300

    @property
    def image_pull_seconds(self) -> float:
        return self.image_bytes / (self.throughput.image_pull_mb_s * MB)

    @property
    def download_seconds(self) -> float:
        s3 = self.download_bytes / (self.throughput.s3_download_mb_s * MB)
        disk = self.download_bytes / (self.throughput.disk_mib_s * MIB)
        return max(s3, disk)

    @property
    def load_seconds(self) -> float:
        return self.download_bytes / (self.throughput.disk_mib_s * MIB)

    @property
    def expected_seconds(self) -> float:
        """Expected time from container start to ready (download + load + engine start)."""
        return self.download_seconds + self.load_seconds + self.engine_start_seconds

    @property
    def startup_seconds(self) -> int:
        """Budget from container start to ready: expected x safety factor, at least floor_seconds."""
        return max(self.floor_seconds, math.ceil(self.expected_seconds * self.safety_factor))

    @property
    def total_seconds(self) -> int:
        """Budget on a node without the image: image pull x safety factor + startup budget."""
        return math.ceil(self.image_pull_seconds * self.safety_factor) + self.startup_seconds

    def text(self) -> str:
        """The arithmetic, one line: what the preview prints."""
        size = f"{self.download_bytes / GIB:.2f} GiB" if self.download_bytes >= GIB else f"{self.download_bytes:,} B"
        expected = (
            f"download {self.download_seconds:.1f}s + load {self.load_seconds:.1f}s + engine start "
            f"{self.engine_start_seconds:g}s = {self.expected_seconds:.1f}s"
        )
        budget = f"x {self.safety_factor:g} safety = {math.ceil(self.expected_seconds * self.safety_factor)}s"
        if self.startup_seconds > math.ceil(self.expected_seconds * self.safety_factor):
            budget += f", floor {self.floor_seconds}s"
        pull = (
            f"; new node: + image pull {self.image_bytes / 1e9:.1f} GB / {self.throughput.image_pull_mb_s:g} MB/s "
            f"x {self.safety_factor:g} -> {self.total_seconds}s"
            if self.image_bytes
            else ""
        )
        return f"{size} to fetch: {expected} {budget} -> {self.startup_seconds}s startup{pull}"

    def to_json(self) -> dict[str, Any]:
        return {
            "download_bytes": self.download_bytes,
            "image_bytes": self.image_bytes,
            "image_pull_seconds": round(self.image_pull_seconds, 1),
            "download_seconds": round(self.download_seconds, 1),
            "load_seconds": round(self.load_seconds, 1),
            "engine_start_seconds": self.engine_start_seconds,
            "expected_seconds": round(self.expected_seconds, 1),
            "startup_seconds": self.startup_seconds,
            "total_seconds": self.total_seconds,
            "assumptions": self.throughput.describe(),
            "formula": self.text(),
        }


def cold_start(
    *,
    download_bytes: int,
    image_bytes: int = 0,
    engine_start_seconds: float = TRITON_ENGINE_START_SECONDS,
    throughput: Throughput = DEFAULT_THROUGHPUT,
    safety_factor: float = 2.0,
    floor_seconds: int = 300,
) -> ColdStart:
    """The cold start of a replica that downloads `download_bytes` (model repository, archive or weights)."""
    if download_bytes < 0 or image_bytes < 0 or engine_start_seconds < 0:
        raise ColdStartError(
            f"cold start needs non-negative sizes and times (download_bytes={download_bytes}, "
            f"image_bytes={image_bytes}, engine_start_seconds={engine_start_seconds})"
        )
    if safety_factor < 1:
        raise ColdStartError(f"safety_factor={safety_factor} must be >= 1; use 2 (the default)")
    return ColdStart(
        download_bytes=download_bytes,
        image_bytes=image_bytes,
        engine_start_seconds=engine_start_seconds,
        throughput=throughput,
        safety_factor=safety_factor,
        floor_seconds=floor_seconds,
    )


def startup_probe(budget: ColdStart, period_seconds: int = 10) -> tuple[int, int]:
    """(period, failure_threshold) whose product covers `budget.startup_seconds`."""
    return period_seconds, math.ceil(budget.startup_seconds / period_seconds)


SAGEMAKER_TIMEOUT_FLOOR_SECONDS = 600
"""Never below the fixed 600 s the endpoints used before (the AWS generative-ai-cdk-constructs default for both
timeouts, shared/reference/serving_anchors.md): small models keep today's margin, large ones get more."""


def sagemaker_timeouts(
    budget: ColdStart, floor_seconds: int = SAGEMAKER_TIMEOUT_FLOOR_SECONDS, *, eks_target: str = "triton-eks"
) -> tuple[int, int]:
    """(ModelDataDownloadTimeoutInSeconds, ContainerStartupHealthCheckTimeoutInSeconds) for a SageMaker variant.

    SageMaker downloads and extracts the archive before the container starts (download phase), then the
    container loads it from local disk and must pass /ping (load + engine start). Each phase gets the
    safety factor and at least SageMaker's minimum; a phase above the 3600 s maximum cannot be served.
    """
    low, high = SAGEMAKER_TIMEOUT_RANGE
    download = max(low, math.ceil(budget.download_seconds * budget.safety_factor), floor_seconds)
    startup = max(
        low,
        math.ceil((budget.load_seconds + budget.engine_start_seconds) * budget.safety_factor),
        floor_seconds,
    )
    for what, value in (
        ("ModelDataDownloadTimeoutInSeconds", download),
        ("ContainerStartupHealthCheckTimeoutInSeconds", startup),
    ):
        if value > high:
            raise ColdStartError(
                f"{what} would need {value}s ({budget.text()}) but SageMaker allows at most {high}s; "
                f"make the artifact smaller (quantize, shard), or serve it on {eks_target}"
            )
    return min(download, high), min(startup, high)


def sagemaker_text(
    budget: ColdStart, floor_seconds: int = SAGEMAKER_TIMEOUT_FLOOR_SECONDS, *, what: str = "archive"
) -> str:
    """The arithmetic behind `sagemaker_timeouts`, one line (`what`: the archive, or an LLM's weights)."""
    download, startup = sagemaker_timeouts(budget, floor_seconds)
    size = f"{budget.download_bytes / GIB:.2f} GiB" if budget.download_bytes >= GIB else f"{budget.download_bytes:,} B"
    return (
        f"{size} {what}: download {budget.download_seconds:.1f}s x {budget.safety_factor:g} -> "
        f"ModelDataDownloadTimeoutInSeconds {download}; load {budget.load_seconds:.1f}s + engine start "
        f"{budget.engine_start_seconds:g}s x {budget.safety_factor:g} -> ContainerStartupHealthCheckTimeoutInSeconds "
        f"{startup} (each at least {floor_seconds}s, at most {SAGEMAKER_TIMEOUT_RANGE[1]}s)"
    )


def scratch_gib(download_bytes: int, headroom: float = 1.25, fixed_gib: int = 1, minimum_gib: int = 2) -> int:
    """Size of the `/tmp` volume Triton localizes the repository into: bytes x headroom + fixed room
    (AWS SDK files under HOME=/tmp, logs), rounded up to a whole GiB, at least `minimum_gib`."""
    return max(minimum_gib, math.ceil(download_bytes * headroom / GIB) + fixed_gib)


# -- LLM engines (issue 16) --------------------------------------------------------------------------------

VLLM_IMAGE_BYTES = 28_600 * MB
"""vllm/vllm-openai is ~28.6 GB ("Size of official out-of-the-box vllm-openai:latest docker image: 28.6 GB",
vllm-project/vllm PR #22377, 2025-12-10, read 2026-12-02). Used for the image-pull phase of vllm-eks."""

VLLM_ENGINE_START_SECONDS = 120.0
"""vLLM after the weights are in GPU memory: memory profiling, KV-cache allocation, torch.compile and CUDA
graph capture (V1 defaults). An allowance, not a measurement; the safety factor covers the rest, and a GPU
run (docs/llm.md) replaces it with the engine's own startup log."""

STREAMER_CONCURRENCY = 16
"""S3 streams of the Run:ai model streamer: vLLM `--model-loader-extra-config '{"concurrency": 16}'` ("for
reading from S3, it will be the number of client instances the host is opening to the S3 server"; vLLM docs
"Loading models with Run:ai Model Streamer", read 2026-12-02). The serving component passes this value, so the
budget and the server agree."""

NODE_NETWORK_GBPS = 10.0
"""Network bandwidth assumed for the GPU node (Gbit/s): "up to 10 Gigabit" is what AWS lists for the smallest
GPU types in the catalog (g4dn/g5/g6 .xlarge); larger types have more, so the figure is conservative there.
Pass the node's own figure where it matters."""

LlmLoadFormat = str
"""'runai_streamer': S3 -> CPU buffer -> GPU, concurrently (no local copy); 'download': the engine first copies
the S3 prefix to local disk (SageMaker LMI with an s3:// model id), then loads it from disk; 'local': the
weights are already on the node (NVMe cache) and are read from disk."""

LLM_LOAD_FORMATS = ("runai_streamer", "download", "local")


@dataclass(frozen=True)
class LlmColdStart(ColdStart):
    """A cold start of an LLM engine: the phases of `ColdStart` with the weights streamed or downloaded over
    `streams` parallel S3 connections (each at `Throughput.s3_download_mb_s`, together capped by the node's
    network), so `startup_probe` and `sagemaker_timeouts` apply unchanged."""

    load_format: str = "runai_streamer"
    streams: int = STREAMER_CONCURRENCY
    network_gbps: float = NODE_NETWORK_GBPS

    @property
    def s3_mb_s(self) -> float:
        """streams x one GET stream's MB/s, at most the network (Gbit/s x 125 = MB/s)."""
        return min(self.streams * self.throughput.s3_download_mb_s, self.network_gbps * 125)

    @property
    def download_seconds(self) -> float:
        if self.load_format == "runai_streamer":
            return self.download_bytes / (self.s3_mb_s * MB)  # reading overlaps the copy to the GPU
        if self.load_format == "download":
            return max(
                self.download_bytes / (self.s3_mb_s * MB), self.download_bytes / (self.throughput.disk_mib_s * MIB)
            )
        return 0.0

    @property
    def load_seconds(self) -> float:
        if self.load_format == "runai_streamer":
            return 0.0
        return self.download_bytes / (self.throughput.disk_mib_s * MIB)

    def text(self) -> str:
        return (
            f"{super().text()} [{self.load_format}: {self.streams} S3 streams x {self.throughput.s3_download_mb_s:g} "
            f"MB/s, at most {self.network_gbps:g} Gbps -> {self.s3_mb_s:g} MB/s]"
        )

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out |= {"load_format": self.load_format, "streams": self.streams, "s3_mb_s": round(self.s3_mb_s, 1)}
        return out


def llm_cold_start(
    *,
    weights_bytes: int,
    load_format: str = "runai_streamer",
    image_bytes: int = VLLM_IMAGE_BYTES,
    engine_start_seconds: float = VLLM_ENGINE_START_SECONDS,
    streams: int = STREAMER_CONCURRENCY,
    network_gbps: float = NODE_NETWORK_GBPS,
    throughput: Throughput = DEFAULT_THROUGHPUT,
    safety_factor: float = 2.0,
    floor_seconds: int = 300,
) -> LlmColdStart:
    """The cold start of an LLM replica whose weights are `weights_bytes` (inferstack.llm.planner: the package's
    `weight_bytes`). Pure arithmetic; `text()` is the line the preview prints."""
    if load_format not in LLM_LOAD_FORMATS:
        raise ColdStartError(f"load_format {load_format!r} is not one of {', '.join(LLM_LOAD_FORMATS)}")
    if streams < 1 or network_gbps <= 0:
        raise ColdStartError(f"streams={streams} and network_gbps={network_gbps} must be positive")
    base = cold_start(
        download_bytes=weights_bytes,
        image_bytes=image_bytes,
        engine_start_seconds=engine_start_seconds,
        throughput=throughput,
        safety_factor=safety_factor,
        floor_seconds=floor_seconds,
    )
    return LlmColdStart(
        download_bytes=base.download_bytes,
        image_bytes=base.image_bytes,
        engine_start_seconds=base.engine_start_seconds,
        throughput=base.throughput,
        safety_factor=base.safety_factor,
        floor_seconds=base.floor_seconds,
        load_format=load_format,
        streams=streams,
        network_gbps=network_gbps,
    )

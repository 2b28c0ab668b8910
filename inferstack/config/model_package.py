"""Model package manifest: `model_packages/<name>/model.yaml`.

A package is data: a Triton model directory (`config.pbtxt` + `<version>/model.*`) inside the package,
or an external artifact URI for models too large for git. The versions a deployment may pin are the
numbered version directories of the Triton model directory (or `version` for external artifacts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inferstack.config.environment import MODEL_NAME_RE


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatencySlo(_Model):
    """Latency objective used by alarms and autoscaling."""

    p99_ms: float = Field(gt=0, description="p99 model latency objective in milliseconds.")


class TensorSpec(_Model):
    """One model input or output."""

    name: str = Field(description="Tensor name as in the model graph and config.pbtxt.")
    data_type: Literal["TYPE_FP32", "TYPE_FP16", "TYPE_INT64", "TYPE_INT32", "TYPE_BOOL", "TYPE_STRING"] = Field(
        description="Triton data type."
    )
    dims: list[int] = Field(description="Dims without the batch dimension; -1 = variable.")


class DynamicBatching(_Model):
    """Triton dynamic batching."""

    preferred_batch_sizes: list[int] = Field(default_factory=list, description="Preferred batch sizes.")
    max_queue_delay_us: int = Field(default=100, ge=0, description="Max queue delay in microseconds.")


class InstanceGroup(_Model):
    """Triton instance group."""

    kind: Literal["KIND_GPU", "KIND_CPU"] = Field(default="KIND_GPU", description="Where instances run.")
    count: int = Field(default=1, ge=1, le=16, description="Model instances per device.")


class ModelPackage(_Model):
    """A versioned, deployable model."""

    name: str = Field(pattern=MODEL_NAME_RE, description="Package name; equals its directory name.")
    version: int = Field(ge=1, description="Latest version this manifest describes.")
    description: str = Field(default="", description="What the model does.")
    owner: str = Field(description="Owning team, e.g. risk-ml.")
    backend: Literal["onnxruntime", "tensorrt_plan", "pytorch_libtorch", "python"] = Field(
        description="Triton backend / platform."
    )
    repository: str | None = Field(
        default=None, description="Triton model directory relative to the package (config.pbtxt + <version>/)."
    )
    artifact_uri: str | None = Field(default=None, description="External model.tar.gz (s3://...) for large models.")
    artifact_size_gib: float | None = Field(
        default=None,
        gt=0,
        description="artifact_uri packages: unpacked size in GiB (sizes scratch space, probes and timeouts); "
        "repository packages are measured on disk.",
    )
    inputs: list[TensorSpec] = Field(default_factory=list, description="Model inputs.")
    outputs: list[TensorSpec] = Field(default_factory=list, description="Model outputs.")
    max_batch_size: int = Field(default=0, ge=0, description="Triton max_batch_size (0 = no batch dimension).")
    dynamic_batching: DynamicBatching | None = Field(default=None, description="Dynamic batching settings.")
    instance_groups: list[InstanceGroup] = Field(default_factory=list, description="Triton instance groups.")
    precision: Literal["fp32", "fp16", "int8"] = Field(default="fp32", description="Numeric precision.")
    gpu_memory_gib: float = Field(gt=0, description="GPU memory one model instance needs, in GiB.")
    latency_slo: LatencySlo = Field(description="Latency objective.")
    sample_request: str | None = Field(default=None, description="JSON file with a sample request (package-relative).")
    drift_baseline: str | None = Field(default=None, description="Drift baseline statistics (package-relative).")

    @model_validator(mode="after")
    def _artifact(self) -> ModelPackage:
        if (self.repository is None) == (self.artifact_uri is None):
            raise ValueError(
                "set exactly one of repository (a Triton model directory in the package) or artifact_uri "
                "(s3://bucket/key/model.tar.gz for large models)"
            )
        if self.artifact_uri is not None and not self.artifact_uri.startswith("s3://"):
            raise ValueError(f"artifact_uri {self.artifact_uri!r} must be an s3:// URI")
        if self.artifact_uri is not None and self.artifact_size_gib is None:
            raise ValueError(
                "artifact_uri needs artifact_size_gib (the unpacked size in GiB): it sizes the model's scratch "
                "volume, startup probe and SageMaker timeouts; add e.g. artifact_size_gib: 12"
            )
        return self

    def available_versions(self, package_dir: Path) -> list[int]:
        """Versions a deployment may pin: numbered directories of the Triton model directory."""
        if self.repository is None:
            return [self.version]
        model_dir = package_dir / self.repository
        if not model_dir.is_dir():
            return []
        return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())

"""SageMaker container image URIs, resolved offline from the SageMaker SDK's bundled tables (no AWS calls).

`sagemaker.core` takes seconds to import (about 1.9 s on an idle machine), which dominated a cold
`inferstack preview`. For the images this project uses, the URI is read straight from the SDK's own
JSON tables (`sagemaker/core/image_uri_config/<framework>.json`, located without importing the package)
with the rules of `sagemaker.core.image_uris.retrieve` (sagemaker-core 2.27.0, read 2026-12-02):
registry account per region from `versions[<v>].registries`, host `<account>.dkr.ecr.<region>.amazonaws.com`
in the commercial partition, Triton tag `<tag_prefix>` on GPU families (`g*`, `p*`) and `<tag_prefix>-cpu`
otherwise, the LMI (DJL-Serving) image tag `<tag_prefix>` (`djl-lmi.json`, GPU only), the model-monitor analyzer
untagged. Anything outside that (other partitions, Inferentia or
Trainium, a version or region the table lacks) falls back to `image_uris.retrieve` itself;
tests/test_serving_images.py checks the fast path against it for every region in the table.
"""

import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from inferstack.catalog import AWS_REGIONS


@cache
def _table(framework: str) -> dict[str, Any] | None:
    spec = importlib.util.find_spec("sagemaker")  # a top-level lookup: does not import the package
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        path = Path(base) / "core" / "image_uri_config" / f"{framework}.json"
        if path.is_file():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return data
    return None


def _fast_registry(framework: str, version: str, region: str) -> tuple[str, dict[str, Any]] | None:
    if region not in AWS_REGIONS or region.startswith("us-gov-"):  # the commercial partition's host names only
        return None
    table = _table(framework)
    entry = (table or {}).get("versions", {}).get(version)
    if not isinstance(entry, dict) or region not in entry.get("registries", {}):
        return None
    return f"{entry['registries'][region]}.dkr.ecr.{region}.amazonaws.com/{entry['repository']}", entry


def sagemaker_triton_problem(region: str, version: str) -> tuple[str, str] | None:
    """("version" | "region", why) when the SDK's table has no SageMaker Triton image for `version` in `region`
    (what `image_uris.retrieve` would refuse), else None; None too when the SDK is not installed (nothing to
    check against). `inferstack validate` and sagemaker_triton_image both ask this (issue 13, class 9)."""
    table = _table("sagemaker-tritonserver")
    if table is None:
        return None
    versions = table.get("versions", {})
    if version not in versions:
        known = ", ".join(sorted(versions))
        return "version", f"no SageMaker Triton image for version {version!r} in the SageMaker SDK; use one of {known}"
    registries = versions[version].get("registries", {})
    if region not in registries:
        return "region", (
            f"SageMaker has no Triton {version} image in {region!r} (the SageMaker SDK lists "
            f"{len(registries)} regions for it); pick a region SageMaker serves it in, e.g. us-east-1, or use "
            "target triton-eks there"
        )
    return None


@cache
def sagemaker_triton_image(region: str, version: str, instance_type: str) -> str:
    """The SageMaker Triton image for the region/version; the `-cpu` tag on CPU instance types."""
    problem = sagemaker_triton_problem(region, version)
    if problem is not None:
        raise ValueError(problem[1])
    family = instance_type.removeprefix("ml.").split(".", 1)[0]
    fast = _fast_registry("sagemaker-tritonserver", version, region)
    if fast is not None and family and not family.startswith(("inf", "trn")) and fast[1].get("tag_prefix"):
        repo, entry = fast
        gpu = family[0] in ("g", "p")
        return f"{repo}:{entry['tag_prefix']}{'' if gpu else '-cpu'}"
    from sagemaker.core import image_uris  # the SDK's own resolver for everything else

    return str(
        image_uris.retrieve(
            framework="sagemaker-tritonserver",
            region=region,
            version=version,
            instance_type=instance_type,
            image_scope="inference",
        )
    )


LMI_VERSION = "0.38.0"
"""SageMaker Large Model Inference container (DJL-Serving with the vLLM engine) pinned for `sagemaker-llm`:
the newest entry of sagemaker-core 2.27.0's `image_uri_config/djl-lmi.json` (read 2026-12-02; alias `latest` ->
0.38.0, tag `0.38.0-lmi29.0.0-cu130`, repository `djl-inference`, the same registry account as Triton in every
region). deepjavalibrary/djl-serving `serving/docs/lmi/release_notes.md` (snapshot 2026-06-24) lists the earlier
0.36.0 images (LMI V18-V20, vLLM 0.14-0.15); the SDK table is the newer source."""

LMI_CUDA_AMI: tuple[tuple[tuple[int, int], str], ...] = (
    ((12, 2), "al2-ami-sagemaker-inference-gpu-2"),
    ((12, 4), "al2-ami-sagemaker-inference-gpu-3-1"),
    ((13, 0), "al2023-ami-sagemaker-inference-gpu-4-1"),
)
"""CUDA version of each SageMaker inference AMI (`ProductionVariant.InferenceAmiVersion`, botocore 1.44.5 service
model documentation, read 2026-12-02: gpu-2 driver 535 / CUDA 12.2, gpu-3-1 driver 550 / CUDA 12.4, gpu-4-1
driver 580 / CUDA 13.0). The default host AMI of g5/g6/g6e is older (SageMaker Developer Guide,
inference-gpu-drivers.html: driver 470 / CUDA 11.4 on g5, 535 / 12.2 on g6), too old for a `cu130` image."""


@cache
def sagemaker_lmi_image(region: str, version: str = LMI_VERSION) -> str:
    """The SageMaker LMI (DJL-Serving + vLLM) GPU image of the region/version."""
    fast = _fast_registry("djl-lmi", version, region)
    if fast is not None and fast[1].get("tag_prefix"):
        repo, entry = fast
        return f"{repo}:{entry['tag_prefix']}"
    from sagemaker.core import image_uris

    return str(image_uris.retrieve(framework="djl-lmi", region=region, version=version, image_scope="inference"))


def inference_ami_for(image_uri: str) -> str | None:
    """The oldest SageMaker inference AMI whose CUDA runs the image's `cuXYZ` tag (e.g. `cu130` -> CUDA 13.0);
    None when the tag names no CUDA version."""
    found = re.search(r"-cu(\d{2})(\d)\b", image_uri.rsplit(":", 1)[-1])
    if found is None:
        return None
    need = (int(found.group(1)), int(found.group(2)))
    for cuda, ami in LMI_CUDA_AMI:
        if cuda >= need:
            return ami
    raise ValueError(
        f"image {image_uri} needs CUDA {need[0]}.{need[1]} but the newest SageMaker inference AMI offers "
        f"{LMI_CUDA_AMI[-1][0][0]}.{LMI_CUDA_AMI[-1][0][1]}; pin an older LMI version"
    )


def model_monitor_problem(region: str) -> str | None:
    """Why the SageMaker SDK has no Model Monitor analyzer image in `region` (data capture's drift jobs need
    it), or None (also when the SDK is not installed)."""
    table = _table("model-monitor")
    if table is None:
        return None
    registries = table.get("versions", {}).get("", {}).get("registries", {})
    if region not in registries:
        return (
            f"SageMaker has no Model Monitor image in {region!r} (the SageMaker SDK lists {len(registries)} regions), "
            "which data capture's drift monitoring needs; set data_capture.enabled: false there or pick another "
            "region"
        )
    return None


@cache
def model_monitor_image(region: str) -> str:
    """The SageMaker Model Monitor analyzer image of the region (data-quality jobs)."""
    problem = model_monitor_problem(region)
    if problem is not None:
        raise ValueError(problem)
    fast = _fast_registry("model-monitor", "", region)
    if fast is not None:
        return fast[0]
    from sagemaker.core import image_uris

    return str(image_uris.retrieve(framework="model-monitor", region=region))


def ecr_repository_arn(image_uri: str) -> str:
    """`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` -> the repository ARN (for ECR pull permissions)."""
    host, _, path = image_uri.partition("/")
    account, _, rest = host.partition(".dkr.ecr.")
    region = rest.split(".", 1)[0]
    repo = path.split("@", 1)[0].rsplit(":", 1)[0]
    return f"arn:aws:ecr:{region}:{account}:repository/{repo}"

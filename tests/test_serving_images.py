"""The fast image lookup (no `sagemaker.core` import) gives exactly what the SDK's resolver gives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inferstack.components import _serving_images as images

TRITON = images._table("sagemaker-tritonserver")
MONITOR = images._table("model-monitor")
VERSIONS = ["24.09", max(TRITON["versions"])] if TRITON else []
REGIONS = sorted(TRITON["versions"]["24.09"]["registries"]) if TRITON else []


@pytest.mark.parametrize("version", VERSIONS)
def test_triton_image_matches_the_sdk_for_every_region_and_processor(version: str) -> None:
    from sagemaker.core import image_uris

    for region in REGIONS:
        for instance_type in ("ml.g6.xlarge", "ml.c5.xlarge"):
            try:
                expected = image_uris.retrieve(
                    framework="sagemaker-tritonserver",
                    region=region,
                    version=version,
                    instance_type=instance_type,
                    image_scope="inference",
                )
            except ValueError:
                continue  # the SDK does not offer it: the fast path falls back to the SDK's own error
            images.sagemaker_triton_image.cache_clear()
            assert images.sagemaker_triton_image(region, version, instance_type) == expected, (region, instance_type)


def test_model_monitor_image_matches_the_sdk_for_every_region() -> None:
    from sagemaker.core import image_uris

    assert MONITOR is not None
    for region in sorted(MONITOR["versions"][""]["registries"]):
        images.model_monitor_image.cache_clear()
        assert images.model_monitor_image(region) == image_uris.retrieve(framework="model-monitor", region=region)


def test_building_sagemaker_endpoints_does_not_import_the_sagemaker_sdk() -> None:
    code = (
        "import sys, json\n"
        "from inferstack.components._serving_images import sagemaker_triton_image, model_monitor_image\n"
        "sagemaker_triton_image('us-east-1', '24.09', 'ml.g6.xlarge'); model_monitor_image('us-west-2')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('sagemaker'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

"""Issue 13, class 9: every rule `preview` enforces on the environment file is checked by `validate`, with the
same file:line:column message (one implementation: the components' own rule functions). Before, these passed
`validate` and failed `preview` with a message naming only the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_config_errors import edit, pos, run
from tests.test_input_yaml_strict import workspace  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("workspace")

CASES = {
    # A deleted rate falls back to 100 requests/s, above dev's burst of 40: InferenceApi refused it at preview.
    "deleted throttle rate": (
        "dev",
        "throttle: {rate_per_second: 20, burst: 40, quota_per_day: 100000}",
        "throttle: {burst: 40, quota_per_day: 100000}",
        "{burst: 40",
        "api.throttle",
        "burst=40 is below rate_per_second=100; raise burst to at least the rate",
    ),
    "burst below rate": (
        "prod",
        "throttle: {rate_per_second: 500, burst: 1000}",
        "throttle: {rate_per_second: 500, burst: 100}",
        "{rate_per_second: 500",
        "api.throttle",
        "burst=100 is below rate_per_second=500.0; raise burst to at least the rate",
    ),
    "unknown SageMaker Triton version": (
        "dev",
        "dns:\n",
        "serving: {sagemaker_triton_version: '99.01'}\ndns:\n",
        "'99.01'",
        "serving.sagemaker_triton_version",
        "no SageMaker Triton image for version '99.01' in the SageMaker SDK; use one of",
    ),
    "region without SageMaker Triton": (
        "prod",
        "secondary: us-west-2",
        "secondary: ap-southeast-5",
        "ap-southeast-5",
        "regions.secondary",
        "SageMaker has no Triton 24.09 image in 'ap-southeast-5'",
    ),
    "GovCloud region": (
        "dev",
        "primary: us-east-1",
        "primary: us-gov-west-1",
        "us-gov-west-1",
        "regions.primary",
        "SageMaker has no Triton 24.09 image in 'us-gov-west-1'",
    ),
    "data capture where SageMaker has no Model Monitor": (
        "staging",
        "primary: us-east-1",
        "primary: ca-west-1",
        "true, sampling_percent: 20",
        "deployments[1].data_capture.enabled",
        "SageMaker has no Model Monitor image in 'ca-west-1'",
    ),
    "upper-case zone": (
        "dev",
        "zone: inference.example.com",
        "zone: Inference.Example.com",
        "Inference.Example.com",
        "dns.zone",
        "'Inference.Example.com' has upper-case letters; write the zone in lower case",
    ),
    "untagged image": (
        "dev",
        "dns:\n",
        "serving: {triton_image: 'registry.example.com:5000/tritonserver'}\ndns:\n",
        "'registry.example.com:5000",
        "serving.triton_image",
        "is not pinned; use an explicit tag",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_refuses_what_preview_refuses_with_the_same_message(workspace: Path, case: str) -> None:  # noqa: F811
    env, old, new, at, field, message = CASES[case]
    path = workspace / "environments" / f"{env}.yaml"
    edit(path, lambda s: s.replace(old, new, 1))
    head = f"error: environments/{env}.yaml:{pos(path, at)} ==> at {field}\n  ==> "
    code, out, validate_err = run("validate")
    assert code == 2, (out, validate_err)
    assert validate_err.startswith(head), validate_err
    assert message in validate_err
    code, out, preview_err = run("preview", "--env", env)
    assert code == 2, (out[-300:], preview_err)
    assert "Traceback" not in out + preview_err
    assert preview_err == validate_err


def test_reference_environments_still_preview(workspace: Path) -> None:  # noqa: F811
    for env in ("dev", "staging", "prod"):
        code, _, err = run("preview", "--env", env)
        assert code in (0, 1), err
        assert err == ""

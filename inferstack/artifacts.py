"""Where model artifacts live in a region's model bucket (shared by packaging and serving).

Layout of the model artifact bucket:

- `models/<model>/<version>/model.tar.gz`: the SageMaker model archive of one version.
- `triton/<model>/`: the Triton model repository Triton on EKS loads (`<model>/config.pbtxt`,
  `<model>/configs/v<version>.pbtxt` pinning one version, `<model>/<version>/model.*`).
- `baselines/<model>/<version>/{statistics,constraints}.json`: the drift baseline of one version.
"""

from __future__ import annotations


def artifact_key(model: str, version: int) -> str:
    """S3 key of the SageMaker model archive of `model` at `version`."""
    return f"models/{model}/{version}/model.tar.gz"


def artifact_prefix(model: str) -> str:
    """S3 prefix holding every version's archive of `model` (what its SageMaker role may read)."""
    return f"models/{model}/"


def triton_repository_prefix(model: str) -> str:
    """S3 prefix of the Triton model repository of `model` (ends with a slash)."""
    return f"triton/{model}/"


def triton_config_name(version: int) -> str:
    """Name of the custom model configuration (`configs/<name>.pbtxt`) that pins `version`.

    Triton's `--model-config-name=<name>` loads `<model>/configs/<name>.pbtxt` instead of `config.pbtxt`
    (and falls back to `config.pbtxt` when that file is absent), so two Deployments can serve two
    versions from one repository: the packaging workflow writes one such file per version with
    `version_policy: { specific: { versions: [<version>] } }`.
    """
    return f"v{version}"


def baseline_prefix(model: str, version: int) -> str:
    """S3 prefix of the drift baseline (`statistics.json`, `constraints.json`) of `model` at `version`."""
    return f"baselines/{model}/{version}/"

"""Where model artifacts live in a region's model bucket (shared by packaging and serving).

Layout of the model artifact bucket:

- `models/<model>/<version>/model.tar.gz`: the SageMaker model archive of one version; beside it
  `contents.json` (sha256 of every object served for the version, checked by promote) and, while a
  publish registers the version, `registration.lock` (inferstack/packages/publish.py).
- `triton/<model>/`: the Triton model repository Triton on EKS loads (`<model>/config.pbtxt`,
  `<model>/configs/v<version>.pbtxt` pinning one version, `<model>/<version>/model.*`).
- `baselines/<model>/<version>/{statistics,constraints}.json`: the drift baseline of one version.
"""

from __future__ import annotations

from pathlib import Path


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


def local_files_bytes(directory: Path) -> int:
    """Bytes of the plain, non-hidden files under `directory` (what publishing uploads from it); 0 if absent."""
    if not directory.is_dir():
        return 0
    total = 0
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if path.is_file() and not path.is_symlink() and not any(p.startswith(".") for p in rel.parts):
            total += path.stat().st_size
    return total


def triton_repository_bytes(model_dir: Path) -> int:
    """Bytes Triton on EKS copies to local disk before loading: the whole model directory.

    Triton localizes the model directory, every version in it, not only the one it serves
    (triton-inference-server/core `src/backend_model.cc` `TritonModel::Create` calls `LocalizePath(model_path)`;
    `s3.h` `S3FileSystem::LocalizePath` downloads the directory recursively; read 2026-12-02). The versions
    in the package are a lower bound of what the S3 repository holds: versions removed from the package
    stay in S3 until deleted there. Publishing adds one `configs/v<version>.pbtxt` per version (< 1 KiB each).
    """
    return local_files_bytes(model_dir)


def sagemaker_archive_bytes(model_dir: Path, version: int) -> int:
    """Bytes SageMaker extracts to `/opt/ml/model` for one version: `config.pbtxt` + `<version>/`."""
    config = model_dir / "config.pbtxt"
    return (config.stat().st_size if config.is_file() else 0) + local_files_bytes(model_dir / str(version))

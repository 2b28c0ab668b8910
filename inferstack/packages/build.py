"""`inferstack package build PATH`: a byte-for-byte reproducible `dist/<name>-<version>.tar.gz`.

The archive holds one model version in the layout the SageMaker Triton container expects under
`/opt/ml/model`::

    <name>/config.pbtxt
    <name>/<version>/model.onnx        (or model.plan / model.pt / model.py, plus any side files)

Reproducible: entries sorted, directories included, mtime 0, uid/gid 0, empty owner names,
modes normalised (0644 files, 0755 directories), USTAR headers, gzip header mtime 0 and no file
name. Hidden files (`.gitkeep`, `.DS_Store`) are left out. The sha256 of the archive is written next
to it as `<archive>.sha256` in `sha256sum` format.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from inferstack.errors import InputError
from inferstack.json_input import decode_utf8
from inferstack.packages.errors import PackageError
from inferstack.packages.validate import PackageRef, require_valid

ARCHIVE_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class BuildResult:
    """One built archive."""

    name: str
    version: int
    path: Path
    sha256: str
    size: int
    members: list[str]


def archive_name(name: str, version: int) -> str:
    return f"{name}-{version}{ARCHIVE_SUFFIX}"


def archive_members(ref: PackageRef, version: int) -> list[tuple[str, Path | None]]:
    """(archive path, source file or None for a directory), sorted by archive path."""
    model_dir = ref.model_dir
    config = model_dir / "config.pbtxt"
    if not config.is_file():
        raise PackageError(
            f"{ref.project.rel(config)} ==> file not found; the SageMaker Triton container needs "
            f"{ref.name}/config.pbtxt (run inferstack package validate {ref.rel})"
        )
    version_dir = model_dir / str(version)
    entries: list[tuple[str, Path | None]] = [
        (ref.name, None),
        (f"{ref.name}/config.pbtxt", config),
        (f"{ref.name}/{version}", None),
    ]
    for path in sorted(version_dir.rglob("*")):
        rel = path.relative_to(version_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink():
            raise PackageError(
                f"{ref.project.rel(path)} ==> is a symbolic link; archives hold plain files only, copy the target in"
            )
        entries.append((f"{ref.name}/{version}/{rel.as_posix()}", None if path.is_dir() else path))
    return sorted(entries, key=lambda e: e[0])


def archive_bytes(ref: PackageRef, version: int) -> tuple[bytes, list[str]]:
    """The archive for `version` (already checked to exist) and its member names."""
    raw = io.BytesIO()
    members = archive_members(ref, version)
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for arcname, source in members:
            info = tarfile.TarInfo(arcname)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if source is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = source.read_bytes()
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue(), [m for m, _ in members]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_package(ref: PackageRef, version: int | None = None, dist: Path | None = None) -> BuildResult:
    """Write `dist/<name>-<version>.tar.gz` and its `.sha256`; rewriting identical bytes is a no-op.

    The package must pass every `package validate` check first (a new version directory without a
    `version:` bump, a config.pbtxt that does not parse, a model too big for its GPU: nothing is built).
    """
    require_valid(ref)
    v = ref.check_version(version)
    data, members = archive_bytes(ref, v)
    out_dir = dist if dist is not None else ref.project.root / "dist"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / archive_name(ref.name, v)
    digest = sha256_of(data)
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    (out_dir / (path.name + ".sha256")).write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return BuildResult(name=ref.name, version=v, path=path, sha256=digest, size=len(data), members=members)


def read_built(ref: PackageRef, version: int, dist: Path | None = None) -> tuple[Path, bytes, str]:
    """The built archive, checked against its `.sha256` file and against a fresh build of the package.

    PackageError when it is missing (build first), corrupted (checksum mismatch) or stale (the package
    changed since the build).
    """
    out_dir = dist if dist is not None else ref.project.root / "dist"
    path = out_dir / archive_name(ref.name, version)
    rel = ref.project.rel(path)
    if not path.is_file():
        raise PackageError(f"{rel} ==> not built yet; run: inferstack package build {ref.rel} --version {version}")
    data = path.read_bytes()
    digest = sha256_of(data)
    sum_path = path.with_name(path.name + ".sha256")
    try:
        # `sha256sum` writes ASCII: UTF-16 (a Windows editor) or stray bytes are an input error, not a crash
        recorded = decode_utf8(sum_path.read_bytes(), Path(ref.project.rel(sum_path)), "checksum").split()[0]
    except (FileNotFoundError, IndexError):
        raise PackageError(
            f"{ref.project.rel(sum_path)} ==> missing or empty; rebuild: inferstack package build {ref.rel} "
            f"--version {version}"
        ) from None
    except InputError as exc:
        raise PackageError(
            f"{exc.message}; or rebuild: inferstack package build {ref.rel} --version {version}"
        ) from None
    if recorded != digest:
        raise PackageError(
            f"{rel} ==> checksum mismatch: the archive's sha256 is {digest} but {sum_path.name} records {recorded}; "
            f"the file changed after the build, rebuild it: inferstack package build {ref.rel} --version {version}"
        )
    fresh, _ = archive_bytes(ref, version)
    if fresh != data:
        raise PackageError(
            f"{rel} ==> stale: it differs from a fresh build of {ref.rel} version {version} "
            f"(sha256 {sha256_of(fresh)}); "
            f"rebuild it: inferstack package build {ref.rel} --version {version}"
        )
    return path, data, digest

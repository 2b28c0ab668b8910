"""`inferstack package promote NAME --version V --env ENV`: pin an approved version in an environment.

Promotion is a reviewed change to one line of `environments/ENV.yaml`: the version of the
deployment of NAME. Before touching the file it checks that the registry says `Approved` and that
the artifact in S3 still has the sha256 recorded at publish time. The file is rewritten with
ruamel.yaml round-trip (comments, order, flow style and quoting kept), validated, and replaced
atomically (temp file in the same directory + rename). Rollback is a promote of an older approved
version. `inferstack preview --env ENV` shows the change afterwards.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML

from inferstack.config.environment import Environment
from inferstack.packages.aws import Aws, aws_errors
from inferstack.packages.errors import PackageError
from inferstack.packages.naming import package_group_name
from inferstack.packages.registry import APPROVED, RegisteredVersion, require_version
from inferstack.packages.validate import PackageRef

# Layouts tried in order; the first whose unmodified round trip reproduces the file byte for byte wins.
_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4))


@dataclass(frozen=True)
class PromoteResult:
    model: str
    env: str
    path: Path
    previous: int
    version: int
    registered: RegisteredVersion

    @property
    def changed(self) -> bool:
        return self.previous != self.version

    @property
    def rollback(self) -> bool:
        return self.version < self.previous


def verify_artifact(aws: Aws, registered: RegisteredVersion) -> str:
    """Stream the registered artifact from S3 and compare its sha256 with the one recorded at publish."""
    url = registered.model_data_url
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise PackageError(f"{registered.arn} ==> ModelDataUrl {url!r} is not an s3:// URI; republish the version")
    bucket, key = url[5:].split("/", 1)
    digest = hashlib.sha256()
    with aws_errors(f"reading {url} to verify its sha256", after="the environment file was not changed"):
        body = aws.s3.get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual != registered.sha256:
        raise PackageError(
            f"{url} ==> checksum mismatch: the registry recorded sha256 {registered.sha256} at publish but the object "
            f"now has {actual}; the artifact changed after approval, so it is not promoted (the environment file was "
            "not changed). Restore the approved object version (the bucket is versioned) or publish a new version"
        )
    return actual


def _yaml_for(text: str) -> YAML:
    for mapping, sequence, offset in _INDENTS:
        rt = YAML()
        rt.preserve_quotes = True
        rt.width = 4096
        rt.indent(mapping=mapping, sequence=sequence, offset=offset)
        out = io.StringIO()
        rt.dump(rt.load(text), out)
        if out.getvalue() == text:
            return rt
    raise PackageError(
        "the environment file cannot be rewritten without changing its layout (no round-trip layout reproduces it); "
        "pin the version by hand and open a review"
    )


def pin_version(path: Path, rel: str, model: str, version: int) -> tuple[int, str]:
    """(previous version, new text) with deployments[model].version set; comments and layout kept."""
    text = path.read_text(encoding="utf-8")
    try:
        rt = _yaml_for(text)
    except PackageError as exc:
        raise PackageError(f"{rel} ==> {exc.message}") from None
    doc: Any = rt.load(text)
    deployments = doc.get("deployments") if hasattr(doc, "get") else None
    entries = [d for d in deployments or [] if hasattr(d, "get") and d.get("model") == model]
    if not entries:
        raise PackageError(
            f"{rel} ==> at deployments\n  ==> there is no deployment of {model!r} to promote; add one (model, "
            "version, target and sizing) in a reviewed change first"
        )
    entry = entries[0]
    previous = int(entry.get("version", 0))
    entry["version"] = version
    out = io.StringIO()
    rt.dump(doc, out)
    return previous, out.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` through a temp file in the same directory, keeping its mode."""
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def promote(ref: PackageRef, env: Environment, aws: Aws, version: int) -> PromoteResult:
    path = ref.project.environments_dir / f"{env.name}.yaml"
    rel = ref.project.rel(path)
    ref.check_version(version)  # environments may only pin versions present in the package
    group = package_group_name(env.name, ref.name)
    registered = require_version(aws, group, ref.name, version, env.name)
    if registered.status != APPROVED:
        raise PackageError(
            f"model package group {group} ==> {ref.name} version {version} is {registered.status}, not {APPROVED}; "
            f"the environment file was not changed. Approve it first: inferstack package approve {ref.name} "
            f"--version {version} --env {env.name} --note TEXT"
        )
    verify_artifact(aws, registered)
    previous, text = pin_version(path, rel, ref.name, version)
    if previous == version:
        return PromoteResult(ref.name, env.name, path, previous, version, registered)
    try:
        Environment.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as exc:  # pragma: no cover - only a version number changed
        raise PackageError(f"{rel} ==> the rewritten file would be invalid ({exc}); the file was not changed") from None
    write_atomically(path, text)
    return PromoteResult(ref.name, env.name, path, previous, version, registered)

"""`inferstack package promote NAME --version V --env ENV`: pin an approved version in an environment.

Promotion is a reviewed change to one line of `environments/ENV.yaml`: the version of the
deployment of NAME. Before touching the file it checks that the registry says `Approved` and that
the artifact in S3 still has the sha256 recorded at publish time. Only the digits of that version
scalar change (located by offset in the composed YAML; line endings, comments, spacing and every other
byte kept), the result is validated, and the file replaced atomically (temp file + rename). Rollback
is a promote of an older approved version. `inferstack preview --env ENV` shows the change afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from inferstack.config.environment import Environment
from inferstack.packages.aws import Aws, aws_errors
from inferstack.packages.errors import PackageError
from inferstack.packages.naming import package_group_name
from inferstack.packages.publish import contents_key
from inferstack.packages.registry import APPROVED, RegisteredVersion, require_version
from inferstack.packages.validate import PackageRef


@dataclass(frozen=True)
class PromoteResult:
    model: str
    env: str
    path: Path
    previous: int
    version: int
    registered: RegisteredVersion
    verified: int = 0
    """Served objects whose sha256 was checked against the content manifest (the archive included)."""

    @property
    def changed(self) -> bool:
        return self.previous != self.version

    @property
    def rollback(self) -> bool:
        return self.version < self.previous


def _stream_sha256(aws: Aws, bucket: str, key: str, what: str) -> str | None:
    """sha256 of an S3 object, read in 1 MiB chunks; None when there is no such object."""
    from botocore.exceptions import ClientError

    digest = hashlib.sha256()
    with aws_errors(what, after="the environment file was not changed"):
        try:
            body = aws.s3.get_object(Bucket=bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


_RESTORE = (
    "so the version is not promoted (the environment file was not changed). Restore the published object version "
    "(the bucket is versioned) or publish a new version"
)


def verify_contents(aws: Aws, registered: RegisteredVersion, model: str, version: int, env: str) -> int:
    """Check every object of the version's content manifest by sha256; the number checked (archive excluded).

    The manifest (written by publish) lists what the targets serve: the archive SageMaker extracts, the
    pinned `configs/v<V>.pbtxt` and `<V>/*` that Triton on EKS loads, the drift baseline. Its own sha256
    is in the registration's customer metadata, so rewriting the manifest to match a tampered object
    is caught too.
    """
    url = registered.model_data_url
    bucket, archive = url[5:].split("/", 1)
    recorded = registered.metadata.get("content_sha256", "")
    if not recorded:
        raise PackageError(
            f"{registered.arn} ==> {model} version {version} was published without a content manifest, so the "
            "Triton repository objects EKS loads cannot be verified (the environment file was not changed); rerun "
            f"its publish, which records the manifest without changing the version: inferstack package publish "
            f"model_packages/{model} --version {version} --env {env}"
        )
    key = contents_key(model, version)
    what = f"reading s3://{bucket}/{key} to verify the version's content"
    from botocore.exceptions import ClientError

    with aws_errors(what, after="the environment file was not changed"):
        try:
            data: bytes | None = aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404", "NotFound"):
                raise
            data = None
    if data is None:
        raise PackageError(
            f"s3://{bucket}/{key} ==> missing: the registry records a content manifest (sha256 {recorded}) but S3 "
            f"has no such object; {_RESTORE}"
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != recorded:
        raise PackageError(
            f"s3://{bucket}/{key} ==> checksum mismatch: the registry recorded sha256 {recorded} for the content "
            f"manifest at publish but the object now has {actual}; the manifest changed after publishing, {_RESTORE}"
        )
    try:
        objects = json.loads(data)["objects"]
        listed = objects.get(archive)
    except (ValueError, KeyError, TypeError, AttributeError):
        objects, listed = None, None
    if not isinstance(objects, dict) or listed != registered.sha256:
        raise PackageError(
            f"s3://{bucket}/{key} ==> does not list {archive} with the registered sha256 {registered.sha256}; "
            f"{_RESTORE}"
        )
    checked = 0
    for object_key, want in sorted(objects.items()):
        if object_key == archive:
            continue  # verify_artifact streamed it already
        got = _stream_sha256(aws, bucket, object_key, f"reading s3://{bucket}/{object_key} to verify its sha256")
        if got is None:
            raise PackageError(
                f"s3://{bucket}/{object_key} ==> missing: the content manifest lists it (sha256 {want}) but S3 has "
                f"no such object; {_RESTORE}"
            )
        if got != want:
            raise PackageError(
                f"s3://{bucket}/{object_key} ==> checksum mismatch: the content manifest recorded sha256 {want} at "
                f"publish but the object now has {got}; the object changed after publishing, {_RESTORE}"
            )
        checked += 1
    return checked


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


def _value(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping node (the last one, as `yaml.safe_load` keeps); None if absent."""
    if not isinstance(mapping, yaml.MappingNode):
        return None
    found = [v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[-1] if found else None


def pin_version(path: Path, rel: str, model: str, version: int) -> tuple[int, bytes]:
    """(previous version, new file bytes) with deployments[model].version set to `version`.

    Only the digits of that one scalar change: the file is decoded without newline translation (CRLF, LF
    or mixed line endings, a BOM, trailing spaces, comments and a missing final newline all stay), the
    scalar is located by its character offsets in the composed YAML node, and the rest is copied as is.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")  # bytes.decode never translates newlines (unlike read_text)
        root = yaml.compose(text)
    except UnicodeDecodeError as exc:
        raise PackageError(f"{rel} ==> is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise PackageError(f"{rel} ==> invalid YAML ({exc}); fix the file first") from None
    deployments = _value(root, "deployments")
    items = deployments.value if isinstance(deployments, yaml.SequenceNode) else []
    entries = [d for d in items if getattr(_value(d, "model"), "value", None) == model]
    if not entries:
        raise PackageError(
            f"{rel} ==> at deployments\n  ==> there is no deployment of {model!r} to promote; add one (model, "
            "version, target and sizing) in a reviewed change first"
        )
    node = _value(entries[0], "version")
    if not isinstance(node, yaml.ScalarNode) or node.style not in (None, "'", '"') or not node.value.isdigit():
        line = f":{node.start_mark.line + 1}:{node.start_mark.column + 1}" if node is not None else ""
        raise PackageError(
            f"{rel}{line} ==> at deployments[{model}].version\n  ==> is not a plain version number, so promote "
            "cannot change it in place; write it as `version: N` (or pin the version by hand and open a review)"
        )
    start, end = node.start_mark.index, node.end_mark.index
    token = text[start:end]
    at = token.index(node.value)  # a quoted scalar keeps its quotes
    new_text = text[:start] + token[:at] + str(version) + token[at + len(node.value) :] + text[end:]
    return int(node.value), new_text.encode("utf-8")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` through a temp file in the same directory, keeping its mode."""
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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
    verified = 1 + verify_contents(aws, registered, ref.name, version, env.name)
    previous, data = pin_version(path, rel, ref.name, version)
    if previous == version:
        return PromoteResult(ref.name, env.name, path, previous, version, registered, verified)
    try:
        rewritten = Environment.model_validate(yaml.safe_load(data.decode("utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:  # pragma: no cover - only a version number changed
        raise PackageError(f"{rel} ==> the rewritten file would be invalid ({exc}); the file was not changed") from None
    pinned = next((d.version for d in rewritten.deployments if d.model == ref.name), None)
    if pinned != version:  # pragma: no cover - the changed scalar is the one the loader reads
        raise PackageError(
            f"{rel} ==> rewriting pinned {ref.name} to {pinned}, not {version}; the file was not changed"
        )
    write_atomically(path, data)
    return PromoteResult(ref.name, env.name, path, previous, version, registered, verified)

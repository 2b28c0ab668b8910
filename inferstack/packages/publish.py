"""`inferstack package publish PATH --env ENV`: upload the built archive and register the version.

Order, so that a failure anywhere leaves a state the same command completes:

1. check the archive (`dist/`) against its `.sha256` and a fresh build;
2. look the version up in the registry: same sha256 -> nothing to do (idempotent); a different
   sha256 -> refused (a published version is immutable);
3. upload `models/<name>/<version>/model.tar.gz` with SSE-KMS (multipart above 64 MiB) and the
   Triton repository files for EKS, each skipped when the object already holds the same bytes and
   refused when it holds different ones;
4. create the model package group if missing;
5. register the version in one `CreateModelPackage` call (idempotency token derived from the
   sha256), status `PendingManualApproval`.

Registration is the last and only registry write, so nothing is ever half-registered: a failure
before it leaves uploaded objects that the rerun recognises and skips.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferstack.artifacts import artifact_key, baseline_prefix, triton_config_name, triton_repository_prefix
from inferstack.config.environment import Environment
from inferstack.packages.aws import Aws, aws_errors, resolve_bucket
from inferstack.packages.build import archive_members, read_built
from inferstack.packages.errors import PackageError
from inferstack.packages.naming import package_group_name
from inferstack.packages.registry import PENDING, RegisteredVersion, find_version, group_exists
from inferstack.packages.validate import PackageRef, require_valid

MULTIPART_THRESHOLD = 64 * 1024 * 1024
DEFAULT_SAGEMAKER_INSTANCE = "ml.g4dn.xlarge"
"""Instance type used to pick the GPU flavour of the Triton image when no SageMaker deployment names one."""


@dataclass
class PublishResult:
    model: str
    version: int
    bucket: str
    bucket_source: str
    key: str
    sha256: str
    group: str
    registered: RegisteredVersion | None
    uploaded: list[str] = field(default_factory=list)
    unchanged: bool = False

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def source_commit(root: Path, package_dir: Path) -> str:
    """`git rev-parse HEAD` of the checkout, suffixed `-dirty` when the package has local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(package_dir)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def triton_image(env: Environment, region: str, instance_type: str) -> str:
    """The SageMaker Triton inference image for the environment's pinned Triton version."""
    from sagemaker.core import image_uris

    try:
        return str(
            image_uris.retrieve(
                framework="sagemaker-tritonserver",
                region=region,
                version=env.serving.sagemaker_triton_version,
                instance_type=instance_type,
                image_scope="inference",
            )
        )
    except ValueError as exc:
        raise PackageError(
            f"environments/{env.name}.yaml ==> at serving.sagemaker_triton_version\n  ==> no SageMaker Triton image "
            f"for version {env.serving.sagemaker_triton_version!r} in {region} ({exc}); pick a supported version"
        ) from None


def _bucket_kms_key(aws: Aws, bucket: str, explicit: str | None) -> str:
    from botocore.exceptions import ClientError

    if explicit:
        return explicit
    with aws_errors(f"reading the default encryption of bucket {bucket}"):
        try:
            aws.s3.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                raise PackageError(
                    f"s3://{bucket} ==> bucket not found; deploy the environment's stack (ModelRegistry creates it) "
                    "or pass --bucket NAME"
                ) from None
            raise
        try:
            rules = aws.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            rules = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get("KMSMasterKeyID"):
            return str(default["KMSMasterKeyID"])
    raise PackageError(
        f"s3://{bucket} ==> has no SSE-KMS default encryption with a customer key; deploy the stack's ModelRegistry "
        "(which sets it) or pass --kms-key-id KEY_ARN"
    )


_RERUN = "nothing was registered; rerun the same publish command (objects already uploaded are skipped)"


def _remote_sha(aws: Aws, bucket: str, key: str) -> str | None:
    """The sha256 recorded on an existing object, '' when it has none, None when there is no object."""
    from botocore.exceptions import ClientError

    with aws_errors(f"reading s3://{bucket}/{key}", after=_RERUN):
        try:
            head = aws.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
    return str(head.get("Metadata", {}).get("sha256", ""))


def _put(
    aws: Aws, bucket: str, key: str, data: bytes | Path, kms_key: str, version: int, mutable: bool = False
) -> bool:
    """Upload unless the object already holds these bytes; refuse to replace different bytes. True if uploaded."""
    from boto3.s3.transfer import TransferConfig

    digest = hashlib.sha256(data.read_bytes() if isinstance(data, Path) else data).hexdigest()
    remote = _remote_sha(aws, bucket, key)
    if remote == digest:
        return False
    if remote is not None and not mutable:
        raise PackageError(
            f"s3://{bucket}/{key} ==> already holds different content (sha256 {remote or 'unrecorded'}, this build "
            f"{digest}); a published version is immutable: put the change in a new version directory and publish "
            "that version"
        )
    extra = {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": kms_key,
        "Metadata": {"sha256": digest, "manifest-version": str(version)},
    }
    config = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD)
    with aws_errors(f"uploading s3://{bucket}/{key}", after=_RERUN):
        if isinstance(data, Path):
            aws.s3.upload_file(str(data), bucket, key, ExtraArgs=extra, Config=config)
        else:
            aws.s3.put_object(Bucket=bucket, Key=key, Body=data, **extra)
    if _remote_sha(aws, bucket, key) != digest:
        raise PackageError(
            f"s3://{bucket}/{key} ==> the uploaded object does not read back with sha256 {digest}; rerun"
        )
    return True


def _triton_files(ref: PackageRef, version: int) -> list[tuple[str, bytes, bool]]:
    """(key, bytes, mutable) of the Triton repository objects Triton on EKS loads for `version`."""
    prefix = triton_repository_prefix(ref.name) + ref.name
    config = (ref.model_dir / "config.pbtxt").read_bytes()
    pinned = (
        config.rstrip(b"\n")
        + (
            f"\n# Written by inferstack package publish: serve version {version} only.\n"
            f"version_policy: {{ specific: {{ versions: [ {version} ] }} }}\n"
        ).encode()
    )
    files = [
        (f"{prefix}/config.pbtxt", config, True),
        (f"{prefix}/configs/{triton_config_name(version)}.pbtxt", pinned, False),
    ]
    # The archive's own member list (build.py): the same files, hidden ones left out, symbolic links refused.
    for arcname, source in archive_members(ref, version):
        if source is not None and arcname.startswith(f"{ref.name}/{version}/"):
            files.append((triton_repository_prefix(ref.name) + arcname, source.read_bytes(), False))
    return files


def _drift_baseline_files(ref: PackageRef, version: int) -> list[tuple[str, bytes, bool]]:
    """(key, bytes, mutable) of the Model Monitor baseline the endpoint's drift schedule reads, if the package has one.

    Written before the version is registered, so a version that can be promoted always has its baseline
    at `baselines/<model>/<version>/` (the data-quality job definition's statistics and constraints).
    """
    from inferstack.packages.baseline import dataset_path, model_monitor_baseline, read_rows

    if ref.manifest.drift_baseline is None:
        return []
    csv_path, input_name = dataset_path(ref.directory, ref.manifest.drift_baseline)
    spec = next(t for t in ref.manifest.inputs if t.name == input_name)
    baseline = model_monitor_baseline(read_rows(csv_path, math.prod(spec.dims)))
    prefix = baseline_prefix(ref.name, version)
    return [
        (f"{prefix}statistics.json", baseline.statistics, False),
        (f"{prefix}constraints.json", baseline.constraints, False),
    ]


def _inference_specification(ref: PackageRef, env: Environment, region: str, s3_uri: str) -> dict[str, Any]:
    types = sorted({d.instance_type for d in env.deployments if d.model == ref.name and d.instance_type is not None})
    spec: dict[str, Any] = {
        "Containers": [
            {
                "Image": triton_image(env, region, types[0] if types else DEFAULT_SAGEMAKER_INSTANCE),
                "ModelDataUrl": s3_uri,
                "Environment": {"SAGEMAKER_TRITON_DEFAULT_MODEL_NAME": ref.name},
            }
        ],
        "SupportedContentTypes": ["application/json", "application/octet-stream"],
        "SupportedResponseMIMETypes": ["application/json"],
    }
    if types:
        spec["SupportedRealtimeInferenceInstanceTypes"] = types
    return spec


def _check_package(ref: PackageRef) -> None:
    """The checks of `package validate` before anything is uploaded (the package may have changed since the build)."""
    require_valid(ref)


def publish_package(
    ref: PackageRef,
    env: Environment,
    aws: Aws,
    version: int | None = None,
    *,
    bucket: str | None = None,
    kms_key_id: str | None = None,
) -> PublishResult:
    allowed = ref.manifest.environments
    if allowed is not None and env.name not in allowed:
        raise PackageError(
            f"{ref.manifest_rel} ==> at environments\n  ==> {ref.name} is limited to "
            f"{', '.join(allowed)}; publishing it to {env.name} would register it where it may not be deployed; "
            f"add {env.name!r} to environments or publish to one of them"
        )
    _check_package(ref)
    v = ref.check_version(version)
    path, _, digest = read_built(ref, v)
    group = package_group_name(env.name, ref.name)
    bucket_name, source = resolve_bucket(env, aws, bucket)
    key = artifact_key(ref.name, v)
    result = PublishResult(
        model=ref.name,
        version=v,
        bucket=bucket_name,
        bucket_source=source,
        key=key,
        sha256=digest,
        group=group,
        registered=None,
    )

    existing = find_version(aws, group, v)
    if existing is not None and existing.sha256 != digest:
        raise PackageError(
            f"model package group {group} ==> {ref.name} version {v} is already registered ({existing.arn}, "
            f"{existing.status}) with sha256 {existing.sha256}, but this build has sha256 {digest}; a published "
            "version is immutable: put the change in a new version directory and publish that version"
        )

    kms_key = _bucket_kms_key(aws, bucket_name, kms_key_id)
    if _put(aws, bucket_name, key, path, kms_key, v):
        result.uploaded.append(key)
    for triton_key, data, mutable in _triton_files(ref, v) + _drift_baseline_files(ref, v):
        if _put(aws, bucket_name, triton_key, data, kms_key, v, mutable=mutable):
            result.uploaded.append(triton_key)

    if existing is not None:
        result.registered = existing
        result.unchanged = not result.uploaded
        return result

    spec = _inference_specification(ref, env, aws.region, result.s3_uri)
    resume = (
        f"{result.s3_uri} is uploaded (sha256 {digest}) but registering version {v} did not complete; rerun the "
        "same publish command: it skips the upload and registers the version unless the registry already has it"
    )
    registering = f"registering {ref.name} version {v} in model package group {group}"
    with aws_errors(registering, after=resume):
        if not group_exists(aws, group, what=registering, after=resume):
            aws.sagemaker.create_model_package_group(
                ModelPackageGroupName=group,
                ModelPackageGroupDescription=f"{ref.name} in {env.name}: {ref.manifest.description}"[:1000],
            )
        created = aws.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=f"{ref.name} version {v}: {ref.manifest.description}"[:1000],
            InferenceSpecification=spec,
            ModelApprovalStatus=PENDING,
            CustomerMetadataProperties={
                "package": ref.name,
                "manifest_version": str(v),
                "sha256": digest,
                "source_commit": source_commit(ref.project.root, ref.directory),
                "owner": ref.manifest.owner,
                "backend": ref.manifest.backend,
            },
            ClientToken=digest[:36],
        )
    result.registered = find_version(aws, group, v)
    if result.registered is None or result.registered.arn != created["ModelPackageArn"]:
        raise PackageError(
            f"model package group {group} ==> registered {created['ModelPackageArn']} but cannot read "
            "it back; check the registry, then rerun the publish command"
        )
    return result

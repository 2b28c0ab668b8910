"""`inferstack package publish PATH --env ENV`: upload the built archive and register the version.

Order, so that a failure anywhere leaves a state the same command completes:

1. check the archive (`dist/`) against its `.sha256` and a fresh build;
2. look the version up in the registry: same sha256 -> nothing to do (idempotent); a different
   sha256 -> refused (a published version is immutable);
3. upload `models/<name>/<version>/model.tar.gz` with SSE-KMS (multipart above 64 MiB) and the
   Triton repository files for EKS, each skipped when the object already holds the same bytes and
   refused when it holds different ones;
4. write the version's content manifest `models/<name>/<version>/contents.json`: the sha256 of
   every immutable object the targets serve (the archive SageMaker extracts; the pinned
   `configs/v<version>.pbtxt` and `<version>/*` Triton on EKS loads; the drift baseline). Its own
   sha256 goes into the registration's customer metadata (`content_sha256`), so promote can check
   every object by content against a record that S3 write access alone cannot rewrite;
5. take the version's registration lock (`models/<name>/<version>/registration.lock`, an S3
   conditional write `If-None-Match: *`), look the version up again (another publish may have
   registered it meanwhile: adopt that registration), create the model package group if missing and
   register the version in one `CreateModelPackage` call, status `PendingManualApproval`.

Registration is the last and only registry write, so nothing is ever half-registered: a failure
before it leaves uploaded objects that the rerun recognises and skips.

Registered once: `CreateModelPackage` goes through a client without automatic retries (a retry after
a lost response registered the version a second time; moto ignores `ClientToken`, and relying on it
alone is what failed). After any failure whose outcome is unknown (connection dropped, read timeout,
throttling, 5xx) the registry is searched for this version with this sha256 and a registration found
is adopted (find-or-adopt) before the call is retried. Two publishes of one version serialise on the
lock; the loser waits and adopts the winner's registration. A lock left by a killed publish expires
after `LOCK_LEASE_SECONDS` and is then taken over with a conditional overwrite (`If-Match: <ETag>`).
S3 conditional writes: "How to prevent object overwrites with conditional writes", S3 user guide
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: If-None-Match / If-Match
on PutObject, 412 Precondition Failed when the condition fails; the SDK reference adds 409
ConditionalRequestConflict for a concurrent conflicting write, "retry"; read 2026-12-02). moto 5.2
implements both headers on PutObject (moto/s3/responses.py `put_object`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
LOCK_LEASE_SECONDS = 120.0
"""How long a registration lock holds: the locked step is a few registry calls (60 s read timeout each)."""
LOCK_WAIT_SECONDS = 2 * LOCK_LEASE_SECONDS
"""How long a publish waits for another one's lock before giving up (a lease, plus clock skew)."""
LOCK_POLL_SECONDS = 1.0
REGISTER_ATTEMPTS = 3
_CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
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


def contents_key(model: str, version: int) -> str:
    """S3 key of the content manifest of `model` at `version` (next to its archive)."""
    return f"models/{model}/{version}/contents.json"


def lock_key(model: str, version: int) -> str:
    """S3 key of the lock a publish holds while it registers `model` at `version`."""
    return f"models/{model}/{version}/registration.lock"


def content_manifest(model: str, version: int, archive_sha256: str, objects: dict[str, str]) -> bytes:
    """The content manifest: sha256 of every immutable object served for the version, canonical JSON."""
    doc = {"package": model, "version": version, "sha256": archive_sha256, "objects": dict(sorted(objects.items()))}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def _error_code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _read_lock(aws: Aws, bucket: str, key: str, what: str) -> tuple[dict[str, Any], str] | None:
    """(lock document, ETag) of the current lock, None when there is none; an unreadable lock reads as expired."""
    from botocore.exceptions import ClientError

    with aws_errors(what, after=_RERUN):
        try:
            got = aws.s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        raw = got["Body"].read()
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        doc = None
    return (doc if isinstance(doc, dict) else {"expires": 0}), str(got["ETag"])


def _expires(doc: dict[str, Any]) -> float:
    value = doc.get("expires")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _take_lock(
    aws: Aws,
    bucket: str,
    key: str,
    *,
    token: str,
    digest: str,
    kms_key: str,
    label: str,
    adopt: Callable[[], RegisteredVersion | None],
) -> RegisteredVersion | None:
    """Hold the registration lock (returns None), or the registration another publish made while we waited."""
    from botocore.exceptions import ClientError

    what = f"taking the registration lock s3://{bucket}/{key}"
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key, "ContentType": "application/json"}
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        body = json.dumps(
            {
                "token": token,
                "sha256": digest,
                "holder": f"{socket.gethostname()} pid {os.getpid()}",
                "expires": time.time() + LOCK_LEASE_SECONDS,
            }
        ).encode()
        with aws_errors(what, after=_RERUN):
            try:
                aws.s3.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", **extra)
                return None
            except ClientError as exc:
                if _error_code(exc) not in _CONFLICT:
                    raise
        found = adopt()
        if found is not None:
            return found
        held = _read_lock(aws, bucket, key, what)
        if held is None:
            continue  # released between our write and our read: try again
        doc, etag = held
        if _expires(doc) < time.time():  # left by a publish that was killed: take it over, one winner
            with aws_errors(what, after=_RERUN):
                try:
                    aws.s3.put_object(Bucket=bucket, Key=key, Body=body, IfMatch=etag, **extra)
                    return None
                except ClientError as exc:
                    if _error_code(exc) not in (*_CONFLICT, "NoSuchKey", "404"):
                        raise
            continue
        if time.monotonic() >= deadline:
            until = datetime.fromtimestamp(_expires(doc), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise PackageError(
                f"s3://{bucket}/{key} ==> another publish of {label} ({doc.get('holder', 'unknown holder')}) holds "
                f"the registration lock until {until}, and the version has not appeared in the registry; rerun "
                "after that time (the lock then expires and is taken over), or, if no publish is running, delete "
                f"the lock: aws s3api delete-object --bucket {bucket} --key {key}; {_RERUN}"
            )
        time.sleep(LOCK_POLL_SECONDS)


def _release_lock(aws: Aws, bucket: str, key: str, token: str) -> None:
    """Delete the lock if it is still ours; best effort (a lock left behind expires after its lease)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        held = _read_lock(aws, bucket, key, f"releasing the registration lock s3://{bucket}/{key}")
        if held is not None and held[0].get("token") == token:
            aws.s3.delete_object(Bucket=bucket, Key=key)
    except (PackageError, BotoCoreError, ClientError):
        pass


def _create_model_package(
    aws: Aws,
    request: dict[str, Any],
    adopt: Callable[[], RegisteredVersion | None],
    registering: str,
    resume: str,
) -> str | None:
    """The new package's ARN, or None when a failed attempt had in fact registered it (adopt found it).

    No automatic retries (`Aws.sagemaker_once`): an attempt whose outcome is unknown is followed by a
    registry search, and only when that finds nothing is the call made again.
    """
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    client = aws.sagemaker_once if aws.sagemaker_once is not None else aws.sagemaker
    unknown: Exception | None = None
    for attempt in range(REGISTER_ATTEMPTS):
        if attempt:
            time.sleep(0.5 * 2**attempt)
        try:
            return str(client.create_model_package(**request)["ModelPackageArn"])
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status < 500 and "Throttl" not in _error_code(exc):
                with aws_errors(registering, after=resume):
                    raise
            unknown = exc
        except (BotoConnectionError, HTTPClientError) as exc:  # dropped connection, read timeout
            unknown = exc
        if adopt() is not None:
            return None
    with aws_errors(registering, after=resume):
        assert unknown is not None
        raise unknown


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
        raise _immutable(group, ref.name, v, existing, digest)

    kms_key = _bucket_kms_key(aws, bucket_name, kms_key_id)
    if _put(aws, bucket_name, key, path, kms_key, v):
        result.uploaded.append(key)
    served = {key: digest}
    for triton_key, data, mutable in _triton_files(ref, v) + _drift_baseline_files(ref, v):
        if _put(aws, bucket_name, triton_key, data, kms_key, v, mutable=mutable):
            result.uploaded.append(triton_key)
        if not mutable:  # the shared config.pbtxt changes with every version; configs/v<V>.pbtxt is served
            served[triton_key] = hashlib.sha256(data).hexdigest()
    manifest = content_manifest(ref.name, v, digest, served)
    content_sha = hashlib.sha256(manifest).hexdigest()
    manifest_key = contents_key(ref.name, v)
    if _put(aws, bucket_name, manifest_key, manifest, kms_key, v):
        result.uploaded.append(manifest_key)

    if existing is not None:
        result.registered = _record_contents(aws, existing, content_sha, group, ref.name, v)
        result.unchanged = not result.uploaded
        return result

    spec = _inference_specification(ref, env, aws.region, result.s3_uri)
    resume = (
        f"{result.s3_uri} is uploaded (sha256 {digest}) but registering version {v} did not complete; rerun the "
        "same publish command: it skips the upload and registers the version unless the registry already has it"
    )
    registering = f"registering {ref.name} version {v} in model package group {group}"

    def adopt() -> RegisteredVersion | None:
        """This version with this content, if some publish (this one's lost attempt included) registered it."""
        found = find_version(aws, group, v, what=registering, after=resume)
        if found is not None and found.sha256 != digest:
            raise _immutable(group, ref.name, v, found, digest)
        return found

    request = {
        "ModelPackageGroupName": group,
        "ModelPackageDescription": f"{ref.name} version {v}: {ref.manifest.description}"[:1000],
        "InferenceSpecification": spec,
        "ModelApprovalStatus": PENDING,
        "CustomerMetadataProperties": {
            "package": ref.name,
            "manifest_version": str(v),
            "sha256": digest,
            "content_sha256": content_sha,
            "source_commit": source_commit(ref.project.root, ref.directory),
            "owner": ref.manifest.owner,
            "backend": ref.manifest.backend,
        },
        "ClientToken": digest[:36],  # AWS deduplicates retries with it; moto does not, hence the rest
    }
    token = uuid.uuid4().hex
    lock = lock_key(ref.name, v)
    adopted = _take_lock(
        aws,
        bucket_name,
        lock,
        token=token,
        digest=digest,
        kms_key=kms_key,
        label=f"{ref.name} version {v}",
        adopt=adopt,
    )
    created: str | None = None
    if adopted is None:
        try:
            adopted = adopt()  # registered by a publish that held the lock before this one
            if adopted is None:
                with aws_errors(registering, after=resume):
                    if not group_exists(aws, group, what=registering, after=resume):
                        aws.sagemaker.create_model_package_group(
                            ModelPackageGroupName=group,
                            ModelPackageGroupDescription=f"{ref.name} in {env.name}: {ref.manifest.description}"[:1000],
                        )
                created = _create_model_package(aws, request, adopt, registering, resume)
        finally:
            _release_lock(aws, bucket_name, lock, token)
    result.registered = find_version(aws, group, v, what=registering, after=resume)
    if result.registered is None or (
        created is not None and created != result.registered.arn and created not in result.registered.duplicates
    ):
        raise PackageError(
            f"model package group {group} ==> registered {created or 'the version'} but cannot read "
            "it back; check the registry, then rerun the publish command"
        )
    return result


def _immutable(group: str, model: str, version: int, existing: RegisteredVersion, digest: str) -> PackageError:
    return PackageError(
        f"model package group {group} ==> {model} version {version} is already registered ({existing.arn}, "
        f"{existing.status}) with sha256 {existing.sha256}, but this build has sha256 {digest}; a published "
        "version is immutable: put the change in a new version directory and publish that version"
    )


def _record_contents(
    aws: Aws, existing: RegisteredVersion, content_sha: str, group: str, model: str, version: int
) -> RegisteredVersion:
    """A registration from before content manifests gets `content_sha256` added (nothing else changes)."""
    recorded = existing.metadata.get("content_sha256")
    if recorded == content_sha:
        return existing
    if recorded:
        raise PackageError(
            f"model package group {group} ==> {model} version {version} ({existing.arn}) records content manifest "
            f"sha256 {recorded}, but the objects published for it now give {content_sha}; a published version is "
            "immutable: restore the published objects (the bucket is versioned) or publish a new version"
        )
    metadata = {**existing.metadata, "content_sha256": content_sha}
    with aws_errors(f"recording the content manifest of {existing.arn}", after="rerun the same publish command"):
        # Status and description are re-sent unchanged: moto 5.2 clears fields an update omits (AWS keeps them).
        update: dict[str, Any] = {"ModelPackageArn": existing.arn, "CustomerMetadataProperties": metadata}
        if existing.status:
            update["ModelApprovalStatus"] = existing.status
        if existing.approval_description:
            update["ApprovalDescription"] = existing.approval_description
        aws.sagemaker.update_model_package(**update)
    return dataclasses.replace(existing, metadata=metadata)

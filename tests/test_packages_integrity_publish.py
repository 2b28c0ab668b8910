"""Issue 13 class 12 over HTTP (a moto server on 127.0.0.1): promote verifies every object the targets
serve by content; publish registers a version once under concurrency and lost responses; duplicates that
already exist are picked deterministically with a warning instead of failing every later command.

Faults are injected at botocore's HTTP layer (`Endpoint._send`), so the server really processes a
request whose response the client then loses, exactly what a dropped connection does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import pytest
import requests
from botocore.exceptions import ReadTimeoutError
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.config.loader import Project, load_environment
from inferstack.packages import aws as aws_mod
from inferstack.packages import publish as publish_mod
from inferstack.packages.aws import Aws, clients
from inferstack.packages.build import build_package, sha256_of
from inferstack.packages.errors import PackageError
from inferstack.packages.promote import promote
from inferstack.packages.publish import publish_package
from inferstack.packages.registry import approve, registered_versions
from inferstack.packages.validate import PackageRef, resolve_package
from tests.packages_helpers import copy_project

pytestmark = pytest.mark.slow

BUCKET = "inferstack-dev-models-123456789012-us-east-1"
GROUP = "dev-fraud-scorer"
MODEL_ONNX = "triton/fraud-scorer/fraud-scorer/6/model.onnx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Moto:
    url: str
    server: ThreadedMotoServer


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    """A moto server with the bucket ModelRegistry deploys (versioned, SSE-KMS by default); boto3 points at it."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    requests.post(f"{url}/moto-api/reset", timeout=10)
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(aws_mod, "stack_output", lambda stack, name: None)  # no Pulumi CLI in tests
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    yield Moto(url=url, server=server)
    server.stop()


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return copy_project(root)


def _aws(proj: Project) -> Aws:
    return clients(load_environment(proj, "dev"))


def _ref(proj: Project) -> PackageRef:
    return resolve_package(proj, "fraud-scorer")


def _publish(proj: Project, version: int, aws: Aws | None = None) -> Any:
    ref = _ref(proj)
    build_package(ref, version)
    return publish_package(ref, load_environment(proj, "dev"), aws or _aws(proj), version)


def _packages(aws: Aws) -> list[dict[str, Any]]:
    arns = [
        s["ModelPackageArn"]
        for s in aws.sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    ]
    return [aws.sagemaker.describe_model_package(ModelPackageName=a) for a in arns]


# -- (a) promote verifies every object the targets serve, by content --------------------------------------


def test_publish_records_a_content_manifest_of_every_served_object(proj: Project, moto: Moto) -> None:
    result = _publish(proj, 6)
    aws = _aws(proj)
    body = aws.s3.get_object(Bucket=BUCKET, Key=publish_mod.contents_key("fraud-scorer", 6))["Body"].read()
    doc = json.loads(body)
    local = proj.packages_dir / "fraud-scorer/triton/fraud-scorer/6/model.onnx"
    assert doc["objects"][MODEL_ONNX] == sha256_of(local.read_bytes())
    assert doc["objects"]["models/fraud-scorer/6/model.tar.gz"] == result.sha256
    assert "triton/fraud-scorer/fraud-scorer/configs/v6.pbtxt" in doc["objects"]
    assert {"baselines/fraud-scorer/6/statistics.json", "baselines/fraud-scorer/6/constraints.json"} <= set(
        doc["objects"]
    )
    for key, digest in doc["objects"].items():  # the manifest says what S3 holds
        assert sha256_of(aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()) == digest, key
    [registered] = registered_versions(aws, GROUP)
    assert registered.metadata["content_sha256"] == sha256_of(body)


@pytest.mark.parametrize(
    "key",
    [
        MODEL_ONNX,
        "triton/fraud-scorer/fraud-scorer/configs/v6.pbtxt",
        "baselines/fraud-scorer/6/statistics.json",
    ],
)
def test_an_overwritten_triton_object_fails_promote_naming_the_key_and_both_digests(
    proj: Project, moto: Moto, key: str
) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "checked")
    published = sha256_of(aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=b"overwritten after approval")
    env_file = proj.environments_dir / "dev.yaml"
    before = env_file.read_bytes()
    with pytest.raises(PackageError) as exc:
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert exc.value.message.startswith(
        f"s3://{BUCKET}/{key} ==> checksum mismatch: the content manifest recorded sha256 {published} at publish "
        f"but the object now has {sha256_of(b'overwritten after approval')}; "
    )
    assert "the environment file was not changed" in exc.value.message
    assert env_file.read_bytes() == before


def test_a_deleted_served_object_fails_promote(proj: Project, moto: Moto) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "checked")
    aws.s3.delete_object(Bucket=BUCKET, Key=MODEL_ONNX)
    with pytest.raises(PackageError, match=f"s3://{BUCKET}/{MODEL_ONNX} ==> missing: the content manifest lists"):
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)


def test_a_rewritten_content_manifest_fails_promote(proj: Project, moto: Moto) -> None:
    """Rewriting the manifest to match a tampered object does not help: the registry holds the manifest's sha256."""
    _publish(proj, 6)
    aws = _aws(proj)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "checked")
    key = publish_mod.contents_key("fraud-scorer", 6)
    doc = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    aws.s3.put_object(Bucket=BUCKET, Key=MODEL_ONNX, Body=b"evil")
    doc["objects"][MODEL_ONNX] = sha256_of(b"evil")
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(doc).encode())
    with pytest.raises(PackageError) as exc:
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert exc.value.message.startswith(f"s3://{BUCKET}/{key} ==> checksum mismatch: the registry recorded sha256 ")


def test_promote_verifies_and_pins_when_every_object_is_intact(proj: Project, moto: Moto) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "checked")
    result = promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert (result.previous, result.version) == (7, 6)
    assert result.verified >= 5  # archive, pinned config, model.onnx, two baseline files


def test_a_version_published_without_a_content_manifest_is_backfilled_by_republishing(
    proj: Project, moto: Moto
) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    [registered] = registered_versions(aws, GROUP)
    legacy = {k: v for k, v in registered.metadata.items() if k != "content_sha256"}
    aws.sagemaker.update_model_package(  # status re-sent: moto clears fields an update omits
        ModelPackageArn=registered.arn, ModelApprovalStatus=registered.status, CustomerMetadataProperties=legacy
    )
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "checked")
    with pytest.raises(PackageError, match="was published without a content manifest"):
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    again = publish_package(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert again.registered is not None and again.registered.arn == registered.arn
    assert len(registered_versions(aws, GROUP)) == 1
    assert promote(_ref(proj), load_environment(proj, "dev"), aws, 6).version == 6


# -- (b) one registration per version: lost responses, concurrency, leftovers -------------------------------


def _lose_first_response(monkeypatch: pytest.MonkeyPatch, operation: str) -> list[str]:
    """The server handles the first `operation` request; its response is lost (a read timeout)."""
    real_send = botocore.endpoint.Endpoint._send
    lost: list[str] = []

    def send(self: Any, request: Any) -> Any:
        response = real_send(self, request)
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if target.endswith(f".{operation}") and not lost:
            lost.append(target)
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    return lost


def test_a_lost_response_after_create_model_package_registers_the_version_once(
    proj: Project, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = _lose_first_response(monkeypatch, "CreateModelPackage")
    result = _publish(proj, 7)
    assert lost == ["SageMaker.CreateModelPackage"]
    aws = _aws(proj)
    [registered] = registered_versions(aws, GROUP)
    assert result.registered is not None and result.registered.arn == registered.arn
    assert result.registered.duplicates == ()
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=publish_mod.lock_key("fraud-scorer", 7))["KeyCount"] == 0


def _atomic_conditional_puts(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 evaluates If-None-Match/If-Match and writes atomically ("Conditional writes", S3 user guide); moto
    checks then writes, so two simultaneous requests could both pass. Serialise moto's handler to match S3."""
    from moto.s3.responses import S3Response

    real_put = S3Response.put_object
    guard = threading.Lock()

    def put_object(self: Any) -> Any:
        with guard:
            return real_put(self)

    monkeypatch.setattr(S3Response, "put_object", put_object)


def test_two_concurrent_publishes_of_one_version_register_it_once(
    proj: Project, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    _atomic_conditional_puts(monkeypatch)
    ref = _ref(proj)
    build_package(ref, 7)
    env = load_environment(proj, "dev")
    both_checked = threading.Barrier(2, timeout=30)
    real_kms = publish_mod._bucket_kms_key

    def after_the_registry_check(*args: Any, **kwargs: Any) -> str:
        both_checked.wait()  # both publishes have seen "version 7 is not registered yet"
        return real_kms(*args, **kwargs)

    monkeypatch.setattr(publish_mod, "_bucket_kms_key", after_the_registry_check)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(publish_package(ref, env, _aws(proj), 7))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    aws = _aws(proj)
    [registered] = registered_versions(aws, GROUP)
    assert sorted(r.registered.arn for r in results) == [registered.arn, registered.arn]


def test_a_lock_left_by_a_killed_publish_is_taken_over_after_its_lease(
    proj: Project, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = _aws(proj)
    stale = {"token": "killed", "sha256": "x", "holder": "ci-runner pid 1", "expires": time.time() - 1}
    aws.s3.put_object(Bucket=BUCKET, Key=publish_mod.lock_key("fraud-scorer", 7), Body=json.dumps(stale).encode())
    result = _publish(proj, 7, aws)
    assert result.registered is not None
    assert len(registered_versions(aws, GROUP)) == 1


def test_a_live_lock_that_never_clears_fails_with_who_holds_it_and_the_fix(
    proj: Project, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish_mod, "LOCK_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(publish_mod, "LOCK_POLL_SECONDS", 0.05)
    aws = _aws(proj)
    key = publish_mod.lock_key("fraud-scorer", 7)
    live = {"token": "other", "sha256": "x", "holder": "laptop pid 42", "expires": time.time() + 3600}
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(live).encode())
    with pytest.raises(PackageError) as exc:
        _publish(proj, 7, aws)
    message = exc.value.message
    assert message.startswith(
        f"s3://{BUCKET}/{key} ==> another publish of fraud-scorer version 7 (laptop pid 42) holds the registration "
        "lock until "
    )
    assert f"aws s3api delete-object --bucket {BUCKET} --key {key}" in message
    assert registered_versions(aws, GROUP) == []


def _duplicate(aws: Aws) -> str:
    """Register the published version a second time, as a lost response used to."""
    [first] = _packages(aws)
    return str(
        aws.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification=first["InferenceSpecification"],
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties=first["CustomerMetadataProperties"],
        )["ModelPackageArn"]
    )


def test_duplicate_registrations_are_picked_deterministically_with_a_warning_and_the_fix(
    proj: Project, moto: Moto
) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    [first] = registered_versions(aws, GROUP)
    second = _duplicate(aws)
    runner = CliRunner()
    done = runner.invoke(app, ["package", "publish", "fraud-scorer", "-V", "6", "--env", "dev"])
    assert done.exit_code == 0, done.output
    warning = (
        f"warning: fraud-scorer version 6 is registered 2 times in {GROUP} with the same content; using "
        f"{first.arn} (registry version 1); delete the other registrations so each version is registered once: "
        f"aws sagemaker delete-model-package --model-package-name {second}"
    )
    assert warning in done.stderr
    done = runner.invoke(app, ["package", "approve", "fraud-scorer", "-V", "6", "--env", "dev", "--note", "ok"])
    assert done.exit_code == 0, done.output
    assert f"approved: fraud-scorer version 6 ({first.arn})" in done.stdout and warning in done.stderr
    done = runner.invoke(app, ["package", "promote", "fraud-scorer", "-V", "6", "--env", "dev"])
    assert done.exit_code == 0, done.output
    assert "now pins fraud-scorer version 6" in done.stdout and warning in done.stderr


def test_an_approved_duplicate_is_preferred_over_an_older_pending_one(proj: Project, moto: Moto) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    second = _duplicate(aws)
    aws.sagemaker.update_model_package(
        ModelPackageArn=second,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties=_packages(aws)[1]["CustomerMetadataProperties"],
    )
    result = promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert result.registered.arn == second
    assert len(result.registered.duplicates) == 1


def test_duplicates_with_different_content_stay_an_error_naming_each(proj: Project, moto: Moto) -> None:
    _publish(proj, 6)
    aws = _aws(proj)
    [first] = _packages(aws)
    meta = {**first["CustomerMetadataProperties"], "sha256": "0" * 64}
    other = aws.sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification=first["InferenceSpecification"],
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties=meta,
    )["ModelPackageArn"]
    with pytest.raises(PackageError) as exc:
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert f"{other} (sha256 {'0' * 12}" in exc.value.message
    assert "aws sagemaker delete-model-package --model-package-name" in exc.value.message

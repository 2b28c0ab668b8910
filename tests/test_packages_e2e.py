"""End to end over HTTP: a moto server on 127.0.0.1 (random port), the real `inferstack` CLI as
subprocesses, in a throwaway copy of the project (the real environments/ are never touched).

moto's backends live in this test process (`ThreadedMotoServer`), so a server stopped and started
again on the same port keeps its state: that is how "the registry went away mid-publish" is tested.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from inferstack.config.loader import Project, load_environment
from inferstack.packages.aws import Aws
from inferstack.packages.build import build_package
from inferstack.packages.errors import AwsUnavailableError
from inferstack.packages.publish import publish_package
from inferstack.packages.registry import registered_versions
from inferstack.packages.validate import resolve_package
from tests.packages_helpers import copy_project

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("inferstack"))
BUCKET = "inferstack-dev-models-123456789012-us-east-1"
GROUP = "dev-fraud-scorer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Moto:
    url: str
    port: int
    server: ThreadedMotoServer

    def client(self, service: str) -> object:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture
def moto_server() -> Iterator[Moto]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    moto = Moto(url=f"http://127.0.0.1:{port}", port=port, server=server)
    requests.post(f"{moto.url}/moto-api/reset", timeout=10)  # backends are per process: start clean
    # What the deployed ModelRegistry provides: the convention-named bucket with SSE-KMS by default.
    key = moto.client("kms").create_key()["KeyMetadata"]["Arn"]  # type: ignore[attr-defined]
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})  # type: ignore[attr-defined]
    s3.put_bucket_encryption(  # type: ignore[attr-defined]
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    yield moto
    server.stop()


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return copy_project(tmp_path)


def _env(moto: Moto, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=moto.url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        **extra,
    )
    return env


def _cli(proj: Project, moto: Moto, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], cwd=proj.root, env=_env(moto, **extra_env), capture_output=True, text=True, timeout=180
    )


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_validate_build_publish_approve_promote_and_roll_back_through_the_cli(proj: Project, moto_server: Moto) -> None:
    dev = proj.environments_dir / "dev.yaml"
    original = dev.read_text()
    assert "ok: fraud-scorer is valid" in _ok(
        _cli(proj, moto_server, "package", "validate", "model_packages/fraud-scorer")
    )
    for version in ("6", "7"):
        _ok(_cli(proj, moto_server, "package", "build", "model_packages/fraud-scorer", "--version", version))
        out = _ok(
            _cli(
                proj,
                moto_server,
                "package",
                "publish",
                "model_packages/fraud-scorer",
                "--version",
                version,
                "--env",
                "dev",
            )
        )
        assert f"bucket {BUCKET} (naming convention" in out
        assert "PendingManualApproval" in out

    s3 = moto_server.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}  # type: ignore[attr-defined]
    assert {"models/fraud-scorer/6/model.tar.gz", "models/fraud-scorer/7/model.tar.gz"} <= keys
    sm = moto_server.client("sagemaker")
    summaries = sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]  # type: ignore[attr-defined]
    assert [s["ModelApprovalStatus"] for s in summaries] == ["PendingManualApproval"] * 2

    out = _ok(
        _cli(
            proj,
            moto_server,
            "package",
            "approve",
            "fraud-scorer",
            "--version",
            "6",
            "--env",
            "dev",
            "--note",
            "rollback drill",
        )
    )
    assert out.startswith("approved: fraud-scorer version 6")
    out = _ok(_cli(proj, moto_server, "package", "promote", "fraud-scorer", "--version", "6", "--env", "dev"))
    assert out.splitlines()[0] == (
        "rollback: environments/dev.yaml now pins fraud-scorer version 6 (was 7); sha256 of 5 served objects "
        "verified"  # archive, configs/v6.pbtxt, 6/model.onnx, the two drift baseline files
    )
    assert dev.read_text() == original.replace(
        "  - model: fraud-scorer\n    version: 7\n", "  - model: fraud-scorer\n    version: 6\n"
    )
    statuses = {
        s["ModelPackageArn"].rsplit("/", 1)[1]: s["ModelApprovalStatus"]
        for s in sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]  # type: ignore[attr-defined]
    }
    assert statuses == {"1": "Approved", "2": "PendingManualApproval"}

    preview = _ok(_cli(proj, moto_server, "preview", "--env", "dev"))
    assert f"s3://{BUCKET}/models/fraud-scorer/6/model.tar.gz" in preview

    _ok(_cli(proj, moto_server, "package", "approve", "fraud-scorer", "--version", "7", "--env", "dev", "--note", "ok"))
    out = _ok(_cli(proj, moto_server, "package", "promote", "fraud-scorer", "--version", "7", "--env", "dev"))
    assert out.startswith("promotion: environments/dev.yaml now pins fraud-scorer version 7 (was 6)")
    assert dev.read_text() == original


def test_promote_of_an_unapproved_version_fails_with_exit_2_and_keeps_the_file(
    proj: Project, moto_server: Moto
) -> None:
    _ok(_cli(proj, moto_server, "package", "build", "fraud-scorer", "--version", "6"))
    _ok(_cli(proj, moto_server, "package", "publish", "fraud-scorer", "--version", "6", "--env", "dev"))
    before = (proj.environments_dir / "dev.yaml").read_bytes()
    done = _cli(proj, moto_server, "package", "promote", "fraud-scorer", "--version", "6", "--env", "dev")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: model package group {GROUP} ==> fraud-scorer version 6 is PendingManualApproval, not Approved; the "
        "environment file was not changed. Approve it first: inferstack package approve fraud-scorer --version 6 "
        "--env dev --note TEXT\n"
    )
    assert (proj.environments_dir / "dev.yaml").read_bytes() == before


def test_a_tampered_artifact_is_not_promoted(proj: Project, moto_server: Moto) -> None:
    _ok(_cli(proj, moto_server, "package", "build", "fraud-scorer", "--version", "6"))
    _ok(_cli(proj, moto_server, "package", "publish", "fraud-scorer", "--version", "6", "--env", "dev"))
    _ok(_cli(proj, moto_server, "package", "approve", "fraud-scorer", "--version", "6", "--env", "dev", "--note", "ok"))
    moto_server.client("s3").put_object(Bucket=BUCKET, Key="models/fraud-scorer/6/model.tar.gz", Body=b"evil")  # type: ignore[attr-defined]
    before = (proj.environments_dir / "dev.yaml").read_bytes()
    done = _cli(proj, moto_server, "package", "promote", "fraud-scorer", "--version", "6", "--env", "dev")
    assert done.returncode == 2
    assert (
        f"error: s3://{BUCKET}/models/fraud-scorer/6/model.tar.gz ==> checksum mismatch: the registry recorded"
        in done.stderr
    )
    assert (proj.environments_dir / "dev.yaml").read_bytes() == before


def test_republishing_changed_content_under_the_same_version_is_refused(proj: Project, moto_server: Moto) -> None:
    _ok(_cli(proj, moto_server, "package", "build", "fraud-scorer", "--version", "7"))
    _ok(_cli(proj, moto_server, "package", "publish", "fraud-scorer", "--version", "7", "--env", "dev"))
    onnx = proj.packages_dir / "fraud-scorer/triton/fraud-scorer/7/model.onnx"
    onnx.write_bytes((proj.packages_dir / "fraud-scorer/triton/fraud-scorer/6/model.onnx").read_bytes())
    _ok(_cli(proj, moto_server, "package", "build", "fraud-scorer", "--version", "7"))
    done = _cli(proj, moto_server, "package", "publish", "fraud-scorer", "--version", "7", "--env", "dev")
    assert done.returncode == 2
    assert "fraud-scorer version 7 is already registered" in done.stderr
    assert "a published version is immutable" in done.stderr
    sm = moto_server.client("sagemaker")
    assert len(sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1  # type: ignore[attr-defined]


def test_an_unreachable_registry_endpoint_fails_cleanly_and_a_rerun_completes(proj: Project, moto_server: Moto) -> None:
    dead = _free_port()  # nothing listens here: the SageMaker endpoint is down
    _ok(_cli(proj, moto_server, "package", "build", "fraud-scorer", "--version", "7"))
    done = _cli(
        proj,
        moto_server,
        "package",
        "publish",
        "fraud-scorer",
        "--version",
        "7",
        "--env",
        "dev",
        AWS_ENDPOINT_URL_SAGEMAKER=f"http://127.0.0.1:{dead}",
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: reading model package group dev-fraud-scorer ==> AWS is unreachable")
    assert "Traceback" not in done.stderr and "testing" not in done.stderr  # no stack trace, no secret
    out = _ok(_cli(proj, moto_server, "package", "publish", "fraud-scorer", "--version", "7", "--env", "dev"))
    assert "PendingManualApproval" in out


def test_the_registry_going_away_between_upload_and_registration_loses_nothing(
    proj: Project, moto_server: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 stays on the main server; SageMaker talks to a second server that is stopped right after the upload."""
    from botocore.config import Config

    monkeypatch.setattr("inferstack.packages.aws.stack_output", lambda stack, name: None)
    registry_port = _free_port()
    registry = ThreadedMotoServer(ip_address="127.0.0.1", port=registry_port, verbose=False)
    registry.start()
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2)

    def client(service: str, url: str) -> object:
        return boto3.client(
            service,
            endpoint_url=url,
            region_name="us-east-1",
            config=config,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    registry_url = f"http://127.0.0.1:{registry_port}"
    aws = Aws(
        region="us-east-1",
        s3=client("s3", moto_server.url),
        sagemaker=client("sagemaker", registry_url),
        sts=client("sts", moto_server.url),
    )
    ref = resolve_package(proj, "fraud-scorer")
    env = load_environment(proj, "dev")
    build_package(ref, 7)
    real_upload = aws.s3.upload_file  # type: ignore[attr-defined]

    def upload_then_stop_registry(*args: object, **kwargs: object) -> None:
        real_upload(*args, **kwargs)
        registry.stop()  # the registry endpoint goes away right after the artifact landed

    aws.s3.upload_file = upload_then_stop_registry  # type: ignore[attr-defined]
    with pytest.raises(AwsUnavailableError) as exc:
        publish_package(ref, env, aws, 7)
    message = exc.value.message
    assert message.startswith("registering fraud-scorer version 7 in model package group dev-fraud-scorer ==> AWS is ")
    assert message.endswith(
        "rerun the same publish command: it skips the upload and registers the version unless the registry already "
        "has it"
    )
    head = aws.s3.head_object(Bucket=BUCKET, Key="models/fraud-scorer/7/model.tar.gz")  # type: ignore[attr-defined]
    assert head["Metadata"]["sha256"] in message  # the upload is kept and named

    registry = ThreadedMotoServer(ip_address="127.0.0.1", port=registry_port, verbose=False)
    registry.start()  # same process, same backends
    try:
        aws.s3.upload_file = real_upload  # type: ignore[attr-defined]
        assert registered_versions(aws, GROUP) == []  # nothing half-registered
        rerun = publish_package(ref, env, aws, 7)
        assert rerun.uploaded == []  # every object was already there
        [registered] = registered_versions(aws, GROUP)
        assert registered.sha256 == rerun.sha256 == head["Metadata"]["sha256"]
    finally:
        registry.stop()

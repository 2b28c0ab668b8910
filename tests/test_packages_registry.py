"""publish / approve / promote against moto's in-process AWS (`moto.mock_aws`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from inferstack.config.loader import Project, load_environment
from inferstack.packages import aws as aws_mod
from inferstack.packages.aws import Aws, clients
from inferstack.packages.build import build_package
from inferstack.packages.errors import PackageError
from inferstack.packages.promote import promote
from inferstack.packages.publish import publish_package
from inferstack.packages.registry import approve, registered_versions
from inferstack.packages.validate import PackageRef, resolve_package
from tests.packages_helpers import copy_project

BUCKET = "inferstack-dev-models-123456789012-us-east-1"  # moto's account id, us-east-1 (dev's primary)
GROUP = "dev-fraud-scorer"


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return copy_project(tmp_path)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, proj: Project) -> Iterator[Aws]:
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(aws_mod, "stack_output", lambda stack, name: None)  # no Pulumi CLI in tests
    with mock_aws():
        # What the deployed ModelRegistry provides: a bucket with SSE-KMS default encryption.
        key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        yield clients(load_environment(proj, "dev"))


def _ref(proj: Project) -> PackageRef:
    return resolve_package(proj, "fraud-scorer")


def _publish(proj: Project, aws: Aws, version: int) -> None:
    ref = _ref(proj)
    build_package(ref, version)
    publish_package(ref, load_environment(proj, "dev"), aws, version)


def test_publish_uploads_with_sse_kms_and_registers_a_pending_version(proj: Project, aws: Aws) -> None:
    ref = _ref(proj)
    built = build_package(ref, 7)
    result = publish_package(ref, load_environment(proj, "dev"), aws, 7)
    head = aws.s3.head_object(Bucket=BUCKET, Key="models/fraud-scorer/7/model.tar.gz")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert head["Metadata"]["sha256"] == built.sha256
    body = aws.s3.get_object(Bucket=BUCKET, Key="models/fraud-scorer/7/model.tar.gz")["Body"].read()
    assert body == built.path.read_bytes()
    [registered] = registered_versions(aws, GROUP)
    assert registered.status == "PendingManualApproval"
    assert registered.model_data_url == f"s3://{BUCKET}/models/fraud-scorer/7/model.tar.gz"
    assert registered.metadata["sha256"] == built.sha256
    assert registered.metadata["manifest_version"] == "7"
    assert "source_commit" in registered.metadata
    described = aws.sagemaker.describe_model_package(ModelPackageName=registered.arn)
    [container] = described["InferenceSpecification"]["Containers"]
    assert container["Image"].endswith(".amazonaws.com/sagemaker-tritonserver:24.09-py3")
    assert container["Environment"] == {"SAGEMAKER_TRITON_DEFAULT_MODEL_NAME": "fraud-scorer"}
    assert result.uploaded[0] == "models/fraud-scorer/7/model.tar.gz"


def test_publish_writes_a_per_version_triton_config_for_eks(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 7)
    key = "triton/fraud-scorer/fraud-scorer/configs/v7.pbtxt"
    text = aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert text.endswith("version_policy: { specific: { versions: [ 7 ] } }\n")
    model = aws.s3.head_object(Bucket=BUCKET, Key="triton/fraud-scorer/fraud-scorer/7/model.onnx")
    assert model["ServerSideEncryption"] == "aws:kms"


def test_republishing_the_same_version_and_content_changes_nothing(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 7)
    before = aws.s3.list_object_versions(Bucket=BUCKET)["Versions"]
    again = publish_package(_ref(proj), load_environment(proj, "dev"), aws, 7)
    assert again.unchanged and again.uploaded == []
    assert len(registered_versions(aws, GROUP)) == 1
    assert aws.s3.list_object_versions(Bucket=BUCKET)["Versions"] == before


def test_republishing_a_version_with_different_content_is_refused_and_keeps_the_original(
    proj: Project, aws: Aws
) -> None:
    _publish(proj, aws, 7)
    [original] = registered_versions(aws, GROUP)
    ref = _ref(proj)
    config = ref.model_dir / "config.pbtxt"
    config.write_text(config.read_text().replace("count: 1", "count: 2"))
    (proj.packages_dir / "fraud-scorer/model.yaml").write_text(
        (proj.packages_dir / "fraud-scorer/model.yaml").read_text().replace("count: 1}", "count: 2}")
    )
    ref = _ref(proj)  # re-read the edited manifest: build and publish validate the package first
    build_package(ref, 7)
    with pytest.raises(PackageError) as exc:
        publish_package(ref, load_environment(proj, "dev"), aws, 7)
    assert exc.value.message.startswith(
        f"model package group {GROUP} ==> fraud-scorer version 7 is already registered ({original.arn}, "
        f"PendingManualApproval) with sha256 {original.sha256}, but this build has sha256 "
    )
    assert exc.value.message.endswith(
        "a published version is immutable: put the change in a new version directory and publish that version"
    )
    assert registered_versions(aws, GROUP) == [original]
    head = aws.s3.head_object(Bucket=BUCKET, Key="models/fraud-scorer/7/model.tar.gz")
    assert head["Metadata"]["sha256"] == original.sha256


def test_publish_refuses_a_bucket_without_kms_default_encryption(proj: Project, aws: Aws) -> None:
    aws.s3.create_bucket(Bucket="plain-bucket")
    ref = _ref(proj)
    build_package(ref, 7)
    with pytest.raises(PackageError) as exc:
        publish_package(ref, load_environment(proj, "dev"), aws, 7, bucket="plain-bucket")
    assert exc.value.message == (
        "s3://plain-bucket ==> has no SSE-KMS default encryption with a customer key; deploy the stack's "
        "ModelRegistry (which sets it) or pass --kms-key-id KEY_ARN"
    )
    assert registered_versions(aws, GROUP) == []


def test_approve_records_the_note_and_the_approver(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 7)
    result = approve(aws, GROUP, "fraud-scorer", 7, "dev", "shadow traffic ok, TICKET-1")
    assert result.changed
    assert result.version.status == "Approved"
    assert result.version.approval_description == (f"shadow traffic ok, TICKET-1 (approved by {result.approver})")


def test_promote_of_an_unapproved_version_is_refused_and_leaves_the_environment_file(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 6)
    env_file = proj.environments_dir / "dev.yaml"
    before = env_file.read_bytes()
    with pytest.raises(PackageError) as exc:
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert exc.value.message == (
        f"model package group {GROUP} ==> fraud-scorer version 6 is PendingManualApproval, not Approved; the "
        "environment file was not changed. Approve it first: inferstack package approve fraud-scorer --version 6 "
        "--env dev --note TEXT"
    )
    assert env_file.read_bytes() == before


def test_promote_pins_the_version_changing_only_that_line(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 6)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "rollback drill")
    env_file = proj.environments_dir / "dev.yaml"
    before = env_file.read_text()
    result = promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert (result.previous, result.version, result.rollback) == (7, 6, True)
    after = env_file.read_text()
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith(("+ ", "- "))]
    assert changed == ["-     version: 7", "+     version: 6"]
    assert next(d for d in load_environment(proj, "dev").deployments if d.model == "fraud-scorer").version == 6


def test_promote_refuses_an_artifact_whose_sha256_changed_after_approval(proj: Project, aws: Aws) -> None:
    _publish(proj, aws, 6)
    approve(aws, GROUP, "fraud-scorer", 6, "dev", "ok")
    aws.s3.put_object(Bucket=BUCKET, Key="models/fraud-scorer/6/model.tar.gz", Body=b"tampered")
    env_file = proj.environments_dir / "dev.yaml"
    before = env_file.read_bytes()
    with pytest.raises(PackageError, match="==> checksum mismatch: the registry recorded sha256 "):
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert env_file.read_bytes() == before


def test_promote_of_an_unpublished_version_says_how_to_publish_it(proj: Project, aws: Aws) -> None:
    with pytest.raises(PackageError) as exc:
        promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert exc.value.message == (
        f"model package group {GROUP} ==> fraud-scorer version 6 is not published in dev (published: none); run: "
        "inferstack package publish model_packages/fraud-scorer --version 6 --env dev"
    )

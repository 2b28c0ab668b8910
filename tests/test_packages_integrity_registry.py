"""Issue 13 class 12 against moto's in-process AWS: promote verifies every served object by content, the
registry never holds a version twice after lost responses, and promote keeps the environment file's bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from inferstack.config.loader import Project, load_environment
from inferstack.packages import aws as aws_mod
from inferstack.packages.aws import Aws, clients
from inferstack.packages.build import build_package
from inferstack.packages.promote import promote
from inferstack.packages.publish import publish_package
from inferstack.packages.registry import approve
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
        yield clients(load_environment(proj, "dev"))


def _ref(proj: Project) -> PackageRef:
    return resolve_package(proj, "fraud-scorer")


def _publish_and_approve(proj: Project, aws: Aws, version: int) -> None:
    ref = _ref(proj)
    build_package(ref, version)
    publish_package(ref, load_environment(proj, "dev"), aws, version)
    approve(aws, GROUP, "fraud-scorer", version, "dev", "checked")


# -- (c) promote keeps the environment file's bytes ---------------------------------------------------------


def test_promote_keeps_crlf_line_endings_and_changes_only_the_version_token(proj: Project, aws: Aws) -> None:
    _publish_and_approve(proj, aws, 6)
    env_file = proj.environments_dir / "dev.yaml"
    lf = env_file.read_bytes()
    assert b"\r" not in lf
    crlf = lf.replace(b"\n", b"\r\n")
    env_file.write_bytes(crlf)
    result = promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert (result.previous, result.version) == (7, 6)
    after = env_file.read_bytes()
    # Exactly one token changed: the fraud-scorer deployment's `version: 7`; every \r\n is kept.
    line = next(i for i, row in enumerate(crlf.split(b"\r\n")) if row.strip() == b"version: 7")
    expected = crlf.split(b"\r\n")
    expected[line] = expected[line].replace(b"7", b"6")
    assert after == b"\r\n".join(expected)
    assert after.count(b"\r\n") == crlf.count(b"\r\n") and after.count(b"\n") == crlf.count(b"\n")
    assert next(d for d in load_environment(proj, "dev").deployments if d.model == "fraud-scorer").version == 6


def test_promote_keeps_a_file_without_a_final_newline_and_odd_spacing_byte_for_byte(proj: Project, aws: Aws) -> None:
    _publish_and_approve(proj, aws, 6)
    env_file = proj.environments_dir / "dev.yaml"
    original = env_file.read_bytes()
    assert b"    version: 7\n" in original
    odd = original.replace(b"    version: 7\n", b"    version:    7   # pinned by promote\r\n").rstrip(b"\n")
    env_file.write_bytes(odd)
    promote(_ref(proj), load_environment(proj, "dev"), aws, 6)
    assert env_file.read_bytes() == odd.replace(b"version:    7   #", b"version:    6   #")

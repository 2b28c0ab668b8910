"""The drift schedule reads a baseline that `package publish` wrote, in Model Monitor's format (issue 14, item 5)."""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from inferstack.artifacts import baseline_prefix
from inferstack.config.loader import Project, load_environment
from inferstack.packages import aws as aws_mod
from inferstack.packages.aws import Aws, clients
from inferstack.packages.baseline import model_monitor_baseline
from inferstack.packages.build import build_package
from inferstack.packages.errors import PackageError
from inferstack.packages.publish import publish_package
from inferstack.packages.validate import resolve_package, validate_package
from tests.conftest import ROOT
from tests.packages_helpers import copy_project
from tests.test_serving_sagemaker import run_endpoint

BUCKET = "inferstack-dev-models-123456789012-us-east-1"


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    return copy_project(tmp_path)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, proj: Project) -> Iterator[Aws]:
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(aws_mod, "stack_output", lambda stack, name: None)
    with mock_aws():
        key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
            },
        )
        yield clients(load_environment(proj, "dev"))


def _population() -> list[list[float]]:
    with (ROOT / "model_packages/fraud-scorer/drift_baseline.csv").open() as f:
        return [[float(v) for v in row] for row in csv.reader(f)]


def test_publish_writes_statistics_and_constraints_where_the_job_definition_reads_them(proj: Project, aws: Aws) -> None:
    ref = resolve_package(proj, "fraud-scorer")
    build_package(ref, 7)
    result = publish_package(ref, load_environment(proj, "dev"), aws, 7)
    prefix = baseline_prefix("fraud-scorer", 7)
    assert {f"{prefix}statistics.json", f"{prefix}constraints.json"} <= set(result.uploaded)
    stats = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=f"{prefix}statistics.json")["Body"].read())
    constraints = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=f"{prefix}constraints.json")["Body"].read())
    head = aws.s3.head_object(Bucket=BUCKET, Key=f"{prefix}statistics.json")
    assert head["ServerSideEncryption"] == "aws:kms"
    # The same key the SageMakerEndpoint's data-quality job definition names (stacks/serving.py).
    job = run_endpoint().one("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition").inputs
    assert job["dataQualityBaselineConfig"]["statisticsResource"]["s3Uri"].endswith(f"/{prefix}statistics.json")
    assert stats["dataset"]["item_count"] == 1000
    assert [f["name"] for f in stats["features"]] == [f"_c{i}" for i in range(16)]
    assert [f["name"] for f in constraints["features"]] == [f"_c{i}" for i in range(16)]


def test_statistics_are_computed_from_the_baseline_population() -> None:
    rows = _population()
    stats = json.loads(model_monitor_baseline(rows).statistics)
    first = stats["features"][0]["numerical_statistics"]
    column = [r[0] for r in rows]
    assert first["common"] == {"num_present": 1000, "num_missing": 0}
    assert first["mean"] == pytest.approx(statistics.fmean(column))
    assert first["std_dev"] == pytest.approx(statistics.pstdev(column))
    assert (first["min"], first["max"]) == (min(column), max(column))
    assert first["sum"] == pytest.approx(math.fsum(column))
    kll = first["distribution"]["kll"]
    assert sum(b["count"] for b in kll["buckets"]) == 1000
    assert kll["sketch"]["data"] == [sorted(column)]  # exact: 1000 values fit one level of k=2048
    # The summary committed next to it agrees (computed by scripts/generate_models.py from the same rows).
    summary = json.loads((ROOT / "model_packages/fraud-scorer/drift_baseline.json").read_text())
    assert first["mean"] == pytest.approx(summary["mean"][0], abs=1e-5)


def test_constraints_flag_negative_values_only_where_the_baseline_has_none() -> None:
    constraints = json.loads(model_monitor_baseline([[0.5, -1.0], [1.5, 2.0]]).constraints)
    assert [f["num_constraints"]["is_non_negative"] for f in constraints["features"]] == [True, False]
    assert constraints["monitoring_config"]["evaluate_constraints"] == "Enabled"


def test_a_baseline_row_of_the_wrong_width_is_refused_by_validate(proj: Project) -> None:
    path = proj.packages_dir / "fraud-scorer/drift_baseline.csv"
    lines = path.read_text().splitlines()
    lines[4] = ",".join(lines[4].split(",")[:15])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PackageError, match=r"drift_baseline.csv:5 ==> has 15 values but the input has 16"):
        validate_package(resolve_package(proj, "fraud-scorer"), deep=False)


def test_capture_without_a_baseline_creates_no_drift_schedule() -> None:
    rec = run_endpoint(baseline_s3_prefix=None)
    assert rec.all("aws:sagemaker/monitoringSchedule:MonitoringSchedule") == []
    assert rec.all("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition") == []
    config = rec.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    assert config["dataCaptureConfig"]["enableCapture"] is True  # capture still on

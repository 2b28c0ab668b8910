"""ModelRegistry and ModelArtifactReplication under the recording mocks, plus the stack wiring in prod."""

from __future__ import annotations

import json

import pytest

from inferstack.components.model_registry import ModelArtifactReplication, ModelRegistry
from tests.conftest import Recorded, preview_of, run_components

KEY = "arn:aws:kms:us-east-1:123456789012:key/primary"
TAGS = {"owner": "ml-platform", "environment": "dev"}


def _registry(**extra: object) -> Recorded:
    def build() -> None:
        ModelRegistry(
            "reg",
            {
                "kms_key_arn": KEY,
                "bucket_name": "inferstack-dev-models-123456789012-us-east-1",
                "package_groups": {"fraud-scorer": "dev-fraud-scorer", "text-embedder": "dev-text-embedder"},
                "ecr_repository_name": "inferstack/dev/serving",
                "tags": TAGS,
                **extra,  # type: ignore[typeddict-item]
            },
        )

    return run_components(build)


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return _registry()


def test_bucket_encrypts_with_the_given_kms_key_and_a_bucket_key(recorded: Recorded) -> None:
    rule = recorded.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    [only] = rule.inputs["rules"]
    assert only["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert only["bucketKeyEnabled"] is True


def test_bucket_blocks_every_kind_of_public_access(recorded: Recorded) -> None:
    block = recorded.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {f: block.inputs[f] for f in flags} == dict.fromkeys(flags, True)


def test_bucket_policy_denies_requests_without_tls(recorded: Recorded) -> None:
    policy = json.loads(recorded.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Action"] == "s3:*"


def test_bucket_is_versioned_owner_enforced_and_not_force_destroyed(recorded: Recorded) -> None:
    assert recorded.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    ownership = recorded.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert recorded.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is False


def test_lifecycle_expires_noncurrent_versions_and_aborts_incomplete_uploads(recorded: Recorded) -> None:
    rules = recorded.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert by_id["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_ecr_repository_is_immutable_scanned_and_kms_encrypted(recorded: Recorded) -> None:
    repo = recorded.one("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY}]
    lifecycle = json.loads(recorded.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]


def test_one_model_package_group_per_model(recorded: Recorded) -> None:
    groups = recorded.all("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert sorted(g.inputs["modelPackageGroupName"] for g in groups) == ["dev-fraud-scorer", "dev-text-embedder"]


def test_children_are_parented_and_taggable_children_carry_the_tags(recorded: Recorded) -> None:
    component = recorded.one("inferstack:index:ModelRegistry")
    children = recorded.children_of(component)
    assert len(children) == len(recorded.resources) - 1
    taggable = [
        c
        for c in children
        if c.type in ("aws:s3/bucket:Bucket", "aws:ecr/repository:Repository")
        or c.type == "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
    ]
    assert len(taggable) == 4
    assert all(c.inputs["tags"] == TAGS for c in taggable)


def test_no_ecr_repository_when_none_is_named() -> None:
    recorded = _registry(ecr_repository_name=None, package_groups={})
    assert recorded.all("aws:ecr/repository:Repository") == []
    assert recorded.all("aws:sagemaker/modelPackageGroup:ModelPackageGroup") == []


def test_fails_on_an_invalid_package_group_name() -> None:
    with pytest.raises(ValueError, match=r"package_groups\['x'\]='bad_name!' is not a valid model package group name"):
        _registry(package_groups={"x": "bad_name!"})


def test_fails_when_noncurrent_version_days_is_out_of_range() -> None:
    with pytest.raises(ValueError, match="noncurrent_version_days=0 is outside 1-3650; pick a value in that range"):
        _registry(noncurrent_version_days=0)


def test_replication_role_reads_the_source_and_writes_replicas_with_the_destination_key() -> None:
    def build() -> None:
        ModelArtifactReplication(
            "repl",
            {
                "source_bucket_name": "src",
                "source_bucket_arn": "arn:aws:s3:::src",
                "source_kms_key_arn": KEY,
                "destination_bucket_arn": "arn:aws:s3:::dst",
                "destination_kms_key_arn": "arn:aws:kms:us-west-2:123456789012:key/secondary",
                "tags": TAGS,
            },
        )

    recorded = run_components(build)
    config = recorded.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    [rule] = config.inputs["rules"]
    assert rule["destination"]["bucket"] == "arn:aws:s3:::dst"
    assert rule["destination"]["encryptionConfiguration"] == {
        "replicaKmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/secondary"
    }
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    policy = json.loads(recorded.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    resources = {s["Sid"]: s["Resource"] for s in policy["Statement"]}
    assert resources["WriteReplicas"] == "arn:aws:s3:::dst/*"
    assert resources["DecryptSource"] == KEY
    assert "*" not in resources.values()


def test_prod_replicates_primary_artifacts_to_the_secondary_bucket_and_exports_names() -> None:
    result = preview_of("prod")
    buckets = [r for r in result.resources if r.type == "aws:s3/bucket:Bucket" and r.name.startswith("model-registry")]
    assert sorted(b.inputs["bucket"] for b in buckets) == [
        "inferstack-prod-models-123456789012-us-east-1",
        "inferstack-prod-models-123456789012-us-west-2",
    ]
    [config] = [r for r in result.resources if r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig"]
    assert config.inputs["bucket"] == "inferstack-prod-models-123456789012-us-east-1"
    groups = [r for r in result.resources if r.type == "aws:sagemaker/modelPackageGroup:ModelPackageGroup"]
    assert len(groups) == 2  # primary region only
    assert result.outputs["model_bucket"] == "inferstack-prod-models-123456789012-us-east-1"
    assert result.outputs["model_package_groups"] == {
        "fraud-scorer": "prod-fraud-scorer",
        "text-embedder": "prod-text-embedder",
    }

"""ModelRegistry: where model artifacts and serving images live in one region; ModelArtifactReplication
copies the primary region's artifacts to a secondary region's bucket."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

_GROUP_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class ModelRegistryArgs(TypedDict):
    kms_key_arn: pulumi.Input[str]
    """Customer-managed KMS key for the bucket (SSE-KMS with an S3 bucket key) and the ECR repository."""
    bucket_name: NotRequired[pulumi.Input[str]]
    """Explicit bucket name (the package CLI derives it by convention); checked when a plain string.
    Default: Pulumi auto-naming."""
    package_groups: NotRequired[Mapping[str, str]]
    """Model name -> SageMaker Model Package Group name. Default: {} (no groups, e.g. a secondary region)."""
    package_group_descriptions: NotRequired[Mapping[str, str]]
    """Model name -> group description. Default: "<model> model package versions"."""
    ecr_repository_name: NotRequired[str | None]
    """ECR repository for custom serving images; None skips it. Default: None."""
    noncurrent_version_days: NotRequired[int]
    """Days a replaced or deleted artifact version is kept before expiry (1-3650). Default: 90."""
    abort_incomplete_upload_days: NotRequired[int]
    """Days before an unfinished multipart upload is aborted (1-30). Default: 7."""
    untagged_image_days: NotRequired[int]
    """Days an untagged ECR image is kept (1-365). Default: 14."""
    max_tagged_images: NotRequired[int]
    """Most tagged ECR images kept; older ones expire (10-1000). Default: 100."""
    force_destroy: NotRequired[bool]
    """Let `pulumi destroy` delete a bucket that still holds artifacts. Default: False."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class ModelRegistry(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS, TLS-only artifact bucket; an immutable, scanned, KMS-encrypted ECR
    repository; and one SageMaker Model Package Group per model.

    Bucket policy denies any request without TLS; all four public access blocks are on; object
    ownership is BucketOwnerEnforced (no ACLs); replaced versions expire after `noncurrent_version_days`
    and unfinished multipart uploads are aborted.
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    ecr_repository_url: pulumi.Output[str] | None
    package_group_names: dict[str, pulumi.Output[str]]
    versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:ModelRegistry", name, None, opts)
        groups = dict(args.get("package_groups", {}))
        descriptions = dict(args.get("package_group_descriptions", {}))
        bucket_name = args.get("bucket_name")
        noncurrent_days = args.get("noncurrent_version_days", 90)
        abort_days = args.get("abort_incomplete_upload_days", 7)
        untagged_days = args.get("untagged_image_days", 14)
        max_images = args.get("max_tagged_images", 100)
        repo_name = args.get("ecr_repository_name")
        tags = dict(args.get("tags", {}))
        _check_range(name, "noncurrent_version_days", noncurrent_days, 1, 3650)
        _check_range(name, "abort_incomplete_upload_days", abort_days, 1, 30)
        _check_range(name, "untagged_image_days", untagged_days, 1, 365)
        _check_range(name, "max_tagged_images", max_images, 10, 1000)
        if isinstance(bucket_name, str) and not _BUCKET_RE.fullmatch(bucket_name):
            raise ValueError(
                f"ModelRegistry {name!r}: bucket_name={bucket_name!r} is not a valid S3 bucket name; use 3-63 "
                "lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit"
            )
        for model, group in groups.items():
            if not _GROUP_RE.fullmatch(group):
                raise ValueError(
                    f"ModelRegistry {name!r}: package_groups[{model!r}]={group!r} is not a valid model package group "
                    "name; use 1-63 letters, digits and hyphens, starting and ending with a letter or digit"
                )
        child = pulumi.ResourceOptions(parent=self)

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            force_destroy=args.get("force_destroy", False),
            tags=tags,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args["kms_key_arn"],
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": abort_days},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(tls_only_policy(arn))),
            # S3 rejects policies while the public access block is being applied; order them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
        )

        self.ecr_repository_url = None
        if repo_name is not None:
            repo = aws.ecr.Repository(
                f"{name}-images",
                name=repo_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": args["kms_key_arn"]}],
                force_delete=False,
                tags=tags,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-images-lifecycle",
                repository=repo.name,
                policy=json.dumps(ecr_lifecycle_policy(untagged_days, max_images)),
                opts=child,
            )
            self.ecr_repository_url = repo.repository_url

        self.package_group_names = {}
        for model in sorted(groups):
            group = aws.sagemaker.ModelPackageGroup(
                f"{name}-{model}",
                model_package_group_name=groups[model],
                model_package_group_description=descriptions.get(model, f"{model} model package versions"),
                tags=tags,
                opts=child,
            )
            self.package_group_names[model] = group.model_package_group_name

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "ecr_repository_url": self.ecr_repository_url,
                "package_group_names": self.package_group_names,
            }
        )


class ModelArtifactReplicationArgs(TypedDict):
    source_bucket_name: pulumi.Input[str]
    """Primary region's artifact bucket (versioned)."""
    source_bucket_arn: pulumi.Input[str]
    """Its ARN."""
    source_kms_key_arn: pulumi.Input[str]
    """Key the source objects are encrypted with (replication decrypts with it)."""
    destination_bucket_arn: pulumi.Input[str]
    """Secondary region's artifact bucket (versioned)."""
    destination_kms_key_arn: pulumi.Input[str]
    """Key replicas are encrypted with in the destination region."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class ModelArtifactReplication(pulumi.ComponentResource):
    """S3 replication of every artifact (SSE-KMS objects included, deletes replicated as markers) from the
    primary region's bucket to the secondary's, through a role limited to those two buckets and keys.

    Create it with the source region's provider, after both buckets' versioning (pass it in
    `opts.depends_on`).
    """

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ModelArtifactReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("inferstack:index:ModelArtifactReplication", name, None, opts)
        tags = dict(args.get("tags", {}))
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=pulumi.Output.all(account, args["source_bucket_arn"]).apply(
                lambda v: json.dumps(replication_trust(str(v[0]), str(v[1])))
            ),
            description="S3 replication of model artifacts to the secondary region",
            tags=tags,
            opts=child,
        )
        policy = pulumi.Output.all(
            args["source_bucket_arn"],
            args["destination_bucket_arn"],
            args["source_kms_key_arn"],
            args["destination_kms_key_arn"],
        ).apply(lambda v: json.dumps(replication_policy(v[0], v[1], v[2], v[3])))
        role_policy = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)
        aws.s3.BucketReplicationConfig(
            f"{name}-config",
            bucket=args["source_bucket_name"],
            role=role.arn,
            rules=[
                {
                    "id": "models-to-secondary",
                    "status": "Enabled",
                    "priority": 1,
                    "filter": {},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": args["destination_bucket_arn"],
                        "storage_class": "STANDARD",
                        "encryption_configuration": {"replica_kms_key_id": args["destination_kms_key_arn"]},
                    },
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})


def _check_range(name: str, field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"ModelRegistry {name!r}: {field}={value} is outside {low}-{high}; pick a value in that range")


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request that does not use TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def ecr_lifecycle_policy(untagged_days: int, max_tagged: int) -> dict[str, Any]:
    """Expire untagged images after `untagged_days`; keep the newest `max_tagged` tagged images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"expire untagged images after {untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the newest {max_tagged} tagged images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": max_tagged},
                "action": {"type": "expire"},
            },
        ]
    }


def replication_trust(account: str, source_bucket_arn: str) -> dict[str, Any]:
    """S3 may assume the role only for this account's source bucket (confused deputy).

    A bucket ARN holds no account, so aws:SourceAccount and aws:SourceArn go together (IAM User Guide, "The
    confused deputy problem"). `...IfExists` because the S3 replication guide's trust example (read 2026-12-02)
    shows no condition, so it is not documented that S3 sets the keys on this AssumeRole: a request naming
    another account or bucket is refused, and replication cannot be locked out if S3 omits them.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEqualsIfExists": {"aws:SourceAccount": account},
                    "ArnLikeIfExists": {"aws:SourceArn": source_bucket_arn},
                },
            }
        ],
    }


def replication_policy(source_arn: str, dest_arn: str, source_key: str, dest_key: str) -> dict[str, Any]:
    """Least privilege for S3 replication between two buckets with SSE-KMS on both sides."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source_arn,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": f"{source_arn}/*",
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": f"{dest_arn}/*",
            },
            {"Sid": "DecryptSource", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key},
            {
                "Sid": "EncryptReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": dest_key,
            },
        ],
    }

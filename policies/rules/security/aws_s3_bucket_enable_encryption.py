"""S3 buckets have default SSE-KMS encryption (CKV_AWS_19/145). Stack rule: joins the v7 side resource."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, attached, effective_config, get, items, stack_policy

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_19", "CKV_AWS_145"))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    require_kms = bool(effective_config(args, POLICY.config_schema, META)["require_kms"])
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        algorithms = [
            str(get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm", default=""))
            for side in attached(args.resources, bucket, SSE)
            for rule in items(get(side.props, "rules"))
        ]
        if not algorithms:
            report_violation(
                f"S3 bucket {bucket.name!r} has no BucketServerSideEncryptionConfiguration; add one with "
                "sseAlgorithm 'aws:kms' and the environment key",
                bucket.urn,
            )
        elif require_kms and not any(a.startswith("aws:kms") for a in algorithms):
            report_violation(
                f"S3 bucket {bucket.name!r} encrypts with {algorithms} instead of KMS; use sseAlgorithm 'aws:kms' "
                "with the environment key",
                bucket.urn,
            )


POLICY = stack_policy(
    name="aws-s3-bucket-enable-encryption",
    description="S3 buckets have default server-side encryption with a KMS key.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketServerSideEncryptionConfiguration (sse_algorithm='aws:kms') for the bucket.",
    validate=validate,
    config={"require_kms": {"type": "boolean", "default": True}},
)

"""S3 buckets block all public access (CKV2_AWS_6, Security Hub S3.8). Stack rule over the v7 side resource."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, attached, get, stack_policy

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV2_AWS_6", "FSBP S3.8"))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        blocks = attached(args.resources, bucket, PAB)
        if not blocks:
            report_violation(
                f"S3 bucket {bucket.name!r} has no BucketPublicAccessBlock; add one with all four flags true",
                bucket.urn,
            )
            continue
        if any(all(get(b.props, f) is True for f in FLAGS) for b in blocks):
            continue
        off = [f for f in FLAGS if get(blocks[0].props, f) is not True]
        report_violation(
            f"S3 bucket {bucket.name!r} public access block leaves {off} off; set all four flags to true",
            bucket.urn,
        )


POLICY = stack_policy(
    name="aws-s3-bucket-enable-public-access-block",
    description="S3 buckets have a public access block with all four settings enabled.",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Add aws.s3.BucketPublicAccessBlock with block/ignore/restrict flags all True.",
    validate=validate,
)

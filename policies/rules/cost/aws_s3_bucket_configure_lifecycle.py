"""S3 buckets expire or tier old objects (CKV2_AWS_61). Stack rule over the v7 lifecycle resource."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, attached, get, items, stack_policy

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
META = RuleMeta(pack="cost", levels="MAA", anchors=("CKV2_AWS_61",))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        rules = [
            rule
            for lc in attached(args.resources, bucket, LIFECYCLE)
            for rule in items(get(lc.props, "rules"))
            if get(rule, "status") == "Enabled"
        ]
        if not rules:
            report_violation(
                f"S3 bucket {bucket.name!r} has no enabled lifecycle rule; add a BucketLifecycleConfiguration that "
                "expires noncurrent versions and aborts incomplete uploads",
                bucket.urn,
            )


POLICY = stack_policy(
    name="aws-s3-bucket-configure-lifecycle",
    description="S3 buckets have an enabled lifecycle rule so old versions and uploads do not accumulate cost.",
    meta=META,
    severity=Severity.LOW,
    remediation="Add aws.s3.BucketLifecycleConfiguration with at least one Enabled rule.",
    validate=validate,
)

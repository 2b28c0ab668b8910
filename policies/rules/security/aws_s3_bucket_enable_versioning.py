"""S3 buckets keep object versions (CKV_AWS_21). Stack rule over the v7 BucketVersioning resource."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, attached, get, stack_policy

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
META = RuleMeta(pack="security", levels="AAM", anchors=("CKV_AWS_21",))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        states = [
            get(v.props, "versioningConfiguration", "status") for v in attached(args.resources, bucket, VERSIONING)
        ]
        if "Enabled" not in states:
            shown = states[0] if states else "no BucketVersioning"
            report_violation(
                f"S3 bucket {bucket.name!r} is not versioned ({shown}); add BucketVersioning with status 'Enabled'",
                bucket.urn,
            )


POLICY = stack_policy(
    name="aws-s3-bucket-enable-versioning",
    description="S3 buckets have versioning enabled so model artifacts can be recovered.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketVersioning with versioning_configuration.status='Enabled'.",
    validate=validate,
)

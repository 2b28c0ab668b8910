"""S3 bucket policies deny non-TLS requests (CKV_AWS_379, Security Hub S3.5). Stack rule over BucketPolicy."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, attached, get, items, stack_policy

BUCKET = "aws:s3/bucket:Bucket"
POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_379", "FSBP S3.5"))


def _denies_plain_http(document: Any) -> bool:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    for st in items(get(document, "Statement")):
        cond = get(st, "Condition", "Bool", "aws:SecureTransport")
        if get(st, "Effect") == "Deny" and str(cond).lower() == "false":
            return True
    return False


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in (r for r in args.resources if r.resource_type == BUCKET):
        if not any(_denies_plain_http(get(p.props, "policy")) for p in attached(args.resources, bucket, POLICY_TYPE)):
            report_violation(
                f"S3 bucket {bucket.name!r} has no bucket policy denying aws:SecureTransport=false; add a Deny "
                "statement for requests without TLS",
                bucket.urn,
            )


POLICY = stack_policy(
    name="aws-s3-bucket-enforce-tls-only",
    description="S3 bucket policies deny every request not made over TLS.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Attach a BucketPolicy with a Deny on s3:* when aws:SecureTransport is false.",
    validate=validate,
)

"""ECR tags are immutable so a pinned tag always means the same image (CKV_AWS_51)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:ecr/repository:Repository"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_51",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    mutability = get(args.props, "imageTagMutability", default="MUTABLE")
    if not str(mutability).startswith("IMMUTABLE"):
        report_violation(
            f"ECR repository {args.name!r} has {mutability} tags; set imageTagMutability='IMMUTABLE'", None
        )


POLICY = resource_policy(
    name="aws-ecr-repository-enable-immutable-tags",
    description="ECR repositories have immutable image tags.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set image_tag_mutability='IMMUTABLE'.",
    validate=validate,
)

"""SageMaker model images come from ECR (private registry), not public registries."""

from __future__ import annotations

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:sagemaker/model:Model"
ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    containers = [c for c in [get(args.props, "primaryContainer"), *items(get(args.props, "containers"))] if c]
    if not containers:
        report_violation(f"SageMaker model {args.name!r} declares no container image; set primaryContainer.image", None)
        return
    for c in containers:
        image = get(c, "image")
        if image is None:
            continue
        if not ECR_IMAGE.match(str(image)):
            report_violation(
                f"SageMaker model {args.name!r} pulls {image!s} from outside ECR; use the SageMaker Triton image "
                "or mirror the image into the environment's ECR repository",
                None,
            )


POLICY = resource_policy(
    name="aws-sagemaker-model-require-private-registry",
    description="SageMaker model containers are pulled from an ECR registry.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Use the SageMaker Triton image URI or an image in the environment ECR repository.",
    validate=validate,
)

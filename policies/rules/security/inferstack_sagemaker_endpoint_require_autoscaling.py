"""Every SageMaker endpoint has an Application Auto Scaling target (ML rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, get, stack_policy

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
TARGET = "aws:appautoscaling/target:Target"
META = RuleMeta(pack="security", levels="DAM")


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    targets = [
        r for r in args.resources if r.resource_type == TARGET and get(r.props, "serviceNamespace") == "sagemaker"
    ]
    for endpoint in (r for r in args.resources if r.resource_type == ENDPOINT):
        name = get(endpoint.props, "name")
        scaled = any(
            endpoint in t.dependencies or (name is not None and f"endpoint/{name}/" in str(get(t.props, "resourceId")))
            for t in targets
        )
        if not scaled:
            report_violation(
                f"SageMaker endpoint {endpoint.name!r} has no autoscaling target; register a scalable target "
                "(sagemaker:variant:DesiredInstanceCount) with a target-tracking policy",
                endpoint.urn,
            )


POLICY = stack_policy(
    name="inferstack-sagemaker-endpoint-require-autoscaling",
    description="Every SageMaker endpoint variant is registered with Application Auto Scaling.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Deploy endpoints through SageMakerEndpoint, which registers the variant with autoscaling.",
    validate=validate,
)

"""LoadBalancer Services are internal unless explicitly allowed (ML/serving rule, no public anchor)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "kubernetes:core/v1:Service"
META = RuleMeta(pack="security", levels="AMM", resource_types=(RESOURCE_TYPE,))
INTERNAL = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "spec", "type") != "LoadBalancer":
        return
    annotations = get(args.props, "metadata", "annotations", default={})
    if not any(str(get(annotations, k, default="")).lower() == v for k, v in INTERNAL.items()):
        report_violation(
            f"Service {args.name!r} creates an internet-facing load balancer; annotate "
            "service.beta.kubernetes.io/aws-load-balancer-scheme: internal, or expose it through "
            "the ALB/API front door",
            None,
        )


POLICY = resource_policy(
    name="kubernetes-core-service-disallow-public-loadbalancer",
    description="Kubernetes LoadBalancer Services are internal; public traffic enters through the managed front door.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Use ClusterIP behind the ALB, or annotate the Service as an internal load balancer.",
    validate=validate,
)

"""Namespaced objects are not placed in the `default` namespace (CKV_K8S_21)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import WORKLOAD_TYPES, RuleMeta, get, resource_policy

TYPES = (
    *WORKLOAD_TYPES,
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
)
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_K8S_21",), resource_types=TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TYPES:
        return
    namespace = get(args.props, "metadata", "namespace")
    if namespace is None or namespace == "default":
        kind = args.resource_type.rsplit(":", 1)[-1]
        report_violation(
            f"{kind} {args.name!r} lands in the default namespace; set metadata.namespace to the serving namespace",
            None,
        )


POLICY = resource_policy(
    name="kubernetes-resource-metadata-disallow-default-namespace",
    description="Namespaced Kubernetes objects set a namespace other than default.",
    meta=META,
    severity=Severity.LOW,
    remediation="Set metadata.namespace (TritonService uses the environment's serving namespace).",
    validate=validate,
)

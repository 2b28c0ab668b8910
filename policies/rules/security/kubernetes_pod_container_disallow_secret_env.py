"""Secrets are mounted as files, not environment variables (CKV_K8S_35)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    get,
    items,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AAM", anchors=("CKV_K8S_35",), resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        names = [str(get(e, "name")) for e in items(get(c, "env")) if get(e, "valueFrom", "secretKeyRef") is not None]
        names += [f"envFrom {get(e, 'secretRef', 'name')}" for e in items(get(c, "envFrom")) if get(e, "secretRef")]
        if names:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} reads secrets from environment variables "
                f"{names}; mount the secret as a read-only volume instead",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-disallow-secret-env",
    description="Containers read secrets from mounted files, not environment variables.",
    meta=META,
    severity=Severity.LOW,
    remediation="Replace secretKeyRef/envFrom secretRef with a secret volume mount.",
    validate=validate,
)

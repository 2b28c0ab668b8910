"""Containers run as a non-root user (CKV_K8S_23/40)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    get,
    number,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_K8S_23", "CKV_K8S_40"), resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    spec = pod_spec(args.resource_type, args.props)
    pod_ctx = get(spec, "securityContext", default={})
    for c in containers(spec):
        ctx = get(c, "securityContext", default={})
        non_root = get(ctx, "runAsNonRoot", default=get(pod_ctx, "runAsNonRoot"))
        user = number(get(ctx, "runAsUser", default=get(pod_ctx, "runAsUser")))
        if user == 0:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} runs as UID 0; set runAsUser to a non-zero "
                "UID and runAsNonRoot=true",
                None,
            )
        elif non_root is not True:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} may run as root; set "
                "securityContext.runAsNonRoot=true (and runAsUser)",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-require-non-root",
    description="Containers run with runAsNonRoot=true and a non-zero UID.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set securityContext.runAsNonRoot=true and runAsUser (Triton images run as UID 1000).",
    validate=validate,
)

"""Pods run with the RuntimeDefault seccomp profile (CKV_K8S_31)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    get,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_K8S_31",), resource_types=WORKLOAD_TYPES)
OK = ("RuntimeDefault", "Localhost")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    spec = pod_spec(args.resource_type, args.props)
    if spec is None:
        return
    pod_profile = get(spec, "securityContext", "seccompProfile", "type")
    unconfined = [
        container_name(c)
        for c in containers(spec)
        if get(c, "securityContext", "seccompProfile", "type", default=pod_profile) not in OK
    ]
    if unconfined:
        report_violation(
            f"{workload_name(args)} runs {unconfined} without a seccomp profile; set "
            "spec.securityContext.seccompProfile.type=RuntimeDefault",
            None,
        )


POLICY = resource_policy(
    name="kubernetes-pod-spec-enable-seccomp-profile",
    description="Pods run every container under the RuntimeDefault (or a Localhost) seccomp profile.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set securityContext.seccompProfile.type=RuntimeDefault on the pod spec.",
    validate=validate,
)

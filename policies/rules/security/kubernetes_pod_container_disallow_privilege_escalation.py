"""No privileged containers and no privilege escalation (CKV_K8S_16/20)."""

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

META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_K8S_16", "CKV_K8S_20"), resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        ctx = get(c, "securityContext", default={})
        if get(ctx, "privileged") is True:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} is privileged; remove privileged=true "
                "(GPUs are exposed by the NVIDIA device plugin, not privileged mode)",
                None,
            )
        elif get(ctx, "allowPrivilegeEscalation") is not False:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} allows privilege escalation; set "
                "securityContext.allowPrivilegeEscalation=false",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-disallow-privilege-escalation",
    description="Containers are not privileged and set allowPrivilegeEscalation=false.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set securityContext.privileged=false (or omit) and allowPrivilegeEscalation=false.",
    validate=validate,
)

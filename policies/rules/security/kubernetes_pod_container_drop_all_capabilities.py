"""Containers drop ALL Linux capabilities and add none of the dangerous ones (CKV_K8S_25/28/37/39)."""

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

META = RuleMeta(
    pack="security",
    levels="AMM",
    anchors=("CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39"),
    resource_types=WORKLOAD_TYPES,
)
FORBIDDEN = {"SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "ALL"}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        caps = get(c, "securityContext", "capabilities", default={})
        added = sorted({str(a) for a in items(get(caps, "add"))} & FORBIDDEN)
        if added:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} adds capabilities {added}; remove them",
                None,
            )
        if "ALL" not in [str(d) for d in items(get(caps, "drop"))]:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} keeps default capabilities; set "
                "securityContext.capabilities.drop=['ALL']",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-drop-all-capabilities",
    description="Containers drop ALL capabilities and add none of SYS_ADMIN, NET_ADMIN, NET_RAW, SYS_PTRACE.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set securityContext.capabilities.drop=['ALL'] and remove dangerous adds.",
    validate=validate,
)

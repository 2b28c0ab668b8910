"""Containers declare CPU/memory requests and a memory limit (CKV_K8S_10/11/12/13)."""

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

META = RuleMeta(
    pack="security",
    levels="AMM",
    anchors=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"),
    resource_types=WORKLOAD_TYPES,
)
REQUIRED = (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        missing = [f"{a}.{b}" for a, b in REQUIRED if get(c, "resources", a, b) is None]
        if missing:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} sets no resources {', '.join(missing)}; "
                "declare requests and a memory limit so the scheduler and OOM killer behave",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-require-resource-limits",
    description="Containers set CPU and memory requests and a memory limit.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set resources.requests.cpu/memory and resources.limits.memory on every container.",
    validate=validate,
)

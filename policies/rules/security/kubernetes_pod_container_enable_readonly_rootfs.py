"""Containers mount their root filesystem read-only (CKV_K8S_22). Triton needs emptyDir /tmp and /dev/shm."""

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

META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_K8S_22",), resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        if get(c, "securityContext", "readOnlyRootFilesystem") is not True:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} has a writable root filesystem; set "
                "readOnlyRootFilesystem=true and mount emptyDir volumes where it writes (/tmp, /dev/shm)",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-enable-readonly-rootfs",
    description="Containers run with a read-only root filesystem.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set securityContext.readOnlyRootFilesystem=true; add emptyDir mounts for scratch paths.",
    validate=validate,
)

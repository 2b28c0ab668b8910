"""Memory-backed emptyDir volumes (/dev/shm) have a sizeLimit (ML/GPU rule: Triton/NCCL shared memory)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    WORKLOAD_TYPES,
    RuleMeta,
    get,
    items,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for v in items(get(pod_spec(args.resource_type, args.props), "volumes")):
        empty_dir = get(v, "emptyDir")
        if get(empty_dir, "medium") == "Memory" and get(empty_dir, "sizeLimit") is None:
            report_violation(
                f"{workload_name(args)} volume {get(v, 'name')!r} is a memory-backed emptyDir without sizeLimit, so "
                "it can take all node memory; set emptyDir.sizeLimit (e.g. 2Gi for /dev/shm)",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-spec-limit-shm-size",
    description="Memory-backed emptyDir volumes such as /dev/shm set a sizeLimit.",
    meta=META,
    severity=Severity.LOW,
    remediation="Set emptyDir.sizeLimit on the /dev/shm volume.",
    validate=validate,
)

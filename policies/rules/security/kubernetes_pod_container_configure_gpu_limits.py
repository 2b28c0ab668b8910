"""GPUs are requested as whole-number limits, with requests equal to limits (ML/GPU rule; Kyverno check-nvidia-gpu)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    GPU_RESOURCE,
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    gpu_quantity,
    parse_quantity,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", anchors=("Kyverno check-nvidia-gpu",), resource_types=WORKLOAD_TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        limit, request = gpu_quantity(c, "limits"), gpu_quantity(c, "requests")
        if limit is None and request is None:
            continue
        where = f"{workload_name(args)} container {container_name(c)!r}"
        if limit is None:
            report_violation(
                f"{where} requests {GPU_RESOURCE} without a limit; extended resources are scheduled by limits, "
                f"set resources.limits.{GPU_RESOURCE}",
                None,
            )
            continue
        value = parse_quantity(limit)
        if value is None or not value.is_integer() or value < 1:
            report_violation(
                f"{where} asks for {GPU_RESOURCE}={limit!s}; GPUs are whole devices, use an integer >= 1", None
            )
        elif request is not None and parse_quantity(request) != value:
            report_violation(
                f"{where} requests {request!s} but limits {limit!s} {GPU_RESOURCE}; make requests equal limits", None
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-configure-gpu-limits",
    description="GPU containers set nvidia.com/gpu in limits as an integer, with requests equal to limits.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set resources.limits['nvidia.com/gpu'] to a whole number (gpus_per_replica) and "
    "drop mismatched requests.",
    validate=validate,
)

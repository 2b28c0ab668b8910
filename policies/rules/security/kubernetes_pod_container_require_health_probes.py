"""Serving containers have readiness and liveness probes, GPU ones a startup probe (CKV_K8S_8/9)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    RuleMeta,
    container_name,
    effective_config,
    get,
    gpu_quantity,
    items,
    pod_spec,
    resource_policy,
    workload_name,
)

TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet")
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_K8S_8", "CKV_K8S_9"), resource_types=TYPES)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TYPES:
        return
    startup_for_gpu = bool(effective_config(args, POLICY.config_schema, META)["require_startup_probe_for_gpu"])
    for c in items(get(pod_spec(args.resource_type, args.props), "containers")):
        wanted = ["readinessProbe", "livenessProbe"]
        if startup_for_gpu and gpu_quantity(c, "limits") is not None:
            wanted.append("startupProbe")
        missing = [p for p in wanted if get(c, p) is None]
        if missing:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} has no {', '.join(missing)}; add them "
                "(Triton: /v2/health/ready, /v2/health/live; a startupProbe covers slow model loads)",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-require-health-probes",
    description="Long-running containers have readiness and liveness probes; GPU containers a startup probe.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Add readinessProbe, livenessProbe and (GPU) startupProbe to the container.",
    validate=validate,
    config={"require_startup_probe_for_gpu": {"type": "boolean", "default": True}},
)

"""GPU serving Deployments keep >= N replicas and a PodDisruptionBudget (ML/GPU availability rule)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import (
    RuleMeta,
    effective_config,
    fmt_num,
    get,
    is_gpu_pod,
    number,
    pod_spec,
    stack_policy,
)

WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
META = RuleMeta(pack="security", levels="DAM")


def _ns(r: Any) -> str:
    return str(get(r.props, "metadata", "namespace", default="default"))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    minimum = int(effective_config(args, POLICY.config_schema, META)["min_replicas"])
    pdbs = [r for r in args.resources if r.resource_type == PDB]
    hpas = [r for r in args.resources if r.resource_type == HPA]
    for w in args.resources:
        if w.resource_type not in WORKLOADS or not is_gpu_pod(pod_spec(w.resource_type, w.props)):
            continue
        name = get(w.props, "metadata", "name")
        labels = get(w.props, "spec", "template", "metadata", "labels", default={})
        scaler = next(
            (h for h in hpas if _ns(h) == _ns(w) and get(h.props, "spec", "scaleTargetRef", "name") == name), None
        )
        replicas = number(
            get(scaler.props, "spec", "minReplicas", default=1)
            if scaler
            else get(w.props, "spec", "replicas", default=1)
        )
        if replicas is not None and replicas < minimum:
            report_violation(
                f"GPU workload {w.name!r} runs {fmt_num(replicas)} replica(s) at minimum; keep at least {minimum} "
                "(replicas.min) so a node drain does not stop serving",
                w.urn,
            )
        covered = any(
            _ns(p) == _ns(w)
            and (selector := get(p.props, "spec", "selector", "matchLabels"))
            and all(get(labels, k) == v for k, v in selector.items())
            for p in pdbs
        )
        if not covered:
            report_violation(
                f"GPU workload {w.name!r} has no PodDisruptionBudget selecting its pods; add one "
                "with maxUnavailable: 1",
                w.urn,
            )


POLICY = stack_policy(
    name="inferstack-kubernetes-gpu-workload-require-disruption-budget",
    description="GPU serving workloads keep a minimum replica count and are covered by a PodDisruptionBudget.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set replicas.min >= 2 and let TritonService create its PodDisruptionBudget.",
    validate=validate,
    config={"min_replicas": {"type": "integer", "minimum": 1, "default": 2}},
)

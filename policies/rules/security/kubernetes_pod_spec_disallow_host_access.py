"""Pods share no host namespace, path or port (CKV_K8S_17/18/19/26/27)."""

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
    levels="MMM",
    anchors=("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "CKV_K8S_26", "CKV_K8S_27"),
    resource_types=WORKLOAD_TYPES,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    spec = pod_spec(args.resource_type, args.props)
    found = [f for f in ("hostNetwork", "hostPID", "hostIPC") if get(spec, f) is True]
    found += [f"hostPath volume {get(v, 'name')!r}" for v in items(get(spec, "volumes")) if get(v, "hostPath")]
    for c in containers(spec):
        for p in items(get(c, "ports")):
            if get(p, "hostPort") is not None:
                found.append(f"hostPort {get(p, 'hostPort')} on {container_name(c)!r}")
    if found:
        report_violation(
            f"{workload_name(args)} uses {', '.join(found)}; remove host namespaces, paths and ports", None
        )


POLICY = resource_policy(
    name="kubernetes-pod-spec-disallow-host-access",
    description="Pods use no host network/PID/IPC namespaces, hostPath volumes or hostPorts.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Remove hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort; use Services and PVCs.",
    validate=validate,
)

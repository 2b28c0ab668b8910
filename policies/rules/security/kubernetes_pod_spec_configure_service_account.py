"""Pods use a dedicated service account and do not automount its token (CKV_K8S_38/41/42)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import WORKLOAD_TYPES, RuleMeta, get, pod_spec, resource_policy, workload_name

META = RuleMeta(
    pack="security", levels="AMM", anchors=("CKV_K8S_38", "CKV_K8S_41", "CKV_K8S_42"), resource_types=WORKLOAD_TYPES
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    spec = pod_spec(args.resource_type, args.props)
    if spec is None:
        return
    account = get(spec, "serviceAccountName", default=get(spec, "serviceAccount", default="default"))
    if account == "default":
        report_violation(
            f"{workload_name(args)} runs as the namespace's default service account; create a dedicated one "
            "(IRSA role for model access)",
            None,
        )
    if get(spec, "automountServiceAccountToken") is not False:
        report_violation(
            f"{workload_name(args)} automounts the Kubernetes API token; set automountServiceAccountToken=false "
            "(IRSA still injects its own web-identity token)",
            None,
        )


POLICY = resource_policy(
    name="kubernetes-pod-spec-configure-service-account",
    description="Pods use a dedicated service account without an automounted API token.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set serviceAccountName to the workload's account and automountServiceAccountToken=false.",
    validate=validate,
)

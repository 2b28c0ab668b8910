"""SageMaker variant instance families and sizes are on the environment's allowlist (ML/GPU cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import SAGEMAKER_TYPES
from inferstack.policies.rules._base import RuleMeta, effective_config, get, instance_family, items, resource_policy

RESOURCE_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
CPU = ["m5", "c5"]
META = RuleMeta(
    pack="cost",
    levels="MMA",
    resource_types=(RESOURCE_TYPE,),
    defaults={
        "dev": {"allowed_families": [*CPU, "g4dn", "g5", "g6"], "max_gpus_per_instance": 1},
        "staging": {"allowed_families": [*CPU, "g4dn", "g5", "g6", "g6e"], "max_gpus_per_instance": 4},
        "prod": {"allowed_families": [*CPU, "g4dn", "g5", "g6", "g6e", "p4d"], "max_gpus_per_instance": 8},
    },
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    cfg = effective_config(args, POLICY.config_schema, META)
    families, max_gpus = [str(f) for f in cfg["allowed_families"]], int(cfg["max_gpus_per_instance"])
    for v in [*items(get(args.props, "productionVariants")), *items(get(args.props, "shadowProductionVariants"))]:
        t = get(v, "instanceType")
        if t is None:
            continue  # serverless variant
        t = str(t)
        spec = SAGEMAKER_TYPES.get(t)
        if instance_family(t) not in families:
            report_violation(
                f"endpoint config {args.name!r} uses {t}, whose family {instance_family(t)} is not allowed here "
                f"(allowed: {', '.join(families)}); pick an allowed instance_type",
                None,
            )
        elif spec is not None and spec.gpus > max_gpus:
            report_violation(
                f"endpoint config {args.name!r} uses {t} with {spec.gpus} GPUs, above this environment's {max_gpus} "
                "per instance; use a smaller size",
                None,
            )


POLICY = resource_policy(
    name="aws-sagemaker-endpointconfig-restrict-instance-types",
    description="SageMaker production variants use instance types on the environment's allowlist.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Pick an allowed ml.* instance_type for the deployment, or change the environment's policies.config.",
    validate=validate,
    config={
        "allowed_families": {"type": "array", "items": {"type": "string"}, "default": [*CPU, "g4dn", "g5", "g6"]},
        "max_gpus_per_instance": {"type": "integer", "minimum": 0, "default": 8},
    },
)

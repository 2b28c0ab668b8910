"""Node group instance families and sizes are on the environment's allowlist (ML/GPU cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.catalog import EC2_TYPES
from inferstack.policies.rules._base import RuleMeta, effective_config, get, instance_family, items, resource_policy

TYPES = ("aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate")
CPU = ["t3", "m6i", "m7i", "c6i"]
META = RuleMeta(
    pack="cost",
    levels="MMA",
    resource_types=TYPES,
    defaults={
        "dev": {"allowed_families": [*CPU, "g4dn", "g5", "g6"], "max_gpus_per_instance": 1},
        "staging": {"allowed_families": [*CPU, "g4dn", "g5", "g6", "g6e"], "max_gpus_per_instance": 4},
        "prod": {
            "allowed_families": [*CPU, "g4dn", "g5", "g6", "g6e", "p4d", "p5", "inf2"],
            "max_gpus_per_instance": 8,
        },
    },
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TYPES:
        return
    cfg = effective_config(args, POLICY.config_schema, META)
    families, max_gpus = [str(f) for f in cfg["allowed_families"]], int(cfg["max_gpus_per_instance"])
    types = [str(t) for t in items(get(args.props, "instanceTypes"))]
    if get(args.props, "instanceType") is not None:
        types.append(str(get(args.props, "instanceType")))
    for t in types:
        spec = EC2_TYPES.get(t)
        if instance_family(t) not in families:
            report_violation(
                f"{args.name!r} uses {t}, whose family {instance_family(t)} is not allowed here (allowed: "
                f"{', '.join(families)}); pick an allowed type or extend allowed_families in policies.config",
                None,
            )
        elif spec is not None and spec.gpus > max_gpus:
            report_violation(
                f"{args.name!r} uses {t} with {spec.gpus} GPUs, above this environment's {max_gpus} per instance; "
                "use a smaller size",
                None,
            )


POLICY = resource_policy(
    name="aws-eks-nodegroup-restrict-instance-types",
    description="EC2 instance types of node groups and launch templates are on the environment's allowlist.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Choose instance types from the allowed families and sizes, or change the "
    "environment's policies.config.",
    validate=validate,
    config={
        "allowed_families": {"type": "array", "items": {"type": "string"}, "default": [*CPU, "g4dn", "g5", "g6"]},
        "max_gpus_per_instance": {"type": "integer", "minimum": 0, "default": 8},
    },
)

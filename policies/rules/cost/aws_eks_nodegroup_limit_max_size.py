"""Node groups cannot scale past the environment's ceiling (cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, fmt_num, get, number, resource_policy

RESOURCE_TYPE = "aws:eks/nodeGroup:NodeGroup"
META = RuleMeta(
    pack="cost",
    levels="MMM",
    resource_types=(RESOURCE_TYPE,),
    defaults={"dev": {"max_nodes": 4}, "staging": {"max_nodes": 8}, "prod": {"max_nodes": 32}},
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    ceiling = int(effective_config(args, POLICY.config_schema, META)["max_nodes"])
    size = number(get(args.props, "scalingConfig", "maxSize"))
    if size is None:
        report_violation(f"node group {args.name!r} sets no scalingConfig.maxSize; bound it at <= {ceiling}", None)
    elif size > ceiling:
        report_violation(
            f"node group {args.name!r} may grow to {fmt_num(size)} nodes, above this environment's {ceiling}; lower "
            "max_size or raise max_nodes in policies.config",
            None,
        )


POLICY = resource_policy(
    name="aws-eks-nodegroup-limit-max-size",
    description="EKS node groups have a maximum size within the environment's ceiling.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Lower max_size of the node group, or raise max_nodes in the environment's policies.config.",
    validate=validate,
    config={"max_nodes": {"type": "integer", "minimum": 1, "default": 32}},
)

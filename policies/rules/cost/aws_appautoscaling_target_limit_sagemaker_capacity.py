"""SageMaker endpoints cannot autoscale past the environment's instance ceiling (ML cost rule)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, fmt_num, get, number, resource_policy

RESOURCE_TYPE = "aws:appautoscaling/target:Target"
META = RuleMeta(
    pack="cost",
    levels="AMM",
    resource_types=(RESOURCE_TYPE,),
    defaults={"dev": {"max_instances": 2}, "staging": {"max_instances": 4}, "prod": {"max_instances": 16}},
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE or get(args.props, "serviceNamespace") != "sagemaker":
        return
    ceiling = int(effective_config(args, POLICY.config_schema, META)["max_instances"])
    capacity = number(get(args.props, "maxCapacity"))
    if capacity is not None and capacity > ceiling:
        report_violation(
            f"autoscaling target {args.name!r} lets a SageMaker endpoint grow to {fmt_num(capacity)} instances, "
            f"above this environment's {ceiling}; lower instances.max or raise max_instances in policies.config",
            None,
        )


POLICY = resource_policy(
    name="aws-appautoscaling-target-limit-sagemaker-capacity",
    description="SageMaker endpoint autoscaling stays within the environment's instance ceiling.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Lower deployments[].instances.max or raise max_instances in the environment's policies.config.",
    validate=validate,
    config={"max_instances": {"type": "integer", "minimum": 1, "default": 16}},
)

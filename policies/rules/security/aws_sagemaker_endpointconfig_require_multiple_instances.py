"""Production variants run more than one instance (Security Hub SageMaker.4)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    RuleMeta,
    effective_config,
    fmt_num,
    get,
    has,
    items,
    number,
    resource_policy,
)

RESOURCE_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
META = RuleMeta(pack="security", levels="DAM", anchors=("FSBP SageMaker.4",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "asyncInferenceConfig") is not None:
        return  # async endpoints queue requests and may scale to zero
    minimum = int(effective_config(args, POLICY.config_schema, META)["min_instances"])
    for v in items(get(args.props, "productionVariants")):
        if has(v, "serverlessConfig"):
            continue
        count = number(get(v, "initialInstanceCount"))
        if count is None or count < minimum:
            shown = "unset" if count is None else fmt_num(count)
            report_violation(
                f"endpoint config {args.name!r} variant {get(v, 'variantName', default='?')} starts "
                f"{shown} instance(s); run at least {minimum} so one AZ loss keeps serving",
                None,
            )


POLICY = resource_policy(
    name="aws-sagemaker-endpointconfig-require-multiple-instances",
    description="Real-time SageMaker production variants run at least two instances.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set instances.min >= 2 for the deployment in the environment file.",
    validate=validate,
    config={"min_instances": {"type": "integer", "minimum": 1, "default": 2}},
)

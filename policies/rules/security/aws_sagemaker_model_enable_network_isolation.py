"""SageMaker model containers run network-isolated (CKV_AWS_370, Security Hub SageMaker.5)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:sagemaker/model:Model"
META = RuleMeta(
    pack="security", levels="AMM", anchors=("CKV_AWS_370", "FSBP SageMaker.5"), resource_types=(RESOURCE_TYPE,)
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    if get(args.props, "enableNetworkIsolation") is not True:
        report_violation(
            f"SageMaker model {args.name!r} does not enable network isolation; set enableNetworkIsolation=true "
            "(the container then cannot call out; model artifacts still load from S3)",
            None,
        )


POLICY = resource_policy(
    name="aws-sagemaker-model-enable-network-isolation",
    description="SageMaker models run with network isolation so inference containers make no outbound calls.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set enable_network_isolation=True on the SageMaker model.",
    validate=validate,
)

"""SageMaker models run inside the VPC (AWS Config sagemaker-model-in-vpc)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:sagemaker/model:Model"
META = RuleMeta(
    pack="security", levels="AMM", anchors=("Config sagemaker-model-in-vpc",), resource_types=(RESOURCE_TYPE,)
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    vpc = get(args.props, "vpcConfig")
    if not items(get(vpc, "subnets")) or not items(get(vpc, "securityGroupIds")):
        report_violation(
            f"SageMaker model {args.name!r} has no vpcConfig with subnets and securityGroupIds; attach it to the "
            "environment's private subnets",
            None,
        )


POLICY = resource_policy(
    name="aws-sagemaker-model-require-vpc-config",
    description="SageMaker models attach to private VPC subnets and security groups.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Pass the private subnet ids and a security group to SageMakerEndpoint (vpc_config).",
    validate=validate,
)

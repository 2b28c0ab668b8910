"""IMDS responses do not reach pods: hop limit <= 1 (CKV_AWS_341)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, fmt_num, get, number, resource_policy

RESOURCE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_341",), resource_types=(RESOURCE_TYPE,))


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    limit = int(effective_config(args, POLICY.config_schema, META)["max_hop_limit"])
    hops = number(get(args.props, "metadataOptions", "httpPutResponseHopLimit"))
    if hops is None:
        report_violation(
            f"launch template {args.name!r} does not set metadataOptions.httpPutResponseHopLimit (EKS AMIs "
            f"default to 2, which lets pods reach node credentials); set it to {limit}",
            None,
        )
    elif hops > limit:
        report_violation(
            f"launch template {args.name!r} sets httpPutResponseHopLimit={fmt_num(hops)}, above {limit}; pods "
            f"could read the node role's credentials, set it to {limit}",
            None,
        )


POLICY = resource_policy(
    name="aws-ec2-launchtemplate-limit-metadata-hop-limit",
    description="Launch templates keep the IMDS hop limit at 1 so containers cannot reach node credentials.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Set metadata_options.http_put_response_hop_limit=1; pods use IRSA for AWS access.",
    validate=validate,
    config={"max_hop_limit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1}},
)

"""KMS key policies grant nothing to everyone (CKV_AWS_33, CKV2_AWS_64)."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

RESOURCE_TYPE = "aws:kms/key:Key"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_33", "CKV2_AWS_64"), resource_types=(RESOURCE_TYPE,))


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    aws = get(principal, "AWS")
    return aws == "*" or (isinstance(aws, list) and "*" in aws)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    policy = get(args.props, "policy")
    if policy is None:
        return  # the default key policy trusts the account only
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        report_violation(f"KMS key {args.name!r} has a policy that is not valid JSON; fix the document", None)
        return
    for i, st in enumerate(items(get(document, "Statement"))):
        if get(st, "Effect") != "Allow" or not _is_everyone(get(st, "Principal")):
            continue
        if get(st, "Condition") is None:
            report_violation(
                f"KMS key {args.name!r} policy statement {get(st, 'Sid', default=i)} allows any principal ('*') "
                "without a condition; name the account root or roles instead",
                None,
            )


POLICY = resource_policy(
    name="aws-kms-key-disallow-public-policy",
    description="KMS key policies never allow '*' principals without a restricting condition.",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Use the account-root principal plus IAM, or scope '*' with aws:PrincipalAccount/kms:ViaService.",
    validate=validate,
)

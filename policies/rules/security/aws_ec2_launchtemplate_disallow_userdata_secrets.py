"""No credentials in launch template user data (CKV_AWS_46). The matched value is never printed."""

from __future__ import annotations

import base64
import binascii
import re

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, resource_policy

RESOURCE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_AWS_46",), resource_types=(RESOURCE_TYPE,))
PATTERNS = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "an AWS secret access key": re.compile(r"aws_secret_access_key\s*[=:]", re.IGNORECASE),
    "a private key": re.compile(r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"),
    "a password assignment": re.compile(r"\b(password|passwd|secret_key|api_key)\s*[=:]\s*\S+", re.IGNORECASE),
}


def _decode(user_data: str) -> str:
    try:
        return base64.b64decode(user_data, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return user_data


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_TYPE:
        return
    user_data = get(args.props, "userData")
    if not isinstance(user_data, str):
        return
    text = _decode(user_data)
    found = [what for what, pattern in PATTERNS.items() if pattern.search(text)]
    if found:
        report_violation(
            f"launch template {args.name!r} user data contains {', '.join(found)}; read secrets at boot from "
            "Secrets Manager or SSM with the node role instead",
            None,
        )


POLICY = resource_policy(
    name="aws-ec2-launchtemplate-disallow-userdata-secrets",
    description="Launch template user data holds no credentials or private keys.",
    meta=META,
    severity=Severity.CRITICAL,
    remediation="Move the secret to Secrets Manager/SSM and fetch it at boot with the instance role.",
    validate=validate,
)

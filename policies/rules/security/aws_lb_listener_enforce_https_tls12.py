"""Load balancer listeners serve HTTPS with TLS 1.2+ or redirect to it (CKV_AWS_2/103, Security Hub ELB.1)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, get, items, resource_policy

TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
META = RuleMeta(pack="security", levels="AMM", anchors=("CKV_AWS_2", "CKV_AWS_103", "FSBP ELB.1"), resource_types=TYPES)
MODERN = ("TLS13", "TLS-1-2", "FS-1-2")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TYPES:
        return
    protocol = str(get(args.props, "protocol", default="HTTP"))
    if protocol in ("HTTP", "TCP", "UDP", "TCP_UDP"):
        redirects = [a for a in items(get(args.props, "defaultActions")) if get(a, "type") == "redirect"]
        if protocol == "HTTP" and not any(get(a, "redirect", "protocol") == "HTTPS" for a in redirects):
            report_violation(
                f"listener {args.name!r} serves plain HTTP; listen on HTTPS (443) or redirect HTTP to HTTPS", None
            )
        return
    policy = get(args.props, "sslPolicy")
    if policy is None or not any(m in str(policy) for m in MODERN):
        report_violation(
            f"listener {args.name!r} uses TLS policy {policy or 'default (ELBSecurityPolicy-2016-08)'}, which allows "
            "TLS < 1.2; set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06",
            None,
        )


POLICY = resource_policy(
    name="aws-lb-listener-enforce-https-tls12",
    description="Load balancer listeners use HTTPS/TLS with a TLS 1.2+ security policy.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Use protocol HTTPS with ssl_policy ELBSecurityPolicy-TLS13-1-2-2021-06; redirect port 80.",
    validate=validate,
)

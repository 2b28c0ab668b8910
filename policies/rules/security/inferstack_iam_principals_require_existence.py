"""Principals a resource policy names must exist when the policy is written (issue 12, defect class 4).

KMS refuses a key policy whose principal does not exist (`MalformedPolicyDocumentException`; AWS KMS Developer
Guide, "Key policies", read 2026-12-02), and S3 bucket and SNS topic policies likewise reject an unknown
principal ("Invalid principal in policy"). A role ARN in such a policy must therefore be: the account root, a
role or service-linked role the stack creates *and* the policy's resource depends on (so it is created
first), or a principal declared pre-existing in `existing_principals` (ARN patterns with `*`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, get, items, stack_policy

META = RuleMeta(pack="security", levels="AMM")
DOCUMENTS = {
    "aws:kms/key:Key": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
}
ROLE = "aws:iam/role:Role"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}):(role|user)/(.+)$")
_AUTO = re.compile(r"^(.+)-[0-9a-f]{7}$")  # Pulumi auto-naming: <logical name>-<7 hex>


def _principals(document: Any) -> list[str]:
    doc = json.loads(document) if isinstance(document, str) else document
    out: list[str] = []
    for stmt in items(get(doc, "Statement")):
        principal = get(stmt, "Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        out += [aws] if isinstance(aws, str) else [str(p) for p in items(aws) if isinstance(p, str)]
    return out


def _created_by(resource: Any, role_path: str, resources: list[Any]) -> Any:
    """The role/SLR resource in the stack whose ARN ends in `role_path`, or None."""
    if role_path.startswith("aws-service-role/"):
        service, _, role = role_path.removeprefix("aws-service-role/").partition("/")
        for r in resources:
            if r.resource_type == SLR and get(r.props, "awsServiceName") == service:
                suffix = get(r.props, "customSuffix")
                if suffix is None or role.endswith(f"_{suffix}"):
                    return r
        return None
    name = role_path.rsplit("/", 1)[-1]
    for r in resources:
        if r.resource_type != ROLE:
            continue
        if get(r.props, "name") == name:
            return r
        auto = _AUTO.match(name)
        if get(r.props, "name") is None and auto and auto.group(1) == r.name:
            return r
    return None


def _declared(arn: str, patterns: list[str]) -> bool:
    return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), arn) for p in patterns)


def _depends_on(resource: Any, target: Any) -> bool:
    return any(d is target for d in resource.dependencies)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = effective_config(args, POLICY.config_schema, META)
    existing = [str(p) for p in config.get("existing_principals") or []]
    resources = list(args.resources)
    # Ordering needs the dependency graph: a live preview and a checkpoint carry it, a preview JSON does not
    # (`inferstack policy check --input preview.json`), where only existence is checked.
    has_graph = any(r.dependencies for r in resources)
    for r in resources:
        prop = DOCUMENTS.get(r.resource_type)
        document = get(r.props, prop) if prop else None
        if not document:
            continue
        for principal in dict.fromkeys(_principals(document)):
            match = _ARN.match(principal)
            if match is None or _declared(principal, existing):
                continue  # account ids, roots, services, wildcards: not this rule's concern
            created = _created_by(r, match.group(3), resources) if match.group(2) == "role" else None
            if created is None:
                report_violation(
                    f"{r.resource_type.rsplit(':', 1)[-1]} {r.name!r} names {principal}, which the stack does not "
                    "create and no one declared pre-existing; create it in the stack (aws.iam.ServiceLinkedRole "
                    "for a service-linked role) and depend on it, or list it in existing_principals",
                    r.urn,
                )
            elif has_graph and not _depends_on(r, created):
                report_violation(
                    f"{r.resource_type.rsplit(':', 1)[-1]} {r.name!r} names {principal} but does not depend on "
                    f"{created.name!r}, so it may be written before the principal exists; add depends_on",
                    r.urn,
                )


POLICY = stack_policy(
    name="inferstack-iam-principals-require-existence",
    description="Key, bucket and topic policies name only principals that exist before them.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Create the principal in the stack and order the policy's resource after it (depends_on), or "
    "declare it in existing_principals (environment: cluster.autoscaling_service_linked_role: existing).",
    validate=validate,
    config={
        "existing_principals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "ARN patterns (with *) of principals that exist outside the stack.",
        }
    },
)

"""Every taggable AWS resource carries owner, cost-center and environment = the stack (cost allocation)."""

from __future__ import annotations

import importlib
import inspect
import json
from functools import cache
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import RuleMeta, effective_config, env_of, get, resource_policy

META = RuleMeta(pack="cost", levels="MMM", anchors=("AWSGuard required-tags",), type_prefixes=("aws:",))


@cache
def accepts_tags(resource_type: str) -> bool | None:
    """Whether the pulumi-aws resource class behind `resource_type` takes a `tags` input (None: unknown type)."""
    try:
        _, module_path, cls_name = resource_type.split(":")
        module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0].lower()}")
        cls = getattr(module, cls_name)
        return "tags" in inspect.signature(cls._internal_init).parameters
    except (ValueError, ImportError, AttributeError, TypeError):
        return None


def _default_tags(provider: Any) -> dict[str, Any]:
    if provider is None:
        return {}
    value = get(provider.props, "defaultTags")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    tags = get(value, "tags", default={})
    return dict(tags.items()) if hasattr(tags, "items") else {}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    taggable = accepts_tags(args.resource_type)
    if taggable is False or (taggable is None and get(args.props, "tags") is None):
        return
    cfg = effective_config(args, POLICY.config_schema, META)
    tags = {**_default_tags(args.provider), **dict(get(args.props, "tags", default={}).items())}
    missing = [k for k in cfg["required_tags"] if not tags.get(k)]
    if missing:
        report_violation(
            f"{args.resource_type.rsplit(':', 1)[-1]} {args.name!r} lacks tags {missing}; pass the stack tags "
            "(all_tags(env)) to the component",
            None,
        )
        return
    expected = env_of(cfg)
    if "environment" in cfg["required_tags"] and tags.get("environment") != expected:
        report_violation(
            f"{args.resource_type.rsplit(':', 1)[-1]} {args.name!r} is tagged environment="
            f"{tags.get('environment')!r} but the stack is {expected!r}; tag it with the stack's environment",
            None,
        )


POLICY = resource_policy(
    name="inferstack-aws-tags-require-cost-allocation",
    description="Taggable AWS resources carry owner, cost-center and environment tags, environment matching the stack.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Pass all_tags(env) as tags to every component (or set them as provider default tags).",
    validate=validate,
    config={
        "required_tags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["owner", "cost-center", "environment"],
        }
    },
)

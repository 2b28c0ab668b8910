"""Monthly cost of the resources a stack policy sees, through the inferstack cost model (inferstack/cost.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import _is_unknown


def _plain(value: Any) -> Any:
    from inferstack.engine.model import UNKNOWN

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if _is_unknown(value):
        return UNKNOWN
    return value


_OFFLINE: dict[str, tuple[Sequence[Any], Sequence[Any]]] = {}


def use_offline_resources(policy_resources: Sequence[Any], resources: Sequence[Any]) -> None:
    """The offline evaluator (inferstack.policy_eval) hands over the inferstack Resources behind the
    PolicyResources it passes to stack policies, so the estimate prices those instead of converting 50k
    resources back (issue 13, class 13: memory). Under the Pulumi engine nothing is registered."""
    _OFFLINE["stack"] = (policy_resources, resources)


def forget_offline_resources() -> None:
    _OFFLINE.clear()


def monthly_estimate(resources: Sequence[Any], environment: str) -> dict[str, float] | None:
    """{"baseline": USD, "peak": USD}, or None when the cost model is not installed next to the packs."""
    try:
        from inferstack.cost import estimate_preview
        from inferstack.engine.model import PreviewResult, Resource
    except ImportError:
        return None
    converted = []
    offline = _OFFLINE.get("stack")
    if offline is not None and offline[0] is resources:
        converted = list(offline[1])  # the evaluator's own resources: no second copy of a large stack
        resources = ()
    for r in resources:
        converted.append(
            Resource(
                urn=r.urn,
                type=r.resource_type,
                name=r.name,
                parent=r.parent.urn if r.parent is not None else None,
                custom=not r.resource_type.startswith("inferstack:") and r.resource_type != "pulumi:pulumi:Stack",
                provider=f"{r.provider.urn}::provider" if r.provider is not None else None,
                dependencies=[d.urn for d in r.dependencies],
                inputs=_plain(serialize_properties(r.props)),
            )
        )
    env = None
    try:
        from inferstack.config.loader import InputError, find_project, load_environment

        env = load_environment(find_project(), environment, check_packages=False)
    except (ImportError, InputError):
        env = None
    result = PreviewResult(
        environment=environment, project="inferstack", stack=environment, resources=converted, outputs={}
    )
    monthly = estimate_preview(result, env)["monthly_usd"]
    return {"baseline": float(monthly["baseline"]), "peak": float(monthly["peak"])}

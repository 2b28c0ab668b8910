"""What every rule module shares: its metadata type, config lookup and safe property access.

Rules read `args.props` exactly as the Pulumi engine hands them over: camelCase input names, numbers as
floats, unknown values behind pulumi_policy's unknown-checking proxy (reading one raises
`UnknownValueError`, which the analyzer turns into an advisory "can't run policy"). The helpers here
never read a value they do not need, so a rule only stops on an unknown it actually depends on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _is_unknown

ENVS = ("dev", "staging", "prod")
Pack = Literal["security", "cost"]
LEVELS: dict[str, EnforcementLevel] = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "disabled": EnforcementLevel.DISABLED,
    "remediate": EnforcementLevel.REMEDIATE,
}
_SHORT = {"A": "advisory", "M": "mandatory", "D": "disabled"}

GPU_RESOURCE = "nvidia.com/gpu"
WORKLOAD_TYPES = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
)


@dataclass(frozen=True)
class RuleMeta:
    """Registry metadata of one policy.

    levels: suggested enforcement per environment as three letters dev/staging/prod, e.g. "AMM"
    (A advisory, M mandatory, D disabled). defaults: config values per environment, layered over the
    schema defaults. resource_types: the types a resource policy looks at (None for stack policies and
    rules that apply to every type); type_prefixes narrows an every-type rule (e.g. "aws:"). Offline
    evaluation only hands a resource to the rules whose types or prefixes match it.
    """

    pack: Pack
    levels: str
    anchors: tuple[str, ...] = ()
    resource_types: tuple[str, ...] | None = None
    type_prefixes: tuple[str, ...] | None = None
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def level(self, env: str) -> str:
        return _SHORT[self.levels[ENVS.index(env) if env in ENVS else 2]]

    @property
    def prod_level(self) -> EnforcementLevel:
        return LEVELS[self.level("prod")]


ENVIRONMENT_PROPERTY: dict[str, Any] = {
    "type": "string",
    "enum": list(ENVS),
    "default": "prod",
    "description": "The inferstack environment (= stack) the limits are for; `inferstack policy-config` sets it.",
}


def schema(**properties: Mapping[str, Any]) -> PolicyConfigSchema:
    """A config schema whose properties all carry defaults (none is required); `environment` is always there."""
    props = {"environment": dict(ENVIRONMENT_PROPERTY)}
    props.update({k: dict(v) for k, v in properties.items()})
    return PolicyConfigSchema(properties=props)


def _metadata(
    meta: RuleMeta, severity: Severity, remediation: str, config: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any]:
    """What every inferstack policy carries besides name, description and validate (default level = prod's)."""
    return {
        "enforcement_level": meta.prod_level,
        "config_schema": schema(**(config or {})),
        "severity": severity,
        "remediation_steps": remediation,
        "tags": [meta.pack, *meta.anchors],
    }


def resource_policy(
    *,
    name: str,
    description: str,
    meta: RuleMeta,
    severity: Severity,
    remediation: str,
    validate: Callable[[ResourceValidationArgs, ReportViolation], None],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy carrying the registry metadata."""
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, **_metadata(meta, severity, remediation, config)
    )


def stack_policy(
    *,
    name: str,
    description: str,
    meta: RuleMeta,
    severity: Severity,
    remediation: str,
    validate: Callable[[StackValidationArgs, ReportViolation], None],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A stack policy carrying the registry metadata."""
    return StackValidationPolicy(
        name=name, description=description, validate=validate, **_metadata(meta, severity, remediation, config)
    )


def env_of(config: Mapping[str, Any]) -> str:
    env = config.get("environment")
    return env if isinstance(env, str) and env in ENVS else "prod"


def effective_config(args: Any, policy_schema: PolicyConfigSchema | None, meta: RuleMeta) -> dict[str, Any]:
    """Schema defaults, then this environment's defaults, then what the CLI/offline engine passed."""
    given = dict(args.get_config() or {})
    out: dict[str, Any] = {}
    if policy_schema is not None:
        for key, spec in (policy_schema.properties or {}).items():
            if "default" in spec:
                out[key] = spec["default"]
    out.update(meta.defaults.get(env_of(given), {}))
    out.update(given)
    return out


def has(obj: Any, key: str) -> bool:
    """Whether a mapping holds `key`, without reading the value (so an unknown value counts as set)."""
    return isinstance(obj, Mapping) and key in set(iter(obj))


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """obj[path[0]][path[1]]...; `default` when a step is missing or of the wrong shape."""
    current = obj
    for step in path:
        if isinstance(step, str):
            if not has(current, step):
                return default
            current = current[step]
        else:
            if (
                not isinstance(current, Sequence)
                or isinstance(current, str)
                or not -len(current) <= step < len(current)
            ):
                return default
            current = current[step]
        if current is None:
            return default
    return current


def items(value: Any) -> list[Any]:
    """A list/tuple (also a single object, as pulumi-aws v7 sometimes takes one) as a list."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def is_true(value: Any) -> bool:
    """True for True and for the string "true" (pulumi-aws keeps some booleans as strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- Kubernetes pod specs --------------------------------------------------------------------------


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Any:
    """The pod spec of a workload (Deployment etc. under spec.template.spec, CronJob one level deeper)."""
    if resource_type == "kubernetes:core/v1:Pod":
        return get(props, "spec")
    if resource_type == "kubernetes:batch/v1:CronJob":
        return get(props, "spec", "jobTemplate", "spec", "template", "spec")
    return get(props, "spec", "template", "spec")


def containers(spec: Any) -> list[Any]:
    """Init, regular and ephemeral containers of a pod spec."""
    out: list[Any] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        out += [c for c in items(get(spec, key)) if isinstance(c, Mapping)]
    return out


def container_name(container: Any) -> str:
    return str(get(container, "name", default="?"))


def workload_name(args: Any) -> str:
    return f"{get(args.props, 'kind', default=args.resource_type.rsplit(':', 1)[-1])} {args.name!r}"


def gpu_quantity(container: Any, where: str) -> Any:
    """The container's nvidia.com/gpu quantity in resources.<where> (requests or limits), else None."""
    return get(container, "resources", where, GPU_RESOURCE)


def is_gpu_pod(spec: Any) -> bool:
    return any(
        gpu_quantity(c, "limits") is not None or gpu_quantity(c, "requests") is not None for c in containers(spec)
    )


def parse_quantity(value: Any) -> float | None:
    """A Kubernetes count quantity ("2", 2, "2.0") as a number; None when not a plain number."""
    return number(value)


def instance_family(instance_type: str) -> str:
    return instance_type.removeprefix("ml.").split(".", 1)[0]


# -- stack-level joins -----------------------------------------------------------------------------


def attached(resources: Sequence[Any], target: Any, side_type: str, key: str = "bucket") -> list[Any]:
    """Side resources of `side_type` pointing at `target`: they depend on it, or their `key` input equals its own.

    pulumi-aws v7 keeps bucket encryption, versioning, public access block, policy and lifecycle in separate
    resources whose `bucket` input is the bucket's name, so bucket rules join them here.
    """
    name = get(target.props, key)
    by_dep, by_key, sides, unknown = _attachment_index(resources, side_type, key)
    if name is not None:
        for r, exc in unknown:  # the scan this replaces read these keys (and stopped) unless r depends on target
            if not any(d is target for d in r.dependencies):
                raise exc
    try:
        named = by_key.get(name, []) if name is not None else []
    except TypeError:  # an unhashable name: compare one by one, as before
        named = [(i, r) for i, r in enumerate(sides) if get(r.props, key) == name]
    found = dict(by_dep.get(id(target), []))
    found.update(named)
    return [r for _, r in sorted(found.items(), key=lambda item: item[0])]


_Index = tuple[
    dict[int, list[tuple[int, Any]]], dict[Any, list[tuple[int, Any]]], list[Any], list[tuple[Any, Exception]]
]
_ATTACHMENTS: dict[tuple[str, str], tuple[Sequence[Any], _Index]] = {}


def _attachment_index(resources: Sequence[Any], side_type: str, key: str) -> _Index:
    """(side resources by id of each resource they depend on, by their `key` input, all of them, those whose
    `key` is unknown with the error reading it), built once per stack (issue 13, class 13: scanning every
    resource for every bucket made `policy check` quadratic). Positions keep the stack's order."""
    cached = _ATTACHMENTS.get((side_type, key))
    if cached is not None and cached[0] is resources:
        return cached[1]
    sides = [r for r in resources if r.resource_type == side_type]
    by_dep: dict[int, list[tuple[int, Any]]] = {}
    by_key: dict[Any, list[tuple[int, Any]]] = {}
    unknown: list[tuple[Any, Exception]] = []
    for i, r in enumerate(sides):
        for d in r.dependencies:
            by_dep.setdefault(id(d), []).append((i, r))
        try:
            value = get(r.props, key)
        except UnknownValueError as exc:
            unknown.append((r, exc))
            continue
        if value is not None:
            with contextlib.suppress(TypeError):  # unhashable: never equal to a hashable name
                by_key.setdefault(value, []).append((i, r))
    index = (by_dep, by_key, sides, unknown)
    _ATTACHMENTS[(side_type, key)] = (resources, index)
    return index


def clear_stack_caches() -> None:
    """Drop the per-stack indexes (the offline evaluator calls this after each stack)."""
    _ATTACHMENTS.clear()


def is_blank(obj: Any, key: str) -> bool:
    """True when `key` is missing, None or "" in a mapping; an unknown (not yet computed) value is not blank."""
    if not has(obj, key):
        return True
    raw = obj["__target"] if isinstance(obj, _DictProxy) else obj
    value = raw[key]
    if _is_unknown(value):
        return False
    return value is None or value == ""

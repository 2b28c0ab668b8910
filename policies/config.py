"""Per-environment pack configuration: enforcement levels and limits, validated against each policy's schema.

`pack_config(env)` is what `inferstack policy-config --env ENV` prints for `pulumi preview
--policy-pack-config`, what the packs use as `initial_config` when run without a config file, and what the
offline evaluation configures the analyzers with. Layers, last wins: the schema `default`s (applied here
the way the Pulumi CLI applies them, since the SDK does not), the rule's per-environment defaults, values
derived from the environment file (the cost ceiling is the environment's budget), then the environment's
`policies.enforcement` / `policies.config` overrides.
"""

from __future__ import annotations

import difflib
from typing import Any

from inferstack.policies.registry import PACKS, Rule, all_rules
from inferstack.policies.rules._base import ENVS

_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


class PolicyConfigError(ValueError):
    """A policy configuration value breaks the policy's config_schema (or names an unknown policy).

    `loc` is the field path in the environment file (e.g. ("policies", "config", NAME, KEY)) when the value
    came from there, so the loader can add the file's line and column; `at_key` when the key itself is wrong."""

    def __init__(self, message: str, loc: tuple[str | int, ...] = (), *, at_key: bool = False) -> None:
        super().__init__(message)
        self.loc, self.at_key = loc, at_key


def _check(value: Any, spec: dict[str, Any], where: str, loc: tuple[str | int, ...] = ()) -> None:
    kind = spec.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind]) and not (kind in ("integer", "number") and isinstance(value, bool))
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            raise PolicyConfigError(f"{where} must be of type {kind} (got {value!r}); change the value", loc)
    if "enum" in spec and value not in spec["enum"]:
        raise PolicyConfigError(f"{where} must be one of {spec['enum']} (got {value!r})", loc)
    if "minimum" in spec and value < spec["minimum"]:
        raise PolicyConfigError(f"{where} must be >= {spec['minimum']} (got {value!r})", loc)
    if "maximum" in spec and value > spec["maximum"]:
        raise PolicyConfigError(f"{where} must be <= {spec['maximum']} (got {value!r})", loc)
    if kind == "array" and "items" in spec:
        for i, item in enumerate(value):
            _check(item, spec["items"], f"{where}[{i}]", (*loc, i) if loc else ())


def validate_config(rule: Rule, values: dict[str, Any], from_env: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`values` checked against the rule's config_schema, with schema defaults filled in (as the CLI does).
    Errors on the keys in `from_env` (set in the environment's policies.config) carry their field path."""
    schema = rule.policy.config_schema
    properties: dict[str, dict[str, Any]] = dict(schema.properties) if schema is not None else {}
    out = {k: spec["default"] for k, spec in properties.items() if "default" in spec}
    for key, value in values.items():
        loc: tuple[str | int, ...] = ("policies", "config", rule.name, key) if key in from_env else ()
        if key not in properties:
            close = difflib.get_close_matches(key, list(properties), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise PolicyConfigError(
                f"policies.config.{rule.name}.{key} is not a setting of this policy; {hint}valid: "
                f"{', '.join(sorted(properties)) or 'none'}",
                loc,
                at_key=True,
            )
        _check(value, properties[key], f"policies.config.{rule.name}.{key}", loc)
        out[key] = value
    for key in (schema.required or []) if schema is not None else []:
        if key not in out:
            raise PolicyConfigError(f"policies.config.{rule.name}.{key} is required; set it")
    return out


def _env_derived(rule: Rule, env: Any) -> dict[str, Any]:
    """Limits that follow from the environment file itself."""
    if rule.name == "inferstack-stack-limit-monthly-cost":
        return {"ceiling_usd": float(env.monitoring.budget_monthly_usd)}
    if rule.name == "inferstack-stack-limit-peak-monthly-cost":
        from inferstack.policies.rules.cost.inferstack_stack_limit_peak_monthly_cost import PEAK_BUDGET_MULTIPLE

        return {"ceiling_usd": PEAK_BUDGET_MULTIPLE * float(env.monitoring.budget_monthly_usd)}
    if rule.name == "inferstack-iam-principals-require-existence" and (
        env.cluster.autoscaling_service_linked_role == "existing"
    ):
        slr = "arn:*:iam::*:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        return {"existing_principals": [slr]}
    return {}


def _unknown_policy(name: str, where: str) -> PolicyConfigError:
    names = [r.name for r in all_rules()]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return PolicyConfigError(
        f"{where}.{name} names no inferstack policy; {hint}see `inferstack policy-config`",
        (*where.split("."), name),
        at_key=True,
    )


def pack_config(env: Any, pack: str | None = None) -> dict[str, dict[str, Any]]:
    """{policy name: {"enforcementLevel": level, **config}} for one pack (or both) and one environment.

    `env` is an Environment (its overrides apply) or an environment name (defaults only).
    """
    name = env if isinstance(env, str) else env.name
    if name not in ENVS:
        raise PolicyConfigError(f"environment {name!r} is not one of {', '.join(ENVS)}")
    enforcement: dict[str, str] = {} if isinstance(env, str) else dict(env.policies.enforcement)
    overrides: dict[str, dict[str, Any]] = {} if isinstance(env, str) else dict(env.policies.config)
    known = {r.name for r in all_rules()}
    for policy in enforcement:
        if policy not in known:
            raise _unknown_policy(policy, "policies.enforcement")
    for policy in overrides:
        if policy not in known:
            raise _unknown_policy(policy, "policies.config")
    out: dict[str, dict[str, Any]] = {}
    for rule in all_rules():
        if pack is not None and rule.pack != pack:
            continue
        values: dict[str, Any] = {"environment": name, **rule.meta.defaults.get(name, {})}
        if not isinstance(env, str):
            values.update(_env_derived(rule, env))
        values.update(overrides.get(rule.name, {}))
        out[rule.name] = {"enforcementLevel": enforcement.get(rule.name, rule.meta.level(name))}
        out[rule.name].update(validate_config(rule, values, frozenset(overrides.get(rule.name, {}))))
    return out


__all__ = ["PACKS", "PolicyConfigError", "pack_config", "validate_config"]

"""Offline policy evaluation: the security and cost packs over a preview, through pulumi_policy's own analyzer.

The Pulumi engine talks to a policy pack through the gRPC Analyzer service that `PolicyPack(...)` serves
(`pulumi_policy.policy._PolicyAnalyzerServicer`). Offline we call the same servicer in-process, with the
same protobuf requests the engine sends: `Configure` with the pack configuration, `Analyze` once per
resource, `AnalyzeStack` once per stack. So enforcement levels (disabled skipped, remediate treated as
mandatory), the unknown-value proxy (an unknown value a rule reads becomes an advisory "can't run policy
... during preview" diagnostic, as in `pulumi preview`), secrets (unwrapped for the rule, never printed)
and config handling are pulumi_policy's, not a reimplementation.

One shortcut: a resource is only analyzed by the resource policies whose metadata names its type (every
rule returns early for other types anyway), which keeps a full preview well under a second per pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from inferstack.engine.model import PreviewResult, Resource, Secret, Unknown

PACK_VERSION = "0.1.0"
_LEVEL_TO_PROTO = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}
_SEVERITY = {
    proto.POLICY_SEVERITY_LOW: "low",
    proto.POLICY_SEVERITY_MEDIUM: "medium",
    proto.POLICY_SEVERITY_HIGH: "high",
    proto.POLICY_SEVERITY_CRITICAL: "critical",
}


def _wire(value: Any) -> Any:
    """A recorded input as the engine puts it on the wire: secrets signed, unknowns as the unknown sentinel."""
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": _wire(value.value)}
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    return value


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(_wire(inputs))
    return s


class _Pack:
    """One pack's analyzers, configured like the engine configures a loaded pack."""

    def __init__(self, pack: str, config: dict[str, dict[str, Any]]) -> None:
        from policies.registry import PACK_NAMES, pack_rules

        self.name = PACK_NAMES[pack]
        self.rules = pack_rules(pack)
        self.config = config
        self._servicers: dict[tuple[str, ...], _PolicyAnalyzerServicer] = {}

    def servicer(self, names: tuple[str, ...]) -> _PolicyAnalyzerServicer:
        if names not in self._servicers:
            policies = [r.policy for r in self.rules if r.name in names]
            servicer = _PolicyAnalyzerServicer(self.name, PACK_VERSION, policies, EnforcementLevel.ADVISORY)
            request = proto.ConfigureAnalyzerRequest()
            for name in names:
                values = dict(self.config.get(name, {}))
                level = values.pop("enforcementLevel", None)
                entry = request.policyConfig[name]
                if level is not None:
                    entry.enforcementLevel = _LEVEL_TO_PROTO[level]
                entry.properties.update(values)
            servicer.Configure(request, None)
            self._servicers[names] = servicer
        return self._servicers[names]

    def severity_of(self, policy_name: str) -> str | None:
        for r in self.rules:
            if r.name == policy_name and r.policy.severity is not None:
                return str(r.policy.severity.value)
        return None

    def description_of(self, policy_name: str) -> str:
        for r in self.rules:
            if r.name == policy_name:
                return str(r.policy.description)
        return ""


def _provider_message(provider: Resource | None) -> proto.AnalyzerProviderResource | None:
    if provider is None:
        return None
    return proto.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def _violations(pack: _Pack, diagnostics: Iterable[Any], default_urn: str | None) -> list[dict[str, Any]]:
    out = []
    for d in diagnostics:
        description = pack.description_of(d.policyName)
        message = d.message
        if description and message.startswith(description + "\n"):
            message = message[len(description) + 1 :]
        out.append(
            {
                "policy": d.policyName,
                "pack": d.policyPackName,
                "enforcement_level": _PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory"),
                "severity": _SEVERITY.get(d.severity) or pack.severity_of(d.policyName),
                "urn": d.urn or default_urn,
                "message": message,
            }
        )
    return out


def evaluate_resources(
    resources: Sequence[Resource], config: dict[str, dict[str, Any]], packs: Sequence[str] = ("security", "cost")
) -> list[dict[str, Any]]:
    """Run the packs over `resources` with `config` ({policy: {"enforcementLevel": ..., **settings}})."""
    by_urn = {r.urn: r for r in resources}
    violations: list[dict[str, Any]] = []
    for pack_key in packs:
        pack = _Pack(pack_key, config)
        for r in resources:
            names = tuple(rule.name for rule in pack.rules if rule.applies_to(r.type))
            if not names:
                continue
            request = proto.AnalyzeRequest(type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name)
            if r.parent:
                request.options.parent = r.parent
            provider = _provider_message(by_urn.get(r.provider_urn or ""))
            if provider is not None:
                request.provider.CopyFrom(provider)
            response = pack.servicer(names).Analyze(request, None)
            violations += _violations(pack, response.diagnostics, r.urn)
        stack_names = tuple(rule.name for rule in pack.rules if rule.is_stack)
        if stack_names:
            stack_request = proto.AnalyzeStackRequest()
            for r in resources:
                item = stack_request.resources.add()
                item.type, item.urn, item.name = r.type, r.urn, r.name
                item.properties.CopyFrom(_struct(r.inputs))
                if r.parent:
                    item.parent = r.parent
                    item.options.parent = r.parent
                item.dependencies.extend(r.dependencies)
                provider = _provider_message(by_urn.get(r.provider_urn or ""))
                if provider is not None:
                    item.provider.CopyFrom(provider)
            response = pack.servicer(stack_names).AnalyzeStack(stack_request, None)
            violations += _violations(pack, response.diagnostics, None)
    return violations


def evaluate_preview(
    result: PreviewResult, env: Any, overrides: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The `violations` of the preview JSON: both packs, configured for `env` (an Environment), with
    `overrides` ({policy: {setting: value}}) over that configuration."""
    from policies.config import pack_config

    config = pack_config(env)
    for name, values in (overrides or {}).items():
        if name in config:
            config[name] = {**config[name], **values}
    return evaluate_resources(result.resources, config)


def has_mandatory(violations: Sequence[dict[str, Any]]) -> bool:
    return any(v.get("enforcement_level") == "mandatory" for v in violations)

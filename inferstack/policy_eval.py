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
Rules read secrets unwrapped (as under the engine); `redact` keeps their values out of every message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from inspect import isawaitable
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, _DictProxy, unknown_checking_proxy

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


def _wire(value: Any, secrets: list[str] | None = None, inside: bool = False) -> Any:
    """A recorded input as the engine puts it on the wire: secrets signed, unknowns as the unknown sentinel.

    Every key and scalar inside a secret is appended to `secrets` (as text) so messages can be redacted."""
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": _wire(value.value, secrets, True)}
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        if inside and secrets is not None:
            secrets.extend(str(k) for k in value)
        return {str(k): _wire(v, secrets, inside) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v, secrets, inside) for v in value]
    if inside and secrets is not None and value is not None:
        secrets.append(str(value))
        if isinstance(value, bool):
            secrets.append(str(value).lower())  # as JSON would print it
    return value


def _struct(inputs: dict[str, Any], secrets: list[str] | None = None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(_wire(inputs, secrets))
    return s


SECRET_TEXT = "[secret]"
_SHORT_SECRET = 6  # shorter secrets are replaced only as whole words, so "1" does not eat every digit


def _word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


class Redactor:
    """Replaces every occurrence of any of many secret texts in a message by "[secret]" (issue 13, class 2:
    rules read unwrapped secrets, as under the Pulumi engine, and may quote them in their messages).

    Built once per evaluation: a message is scanned once, left to right, taking the longest secret that
    starts at each position (secrets of 6+ characters found through their 6-character prefix, shorter
    ones only as whole words), so the cost is linear in the message, whatever the number of secrets."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.long: dict[str, list[str]] = {}
        self.short: set[str] = set()
        for value in set(secrets):
            if len(value) >= _SHORT_SECRET:
                self.long.setdefault(value[:_SHORT_SECRET], []).append(value)
            elif value:
                self.short.add(value)
        for candidates in self.long.values():
            candidates.sort(key=len, reverse=True)

    def __call__(self, message: str) -> str:
        if not self.long and not self.short:
            return message
        out: list[str] = []
        i, n = 0, len(message)
        while i < n:
            match = 0
            for value in self.long.get(message[i : i + _SHORT_SECRET], ()):
                if message.startswith(value, i):
                    match = len(value)
                    break
            if not match and self.short and (i == 0 or not _word_char(message[i - 1])):
                for k in range(min(_SHORT_SECRET - 1, n - i), 0, -1):
                    if message[i : i + k] in self.short and (i + k == n or not _word_char(message[i + k])):
                        match = k
                        break
            if match:
                out.append(SECRET_TEXT)
                i += match
            else:
                out.append(message[i])
                i += 1
        return "".join(out)


def redact(message: str, secrets: Iterable[str]) -> str:
    """`message` with every secret text in `secrets` replaced by "[secret]"."""
    return Redactor(secrets)(message)


class _Pack:
    """One pack's analyzers, configured like the engine configures a loaded pack."""

    def __init__(self, pack: str, config: dict[str, dict[str, Any]]) -> None:
        from inferstack.policies.registry import PACK_NAMES, pack_rules

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
        if not hasattr(self, "_descriptions"):
            self._descriptions = {r.name: str(r.policy.description) for r in reversed(self.rules)}
        return self._descriptions.get(policy_name, "")


def _violations(
    pack: _Pack, diagnostics: Iterable[Any], default_urn: str | None, secrets: Sequence[str] | Redactor
) -> list[dict[str, Any]]:
    redactor = secrets if isinstance(secrets, Redactor) else Redactor(secrets)
    out = []
    for d in diagnostics:
        description = pack.description_of(d.policyName)
        message = d.message
        if description and message.startswith(description + "\n"):
            message = message[len(description) + 1 :]
        urn = d.urn or default_urn
        out.append(
            {  # names interned and the resource's own URN object reused: 100k violations stay small
                "policy": sys.intern(d.policyName),
                "pack": sys.intern(d.policyPackName),
                "enforcement_level": _PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory"),
                "severity": _SEVERITY.get(d.severity) or pack.severity_of(d.policyName),
                "urn": default_urn if urn == default_urn else urn,
                "message": redactor(message),
            }
        )
    return out


class _Wired:
    """Each resource converted to the wire once (issue 13, class 13: it used to be converted once per pack,
    again for each stack request, and its provider once per resource that named it)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.secrets: dict[str, list[str]] = {}
        self.structs: dict[str, struct_pb2.Struct] = {}
        self._providers: dict[str, proto.AnalyzerProviderResource | None] = {}
        self._stack: proto.AnalyzeStackRequest | None = None

    def struct(self, r: Resource) -> struct_pb2.Struct:
        s = self.structs.get(r.urn)
        if s is None:
            found: list[str] = []
            s = self.structs[r.urn] = _struct(r.inputs, found)
            if found:
                self.secrets[r.urn] = found
        return s

    def provider(self, r: Resource) -> proto.AnalyzerProviderResource | None:
        key = r.provider_urn or ""
        if key not in self._providers:
            p = self.by_urn.get(key)
            self._providers[key] = (
                None
                if p is None
                else proto.AnalyzerProviderResource(type=p.type, properties=self.struct(p), urn=p.urn, name=p.name)
            )
        return self._providers[key]

    def secrets_of(self, *resources: Resource | None) -> list[str]:
        return [s for r in resources if r is not None for s in self.secrets.get(r.urn, ())]

    def all_secrets(self) -> list[str]:
        return [s for found in self.secrets.values() for s in found]

    def stack_request(self) -> proto.AnalyzeStackRequest:
        if self._stack is None:
            request = proto.AnalyzeStackRequest()
            for r in self.resources:
                item = request.resources.add()
                item.type, item.urn, item.name = r.type, r.urn, r.name
                item.properties.CopyFrom(self.struct(r))
                if r.parent:
                    item.parent = r.parent
                    item.options.parent = r.parent
                item.dependencies.extend(r.dependencies)
                provider = self.provider(r)
                if provider is not None:
                    item.provider.CopyFrom(provider)
            self._stack = request
        return self._stack


def evaluate_via_servicer(
    resources: Sequence[Resource], config: dict[str, dict[str, Any]], packs: Sequence[str] = ("security", "cost")
) -> list[dict[str, Any]]:
    """`evaluate_resources` through the servicer's gRPC methods (`Analyze` per resource, `AnalyzeStack`), with
    protobuf requests exactly as the engine sends them. Kept as the reference the direct path is tested
    against; it deserializes every resource once per applicable policy, which is what made it slow."""
    from inferstack.policies.rules._base import clear_stack_caches

    wired = _Wired(resources)
    violations: list[dict[str, Any]] = []
    with _gc_paused():
        for pack_key in packs:
            pack = _Pack(pack_key, config)
            names_by_type: dict[str, tuple[str, ...]] = {}
            for r in resources:
                names = names_by_type.get(r.type)
                if names is None:
                    names = names_by_type[r.type] = tuple(rule.name for rule in pack.rules if rule.applies_to(r.type))
                if not names:
                    continue
                request = proto.AnalyzeRequest(type=r.type, urn=r.urn, name=r.name)
                request.properties.CopyFrom(wired.struct(r))
                if r.parent:
                    request.options.parent = r.parent
                provider = wired.provider(r)
                if provider is not None:
                    request.provider.CopyFrom(provider)
                response = pack.servicer(names).Analyze(request, None)
                if response.diagnostics:
                    secrets = wired.secrets_of(r, wired.by_urn.get(r.provider_urn or ""))
                    violations += _violations(pack, response.diagnostics, r.urn, secrets)
            stack_names = tuple(rule.name for rule in pack.rules if rule.is_stack)
            if stack_names:
                try:
                    response = pack.servicer(stack_names).AnalyzeStack(wired.stack_request(), None)
                finally:
                    clear_stack_caches()
                if response.diagnostics:
                    violations += _violations(pack, response.diagnostics, None, wired.all_secrets())
    return violations


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the analyzers allocate: the collector's full passes rescan every
    live object (all resources' structs and proxies), which made a long evaluation superlinear."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plain_wire(value: Any, secrets: list[str], inside: bool = False) -> Any:
    """What `MessageToDict` returns for the engine's Struct of `value`: secrets signed, unknowns as the
    sentinel, every number a float (Struct holds doubles), tuples as lists. Collects secret texts as `_wire`."""
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": _plain_wire(value.value, secrets, True)}
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        if inside:
            secrets.extend(str(k) for k in value)
        return {str(k): _plain_wire(v, secrets, inside) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_wire(v, secrets, inside) for v in value]
    if inside and value is not None:
        secrets.append(str(value))
        if isinstance(value, bool):
            secrets.append(str(value).lower())
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class _LazyProps(_DictProxy):
    """A stack resource's properties, proxied only when a stack policy reads them: most stack policies look
    at a few types, so a 50k-resource stack need not hold a proxy of every resource (issue 13, class 13).
    A `_DictProxy` itself, so the helpers that check for one (policies.rules._base) see no difference."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build: Callable[[], Any] | None = build

    def _materialize(self) -> None:
        if self._build is not None:
            real = self._build()
            self._build = None
            _DictProxy.__init__(self, real["__target"], [])

    def __getitem__(self, key: Any) -> Any:
        self._materialize()
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._materialize()
        super().__setitem__(key, value)

    def __len__(self) -> int:
        self._materialize()
        return super().__len__()

    def __iter__(self) -> Iterator[Any]:
        self._materialize()
        return super().__iter__()


class _Direct:
    """The analyzer's work without the protobuf round trips: each resource's properties are deserialized and
    proxied with pulumi_policy's own `deserialize_properties` and `unknown_checking_proxy`, from the same
    dict `MessageToDict` produces, once for all the resource policies of both packs; stack policies get them
    lazily. Levels, configuration and violation reports come from the configured servicer itself. Same
    results as `evaluate_via_servicer` (tests/test_policy_check_scaling.py compares both on every reference
    environment)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.secrets: dict[int, list[str]] = {}  # by id(resource): the list holds them alive
        self._providers: dict[str, PolicyProviderResource | None] = {}
        self._stack: list[PolicyResource] | None = None

    def props(self, r: Resource) -> Any:
        secrets: list[str] = []
        props = unknown_checking_proxy(deserialize_properties(_plain_wire(r.inputs, secrets)))
        if secrets:
            self.secrets[id(r)] = secrets
        return props

    def provider(self, r: Resource) -> PolicyProviderResource | None:
        key = r.provider_urn or ""
        if key not in self._providers:
            p = self.by_urn.get(key)
            self._providers[key] = None if p is None else PolicyProviderResource(p.type, self.props(p), p.urn, p.name)
        return self._providers[key]

    def secrets_of(self, *resources: Resource | None) -> list[str]:
        return [s for r in resources if r is not None for s in self.secrets.get(id(r), ())]

    def all_secrets(self) -> list[str]:
        return [s for found in self.secrets.values() for s in found]

    @staticmethod
    def options(parent: str | None) -> PolicyResourceOptions:
        # what the servicer's _get_resource_options reads from a request that sets only options.parent
        return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent or None)

    def stack_resources(self) -> list[PolicyResource]:
        if self._stack is None:
            made = [
                PolicyResource(
                    r.type,
                    _LazyProps(functools.partial(self.props, r)),
                    r.urn,
                    r.name,
                    self.options(r.parent),
                    self.provider(r),
                    None,
                    [],
                    {},
                )
                for r in self.resources
            ]
            by_urn = {res.urn: res for res in made}  # as AnalyzeStack links them: by URN, unknown ones skipped
            for r, res in zip(self.resources, made, strict=True):
                if r.parent and r.parent in by_urn:
                    res.parent = by_urn[r.parent]
                res.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            self._stack = made
        return self._stack


def _run(policy: Any, args: Any, report: Any, response: Any, pack: _Pack) -> None:
    """One validation, handled as the servicer handles it (awaitables run, unknowns become an advisory)."""
    try:
        result = policy.validate(args, report)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
            loop.close()
    except UnknownValueError as e:
        response.diagnostics.append(
            proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=pack.name,
                policyPackVersion=PACK_VERSION,
                message=(
                    f"can't run policy '{policy.name}' from policy pack '{pack.name}@v{PACK_VERSION}' during "
                    f"preview: {e.message}"
                ),
                urn="",
                description=policy.description,
                enforcementLevel=proto.ADVISORY,
            )
        )
    except _NotApplicableError:
        pass  # reported as "not applicable" by the engine, never as a violation


def _levelled(servicer: _PolicyAnalyzerServicer, policy: Any, kind: type) -> EnforcementLevel | None:
    level = servicer._get_enforcement_level(policy)
    if level == EnforcementLevel.DISABLED or not isinstance(policy, kind):
        return None
    return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level


def evaluate_resources(
    resources: Sequence[Resource], config: dict[str, dict[str, Any]], packs: Sequence[str] = ("security", "cost")
) -> list[dict[str, Any]]:
    """Run the packs over `resources` with `config` ({policy: {"enforcementLevel": ..., **settings}}).

    Linear in the number of resources (issue 13, class 13): each resource is deserialized once for the
    resource policies of both packs (and again only if a stack policy reads it), the policies that apply to
    a type are looked up once per type, the stack's resources are built once for every stack policy of both
    packs. Messages that quote a secret value print it as "[secret]"."""
    from inferstack.policies.rules._base import clear_stack_caches
    from inferstack.policies.rules.cost._estimate import forget_offline_resources, use_offline_resources

    direct = _Direct(resources)
    with _gc_paused():
        setups: list[tuple[_Pack, _PolicyAnalyzerServicer, Any, dict[str, list[Any]]]] = []
        for pack_key in packs:
            pack = _Pack(pack_key, config)
            servicer = pack.servicer(tuple(rule.name for rule in pack.rules))
            servicer._configure_runtime_settings()
            setups.append((pack, servicer, servicer._PolicyAnalyzerServicer__stack_tags, {}))
        found: list[list[dict[str, Any]]] = [[] for _ in setups]
        for r in resources:  # resource policies: each resource's props built once for both packs
            props: Any = None
            for (pack, servicer, stack_tags, by_type), out in zip(setups, found, strict=True):
                policies = by_type.get(r.type)
                if policies is None:
                    policies = by_type[r.type] = [rule.policy for rule in pack.rules if rule.applies_to(r.type)]
                if not policies:
                    continue
                if props is None:
                    props = direct.props(r)
                response = proto.AnalyzeResponse()
                for policy in policies:
                    level = _levelled(servicer, policy, ResourceValidationPolicy)
                    if level is None or not policy.has_validation():
                        continue
                    report = servicer._create_report_violation(
                        response, policy.name, policy.description, level, policy.severity
                    )
                    args = ResourceValidationArgs(
                        r.type,
                        props,
                        r.urn,
                        r.name,
                        direct.options(r.parent),
                        direct.provider(r),
                        servicer._get_policy_config(policy.name),
                        stack_tags,
                    )
                    _run(policy, args, report, response, pack)
                if response.diagnostics:
                    secrets = direct.secrets_of(r, direct.by_urn.get(r.provider_urn or ""))
                    out += _violations(pack, response.diagnostics, r.urn, secrets)
        violations: list[dict[str, Any]] = []
        for (pack, servicer, stack_tags, _), out in zip(setups, found, strict=True):
            violations += out
            stack_policies = [rule.policy for rule in pack.rules if rule.is_stack]
            response = proto.AnalyzeResponse()
            if stack_policies:
                use_offline_resources(direct.stack_resources(), resources)
            try:
                for policy in stack_policies:
                    level = _levelled(servicer, policy, StackValidationPolicy)
                    if level is None:
                        continue
                    report = servicer._create_report_violation(
                        response, policy.name, policy.description, level, policy.severity
                    )
                    args = StackValidationArgs(
                        direct.stack_resources(), servicer._get_policy_config(policy.name), stack_tags
                    )
                    _run(policy, args, report, response, pack)
            finally:
                clear_stack_caches()
                forget_offline_resources()
            if response.diagnostics:
                violations += _violations(pack, response.diagnostics, None, direct.all_secrets())
    return violations


def evaluate_preview(
    result: PreviewResult, env: Any, overrides: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The `violations` of the preview JSON: both packs, configured for `env` (an Environment), with
    `overrides` ({policy: {setting: value}}) over that configuration."""
    from inferstack.policies.config import pack_config

    config = pack_config(env)
    for name, values in (overrides or {}).items():
        if name in config:
            config[name] = {**config[name], **values}
    return evaluate_resources(result.resources, config)


def has_mandatory(violations: Sequence[dict[str, Any]]) -> bool:
    return any(v.get("enforcement_level") == "mandatory" for v in violations)

"""What an offline preview produced: registered resources, stack outputs, and the JSON contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


class Secret:
    """A value Pulumi marks secret. Kept for policies; printed as `[secret]`."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "[secret]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash("[secret]")


class Unknown:
    """A value not known until apply (an output of a resource the preview cannot see)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "[unknown]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown)

    def __hash__(self) -> int:
        return hash("[unknown]")


UNKNOWN = Unknown()


@dataclass
class Resource:
    """One registration, as the engine saw it. `inputs` use the engine's camelCase property names."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    dependencies: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def provider_urn(self) -> str | None:
        """The provider reference without its `::id` suffix."""
        if not self.provider:
            return None
        return self.provider.rsplit("::", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider_urn,
            "inputs": to_plain(self.inputs),
            # URNs this registration depends on (inputs taken from their outputs, or depends_on): stack policies
            # join on them, so `inferstack policy check` of this document sees the same graph as the preview.
            "dependencies": sorted(set(self.dependencies)),
        }


@dataclass
class PreviewResult:
    """The whole offline preview of one stack."""

    environment: str
    project: str
    stack: str
    resources: list[Resource]
    outputs: dict[str, Any]
    violations: list[dict[str, Any]] = field(default_factory=list)
    cost: dict[str, Any] | None = None

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "environment": self.environment,
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": to_plain(self.outputs),
            "violations": self.violations,
            "cost": self.cost,
        }


def to_plain(value: Any) -> Any:
    """JSON-safe copy: secrets become "[secret]", unknowns "[unknown]"."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Unknown):
        return "[unknown]"
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def reveal(value: Any) -> Any:
    """Copy with secrets unwrapped (for policy evaluation only; never printed)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value

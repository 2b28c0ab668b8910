"""Every policy of the two packs, with its metadata. One module per policy under policies/rules/<pack>/.

Modules are discovered (so a new rule module is registered by existing), and each must export
`POLICY` (a pulumi_policy ResourceValidationPolicy or StackValidationPolicy) and `META` (RuleMeta).
Modules whose names start with `_` are helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

from pulumi_policy import Policy, ResourceValidationPolicy, StackValidationPolicy

from inferstack.policies.rules._base import RuleMeta

PACKS = ("security", "cost")
PACK_NAMES = {"security": "inferstack-security", "cost": "inferstack-cost"}
PACK_DESCRIPTIONS = {
    "security": "inferstack security guardrails: EKS, GPU nodes, SageMaker, S3, KMS, CloudWatch, Route53, network, "
    "ECR and Kubernetes workloads.",
    "cost": "inferstack cost guardrails: instance allowlists, spot and scale-to-zero for GPUs, size ceilings, tags, "
    "regions, budgets and the monthly cost ceiling.",
}


@dataclass(frozen=True)
class Rule:
    """A registered policy: the pulumi_policy object, its metadata and the module that defines it."""

    policy: Policy
    meta: RuleMeta
    module: str

    @property
    def name(self) -> str:
        return str(self.policy.name)

    @property
    def pack(self) -> str:
        return self.meta.pack

    @property
    def is_stack(self) -> bool:
        return isinstance(self.policy, StackValidationPolicy)

    def applies_to(self, resource_type: str) -> bool:
        """Whether offline evaluation hands a resource of this type to the (resource) policy."""
        if not isinstance(self.policy, ResourceValidationPolicy):
            return False
        types, prefixes = self.meta.resource_types, self.meta.type_prefixes
        if types is not None:
            return resource_type in types
        return prefixes is None or resource_type.startswith(prefixes)

    def names_type(self, resource_type: str) -> bool:
        """Whether the rule is written for this type specifically (not only for every AWS resource)."""
        return self.meta.resource_types is not None and resource_type in self.meta.resource_types


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for pack in PACKS:
        package = importlib.import_module(f"inferstack.policies.rules.{pack}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"inferstack.policies.rules.{pack}.{info.name}")
            rules.append(Rule(policy=module.POLICY, meta=module.META, module=module.__name__))
    return tuple(rules)


def pack_rules(pack: str) -> list[Rule]:
    return [r for r in all_rules() if r.pack == pack]


def rule(name: str) -> Rule:
    for r in all_rules():
        if r.name == name:
            return r
    raise KeyError(name)


def pack_policies(pack: str) -> list[Policy]:
    """The policy objects of one pack, as `PolicyPack(policies=...)` takes them."""
    return [r.policy for r in pack_rules(pack)]

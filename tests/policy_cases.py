"""Synthetic inputs for the policy tests: a compliant baseline per resource type and helpers to evaluate one
policy through the same analyzer path as `inferstack preview` (inferstack.policy_eval)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from inferstack.engine.model import Resource
from inferstack.policies.config import pack_config
from inferstack.policies.registry import all_rules, rule
from inferstack.policy_eval import evaluate_resources

GPU_POD: dict[str, Any] = {
    "serviceAccountName": "triton",
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "nodeSelector": {"inferstack.io/gpu-node-group": "l4"},
    "volumes": [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}],
    "containers": [
        {
            "name": "triton",
            "image": "nvcr.io/nvidia/tritonserver:24.09-py3",
            "resources": {
                "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                "limits": {"memory": "8Gi", "nvidia.com/gpu": "1"},
            },
            "securityContext": {
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8000}},
            "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": 8000}},
            "startupProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8000}},
        }
    ],
}


def deployment(pod: dict[str, Any] | None = None, replicas: int = 2) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "triton", "namespace": "serving"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "triton"}},
            "template": {"metadata": {"labels": {"app": "triton"}}, "spec": copy.deepcopy(pod or GPU_POD)},
        },
    }


def mutate(base: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """A deep copy of `base` with `change` applied to it."""
    out = copy.deepcopy(base)
    change(out)
    return out


def container(d: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = d["spec"]["template"]["spec"]["containers"][0]
    return result


def res(type_: str, props: dict[str, Any], name: str = "r", **kw: Any) -> Resource:
    return Resource(
        urn=f"urn:pulumi:prod::inferstack::{type_}::{name}",
        type=type_,
        name=name,
        parent=kw.get("parent"),
        custom=True,
        provider=kw.get("provider"),
        dependencies=kw.get("dependencies", []),
        inputs=props,
    )


def only(policy: str, env: str = "prod", **config: Any) -> dict[str, dict[str, Any]]:
    """Pack config that runs `policy` alone (at its level for `env`), every other policy disabled."""
    cfg: dict[str, dict[str, Any]] = {r.name: {"enforcementLevel": "disabled"} for r in all_rules()}
    cfg[policy] = {**pack_config(env)[policy], **config}
    if cfg[policy]["enforcementLevel"] == "disabled":
        cfg[policy]["enforcementLevel"] = "advisory"
    return cfg


def messages(policy: str, resources: list[Resource], env: str = "prod", **config: Any) -> list[str]:
    found = evaluate_resources(resources, only(policy, env, **config), packs=(rule(policy).pack,))
    assert all(v["policy"] == policy for v in found)
    return [v["message"] for v in found]

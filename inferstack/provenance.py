"""Which line of the environment file caused a policy violation.

A violation names a resource URN; reviewers and engineers fix `environments/<env>.yaml`. This module maps
the violating resource back to the setting that produced it, by the component the stack wiring
(`stacks/`) built it under:

======================================  =====================================================
component (type, name)                  environment setting
======================================  =====================================================
GpuNodeGroup ``gpu-<name>[-<region>]``  ``cluster.gpu_node_groups[i]`` (the group named <name>)
TritonService ``triton-<model>...``     ``deployments[i]`` (target triton-eks, model <model>)
SageMakerEndpoint ``sm-<model>...``     ``deployments[i]`` (SageMaker target, model <model>)
SageMakerLlm ``sm-<model>...``          ``deployments[i]`` (target sagemaker-llm, model <model>)
EksCluster / ClusterAddons              ``cluster``
Network                                 ``network``
Budget / AlertTopic / ServiceAlarms     ``monitoring``
InferenceApi                            ``api``
FailoverDns                             ``dns``
provider ``aws-<region>``               ``regions.primary`` / ``regions.secondary``
======================================  =====================================================

then, per policy, to the field inside that setting the rule checks (`FIELDS`), e.g. the node-group size
ceiling points at ``cluster.gpu_node_groups[0].max_size``. Line and column come from the YAML node of that
field, or of the nearest enclosing node the file spells out (a default that is not written in the file
points at the block where it would go). Every violation gets ``source`` = {file, line, column, path} or None
when no setting of the file produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]

#: policy name -> field relative to the setting of the component (or an absolute path starting with "/").
FIELDS: dict[str, str] = {
    "aws-eks-nodegroup-limit-max-size": "max_size",
    "aws-eks-nodegroup-require-spot-gpu": "capacity_type",
    "aws-eks-nodegroup-enable-gpu-scale-to-zero": "min_size",
    "aws-eks-nodegroup-restrict-instance-types": "instance_types",
    "aws-eks-nodegroup-require-accelerated-ami": "ami_type",
    "aws-sagemaker-endpointconfig-restrict-instance-types": "instance_type",
    "aws-sagemaker-endpointconfig-require-multiple-instances": "instances.min",
    "aws-appautoscaling-target-limit-sagemaker-capacity": "instances.max",
    "kubernetes-pod-container-limit-gpus-per-pod": "gpus_per_replica",
    "aws-eks-cluster-disallow-public-endpoint": "/cluster.endpoint_public_access",
    "aws-eks-cluster-configure-supported-version": "/cluster.kubernetes_version",
    "aws-eks-cluster-enable-control-plane-logging": "/cluster.control_plane_logs",
    "inferstack-budgets-budget-require-subscriber": "/monitoring.alarm_emails",
    "inferstack-aws-tags-require-cost-allocation": "/tags",
    "inferstack-stack-limit-monthly-cost": "/deployments",
    "inferstack-stack-warn-cost-increase": "/deployments",
}

_BY_COMPONENT: dict[str, Loc] = {
    "inferstack:index:EksCluster": ("cluster",),
    "inferstack:index:ClusterAddons": ("cluster",),
    "inferstack:index:Network": ("network",),
    "inferstack:index:Budget": ("monitoring",),
    "inferstack:index:AlertTopic": ("monitoring",),
    "inferstack:index:ServiceAlarms": ("monitoring",),
    "inferstack:index:Dashboard": ("monitoring",),
    "inferstack:index:InferenceApi": ("api",),
    "inferstack:index:FailoverDns": ("dns",),
}


def _split(path: str) -> Loc:
    out: list[str | int] = []
    for part in path.split("."):
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def fmt_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _strip_region(name: str, regions: list[str]) -> str:
    for region in regions:
        if name.endswith(f"-{region}"):
            return name[: -len(region) - 1]
    return name


def _component_setting(type_: str, name: str, env: Any) -> Loc | None:
    regions = list(env.regions.all)
    base = _strip_region(name, regions)
    if type_ == "inferstack:index:GpuNodeGroup" and base.startswith("gpu-"):
        for i, group in enumerate(env.cluster.gpu_node_groups):
            if group.name == base.removeprefix("gpu-"):
                return ("cluster", "gpu_node_groups", i)
    if type_ in (
        "inferstack:index:TritonService",
        "inferstack:index:SageMakerEndpoint",
        "inferstack:index:SageMakerLlm",
    ):
        prefix, triton = ("triton-", True) if type_.endswith("TritonService") else ("sm-", False)
        for i, dep in enumerate(env.deployments):
            if base == prefix + dep.model and (dep.target == "triton-eks") == triton:
                return ("deployments", i)
    return _BY_COMPONENT.get(type_)


def setting_of(urn: str | None, resources: dict[str, Any], env: Any) -> Loc | None:
    """The environment setting that the resource `urn` (or its nearest mapped ancestor) comes from."""
    seen = 0
    while urn and urn in resources and seen < 64:
        r = resources[urn]
        if r.type == "pulumi:providers:aws":
            region = (r.inputs or {}).get("region")
            if region == env.regions.primary:
                return ("regions", "primary")
            if region is not None and region == env.regions.secondary:
                return ("regions", "secondary")
            return ("regions",)
        if not r.custom:
            found = _component_setting(r.type, r.name, env)
            if found is not None:
                return found
        urn, seen = r.parent, seen + 1
    return None


def _node_at(node: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
        if node is None:
            return None
    return node


def locate(root: yaml.Node | None, loc: Loc) -> tuple[int, int] | None:
    """1-based (line, column) of `loc`, or of its nearest ancestor written in the file."""
    for end in range(len(loc), -1, -1):
        node = _node_at(root, loc[:end]) if end else root
        if node is not None:
            return node.start_mark.line + 1, node.start_mark.column + 1
    return None


def violation_loc(violation: dict[str, Any], resources: dict[str, Any], env: Any) -> Loc | None:
    field = FIELDS.get(str(violation.get("policy")))
    if field is not None and field.startswith("/"):
        return _split(field[1:])
    setting = setting_of(violation.get("urn"), resources, env)
    if setting is None:
        return None
    if field is not None and (len(setting) == 3 or setting[0] == "deployments"):
        return (*setting, *_split(field))  # a node group (cluster.gpu_node_groups[i]) or a deployment
    return setting


def annotate(violations: list[dict[str, Any]], resources: list[Any], env: Any, env_file: Path, rel: str) -> None:
    """Add `source` ({file, line, column, path} or None) to every violation, in place."""
    try:
        root = yaml.compose(env_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        root = None
    by_urn = {r.urn: r for r in resources}
    for v in violations:
        loc = violation_loc(v, by_urn, env) if env is not None and not isinstance(env, str) else None
        if loc is None:
            v["source"] = None
            continue
        where = locate(root, loc)
        v["source"] = {
            "file": rel,
            "line": where[0] if where else None,
            "column": where[1] if where else None,
            "path": fmt_path(loc),
        }


def describe(violation: dict[str, Any]) -> str:
    """'environments/dev.yaml:16:7 at cluster.gpu_node_groups[0].max_size', or '' without a source."""
    src = violation.get("source")
    if not src:
        return ""
    pos = f":{src['line']}:{src['column']}" if src.get("line") else ""
    return f"{src['file']}{pos} at {src['path']}"

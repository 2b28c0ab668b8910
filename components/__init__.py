"""inferstack components: import them into your own Pulumi program.

    from inferstack.components import GpuNodeGroup, GpuNodeGroupArgs

Each component takes one typed `XArgs`, parents its children to itself, never creates AWS providers
(children inherit the caller's, pass `opts=pulumi.ResourceOptions(provider=...)`), and defaults to the
secure posture.

The names load on first use (PEP 562 module `__getattr__`): importing one submodule, such as
`inferstack.components.versions` for the CLI's `validate`, does not import every component and with
them pulumi_aws and pulumi_kubernetes (about 1.5 s, issue 15 "Fast start"). Type checkers read the
imports under TYPE_CHECKING, so `from inferstack.components import Keys` stays fully typed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inferstack.components.alerting import AlertTopic, AlertTopicArgs, ServiceAlarms, ServiceAlarmsArgs
    from inferstack.components.budget import Budget, BudgetArgs
    from inferstack.components.cluster_addons import ClusterAddons, ClusterAddonsArgs
    from inferstack.components.eks_cluster import EksCluster, EksClusterArgs
    from inferstack.components.failover_dns import FailoverDns, FailoverDnsArgs
    from inferstack.components.gpu_node_group import GpuNodeGroup, GpuNodeGroupArgs
    from inferstack.components.inference_api import InferenceApi, InferenceApiArgs
    from inferstack.components.keys import Keys, KeysArgs
    from inferstack.components.llm_service import LlmService, LlmServiceArgs
    from inferstack.components.model_registry import (
        ModelArtifactReplication,
        ModelArtifactReplicationArgs,
        ModelRegistry,
        ModelRegistryArgs,
    )
    from inferstack.components.monitoring import (
        Dashboard,
        DashboardArgs,
        KubernetesMonitoring,
        KubernetesMonitoringArgs,
    )
    from inferstack.components.network import Network, NetworkArgs
    from inferstack.components.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
    from inferstack.components.sagemaker_llm import SageMakerLlm, SageMakerLlmArgs
    from inferstack.components.triton_front import TritonFront, TritonFrontArgs
    from inferstack.components.triton_service import TritonService, TritonServiceArgs

# exported name -> submodule that defines it (the TYPE_CHECKING imports above, kept in step by
# tests/test_typed_components.py::test_lazy_exports_match_the_typed_imports)
_EXPORTS = {
    "AlertTopic": "alerting",
    "AlertTopicArgs": "alerting",
    "ServiceAlarms": "alerting",
    "ServiceAlarmsArgs": "alerting",
    "Budget": "budget",
    "BudgetArgs": "budget",
    "ClusterAddons": "cluster_addons",
    "ClusterAddonsArgs": "cluster_addons",
    "EksCluster": "eks_cluster",
    "EksClusterArgs": "eks_cluster",
    "FailoverDns": "failover_dns",
    "FailoverDnsArgs": "failover_dns",
    "GpuNodeGroup": "gpu_node_group",
    "GpuNodeGroupArgs": "gpu_node_group",
    "InferenceApi": "inference_api",
    "InferenceApiArgs": "inference_api",
    "Keys": "keys",
    "KeysArgs": "keys",
    "LlmService": "llm_service",
    "LlmServiceArgs": "llm_service",
    "ModelArtifactReplication": "model_registry",
    "ModelArtifactReplicationArgs": "model_registry",
    "ModelRegistry": "model_registry",
    "ModelRegistryArgs": "model_registry",
    "Dashboard": "monitoring",
    "DashboardArgs": "monitoring",
    "KubernetesMonitoring": "monitoring",
    "KubernetesMonitoringArgs": "monitoring",
    "Network": "network",
    "NetworkArgs": "network",
    "SageMakerEndpoint": "sagemaker_endpoint",
    "SageMakerEndpointArgs": "sagemaker_endpoint",
    "SageMakerLlm": "sagemaker_llm",
    "SageMakerLlmArgs": "sagemaker_llm",
    "TritonFront": "triton_front",
    "TritonFrontArgs": "triton_front",
    "TritonService": "triton_service",
    "TritonServiceArgs": "triton_service",
}

# A literal list: type checkers and linters read __all__ to know what the TYPE_CHECKING imports export.
__all__ = [
    "AlertTopic",
    "AlertTopicArgs",
    "Budget",
    "BudgetArgs",
    "ClusterAddons",
    "ClusterAddonsArgs",
    "Dashboard",
    "DashboardArgs",
    "EksCluster",
    "EksClusterArgs",
    "FailoverDns",
    "FailoverDnsArgs",
    "GpuNodeGroup",
    "GpuNodeGroupArgs",
    "InferenceApi",
    "InferenceApiArgs",
    "Keys",
    "KeysArgs",
    "KubernetesMonitoring",
    "KubernetesMonitoringArgs",
    "LlmService",
    "LlmServiceArgs",
    "ModelArtifactReplication",
    "ModelArtifactReplicationArgs",
    "ModelRegistry",
    "ModelRegistryArgs",
    "Network",
    "NetworkArgs",
    "SageMakerEndpoint",
    "SageMakerEndpointArgs",
    "SageMakerLlm",
    "SageMakerLlmArgs",
    "ServiceAlarms",
    "ServiceAlarmsArgs",
    "TritonFront",
    "TritonFrontArgs",
    "TritonService",
    "TritonServiceArgs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""inferstack components: import them into your own Pulumi program.

    from inferstack.components import GpuNodeGroup, GpuNodeGroupArgs

Each component takes one typed `XArgs`, parents its children to itself, never creates AWS providers
(children inherit the caller's, pass `opts=pulumi.ResourceOptions(provider=...)`), and defaults to the
secure posture.
"""

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
from inferstack.components.monitoring import Dashboard, DashboardArgs, KubernetesMonitoring, KubernetesMonitoringArgs
from inferstack.components.network import Network, NetworkArgs
from inferstack.components.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from inferstack.components.triton_front import TritonFront, TritonFrontArgs
from inferstack.components.triton_service import TritonService, TritonServiceArgs

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
    "ServiceAlarms",
    "ServiceAlarmsArgs",
    "TritonFront",
    "TritonFrontArgs",
    "TritonService",
    "TritonServiceArgs",
]

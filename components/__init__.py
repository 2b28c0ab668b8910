"""inferstack components: import them into your own Pulumi program.

    from components import GpuNodeGroup, GpuNodeGroupArgs

Each component takes one typed `XArgs`, parents its children to itself, never creates AWS providers
(children inherit the caller's, pass `opts=pulumi.ResourceOptions(provider=...)`), and defaults to the
secure posture.
"""

from components.alerting import AlertTopic, AlertTopicArgs, ServiceAlarms, ServiceAlarmsArgs
from components.budget import Budget, BudgetArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.eks_cluster import EksCluster, EksClusterArgs
from components.failover_dns import FailoverDns, FailoverDnsArgs
from components.gpu_node_group import GpuNodeGroup, GpuNodeGroupArgs
from components.inference_api import InferenceApi, InferenceApiArgs
from components.keys import Keys, KeysArgs
from components.model_registry import (
    ModelArtifactReplication,
    ModelArtifactReplicationArgs,
    ModelRegistry,
    ModelRegistryArgs,
)
from components.monitoring import Dashboard, DashboardArgs, KubernetesMonitoring, KubernetesMonitoringArgs
from components.network import Network, NetworkArgs
from components.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from components.triton_front import TritonFront, TritonFrontArgs
from components.triton_service import TritonService, TritonServiceArgs

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

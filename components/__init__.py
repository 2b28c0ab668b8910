"""inferstack components: import them into your own Pulumi program.

    from components import GpuNodeGroup, GpuNodeGroupArgs

Each component takes one typed `XArgs`, parents its children to itself, never creates AWS providers
(children inherit the caller's, pass `opts=pulumi.ResourceOptions(provider=...)`), and defaults to the
secure posture.
"""

from components.alerting import AlertTopic, AlertTopicArgs, ServiceAlarms, ServiceAlarmsArgs
from components.budget import Budget, BudgetArgs
from components.failover_dns import FailoverDns, FailoverDnsArgs
from components.inference_api import InferenceApi, InferenceApiArgs
from components.monitoring import Dashboard, DashboardArgs, KubernetesMonitoring, KubernetesMonitoringArgs
from components.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from components.triton_service import TritonService, TritonServiceArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs  # noqa: E402
from components.eks_cluster import EksCluster, EksClusterArgs  # noqa: E402
from components.gpu_node_group import GpuNodeGroup, GpuNodeGroupArgs  # noqa: E402
from components.keys import Keys, KeysArgs  # noqa: E402
from components.network import Network, NetworkArgs  # noqa: E402
from components.model_registry import (  # noqa: E402
    ModelArtifactReplication,
    ModelArtifactReplicationArgs,
    ModelRegistry,
    ModelRegistryArgs,
)

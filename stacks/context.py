"""What the stack modules share while composing one environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from inferstack.config.environment import Environment
from inferstack.config.llm_package import LlmPackage
from inferstack.config.model_package import ModelPackage


@dataclass
class StackContext:
    """The environment being deployed and everything derived from it once."""

    env: Environment
    root: Path
    packages: dict[str, ModelPackage | LlmPackage]  # LlmPackage for the LLM targets (kind: llm)
    tags: dict[str, str]
    regions: list[RegionStack] = field(default_factory=list)
    dns: dict[str, Any] = field(default_factory=dict)  # model -> FailoverDns (stacks/edge.build_dns)

    @property
    def primary(self) -> RegionStack:
        return self.regions[0]

    @property
    def secondary(self) -> RegionStack | None:
        return self.regions[1] if len(self.regions) > 1 else None


@dataclass
class PlatformOutputs:
    """What stacks/platform.py hands to later modules (issue 3: network, key, cluster, node groups, add-ons)."""

    key_arn: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    cluster_name: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]  # without https://
    k8s_provider: Any  # pulumi_kubernetes.Provider built by EksCluster
    gpu_node_groups: dict[str, Any]  # name -> GpuNodeGroup component
    components: dict[str, Any] = field(default_factory=dict)  # role -> component, for exports and tests


@dataclass
class RegistryOutputs:
    """What stacks/registry.py hands on (issue 8): where artifacts live in this region."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    ecr_repository_url: pulumi.Output[str] | None
    package_group_names: dict[str, pulumi.Output[str]]  # model -> SageMaker model package group (primary only)


@dataclass
class AlertingOutputs:
    """What stacks/observability.build_alerting hands on (issue 5)."""

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str] | None = None  # alert key: CloudWatch, Budgets and this region's Logs may use it
    component: Any = None  # AlertTopic


@dataclass
class EntryPoint:
    """How one deployment is reached in one region (issue 4 fills, issue 5 puts DNS and health checks on it)."""

    model: str
    target: str  # triton-eks | sagemaker | sagemaker-async | sagemaker-llm
    dns_name: pulumi.Output[str]  # alias target (ALB or API Gateway regional domain)
    zone_id: pulumi.Output[str]  # alias target's hosted zone id
    public: bool  # reachable from the internet (HTTPS health check) or private (CloudWatch-alarm health check)
    health_path: str
    health_alarm_name: pulumi.Output[str] | None = None  # alarm for a private entry point's health check
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegionStack:
    """One region of the environment: its provider and the components built in it so far."""

    region: str
    is_primary: bool
    provider: aws.Provider
    cidr: str
    # Filled in order by stacks/platform.py, registry.py, observability.py, serving.py, edge.py.
    platform: PlatformOutputs | None = None
    registry: RegistryOutputs | None = None
    alerting: AlertingOutputs | None = None
    triton: dict[str, Any] = field(default_factory=dict)  # model -> TritonService
    sagemaker: dict[str, Any] = field(default_factory=dict)  # model -> SageMakerEndpoint
    api: Any = None  # InferenceApi
    entry_points: dict[str, EntryPoint] = field(default_factory=dict)  # model -> EntryPoint

    @property
    def suffix(self) -> str:
        """Name suffix for this region's resources: '' in the primary, '-<region>' elsewhere."""
        return "" if self.is_primary else f"-{self.region}"

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Resource options that pin the region's explicit provider."""
        return pulumi.ResourceOptions(provider=self.provider, **kwargs)

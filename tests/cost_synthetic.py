"""Small hand-made previews for the cost and diff tests (no Pulumi engine involved)."""

from __future__ import annotations

from typing import Any

from inferstack.engine.model import PreviewResult, Resource

STACK = "urn:pulumi:test::inferstack::pulumi:pulumi:Stack::inferstack-test"


class Builder:
    """Registers synthetic resources with URNs shaped like the engine's."""

    def __init__(self, stack: str = "test", environment: str = "test") -> None:
        self.stack = stack
        self.environment = environment
        self.root = f"urn:pulumi:{stack}::inferstack::pulumi:pulumi:Stack::inferstack-{stack}"
        self.resources: list[Resource] = [
            Resource(
                urn=self.root,
                type="pulumi:pulumi:Stack",
                name=f"inferstack-{stack}",
                parent=None,
                custom=False,
                provider=None,
            )
        ]
        self.providers: dict[str, str] = {}

    def provider(self, region: str) -> str:
        if region not in self.providers:
            r = self.add("pulumi:providers:aws", f"aws-{region}", {"region": region})
            self.providers[region] = f"{r.urn}::{region}-id"
        return self.providers[region]

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any] | None = None,
        *,
        parent: Resource | None = None,
        custom: bool = True,
        region: str | None = "us-east-1",
        deps: list[Resource] | None = None,
    ) -> Resource:
        chain = type_
        if parent is not None and parent.type != "pulumi:pulumi:Stack":
            parent_chain = parent.urn.split("::")[2]
            chain = f"{parent_chain}${type_}"
        provider = None
        if custom and not type_.startswith("pulumi:") and region is not None:
            provider = self.provider(region)
        r = Resource(
            urn=f"urn:pulumi:{self.stack}::inferstack::{chain}::{name}",
            type=type_,
            name=name,
            parent=(parent.urn if parent else self.root),
            custom=custom,
            provider=provider,
            dependencies=[d.urn for d in deps or []],
            inputs=inputs or {},
        )
        self.resources.append(r)
        return r

    def result(self, violations: list[dict[str, Any]] | None = None) -> PreviewResult:
        return PreviewResult(
            environment=self.environment,
            project="inferstack",
            stack=self.stack,
            resources=list(self.resources),
            outputs={},
            violations=violations or [],
        )


def node_group(
    b: Builder,
    parent: Resource,
    name: str,
    types: list[str],
    *,
    capacity: str = "ON_DEMAND",
    min_size: int,
    max_size: int,
    disk_gb: int,
    region: str = "us-east-1",
) -> Resource:
    lt = b.add(
        "aws:ec2/launchTemplate:LaunchTemplate",
        f"{name}-lt",
        {
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"volumeSize": disk_gb, "volumeType": "gp3", "encrypted": "true"}}
            ]
        },
        parent=parent,
        region=region,
    )
    return b.add(
        "aws:eks/nodeGroup:NodeGroup",
        f"{name}-nodes",
        {
            "instanceTypes": types,
            "capacityType": capacity,
            "scalingConfig": {"minSize": min_size, "maxSize": max_size, "desiredSize": min_size},
            "launchTemplate": {"id": "[unknown]", "version": "[unknown]"},
        },
        parent=parent,
        region=region,
        deps=[lt],
    )


def small_environment(
    *,
    gpu_types: tuple[str, ...] = ("g6.xlarge", "g6.2xlarge"),
    gpu_capacity: str = "SPOT",
    stack: str = "test",
    gpu_min: int = 0,
) -> Builder:
    """Cluster + system and GPU node groups, a NAT gateway, a SageMaker endpoint scaled 1-3, some free
    resources and one type the table does not price."""
    b = Builder(stack=stack, environment=stack)
    platform = b.add("inferstack:index:EksCluster", "platform", custom=False)
    b.add("aws:eks/cluster:Cluster", "platform-cluster", {"version": "1.35"}, parent=platform)
    node_group(b, platform, "system", ["m6i.large"], min_size=2, max_size=4, disk_gb=50)
    node_group(b, platform, "gpu-l4", list(gpu_types), capacity=gpu_capacity, min_size=gpu_min, max_size=2, disk_gb=200)
    b.add("aws:iam/role:Role", "platform-node-role", {"assumeRolePolicy": "{}"}, parent=platform)
    b.add("kubernetes:apps/v1:Deployment", "triton", {"spec": {"replicas": 1}}, parent=platform, region=None)
    network = b.add("inferstack:index:Network", "network", custom=False)
    b.add("aws:ec2/natGateway:NatGateway", "network-nat-0", {"connectivityType": "public"}, parent=network)
    b.add("aws:ec2/subnet:Subnet", "network-private-0", {"cidrBlock": "10.0.0.0/20"}, parent=network)
    serving = b.add("inferstack:index:SageMakerEndpoint", "fraud-scorer", custom=False)
    config = b.add(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "fraud-scorer-config",
        {
            "productionVariants": [
                {"variantName": "AllTraffic", "instanceType": "ml.g6.xlarge", "initialInstanceCount": 1}
            ]
        },
        parent=serving,
    )
    endpoint = b.add(
        "aws:sagemaker/endpoint:Endpoint",
        "fraud-scorer-endpoint",
        {"name": "fraud-scorer-test", "endpointConfigName": "[unknown]"},
        parent=serving,
        deps=[config],
    )
    b.add(
        "aws:appautoscaling/target:Target",
        "fraud-scorer-scaling",
        {
            "serviceNamespace": "sagemaker",
            "resourceId": "endpoint/fraud-scorer-test/variant/AllTraffic",
            "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "minCapacity": 1,
            "maxCapacity": 3,
        },
        parent=serving,
        deps=[endpoint],
    )
    b.add("aws:secretsmanager/secret:Secret", "fraud-scorer-secret", {}, parent=serving)
    return b

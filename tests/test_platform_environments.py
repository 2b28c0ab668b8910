"""The platform as the reference environments compose it: dev is cheap, prod is redundant in both regions.

`platform_of(env)` runs the real config loading and `stacks/platform.build` for every region under the
recording mocks (no other module), so these tests do not depend on the serving/edge modules; the last
test checks the whole program's preview for the explicit Kubernetes provider.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from inferstack.config.loader import Project, load_environment
from stacks import platform
from stacks.program import load_context
from tests.conftest import ROOT, Recorded, preview_of, run_components


@cache
def platform_of(env: str) -> Recorded:
    def program() -> None:
        ctx = load_context()
        for rs in ctx.regions:
            platform.build(ctx, rs)

    return run_components(program, stack=env)


def region_of(resource: Any) -> str:
    return str(resource.provider_urn).rsplit("::aws-", 1)[1]


def iam_documents(recorded: Recorded) -> list[tuple[str, dict[str, Any]]]:
    docs = [(r.name, r.inputs["policy"]) for r in recorded.all("aws:iam/rolePolicy:RolePolicy")]
    docs += [(r.name, r.inputs["policy"]) for r in recorded.all("aws:iam/policy:Policy")]
    return [(name, json.loads(doc)) for name, doc in docs]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_dev_is_two_zones_one_nat_and_spot_gpus_that_scale_to_zero() -> None:
    recorded = platform_of("dev")
    env = load_environment(Project(ROOT), "dev")
    private = [s for s in recorded.all("aws:ec2/subnet:Subnet") if s.inputs["tags"]["inferstack.io/tier"] == "private"]
    assert len({s.inputs["availabilityZone"] for s in private}) == env.network.availability_zones == 2
    assert len(recorded.all("aws:ec2/natGateway:NatGateway")) == 1
    gpu_groups = [g for g in recorded.all("aws:eks/nodeGroup:NodeGroup") if g.inputs["amiType"].endswith("NVIDIA")]
    assert [g.inputs["capacityType"] for g in gpu_groups] == ["SPOT"]
    assert [g.inputs["scalingConfig"]["minSize"] for g in gpu_groups] == [0]


def test_prod_has_three_zones_nat_per_zone_and_on_demand_gpus_in_both_regions() -> None:
    recorded = platform_of("prod")
    env = load_environment(Project(ROOT), "prod")
    assert env.regions.secondary is not None
    for region in env.regions.all:
        subnets = [s for s in recorded.all("aws:ec2/subnet:Subnet") if region_of(s) == region]
        zones = {s.inputs["availabilityZone"] for s in subnets}
        assert len(zones) == 3 and all(z.startswith(region) for z in zones)
        nats = [n for n in recorded.all("aws:ec2/natGateway:NatGateway") if region_of(n) == region]
        assert len(nats) == 3
        gpu_groups = [
            g
            for g in recorded.all("aws:eks/nodeGroup:NodeGroup")
            if g.inputs["amiType"].endswith("NVIDIA") and region_of(g) == region
        ]
        assert gpu_groups and all(g.inputs["capacityType"] == "ON_DEMAND" for g in gpu_groups)
        assert all(g.inputs["scalingConfig"]["minSize"] >= 1 for g in gpu_groups)
    assert recorded.outputs["cluster_name"] == "inferstack-prod"
    assert recorded.outputs["cluster_name_us-west-2"] == "inferstack-prod"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_secure_defaults_hold_in_every_region(env: str) -> None:
    recorded = platform_of(env)
    for cluster in recorded.all("aws:eks/cluster:Cluster"):
        vpc = cluster.inputs["vpcConfig"]
        assert vpc["endpointPrivateAccess"] is True
        if region_of(cluster) == "us-east-1":
            assert vpc["endpointPublicAccess"] is False
        else:
            # The in-VPC deploy runner lives in the primary VPC; the unpeered secondary cluster's API is public only
            # to the primary NAT addresses (issue 12, defect 3; tests/test_reachability.py checks the path).
            assert vpc["endpointPublicAccess"] is True
            assert vpc["publicAccessCidrs"] and all(c.endswith("/32") for c in vpc["publicAccessCidrs"])
        assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
        assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"].startswith(f"arn:aws:kms:{region_of(cluster)}:")
        assert {"api", "audit", "authenticator"} <= set(cluster.inputs["enabledClusterLogTypes"])
    templates = recorded.all("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == len(recorded.all("aws:eks/nodeGroup:NodeGroup"))
    for lt in templates:
        assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
        assert lt.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert all(n["associatePublicIpAddress"] == "false" for n in lt.inputs["networkInterfaces"])
        assert all(m["ebs"]["encrypted"] == "true" for m in lt.inputs["blockDeviceMappings"])
    for group in recorded.all("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    for key in recorded.all("aws:kms/key:Key"):
        assert key.inputs["enableKeyRotation"] is True


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_gpu_groups_are_tainted_and_tagged_for_the_autoscaler(env: str) -> None:
    recorded = platform_of(env)
    gpu_groups = [g for g in recorded.all("aws:eks/nodeGroup:NodeGroup") if g.inputs["amiType"].endswith("NVIDIA")]
    assert gpu_groups
    for group in gpu_groups:
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in group.inputs["taints"]
        tags = group.inputs["tags"]
        assert tags[f"k8s.io/cluster-autoscaler/inferstack-{env}"] == "owned"
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert int(tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"]) >= 1


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_iam_policies_never_allow_every_action_on_every_resource(env: str) -> None:
    docs = iam_documents(platform_of(env))
    assert docs
    for name, doc in docs:
        for stmt in doc["Statement"]:
            actions = as_list(stmt["Action"])
            assert "*" not in actions, name
            if "*" in as_list(stmt["Resource"]):
                assert not any(a.endswith(":*") for a in actions), name


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_role_trust_policy_names_one_service_or_one_service_account(env: str) -> None:
    for role in platform_of(env).all("aws:iam/role:Role"):
        for stmt in json.loads(role.inputs["assumeRolePolicy"])["Statement"]:
            principal = stmt["Principal"]
            assert principal != "*" and "AWS" not in principal, role.name
            if "Federated" in principal:
                (issuer_sub,) = [k for k in stmt["Condition"]["StringEquals"] if k.endswith(":sub")]
                assert stmt["Condition"]["StringEquals"][issuer_sub].startswith("system:serviceaccount:")


def test_every_kubernetes_resource_in_the_prod_preview_uses_an_explicit_cluster_provider() -> None:
    result = preview_of("prod")
    providers = {r.urn for r in result.resources if r.type == "pulumi:providers:kubernetes"}
    kube = [r for r in result.resources if r.type.startswith("kubernetes:") and r.custom]
    assert len(providers) == 2  # one cluster per region
    assert kube
    for r in kube:
        assert r.provider_urn in providers, f"{r.type} {r.name} uses {r.provider_urn}"

"""Issue 12 wiring between resources, asserted on what the real program previews (defects 2, 4 and 5)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from inferstack.engine.model import PreviewResult, Resource

ENVS = ["dev", "staging", "prod"]
SLR_ARN = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def of_type(p: PreviewResult, type_: str) -> list[Resource]:
    return [r for r in p.resources if r.type == type_]


@pytest.mark.parametrize("env", ENVS)
def test_alb_reaches_the_triton_pods_through_a_rule_pulumi_owns_on_their_security_group(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    p = previews(env)
    # The pods' ENIs carry the node security group: the cluster SG every node launch template attaches.
    node_sgs = {
        sg
        for lt in of_type(p, "aws:ec2/launchTemplate:LaunchTemplate")
        for sg in lt.inputs["networkInterfaces"][0]["securityGroups"]
    }
    alb_sgs = {sg for lb in of_type(p, "aws:lb/loadBalancer:LoadBalancer") for sg in lb.inputs["securityGroups"]}
    rules = [
        r.inputs
        for r in of_type(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        # .get: the deployer rule on the same group admits a CIDR, not a security group
        if r.inputs["securityGroupId"] in node_sgs and r.inputs.get("referencedSecurityGroupId") in alb_sgs
    ]
    bindings = of_type(p, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert bindings
    for b in bindings:
        # No `networking`: the controller would authorize on the cluster SG, which its policy cannot touch.
        assert "networking" not in b.inputs["spec"]
        port = b.inputs["spec"]["serviceRef"]["port"]
        assert any(r["fromPort"] <= port <= r["toPort"] and r["ipProtocol"] == "tcp" for r in rules), b.name


@pytest.mark.parametrize("env", ENVS)
def test_key_policy_names_the_autoscaling_role_only_after_the_stack_created_it(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    p = previews(env)
    [slr] = of_type(p, "aws:iam/serviceLinkedRole:ServiceLinkedRole")  # one per account, not per region
    assert slr.inputs["awsServiceName"] == "autoscaling.amazonaws.com"
    keys = [k for k in of_type(p, "aws:kms/key:Key") if SLR_ARN in str(k.inputs["policy"])]
    assert keys
    for key in keys:
        assert slr.urn in key.dependencies, f"{key.name} is not ordered after {slr.name}"


@pytest.mark.parametrize("env", ENVS)
def test_sagemaker_security_groups_reach_s3_at_its_prefix_list_and_the_apis_they_need(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    p = previews(env)
    endpoints = {
        (
            r.inputs["vpcId"],
            r.inputs["serviceName"].rsplit(".", 1)[-1]
            if "ecr" not in r.inputs["serviceName"]
            else ".".join(r.inputs["serviceName"].split(".")[-2:]),
        )
        for r in of_type(p, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["vpcEndpointType"] == "Interface"
    }
    urns = {r.urn: r for r in p.resources}
    groups = {
        d
        for m in of_type(p, "aws:sagemaker/model:Model")
        for d in m.dependencies
        if urns[d].type == "aws:ec2/securityGroup:SecurityGroup"
    }
    assert groups
    for urn in groups:
        sg = urns[urn].inputs
        https = [e for e in sg["egress"] if e["fromPort"] <= 443 <= e["toPort"]]
        assert any(e.get("prefixListIds") for e in https), f"{urns[urn].name}: no egress to the S3 prefix list"
        anywhere = any("0.0.0.0/0" in (e.get("cidrBlocks") or []) for e in https)
        for service in ("ecr.api", "ecr.dkr", "logs", "monitoring", "kms"):
            assert anywhere or (sg["vpcId"], service) in endpoints, f"{urns[urn].name} cannot reach {service}"


def test_dev_without_interface_endpoints_uses_the_nat_gateway_for_the_aws_apis(
    previews: Callable[[str], PreviewResult],
) -> None:
    sg = next(
        r
        for r in of_type(previews("dev"), "aws:ec2/securityGroup:SecurityGroup")
        if r.name.endswith("-sg") and r.name.startswith("sm-")
    )
    assert [e.get("cidrBlocks") for e in sg.inputs["egress"]] == [None, ["0.0.0.0/0"]]
    assert json.dumps(sg.inputs["egress"][0]["prefixListIds"]).startswith('["pl-')

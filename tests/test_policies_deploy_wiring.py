"""Issue 12 stack policies: principals that must pre-exist, and the security-group paths workloads need.
Each: compliant, non-compliant (a planted instance of the defect class), property absent; and the levels."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from inferstack.engine.model import PreviewResult, Resource
from inferstack.policies.config import pack_config
from tests.policy_cases import messages, res

PRINCIPALS = "inferstack-iam-principals-require-existence"
PATHS = "inferstack-ec2-securitygroups-require-workload-paths"
SLR_ARN = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def key_naming(principal: str, **kw: object) -> Resource:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"},
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "kms:Decrypt"},
        ]
    }
    return res("aws:kms/key:Key", {"policy": json.dumps(policy)}, name="key", **kw)


def slr() -> Resource:
    return res(
        "aws:iam/serviceLinkedRole:ServiceLinkedRole", {"awsServiceName": "autoscaling.amazonaws.com"}, name="slr"
    )


def test_key_policy_may_name_a_service_linked_role_the_stack_creates_first() -> None:
    role = slr()
    assert messages(PRINCIPALS, [role, key_naming(SLR_ARN, dependencies=[role.urn])]) == []


def test_key_policy_naming_a_service_linked_role_nobody_creates_fails() -> None:
    assert messages(PRINCIPALS, [key_naming(SLR_ARN)]) == [
        f"Key 'key' names {SLR_ARN}, which the stack does not create and no one declared pre-existing; create it in "
        "the stack (aws.iam.ServiceLinkedRole for a service-linked role) and depend on it, or list it in "
        "existing_principals"
    ]


def test_key_policy_written_before_the_role_it_names_fails() -> None:
    key = key_naming(SLR_ARN)
    alias = res("aws:kms/alias:Alias", {"name": "alias/x"}, name="alias", dependencies=[key.urn])  # a graph exists
    assert messages(PRINCIPALS, [slr(), key, alias]) == [
        f"Key 'key' names {SLR_ARN} but does not depend on 'slr', so it may be written before the principal exists; "
        "add depends_on"
    ]


def test_declared_existing_principal_and_auto_named_stack_role_pass() -> None:
    assert (
        messages(PRINCIPALS, [key_naming(SLR_ARN)], existing_principals=["arn:*:iam::*:role/aws-service-role/*"]) == []
    )
    role = res("aws:iam/role:Role", {"assumeRolePolicy": "{}"}, name="app")
    assert (
        messages(PRINCIPALS, [role, key_naming("arn:aws:iam::123456789012:role/app-1a2b3c4", dependencies=[role.urn])])
        == []
    )


def test_key_without_a_policy_or_aws_principals_is_not_checked() -> None:
    assert messages(PRINCIPALS, [res("aws:kms/key:Key", {}, name="key")]) == []
    assert messages(PRINCIPALS, [key_naming("arn:aws:iam::123456789012:root")]) == []


def test_environment_declaring_the_autoscaling_role_existing_feeds_the_policy(project: object) -> None:
    from inferstack.config.loader import load_environment

    env = load_environment(project, "prod")  # type: ignore[arg-type]
    declared = env.model_copy(
        update={"cluster": env.cluster.model_copy(update={"autoscaling_service_linked_role": "existing"})}
    )
    assert pack_config(declared)[PRINCIPALS]["existing_principals"] == [
        "arn:*:iam::*:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    ]
    assert pack_config(env)[PRINCIPALS]["existing_principals"] == []


# -- security-group paths ---------------------------------------------------------------------------------


def alb_world(
    *, rule_port: int | None = 8000, networking: bool = False, alb_egress_port: int = 8000, tagged: bool = False
) -> list[Resource]:
    spec: dict[str, object] = {"serviceRef": {"name": "m", "port": 8000}, "targetType": "ip", "targetGroupARN": "arn"}
    if networking:
        spec["networking"] = {"ingress": [{"from": [{"securityGroup": {"groupID": "sg-alb"}}]}]}
    egress = {
        "protocol": "tcp",
        "fromPort": alb_egress_port,
        "toPort": alb_egress_port,
        "securityGroups": ["sg-cluster"],
    }
    alb_sg = res("aws:ec2/securityGroup:SecurityGroup", {"egress": [egress]}, name="alb-sg")
    out = [
        res(
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"networkInterfaces": [{"securityGroups": ["sg-cluster"]}]},
            name="lt",
        ),
        alb_sg,
        res("aws:lb/loadBalancer:LoadBalancer", {"securityGroups": ["sg-alb"]}, name="alb", dependencies=[alb_sg.urn]),
        res("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", {"spec": spec}, name="tgb"),
    ]
    if tagged:
        tag = {"resourceId": "sg-cluster", "key": "elbv2.k8s.aws/cluster", "value": "c"}
        out.append(res("aws:ec2/tag:Tag", tag, name="tag"))
    if rule_port is not None:
        out.append(
            res(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                {
                    "securityGroupId": "sg-cluster",
                    "referencedSecurityGroupId": "sg-alb",
                    "ipProtocol": "tcp",
                    "fromPort": rule_port,
                    "toPort": rule_port,
                },
                name="rule",
            )
        )
    return out


def test_alb_to_pod_port_rule_on_the_pod_security_group_passes() -> None:
    assert messages(PATHS, alb_world()) == []


def test_target_group_binding_without_a_rule_for_its_port_fails() -> None:
    expected = [
        "TargetGroupBinding 'tgb': no ingress rule lets a load balancer security group reach port 8000 on the pods' "
        "security group; add one (aws.vpc.SecurityGroupIngressRule from the ALB SG to the node/cluster SG), or "
        "targets never become healthy"
    ]
    assert messages(PATHS, alb_world(rule_port=None)) == expected
    assert messages(PATHS, alb_world(rule_port=8080)) == expected


def test_target_group_binding_that_leaves_the_rule_to_the_controller_fails() -> None:
    [message] = messages(PATHS, alb_world(rule_port=None, networking=True))
    assert message.startswith("TargetGroupBinding 'tgb' sets spec.networking")


def test_networking_is_accepted_when_the_pod_security_group_carries_the_controllers_tag() -> None:
    assert messages(PATHS, alb_world(rule_port=None, networking=True, tagged=True)) == []


def test_alb_security_group_without_egress_to_the_pod_port_fails() -> None:
    assert messages(PATHS, alb_world(alb_egress_port=443)) == [
        "TargetGroupBinding 'tgb': the load balancer security group admitted on the pods allows no egress to port "
        "8000 on them; add egress to the pod security group (or the VPC CIDR)"
    ]


def test_no_target_group_binding_no_alb_check() -> None:
    assert messages(PATHS, alb_world()[:2]) == []


def sagemaker_world(egress: list[dict[str, object]], endpoints: tuple[str, ...] = ()) -> list[Resource]:
    sg = res("aws:ec2/securityGroup:SecurityGroup", {"vpcId": "vpc-1", "egress": egress}, name="sm-sg")
    model = res(
        "aws:sagemaker/model:Model", {"vpcConfig": {"securityGroupIds": ["sg-1"]}}, name="model", dependencies=[sg.urn]
    )
    vpce = [
        res(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            {"vpcId": "vpc-1", "vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"},
            name="s3",
        )
    ]
    vpce += [
        res(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            {"vpcId": "vpc-1", "vpcEndpointType": "Interface", "serviceName": f"com.amazonaws.us-east-1.{s}"},
            name=s,
        )
        for s in endpoints
    ]
    return [sg, model, *vpce]


def https(**to: object) -> dict[str, object]:
    return {"protocol": "tcp", "fromPort": 443, "toPort": 443, **to}


def test_sagemaker_group_with_s3_prefix_list_and_nat_passes() -> None:
    assert messages(PATHS, sagemaker_world([https(prefixListIds=["pl-1"]), https(cidrBlocks=["0.0.0.0/0"])])) == []
    every = ("ecr.api", "ecr.dkr", "logs", "monitoring", "kms")
    assert (
        messages(PATHS, sagemaker_world([https(prefixListIds=["pl-1"]), https(cidrBlocks=["10.0.0.0/16"])], every))
        == []
    )


def test_sagemaker_group_allowing_only_the_vpc_cidr_fails_for_s3_and_the_apis_without_endpoints() -> None:
    found = messages(PATHS, sagemaker_world([https(cidrBlocks=["10.0.0.0/16"])], ("ecr.api", "ecr.dkr", "logs")))
    assert found == [
        "security group 'sm-sg' of 'model' allows no HTTPS to S3: S3 behind the gateway endpoint is reached at S3's "
        "prefix list, not the VPC CIDR; add egress 443 to the gateway endpoint's prefix_list_id "
        "(Network.s3_prefix_list_id)",
        "security group 'sm-sg' of 'model' cannot reach monitoring, kms on 443: add the interface endpoints and "
        "egress to the VPC CIDR, or egress 443 to 0.0.0.0/0 through NAT",
    ]


def test_sagemaker_model_without_a_security_group_is_not_checked() -> None:
    assert messages(PATHS, [res("aws:sagemaker/model:Model", {}, name="model")]) == []


@pytest.mark.parametrize("policy", [PRINCIPALS, PATHS])
def test_new_policies_are_mandatory_in_staging_and_prod_and_advisory_in_dev(policy: str) -> None:
    levels = {env: pack_config(env)[policy]["enforcementLevel"] for env in ("dev", "staging", "prod")}
    assert levels == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_reference_environments_pass_both_policies(previews: Callable[[str], PreviewResult], env: str) -> None:
    found = [v for v in previews(env).violations if v["policy"] in (PRINCIPALS, PATHS)]
    assert found == []


@pytest.mark.parametrize(("mode", "violations"), [("create", 0), ("existing", 1)])
def test_keys_component_trips_the_principals_policy_only_when_the_role_is_neither_created_nor_declared(
    mode: str, violations: int
) -> None:
    from inferstack.components.keys import Keys
    from tests.conftest import run_components

    recorded = run_components(
        lambda: Keys("keys", {"alias": "inferstack-test", "autoscaling_service_linked_role": mode})
    )  # type: ignore[typeddict-item]
    found = messages(PRINCIPALS, recorded.resources)
    assert len(found) == violations, found

"""The offline engine runs real Pulumi code under the SDK's mocks and records what a real engine would see."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from inferstack.engine.model import Secret, to_plain
from tests.conftest import run_components


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:test:Box", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, deletion_window_in_days=30, opts=child)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.0.0.0/16", opts=child)
        azs = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        self.subnet = aws.ec2.Subnet(
            f"{name}-subnet", vpc_id=self.vpc.id, cidr_block="10.0.1.0/24", availability_zone=azs.names[1], opts=child
        )
        self.register_outputs({"key_arn": self.key.arn})


def _program() -> None:
    west = aws.Provider("west", region="us-west-2")
    box = _Box("box", opts=pulumi.ResourceOptions(provider=west))
    aws.sns.Topic("topic", kms_master_key_id=box.key.arn)
    pulumi.export("key_arn", box.key.arn)
    pulumi.export("token", pulumi.Output.secret("s3cr3t"))
    pulumi.export("ratio", 0.5)


def test_every_registration_is_recorded_with_parent_provider_and_resolved_inputs() -> None:
    rec = run_components(_program, stack="dev")
    box = rec.one("inferstack:test:Box")
    subnet = rec.one("aws:ec2/subnet:Subnet")
    vpc = rec.one("aws:ec2/vpc:Vpc")
    provider = rec.one("pulumi:providers:aws")
    assert subnet.parent == box.urn and not box.custom and subnet.custom
    assert subnet.provider is not None and subnet.provider.startswith(provider.urn + "::")
    assert subnet.inputs["vpcId"].startswith("vpc-") and subnet.inputs["vpcId"] != vpc.inputs.get("cidrBlock")
    # the provider's region answers the AZ lookup: us-west-2b, not the default region
    assert subnet.inputs["availabilityZone"] == "us-west-2b"
    assert vpc.urn in subnet.dependencies


def test_urns_follow_the_real_engine_shape() -> None:
    rec = run_components(_program, stack="dev")
    assert rec.one("aws:sns/topic:Topic").urn == "urn:pulumi:dev::inferstack::aws:sns/topic:Topic::topic"
    assert rec.one("aws:ec2/vpc:Vpc").urn == "urn:pulumi:dev::inferstack::inferstack:test:Box$aws:ec2/vpc:Vpc::box-vpc"


def test_integral_numbers_come_back_as_ints() -> None:
    rec = run_components(_program)
    days = rec.one("aws:kms/key:Key").inputs["deletionWindowInDays"]
    assert days == 30 and isinstance(days, int)
    assert rec.outputs["ratio"] == 0.5


def test_secret_outputs_stay_marked_and_print_as_secret() -> None:
    rec = run_components(_program)
    assert isinstance(rec.outputs["token"], Secret)
    assert rec.outputs["token"].value == "s3cr3t"
    assert "s3cr3t" not in json.dumps(to_plain(rec.outputs))
    assert to_plain(rec.outputs)["token"] == "[secret]"


def test_mocked_outputs_are_realistic_and_regional() -> None:
    rec = run_components(_program)
    topic = rec.one("aws:sns/topic:Topic")
    # the key lives in us-west-2 (explicit provider) and its ARN says so
    assert topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:us-west-2:123456789012:key/")


def test_runs_are_repeatable_in_one_process() -> None:
    first = run_components(_program)
    second = run_components(_program)
    assert [r.to_json() for r in first.resources] == [r.to_json() for r in second.resources]
    assert len(first.all("aws:ec2/vpc:Vpc")) == 1


def test_an_invoke_without_a_mock_answer_fails_loudly() -> None:
    def program() -> None:
        aws.ec2.get_ami_output(most_recent=True, owners=["amazon"])

    with pytest.raises(Exception, match="offline preview has no mock answer for invoke 'aws:ec2/getAmi:getAmi'"):
        run_components(program)

"""Keys: the environment's customer-managed KMS key in one region."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws


class KeysArgs(TypedDict):
    alias: str
    """KMS alias without the `alias/` prefix, e.g. `inferstack-prod`; letters, digits, `/_-`."""
    description: NotRequired[str]
    """Default: "inferstack environment key (EKS secrets, EBS, S3, logs, SNS, SageMaker)"."""
    deletion_window_days: NotRequired[int]
    """Days a scheduled deletion waits (7-30). Default: 30, the longest undo window."""
    autoscaling_service_linked_role: NotRequired[Literal["create", "existing"]]
    """Who provides `AWSServiceRoleForAutoScaling`, which the key policy names (encrypted node volumes).
    Default: "create": the component creates it (`aws.iam.ServiceLinkedRole`) and orders the key after it,
    because KMS rejects a policy naming a principal that does not exist yet. "existing": the account already
    has it (it exists once any Auto Scaling group was created); nothing is created. IAM roles are global: in
    a second region pass "existing" and depend on the first region's `autoscaling_role`. To keep "create" in an
    account that already has the role, adopt it: `pulumi import aws:iam/serviceLinkedRole:ServiceLinkedRole
    <name>-autoscaling-slr <role ARN>` where the ARN is
    `arn:aws:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`."""
    key_depends_on: NotRequired[Sequence[pulumi.Resource]]
    """Default: none. Resources the key waits for, e.g. the first region's `autoscaling_role` when this one
    passes "existing"."""
    tags: NotRequired[Mapping[str, str]]
    """Added to the key."""


class Keys(pulumi.ComponentResource):
    """One customer-managed KMS key with rotation on and an explicit key policy (no `*` principals).

    The account root administers the key (so IAM policies can grant use of it); CloudWatch Logs, SNS,
    CloudWatch alarms and the EC2 Auto Scaling service-linked role (encrypted node volumes) may use it, each
    limited by a condition to this account or this region's log groups.
    """

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]
    autoscaling_role: aws.iam.ServiceLinkedRole | None

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:Keys", name, None, opts)
        alias = args["alias"]
        window = args.get("deletion_window_days", 30)
        if not re.fullmatch(r"[A-Za-z0-9/_-]{1,250}", alias) or alias.startswith("aws"):
            raise ValueError(
                f"Keys {name!r}: alias={alias!r} is not a valid KMS alias name; use letters, digits, '/', '_' or '-' "
                "without the 'alias/' prefix and not starting with 'aws'"
            )
        if not 7 <= window <= 30:
            raise ValueError(f"Keys {name!r}: deletion_window_days={window} is outside 7-30; pick a value from 7 to 30")
        tags = dict(args.get("tags", {}))
        slr_mode = args.get("autoscaling_service_linked_role", "create")
        if slr_mode not in ("create", "existing"):
            raise ValueError(
                f"Keys {name!r}: autoscaling_service_linked_role={slr_mode!r} is not allowed; use 'create' or "
                "'existing'"
            )

        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        policy = pulumi.Output.all(account, partition, region).apply(lambda v: json.dumps(key_policy(v[0], v[1], v[2])))

        # KMS validates every principal of a key policy when the key is created (MalformedPolicyDocumentException
        # for one that does not exist, AWS KMS Developer Guide, "Key policies": "the principals ... must exist");
        # AWSServiceRoleForAutoScaling exists only after an account's first Auto Scaling group, so a fresh account
        # needs it created first (EC2 Auto Scaling User Guide, "Service-linked roles": create it with
        # `iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com`). IAM is eventually
        # consistent; the bridged provider retries CreateKey while KMS cannot see a just-created principal yet
        # (hashicorp/terraform-provider-aws internal/service/kms/key.go, resourceKeyCreate -> waitIAMPropagation,
        # read 2026-12-02: "AWS requires any principal in the policy to exist before the key is created").
        self.autoscaling_role = None
        key_deps: list[pulumi.Resource] = list(args.get("key_depends_on", []))
        if slr_mode == "create":
            self.autoscaling_role = aws.iam.ServiceLinkedRole(
                f"{name}-autoscaling-slr",
                aws_service_name="autoscaling.amazonaws.com",
                description="EC2 Auto Scaling (EKS node groups); named by the inferstack key policy",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            key_deps.append(self.autoscaling_role)
        key = aws.kms.Key(
            f"{name}-key",
            description=args.get(
                "description", "inferstack environment key (EKS secrets, EBS, S3, logs, SNS, SageMaker)"
            ),
            enable_key_rotation=True,
            deletion_window_in_days=window,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=key_deps),
        )
        created = aws.kms.Alias(
            f"{name}-alias", name=f"alias/{alias}", target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self)
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = created.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})


def key_policy(account: str, partition: str, region: str) -> dict[str, Any]:
    """The key policy document: account root administers, named services use it under conditions."""
    root = f"arn:{partition}:iam::{account}:root"
    use = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    same_account = {"StringEquals": {"aws:SourceAccount": account}}
    autoscaling = (
        f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKeyAndDelegatesToIam",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptThisRegionsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": use,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"
                    }
                },
            },
            {
                "Sid": "SnsAndAlarmsUseKeyForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ["sns.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": same_account,
            },
            {
                "Sid": "AutoScalingEncryptsNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": use,
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsForAttachedVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }

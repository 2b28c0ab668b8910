"""Keys: the environment's customer-managed KMS key in one region."""

import json
import re
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws


class KeysArgs(TypedDict):
    alias: str
    """KMS alias without the `alias/` prefix, e.g. `inferstack-prod`; letters, digits, `/_-`."""
    description: NotRequired[str]
    """Default: "inferstack environment key (EKS secrets, EBS, S3, logs, SNS, SageMaker)"."""
    deletion_window_days: NotRequired[int]
    """Days a scheduled deletion waits (7-30). Default: 30, the longest undo window."""
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

        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        policy = pulumi.Output.all(account, partition, region).apply(lambda v: json.dumps(key_policy(v[0], v[1], v[2])))

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
            opts=pulumi.ResourceOptions(parent=self),
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

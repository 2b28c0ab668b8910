"""IAM document helpers for the serving components (pure functions, no resources).

Each returns a `pulumi.Output[str]` of JSON built from plain values with `Output.all(...).apply(json.dumps)`,
so documents stay visible in preview and carry no resources inside `apply`.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def service_trust(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy for an AWS service principal, limited to callers from `account_id` (confused deputy)."""
    return pulumi.Output.from_input(account_id).apply(
        lambda acct: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": acct}},
                    }
                ],
            }
        )
    )


def irsa_trust(
    oidc_provider_arn: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str], namespace: str, service_account: str
) -> pulumi.Output[str]:
    """Trust policy letting exactly one Kubernetes service account assume the role through IRSA."""

    def doc(args: list[Any]) -> str:
        arn, issuer = str(args[0]), str(args[1]).removeprefix("https://")
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                                f"{issuer}:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ],
            }
        )

    return pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(doc)


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One Allow statement (plain values only)."""
    out: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
    if condition:
        out["Condition"] = dict(condition)
    return out


def ecr_pull(sid: str, repository_arn: str) -> list[dict[str, Any]]:
    """The two statements a SageMaker container role needs to pull one image: the registry token (which IAM only
    grants on `*`) and the layer reads, scoped to that repository."""
    return [
        statement("EcrAuth", ["ecr:GetAuthorizationToken"], ["*"]),
        statement(
            sid,
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            [repository_arn],
        ),
    ]


def vpc_interfaces() -> dict[str, Any]:
    """What SageMaker needs, as the execution role, to place a model's or job's ENIs in the VPC (SageMaker
    Developer Guide, "How to use SageMaker AI execution roles": CreateModel / CreateProcessingJob with a
    VpcConfig). The Describe* and Create/DeleteNetworkInterface* actions take no resource ARN at creation time."""
    return statement(
        "VpcInterfaces",
        [
            "ec2:CreateNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
        ],
        ["*"],
    )


def policy(statements: Sequence[pulumi.Input[dict[str, Any]]]) -> pulumi.Output[str]:
    """A policy document from statements that may hold Outputs."""
    return pulumi.Output.all(*statements).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": list(resolved)})
    )


# An S3 "directory": a valid bucket name (3-63 chars of a-z 0-9 . -, starting and ending alphanumeric) and a
# non-empty key prefix ending in '/'. LlmService streams and SageMakerLlm copies every object under it.
_S3_DIRECTORY = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<prefix>(?:[^/]+/)*[^/]+/)$")


def s3_directory(uri: str | None) -> tuple[str, str] | None:
    """(bucket, prefix ending in '/') of an `s3://bucket/prefix/` URI, or None when it is not one."""
    m = _S3_DIRECTORY.match(uri or "")
    return None if m is None else (m["bucket"], m["prefix"])

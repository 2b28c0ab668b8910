"""Workload permission contracts: the AWS calls each workload whose role inferstack writes makes at runtime,
recorded as the IAM action AWS authorizes each call as, with the resource ARN and request context.

Pure data plus `check()`, which evaluates a role's identity policies (as previewed) against a contract with
`inferstack.iam_eval`. Sources are cited per call; read 2026-12-02 unless a date says otherwise. The Service
Authorization Reference (SAR) is https://docs.aws.amazon.com/service-authorization/latest/reference/ (pages
`list_amazons3.html`, `list_awskeymanagementservice.html`, `list_amazonec2.html`, `list_amazonsagemaker.html`,
`list_awselasticloadbalancingv2.html`, `list_amazonec2autoscaling.html`, `list_amazoncloudwatchlogs.html`).

A contract is what the workload *needs*; `extra_ok` lists the grants a role may carry beyond it, each with its
reason, so every other grant is reported as outside the contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inferstack.iam_eval import ContextValue, Evaluation, evaluate, glob_match, granted_actions

# Triton core r24.09 (commit 94eb61c6915b49ad43680243d4eafd06e59a2639, 2024-09-04), the filesystem of the pinned
# `24.09` image: src/filesystem/implementations/s3.h. CheckClient (l.337) and IsDirectory (l.397) call HeadBucket
# before anything else; IsDirectory/GetDirectoryContents (l.424, l.489) call ListObjectsV2 with
# Prefix=<dir>/; FileExists/FileModificationTime call HeadObject; ReadTextFile/LocalizePath call GetObject.
TRITON_S3_SOURCE = "triton-inference-server/core@r24.09 src/filesystem/implementations/s3.h"
# S3 API Reference, HeadBucket: "you must have permissions to perform the s3:ListBucket action"; the request has
# no prefix parameter, so no s3:prefix key is in the request context (SAR, s3:prefix: "ListBucket" filter).
# ListObjectsV2 is authorized as s3:ListBucket with s3:prefix = the Prefix parameter; HeadObject as s3:GetObject.
S3_API_SOURCE = "S3 API Reference HeadBucket / ListObjectsV2 / HeadObject (permissions sections)"
# S3 User Guide, "Using SSE-KMS": reading an SSE-KMS object needs kms:Decrypt; S3 calls KMS on the caller's
# behalf, so kms:ViaService = s3.<region>.amazonaws.com is in the context.
SSE_KMS_SOURCE = "S3 User Guide, Specifying server-side encryption with AWS KMS (SSE-KMS), permissions"


@dataclass(frozen=True)
class Call:
    """One runtime call, as IAM authorizes it."""

    api: str
    """The API operation the workload calls, e.g. `s3:HeadBucket`."""
    action: str
    """The IAM action AWS authorizes it as, e.g. `s3:ListBucket`."""
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class Contract:
    workload: str
    calls: tuple[Call, ...]
    extra_ok: Mapping[str, str] = field(default_factory=dict)
    """Action patterns (lower-case) granted beyond the calls, each with why it is there."""


@dataclass(frozen=True)
class Finding:
    call: Call
    evaluation: Evaluation


@dataclass(frozen=True)
class ContractResult:
    contract: Contract
    denied: tuple[Finding, ...]
    """Calls the role's policies do not allow (each one fails the workload at runtime)."""
    outside: tuple[str, ...]
    """Granted action patterns that neither a call nor `extra_ok` explains."""


def check(contract: Contract, documents: Sequence[Mapping[str, Any] | str]) -> ContractResult:
    """Evaluate every call of `contract` against the role's identity policy documents."""
    denied = []
    for call in contract.calls:
        result = evaluate(documents, call.action, call.resource, call.context)
        if not result.allowed:
            denied.append(Finding(call, result))
    needed = [c.action for c in contract.calls]
    outside = sorted(
        a
        for a in granted_actions(documents)
        if not any(glob_match(a, n, ignore_case=True) for n in needed)
        and not any(glob_match(ok, a, ignore_case=True) for ok in contract.extra_ok)
    )
    return ContractResult(contract, tuple(denied), tuple(outside))


# -- Triton's S3 repository agent (IRSA role of the Triton pods) ---------------------------------------------


def triton_repository_agent(bucket: str, prefix: str, model: str, region: str, key_arn: str) -> Contract:
    """What `tritonserver --model-repository=s3://<bucket>/<prefix>` does at startup and on each poll."""
    arn = f"arn:aws:s3:::{bucket}"
    via_s3 = {"kms:ViaService": f"s3.{region}.amazonaws.com"}
    return Contract(
        workload="triton-s3-repository-agent",
        calls=(
            Call("s3:HeadBucket", "s3:ListBucket", arn, {}, f"{TRITON_S3_SOURCE} CheckClient; {S3_API_SOURCE}"),
            Call(
                "s3:ListObjectsV2",
                "s3:ListBucket",
                arn,
                {"s3:prefix": prefix},
                f"{TRITON_S3_SOURCE} GetDirectoryContents(repository)",
            ),
            Call(
                "s3:ListObjectsV2",
                "s3:ListBucket",
                arn,
                {"s3:prefix": f"{prefix}{model}/"},
                f"{TRITON_S3_SOURCE} IsDirectory(model dir)",
            ),
            Call(
                "s3:HeadObject",
                "s3:GetObject",
                f"{arn}/{prefix}{model}/config.pbtxt",
                {},
                f"{TRITON_S3_SOURCE} FileExists; {S3_API_SOURCE}",
            ),
            Call(
                "s3:GetObject",
                "s3:GetObject",
                f"{arn}/{prefix}{model}/1/model.plan",
                {},
                f"{TRITON_S3_SOURCE} LocalizePath",
            ),
            # FileExists fails on any HeadObject error but RESOURCE_NOT_FOUND; S3 answers a missing key with 404
            # only when the caller has s3:ListBucket on the bucket, else 403 (S3 API Reference, HeadObject).
            Call(
                "s3:HeadObject (missing key)",
                "s3:ListBucket",
                arn,
                {},
                f"{TRITON_S3_SOURCE} FileExists; {S3_API_SOURCE}",
            ),
            Call("kms:Decrypt", "kms:Decrypt", key_arn, via_s3, SSE_KMS_SOURCE),
        ),
    )


# -- aws-load-balancer-controller (TargetGroupBinding reconcile) ----------------------------------------------

# kubernetes-sigs/aws-load-balancer-controller v2.10.1 (commit 2a63f05, 2024-11-22):
# pkg/targetgroupbinding/targets_manager.go RegisterTargets/DeregisterTargets/DescribeTargetHealth (l.82-196),
# pkg/networking/pod_eni_info_resolver.go DescribeNetworkInterfaces (l.233, l.354),
# pkg/targetgroupbinding/resource_manager.go, and docs/install/iam_policy.json for the full upstream grant set.
LBC_SOURCE = "kubernetes-sigs/aws-load-balancer-controller@v2.10.1"


def load_balancer_controller(region: str, account: str, target_group_arns: Sequence[str]) -> Contract:
    calls: list[Call] = [
        Call(
            "elbv2:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroups",
            "*",
            {},
            f"{LBC_SOURCE} pkg/targetgroupbinding",
        ),
        Call("ec2:DescribeNetworkInterfaces", "ec2:DescribeNetworkInterfaces", "*", {}, f"{LBC_SOURCE} pod ENI"),
        Call("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroups", "*", {}, f"{LBC_SOURCE} networking"),
        Call("ec2:DescribeInstances", "ec2:DescribeInstances", "*", {}, f"{LBC_SOURCE} node ENI"),
    ]
    for tg in target_group_arns:
        calls += [
            Call(
                "elbv2:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTargetHealth",
                "*",
                {},
                f"{LBC_SOURCE} targets_manager.go",
            ),
            Call("elbv2:RegisterTargets", "elasticloadbalancing:RegisterTargets", tg, {}, LBC_SOURCE),
            Call("elbv2:DeregisterTargets", "elasticloadbalancing:DeregisterTargets", tg, {}, LBC_SOURCE),
        ]
    # Beyond TargetGroupBinding the controller reconciles Ingress and Service objects (load balancers, listeners,
    # rules, its own security groups, WAF/Shield): the policy keeps the upstream set for that, tag-scoped.
    upstream = (
        "Ingress/Service reconcile (docs/install/iam_policy.json of v2.10.1), mutations limited to resources "
        "tagged elbv2.k8s.aws/cluster"
    )
    extras = [
        "iam:createservicelinkedrole",
        "ec2:describe*",
        "ec2:getcoippoolusage",
        "ec2:getsecuritygroupsforvpc",
        "elasticloadbalancing:describe*",
        "acm:listcertificates",
        "acm:describecertificate",
        "wafv2:getwebacl",
        "wafv2:getwebaclforresource",
        "wafv2:associatewebacl",
        "wafv2:disassociatewebacl",
        "shield:getsubscriptionstate",
        "ec2:createsecuritygroup",
        "ec2:createtags",
        "ec2:deletetags",
        "ec2:authorizesecuritygroupingress",
        "ec2:revokesecuritygroupingress",
        "ec2:deletesecuritygroup",
        "elasticloadbalancing:*",
    ]
    return Contract("aws-load-balancer-controller", tuple(calls), dict.fromkeys(extras, upstream))


# -- cluster-autoscaler ---------------------------------------------------------------------------------------

# kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md ("Full Cluster Autoscaler Features
# Policy (Recommended)"), and aws_manager.go / auto_scaling_groups.go for the calls. EKS managed node groups tag
# their ASGs k8s.io/cluster-autoscaler/enabled=true and k8s.io/cluster-autoscaler/<cluster>=owned (EKS User Guide,
# "Managed node groups": "Amazon EKS tags managed node group resources ... for Cluster Autoscaler").
CA_SOURCE = "kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md"


def cluster_autoscaler(region: str, account: str, cluster: str, asg_names: Sequence[str]) -> Contract:
    calls = [
        Call(f"autoscaling:{a}", f"autoscaling:{a}", "*", {}, CA_SOURCE)
        for a in (
            "DescribeAutoScalingGroups",
            "DescribeAutoScalingInstances",
            "DescribeLaunchConfigurations",
            "DescribeScalingActivities",
            "DescribeTags",
        )
    ]
    calls += [
        Call(f"ec2:{a}", f"ec2:{a}", "*", {}, CA_SOURCE)
        for a in ("DescribeInstanceTypes", "DescribeLaunchTemplateVersions", "DescribeImages")
    ]
    calls.append(
        Call(
            "eks:DescribeNodegroup",
            "eks:DescribeNodegroup",
            f"arn:aws:eks:{region}:{account}:nodegroup/{cluster}/any-group/0000",
            {},
            CA_SOURCE,
        )
    )
    owned = {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}
    for asg in asg_names:
        asg_arn = f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:0000-uuid:autoScalingGroupName/{asg}"
        calls += [
            Call("autoscaling:SetDesiredCapacity", "autoscaling:SetDesiredCapacity", asg_arn, owned, CA_SOURCE),
            Call(
                "autoscaling:TerminateInstanceInAutoScalingGroup",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
                asg_arn,
                owned,
                CA_SOURCE,
            ),
        ]
    return Contract(
        "cluster-autoscaler",
        tuple(calls),
        {"ec2:getinstancetypesfrominstancerequirements": f"{CA_SOURCE}: attribute-based instance types"},
    )


# -- SageMaker execution role: hosting ----------------------------------------------------------------------

# SageMaker Developer Guide, "How to use SageMaker AI execution roles", CreateModel API execution role permissions
# (model data GetObject, ECR pull, CloudWatch logs and metrics, and the ec2:*NetworkInterface* actions when the
# model has a VpcConfig); "Capture data" (PutObject + kms:GenerateDataKey); "Asynchronous inference" (output
# PutObject, sns:Publish). SAR: ecr:GetAuthorizationToken and cloudwatch:PutMetricData take only "*".
SAGEMAKER_ROLE_SOURCE = "SageMaker Developer Guide, sagemaker-roles.html (CreateModel / CreateProcessingJob)"
VPC_ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)


def _ecr_pull(repository_arn: str) -> list[Call]:
    return [
        Call("ecr:GetAuthorizationToken", "ecr:GetAuthorizationToken", "*", {}, SAGEMAKER_ROLE_SOURCE),
        *(
            Call(f"ecr:{a}", f"ecr:{a}", repository_arn, {}, SAGEMAKER_ROLE_SOURCE)
            for a in ("BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage")
        ),
    ]


def _vpc_enis() -> list[Call]:
    return [Call(a, a, "*", {}, SAGEMAKER_ROLE_SOURCE) for a in VPC_ENI_ACTIONS]


def sagemaker_hosting(
    *,
    region: str,
    account: str,
    bucket: str,
    model_data_key: str,
    key_arn: str,
    endpoint_name: str,
    image_repository_arn: str,
    capture_prefix: str | None = None,
    async_output_prefixes: Sequence[str] = (),
    async_input_prefix: str | None = None,
    topic_arns: Sequence[str] = (),
    model_data_prefix: tuple[str, str] | None = None,
) -> Contract:
    """`model_data_key`: the archive (`ModelDataUrl`) the variant downloads; or, with `model_data_prefix`
    (bucket, prefix) of an uncompressed `ModelDataSource` (S3Prefix), the listing of that prefix and one of its
    objects (`model_data_key` is then the object's key under the prefix's bucket)."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
    data_bucket_arn = f"arn:aws:s3:::{model_data_prefix[0]}" if model_data_prefix else bucket_arn
    listing = (
        [
            Call(
                "s3:ListObjectsV2",
                "s3:ListBucket",
                data_bucket_arn,
                {"s3:prefix": model_data_prefix[1]},
                "SageMaker Developer Guide, large-model-inference-uncompressed.html (every object under the prefix)",
            )
        ]
        if model_data_prefix
        else []
    )
    calls = [
        *listing,
        Call("s3:GetObject", "s3:GetObject", f"{data_bucket_arn}/{model_data_key}", {}, SAGEMAKER_ROLE_SOURCE),
        Call("kms:Decrypt", "kms:Decrypt", key_arn, {"kms:ViaService": f"s3.{region}.amazonaws.com"}, SSE_KMS_SOURCE),
        *_ecr_pull(image_repository_arn),
        Call("logs:CreateLogStream", "logs:CreateLogStream", f"{group}:log-stream:AllTraffic/i-0", {}, ""),
        Call("logs:PutLogEvents", "logs:PutLogEvents", f"{group}:log-stream:AllTraffic/i-0", {}, ""),
        Call(
            "cloudwatch:PutMetricData",
            "cloudwatch:PutMetricData",
            "*",
            {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"},
            SAGEMAKER_ROLE_SOURCE,
        ),
        *_vpc_enis(),
    ]
    if capture_prefix:
        calls += [
            Call("s3:PutObject", "s3:PutObject", f"{bucket_arn}/{capture_prefix}x/AllTraffic/2026/a.jsonl", {}, ""),
            Call("kms:GenerateDataKey", "kms:GenerateDataKey", key_arn, {}, "SageMaker data capture with KMS"),
        ]
    for out in async_output_prefixes:
        calls.append(Call("s3:PutObject", "s3:PutObject", f"{bucket_arn}/{out}id.out", {}, "async inference"))
    if async_output_prefixes:
        calls.append(
            Call("kms:GenerateDataKey", "kms:GenerateDataKey", key_arn, {}, "async output encrypted with kms_key_id")
        )
    if async_input_prefix:
        calls.append(Call("s3:GetObject", "s3:GetObject", f"{bucket_arn}/{async_input_prefix}req.json", {}, ""))
    calls += [Call("sns:Publish", "sns:Publish", t, {}, "async inference notifications") for t in topic_arns]
    return Contract(
        "sagemaker-hosting",
        tuple(calls),
        {
            "logs:createloggroup": "SageMaker creates the endpoint's log group on first start",
            "logs:describelogstreams": "the container log agent looks up its stream",
            "s3:listbucket": "prefix-scoped listing of the model's artifact prefix",
            "kms:describekey": "SageMaker validates the key of the endpoint configuration",
            "s3:abortmultipartupload": "async results are uploaded in parts",
        },
    )


# -- SageMaker execution role: Model Monitor (data-quality processing job, VPC mode) -------------------------


def model_monitor(
    *,
    region: str,
    account: str,
    bucket: str,
    capture_prefix: str,
    endpoint_name: str,
    reports_prefix: str,
    key_arn: str,
    image_repository_arn: str,
) -> Contract:
    bucket_arn = f"arn:aws:s3:::{bucket}"
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/ProcessingJobs"
    hour = f"{capture_prefix}{endpoint_name}/AllTraffic/2026/12/02/10/"
    calls = [
        Call("s3:ListObjectsV2", "s3:ListBucket", bucket_arn, {"s3:prefix": hour}, SAGEMAKER_ROLE_SOURCE),
        Call("s3:GetObject", "s3:GetObject", f"{bucket_arn}/{hour}capture.jsonl", {}, SAGEMAKER_ROLE_SOURCE),
        Call("s3:PutObject", "s3:PutObject", f"{bucket_arn}/{reports_prefix}2026/constraint_violations.json", {}, ""),
        Call("kms:Decrypt", "kms:Decrypt", key_arn, {"kms:ViaService": f"s3.{region}.amazonaws.com"}, SSE_KMS_SOURCE),
        Call("kms:GenerateDataKey", "kms:GenerateDataKey", key_arn, {}, "processing output and volume encryption"),
        *_ecr_pull(image_repository_arn),
        Call("logs:CreateLogStream", "logs:CreateLogStream", f"{group}:log-stream:job/algo-1", {}, ""),
        Call("logs:PutLogEvents", "logs:PutLogEvents", f"{group}:log-stream:job/algo-1", {}, ""),
        Call(
            "cloudwatch:PutMetricData",
            "cloudwatch:PutMetricData",
            "*",
            {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"},
            "SageMaker Model Monitor, CloudWatch metrics for data quality",
        ),
        # The job runs with network_config.vpc_config: SageMaker creates its ENIs as the execution role.
        *_vpc_enis(),
    ]
    return Contract(
        "sagemaker-model-monitor",
        tuple(calls),
        {"logs:createloggroup": "SageMaker creates /aws/sagemaker/ProcessingJobs on first use"},
    )


# -- API Gateway's invoke role (AWS integrations to SageMaker runtime) --------------------------------------

# API Gateway Developer Guide, "Set up an API integration request" (credentials: the role API Gateway assumes);
# SAR SageMaker: InvokeEndpoint / InvokeEndpointAsync / DescribeEndpoint on the endpoint ARN (lower-cased name).


def api_gateway_invoke(region: str, account: str, endpoints: Mapping[str, bool]) -> Contract:
    """`endpoints`: endpoint name -> whether it is asynchronous."""
    calls = []
    for name, asynchronous in endpoints.items():
        arn = f"arn:aws:sagemaker:{region}:{account}:endpoint/{name.lower()}"
        action = "sagemaker:InvokeEndpointAsync" if asynchronous else "sagemaker:InvokeEndpoint"
        calls += [
            Call(action, action, arn, {}, "API Gateway AWS integration -> runtime.sagemaker"),
            Call("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpoint", arn, {}, "health route"),
        ]
    return Contract(
        "api-gateway-invoke",
        tuple(calls),
        {
            "sagemaker:invokeendpoint": "one policy serves real-time and async routes",
            "sagemaker:invokeendpointasync": "one policy serves real-time and async routes",
        },
    )


# -- S3 replication role ---------------------------------------------------------------------------------------

# S3 User Guide, "Setting up permissions for live replication" (minimum permissions policy) and "Replicating
# encrypted objects (SSE-KMS)": kms:Decrypt on the source key via s3.<source region>, kms:Encrypt on the replica
# key via s3.<destination region>.
REPLICATION_SOURCE = "S3 User Guide, setting-repl-config-perm-overview.html / replication-config-for-kms-objects.html"


def s3_replication(
    source_bucket: str, dest_bucket: str, source_key: str, dest_key: str, source_region: str, dest_region: str
) -> Contract:
    src, dst = f"arn:aws:s3:::{source_bucket}", f"arn:aws:s3:::{dest_bucket}"
    calls = [
        Call("s3:GetReplicationConfiguration", "s3:GetReplicationConfiguration", src, {}, REPLICATION_SOURCE),
        Call("s3:ListBucket", "s3:ListBucket", src, {}, REPLICATION_SOURCE),
        *(
            Call(f"s3:{a}", f"s3:{a}", f"{src}/models/m/1/model.tar.gz", {}, REPLICATION_SOURCE)
            for a in ("GetObjectVersionForReplication", "GetObjectVersionAcl", "GetObjectVersionTagging")
        ),
        *(
            Call(f"s3:{a}", f"s3:{a}", f"{dst}/models/m/1/model.tar.gz", {}, REPLICATION_SOURCE)
            for a in ("ReplicateObject", "ReplicateDelete", "ReplicateTags")
        ),
        Call(
            "kms:Decrypt",
            "kms:Decrypt",
            source_key,
            {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
            REPLICATION_SOURCE,
        ),
        Call(
            "kms:Encrypt",
            "kms:Encrypt",
            dest_key,
            {"kms:ViaService": f"s3.{dest_region}.amazonaws.com"},
            REPLICATION_SOURCE,
        ),
    ]
    return Contract(
        "s3-replication",
        tuple(calls),
        {"kms:generatedatakey": "replicas under an S3 Bucket Key on the destination"},
    )


# -- trust: who may assume a service role ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrustContract:
    """A service role's trust: the service may assume it for this account, and no other account's resource may."""

    service: str
    account: str
    source_arn: str | None = None


def trust_allows(document: Mapping[str, Any] | str, service: str, context: Mapping[str, ContextValue]) -> bool:
    """Whether a trust policy lets `service` call sts:AssumeRole with this request context."""
    import json

    doc = json.loads(document) if isinstance(document, str) else document
    statements = [s for s in (doc.get("Statement") or []) if isinstance(s, Mapping)]
    for_service = [
        s
        for s in statements
        if service in _services(s.get("Principal"))
        and any(glob_match(str(a), "sts:AssumeRole", ignore_case=True) for a in _list(s.get("Action")))
    ]
    # The evaluator ignores Principal; the filter above applied it. The trust's resource is the role itself.
    return evaluate([{"Statement": list(for_service)}], "sts:AssumeRole", "*", context).allowed


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [] if value is None else [value]


def _services(principal: Any) -> set[str]:
    if isinstance(principal, Mapping):
        return {str(s) for s in _list(principal.get("Service"))}
    return set()

"""Stack policies (joins across resources): compliant, non-compliant with the exact message, and absent side
resources; plus how the offline analyzer treats unknowns, secrets and enforcement levels."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inferstack.engine.model import UNKNOWN, Resource, Secret
from inferstack.policy_eval import evaluate_resources
from tests.policy_cases import deployment, messages, only, res

BUCKET = "aws:s3/bucket:Bucket"
TLS_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
)


def bucket_with(**sides: dict[str, Any]) -> list[Resource]:
    """A bucket named 'models' plus side resources (v7 style) whose `bucket` input is its name."""
    types = {
        "sse": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "pab": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "versioning": "aws:s3/bucketVersioning:BucketVersioning",
        "policy": "aws:s3/bucketPolicy:BucketPolicy",
        "lifecycle": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    }
    out = [res(BUCKET, {"bucket": "models"}, name="models")]
    for key, props in sides.items():
        out.append(res(types[key], {"bucket": "models", **props}, name=f"models-{key}"))
    return out


BUCKET_URN = "urn:pulumi:prod::inferstack::aws:s3/bucket:Bucket::models"
S3_CASES = [
    (
        "aws-s3-bucket-enable-encryption",
        {"sse": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}},
        {"sse": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}},
        "S3 bucket 'models' encrypts with ['AES256'] instead of KMS; use sseAlgorithm 'aws:kms' "
        "with the environment key",
        "S3 bucket 'models' has no BucketServerSideEncryptionConfiguration; add one with "
        "sseAlgorithm 'aws:kms' and the "
        "environment key",
    ),
    (
        "aws-s3-bucket-enable-public-access-block",
        {
            "pab": dict.fromkeys(
                ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
            )
        },
        {
            "pab": {
                "blockPublicAcls": True,
                "blockPublicPolicy": False,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            }
        },
        "S3 bucket 'models' public access block leaves ['blockPublicPolicy'] off; set all four flags to true",
        "S3 bucket 'models' has no BucketPublicAccessBlock; add one with all four flags true",
    ),
    (
        "aws-s3-bucket-enable-versioning",
        {"versioning": {"versioningConfiguration": {"status": "Enabled"}}},
        {"versioning": {"versioningConfiguration": {"status": "Suspended"}}},
        "S3 bucket 'models' is not versioned (Suspended); add BucketVersioning with status 'Enabled'",
        "S3 bucket 'models' is not versioned (no BucketVersioning); add BucketVersioning with status 'Enabled'",
    ),
    (
        "aws-s3-bucket-enforce-tls-only",
        {"policy": {"policy": TLS_POLICY}},
        {
            "policy": {
                "policy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn"}, "Action": "s3:GetObject"}]}
                )
            }
        },
        "S3 bucket 'models' has no bucket policy denying aws:SecureTransport=false; add a Deny statement for requests "
        "without TLS",
        "S3 bucket 'models' has no bucket policy denying aws:SecureTransport=false; add a Deny statement for requests "
        "without TLS",
    ),
    (
        "aws-s3-bucket-configure-lifecycle",
        {"lifecycle": {"rules": [{"id": "expire", "status": "Enabled"}]}},
        {"lifecycle": {"rules": [{"id": "expire", "status": "Disabled"}]}},
        "S3 bucket 'models' has no enabled lifecycle rule; add a BucketLifecycleConfiguration that expires noncurrent "
        "versions and aborts incomplete uploads",
        "S3 bucket 'models' has no enabled lifecycle rule; add a BucketLifecycleConfiguration that expires noncurrent "
        "versions and aborts incomplete uploads",
    ),
]


@pytest.mark.parametrize(("policy", "good", "bad", "message", "absent_message"), S3_CASES, ids=[c[0] for c in S3_CASES])
def test_bucket_rules_join_the_v7_side_resources(
    policy: str, good: dict[str, Any], bad: dict[str, Any], message: str, absent_message: str
) -> None:
    assert messages(policy, bucket_with(**good)) == []
    assert messages(policy, bucket_with(**bad)) == [message]
    assert messages(policy, bucket_with()) == [absent_message]


def test_side_resource_joins_by_dependency_when_the_bucket_is_auto_named() -> None:
    bucket = res(BUCKET, {}, name="models")
    pab = res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {
            "bucket": "models-4f1a",
            **dict.fromkeys(
                ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
            ),
        },
        name="pab",
        dependencies=[bucket.urn],
    )
    assert messages("aws-s3-bucket-enable-public-access-block", [bucket, pab]) == []
    assert messages("aws-s3-bucket-enable-public-access-block", [bucket]) != []


def test_stack_violation_names_the_bucket_urn() -> None:
    found = evaluate_resources(bucket_with(), only("aws-s3-bucket-enable-versioning"), packs=("security",))
    assert [v["urn"] for v in found] == [BUCKET_URN]


def test_sagemaker_endpoint_requires_an_autoscaling_target() -> None:
    policy = "inferstack-sagemaker-endpoint-require-autoscaling"
    endpoint = res("aws:sagemaker/endpoint:Endpoint", {"name": "fraud-scorer"}, name="ep")
    target = res(
        "aws:appautoscaling/target:Target",
        {"serviceNamespace": "sagemaker", "resourceId": "endpoint/fraud-scorer/variant/AllTraffic"},
        name="t",
    )
    assert messages(policy, [endpoint, target]) == []
    assert messages(policy, [endpoint]) == [
        "SageMaker endpoint 'ep' has no autoscaling target; register a scalable target "
        "(sagemaker:variant:DesiredInstanceCount) with a target-tracking policy"
    ]
    nameless = res("aws:sagemaker/endpoint:Endpoint", {}, name="ep")
    assert (
        messages(
            policy,
            [
                nameless,
                res("aws:appautoscaling/target:Target", {"serviceNamespace": "sagemaker"}, dependencies=[nameless.urn]),
            ],
        )
        == []
    )


def _alarm(metric: str, name: str) -> Resource:
    return res("aws:cloudwatch/metricAlarm:MetricAlarm", {"metricName": metric, "alarmActions": ["arn"]}, name=name)


def test_serving_stack_requires_error_latency_gpu_and_health_alarms() -> None:
    policy = "inferstack-cloudwatch-alarms-require-serving-alarms"
    serving = [
        res("aws:sagemaker/endpoint:Endpoint", {}, name="ep"),
        res("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["g6.xlarge"]}, name="gpu"),
        res("aws:route53/healthCheck:HealthCheck", {}, name="hc"),
    ]
    alarms = [
        _alarm(m, m) for m in ("Invocation5XXErrors", "ModelLatency", "DCGM_FI_DEV_GPU_UTIL", "HealthCheckStatus")
    ]
    assert messages(policy, serving + alarms) == []
    assert messages(policy, serving + alarms[:2]) == [
        "the stack serves models but has no alarm on GPU utilisation (e.g. DCGM_FI_DEV_GPU_UTIL), HealthCheckStatus; "
        "add the serving alarms (observability.build_alerting) so on-call hears about errors, latency, idle GPUs and "
        "failover"
    ]
    assert messages(policy, []) == []  # nothing served, nothing required


def _record(role: str, name: str = "api.example.com") -> Resource:
    return res(
        "aws:route53/record:Record",
        {"zoneId": "Z1", "name": name, "type": "A", "failoverRoutingPolicies": [{"type": role}]},
        name=f"{name}-{role}",
    )


def test_failover_records_come_in_pairs() -> None:
    policy = "inferstack-route53-records-require-failover-pair"
    assert messages(policy, [_record("PRIMARY"), _record("SECONDARY")]) == []
    assert messages(policy, [_record("PRIMARY")]) == [
        "failover record 'api.example.com' has a PRIMARY but no SECONDARY; add the secondary region's record or use a "
        "simple record"
    ]
    assert messages(policy, [res("aws:route53/record:Record", {"name": "x", "type": "A"})]) == []


def test_gpu_workloads_need_replicas_and_a_disruption_budget() -> None:
    policy = "inferstack-kubernetes-gpu-workload-require-disruption-budget"
    dep = res("kubernetes:apps/v1:Deployment", deployment(replicas=2), name="triton")
    pdb = res(
        "kubernetes:policy/v1:PodDisruptionBudget",
        {"metadata": {"namespace": "serving"}, "spec": {"selector": {"matchLabels": {"app": "triton"}}}},
        name="pdb",
    )
    assert messages(policy, [dep, pdb]) == []
    single = res("kubernetes:apps/v1:Deployment", deployment(replicas=1), name="triton")
    assert messages(policy, [single]) == [
        "GPU workload 'triton' runs 1 replica(s) at minimum; keep at least 2 (replicas.min) so a node drain does not "
        "stop serving",
        "GPU workload 'triton' has no PodDisruptionBudget selecting its pods; add one with maxUnavailable: 1",
    ]
    hpa = res(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        {"metadata": {"namespace": "serving"}, "spec": {"scaleTargetRef": {"name": "triton"}, "minReplicas": 3}},
    )
    no_replicas = res(
        "kubernetes:apps/v1:Deployment",
        {k: v for k, v in deployment().items()} | {"spec": {**deployment()["spec"], "replicas": None}},
        name="triton",
    )
    assert messages(policy, [no_replicas, hpa, pdb]) == []


def test_budget_needs_a_subscriber() -> None:
    policy = "inferstack-budgets-budget-require-subscriber"
    budget = res("aws:budgets/budget:Budget", {"notifications": [{"subscriberEmailAddresses": ["a@example.com"]}]})
    assert messages(policy, [budget]) == []
    assert messages(policy, [res("aws:budgets/budget:Budget", {"notifications": [{"threshold": 80}]})]) == [
        "no AWS Budget in the stack has a notification subscriber; add monitoring.alarm_emails or the alert topic as a "
        "subscriber"
    ]
    assert messages(policy, []) == [
        "the stack has no aws.budgets.Budget; set monitoring.budget_monthly_usd so the stack creates one"
    ]


GPU_GROUP = {"instanceTypes": ["g6.xlarge"], "capacityType": "ON_DEMAND", "scalingConfig": {"minSize": 4, "maxSize": 8}}


def test_monthly_cost_ceiling_uses_the_cost_model() -> None:
    policy = "inferstack-stack-limit-monthly-cost"
    group = res("aws:eks/nodeGroup:NodeGroup", GPU_GROUP, name="gpu")
    assert messages(policy, [group], ceiling_usd=100000) == []
    found = messages(policy, [group], ceiling_usd=100)
    assert len(found) == 1
    assert found[0].startswith("estimated baseline monthly cost $")
    assert found[0].endswith(
        "exceeds this environment's ceiling $100.00; shrink instance counts/types or raise "
        "ceiling_usd (monitoring.budget_monthly_usd)"
    )
    assert messages(policy, [], ceiling_usd=100) == []  # an empty stack costs nothing


def test_cost_increase_warning_compares_with_the_recorded_figure() -> None:
    policy = "inferstack-stack-warn-cost-increase"
    group = res("aws:eks/nodeGroup:NodeGroup", GPU_GROUP, name="gpu")
    assert messages(policy, [group]) == []  # nothing recorded yet
    assert messages(policy, [group], previous_monthly_usd=1_000_000) == []
    found = messages(policy, [group], previous_monthly_usd=100)
    assert len(found) == 1 and "above the recorded $100.00 (limit 20%)" in found[0]


# -- analyzer behaviour --------------------------------------------------------------------------


def test_unknown_value_a_rule_reads_becomes_an_advisory_cant_run_diagnostic() -> None:
    cluster = res("aws:eks/cluster:Cluster", {"version": UNKNOWN})
    found = evaluate_resources([cluster], only("aws-eks-cluster-configure-supported-version"), packs=("security",))
    assert [(v["enforcement_level"], v["message"]) for v in found] == [
        (
            "advisory",
            "can't run policy 'aws-eks-cluster-configure-supported-version' from policy pack "
            "'inferstack-security@v0.1.0' during preview: string value at .version can't be known during preview",
        )
    ]


def test_unknown_value_counts_as_set_for_presence_rules() -> None:
    config = res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", {"kmsKeyArn": UNKNOWN})
    assert messages("aws-sagemaker-endpointconfig-require-kms-key", [config]) == []


def test_secret_values_are_unwrapped_for_rules_but_never_printed() -> None:
    template = res("aws:ec2/launchTemplate:LaunchTemplate", {"userData": Secret("password=hunter2")})
    found = evaluate_resources(
        [template], only("aws-ec2-launchtemplate-disallow-userdata-secrets"), packs=("security",)
    )
    assert len(found) == 1
    assert "a password assignment" in found[0]["message"]
    assert "hunter2" not in json.dumps(found)


def test_enforcement_levels_disabled_advisory_mandatory() -> None:
    key = res("aws:kms/key:Key", {"enableKeyRotation": False})
    policy = "aws-kms-key-enable-rotation"
    levels = {}
    for level in ("disabled", "advisory", "mandatory"):
        cfg = only(policy)
        cfg[policy]["enforcementLevel"] = level
        levels[level] = [v["enforcement_level"] for v in evaluate_resources([key], cfg, packs=("security",))]
    assert levels == {"disabled": [], "advisory": ["advisory"], "mandatory": ["mandatory"]}


def test_violation_dicts_carry_the_contract_fields() -> None:
    found = evaluate_resources([res("aws:kms/key:Key", {})], only("aws-kms-key-enable-rotation"), packs=("security",))
    assert found == [
        {
            "policy": "aws-kms-key-enable-rotation",
            "pack": "inferstack-security",
            "enforcement_level": "mandatory",
            "severity": "medium",
            "urn": "urn:pulumi:prod::inferstack::aws:kms/key:Key::r",
            "message": "KMS key 'r' does not rotate; set enableKeyRotation=true",
        }
    ]


def test_provider_default_tags_count_for_the_tag_rule() -> None:
    provider = res(
        "pulumi:providers:aws",
        {"region": "us-east-1", "defaultTags": {"tags": {"owner": "o", "cost-center": "c", "environment": "prod"}}},
        name="aws",
    )
    key = res("aws:kms/key:Key", {}, provider=f"{provider.urn}::id-1")
    assert messages("inferstack-aws-tags-require-cost-allocation", [provider, key]) == []

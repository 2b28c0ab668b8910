"""TritonService under recording mocks: pod security, GPU scheduling, probes, autoscaling, exposure, IAM."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from inferstack.components.triton_service import TritonService, TritonServiceArgs
from inferstack.engine.model import Resource
from tests.conftest import Recorded, run_components

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
BUCKET_ARN = "arn:aws:s3:::models-bucket"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111"


def triton_args(k8s_provider: Any, **overrides: Any) -> TritonServiceArgs:
    args: dict[str, Any] = {
        "model_name": "text-embedder",
        "model_version": 3,
        "image": "nvcr.io/nvidia/tritonserver:24.09-py3",
        "region": "us-east-1",
        "bucket_name": "models-bucket",
        "bucket_arn": BUCKET_ARN,
        "kms_key_arn": KEY_ARN,
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "oidc_issuer_url": "oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "k8s_provider": k8s_provider,
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.40.0.0/16",
        "pod_security_group_id": "sg-cluster",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "gpu_class": "L4",
        "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "latency_slo_ms": 80,
        "min_replicas": 2,
        "max_replicas": 10,
        "queue_time_target_us": 50000,
        "tags": {"environment": "test"},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def run_triton(**overrides: Any) -> Recorded:
    def build() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        TritonService("triton-text-embedder", triton_args(provider, **overrides))

    return run_components(build)


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return run_triton()


@pytest.fixture(scope="module")
def canary() -> Recorded:
    return run_triton(canary_version=4, canary_percent=20)


def container(deployment: Resource) -> dict[str, Any]:
    containers = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_every_kubernetes_child_uses_the_cluster_provider_explicitly(recorded: Recorded) -> None:
    provider = recorded.one("pulumi:providers:kubernetes", "k8s")
    kube = [r for r in recorded.resources if r.type.startswith("kubernetes:") and r.custom]
    assert len(kube) >= 9
    assert all(r.provider_urn == provider.urn for r in kube)


def test_children_are_parented_to_the_component(recorded: Recorded) -> None:
    component = recorded.one("inferstack:index:TritonService")
    children = recorded.children_of(component)
    assert {r.type for r in children} >= {
        DEPLOYMENT,
        "aws:iam/role:Role",
        "aws:lb/loadBalancer:LoadBalancer",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    }
    assert all(r.name.startswith("triton-text-embedder-") for r in children)


def test_namespace_enforces_restricted_pod_security(recorded: Recorded) -> None:
    ns = recorded.one("kubernetes:core/v1:Namespace")
    assert ns.inputs["metadata"]["name"] == "triton-text-embedder"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_run_non_root_with_read_only_root_and_no_capabilities(recorded: Recorded) -> None:
    deployment = recorded.one(DEPLOYMENT)
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    sc = container(deployment)["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "triton"


def test_tmp_is_an_empty_dir_and_dev_shm_is_memory_backed_with_a_limit(recorded: Recorded) -> None:
    deployment = recorded.one(DEPLOYMENT)
    volumes = {v["name"]: v for v in deployment.inputs["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(deployment)["volumeMounts"]}
    assert mounts == {"/tmp": "tmp", "/dev/shm": "dshm"}
    assert "emptyDir" in volumes["tmp"]
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "1Gi"}


def test_gpu_limit_is_an_integer_equal_to_the_request(recorded: Recorded) -> None:
    resources = container(recorded.one(DEPLOYMENT))["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1"
    assert resources["requests"] == resources["limits"]
    assert {"cpu", "memory"} <= set(resources["limits"])


def test_pods_tolerate_the_gpu_taint_and_require_the_gpu_class(recorded: Recorded) -> None:
    pod = recorded.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "inferstack.io/gpu-class", "operator": "In", "values": ["L4"]}]}]
    spread = pod["topologySpreadConstraints"][0]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["maxSkew"] == 1


def test_triton_loads_its_pinned_version_from_the_model_prefix_with_strict_readiness(recorded: Recorded) -> None:
    c = container(recorded.one(DEPLOYMENT))
    assert c["image"] == "nvcr.io/nvidia/tritonserver:24.09-py3"
    assert "--model-repository=s3://models-bucket/triton/text-embedder/" in c["args"]
    assert "--model-control-mode=explicit" in c["args"]
    assert "--load-model=text-embedder" in c["args"]
    assert "--model-config-name=v3" in c["args"]
    assert "--strict-readiness=true" in c["args"]
    assert {"name": "AWS_DEFAULT_REGION", "value": "us-east-1"} in c["env"]


def test_probes_use_triton_health_endpoints_with_a_five_minute_load_budget(recorded: Recorded) -> None:
    c = container(recorded.one(DEPLOYMENT))
    assert c["startupProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"] == 300
    assert c["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert c["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"


def test_service_is_cluster_ip_with_http_grpc_and_metrics_ports(recorded: Recorded) -> None:
    svc = recorded.one("kubernetes:core/v1:Service")
    assert svc.inputs["spec"]["type"] == "ClusterIP"
    assert {p["name"]: p["port"] for p in svc.inputs["spec"]["ports"]} == {"http": 8000, "grpc": 8001, "metrics": 8002}


def test_service_account_carries_the_irsa_role_and_no_token(recorded: Recorded) -> None:
    sa = recorded.one("kubernetes:core/v1:ServiceAccount")
    assert sa.inputs["metadata"]["namespace"] == "triton-text-embedder"
    assert sa.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert sa.inputs["automountServiceAccountToken"] is False


def test_irsa_trust_admits_only_the_triton_service_account(recorded: Recorded) -> None:
    role = recorded.one("aws:iam/role:Role")
    doc = json.loads(role.inputs["assumeRolePolicy"])
    [stmt] = doc["Statement"]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert stmt["Condition"]["StringEquals"] == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:triton-text-embedder:triton",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }


def test_irsa_policy_reads_only_the_model_prefix_and_decrypts_via_s3(recorded: Recorded) -> None:
    doc = json.loads(recorded.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["ReadModelRepository"]["Action"] == ["s3:GetObject"]
    assert by_sid["ReadModelRepository"]["Resource"] == [f"{BUCKET_ARN}/triton/text-embedder/*"]
    # HeadBucket carries no s3:prefix, so the bucket-level ListBucket has no prefix condition (issue 12, defect 1).
    assert by_sid["HeadAndListModelBucket"] == {
        "Sid": "HeadAndListModelBucket",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [BUCKET_ARN],
    }
    assert by_sid["DecryptViaS3"]["Action"] == ["kms:Decrypt"]
    assert by_sid["DecryptViaS3"]["Resource"] == [KEY_ARN]
    assert by_sid["DecryptViaS3"]["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert not [a for a in actions if "*" in a or a.startswith("s3:Put")]


def test_hpa_scales_on_queue_time_with_slow_scale_down(recorded: Recorded) -> None:
    hpa = recorded.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "text-embedder"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert hpa["metrics"] == [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "avg_time_queue_us"},
                "target": {"type": "AverageValue", "averageValue": "50000"},
            },
        }
    ]
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    assert hpa["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0


def test_pdb_limits_voluntary_disruption_to_one_pod(recorded: Recorded) -> None:
    pdb = recorded.one("kubernetes:policy/v1:PodDisruptionBudget").inputs["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"]["matchLabels"] == {"app.kubernetes.io/instance": "text-embedder"}


def test_service_monitor_scrapes_metrics_every_15_seconds(recorded: Recorded) -> None:
    monitors = [r for r in recorded.all("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")]
    [monitor] = monitors
    assert monitor.inputs["spec"]["endpoints"] == [{"port": "metrics", "interval": "15s", "path": "/metrics"}]


def test_prometheus_rules_alert_on_queue_slo_failures_gpu_and_replicas(recorded: Recorded) -> None:
    [rule] = recorded.all("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    rules = {r["alert"]: r for r in rule.inputs["spec"]["groups"][0]["rules"]}
    assert set(rules) == {
        "TritonQueueTimeAboveSlo",
        "TritonRequestFailureRatio",
        "TritonGpuSaturated",
        "TritonReplicasUnavailable",
    }
    assert rules["TritonQueueTimeAboveSlo"]["expr"].endswith("> 80000")  # 80 ms SLO in microseconds


def test_internal_alb_accepts_only_the_vpc(recorded: Recorded) -> None:
    alb = recorded.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is True
    assert alb.inputs["dropInvalidHeaderFields"] is True
    sg = recorded.one("aws:ec2/securityGroup:SecurityGroup")
    assert [i["cidrBlocks"] for i in sg.inputs["ingress"]] == [["10.40.0.0/16"]]
    assert alb.inputs["tags"] == {"environment": "test"}


def test_target_group_binding_points_the_stable_service_at_its_target_group(recorded: Recorded) -> None:
    tg = recorded.one("aws:lb/targetGroup:TargetGroup")
    assert tg.inputs["targetType"] == "ip"
    assert tg.inputs["healthCheck"]["path"] == "/v2/health/ready"
    [binding] = recorded.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    spec = binding.inputs["spec"]
    assert spec["serviceRef"] == {"name": "text-embedder", "port": 8000}
    assert spec["targetGroupARN"].startswith("arn:aws:elasticloadbalancing:us-east-1:")
    assert spec["targetType"] == "ip"


def test_without_canary_all_traffic_goes_to_the_stable_target_group(recorded: Recorded) -> None:
    rule = recorded.one("aws:lb/listenerRule:ListenerRule")
    [group] = rule.inputs["actions"][0]["forward"]["targetGroups"]
    assert group["weight"] == 100
    assert len(recorded.all(DEPLOYMENT)) == 1


def test_canary_runs_a_second_deployment_with_the_new_version(canary: Recorded) -> None:
    deployments = {r.inputs["metadata"]["name"]: r for r in canary.all(DEPLOYMENT)}
    assert set(deployments) == {"text-embedder", "text-embedder-canary"}
    assert "--model-config-name=v4" in container(deployments["text-embedder-canary"])["args"]
    assert "--model-config-name=v3" in container(deployments["text-embedder"])["args"]
    canary_labels = deployments["text-embedder-canary"].inputs["spec"]["selector"]["matchLabels"]
    assert canary_labels["inferstack.io/track"] == "canary"


def test_canary_listener_rule_weights_the_two_target_groups(canary: Recorded) -> None:
    tgs = {r.name: r for r in canary.all("aws:lb/targetGroup:TargetGroup")}
    assert set(tgs) == {"triton-text-embedder-tg-stable", "triton-text-embedder-tg-canary"}
    rule = canary.one("aws:lb/listenerRule:ListenerRule")
    weights = sorted(g["weight"] for g in rule.inputs["actions"][0]["forward"]["targetGroups"])
    assert weights == [20, 80]
    bindings = {
        r.inputs["spec"]["serviceRef"]["name"]
        for r in canary.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    }
    assert bindings == {"text-embedder", "text-embedder-canary"}


def test_health_alarm_fires_when_no_stable_host_is_healthy(recorded: Recorded) -> None:
    alarm = recorded.one("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarm.inputs["metricName"] == "HealthyHostCount"
    assert alarm.inputs["comparisonOperator"] == "LessThanThreshold"
    assert alarm.inputs["threshold"] == 1
    assert alarm.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"image": "nvcr.io/nvidia/tritonserver:latest"},
            "TritonService 'bad': image 'nvcr.io/nvidia/tritonserver:latest' is not pinned; use an explicit tag such "
            "as 'nvcr.io/nvidia/tritonserver:24.09-py3' (optionally with @sha256:<digest>)",
        ),
        (
            {"min_replicas": 3, "max_replicas": 2},
            "TritonService 'bad': min_replicas=3 exceeds max_replicas=2; raise max_replicas or lower min_replicas",
        ),
        (
            {"min_replicas": 0},
            "TritonService 'bad': min_replicas=0 must be >= 1 (the HPA cannot scale from zero); use 1 or more",
        ),
        (
            {"gpus_per_replica": 0},
            "TritonService 'bad': gpus_per_replica=0 must be a whole number >= 1 (GPUs are not shared fractionally)",
        ),
        (
            {"canary_version": 4, "canary_percent": 60},
            "TritonService 'bad': canary_percent=60 must be between 1 and 50; use e.g. 10",
        ),
        (
            {"canary_version": 3},
            "TritonService 'bad': canary_version=3 equals model_version; set the new version as canary_version, "
            "or remove it to promote",
        ),
        (
            {"namespace": "default"},
            "TritonService 'bad': namespace 'default' is reserved; use a dedicated one such as 'triton-text-embedder'",
        ),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_the_field_and_fix(overrides: dict[str, Any], message: str) -> None:
    def build() -> None:
        TritonService("bad", triton_args(k8s.Provider("k8s", kubeconfig="{}"), **overrides))

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        run_components(build)


def test_opts_provider_is_inherited_by_aws_children() -> None:
    def build() -> None:
        import pulumi_aws as aws

        aws_provider = aws.Provider("aws-us-west-2", region="us-west-2")
        TritonService(
            "triton-west",
            triton_args(k8s.Provider("k8s", kubeconfig="{}"), region="us-west-2"),
            opts=pulumi.ResourceOptions(provider=aws_provider),
        )

    recorded = run_components(build)
    provider = recorded.one("pulumi:providers:aws", "aws-us-west-2")
    aws_children = [r for r in recorded.resources if r.type.startswith("aws:")]
    assert aws_children and all(r.provider_urn == provider.urn for r in aws_children)
    alb = recorded.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["subnets"] == ["subnet-a", "subnet-b"]


def test_with_a_domain_the_listener_serves_https_on_a_validated_certificate() -> None:
    recorded = run_triton(domain_name="text-embedder.prod.inference.example.com", zone_id="Z123")
    cert = recorded.one("aws:acm/certificate:Certificate")
    assert cert.inputs["domainName"] == "text-embedder.prod.inference.example.com"
    assert cert.inputs["validationMethod"] == "DNS"
    assert recorded.one("aws:route53/record:Record").inputs["zoneId"] == "Z123"
    listener = recorded.one("aws:lb/listener:Listener").inputs
    assert (listener["port"], listener["protocol"]) == (443, "HTTPS")
    assert listener["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["certificateArn"].startswith("arn:aws:acm:us-east-1:123456789012:certificate/")
    sg = recorded.one("aws:ec2/securityGroup:SecurityGroup")
    assert [i["fromPort"] for i in sg.inputs["ingress"]] == [443]


def test_without_a_domain_the_listener_is_plain_http_inside_the_vpc(recorded: Recorded) -> None:
    listener = recorded.one("aws:lb/listener:Listener").inputs
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert recorded.all("aws:acm/certificate:Certificate") == []


def test_domain_without_zone_fails_with_a_clear_message() -> None:
    message = "TritonService 'bad': domain_name 'x.example.com' needs zone_id (the hosted zone that validates it)"

    def build() -> None:
        TritonService("bad", triton_args(k8s.Provider("k8s", kubeconfig="{}"), domain_name="x.example.com"))

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        run_components(build)

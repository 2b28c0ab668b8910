"""LlmService under recording mocks: vLLM arguments from the plan, tensor parallel = GPUs, hardening, IRSA on
the weights prefix, token-level autoscaling, recording rules, SLO alerts, canary gates and the internal ALB."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from inferstack.components import cluster_addons
from inferstack.components.llm_service import (
    ERROR_RATIO,
    ITL_P95,
    KV_CACHE_METRIC,
    QUEUE_P95,
    TTFT_P95,
    VLLM_IMAGE,
    WAITING_METRIC,
    LlmService,
    LlmServiceArgs,
    llm_rule_groups,
)
from inferstack.components.monitoring import KubernetesMonitoring, llm_grafana_dashboard
from inferstack.engine.model import Resource
from inferstack.render import to_manifest
from tests.conftest import Recorded, run_components

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111"
WEIGHTS = "s3://inferstack-llm-weights/llama-3-1-70b-instruct/1/"


def llm_args(k8s_provider: Any, **overrides: Any) -> LlmServiceArgs:
    args: dict[str, Any] = {
        "model_name": "llama-3-1-70b-instruct",
        "model_version": 1,
        "weights_uri": WEIGHTS,
        "region": "us-east-1",
        "kms_key_arn": KEY_ARN,
        "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "oidc_issuer_url": "oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "k8s_provider": k8s_provider,
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.40.0.0/16",
        "pod_security_group_id": "sg-cluster",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "gpu_class": "L40S",
        "node_group": "llm",
        "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "tensor_parallel": 4,
        "max_model_len": 8192,
        "max_num_seqs": 16,
        "gpu_memory_utilization": 0.9,
        "shm_size_gib": 8,
        "ttft_slo_ms": 3000,
        "itl_slo_ms": 150,
        "min_replicas": 1,
        "max_replicas": 3,
        "cpu": "44",
        "memory": "360Gi",
        "startup_period_seconds": 10,
        "startup_failure_threshold": 120,
        "image_pull_seconds": 240,
        "tags": {"environment": "test"},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def run_llm(**overrides: Any) -> Recorded:
    def build() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        LlmService("vllm-llama", llm_args(provider, **overrides))

    return run_components(build)


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return run_llm()


@pytest.fixture(scope="module")
def canary() -> Recorded:
    return run_llm(canary_version=2, canary_weights_uri="s3://inferstack-llm-weights/llama-3-1-70b-instruct/2/")


def container(deployment: Resource) -> dict[str, Any]:
    containers = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def flag(args: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"{name}=")]
    assert len(values) == 1, f"{name} appears {len(values)} times in {args}"
    return values[0]


def test_every_kubernetes_child_uses_the_cluster_provider_and_is_parented(recorded: Recorded) -> None:
    provider = recorded.one("pulumi:providers:kubernetes", "k8s")
    kube = [r for r in recorded.resources if r.type.startswith("kubernetes:") and r.custom]
    assert len(kube) >= 9
    assert all(r.provider_urn == provider.urn for r in kube)
    component = recorded.one("inferstack:index:LlmService")
    assert all(r.name.startswith("vllm-llama-") for r in recorded.children_of(component))


@pytest.mark.parametrize("tp", [1, 4])
def test_tensor_parallel_equals_the_gpu_request_and_limit(tp: int) -> None:
    c = container(run_llm(tensor_parallel=tp).one(DEPLOYMENT))
    assert flag(c["args"], "--tensor-parallel-size") == str(tp)
    assert c["resources"]["limits"]["nvidia.com/gpu"] == str(tp)
    assert c["resources"]["requests"] == c["resources"]["limits"]


def test_server_arguments_come_from_the_plan_and_stream_weights_from_s3(recorded: Recorded) -> None:
    c = container(recorded.one(DEPLOYMENT))
    args = c["args"]
    assert c["image"] == VLLM_IMAGE and VLLM_IMAGE.startswith("vllm/vllm-openai:v")
    assert args[0] == WEIGHTS  # `vllm serve <model>`
    assert flag(args, "--load-format") == "runai_streamer"
    assert json.loads(flag(args, "--model-loader-extra-config")) == {"concurrency": 16, "memory_limit": 4 * 1024**3}
    assert flag(args, "--max-model-len") == "8192"
    assert flag(args, "--max-num-seqs") == "16"
    assert flag(args, "--gpu-memory-utilization") == "0.9"
    assert flag(args, "--served-model-name") == "llama-3-1-70b-instruct"
    assert not any(a.startswith("--kv-cache-dtype") for a in args)
    fp8 = container(run_llm(kv_cache_dtype="fp8").one(DEPLOYMENT))["args"]
    assert flag(fp8, "--kv-cache-dtype") == "fp8"


def test_dev_shm_is_memory_backed_and_sized_by_the_plan(recorded: Recorded) -> None:
    deployment = recorded.one(DEPLOYMENT)
    volumes = {v["name"]: v for v in deployment.inputs["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(deployment)["volumeMounts"]}
    assert mounts == {"/tmp": "tmp", "/cache": "cache", "/dev/shm": "dshm"}
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "8Gi"}
    assert volumes["cache"]["emptyDir"] == {"sizeLimit": "20Gi"}


def test_pods_are_hardened_like_triton_pods(recorded: Recorded) -> None:
    ns = recorded.one("kubernetes:core/v1:Namespace")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = recorded.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 2000,
        "runAsGroup": 2000,
        "fsGroup": 2000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    sc = container(recorded.one(DEPLOYMENT))["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "vllm"
    env = {e["name"]: e["value"] for e in container(recorded.one(DEPLOYMENT))["env"]}
    # Every cache path is under the writable emptyDir, not the read-only root.
    assert all(env[k].startswith("/cache") for k in ("HOME", "VLLM_CACHE_ROOT", "HF_HOME", "TRITON_CACHE_DIR"))


def test_pods_tolerate_the_gpu_taint_and_select_the_node_group(recorded: Recorded) -> None:
    pod = recorded.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchExpressions": [
                {"key": "inferstack.io/gpu-class", "operator": "In", "values": ["L40S"]},
                {"key": "inferstack.io/node-group", "operator": "In", "values": ["llm"]},
            ]
        }
    ]


def test_probes_use_health_and_the_startup_budget(recorded: Recorded) -> None:
    deployment = recorded.one(DEPLOYMENT)
    c = container(deployment)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert c["startupProbe"]["periodSeconds"] * c["startupProbe"]["failureThreshold"] == 1200
    # image pull + startup budget + 5 min of margin
    assert deployment.inputs["spec"]["progressDeadlineSeconds"] == 240 + 1200 + 300


def test_irsa_role_lists_and_reads_exactly_the_weights_prefix(recorded: Recorded) -> None:
    policy = json.loads(recorded.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"ListWeights", "ReadWeights", "DecryptViaS3"}
    assert by_sid["ListWeights"]["Action"] == ["s3:ListBucket"]
    assert by_sid["ListWeights"]["Resource"] == ["arn:aws:s3:::inferstack-llm-weights"]
    assert by_sid["ListWeights"]["Condition"] == {
        "StringLike": {"s3:prefix": ["llama-3-1-70b-instruct/1/", "llama-3-1-70b-instruct/1/*"]}
    }
    assert by_sid["ReadWeights"] == {
        "Sid": "ReadWeights",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::inferstack-llm-weights/llama-3-1-70b-instruct/1/*"],
    }
    assert by_sid["DecryptViaS3"]["Resource"] == [KEY_ARN]
    assert by_sid["DecryptViaS3"]["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    trust = json.loads(recorded.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:vllm-llama-3-1-70b-instruct:vllm" in cond.values()


def test_canary_weights_get_their_own_read_grant(canary: Recorded) -> None:
    policy = json.loads(canary.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    reads = sorted(r for s in policy["Statement"] if s["Action"] == ["s3:GetObject"] for r in s["Resource"])
    assert reads == [
        "arn:aws:s3:::inferstack-llm-weights/llama-3-1-70b-instruct/1/*",
        "arn:aws:s3:::inferstack-llm-weights/llama-3-1-70b-instruct/2/*",
    ]


def test_hpa_scales_on_waiting_requests_and_kv_cache_use_with_a_long_scale_down_window(recorded: Recorded) -> None:
    hpa = recorded.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    targets = {m["pods"]["metric"]["name"]: m["pods"]["target"]["averageValue"] for m in hpa["metrics"]}
    assert targets == {WAITING_METRIC: "4", KV_CACHE_METRIC: "800m"}
    assert hpa["minReplicas"] == 1 and hpa["maxReplicas"] == 3
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 600
    assert hpa["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0


def test_the_adapter_serves_both_hpa_metrics_from_the_vllm_gauges() -> None:
    served = {name: series for series, name, _ in cluster_addons.VLLM_ADAPTER_RULES}
    assert served == {WAITING_METRIC: "vllm:num_requests_waiting", KV_CACHE_METRIC: "vllm:kv_cache_usage_perc"}


def test_min_replicas_zero_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"min_replicas=0 must be >= 1: HPA minReplicas 0 needs .*HPAScaleToZero"):
        run_llm(min_replicas=0)


def test_recording_rules_record_p95_latencies_and_the_error_ratio(recorded: Recorded) -> None:
    groups = recorded.one(RULE).inputs["spec"]["groups"]
    records = {r["record"]: r["expr"] for g in groups for r in g["rules"] if "record" in r}
    assert set(records) >= {TTFT_P95, ITL_P95, QUEUE_P95, ERROR_RATIO}
    assert "vllm:time_to_first_token_seconds_bucket" in records[TTFT_P95]
    assert "vllm:inter_token_latency_seconds_bucket" in records[ITL_P95]
    assert "vllm:request_queue_time_seconds_bucket" in records[QUEUE_P95]
    assert 'status="5xx"' in records[ERROR_RATIO]
    assert all("histogram_quantile(0.95" in records[k] for k in (TTFT_P95, ITL_P95, QUEUE_P95))


def test_slo_alerts_compare_in_seconds_against_the_package_slo(recorded: Recorded) -> None:
    alerts = {r["alert"]: r for g in recorded.one(RULE).inputs["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert alerts["VllmTimeToFirstTokenAboveSlo"]["expr"].endswith("> 3")
    assert alerts["VllmInterTokenLatencyAboveSlo"]["expr"].endswith("> 0.15")
    assert alerts["VllmQueueTimeAboveSlo"]["expr"].endswith("> 1.5")  # default: half the TTFT SLO
    assert alerts["VllmErrorRatio"]["labels"]["severity"] == "critical"
    assert not [a for a in alerts if a.startswith("VllmCanary")]


def test_canary_gates_fire_on_regressions_against_stable_and_the_slo(canary: Recorded) -> None:
    groups = {g["name"]: g for g in canary.one(RULE).inputs["spec"]["groups"]}
    gates = {r["alert"]: r for r in groups["vllm-llama-3-1-70b-instruct-canary-gates"]["rules"]}
    assert set(gates) == {
        "VllmCanaryTimeToFirstTokenRegression",
        "VllmCanaryInterTokenLatencyRegression",
        "VllmCanaryErrorRatio",
    }
    ttft = gates["VllmCanaryTimeToFirstTokenRegression"]["expr"]
    assert 'service="llama-3-1-70b-instruct-canary"' in ttft and "1.2 *" in ttft and "> 3 or" in ttft
    assert all(g["labels"]["gate"] == "canary" for g in gates.values())
    deployments = {d.inputs["metadata"]["name"] for d in canary.all(DEPLOYMENT)}
    assert deployments == {"llama-3-1-70b-instruct", "llama-3-1-70b-instruct-canary"}
    canary_pod = next(d for d in canary.all(DEPLOYMENT) if d.name.endswith("-canary"))
    assert container(canary_pod)["args"][0].endswith("/llama-3-1-70b-instruct/2/")


def test_alb_forwards_the_openai_api_and_health_checks_health(canary: Recorded) -> None:
    rule = canary.one("aws:lb/listenerRule:ListenerRule").inputs
    assert rule["conditions"] == [{"pathPattern": {"values": ["/v1/*"]}}]
    weights = sorted(t["weight"] for t in rule["actions"][0]["forward"]["targetGroups"])
    assert weights == [10, 90]
    for tg in canary.all("aws:lb/targetGroup:TargetGroup"):
        assert tg.inputs["healthCheck"]["path"] == "/health" and tg.inputs["port"] == 8000
    assert canary.one("aws:lb/loadBalancer:LoadBalancer").inputs["internal"] is True
    assert canary.one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"] == 600
    bindings = canary.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    assert {b.inputs["spec"]["serviceRef"]["name"] for b in bindings} == {
        "llama-3-1-70b-instruct",
        "llama-3-1-70b-instruct-canary",
    }


def test_rendered_objects_validate_against_the_kubernetes_schema(canary: Recorded) -> None:
    checked = 0
    for r in canary.resources:
        if r.type.startswith("kubernetes:") and r.custom and "apiextensions" not in r.type:
            if r.type.split(":")[1].split("/")[0] in ("monitoring.coreos.com", "elbv2.k8s.aws"):
                continue
            kubernetes_validate.validate(to_manifest(r), "1.35", strict=True)
            checked += 1
    assert checked >= 8  # namespace, SA, 2 deployments, 2 services, PDB, HPA


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"image": "vllm/vllm-openai:latest"}, r"image 'vllm/vllm-openai:latest' is not pinned"),
        ({"image": "vllm/vllm-openai"}, r"is not pinned"),
        ({"weights_uri": "s3://bucket/no-trailing-slash"}, r"weights_uri='s3://bucket/no-trailing-slash' is not an S3"),
        ({"tensor_parallel": 0}, r"tensor_parallel=0 must be a whole number of GPUs from 1 to 8"),
        ({"tensor_parallel": 16}, r"tensor_parallel=16"),
        ({"gpu_memory_utilization": 1.2}, r"gpu_memory_utilization=1.2 must be in \(0, 1\]"),
        ({"canary_version": 2}, r"canary_version=2 needs canary_weights_uri"),
        ({"canary_version": 1, "canary_weights_uri": WEIGHTS}, r"canary_version=1 equals model_version"),
        ({"memory": "12Gi"}, r"memory='12Gi' is below /dev/shm 8 GiB \+ streamer buffer 4 GiB \+ 4 GiB"),
        ({"kv_cache_usage_target": 80}, r"kv_cache_usage_target=80 must be in \(0, 1\]"),
        ({"namespace": "default"}, r"namespace 'default' is reserved"),
    ],
)
def test_invalid_args_fail_with_the_field_value_and_fix(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_llm(**overrides)


def test_rule_groups_without_canary_have_no_gate_group() -> None:
    groups = llm_rule_groups(
        "m", "ns", ttft_slo_ms=1500, itl_slo_ms=100, queue_slo_ms=750, error_ratio_slo=0.01, canary=False
    )
    assert [g["name"] for g in groups] == ["vllm-m-records", "vllm-m-slo"]


# vLLM V1's /metrics (vLLM docs/design/metrics.md "v1 Metrics", read 2026-12-02 at commit f7e3a08), plus the
# HTTP middleware's counter the same page shows (`http_requests_total{handler, method, status}`).
VLLM_DOCUMENTED = {
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:prefix_cache_queries",
    "vllm:prefix_cache_hits",
    "vllm:num_preemptions_total",
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:request_success_total",
    "vllm:time_to_first_token_seconds",
    "vllm:inter_token_latency_seconds",
    "vllm:e2e_request_latency_seconds",
    "vllm:request_queue_time_seconds",
    "vllm:request_inference_time_seconds",
    "vllm:request_prefill_time_seconds",
    "vllm:request_decode_time_seconds",
    "http_requests_total",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def _series_names(expr: str) -> set[str]:
    return set(re.findall(r"\b((?:vllm:|http_)[A-Za-z0-9_:]*)\s*\{", expr))


def test_every_vllm_series_the_rules_adapter_and_dashboard_read_is_one_vllm_exports(canary: Recorded) -> None:
    exprs = [r["expr"] for g in canary.one(RULE).inputs["spec"]["groups"] for r in g["rules"]]
    exprs += [p["targets"][0]["expr"] for p in llm_grafana_dashboard("t", ["m"])["panels"]]
    exprs += [series + "{}" for series, _, _ in cluster_addons.VLLM_ADAPTER_RULES]
    read = set().union(*(_series_names(e) for e in exprs))
    assert {"vllm:time_to_first_token_seconds_bucket", "vllm:num_requests_waiting", "http_requests_total"} <= read
    unknown = {
        name
        for name in read
        if name not in VLLM_DOCUMENTED
        and not any(name.endswith(s) and name.removesuffix(s) in VLLM_DOCUMENTED for s in HISTOGRAM_SUFFIXES)
    }
    assert unknown == set()
    # The legacy V0 gauge was renamed in V1; reading it would chart nothing.
    assert not any("gpu_cache_usage_perc" in e for e in exprs)


def test_kubernetes_monitoring_adds_an_llm_dashboard_next_to_the_gpu_rules() -> None:
    def build() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        KubernetesMonitoring(
            "mon",
            {"cluster_label": "staging us-east-1", "models": [], "llm_models": ["llama-3-1-8b-instruct"]},
            opts=pulumi.ResourceOptions(provider=provider),
        )

    rec = run_components(build)
    maps = {c.inputs["metadata"]["name"]: c for c in rec.all("kubernetes:core/v1:ConfigMap")}
    assert set(maps) == {"inferstack-llm-dashboard"}  # no Triton dashboard without Triton models
    board = json.loads(maps["inferstack-llm-dashboard"].inputs["data"]["inferstack-llm.json"])
    assert "llama-3-1-8b-instruct-canary" in board["panels"][0]["targets"][0]["expr"]
    assert rec.one(RULE).inputs["spec"]["groups"][0]["name"] == "dcgm"
    with pytest.raises(ValueError, match="models and llm_models are empty"):
        run_components(
            lambda: KubernetesMonitoring(
                "mon",
                {"cluster_label": "x", "models": []},
                opts=pulumi.ResourceOptions(provider=k8s.Provider("k8s", kubeconfig="{}")),
            )
        )

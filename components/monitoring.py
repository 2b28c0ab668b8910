"""Monitoring views: the environment's CloudWatch dashboard, and Prometheus rules plus a Grafana
dashboard for Triton and DCGM metrics on EKS.

The dashboard is generated from the deployments it is given, so it only ever shows metrics of
resources that exist, each with a producer in the stack (tests/test_metric_producers.py checks it):
per SageMaker endpoint latency p50/p99, invocations, 4XX/5XX (`AWS/SageMaker`, the endpoint), GPU
utilization and memory, instance count (`/aws/sagemaker/Endpoints`, the endpoint's instances); per Triton
service its ALB traffic and errors (`AWS/ApplicationELB`) plus cluster GPU, node and pod counts
(`ContainerInsights`, published by the amazon-cloudwatch-observability add-on ClusterAddons installs);
per Route53 health check its status. Triton's own metrics (queue time, failures) live in Prometheus:
TritonService's PrometheusRule alerts on them and KubernetesMonitoring's Grafana dashboard shows them.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from inferstack.components.llm_service import ERROR_RATIO, GENERATION_RATE, ITL_P95, QUEUE_P95, TTFT_P95


class DashboardDeployment(TypedDict):
    """One deployment in one region, as the dashboard shows it."""

    model: str
    region: str
    target: Literal["sagemaker", "sagemaker-async", "sagemaker-llm", "triton-eks", "vllm-eks"]
    endpoint_name: NotRequired[pulumi.Input[str]]
    """SageMaker targets: the endpoint name."""
    variant_name: NotRequired[str]
    """SageMaker targets. Default: AllTraffic."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """triton-eks, vllm-eks: the EKS cluster (Container Insights dimension)."""
    namespace: NotRequired[pulumi.Input[str]]
    """triton-eks, vllm-eks: Kubernetes namespace of the service. Default: the model name."""
    load_balancer: NotRequired[pulumi.Input[str]]
    """triton-eks, vllm-eks: ALB ARN suffix ('app/<name>/<id>'), when the service has one."""


class DashboardArgs(TypedDict):
    dashboard_name: str
    """CloudWatch dashboard name, e.g. 'inferstack-prod'."""
    deployments: Sequence[DashboardDeployment]
    """What to show; at least one."""
    health_checks: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Default: none. Label -> Route53 health check id (status graphs live in us-east-1)."""


def _metric(namespace: str, name: str, dims: Mapping[str, str], **opts: Any) -> list[Any]:
    row: list[Any] = [namespace, name]
    for k, v in dims.items():
        row += [k, v]
    if opts:
        row.append(opts)
    return row


def _widget(
    title: str, region: str, metrics: list[list[Any]], *, stat: str = "Sum", period: int = 60
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": 8,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "stat": stat,
            "period": period,
            "view": "timeSeries",
        },
    }


def dashboard_body(deployments: Sequence[Mapping[str, Any]], health_checks: Mapping[str, str]) -> str:
    """Dashboard JSON for resolved deployments (every Input already a plain string)."""
    widgets: list[dict[str, Any]] = []
    for d in deployments:
        model, region, target = d["model"], d["region"], d["target"]
        label = f"{model} ({region})"
        if target in ("sagemaker", "sagemaker-async", "sagemaker-llm"):
            dims = {"EndpointName": d["endpoint_name"], "VariantName": d.get("variant_name", "AllTraffic")}
            widgets += [
                _widget(
                    f"{label} model latency (us)",
                    region,
                    [
                        _metric("AWS/SageMaker", "ModelLatency", dims, stat="p50", label="p50"),
                        _metric("AWS/SageMaker", "ModelLatency", dims, stat="p99", label="p99"),
                    ],
                    stat="p99",
                ),
                _widget(
                    f"{label} invocations and errors",
                    region,
                    [
                        _metric("AWS/SageMaker", "Invocations", dims),
                        _metric("AWS/SageMaker", "Invocation4XXErrors", dims),
                        _metric("AWS/SageMaker", "Invocation5XXErrors", dims),
                    ],
                ),
                _widget(
                    f"{label} GPU and instances",
                    region,
                    [
                        _metric("/aws/sagemaker/Endpoints", "GPUUtilization", dims, stat="Average"),
                        _metric("/aws/sagemaker/Endpoints", "GPUMemoryUtilization", dims, stat="Average"),
                        # Instance metrics live in /aws/sagemaker/Endpoints, not AWS/SageMaker (aws-cdk
                        # @aws-cdk/aws-sagemaker-alpha lib/endpoint.ts metricCpuUtilization, read 2026-12-02).
                        _metric(
                            "/aws/sagemaker/Endpoints", "CPUUtilization", dims, stat="SampleCount", label="instances"
                        ),
                    ],
                    stat="Average",
                ),
            ]
            # ConcurrentRequestsPerModel (AWS/SageMaker, EndpointName + VariantName, high resolution): what
            # SageMakerLlm scales on (SageMaker Developer Guide, monitoring-cloudwatch.html, read 2026-12-02).
            if target == "sagemaker-llm":
                widgets.append(
                    _widget(
                        f"{label} concurrent requests per model",
                        region,
                        [_metric("AWS/SageMaker", "ConcurrentRequestsPerModel", dims, stat="Maximum")],
                        stat="Maximum",
                    )
                )
            if target == "sagemaker-async":
                widgets.append(
                    _widget(
                        f"{label} async backlog",
                        region,
                        [
                            _metric("AWS/SageMaker", "ApproximateBacklogSize", {"EndpointName": d["endpoint_name"]}),
                            _metric(
                                "AWS/SageMaker",
                                "ApproximateBacklogSizePerInstance",
                                {"EndpointName": d["endpoint_name"]},
                            ),
                        ],
                        stat="Average",
                    )
                )
        else:
            cluster = {"ClusterName": d["cluster_name"]}
            ns = d.get("namespace", model)
            if d.get("load_balancer"):
                lb = {"LoadBalancer": d["load_balancer"]}
                widgets += [
                    _widget(
                        f"{label} latency (s)",
                        region,
                        [
                            _metric("AWS/ApplicationELB", "TargetResponseTime", lb, stat="p50", label="p50"),
                            _metric("AWS/ApplicationELB", "TargetResponseTime", lb, stat="p99", label="p99"),
                        ],
                        stat="p99",
                    ),
                    _widget(
                        f"{label} requests and errors",
                        region,
                        [
                            _metric("AWS/ApplicationELB", "RequestCount", lb),
                            _metric("AWS/ApplicationELB", "HTTPCode_Target_4XX_Count", lb),
                            _metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb),
                        ],
                    ),
                ]
            widgets += [
                _widget(
                    f"{label} GPU, nodes and pods",
                    region,
                    [
                        _metric("ContainerInsights", "node_gpu_utilization", cluster, stat="Average"),
                        _metric("ContainerInsights", "node_gpu_memory_utilization", cluster, stat="Average"),
                        _metric("ContainerInsights", "cluster_node_count", cluster, stat="Average"),
                        _metric(
                            "ContainerInsights",
                            "namespace_number_of_running_pods",
                            {**cluster, "Namespace": ns},
                            stat="Average",
                        ),
                    ],
                    stat="Average",
                ),
            ]
    if health_checks:
        widgets.append(
            _widget(
                "Route53 health checks (1 = healthy)",
                "us-east-1",
                [
                    _metric("AWS/Route53", "HealthCheckStatus", {"HealthCheckId": hc}, label=lbl)
                    for lbl, hc in sorted(health_checks.items())
                ],
                stat="Minimum",
            )
        )
    # Lay the widgets out three per row.
    for i, w in enumerate(widgets):
        w["x"] = (i % 3) * 8
        w["y"] = (i // 3) * 6
    return json.dumps({"widgets": widgets}, sort_keys=True)


class Dashboard(pulumi.ComponentResource):
    """The environment's CloudWatch dashboard, generated from its deployments."""

    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:Dashboard", name, None, opts)
        deployments = list(args["deployments"])
        if not deployments:
            raise ValueError(f"Dashboard {name!r}: deployments is empty; pass at least one deployment to show")
        required = {
            "sagemaker": "endpoint_name",
            "sagemaker-async": "endpoint_name",
            "sagemaker-llm": "endpoint_name",
            "triton-eks": "cluster_name",
            "vllm-eks": "cluster_name",
        }
        for i, d in enumerate(deployments):
            if d["target"] not in required:
                raise ValueError(
                    f"Dashboard {name!r}: deployments[{i}].target={d['target']!r} is unknown; "
                    "use sagemaker, sagemaker-async, sagemaker-llm, triton-eks or vllm-eks"
                )
            field = required[d["target"]]
            if field not in d:
                raise ValueError(
                    f"Dashboard {name!r}: deployments[{i}] ({d['model']}, {d['target']}) lacks {field}; pass it"
                )
        checks = dict(args.get("health_checks", {}))
        resolved = pulumi.Output.all(
            [pulumi.Output.all(**{k: pulumi.Output.from_input(v) for k, v in d.items()}) for d in deployments],
            pulumi.Output.all(**{k: pulumi.Output.from_input(v) for k, v in checks.items()}),
        )
        body = resolved.apply(lambda v: dashboard_body(v[0], v[1]))
        board = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args["dashboard_name"],
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = board.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})


# -- EKS: Prometheus rules and Grafana dashboard ---------------------------------------------------


def prometheus_rules() -> list[dict[str, Any]]:
    """PrometheusRule groups of the cluster: DCGM (per node GPU).

    Per-model Triton alerts (queue time against the SLO, failure ratio, saturation, unavailable replicas)
    are defined once, by each TritonService next to the model they watch.
    """
    dcgm_rules = [
        {
            "alert": "GpuXidErrors",
            "expr": "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
            "for": "1m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reports XID errors"},
        },
        {
            "alert": "GpuMemoryNearlyFull",
            "expr": "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95",
            "for": "15m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} framebuffer above 95%"},
        },
        {
            "alert": "GpuIdleWhileProvisioned",
            "expr": "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) < 5",
            "for": "2h",
            "labels": {"severity": "info"},
            "annotations": {"summary": "GPU node {{ $labels.Hostname }} idle for 2 hours (cost)"},
        },
    ]
    return [{"name": "dcgm", "rules": dcgm_rules}]


def grafana_dashboard(title: str, models: Sequence[str]) -> dict[str, Any]:
    """A Grafana dashboard of Triton latency, throughput, queue time and DCGM GPU metrics."""
    model_re = "|".join(models)
    panels: list[tuple[str, str]] = [
        (
            # Triton's request duration is a cumulative counter (no histogram by default): average per request.
            "Triton avg request latency (ms)",
            f'sum by (model) (rate(nv_inference_request_duration_us{{model=~"{model_re}"}}[5m])) / '
            f'clamp_min(sum by (model) (rate(nv_inference_request_success{{model=~"{model_re}"}}[5m])), 1e-9) / 1000',
        ),
        ("Triton inferences / s", f'sum by (model) (rate(nv_inference_request_success{{model=~"{model_re}"}}[1m]))'),
        ("Triton failures / s", f'sum by (model) (rate(nv_inference_request_failure{{model=~"{model_re}"}}[1m]))'),
        (
            # Both are counters: increase() handles resets (delta() is for gauges).
            "Triton avg queue time (us)",
            f'sum by (model) (increase(nv_inference_queue_duration_us{{model=~"{model_re}"}}[1m])) / '
            f'clamp_min(sum by (model) (increase(nv_inference_request_success{{model=~"{model_re}"}}[1m])), 1)',
        ),
        ("GPU utilization (%)", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)"),
        ("GPU memory used (MiB)", "sum by (Hostname, gpu) (DCGM_FI_DEV_FB_USED)"),
    ]
    return _grafana(title, title.lower().replace(" ", "-")[:40], panels)


def _grafana(title: str, uid: str, panels: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "title": title,
        "uid": uid,
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "panels": [
            {
                "id": i + 1,
                "type": "timeseries",
                "title": t,
                "gridPos": {"x": (i % 2) * 12, "y": (i // 2) * 8, "w": 12, "h": 8},
                "targets": [{"expr": expr, "refId": "A"}],
            }
            for i, (t, expr) in enumerate(panels)
        ],
    }


def llm_grafana_dashboard(title: str, models: Sequence[str]) -> dict[str, Any]:
    """A Grafana dashboard of the vLLM token signals: the series LlmService records (p95 time to first token,
    inter-token latency, queue time, 5xx ratio, tokens/s per Service: stable and canary side by side) and the
    gauges its HPA scales on (waiting requests, KV-cache use)."""
    svc = "|".join([*models, *(f"{m}-canary" for m in models)])
    sel = f'service=~"{svc}"'
    panels = [
        ("vLLM p95 time to first token (s)", f"{TTFT_P95}{{{sel}}}"),
        ("vLLM p95 inter-token latency (s)", f"{ITL_P95}{{{sel}}}"),
        ("vLLM p95 queue time (s)", f"{QUEUE_P95}{{{sel}}}"),
        ("vLLM API 5xx ratio", f"{ERROR_RATIO}{{{sel}}}"),
        ("vLLM output tokens / s", f"{GENERATION_RATE}{{{sel}}}"),
        ("vLLM waiting requests per pod", f"sum by (service, pod) (vllm:num_requests_waiting{{{sel}}})"),
        ("vLLM KV-cache use per pod (0-1)", f"max by (service, pod) (vllm:kv_cache_usage_perc{{{sel}}})"),
        ("GPU utilization (%)", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)"),
    ]
    return _grafana(title, ("llm-" + title.lower().replace(" ", "-"))[:40], panels)


class KubernetesMonitoringArgs(TypedDict):
    cluster_label: str
    """Shown in titles, e.g. 'prod us-east-1'."""
    models: Sequence[str]
    """Triton models served on the cluster (may be empty when llm_models is not)."""
    llm_models: NotRequired[Sequence[str]]
    """Default: none. vLLM models (LlmService) on the cluster: they get their own Grafana dashboard."""
    namespace: NotRequired[str]
    """Default: monitoring (where kube-prometheus-stack and the Grafana sidecar look)."""
    queue_time_us: NotRequired[Mapping[str, int]]
    """Default: 50000 per model. Kept for compatibility; the queue-time alert is TritonService's (against the SLO)."""
    labels: NotRequired[Mapping[str, str]]
    """Added to both objects' labels."""


class KubernetesMonitoring(pulumi.ComponentResource):
    """PrometheusRule for DCGM (GPU) alerts and a Grafana dashboard ConfigMap for Triton and DCGM metrics.

    Pass the cluster's Kubernetes provider in `opts` (`ResourceOptions(provider=k8s_provider)`); the
    children are given it explicitly so they never fall back to an ambient kubeconfig.
    """

    def __init__(self, name: str, args: KubernetesMonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:KubernetesMonitoring", name, None, opts)
        models = list(args["models"])
        llm_models = list(args.get("llm_models") or [])
        if not models and not llm_models:
            raise ValueError(
                f"KubernetesMonitoring {name!r}: models and llm_models are empty; pass the Triton and vLLM models "
                "on the cluster"
            )
        provider = opts.provider if opts is not None else None
        if provider is None:
            raise ValueError(
                f"KubernetesMonitoring {name!r}: opts has no provider; pass "
                "ResourceOptions(provider=<the cluster's kubernetes.Provider>)"
            )
        ns = args.get("namespace", "monitoring")
        labels = {"app.kubernetes.io/managed-by": "inferstack", **dict(args.get("labels", {}))}
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": "inferstack-serving", "namespace": ns, "labels": labels},
            spec={"groups": prometheus_rules()},
            opts=child,
        )

        def dashboard_map(role: str, map_name: str, key: str, board: dict[str, Any]) -> None:
            # The Grafana sidecar of kube-prometheus-stack loads every ConfigMap labelled grafana_dashboard=1.
            k8s.core.v1.ConfigMap(
                f"{name}-{role}",
                metadata={"name": map_name, "namespace": ns, "labels": {**labels, "grafana_dashboard": "1"}},
                data={key: json.dumps(board, sort_keys=True)},
                opts=child,
            )

        if models:
            dashboard_map(
                "grafana",
                "inferstack-serving-dashboard",
                "inferstack-serving.json",
                grafana_dashboard(f"inferstack {args['cluster_label']}", models),
            )
        if llm_models:
            dashboard_map(
                "grafana-llm",
                "inferstack-llm-dashboard",
                "inferstack-llm.json",
                llm_grafana_dashboard(f"inferstack LLM {args['cluster_label']}", llm_models),
            )
        self.register_outputs({})

"""TritonService: one model served by NVIDIA Triton on EKS GPU nodes, behind an internal ALB.

Children (AWS ones inherit the caller's provider; Kubernetes ones use `k8s_provider` explicitly):

- IRSA role that may only read the model's repository prefix and decrypt with the environment key;
- Namespace (Pod Security `restricted`), ServiceAccount, stable Deployment (+ canary Deployment);
- ClusterIP Services (http 8000, grpc 8001, metrics 8002), PodDisruptionBudget, HPA on queue time;
- ServiceMonitor + PrometheusRule (Prometheus Operator custom resources);
- internal ALB, target groups bound to the pods with `TargetGroupBinding`, weighted listener rule,
  and a CloudWatch alarm on healthy hosts (the private health signal for DNS failover).
"""

from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from inferstack.artifacts import triton_config_name, triton_repository_prefix
from inferstack.components import _eks_serving as eks
from inferstack.components import _serving_iam as iam
from inferstack.components._eks_serving import GPU_CLASS_LABEL, GPU_TAINT_KEY, NODE_GROUP_LABEL, is_pinned

HTTP_PORT = 8000
GRPC_PORT = 8001
METRICS_PORT = 8002
__all__ = ["GPU_CLASS_LABEL", "GPU_TAINT_KEY", "NODE_GROUP_LABEL", "TritonService", "TritonServiceArgs"]


class TritonServiceArgs(eks.EksServiceArgs):
    model_name: str
    """Triton model name; also the S3 repository prefix `triton/<model>/` and the Kubernetes instance label."""
    model_version: int
    """Model version the stable Deployment serves (pinned with `--model-config-name=v<version>`)."""
    image: str
    """Triton image pinned by tag (optionally `@sha256:` digest); `:latest` or untagged is refused."""
    bucket_name: pulumi.Input[str]
    """Model artifact bucket holding the Triton repository."""
    bucket_arn: pulumi.Input[str]
    """ARN of that bucket (scopes the IRSA policy)."""
    latency_slo_ms: float
    """p99 latency objective; the PrometheusRule alerts when the average queue time alone exceeds it."""
    min_replicas: NotRequired[int]
    """Default: 1. HPA minimum (>= 1)."""
    max_replicas: NotRequired[int]
    """Default: 2. HPA maximum (>= min_replicas)."""
    gpus_per_replica: NotRequired[int]
    """Default: 1. `nvidia.com/gpu` limit and request per pod (integer >= 1)."""
    cpu: NotRequired[str]
    """Default: "2". CPU request and limit per pod."""
    memory: NotRequired[str]
    """Default: "8Gi". Memory request and limit per pod."""
    shm_size: NotRequired[str]
    """Default: "1Gi". Size limit of the memory-backed `/dev/shm` (Triton's shared-memory IPC)."""
    queue_time_target_us: NotRequired[int]
    """Default: 50000. HPA target for `avg_time_queue_us` (average per-request queue time, microseconds)."""
    startup_period_seconds: NotRequired[int]
    """Default: 10. Startup probe period."""
    startup_failure_threshold: NotRequired[int]
    """Default: 30. Startup probe failures allowed: model-load budget = period x threshold (5 min). The stack
    derives it from the model's size (`inferstack.coldstart`)."""
    scratch_gib: NotRequired[int]
    """Default: 2. Size of the `/tmp` emptyDir Triton copies the S3 model repository into before loading
    (`TRITON_AWS_MOUNT_DIRECTORY` defaults to /tmp); the pod's `ephemeral-storage` request and limit are 1 GiB
    more (container logs count against it). The stack derives it from the repository size
    (`inferstack.coldstart.scratch_gib`)."""
    canary_version: NotRequired[int | None]
    """Default: None (no canary). Model version a second Deployment serves behind `canary_percent` of traffic."""
    namespace: NotRequired[str]
    """Default: "triton-<model>". Never "default"."""


class TritonService(eks.EksServing):
    """A Triton model on EKS: least-privilege pods, queue-time autoscaling, canary via weighted ALB rule."""

    def __init__(self, name: str, args: TritonServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:TritonService", name, None, opts)
        where = f"TritonService {name!r}"
        model = args["model_name"]
        version = args["model_version"]
        image = args["image"]
        min_replicas = args.get("min_replicas", 1)
        max_replicas = args.get("max_replicas", 2)
        gpus = args.get("gpus_per_replica", 1)
        cpu = args.get("cpu", "2")
        memory = args.get("memory", "8Gi")
        shm_size = args.get("shm_size", "1Gi")
        queue_target = args.get("queue_time_target_us", 50000)
        startup_period = args.get("startup_period_seconds", 10)
        startup_threshold = args.get("startup_failure_threshold", 30)
        scratch = args.get("scratch_gib", 2)
        image_pull = args.get("image_pull_seconds", 0)
        canary_version = args.get("canary_version")
        canary_percent = args.get("canary_percent", 10)
        namespace = args.get("namespace") or f"triton-{model}"
        certificate_arn = args.get("certificate_arn")
        tags = dict(args.get("tags") or {})
        slo_us = int(args["latency_slo_ms"] * 1000)

        if not is_pinned(image):
            raise ValueError(
                f"{where}: image {image!r} is not pinned; use an explicit tag such as "
                "'nvcr.io/nvidia/tritonserver:24.09-py3' (optionally with @sha256:<digest>)"
            )
        if min_replicas < 1:
            raise ValueError(
                f"{where}: min_replicas={min_replicas} must be >= 1 (the HPA cannot scale from zero); use 1 or more"
            )
        if min_replicas > max_replicas:
            raise ValueError(
                f"{where}: min_replicas={min_replicas} exceeds max_replicas={max_replicas}; "
                "raise max_replicas or lower min_replicas"
            )
        if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
            raise ValueError(
                f"{where}: gpus_per_replica={gpus!r} must be a whole number >= 1 (GPUs are not shared fractionally)"
            )
        if not 1 <= canary_percent <= 50:
            raise ValueError(f"{where}: canary_percent={canary_percent} must be between 1 and 50; use e.g. 10")
        if canary_version is not None and canary_version == version:
            raise ValueError(
                f"{where}: canary_version={canary_version} equals model_version; set the new version as "
                "canary_version, or remove it to promote"
            )
        if namespace in ("default", "kube-system"):
            raise ValueError(
                f"{where}: namespace {namespace!r} is reserved; use a dedicated one such as 'triton-{model}'"
            )
        if isinstance(scratch, bool) or not isinstance(scratch, int) or scratch < 1:
            raise ValueError(f"{where}: scratch_gib={scratch!r} must be a whole number of GiB >= 1; use e.g. 2")
        if args["latency_slo_ms"] <= 0:
            raise ValueError(f"{where}: latency_slo_ms={args['latency_slo_ms']} must be > 0; use the package's p99_ms")

        child = pulumi.ResourceOptions(parent=self)
        sa_name = "triton"
        self.namespace = namespace
        self.service_name = model
        self.health_path = "/v2/health/ready"

        # -- IAM: IRSA role that reads only this model's repository ------------------------------------
        prefix = triton_repository_prefix(model)
        role = aws.iam.Role(
            f"{name}-irsa",
            assume_role_policy=iam.irsa_trust(args["oidc_provider_arn"], args["oidc_issuer_url"], namespace, sa_name),
            description=f"Triton pods of {model}: read s3 {prefix} only",
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-model-read",
            role=role.id,
            policy=iam.policy(
                [
                    # Triton core r24.09 (src/filesystem/implementations/s3.h, CheckClient l.337 and IsDirectory
                    # l.397) calls HeadBucket before every listing, and S3 authorizes HeadBucket as s3:ListBucket
                    # with no s3:prefix in the request (S3 API Reference, HeadBucket). A prefix condition therefore
                    # denies it and tritonserver exits. Listing stays bucket-level: a `Null s3:prefix` variant
                    # would still admit an unprefixed ListObjectsV2 (every key name), so it protects nothing more.
                    # Object reads below stay limited to the model's prefix.
                    {
                        "Sid": "HeadAndListModelBucket",
                        "Effect": "Allow",
                        "Action": ["s3:ListBucket"],
                        "Resource": [args["bucket_arn"]],
                    },
                    {
                        "Sid": "ReadModelRepository",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": [pulumi.Output.concat(args["bucket_arn"], f"/{prefix}*")],
                    },
                    {
                        "Sid": "DecryptViaS3",
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": [args["kms_key_arn"]],
                        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args['region']}.amazonaws.com"}},
                    },
                ]
            ),
            opts=child,
        )
        self.role_arn = role.arn

        # -- Kubernetes: namespace and service account ---------------------------------------------------
        labels = {
            "app.kubernetes.io/name": "triton",
            "app.kubernetes.io/instance": model,
            "app.kubernetes.io/component": "inference-server",
            "app.kubernetes.io/part-of": "inferstack",
            "app.kubernetes.io/managed-by": "pulumi",
        }
        ns = eks.restricted_namespace(
            self, name, namespace, labels, args["k8s_provider"], list(args.get("k8s_depends_on") or [])
        )
        in_ns = pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[ns])
        sa = eks.irsa_service_account(name, sa_name, namespace, labels, role.arn, in_ns)
        after_sa = pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[ns, sa])

        def pod_template(track: str, served_version: int) -> dict[str, Any]:
            pod_labels = {**labels, "app.kubernetes.io/version": str(served_version), "inferstack.io/track": track}
            return {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {"prometheus.io/port": str(METRICS_PORT)},
                },
                "spec": {
                    "service_account_name": sa_name,
                    "automount_service_account_token": False,
                    "enable_service_links": False,
                    "termination_grace_period_seconds": 60,
                    "security_context": eks.pod_security_context(1000, 1000),
                    **eks.gpu_placement(
                        args["gpu_class"],
                        args.get("node_group"),
                        {"app.kubernetes.io/instance": model, "inferstack.io/track": track},
                    ),
                    "containers": [
                        {
                            "name": "triton",
                            "image": image,
                            "image_pull_policy": "IfNotPresent",
                            "args": [
                                "tritonserver",
                                pulumi.Output.concat("--model-repository=s3://", args["bucket_name"], f"/{prefix}"),
                                "--model-control-mode=explicit",
                                f"--load-model={model}",
                                f"--model-config-name={triton_config_name(served_version)}",
                                "--strict-readiness=true",
                                "--exit-on-error=true",
                                "--allow-metrics=true",
                                "--allow-gpu-metrics=true",
                                f"--http-port={HTTP_PORT}",
                                f"--grpc-port={GRPC_PORT}",
                                f"--metrics-port={METRICS_PORT}",
                            ],
                            "env": [
                                {"name": "AWS_DEFAULT_REGION", "value": args["region"]},
                                {"name": "AWS_REGION", "value": args["region"]},
                                {"name": "HOME", "value": "/tmp"},
                            ],
                            "ports": [
                                {"name": "http", "container_port": HTTP_PORT, "protocol": "TCP"},
                                {"name": "grpc", "container_port": GRPC_PORT, "protocol": "TCP"},
                                {"name": "metrics", "container_port": METRICS_PORT, "protocol": "TCP"},
                            ],
                            "resources": {
                                "requests": {
                                    "cpu": cpu,
                                    "memory": memory,
                                    "nvidia.com/gpu": str(gpus),
                                    "ephemeral-storage": f"{scratch + 1}Gi",
                                },
                                "limits": {
                                    "cpu": cpu,
                                    "memory": memory,
                                    "nvidia.com/gpu": str(gpus),
                                    "ephemeral-storage": f"{scratch + 1}Gi",
                                },
                            },
                            **eks.http_probes(
                                ready_path="/v2/health/ready",
                                live_path="/v2/health/live",
                                startup_period=startup_period,
                                startup_threshold=startup_threshold,
                            ),
                            "security_context": eks.container_security_context(1000),
                            "volume_mounts": [
                                {"name": "tmp", "mount_path": "/tmp"},
                                {"name": "dshm", "mount_path": "/dev/shm"},
                            ],
                        }
                    ],
                    "volumes": [
                        # Triton localizes the S3 repository here; kubelet evicts the pod above size_limit.
                        {"name": "tmp", "empty_dir": {"size_limit": f"{scratch}Gi"}},
                        {"name": "dshm", "empty_dir": {"medium": "Memory", "size_limit": shm_size}},
                    ],
                },
            }

        work = eks.workloads(
            name,
            model=model,
            namespace=namespace,
            labels=labels,
            version=version,
            canary_version=canary_version,
            min_replicas=min_replicas,
            canary_percent=canary_percent,
            progress_deadline_seconds=image_pull + startup_period * startup_threshold + 300,
            pod_template=pod_template,
            ports=[("http", HTTP_PORT), ("grpc", GRPC_PORT), ("metrics", METRICS_PORT)],
            after_sa=after_sa,
            in_ns=in_ns,
        )

        eks.disruption_budget(name, model, namespace, labels, in_ns)
        eks.autoscaler(
            name,
            model,
            namespace,
            labels,
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            metrics=[eks.pods_metric("avg_time_queue_us", str(queue_target))],
            opts=pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[work.stable]),
        )

        # -- Prometheus Operator: scrape and alert ----------------------------------------------------------
        eks.service_monitor(name, model, namespace, labels, {"app.kubernetes.io/instance": model}, "metrics", in_ns)
        sel = f'namespace="{namespace}"'
        deployments_re = f'deployment=~"{model}|{model}-canary"'
        slo_text = f"{args['latency_slo_ms']:g} ms"
        k8s.apiextensions.CustomResource(
            f"{name}-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": model, "namespace": namespace, "labels": labels},
            spec={
                "groups": [
                    {
                        "name": f"triton-{model}",
                        "rules": [
                            {
                                "alert": "TritonQueueTimeAboveSlo",
                                "expr": (
                                    f"sum(rate(nv_inference_queue_duration_us{{{sel}}}[5m])) / "
                                    f"clamp_min(sum(rate(nv_inference_request_success{{{sel}}}[5m])), 1e-9) > {slo_us}"
                                ),
                                "for": "5m",
                                "labels": {"severity": "warning", "model": model},
                                "annotations": {"summary": f"{model}: average queue time above the {slo_text} SLO"},
                            },
                            {
                                "alert": "TritonRequestFailureRatio",
                                "expr": (
                                    f"sum(rate(nv_inference_request_failure{{{sel}}}[5m])) / clamp_min("
                                    f"sum(rate(nv_inference_request_success{{{sel}}}[5m])) + "
                                    f"sum(rate(nv_inference_request_failure{{{sel}}}[5m])), 1e-9) > 0.01"
                                ),
                                "for": "5m",
                                "labels": {"severity": "critical", "model": model},
                                "annotations": {"summary": f"{model}: more than 1% of inference requests fail"},
                            },
                            {
                                "alert": "TritonGpuSaturated",
                                "expr": f"avg(nv_gpu_utilization{{{sel}}}) > 0.95",
                                "for": "15m",
                                "labels": {"severity": "warning", "model": model},
                                "annotations": {"summary": f"{model}: GPUs above 95% for 15 minutes"},
                            },
                            {
                                "alert": "TritonReplicasUnavailable",
                                "expr": (f"kube_deployment_status_replicas_unavailable{{{sel},{deployments_re}}} > 0"),
                                "for": "10m",
                                "labels": {"severity": "critical", "model": model},
                                "annotations": {"summary": f"{model}: replicas unavailable for 10 minutes"},
                            },
                        ],
                    }
                ]
            },
            opts=in_ns,
        )

        # -- Internal ALB, target groups bound to the pods, weighted rule ------------------------------------
        front = eks.internal_alb(
            self,
            name,
            server="Triton",
            model=model,
            port=HTTP_PORT,
            health_path=self.health_path,
            path_patterns=["/v2/*"],
            namespace=namespace,
            labels=labels,
            namespace_resource=ns,
            workloads=work,
            canary_percent=canary_percent,
            args={**args, "certificate_arn": certificate_arn},
            where=where,
        )
        self._publish(front)

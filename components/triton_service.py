"""TritonService: one model served by NVIDIA Triton on EKS GPU nodes, behind an internal ALB.

Children (AWS ones inherit the caller's provider; Kubernetes ones use `k8s_provider` explicitly):

- IRSA role that may only read the model's repository prefix and decrypt with the environment key;
- Namespace (Pod Security `restricted`), ServiceAccount, stable Deployment (+ canary Deployment);
- ClusterIP Services (http 8000, grpc 8001, metrics 8002), PodDisruptionBudget, HPA on queue time;
- ServiceMonitor + PrometheusRule (Prometheus Operator custom resources);
- internal ALB, target groups bound to the pods with `TargetGroupBinding`, weighted listener rule,
  and a CloudWatch alarm on healthy hosts (the private health signal for DNS failover).
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from inferstack.artifacts import triton_config_name, triton_repository_prefix
from inferstack.components import _serving_iam as iam

HTTP_PORT = 8000
GRPC_PORT = 8001
METRICS_PORT = 8002
GPU_CLASS_LABEL = "inferstack.io/gpu-class"
NODE_GROUP_LABEL = "inferstack.io/node-group"
GPU_TAINT_KEY = "nvidia.com/gpu"


class TritonServiceArgs(TypedDict):
    model_name: str
    """Triton model name; also the S3 repository prefix `triton/<model>/` and the Kubernetes instance label."""
    model_version: int
    """Model version the stable Deployment serves (pinned with `--model-config-name=v<version>`)."""
    image: str
    """Triton image pinned by tag (optionally `@sha256:` digest); `:latest` or untagged is refused."""
    region: str
    """AWS region of the cluster and bucket (`AWS_DEFAULT_REGION`, KMS `ViaService`)."""
    bucket_name: pulumi.Input[str]
    """Model artifact bucket holding the Triton repository."""
    bucket_arn: pulumi.Input[str]
    """ARN of that bucket (scopes the IRSA policy)."""
    kms_key_arn: pulumi.Input[str]
    """Environment KMS key the bucket is encrypted with (decrypt only, via S3)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN (IRSA trust)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer, without `https://`."""
    k8s_provider: Any
    """`pulumi_kubernetes.Provider` of the cluster; set explicitly on every Kubernetes child."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster (target groups)."""
    vpc_cidr: str
    """VPC CIDR: the only source allowed to reach the internal ALB."""
    pod_security_group_id: pulumi.Input[str]
    """Security group on the pods' network interfaces: with the VPC CNI defaults (no security groups for pods)
    pods use their node's ENIs, which carry the EKS cluster security group. The component adds the ALB -> pod
    HTTP port rule to it, so the load balancer controller never has to change it."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets for the internal ALB (two or more AZs)."""
    gpu_class: str
    """GPU class the pods need (node affinity on `inferstack.io/gpu-class`), e.g. "L4"."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic for the ALB health alarm."""
    node_group: NotRequired[str | None]
    """Default: None. When set, pods also require the node label `inferstack.io/node-group=<node_group>`."""
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
    image_pull_seconds: NotRequired[int]
    """Default: 0. Image-pull allowance on a fresh node, added to the Deployment's progress deadline."""
    canary_version: NotRequired[int | None]
    """Default: None (no canary). Model version a second Deployment serves behind `canary_percent` of traffic."""
    canary_percent: NotRequired[int]
    """Default: 10. Traffic weight of the canary target group (1-50)."""
    namespace: NotRequired[str]
    """Default: "triton-<model>". Never "default"."""
    certificate_arn: NotRequired[pulumi.Input[str] | None]
    """Default: None. ACM certificate for an HTTPS:443 listener (TLS 1.2+)."""
    domain_name: NotRequired[str | None]
    """Default: None. Without certificate_arn: issue a DNS-validated ACM certificate for this name in `zone_id`.
    With neither, the listener is HTTP:80, reachable from the VPC only."""
    zone_id: NotRequired[pulumi.Input[str] | None]
    """Public hosted zone that validates `domain_name`; required with it."""
    deletion_protection: NotRequired[bool]
    """Default: False. ALB deletion protection (turn on in prod)."""
    k8s_depends_on: NotRequired[Sequence[pulumi.Resource]]
    """Default: none. Resources (e.g. the cluster add-ons that install the Prometheus Operator and load
    balancer controller CRDs) the namespace, and so every Kubernetes child, waits for."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every AWS child that takes tags."""


def _is_pinned(image: str) -> bool:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


class TritonService(pulumi.ComponentResource):
    """A Triton model on EKS: least-privilege pods, queue-time autoscaling, canary via weighted ALB rule."""

    namespace: str
    service_name: str
    role_arn: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    stable_target_group_arn_suffix: pulumi.Output[str]
    stable_target_group_arn: pulumi.Output[str]
    canary_target_group_arn: pulumi.Output[str] | None
    health_alarm_name: pulumi.Output[str]
    health_path: str

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

        if not _is_pinned(image):
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
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={
                "name": namespace,
                "labels": {
                    **labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args["k8s_provider"], depends_on=list(args.get("k8s_depends_on") or [])
            ),
        )
        in_ns = pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[ns])
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": sa_name,
                "namespace": namespace,
                "labels": labels,
                "annotations": {
                    "eks.amazonaws.com/role-arn": role.arn,
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                },
            },
            # IRSA injects its own projected web-identity token; the Kubernetes API token is not needed.
            automount_service_account_token=False,
            opts=in_ns,
        )
        after_sa = pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[ns, sa])

        node_match = [{"key": GPU_CLASS_LABEL, "operator": "In", "values": [args["gpu_class"]]}]
        if args.get("node_group"):
            node_match.append({"key": NODE_GROUP_LABEL, "operator": "In", "values": [str(args.get("node_group"))]})

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
                    "security_context": {
                        "run_as_non_root": True,
                        "run_as_user": 1000,
                        "run_as_group": 1000,
                        "fs_group": 1000,
                        "seccomp_profile": {"type": "RuntimeDefault"},
                    },
                    "tolerations": [{"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
                    "affinity": {
                        "node_affinity": {
                            "required_during_scheduling_ignored_during_execution": {
                                "node_selector_terms": [
                                    {
                                        "match_expressions": node_match,
                                    }
                                ]
                            }
                        }
                    },
                    "topology_spread_constraints": [
                        {
                            "max_skew": 1,
                            "topology_key": "topology.kubernetes.io/zone",
                            "when_unsatisfiable": "ScheduleAnyway",
                            "label_selector": {
                                "match_labels": {"app.kubernetes.io/instance": model, "inferstack.io/track": track}
                            },
                        }
                    ],
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
                            "startup_probe": {
                                "http_get": {"path": "/v2/health/ready", "port": "http"},
                                "period_seconds": startup_period,
                                "failure_threshold": startup_threshold,
                                "timeout_seconds": 5,
                            },
                            "liveness_probe": {
                                "http_get": {"path": "/v2/health/live", "port": "http"},
                                "period_seconds": 10,
                                "failure_threshold": 3,
                                "timeout_seconds": 5,
                            },
                            "readiness_probe": {
                                "http_get": {"path": "/v2/health/ready", "port": "http"},
                                "period_seconds": 5,
                                "failure_threshold": 3,
                                "timeout_seconds": 5,
                            },
                            "security_context": {
                                "allow_privilege_escalation": False,
                                "privileged": False,
                                "read_only_root_filesystem": True,
                                "run_as_non_root": True,
                                "run_as_user": 1000,
                                "capabilities": {"drop": ["ALL"]},
                                "seccomp_profile": {"type": "RuntimeDefault"},
                            },
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

        def deployment(role_name: str, track: str, served_version: int, replicas: int) -> k8s.apps.v1.Deployment:
            selector = {"app.kubernetes.io/instance": model, "inferstack.io/track": track}
            return k8s.apps.v1.Deployment(
                f"{name}-{role_name}",
                metadata={
                    "name": model if track == "stable" else f"{model}-canary",
                    "namespace": namespace,
                    "labels": {
                        **labels,
                        "app.kubernetes.io/version": str(served_version),
                        "inferstack.io/track": track,
                    },
                },
                spec={
                    "replicas": replicas,
                    "revision_history_limit": 5,
                    "progress_deadline_seconds": image_pull + startup_period * startup_threshold + 300,
                    "selector": {"match_labels": selector},
                    "strategy": {"type": "RollingUpdate", "rolling_update": {"max_surge": 1, "max_unavailable": 0}},
                    "template": pod_template(track, served_version),
                },
                # The HPA owns the replica count once it exists.
                opts=pulumi.ResourceOptions.merge(after_sa, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])),
            )

        def service(role_name: str, svc_name: str, track: str) -> k8s.core.v1.Service:
            return k8s.core.v1.Service(
                f"{name}-{role_name}",
                metadata={"name": svc_name, "namespace": namespace, "labels": {**labels, "inferstack.io/track": track}},
                spec={
                    "type": "ClusterIP",
                    "selector": {"app.kubernetes.io/instance": model, "inferstack.io/track": track},
                    "ports": [
                        {"name": "http", "port": HTTP_PORT, "target_port": "http", "protocol": "TCP"},
                        {"name": "grpc", "port": GRPC_PORT, "target_port": "grpc", "protocol": "TCP"},
                        {"name": "metrics", "port": METRICS_PORT, "target_port": "metrics", "protocol": "TCP"},
                    ],
                },
                opts=in_ns,
            )

        stable = deployment("deployment", "stable", version, min_replicas)
        stable_svc = service("service", model, "stable")
        canary = canary_svc = None
        if canary_version is not None:
            canary_replicas = max(1, math.ceil(min_replicas * canary_percent / 100))
            canary = deployment("canary", "canary", canary_version, canary_replicas)
            canary_svc = service("canary-service", f"{model}-canary", "canary")

        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata={"name": model, "namespace": namespace, "labels": labels},
            spec={"max_unavailable": 1, "selector": {"match_labels": {"app.kubernetes.io/instance": model}}},
            opts=in_ns,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata={"name": model, "namespace": namespace, "labels": labels},
            spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": model},
                "min_replicas": min_replicas,
                "max_replicas": max_replicas,
                "metrics": [
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "avg_time_queue_us"},
                            "target": {"type": "AverageValue", "average_value": str(queue_target)},
                        },
                    }
                ],
                "behavior": {
                    "scale_up": {
                        "stabilization_window_seconds": 0,
                        "select_policy": "Max",
                        "policies": [
                            {"type": "Percent", "value": 100, "period_seconds": 15},
                            {"type": "Pods", "value": 4, "period_seconds": 15},
                        ],
                    },
                    "scale_down": {
                        "stabilization_window_seconds": 300,
                        "select_policy": "Min",
                        "policies": [{"type": "Pods", "value": 1, "period_seconds": 60}],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=[stable]),
        )

        # -- Prometheus Operator: scrape and alert ----------------------------------------------------------
        k8s.apiextensions.CustomResource(
            f"{name}-servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={"name": model, "namespace": namespace, "labels": labels},
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/instance": model}},
                "namespaceSelector": {"matchNames": [namespace]},
                "endpoints": [{"port": "metrics", "interval": "15s", "path": "/metrics"}],
            },
            opts=in_ns,
        )
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
        domain = args.get("domain_name")
        if certificate_arn is None and domain:
            zone_id = args.get("zone_id")
            if zone_id is None:
                raise ValueError(f"{where}: domain_name {domain!r} needs zone_id (the hosted zone that validates it)")
            cert = aws.acm.Certificate(
                f"{name}-cert", domain_name=domain, validation_method="DNS", tags=tags, opts=child
            )
            option = cert.domain_validation_options[0]
            record = aws.route53.Record(
                f"{name}-cert-validation",
                zone_id=zone_id,
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=300,
                allow_overwrite=True,  # every region validates the same name with the same record
                opts=child,
            )
            certificate_arn = aws.acm.CertificateValidation(
                f"{name}-cert-valid", certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn], opts=child
            ).certificate_arn
        listener_port = 443 if certificate_arn is not None else 80
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            description=f"Internal ALB of Triton {model}: VPC clients in, pods out",
            vpc_id=args["vpc_id"],
            ingress=[
                {
                    "description": "clients inside the VPC",
                    "protocol": "tcp",
                    "from_port": listener_port,
                    "to_port": listener_port,
                    "cidr_blocks": [args["vpc_cidr"]],
                }
            ],
            egress=[
                {
                    "description": "Triton HTTP on the pods",
                    "protocol": "tcp",
                    "from_port": HTTP_PORT,
                    "to_port": HTTP_PORT,
                    "security_groups": [args["pod_security_group_id"]],
                }
            ],
            tags={**tags, "Name": f"{name}-alb"},
            opts=child,
        )
        # The path ALB -> pods is a rule Pulumi owns on the pods' security group. A TargetGroupBinding
        # `spec.networking` block would instead make aws-load-balancer-controller (v2.10.1,
        # pkg/targetgroupbinding/networking_manager.go resolveEndpointSGForENI) authorize the rule on the SG of the
        # pod's ENI, i.e. the EKS cluster SG, which its tag-scoped IAM policy (`aws:ResourceTag/elbv2.k8s.aws/cluster`)
        # does not cover: AccessDenied, no rule, no healthy targets (issue 12, defect 2). Tagging the cluster SG with
        # that key instead would also hand the controller ec2:DeleteSecurityGroup on it. The controller's GC of the
        # cluster SG only revokes rules whose description carries `elbv2.k8s.aws/targetGroupBinding=shared`
        # (networking_manager.go l.205/487), so this rule's description must not use that label.
        pods_from_alb = aws.vpc.SecurityGroupIngressRule(
            f"{name}-pods-from-alb",
            security_group_id=args["pod_security_group_id"],
            referenced_security_group_id=alb_sg.id,
            ip_protocol="tcp",
            from_port=HTTP_PORT,
            to_port=HTTP_PORT,
            description=f"Triton {model}: HTTP and health checks from its internal ALB",
            tags={**tags, "Name": f"{name}-pods-from-alb"},
            opts=child,
        )
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            internal=True,
            load_balancer_type="application",
            subnets=args["subnet_ids"],
            security_groups=[alb_sg.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.get("deletion_protection", False),
            idle_timeout=120,
            tags=tags,
            opts=child,
        )

        def target_group(role_name: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                f"{name}-{role_name}",
                port=HTTP_PORT,
                protocol="HTTP",
                target_type="ip",
                vpc_id=args["vpc_id"],
                deregistration_delay=30,
                health_check={
                    "enabled": True,
                    "path": "/v2/health/ready",
                    "port": "traffic-port",
                    "protocol": "HTTP",
                    "matcher": "200",
                    "interval": 10,
                    "timeout": 5,
                    "healthy_threshold": 2,
                    "unhealthy_threshold": 3,
                },
                tags=tags,
                opts=child,
            )

        stable_tg = target_group("tg-stable")
        canary_tg = target_group("tg-canary") if canary is not None else None

        def binding(role_name: str, svc_name: str, tg: aws.lb.TargetGroup, deps: list[pulumi.Resource]) -> None:
            k8s.apiextensions.CustomResource(
                f"{name}-{role_name}",
                api_version="elbv2.k8s.aws/v1beta1",
                kind="TargetGroupBinding",
                metadata={"name": svc_name, "namespace": namespace, "labels": labels},
                spec={
                    "serviceRef": {"name": svc_name, "port": HTTP_PORT},
                    "targetGroupARN": tg.arn,
                    "targetType": "ip",
                    # No `networking`: the ALB -> pod rule is `pods_from_alb` above.
                },
                opts=pulumi.ResourceOptions(parent=self, provider=args["k8s_provider"], depends_on=deps),
            )

        binding("tgb-stable", model, stable_tg, [ns, stable_svc, pods_from_alb])
        if canary_tg is not None and canary_svc is not None:
            binding("tgb-canary", f"{model}-canary", canary_tg, [ns, canary_svc, pods_from_alb])

        listener_args: dict[str, Any] = {
            "load_balancer_arn": alb.arn,
            "port": listener_port,
            "default_actions": [
                {
                    "type": "fixed-response",
                    "fixed_response": {"content_type": "application/json", "status_code": "404", "message_body": "{}"},
                }
            ],
            "tags": tags,
        }
        if certificate_arn is not None:
            listener_args |= {
                "protocol": "HTTPS",
                "certificate_arn": certificate_arn,
                "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            }
        else:
            listener_args["protocol"] = "HTTP"
        listener = aws.lb.Listener(f"{name}-listener", **listener_args, opts=child)

        stable_weight = 100 - canary_percent if canary_tg is not None else 100
        weighted = [{"arn": stable_tg.arn, "weight": stable_weight}]
        if canary_tg is not None:
            weighted.append({"arn": canary_tg.arn, "weight": canary_percent})
        aws.lb.ListenerRule(
            f"{name}-rule",
            listener_arn=listener.arn,
            priority=10,
            conditions=[{"path_pattern": {"values": ["/v2/*"]}}],
            actions=[
                {
                    "type": "forward",
                    "forward": {"target_groups": weighted, "stickiness": {"enabled": False, "duration": 60}},
                }
            ],
            tags=tags,
            opts=child,
        )

        health = aws.cloudwatch.MetricAlarm(
            f"{name}-no-healthy-hosts",
            alarm_description=f"Triton {model}: no healthy pods behind the internal ALB (private health check)",
            namespace="AWS/ApplicationELB",
            metric_name="HealthyHostCount",
            dimensions={"LoadBalancer": alb.arn_suffix, "TargetGroup": stable_tg.arn_suffix},
            statistic="Minimum",
            period=60,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[args["alarm_topic_arn"]],
            ok_actions=[args["alarm_topic_arn"]],
            tags=tags,
            opts=child,
        )

        self.alb_arn = alb.arn
        self.alb_dns_name = alb.dns_name
        self.alb_zone_id = alb.zone_id
        self.alb_arn_suffix = alb.arn_suffix
        self.stable_target_group_arn_suffix = stable_tg.arn_suffix
        self.stable_target_group_arn = stable_tg.arn
        self.canary_target_group_arn = canary_tg.arn if canary_tg is not None else None
        self.health_alarm_name = health.name
        self.register_outputs(
            {
                "namespace": namespace,
                "role_arn": self.role_arn,
                "alb_dns_name": self.alb_dns_name,
                "alb_zone_id": self.alb_zone_id,
                "stable_target_group_arn": self.stable_target_group_arn,
                "health_alarm_name": self.health_alarm_name,
            }
        )

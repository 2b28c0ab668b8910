"""LlmService: one LLM served by vLLM's OpenAI-compatible server on EKS GPU nodes, behind an internal ALB.

Why vLLM's own server and not Triton's vLLM or TensorRT-LLM backends: it serves a Hugging Face directory
(`config.json`, tokenizer, `*.safetensors`) as is, with no engine build step per GPU type and tensor-parallel
degree (TensorRT-LLM compiles an engine for each); it streams the safetensors shards from S3 straight into GPU
memory with the Run:ai model streamer (`--load-format runai_streamer` with an `s3://` model path, vLLM docs
models/extensions/runai_model_streamer.md, read 2026-12-02), so weights never land on the node's disk; it
speaks the OpenAI API (`/v1/chat/completions`, `/v1/completions`) clients already use; and it exports the token
metrics this component scales and alerts on (`vllm:*`, vLLM docs/design/metrics.md, read 2026-12-02). Triton's
vLLM backend wraps the same engine behind Triton's own API and would hide those metrics behind Triton's.

Children (AWS ones inherit the caller's provider; Kubernetes ones use `k8s_provider` explicitly):

- IRSA role that may only list and read the model's weights prefix and decrypt with the environment key;
- Namespace (Pod Security `restricted`), ServiceAccount, stable Deployment (+ canary Deployment);
- ClusterIP Services (http 8000: OpenAI API, /health and /metrics), PodDisruptionBudget, HPA on waiting requests
  and KV-cache use (prometheus-adapter pods metrics, see ClusterAddons);
- ServiceMonitor + PrometheusRule: recording rules for p95 time to first token, inter-token latency and queue
  time, the error ratio; SLO alerts; canary gates (canary against stable and against the SLO);
- internal ALB on `/v1/*`, target groups bound to the pods (`TargetGroupBinding`), and the CloudWatch alarm on
  healthy hosts (the private health signal for DNS failover) - the same helpers as TritonService
  (`inferstack.components._eks_serving`).

Scale to zero: the HPA keeps `min_replicas >= 1`. `minReplicas: 0` needs the alpha `HPAScaleToZero` feature gate
(Kubernetes docs, "Horizontal Pod Autoscaling": "minReplicas ... can be 0 if the alpha feature gate
HPAScaleToZero is enabled"), which EKS does not let customers turn on for its managed control plane. An idle GPU
node group still costs nothing between uses: the node group scales to zero when no replica needs it.

Cold start: the startup probe allows `startup_period_seconds x startup_failure_threshold`, which the stack derives
from the LLM cold-start budget (image pull + weights streamed at a documented S3 throughput + engine start,
`inferstack.coldstart`); the Deployment's progress deadline adds the image pull.
"""

import json
import re
from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from inferstack.components import _eks_serving as eks
from inferstack.components import _serving_iam as iam

VLLM_IMAGE = "vllm/vllm-openai:v0.31.0"
"""The vLLM OpenAI server image, pinned by tag. v0.31.0 is the newest release public repositories pin as of
2026-12-02 (found with `search`; v0.30.0 was "the latest official release" on 2026-09-23, AMD-AGI/TraceLens#1055).
Digest policy, as for the Triton image: pin the tag here; an environment may append `@sha256:<digest>` to
`serving.vllm_image` once the digest is read from the registry it pulls from (Docker Hub, or a mirror in the
environment's ECR), and the component refuses untagged or `:latest` references. The image bundles
`runai-model-streamer[s3]` (vLLM's `runai` extra) used for `--load-format runai_streamer`."""
HTTP_PORT = 8000
VLLM_UID = 2000
"""The image's built-in non-root `vllm` user (vLLM docs deployment/docker.md "Run as a non-root user", read
2026-12-02: UID 2000, GID 0). Every path vLLM writes (caches, /tmp) is an emptyDir below, owned by the fsGroup."""
VLLM_GID = 2000
"""Group and fsGroup of the pods. Not the image's GID 0: nothing in the image needs group write (vLLM writes only
to the emptyDirs, which kubelet makes group-owned by the fsGroup), and a root group is one thing less to allow."""
WAITING_METRIC = "vllm_num_requests_waiting"
"""HPA pods metric (prometheus-adapter name) for `vllm:num_requests_waiting` (ClusterAddons adds the rule)."""
KV_CACHE_METRIC = "vllm_kv_cache_usage_perc"
"""HPA pods metric (prometheus-adapter name) for `vllm:kv_cache_usage_perc` (0-1)."""
CACHE_DIR = "/cache"


class LlmServiceArgs(eks.EksServiceArgs):
    model_name: str
    """Model name: Kubernetes names, the instance label and vLLM's `--served-model-name` (what clients send)."""
    model_version: int
    """Package version the stable Deployment serves (label `app.kubernetes.io/version`)."""
    weights_uri: str
    """`s3://<bucket>/<prefix>/` of the Hugging Face directory (config.json, tokenizer, *.safetensors)."""
    tensor_parallel: int
    """`--tensor-parallel-size`; also the pod's `nvidia.com/gpu` request and limit (one rank per GPU)."""
    max_model_len: int
    """`--max-model-len` from the plan."""
    max_num_seqs: int
    """`--max-num-seqs` from the plan."""
    gpu_memory_utilization: float
    """`--gpu-memory-utilization` from the plan (0 < x <= 1)."""
    shm_size_gib: int
    """Size of the memory-backed `/dev/shm` (NCCL and the multiprocessing executor), from the plan."""
    ttft_slo_ms: float
    """p95 time-to-first-token objective (the package's SLO)."""
    itl_slo_ms: float
    """p95 inter-token latency objective (the package's SLO)."""
    image: NotRequired[str]
    """Default: VLLM_IMAGE. Pinned by tag (optionally `@sha256:`); `:latest` or untagged is refused."""
    kv_cache_dtype: NotRequired[str]
    """Default: "auto". `--kv-cache-dtype` when not auto (e.g. fp8)."""
    queue_time_slo_ms: NotRequired[float | None]
    """Default: half of ttft_slo_ms. p95 queue-time objective (time a request waits before its prefill)."""
    error_ratio_slo: NotRequired[float]
    """Default: 0.01. Share of API requests answered 5xx above which the error alert fires."""
    min_replicas: NotRequired[int]
    """Default: 1. HPA minimum (>= 1; see the module docstring on scale to zero)."""
    max_replicas: NotRequired[int]
    """Default: 2. HPA maximum (>= min_replicas)."""
    waiting_requests_target: NotRequired[float]
    """Default: 4. HPA target for the average `vllm:num_requests_waiting` per pod."""
    kv_cache_usage_target: NotRequired[float]
    """Default: 0.8. HPA target for the average `vllm:kv_cache_usage_perc` per pod (0-1)."""
    scale_down_stabilization_seconds: NotRequired[int]
    """Default: 600. A replica takes minutes to come back (cold start): the HPA waits this long before removing one."""
    cpu: NotRequired[str]
    """Default: "8". CPU request and limit per pod."""
    memory: NotRequired[str]
    """Default: "64Gi". Memory request and limit per pod; /dev/shm and the streamer's buffer count against it."""
    streamer_concurrency: NotRequired[int]
    """Default: 16. Run:ai streamer `concurrency`: parallel S3 readers per pod."""
    streamer_memory_limit_gib: NotRequired[int]
    """Default: 4. Run:ai streamer `memory_limit`: CPU buffer for tensors in flight to the GPU."""
    cache_gib: NotRequired[int]
    """Default: 20. emptyDir for vLLM's caches (torch.compile, Triton kernels, config and tokenizer files pulled
    from S3). On a node group with `local_nvme_raid0` it lives on the instance-store RAID0 (kubelet's directory)."""
    startup_period_seconds: NotRequired[int]
    """Default: 10. Startup probe period."""
    startup_failure_threshold: NotRequired[int]
    """Default: 90. Startup probe failures allowed (15 min); the stack derives it from the cold-start budget."""
    canary_version: NotRequired[int | None]
    """Default: None (no canary). Package version a second Deployment serves behind `canary_percent` of traffic."""
    canary_weights_uri: NotRequired[str | None]
    """The canary version's weights (required with canary_version)."""
    namespace: NotRequired[str]
    """Default: "vllm-<model>". Never "default"."""


def parse_s3_uri(uri: str, where: str, field: str = "weights_uri") -> tuple[str, str]:
    """(bucket, prefix ending in '/') of an `s3://bucket/prefix/` URI; ValueError naming the field otherwise."""
    parts = iam.s3_directory(uri)
    if parts is None:
        raise ValueError(
            f"{where}: {field}={uri!r} is not an S3 directory URI; use s3://<bucket>/<prefix>/ (with the trailing "
            "slash), e.g. s3://inferstack-llm-weights/llama-3-1-8b-instruct/1/"
        )
    return parts


def _quantity(value: float) -> str:
    """A Kubernetes quantity for a fractional HPA target: 0.8 -> '800m', 4 -> '4'."""
    milli = round(value * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def _gib(memory: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Gi|Mi|Ti)", memory)
    if m is None:
        return None
    return float(m[1]) * {"Mi": 1 / 1024, "Gi": 1.0, "Ti": 1024.0}[m[2]]


def _validate(name: str, args: LlmServiceArgs) -> None:
    where = f"LlmService {name!r}"
    image = args.get("image", VLLM_IMAGE)
    tp = args["tensor_parallel"]
    min_r, max_r = args.get("min_replicas", 1), args.get("max_replicas", 2)
    if not eks.is_pinned(image):
        raise ValueError(f"{where}: image {image!r} is not pinned; use an explicit tag such as {VLLM_IMAGE!r}")
    if isinstance(tp, bool) or not isinstance(tp, int) or not 1 <= tp <= 8:
        raise ValueError(
            f"{where}: tensor_parallel={tp!r} must be a whole number of GPUs from 1 to 8 (one node's GPUs); "
            "take it from the GPU memory plan"
        )
    if min_r < 1:
        raise ValueError(
            f"{where}: min_replicas={min_r} must be >= 1: HPA minReplicas 0 needs the alpha HPAScaleToZero feature "
            "gate, which EKS does not enable; use 1 (the GPU node group still scales to zero when nothing runs)"
        )
    if min_r > max_r:
        raise ValueError(
            f"{where}: min_replicas={min_r} exceeds max_replicas={max_r}; raise max_replicas or lower min_replicas"
        )
    util = args["gpu_memory_utilization"]
    if not 0 < util <= 1:
        raise ValueError(f"{where}: gpu_memory_utilization={util} must be in (0, 1]; vLLM's default is 0.9")
    for f in ("max_model_len", "max_num_seqs", "shm_size_gib"):
        v = args[f]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{where}: {f}={v!r} must be a whole number >= 1; take it from the GPU memory plan")
    for f in ("ttft_slo_ms", "itl_slo_ms"):
        if args[f] <= 0:  # type: ignore[literal-required]
            raise ValueError(f"{where}: {f}={args[f]} must be > 0; use the package's slo")  # type: ignore[literal-required]
    kv = args.get("kv_cache_usage_target", 0.8)
    if not 0 < kv <= 1:
        raise ValueError(f"{where}: kv_cache_usage_target={kv} must be in (0, 1] (vllm:kv_cache_usage_perc is 0-1)")
    if args.get("waiting_requests_target", 4) <= 0:
        raise ValueError(f"{where}: waiting_requests_target must be > 0; use e.g. 4 waiting requests per pod")
    canary_percent = args.get("canary_percent", 10)
    if not 1 <= canary_percent <= 50:
        raise ValueError(f"{where}: canary_percent={canary_percent} must be between 1 and 50; use e.g. 10")
    canary = args.get("canary_version")
    if canary is not None:
        if canary == args["model_version"]:
            raise ValueError(
                f"{where}: canary_version={canary} equals model_version; set the new version as canary_version, "
                "or remove it to promote"
            )
        if not args.get("canary_weights_uri"):
            raise ValueError(f"{where}: canary_version={canary} needs canary_weights_uri (that version's weights)")
    namespace = args.get("namespace") or f"vllm-{args['model_name']}"
    if namespace in ("default", "kube-system"):
        raise ValueError(f"{where}: namespace {namespace!r} is reserved; use a dedicated one such as 'vllm-<model>'")
    memory = args.get("memory", "64Gi")
    gib = _gib(memory)
    floor = args["shm_size_gib"] + args.get("streamer_memory_limit_gib", 4) + 4
    if gib is not None and gib < floor:
        raise ValueError(
            f"{where}: memory={memory!r} is below /dev/shm {args['shm_size_gib']} GiB + streamer buffer "
            f"{args.get('streamer_memory_limit_gib', 4)} GiB + 4 GiB for the server = {floor} GiB (tmpfs pages count "
            "against the memory limit); give the pod more memory or a smaller shm_size_gib"
        )


class LlmService(eks.EksServing):
    """An LLM on EKS: vLLM with tensor parallel = GPUs per pod, weights streamed from S3, token-level autoscaling."""

    def __init__(self, name: str, args: LlmServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:LlmService", name, None, opts)
        where = f"LlmService {name!r}"
        _validate(name, args)
        model = args["model_name"]
        version = args["model_version"]
        image = args.get("image", VLLM_IMAGE)
        tp = args["tensor_parallel"]
        min_replicas = args.get("min_replicas", 1)
        max_replicas = args.get("max_replicas", 2)
        cpu = args.get("cpu", "8")
        memory = args.get("memory", "64Gi")
        cache_gib = args.get("cache_gib", 20)
        startup_period = args.get("startup_period_seconds", 10)
        startup_threshold = args.get("startup_failure_threshold", 90)
        image_pull = args.get("image_pull_seconds", 0)
        canary_version = args.get("canary_version")
        canary_percent = args.get("canary_percent", 10)
        namespace = args.get("namespace") or f"vllm-{model}"
        tags = dict(args.get("tags") or {})
        bucket, prefix = parse_s3_uri(args["weights_uri"], where)
        weights = {version: (bucket, prefix)}
        if canary_version is not None:
            weights[canary_version] = parse_s3_uri(str(args.get("canary_weights_uri")), where, "canary_weights_uri")
        provider = args["k8s_provider"]
        child = pulumi.ResourceOptions(parent=self)
        sa_name = "vllm"
        self.namespace = namespace
        self.service_name = model
        self.health_path = "/health"

        # -- IAM: IRSA role that lists and reads exactly the weights prefix ----------------------------------
        statements: list[pulumi.Input[dict[str, Any]]] = []
        for i, (b, p) in enumerate(sorted(set(weights.values()))):
            sfx = "" if i == 0 else str(i + 1)
            statements += [
                # The streamer lists the directory to find the shards (ListObjectsV2 with this prefix).
                iam.statement(
                    f"ListWeights{sfx}",
                    ["s3:ListBucket"],
                    [f"arn:aws:s3:::{b}"],
                    {"StringLike": {"s3:prefix": [p, f"{p}*"]}},
                ),
                iam.statement(f"ReadWeights{sfx}", ["s3:GetObject"], [f"arn:aws:s3:::{b}/{p}*"]),
            ]
        statements.append(
            {
                "Sid": "DecryptViaS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [args["kms_key_arn"]],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args['region']}.amazonaws.com"}},
            }
        )
        role = aws.iam.Role(
            f"{name}-irsa",
            assume_role_policy=iam.irsa_trust(args["oidc_provider_arn"], args["oidc_issuer_url"], namespace, sa_name),
            description=f"vLLM pods of {model}: read s3 {bucket}/{prefix} only",
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(f"{name}-weights-read", role=role.id, policy=iam.policy(statements), opts=child)
        self.role_arn = role.arn

        # -- Kubernetes: namespace, service account -----------------------------------------------------------
        labels = {
            "app.kubernetes.io/name": "vllm",
            "app.kubernetes.io/instance": model,
            "app.kubernetes.io/component": "inference-server",
            "app.kubernetes.io/part-of": "inferstack",
            "app.kubernetes.io/managed-by": "pulumi",
        }
        ns = eks.restricted_namespace(self, name, namespace, labels, provider, list(args.get("k8s_depends_on") or []))
        in_ns = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns])
        sa = eks.irsa_service_account(name, sa_name, namespace, labels, role.arn, in_ns)
        after_sa = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns, sa])

        loader_config = json.dumps(
            {
                "concurrency": args.get("streamer_concurrency", 16),
                "memory_limit": args.get("streamer_memory_limit_gib", 4) * 1024**3,
            },
            separators=(",", ":"),
        )

        def server_args(served_version: int) -> list[str]:
            b, p = weights[served_version]
            # The image's entrypoint is `vllm serve`; the model is its positional argument.
            out = [
                f"s3://{b}/{p}",
                f"--served-model-name={model}",
                "--load-format=runai_streamer",
                f"--model-loader-extra-config={loader_config}",
                f"--tensor-parallel-size={tp}",
                f"--max-model-len={args['max_model_len']}",
                f"--max-num-seqs={args['max_num_seqs']}",
                f"--gpu-memory-utilization={args['gpu_memory_utilization']:g}",
                "--host=0.0.0.0",
                f"--port={HTTP_PORT}",
            ]
            kv_dtype = args.get("kv_cache_dtype", "auto")
            if kv_dtype != "auto":
                out.append(f"--kv-cache-dtype={kv_dtype}")
            return out

        resources = {"cpu": cpu, "memory": memory, "nvidia.com/gpu": str(tp), "ephemeral-storage": f"{cache_gib + 2}Gi"}

        def pod_template(track: str, served_version: int) -> dict[str, Any]:
            pod_labels = {**labels, "app.kubernetes.io/version": str(served_version), "inferstack.io/track": track}
            return {
                "metadata": {"labels": pod_labels, "annotations": {"prometheus.io/port": str(HTTP_PORT)}},
                "spec": {
                    "service_account_name": sa_name,
                    "automount_service_account_token": False,
                    "enable_service_links": False,
                    # In-flight generations finish (or the client retries) before the pod goes.
                    "termination_grace_period_seconds": 120,
                    "security_context": eks.pod_security_context(VLLM_UID, VLLM_GID),
                    **eks.gpu_placement(
                        args["gpu_class"],
                        args.get("node_group"),
                        {"app.kubernetes.io/instance": model, "inferstack.io/track": track},
                    ),
                    "containers": [
                        {
                            "name": "vllm",
                            "image": image,
                            "image_pull_policy": "IfNotPresent",
                            "args": server_args(served_version),
                            "env": [
                                {"name": "AWS_REGION", "value": args["region"]},
                                {"name": "AWS_DEFAULT_REGION", "value": args["region"]},
                                # Read-only root: every cache vLLM, PyTorch and Triton write goes to the emptyDir.
                                {"name": "HOME", "value": f"{CACHE_DIR}/home"},
                                {"name": "XDG_CACHE_HOME", "value": CACHE_DIR},
                                {"name": "VLLM_CACHE_ROOT", "value": f"{CACHE_DIR}/vllm"},
                                {"name": "HF_HOME", "value": f"{CACHE_DIR}/huggingface"},
                                {"name": "TRITON_CACHE_DIR", "value": f"{CACHE_DIR}/triton"},
                                {"name": "TORCHINDUCTOR_CACHE_DIR", "value": f"{CACHE_DIR}/inductor"},
                                {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
                                {"name": "DO_NOT_TRACK", "value": "1"},
                            ],
                            "ports": [{"name": "http", "container_port": HTTP_PORT, "protocol": "TCP"}],
                            "resources": {"requests": dict(resources), "limits": dict(resources)},
                            # /health answers 200 once the engine is up (weights loaded, KV cache allocated).
                            **eks.http_probes(
                                ready_path="/health",
                                live_path="/health",
                                startup_period=startup_period,
                                startup_threshold=startup_threshold,
                                live_period=15,
                                live_failures=4,
                                live_timeout=10,
                            ),
                            "security_context": eks.container_security_context(VLLM_UID),
                            "volume_mounts": [
                                {"name": "tmp", "mount_path": "/tmp"},
                                {"name": "cache", "mount_path": CACHE_DIR},
                                {"name": "dshm", "mount_path": "/dev/shm"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "tmp", "empty_dir": {"size_limit": "2Gi"}},
                        {"name": "cache", "empty_dir": {"size_limit": f"{cache_gib}Gi"}},
                        # NCCL and vLLM's multiprocessing executor exchange tensors through /dev/shm.
                        {"name": "dshm", "empty_dir": {"medium": "Memory", "size_limit": f"{args['shm_size_gib']}Gi"}},
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
            ports=[("http", HTTP_PORT)],
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
            metrics=[
                eks.pods_metric(WAITING_METRIC, _quantity(args.get("waiting_requests_target", 4))),
                eks.pods_metric(KV_CACHE_METRIC, _quantity(args.get("kv_cache_usage_target", 0.8))),
            ],
            scale_down_window_seconds=args.get("scale_down_stabilization_seconds", 600),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[work.stable]),
        )

        # -- Prometheus Operator: scrape, record, alert, gate the canary ------------------------------------
        eks.service_monitor(
            name,
            model,
            namespace,
            labels,
            {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": model},
            "http",
            in_ns,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": model, "namespace": namespace, "labels": labels},
            spec={
                "groups": llm_rule_groups(
                    model,
                    namespace,
                    ttft_slo_ms=args["ttft_slo_ms"],
                    itl_slo_ms=args["itl_slo_ms"],
                    queue_slo_ms=args.get("queue_time_slo_ms") or args["ttft_slo_ms"] / 2,
                    error_ratio_slo=args.get("error_ratio_slo", 0.01),
                    canary=canary_version is not None,
                )
            },
            opts=in_ns,
        )

        # -- Internal ALB on the OpenAI API ---------------------------------------------------------------------
        front = eks.internal_alb(
            self,
            name,
            server="vLLM",
            model=model,
            port=HTTP_PORT,
            health_path=self.health_path,
            path_patterns=["/v1/*"],
            namespace=namespace,
            labels=labels,
            namespace_resource=ns,
            workloads=work,
            canary_percent=canary_percent,
            args={**args, "idle_timeout": 600},
            where=where,
        )
        self._publish(front)


# -- Prometheus rules ----------------------------------------------------------------------------------------

# Recorded series (level:metric:operations, Prometheus "Recording rules" naming practice). Each is per Service
# (`service` is the label the ServiceMonitor's targets carry: the stable Service is the model, the canary
# `<model>-canary`), so stable and canary compare side by side.
TTFT_P95 = "service:vllm_time_to_first_token_seconds:p95_5m"
ITL_P95 = "service:vllm_inter_token_latency_seconds:p95_5m"
QUEUE_P95 = "service:vllm_request_queue_time_seconds:p95_5m"
ERROR_RATIO = "service:vllm_http_requests_5xx:ratio_5m"
GENERATION_RATE = "service:vllm_generation_tokens:rate_5m"


def _p95(histogram: str, sel: str) -> str:
    return f"histogram_quantile(0.95, sum by (service, le) (rate({histogram}_bucket{{{sel}}}[5m])))"


def llm_rule_groups(
    model: str,
    namespace: str,
    *,
    ttft_slo_ms: float,
    itl_slo_ms: float,
    queue_slo_ms: float,
    error_ratio_slo: float,
    canary: bool,
) -> list[dict[str, Any]]:
    """Recording rules, SLO alerts and (with a canary) canary gates for one vLLM model.

    Metric names are vLLM V1's (docs/design/metrics.md, read 2026-12-02): histograms
    `vllm:time_to_first_token_seconds`, `vllm:inter_token_latency_seconds`, `vllm:request_queue_time_seconds`,
    the counter `vllm:generation_tokens_total`, and the HTTP middleware's `http_requests_total{handler, status}`
    (prometheus_fastapi_instrumentator, which groups status codes as 2xx/4xx/5xx).
    """
    sel = f'namespace="{namespace}"'
    api = f'{sel},handler=~"/v1/.*"'
    labels = {"model": model}
    records = [
        {"record": TTFT_P95, "expr": _p95("vllm:time_to_first_token_seconds", sel)},
        {"record": ITL_P95, "expr": _p95("vllm:inter_token_latency_seconds", sel)},
        {"record": QUEUE_P95, "expr": _p95("vllm:request_queue_time_seconds", sel)},
        {
            "record": ERROR_RATIO,
            "expr": (
                f'sum by (service) (rate(http_requests_total{{{api},status="5xx"}}[5m])) / '
                f"clamp_min(sum by (service) (rate(http_requests_total{{{api}}}[5m])), 1e-9)"
            ),
        },
        {"record": GENERATION_RATE, "expr": f"sum by (service) (rate(vllm:generation_tokens_total{{{sel}}}[5m]))"},
    ]
    ttft_s, itl_s, queue_s = ttft_slo_ms / 1000, itl_slo_ms / 1000, queue_slo_ms / 1000
    stable = f'{sel},service="{model}"'

    def alert(name: str, expr: str, summary: str, severity: str = "warning", for_: str = "10m") -> dict[str, Any]:
        return {
            "alert": name,
            "expr": expr,
            "for": for_,
            "labels": {"severity": severity, **labels},
            "annotations": {"summary": f"{model}: {summary}"},
        }

    alerts = [
        alert(
            "VllmTimeToFirstTokenAboveSlo",
            f"{TTFT_P95}{{{stable}}} > {ttft_s:g}",
            f"p95 time to first token above the {ttft_slo_ms:g} ms SLO",
        ),
        alert(
            "VllmInterTokenLatencyAboveSlo",
            f"{ITL_P95}{{{stable}}} > {itl_s:g}",
            f"p95 inter-token latency above the {itl_slo_ms:g} ms SLO",
        ),
        alert(
            "VllmQueueTimeAboveSlo",
            f"{QUEUE_P95}{{{stable}}} > {queue_s:g}",
            f"p95 queue time above {queue_slo_ms:g} ms: requests wait for a batch slot (scale out or lower load)",
        ),
        alert(
            "VllmErrorRatio",
            f"{ERROR_RATIO}{{{stable}}} > {error_ratio_slo:g}",
            f"more than {error_ratio_slo:.0%} of API requests answer 5xx",
            severity="critical",
            for_="5m",
        ),
        alert(
            "VllmKvCacheSaturated",
            f"max(vllm:kv_cache_usage_perc{{{sel}}}) > 0.95",
            "KV cache above 95% on a replica: requests are queued or preempted",
            for_="15m",
        ),
        alert(
            "VllmReplicasUnavailable",
            f'kube_deployment_status_replicas_unavailable{{{sel},deployment=~"{model}|{model}-canary"}} > 0',
            "replicas unavailable for 15 minutes (cold start beyond its budget, or a crash loop)",
            severity="critical",
            for_="15m",
        ),
    ]
    groups = [
        {"name": f"vllm-{model}-records", "interval": "30s", "rules": records},
        {"name": f"vllm-{model}-slo", "rules": alerts},
    ]
    if canary:
        cny = f'{sel},service="{model}-canary"'
        gate = {**labels, "gate": "canary"}

        def gate_alert(name: str, expr: str, summary: str) -> dict[str, Any]:
            return {
                "alert": name,
                "expr": expr,
                "for": "10m",
                "labels": {"severity": "critical", **gate},
                "annotations": {
                    "summary": f"{model} canary: {summary}",
                    "description": "Do not promote: remove rollout.canary_version to roll back.",
                },
            }

        # A gate fails when the canary misses the SLO or is clearly worse than stable (20 % on latency,
        # +1 point on errors); `ignoring(service)` compares the two series of one model.
        groups.append(
            {
                "name": f"vllm-{model}-canary-gates",
                "rules": [
                    gate_alert(
                        "VllmCanaryTimeToFirstTokenRegression",
                        f"{TTFT_P95}{{{cny}}} > {ttft_s:g} or "
                        f"{TTFT_P95}{{{cny}}} > ignoring(service) 1.2 * {TTFT_P95}{{{stable}}}",
                        "p95 time to first token above the SLO or 20% worse than stable",
                    ),
                    gate_alert(
                        "VllmCanaryInterTokenLatencyRegression",
                        f"{ITL_P95}{{{cny}}} > {itl_s:g} or "
                        f"{ITL_P95}{{{cny}}} > ignoring(service) 1.2 * {ITL_P95}{{{stable}}}",
                        "p95 inter-token latency above the SLO or 20% worse than stable",
                    ),
                    gate_alert(
                        "VllmCanaryErrorRatio",
                        f"{ERROR_RATIO}{{{cny}}} > {error_ratio_slo:g} or "
                        f"{ERROR_RATIO}{{{cny}}} > ignoring(service) {ERROR_RATIO}{{{stable}}} + 0.01",
                        f"5xx ratio above {error_ratio_slo:.0%} or a point above stable",
                    ),
                ],
            }
        )
    return groups

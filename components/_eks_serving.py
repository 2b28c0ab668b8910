"""Building blocks shared by the EKS serving components (TritonService, LlmService).

Functions, not components: each registers its resources as children of the calling component (`parent`), with
the names the component has always used, so factoring them out changed no URN. What lives here:

- the hardened pod: restricted namespace, IRSA service account, pod and container security contexts, GPU
  toleration + node affinity + zone spread;
- the PodDisruptionBudget and the HPA (scale-up fast, scale-down behind a stabilization window);
- the internal ALB path: ALB security group, the ALB -> pod rule on the pods' security group, the ALB,
  weighted target groups bound to the pods with `TargetGroupBinding`, listener (HTTPS with an ACM certificate
  when a domain or certificate is given), listener rule and the CloudWatch alarm on healthy hosts.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

GPU_CLASS_LABEL = "inferstack.io/gpu-class"
NODE_GROUP_LABEL = "inferstack.io/node-group"
GPU_TAINT_KEY = "nvidia.com/gpu"
PSS_RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


class EksServiceArgs(TypedDict):
    """The args every EKS serving component (TritonService, LlmService) takes: cluster, network, exposure."""

    region: str
    """AWS region of the cluster and the model's bucket (`AWS_REGION`, KMS `ViaService`)."""
    kms_key_arn: pulumi.Input[str]
    """KMS key the model's objects are encrypted with (decrypt only, via S3)."""
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
    """GPU class the pods need (node affinity on `inferstack.io/gpu-class`), e.g. "L4", "L40S"."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic for the ALB health alarm."""
    node_group: NotRequired[str | None]
    """Default: None. When set, pods also require the node label `inferstack.io/node-group=<node_group>`."""
    image_pull_seconds: NotRequired[int]
    """Default: 0. Image-pull allowance on a fresh node, added to the Deployment's progress deadline."""
    canary_percent: NotRequired[int]
    """Default: 10. Traffic weight of the canary target group (1-50)."""
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


def restricted_namespace(
    parent: pulumi.Resource,
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    provider: Any,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.core.v1.Namespace:
    """`<name>-ns`: the component's namespace, Pod Security `restricted` enforced, audited and warned."""
    return k8s.core.v1.Namespace(
        f"{name}-ns",
        metadata={"name": namespace, "labels": {**labels, **PSS_RESTRICTED}},
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on)),
    )


def irsa_service_account(
    name: str,
    sa_name: str,
    namespace: str,
    labels: Mapping[str, str],
    role_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.ServiceAccount:
    """`<name>-sa`: the pods' service account, bound to an IRSA role, with no automounted API token."""
    return k8s.core.v1.ServiceAccount(
        f"{name}-sa",
        metadata={
            "name": sa_name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": {
                "eks.amazonaws.com/role-arn": role_arn,
                "eks.amazonaws.com/sts-regional-endpoints": "true",
            },
        },
        # IRSA injects its own projected web-identity token; the Kubernetes API token is not needed.
        automount_service_account_token=False,
        opts=opts,
    )


def pod_security_context(uid: int, gid: int) -> dict[str, Any]:
    """Pod-level: non-root, the image's user and group, files owned by that group, RuntimeDefault seccomp."""
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": gid,
        "fs_group": gid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def container_security_context(uid: int) -> dict[str, Any]:
    """Container-level: no privilege escalation, read-only root filesystem, every capability dropped."""
    return {
        "allow_privilege_escalation": False,
        "privileged": False,
        "read_only_root_filesystem": True,
        "run_as_non_root": True,
        "run_as_user": uid,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def http_probes(
    *,
    ready_path: str,
    live_path: str,
    startup_period: int,
    startup_threshold: int,
    live_period: int = 10,
    live_failures: int = 3,
    live_timeout: int = 5,
) -> dict[str, Any]:
    """Startup (the cold-start budget: period x threshold), liveness and readiness probes on the `http` port."""

    def get(path: str, period: int, failures: int, timeout: int) -> dict[str, Any]:
        return {
            "http_get": {"path": path, "port": "http"},
            "period_seconds": period,
            "failure_threshold": failures,
            "timeout_seconds": timeout,
        }

    return {
        "startup_probe": get(ready_path, startup_period, startup_threshold, 5),
        "liveness_probe": get(live_path, live_period, live_failures, live_timeout),
        "readiness_probe": get(ready_path, 5, 3, 5),
    }


def gpu_placement(gpu_class: str, node_group: str | None, spread_labels: Mapping[str, str]) -> dict[str, Any]:
    """Pod-spec fields that put a pod on the tainted GPU nodes of one class (and group), spread over zones."""
    node_match = [{"key": GPU_CLASS_LABEL, "operator": "In", "values": [gpu_class]}]
    if node_group:
        node_match.append({"key": NODE_GROUP_LABEL, "operator": "In", "values": [str(node_group)]})
    return {
        "tolerations": [{"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {
            "node_affinity": {
                "required_during_scheduling_ignored_during_execution": {
                    "node_selector_terms": [{"match_expressions": node_match}]
                }
            }
        },
        "topology_spread_constraints": [
            {
                "max_skew": 1,
                "topology_key": "topology.kubernetes.io/zone",
                "when_unsatisfiable": "ScheduleAnyway",
                "label_selector": {"match_labels": dict(spread_labels)},
            }
        ],
    }


def disruption_budget(
    name: str, model: str, namespace: str, labels: Mapping[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    """`<name>-pdb`: node drains take at most one of the model's pods at a time."""
    return k8s.policy.v1.PodDisruptionBudget(
        f"{name}-pdb",
        metadata={"name": model, "namespace": namespace, "labels": dict(labels)},
        spec={"max_unavailable": 1, "selector": {"match_labels": {"app.kubernetes.io/instance": model}}},
        opts=opts,
    )


def autoscaler(
    name: str,
    model: str,
    namespace: str,
    labels: Mapping[str, str],
    *,
    min_replicas: int,
    max_replicas: int,
    metrics: Sequence[Mapping[str, Any]],
    opts: pulumi.ResourceOptions,
    scale_down_window_seconds: int = 300,
) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    """`<name>-hpa` on the stable Deployment: doubles (or +4 pods) every 15 s when a metric is above target,
    removes one pod a minute once every recommendation in the stabilization window agrees."""
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        f"{name}-hpa",
        metadata={"name": model, "namespace": namespace, "labels": dict(labels)},
        spec={
            "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": model},
            "min_replicas": min_replicas,
            "max_replicas": max_replicas,
            "metrics": [dict(m) for m in metrics],
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
                    "stabilization_window_seconds": scale_down_window_seconds,
                    "select_policy": "Min",
                    "policies": [{"type": "Pods", "value": 1, "period_seconds": 60}],
                },
            },
        },
        opts=opts,
    )


@dataclass
class Workloads:
    """The stable Deployment and the Services the ALB's target groups bind to."""

    stable: k8s.apps.v1.Deployment
    stable_service: k8s.core.v1.Service
    canary_service: k8s.core.v1.Service | None


def workloads(
    name: str,
    *,
    model: str,
    namespace: str,
    labels: Mapping[str, str],
    version: int,
    canary_version: int | None,
    min_replicas: int,
    canary_percent: int,
    progress_deadline_seconds: int,
    pod_template: Callable[[str, int], dict[str, Any]],
    ports: Sequence[tuple[str, int]],
    after_sa: pulumi.ResourceOptions,
    in_ns: pulumi.ResourceOptions,
) -> Workloads:
    """`<name>-deployment` + `<name>-service` (stable, Deployment and Service named after the model) and, with a
    canary version, `<name>-canary` + `<name>-canary-service` (`<model>-canary`, ceil(min x percent) pods).

    Rolling updates add one pod before removing one (a surge pod needs free GPUs; capacity counts it)."""

    def deployment(role_name: str, track: str, served_version: int, replicas: int) -> k8s.apps.v1.Deployment:
        return k8s.apps.v1.Deployment(
            f"{name}-{role_name}",
            metadata={
                "name": model if track == "stable" else f"{model}-canary",
                "namespace": namespace,
                "labels": {**labels, "app.kubernetes.io/version": str(served_version), "inferstack.io/track": track},
            },
            spec={
                "replicas": replicas,
                "revision_history_limit": 5,
                "progress_deadline_seconds": progress_deadline_seconds,
                "selector": {"match_labels": {"app.kubernetes.io/instance": model, "inferstack.io/track": track}},
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
                    {"name": port_name, "port": port, "target_port": port_name, "protocol": "TCP"}
                    for port_name, port in ports
                ],
            },
            opts=in_ns,
        )

    stable = deployment("deployment", "stable", version, min_replicas)
    stable_svc = service("service", model, "stable")
    canary_svc = None
    if canary_version is not None:
        deployment("canary", "canary", canary_version, max(1, math.ceil(min_replicas * canary_percent / 100)))
        canary_svc = service("canary-service", f"{model}-canary", "canary")
    return Workloads(stable, stable_svc, canary_svc)


def service_monitor(
    name: str,
    model: str,
    namespace: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    port: str,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """`<name>-servicemonitor`: Prometheus scrapes `port`/metrics of the model's Services every 15 s."""
    return k8s.apiextensions.CustomResource(
        f"{name}-servicemonitor",
        api_version="monitoring.coreos.com/v1",
        kind="ServiceMonitor",
        metadata={"name": model, "namespace": namespace, "labels": dict(labels)},
        spec={
            "selector": {"matchLabels": dict(selector)},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [{"port": port, "interval": "15s", "path": "/metrics"}],
        },
        opts=opts,
    )


def pods_metric(metric: str, average_value: str) -> dict[str, Any]:
    """An HPA `Pods` metric served by prometheus-adapter (custom.metrics.k8s.io)."""
    return {
        "type": "Pods",
        "pods": {"metric": {"name": metric}, "target": {"type": "AverageValue", "average_value": average_value}},
    }


@dataclass
class AlbTrack:
    """One traffic track behind the ALB: its target group role name and the Service the pods are found by."""

    role: str
    """'stable' or 'canary': names `<name>-tg-<role>` and `<name>-tgb-<role>`."""
    service_name: str
    service: pulumi.Resource
    weight: int


@dataclass
class InternalAlb:
    alb: aws.lb.LoadBalancer
    target_groups: dict[str, aws.lb.TargetGroup]
    health_alarm: aws.cloudwatch.MetricAlarm


def internal_alb(
    parent: pulumi.Resource,
    name: str,
    *,
    server: str,
    model: str,
    port: int,
    health_path: str,
    path_patterns: Sequence[str],
    namespace: str,
    labels: Mapping[str, str],
    namespace_resource: pulumi.Resource,
    workloads: Workloads,
    canary_percent: int,
    args: Mapping[str, Any],
    where: str,
) -> InternalAlb:
    """The internal ALB in front of the pods' `port`: the stable target group, plus a canary one weighted
    `canary_percent` when the workloads have a canary.

    `args` carries the component's network inputs under TritonService's names: vpc_id, vpc_cidr,
    pod_security_group_id, subnet_ids, k8s_provider, alarm_topic_arn, certificate_arn, domain_name, zone_id,
    deletion_protection, tags. `server` names the runtime in descriptions ("Triton", "vLLM").
    """
    child = pulumi.ResourceOptions(parent=parent)
    tags = dict(args.get("tags") or {})
    canary = workloads.canary_service
    tracks = [AlbTrack("stable", model, workloads.stable_service, 100 - canary_percent if canary is not None else 100)]
    if canary is not None:
        tracks.append(AlbTrack("canary", f"{model}-canary", canary, canary_percent))
    certificate_arn = args.get("certificate_arn")
    domain = args.get("domain_name")
    if certificate_arn is None and domain:
        zone_id = args.get("zone_id")
        if zone_id is None:
            raise ValueError(f"{where}: domain_name {domain!r} needs zone_id (the hosted zone that validates it)")
        cert = aws.acm.Certificate(f"{name}-cert", domain_name=domain, validation_method="DNS", tags=tags, opts=child)
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
        description=f"Internal ALB of {server} {model}: VPC clients in, pods out",
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
                "description": f"{server} HTTP on the pods",
                "protocol": "tcp",
                "from_port": port,
                "to_port": port,
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
        from_port=port,
        to_port=port,
        description=f"{server} {model}: HTTP and health checks from its internal ALB",
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
        idle_timeout=args.get("idle_timeout", 120),
        tags=tags,
        opts=child,
    )
    groups: dict[str, aws.lb.TargetGroup] = {}
    for track in tracks:
        tg = aws.lb.TargetGroup(
            f"{name}-tg-{track.role}",
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args["vpc_id"],
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": health_path,
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
        groups[track.role] = tg
    for track in tracks:
        k8s.apiextensions.CustomResource(
            f"{name}-tgb-{track.role}",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata={"name": track.service_name, "namespace": namespace, "labels": dict(labels)},
            spec={
                "serviceRef": {"name": track.service_name, "port": port},
                "targetGroupARN": groups[track.role].arn,
                "targetType": "ip",
                # No `networking`: the ALB -> pod rule is `pods_from_alb` above.
            },
            opts=pulumi.ResourceOptions(
                parent=parent,
                provider=args["k8s_provider"],
                depends_on=[namespace_resource, track.service, pods_from_alb],
            ),
        )

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
    aws.lb.ListenerRule(
        f"{name}-rule",
        listener_arn=listener.arn,
        priority=10,
        conditions=[{"path_pattern": {"values": list(path_patterns)}}],
        actions=[
            {
                "type": "forward",
                "forward": {
                    "target_groups": [{"arn": groups[t.role].arn, "weight": t.weight} for t in tracks],
                    "stickiness": {"enabled": False, "duration": 60},
                },
            }
        ],
        tags=tags,
        opts=child,
    )
    stable = groups[tracks[0].role]
    health = aws.cloudwatch.MetricAlarm(
        f"{name}-no-healthy-hosts",
        alarm_description=f"{server} {model}: no healthy pods behind the internal ALB (private health check)",
        namespace="AWS/ApplicationELB",
        metric_name="HealthyHostCount",
        dimensions={"LoadBalancer": alb.arn_suffix, "TargetGroup": stable.arn_suffix},
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
    return InternalAlb(alb=alb, target_groups=groups, health_alarm=health)


class EksServing(pulumi.ComponentResource):
    """Outputs every EKS serving component publishes (the stack's entry point, DNS failover, alarms)."""

    namespace: str
    service_name: str
    health_path: str
    role_arn: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    stable_target_group_arn: pulumi.Output[str]
    stable_target_group_arn_suffix: pulumi.Output[str]
    canary_target_group_arn: pulumi.Output[str] | None
    health_alarm_name: pulumi.Output[str]

    def _publish(self, front: InternalAlb) -> None:
        """Set the ALB outputs from `front` and register the outputs (namespace and role_arn are set before)."""
        stable = front.target_groups["stable"]
        canary = front.target_groups.get("canary")
        self.alb_arn = front.alb.arn
        self.alb_dns_name = front.alb.dns_name
        self.alb_zone_id = front.alb.zone_id
        self.alb_arn_suffix = front.alb.arn_suffix
        self.stable_target_group_arn_suffix = stable.arn_suffix
        self.stable_target_group_arn = stable.arn
        self.canary_target_group_arn = canary.arn if canary is not None else None
        self.health_alarm_name = front.health_alarm.name
        self.register_outputs(
            {
                "namespace": self.namespace,
                "role_arn": self.role_arn,
                "alb_dns_name": self.alb_dns_name,
                "alb_zone_id": self.alb_zone_id,
                "stable_target_group_arn": self.stable_target_group_arn,
                "health_alarm_name": self.health_alarm_name,
            }
        )


def is_pinned(image: str) -> bool:
    """An image reference with an explicit tag other than `latest` (a digest may follow)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")

"""Stack wiring for the API front door and failover DNS."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from inferstack.components.failover_dns import DnsTarget, FailoverDns
from inferstack.components.inference_api import ApiModel, InferenceApi
from inferstack.components.triton_front import TritonFront
from stacks.context import EntryPoint, RegionStack, StackContext

SAGEMAKER_TARGETS = ("sagemaker", "sagemaker-async", "sagemaker-llm")


def domain_suffix(ctx: StackContext) -> str:
    """Records are `<model>.<env>.<zone>`."""
    return f"{ctx.env.name}.{ctx.env.dns.zone}"


def _zone_id(ctx: StackContext, rs: RegionStack) -> pulumi.Output[str]:
    """The hosted zone is owned outside the stack: look it up."""
    zone = aws.route53.get_zone_output(
        name=ctx.env.dns.zone, private_zone=False, opts=pulumi.InvokeOutputOptions(provider=rs.provider)
    )
    return zone.zone_id


def _required(component: Any, attribute: str, model: str) -> Any:
    value = getattr(component, attribute, None)
    if value is None:
        raise ValueError(
            f"SageMaker deployment {model!r}: the serving component {type(component).__name__} has no attribute "
            f"{attribute!r}; stacks/edge.py needs it (Output[str]) to put the API front door in front of the endpoint"
        )
    return value


def build_api(ctx: StackContext, rs: RegionStack) -> None:
    """Regional API front doors: one for the SageMaker deployments, one per Triton deployment."""
    if not ctx.env.api.enabled:
        return
    _sagemaker_api(ctx, rs)
    for model in list(rs.triton):
        _triton_front(ctx, rs, model)


def _log_key(rs: RegionStack) -> pulumi.Output[str]:
    if rs.alerting is not None and rs.alerting.key_arn is not None:
        return rs.alerting.key_arn  # its policy lets this region's Logs use it
    if rs.platform is not None:
        return rs.platform.key_arn
    raise ValueError(
        f"API front door in {rs.region}: no KMS key for its access logs; build the alert topic "
        "(observability.build_alerting) or the platform before edge.build_api"
    )


def _triton_front(ctx: StackContext, rs: RegionStack, model: str) -> None:
    """Public regional API -> VPC link V2 -> the model's internal ALB (components/triton_front.py says why).

    The failover record then targets something its clients (API callers with IAM or an API key) can reach;
    the internal ALB stays reachable from inside its VPC as before.
    """
    env = ctx.env
    service = rs.triton[model]
    if rs.platform is None:
        raise ValueError(f"Triton front door in {rs.region}: platform not built yet; run stacks/platform.build first")
    throttle = env.api.throttle
    host = f"{model}.{domain_suffix(ctx)}"
    front = TritonFront(
        f"triton-front-{model}{rs.suffix}",
        {
            "model_name": model,
            "host_name": host,
            "zone_id": _zone_id(ctx, rs),
            "alb_arn": service.alb_arn,
            "vpc_id": rs.platform.vpc_id,
            "vpc_cidr": rs.platform.vpc_cidr,
            "subnet_ids": rs.platform.private_subnet_ids,
            "kms_key_arn": _log_key(rs),
            "auth": env.api.auth,
            "rate_per_second": throttle.rate_per_second,
            "burst": throttle.burst,
            "quota_per_day": throttle.quota_per_day,
            "log_retention_days": env.monitoring.log_retention_days,
            "tags": {**ctx.tags, "model": model},
        },
        opts=rs.opts(),
    )
    internal = rs.entry_points.get(model)
    rs.entry_points[model] = EntryPoint(
        model=model,
        target="triton-eks",
        dns_name=front.regional_domain_name,
        zone_id=front.regional_zone_id,
        public=True,
        health_path=front.health_path,
        health_alarm_name=internal.health_alarm_name if internal is not None else service.health_alarm_name,
        extra={
            **(internal.extra if internal is not None else {}),
            "health_fqdn": front.execute_api_host,
            "health_resource_path": front.health_path,
            "front": front,
        },
    )


def _sagemaker_api(ctx: StackContext, rs: RegionStack) -> None:
    """Regional API front door for SageMaker deployments."""
    env = ctx.env
    deployments = [d for d in env.deployments if d.target in SAGEMAKER_TARGETS and d.model in rs.sagemaker]
    if not deployments:
        return
    models: list[ApiModel] = []
    for d in deployments:
        endpoint = rs.sagemaker[d.model]
        models.append(
            {
                "name": d.model,
                "endpoint_name": _required(endpoint, "endpoint_name", d.model),
                "asynchronous": d.target == "sagemaker-async",
            }
        )
    key_arn = _log_key(rs)
    throttle = env.api.throttle
    api = InferenceApi(
        f"api{rs.suffix}",
        {
            "api_name": f"inferstack-{env.name}",
            "models": models,
            "domain_suffix": domain_suffix(ctx),
            "zone_id": _zone_id(ctx, rs),
            "kms_key_arn": key_arn,
            "auth": env.api.auth,
            "rate_per_second": throttle.rate_per_second,
            "burst": throttle.burst,
            "quota_per_day": throttle.quota_per_day,
            "log_retention_days": env.monitoring.log_retention_days,
            "tags": ctx.tags,
        },
        opts=rs.opts(),
    )
    rs.api = api
    for d in deployments:
        domain = api.domains[d.model]
        rs.entry_points[d.model] = EntryPoint(
            model=d.model,
            target=d.target,
            dns_name=domain.regional_domain_name,
            zone_id=domain.regional_zone_id,
            public=True,
            health_path=f"/{d.model}/health",
            health_alarm_name=getattr(rs.sagemaker[d.model], "health_alarm_name", None),
            extra={"health_fqdn": api.execute_api_host, "health_resource_path": api.health_paths[d.model]},
        )


def dns_target(rs: RegionStack, ep: EntryPoint) -> DnsTarget:
    """EntryPoint (what serving/edge publish) -> FailoverDns target."""
    target: DnsTarget = {
        "region": rs.region,
        "dns_name": ep.dns_name,
        "zone_id": ep.zone_id,
        "public": ep.public,
        "health_path": ep.extra.get("health_resource_path", ep.health_path),
    }
    if "health_fqdn" in ep.extra:
        target["health_fqdn"] = ep.extra["health_fqdn"]
    if ep.health_alarm_name is not None:
        target["health_alarm_name"] = ep.health_alarm_name
    return target


def build_dns(ctx: StackContext) -> None:
    """Failover (or plain) DNS records over every region's entry points."""
    env = ctx.env
    dns = env.dns
    zone_id = _zone_id(ctx, ctx.primary)
    primary_topic = ctx.primary.alerting.topic_arn if ctx.primary.alerting is not None else None
    # Route53 health-check metrics exist only in us-east-1; alarm on them only where the topic is there too.
    health_topic = primary_topic if ctx.primary.region == "us-east-1" else None
    names: dict[str, str] = {}
    for d in env.deployments:
        # A public record may only name entry points the internet reaches: a private one (an internal ALB with
        # api.enabled false) keeps its own VPC-internal name and gets no record here.
        targets = [
            dns_target(rs, rs.entry_points[d.model])
            for rs in ctx.regions
            if d.model in rs.entry_points and rs.entry_points[d.model].public
        ]
        if not targets:
            continue
        record = f"{d.model}.{domain_suffix(ctx)}"
        ctx.dns[d.model] = FailoverDns(
            f"dns-{d.model}",
            {
                "zone_id": zone_id,
                "record_name": record,
                "targets": targets,
                "health_check_interval_seconds": dns.health_check_interval_seconds,
                "failure_threshold": dns.failure_threshold,
                "ttl_seconds": dns.ttl_seconds,
                "max_failover_seconds": dns.max_failover_seconds,
                "weighted_primary_percent": dns.weighted_primary_percent,
                "health_alarm_topic_arn": health_topic,
                "tags": ctx.tags,
            },
            opts=ctx.primary.opts(),
        )
        names[d.model] = record
    pulumi.export("dns_names", names)
    pulumi.export("failover_seconds", dns.failover_seconds)
    pulumi.export(
        "failover",
        {
            "routing": ("weighted" if dns.weighted_primary_percent else "failover")
            if ctx.secondary
            else "single-region",
            "seconds": dns.failover_seconds,
            "max_seconds": dns.max_failover_seconds,
            "formula": (
                f"{dns.health_check_interval_seconds}s interval x {dns.failure_threshold} failures "
                f"+ {dns.ttl_seconds}s TTL"
            ),
        },
    )

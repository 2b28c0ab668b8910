"""Failover DNS for one deployment: `<model>.<env>.<zone>` over its regional entry points.

Two or more targets -> Route53 failover (PRIMARY/SECONDARY) or weighted (active-active) records, each
with a health check. One target -> a plain record. Health checks are global resources; create this
component with any provider (the stack uses the primary region's).

Records default to CNAMEs with an explicit TTL, because the failover bound (interval x threshold + TTL)
must use a TTL that is true: an alias record takes its target's TTL (60 s for ALB and API Gateway)
whatever the settings say. Pass `alias=True` to trade that for alias records (the math then uses 60 s).

The zone decides who resolves a record, the target who can connect: give a public zone only targets the internet
reaches (an API Gateway regional domain, an internet-facing ALB). An internal ALB belongs behind a front
(components/triton_front.py) or in a private zone associated with its clients' VPCs; the stack policy
inferstack-route53-records-require-reachable-target checks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

ALIAS_TARGET_TTL_SECONDS = 60


class DnsTarget(TypedDict):
    """One regional entry point."""

    region: str
    dns_name: pulumi.Input[str]
    """The entry point's DNS name (API Gateway regional domain, ALB)."""
    zone_id: pulumi.Input[str]
    """The entry point's hosted zone id (used by alias records)."""
    public: bool
    """Reachable from the internet: HTTPS health check on health_path. Private: alarm health check."""
    health_path: str
    """Path the HTTPS health check requests, e.g. '/v2/health/ready'."""
    health_fqdn: NotRequired[pulumi.Input[str]]
    """Default: dns_name. Host the HTTPS health check calls (and sends as SNI)."""
    health_alarm_name: NotRequired[pulumi.Input[str]]
    """CloudWatch alarm that says the entry point is unhealthy; required when public is False."""


def failover_seconds(interval_seconds: int, failure_threshold: int, ttl_seconds: int) -> int:
    """Worst-case time until clients move: detection (interval x threshold) plus cached answers (TTL)."""
    return interval_seconds * failure_threshold + ttl_seconds


class FailoverDnsArgs(TypedDict):
    zone_id: pulumi.Input[str]
    """Hosted zone the record lives in (owned outside the stack)."""
    record_name: str
    """Fully qualified record name, e.g. 'fraud-scorer.prod.inference.example.com'."""
    targets: Sequence[DnsTarget]
    """First target is the primary; a second one turns on failover (or weighted) routing."""
    health_check_interval_seconds: NotRequired[Literal[10, 30]]
    """Default: 30. 10 costs more per check and detects three times faster."""
    failure_threshold: NotRequired[int]
    """Default: 3 consecutive failures."""
    ttl_seconds: NotRequired[int]
    """Default: 60. TTL of the CNAME records."""
    max_failover_seconds: NotRequired[int]
    """Default: 300. Construction fails when interval x threshold + TTL exceeds it."""
    weighted_primary_percent: NotRequired[int | None]
    """Default: None (active/passive failover). 1-99 -> weighted active-active, e.g. 90 for 90/10."""
    insufficient_data_health_status: NotRequired[Literal["Healthy", "Unhealthy", "LastKnownStatus"]]
    """Default: Unhealthy. A region whose alarm has no data (the region's CloudWatch is down too) is
    treated as failed, so traffic moves instead of staying on a region nobody can see."""
    alias: NotRequired[bool]
    """Default: False (CNAME with ttl_seconds). True: alias records, TTL fixed by the target at 60 s."""
    health_alarm_topic_arn: NotRequired[pulumi.Input[str] | None]
    """Default: None. When set, an alarm on each health check's status notifies this topic (Route53
    health-check metrics exist only in us-east-1: only pass a us-east-1 topic with a us-east-1 provider)."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class FailoverDns(pulumi.ComponentResource):
    """Route53 failover / weighted / plain records with health checks, and the computed failover time."""

    fqdn: pulumi.Output[str]
    failover_seconds: int
    routing: str
    health_check_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FailoverDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:FailoverDns", name, None, opts)
        targets = list(args["targets"])
        interval = args.get("health_check_interval_seconds", 30)
        threshold = args.get("failure_threshold", 3)
        ttl = args.get("ttl_seconds", 60)
        max_seconds = args.get("max_failover_seconds", 300)
        weighted = args.get("weighted_primary_percent")
        insufficient = args.get("insufficient_data_health_status", "Unhealthy")
        alias = args.get("alias", False)
        tags = dict(args.get("tags", {}))
        record = args["record_name"]

        if not 1 <= len(targets) <= 2:
            raise ValueError(
                f"FailoverDns {name!r}: targets has {len(targets)} entries; pass one (plain record) or two "
                "(primary first, then secondary)"
            )
        if interval not in (10, 30):
            raise ValueError(
                f"FailoverDns {name!r}: health_check_interval_seconds={interval} is not supported by Route53; "
                "use 10 or 30"
            )
        if not 1 <= threshold <= 10:
            raise ValueError(f"FailoverDns {name!r}: failure_threshold={threshold} is outside 1-10; use e.g. 3")
        if weighted is not None and not 1 <= weighted <= 99:
            raise ValueError(
                f"FailoverDns {name!r}: weighted_primary_percent={weighted} is outside 1-99; "
                "use e.g. 90 for a 90/10 split"
            )
        regions = [t["region"] for t in targets]
        if len(set(regions)) != len(regions):
            raise ValueError(f"FailoverDns {name!r}: targets repeat region {regions[0]!r}; use one target per region")
        for t in targets:
            if not t["public"] and "health_alarm_name" not in t:
                raise ValueError(
                    f"FailoverDns {name!r}: target in {t['region']} is private but has no health_alarm_name; "
                    "pass the alarm that says it is unhealthy (Route53 cannot reach private entry points)"
                )
        effective_ttl = ALIAS_TARGET_TTL_SECONDS if alias else ttl
        seconds = failover_seconds(interval, threshold, effective_ttl)
        if len(targets) > 1 and seconds > max_seconds:
            raise ValueError(
                f"FailoverDns {name!r}: failover takes {seconds}s (health_check_interval_seconds={interval} x "
                f"failure_threshold={threshold} + ttl {effective_ttl}s) which exceeds "
                f"max_failover_seconds={max_seconds}; "
                "lower ttl_seconds or failure_threshold, or use health_check_interval_seconds=10"
            )

        child = pulumi.ResourceOptions(parent=self)
        self.health_check_ids = {}
        if len(targets) == 1:
            routing = "simple"
        elif weighted is not None:
            routing = "weighted"
        else:
            routing = "failover"

        for i, t in enumerate(targets):
            region = t["region"]
            role = "primary" if i == 0 else "secondary"
            health_id: pulumi.Output[str] | None = None
            if routing != "simple":
                health_id = self._health_check(f"{name}-{role}", t, interval, threshold, insufficient, tags, child)
                self.health_check_ids[region] = health_id
                topic = args.get("health_alarm_topic_arn")
                if topic is not None:
                    aws.cloudwatch.MetricAlarm(
                        f"{name}-{role}-health-alarm",
                        name=f"{record}-{region}-health",
                        alarm_description=f"Route53 health check of {record} in {region} is failing",
                        namespace="AWS/Route53",
                        metric_name="HealthCheckStatus",
                        dimensions={"HealthCheckId": health_id},
                        statistic="Minimum",
                        period=60,
                        evaluation_periods=1,
                        threshold=1,
                        comparison_operator="LessThanThreshold",
                        treat_missing_data="breaching",
                        alarm_actions=[topic],
                        ok_actions=[topic],
                        tags=tags,
                        opts=child,
                    )
            policy: dict[str, object] = {}
            if routing == "failover":
                policy = {
                    "set_identifier": f"{role}-{region}",
                    "failover_routing_policies": [{"type": role.upper()}],
                }
            elif routing == "weighted":
                assert weighted is not None
                policy = {
                    "set_identifier": f"{role}-{region}",
                    "weighted_routing_policies": [{"weight": weighted if i == 0 else 100 - weighted}],
                }
            target_args: dict[str, object]
            if alias:
                target_args = {
                    "type": "A",
                    "aliases": [{"name": t["dns_name"], "zone_id": t["zone_id"], "evaluate_target_health": True}],
                }
            else:
                target_args = {"type": "CNAME", "ttl": ttl, "records": [t["dns_name"]]}
            aws.route53.Record(
                f"{name}-{role}" if routing != "simple" else f"{name}-record",
                zone_id=args["zone_id"],
                name=record,
                health_check_id=health_id,
                opts=child,
                **target_args,
                **policy,
            )

        self.fqdn = pulumi.Output.from_input(record)
        self.failover_seconds = seconds
        self.routing = routing
        self.register_outputs(
            {
                "fqdn": self.fqdn,
                "failover_seconds": seconds,
                "routing": routing,
                "health_check_ids": self.health_check_ids,
            }
        )

    @staticmethod
    def _health_check(
        prefix: str,
        t: DnsTarget,
        interval: int,
        threshold: int,
        insufficient: str,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        checks: list[aws.route53.HealthCheck] = []
        if t["public"]:
            checks.append(
                aws.route53.HealthCheck(
                    f"{prefix}-https",
                    type="HTTPS",
                    fqdn=t.get("health_fqdn", t["dns_name"]),
                    port=443,
                    resource_path=t["health_path"],
                    enable_sni=True,
                    request_interval=interval,
                    failure_threshold=threshold,
                    measure_latency=True,
                    tags={**tags, "Name": f"{prefix}-https"},
                    opts=child,
                )
            )
        if "health_alarm_name" in t:
            checks.append(
                aws.route53.HealthCheck(
                    f"{prefix}-alarm",
                    type="CLOUDWATCH_METRIC",
                    cloudwatch_alarm_name=t["health_alarm_name"],
                    cloudwatch_alarm_region=t["region"],
                    insufficient_data_health_status=insufficient,
                    tags={**tags, "Name": f"{prefix}-alarm"},
                    opts=child,
                )
            )
        if len(checks) == 1:
            return checks[0].id
        calculated = aws.route53.HealthCheck(
            f"{prefix}-calculated",
            type="CALCULATED",
            child_healthchecks=[c.id for c in checks],
            child_health_threshold=len(checks),
            tags={**tags, "Name": f"{prefix}-calculated"},
            opts=child,
        )
        return calculated.id

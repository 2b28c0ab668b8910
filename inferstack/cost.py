"""Monthly cost estimate of an offline preview, Infracost-style, from the shipped price table.

Every registered custom resource is either priced (cost components with unit, quantity and unit price),
free (Kubernetes objects, IAM, subnets, security groups, ...), or listed under `not_priced` with the
reason. Nothing unknown is silently counted as $0.

Two figures per resource at 730 hours a month: **baseline** runs every scalable thing at its minimum
capacity, **peak** at its maximum. A GPU node group's baseline is the larger of its `min_size` and the nodes
its deployments' minimum replicas need (inferstack/capacity.py), so a group with min_size 0 costs nothing only
while nothing must run on it; its peak is `max_size`. Usage-based items (data processed, storage, logs,
requests) use the default assumptions in `USAGE` and are marked `usage_based`; they are the same in baseline
and peak. The EKS control plane is priced at the standard or extended-support rate from the cluster's
Kubernetes version and today's date (components/versions.py). `by_deployment` shows what each deployment
costs: its own resources plus the GPU nodes it needs.
"""

from __future__ import annotations

import contextlib
import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from inferstack.engine.model import PreviewResult, Resource, reveal
from inferstack.engine.model import Unknown as _Unknown
from inferstack.pricing import Price, PriceTable, load_prices

HOURS_PER_MONTH = 730
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Usage:
    """A default usage assumption for a usage-based cost component."""

    value: float
    unit: str
    description: str


USAGE: dict[str, Usage] = {
    "nat_gateway_gb": Usage(100, "GB/month", "data processed per NAT gateway"),
    "interface_endpoint_gb": Usage(10, "GB/month", "data processed per interface VPC endpoint"),
    "alb_lcu": Usage(1, "LCU (average)", "load balancer capacity units in use per ALB, all hours"),
    "nlb_nlcu": Usage(1, "NLCU (average)", "capacity units in use per NLB, all hours"),
    "log_ingestion_gb": Usage(5, "GB/month", "log data ingested per log group"),
    "s3_storage_gb": Usage(50, "GB", "stored per S3 bucket (standard class)"),
    "ecr_storage_gb": Usage(20, "GB", "image storage per ECR repository (a Triton image is ~10-15 GB)"),
    "api_requests_m": Usage(1, "million requests/month", "requests per API Gateway API"),
    "kms_requests_10k": Usage(10, "x10k requests/month", "API requests per KMS key (100k)"),
    "route53_queries_m": Usage(1, "million queries/month", "standard queries per hosted zone"),
    "sns_requests_m": Usage(0, "million requests/month", "publishes beyond the free 1M per topic"),
}


class NotPricedError(Exception):
    """The resource's type is known to cost money but the table cannot price it; the message says why."""


@dataclass
class Component:
    """One line of a resource's cost: quantity per month (baseline and peak) x unit price."""

    name: str
    unit: str
    unit_price: float
    baseline_qty: float
    peak_qty: float
    source: str
    usage_based: bool = False
    note: str | None = None

    def monthly(self) -> tuple[float, float]:
        return round(self.baseline_qty * self.unit_price, 2), round(self.peak_qty * self.unit_price, 2)

    def to_json(self) -> dict[str, Any]:
        baseline, peak = self.monthly()
        out: dict[str, Any] = {
            "name": self.name,
            "unit": self.unit,
            "quantity": {"baseline": _num(self.baseline_qty), "peak": _num(self.peak_qty)},
            "unit_price": self.unit_price,
            "monthly_usd": {"baseline": baseline, "peak": peak},
            "usage_based": self.usage_based,
            "source": self.source,
        }
        if self.note:
            out["note"] = self.note
        return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)


# -- reading inputs --------------------------------------------------------------------------------


def known(value: Any) -> Any:
    """The value with secrets unwrapped, or None when it is unknown at preview time."""
    if isinstance(value, _Unknown) or value == "[unknown]":
        return None
    return reveal(value)


def get(inputs: dict[str, Any], path: str, default: Any = None) -> Any:
    """A dotted path into camelCase inputs (`scalingConfig.minSize`); `default` when absent or unknown."""
    cur: Any = inputs
    for part in path.split("."):
        cur = known(cur)
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    cur = known(cur)
    return default if cur is None else cur


def as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotPricedError(f"{what} is {value!r}, not a number known at preview time")
    return int(value)


# -- context ---------------------------------------------------------------------------------------


@dataclass
class Context:
    """What pricers need besides the resource: the table, the whole preview, and defaults."""

    table: PriceTable
    result: PreviewResult
    default_region: str
    availability_zones: int
    by_urn: dict[str, Resource] = field(default_factory=dict)
    today: datetime.date = field(default_factory=datetime.date.today)
    node_floors: dict[str, tuple[int, str]] = field(default_factory=dict)
    """GPU node group component name (`gpu-<group><region suffix>`) -> (nodes the minimum replicas need, why)."""
    # Indexes built once, so a lookup per resource stays O(1) and a whole estimate linear in the resource
    # count (issue 13, class 13: per-resource scans of the whole preview made 50k-resource stacks quadratic).
    _by_type: dict[str, list[Resource]] = field(default_factory=dict)
    _position: dict[str, int] = field(default_factory=dict)
    _indexes: dict[tuple[str, str], dict[Any, list[Resource]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_urn = self.result.by_urn()
        for i, r in enumerate(self.result.resources):
            self._by_type.setdefault(r.type, []).append(r)
            self._position.setdefault(r.urn, i)

    def of_type(self, type_: str) -> list[Resource]:
        return self._by_type.get(type_, [])

    def index(self, type_: str, key: str, of: Callable[[Resource], Iterable[Any]]) -> dict[Any, list[Resource]]:
        """Resources of `type_` by each hashable value `of(resource)` yields (built once per `key`)."""
        found = self._indexes.get((type_, key))
        if found is None:
            found = self._indexes[(type_, key)] = {}
            for c in self.of_type(type_):
                for value in of(c):
                    with contextlib.suppress(TypeError):  # unhashable values never equal a name
                        found.setdefault(value, []).append(c)
        return found

    def in_order(self, resources: Iterable[Resource]) -> list[Resource]:
        """Distinct resources in preview order (the order the scans this replaces produced)."""
        unique = {r.urn: r for r in resources}
        return sorted(unique.values(), key=lambda r: self._position.get(r.urn, 0))

    def region_of(self, r: Resource) -> str:
        """The `region` input of the resource's explicit provider, else the environment's primary region."""
        provider = self.by_urn.get(r.provider_urn or "")
        region = get(provider.inputs, "region") if provider else None
        return str(region) if region else self.default_region

    def price(self, service: str, item: str, region: str) -> Price:
        found = self.table.lookup(service, item, region)
        if found is None:
            raise NotPricedError(f"no price for {service} {item!r} in {region} in the price table")
        return found

    def hourly(self, name: str, price: Price, count: float = 1, peak_count: float | None = None) -> Component:
        peak = count if peak_count is None else peak_count
        return Component(name, "hours", price.usd, count * HOURS_PER_MONTH, peak * HOURS_PER_MONTH, price.note)

    def usage(self, name: str, price: Price, key: str, scale: float = 1.0, note: str | None = None) -> Component:
        assumption = USAGE[key]
        qty = assumption.value * scale
        text = f"assumed {assumption.value:g} {assumption.unit}: {assumption.description}"
        return Component(
            name,
            price.unit,
            price.usd,
            qty,
            qty,
            price.note,
            usage_based=True,
            note=f"{text}{'; ' + note if note else ''}",
        )

    def linked(self, r: Resource, type_: str, name_input: str | None = None, name: Any = None) -> list[Resource]:
        """Resources of `type_` that `r` refers to: by a known name input, then by dependency, then the only
        one under the same parent."""
        if name_input and name:
            try:
                by_name = self.index(type_, f"input:{name_input}", lambda c: [get(c.inputs, name_input)]).get(name, [])
            except TypeError:  # an unhashable name: compare one by one
                by_name = [c for c in self.of_type(type_) if get(c.inputs, name_input) == name]
            if by_name:
                return list(by_name)
        by_dep = self.in_order(
            self.by_urn[d] for d in r.dependencies if d in self.by_urn and self.by_urn[d].type == type_
        )
        if by_dep:
            return by_dep
        siblings = self.index(type_, "parent", lambda c: [c.parent]).get(r.parent, [])
        return list(siblings) if len(siblings) == 1 else []


Pricer = Callable[[Context, Resource, str], list[Component]]

# -- pricers ---------------------------------------------------------------------------------------


def _eks_cluster(ctx: Context, r: Resource, region: str) -> list[Component]:
    # $0.10 per cluster-hour in standard support, $0.60 in extended support (AWS containers blog "Amazon EKS
    # extended support for Kubernetes versions pricing", read 2026-12-02 via search; rows in prices.csv).
    from inferstack.components.versions import minor, support_status

    version = str(get(r.inputs, "version", "") or "")
    status = support_status(version, ctx.today) if version else "unknown"
    if status == "standard":
        return [ctx.hourly("EKS control plane (standard support)", ctx.price("eks", "control plane standard", region))]
    if status in ("extended", "ended"):
        row = minor(version)
        assert row is not None
        comp = ctx.hourly(
            "EKS control plane (extended support)", ctx.price("eks", "control plane extended support", region)
        )
        comp.note = f"Kubernetes {version} left standard support on {row.end_of_standard_support.isoformat()}" + (
            f" and extended support on {row.end_of_extended_support.isoformat()} (EKS auto-upgrades it; "
            "such clusters cannot be created)"
            if status == "ended"
            else f"; extended support until {row.end_of_extended_support.isoformat()}"
        )
        return [comp]
    comp = ctx.hourly("EKS control plane (standard support)", ctx.price("eks", "control plane standard", region))
    comp.note = f"Kubernetes version {version or '(not set)'} is not in components/versions.py; priced as standard"
    return [comp]


def _instance_component(ctx: Context, types: list[str], capacity: str, region: str, lo: int, hi: int) -> Component:
    priced = [(p.usd, t, p) for t in types if (p := ctx.table.instance(t, region)) is not None]
    if not priced:
        raise NotPricedError(f"no price for instance types {types} in {region} in the price table")
    usd, itype, price = min(priced)
    notes: list[str] = []
    if len(types) > 1:
        notes.append(f"priced {itype}, the cheapest of {', '.join(types)} (the autoscaler may launch any)")
    missing = [t for t in types if ctx.table.instance(t, region) is None]
    if missing:
        notes.append(f"no price for {', '.join(missing)}")
    source = price.note
    if capacity == "SPOT":
        discount = ctx.table.spot_discount(itype)
        if discount is None:
            notes.append(f"no typical spot discount for {itype}'s family; priced on demand (upper bound)")
        else:
            usd = round(usd * (1 - discount.value), 6)
            notes.append(f"spot: {discount.value:.0%} below on demand, typical for the family")
            source = f"{source}; spot discount: {discount.source} ({discount.as_of})"
    label = "spot" if capacity == "SPOT" else "on-demand"
    comp = Component(
        f"Instance usage (Linux, {label}, {itype})",
        "hours",
        usd,
        lo * HOURS_PER_MONTH,
        hi * HOURS_PER_MONTH,
        source,
        note="; ".join(notes) or None,
    )
    return comp


def _volume_components(ctx: Context, ebs: dict[str, Any], region: str, lo: int, hi: int, label: str) -> list[Component]:
    vtype = ebs.get("volumeType") or "gp3"
    if vtype != "gp3":
        raise NotPricedError(f"{label} volume type {vtype!r} is not in the price table (only gp3)")
    size = as_int(ebs.get("volumeSize"), f"{label} volumeSize")
    price = ctx.price("ebs", "gp3 storage", region)
    comps = [Component(f"{label} (gp3, {size} GB)", "GB-months", price.usd, size * lo, size * hi, price.note)]
    iops = ebs.get("iops")
    if isinstance(iops, int | float) and iops > 3000:
        p = ctx.price("ebs", "gp3 IOPS above 3000", region)
        extra = iops - 3000
        comps.append(Component(f"{label} IOPS above 3000", "IOPS-months", p.usd, extra * lo, extra * hi, p.note))
    tput = ebs.get("throughput")
    if isinstance(tput, int | float) and tput > 125:
        p = ctx.price("ebs", "gp3 throughput above 125MBps", region)
        extra = tput - 125
        comps.append(
            Component(f"{label} throughput above 125 MBps", "MBps-months", p.usd, extra * lo, extra * hi, p.note)
        )
    return comps


def _node_group_key(ctx: Context, r: Resource) -> str | None:
    """The GpuNodeGroup component name of a node group: its `inferstack.io/node-group` label, else its parent."""
    labels = known(r.inputs.get("labels"))
    label = labels.get("inferstack.io/node-group") if isinstance(labels, dict) else None
    if isinstance(label, str) and label in ctx.node_floors:
        return label
    parent = ctx.by_urn.get(r.parent or "")
    return parent.name if parent is not None and parent.name in ctx.node_floors else None


def _node_group(ctx: Context, r: Resource, region: str) -> list[Component]:
    lo = as_int(get(r.inputs, "scalingConfig.minSize"), "scalingConfig.minSize")
    hi = as_int(get(r.inputs, "scalingConfig.maxSize"), "scalingConfig.maxSize")
    floor_note = None
    key = _node_group_key(ctx, r)
    if key is not None:
        need, why = ctx.node_floors[key]
        if need > lo:
            lo_was, lo = lo, min(need, hi)
            floor_note = f"baseline {lo} node{'' if lo == 1 else 's'}, not min_size={lo_was}: {why}"
    templates = ctx.linked(r, "aws:ec2/launchTemplate:LaunchTemplate", "name", get(r.inputs, "launchTemplate.name"))
    template = templates[0] if len(templates) == 1 else None
    types = [str(t) for t in get(r.inputs, "instanceTypes", []) if known(t)]
    note = None
    if not types and template is not None and get(template.inputs, "instanceType"):
        types = [str(get(template.inputs, "instanceType"))]
    if not types:
        types, note = ["t3.medium"], "no instance type given: EKS managed node groups default to t3.medium"
    comps = [_instance_component(ctx, types, str(get(r.inputs, "capacityType", "ON_DEMAND")), region, lo, hi)]
    for extra in (note, floor_note):
        if extra:
            comps[0].note = f"{extra}; {comps[0].note}" if comps[0].note else extra
    mappings = get(template.inputs, "blockDeviceMappings", []) if template else []
    if mappings:
        for i, m in enumerate(mappings):
            ebs = known(m.get("ebs")) if isinstance(m, dict) else None
            if isinstance(ebs, dict):
                label = "Root volume" if i == 0 else f"Volume {m.get('deviceName', i)}"
                comps += _volume_components(ctx, ebs, region, lo, hi, label)
    else:
        size = get(r.inputs, "diskSize", 20)
        comps += _volume_components(ctx, {"volumeSize": size}, region, lo, hi, "Root volume")
        comps[-1].note = "node group disk (EKS default 20 GB) priced at the gp3 rate"
    return comps


def _ec2_instance(ctx: Context, r: Resource, region: str) -> list[Component]:
    itype = get(r.inputs, "instanceType")
    if not itype:
        raise NotPricedError("instanceType is not known at preview time")
    return [_instance_component(ctx, [str(itype)], "ON_DEMAND", region, 1, 1)]


def _ebs_volume(ctx: Context, r: Resource, region: str) -> list[Component]:
    ebs = {
        "volumeType": get(r.inputs, "type", "gp3"),
        "volumeSize": get(r.inputs, "size"),
        "iops": get(r.inputs, "iops"),
        "throughput": get(r.inputs, "throughput"),
    }
    return _volume_components(ctx, ebs, region, 1, 1, "Volume")


def _nat_gateway(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [
        ctx.hourly("NAT gateway", ctx.price("vpc", "NAT gateway", region)),
        ctx.usage("Data processed", ctx.price("vpc", "NAT gateway data processed", region), "nat_gateway_gb"),
    ]


def _eip(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [ctx.hourly("Public IPv4 address", ctx.price("vpc", "public IPv4 address", region))]


def _vpc_endpoint(ctx: Context, r: Resource, region: str) -> list[Component]:
    if get(r.inputs, "vpcEndpointType", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    subnets = get(r.inputs, "subnetIds")
    note = None
    if isinstance(subnets, list):
        azs = len(subnets)
    else:
        azs, note = ctx.availability_zones, f"subnets unknown at preview: assumed one per AZ ({ctx.availability_zones})"
    comp = ctx.hourly(f"Interface endpoint ({azs} AZ)", ctx.price("vpc", "interface endpoint", region), azs)
    comp.note = note
    data = ctx.usage(
        "Data processed", ctx.price("vpc", "interface endpoint data processed", region), "interface_endpoint_gb"
    )
    return [comp, data]


def _load_balancer(ctx: Context, r: Resource, region: str) -> list[Component]:
    kind = get(r.inputs, "loadBalancerType", "application")
    if kind == "application":
        return [
            ctx.hourly("Application load balancer", ctx.price("elb", "ALB", region)),
            _lcu(ctx, ctx.price("elb", "ALB LCU", region), "alb_lcu", "Load balancer capacity units"),
        ]
    if kind == "network":
        return [
            ctx.hourly("Network load balancer", ctx.price("elb", "NLB", region)),
            _lcu(ctx, ctx.price("elb", "NLB NLCU", region), "nlb_nlcu", "Network capacity units"),
        ]
    raise NotPricedError(f"loadBalancerType {kind!r} is not in the price table")


def _lcu(ctx: Context, price: Price, key: str, name: str) -> Component:
    comp = ctx.usage(name, price, key, scale=HOURS_PER_MONTH)
    comp.unit = "LCU-hours"
    return comp


def _sagemaker_endpoint(ctx: Context, r: Resource, region: str) -> list[Component]:
    configs = ctx.linked(
        r, "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "name", get(r.inputs, "endpointConfigName")
    )
    if len(configs) != 1:
        raise NotPricedError("cannot tell which endpoint configuration this endpoint uses")
    config = configs[0]
    variants = list(get(config.inputs, "productionVariants", [])) + list(
        get(config.inputs, "shadowProductionVariants", [])
    )
    targets = _scaling_targets(ctx, r)
    comps: list[Component] = []
    for v in variants:
        v = known(v) or {}
        vname = v.get("variantName") or "variant"
        if v.get("serverlessConfig"):
            raise NotPricedError(f"variant {vname!r} is serverless (billed per request and GB-s; not in the table)")
        itype = v.get("instanceType")
        if not itype:
            raise NotPricedError(f"variant {vname!r} has no instanceType known at preview time")
        target = targets.get(vname) or (targets.get("*") if len(variants) == 1 else None)
        if target is not None:
            lo = as_int(get(target.inputs, "minCapacity"), "autoscaling minCapacity")
            hi = as_int(get(target.inputs, "maxCapacity"), "autoscaling maxCapacity")
            note = f"instances {lo}-{hi} from the autoscaling target"
        else:
            lo = hi = as_int(v.get("initialInstanceCount"), f"variant {vname!r} initialInstanceCount")
            note = "initialInstanceCount (no autoscaling target found)"
        price = ctx.price("sagemaker", str(itype), region)
        comps.append(
            Component(
                f"Hosting instances ({vname}, {itype})",
                "hours",
                price.usd,
                lo * HOURS_PER_MONTH,
                hi * HOURS_PER_MONTH,
                price.note,
                note=note,
            )
        )
    if not comps:
        raise NotPricedError("endpoint configuration has no production variants known at preview time")
    return comps


def _scaling_targets(ctx: Context, endpoint: Resource) -> dict[str, Resource]:
    """Autoscaling targets of the endpoint's variants: variant name -> target ('*' when the variant is unknown)."""
    name = get(endpoint.inputs, "name")
    found: dict[str, Resource] = {}
    type_ = "aws:appautoscaling/target:Target"

    def endpoint_name(t: Resource) -> list[Any]:
        rid = get(t.inputs, "resourceId")
        parts = rid.split("/") if isinstance(rid, str) else []
        return [parts[1]] if len(parts) == 4 else []

    # only the targets that can match (by name, dependency or parent), in preview order: O(matches), not O(targets)
    named = ctx.index(type_, "endpoint-name", endpoint_name).get(name, []) if isinstance(name, str) else []
    dependents = ctx.index(type_, "dependency", lambda t: t.dependencies).get(endpoint.urn, [])
    siblings = ctx.index(type_, "parent", lambda t: [t.parent]).get(endpoint.parent, [])
    for t in ctx.in_order([*named, *dependents, *siblings]):
        if get(t.inputs, "serviceNamespace") != "sagemaker":
            continue
        rid = get(t.inputs, "resourceId")
        parts = rid.split("/") if isinstance(rid, str) else []
        if ctx.region_of(t) != ctx.region_of(endpoint):
            continue  # the same endpoint name may exist in each region
        by_name = bool(name) and len(parts) == 4 and parts[1] == name
        by_dep = endpoint.urn in t.dependencies
        same_parent = not by_name and not by_dep and t.parent == endpoint.parent and t.parent is not None
        if by_name or by_dep or same_parent:
            found[parts[3] if len(parts) == 4 else "*"] = t
    return found


def _metric_alarm(ctx: Context, r: Resource, region: str) -> list[Component]:
    queries = get(r.inputs, "metricQueries", [])
    metrics = [q for q in queries if isinstance(q, dict) and q.get("metric")] if queries else []
    count = len(metrics) or 1
    periods = [get(q, "metric.period") for q in metrics] or [get(r.inputs, "period")]
    high = any(isinstance(p, int | float) and p < 60 for p in periods)
    item = "alarm high resolution" if high else "alarm standard resolution"
    price = ctx.price("cloudwatch", item, region)
    label = "high" if high else "standard"
    return [Component(f"Alarm metrics ({label} resolution)", "alarm metrics", price.usd, count, count, price.note)]


def _dashboard(ctx: Context, r: Resource, region: str) -> list[Component]:
    price = ctx.price("cloudwatch", "dashboard", region)
    return [Component("Dashboard", "months", price.usd, 1, 1, price.note)]


def _log_group(ctx: Context, r: Resource, region: str) -> list[Component]:
    ingest = ctx.usage(
        "Log ingestion", ctx.price("cloudwatch", "logs ingestion (standard)", region), "log_ingestion_gb"
    )
    days = get(r.inputs, "retentionInDays")
    months = min(float(days) / 30, 12.0) if isinstance(days, int | float) and days > 0 else 12.0
    storage = ctx.usage(
        "Log storage",
        ctx.price("cloudwatch", "logs archival storage", region),
        "log_ingestion_gb",
        scale=months,
        note=f"kept {months:g} months at steady state (retention {days or 'never expires: assumed 1 year'})",
    )
    return [ingest, storage]


def _zone(ctx: Context, r: Resource, region: str) -> list[Component]:
    price = ctx.price("route53", "hosted zone (first 25)", "global")
    return [
        Component("Hosted zone", "months", price.usd, 1, 1, price.note),
        ctx.usage("Standard queries", ctx.price("route53", "standard queries first 1B", "global"), "route53_queries_m"),
    ]


def _health_check(ctx: Context, r: Resource, region: str) -> list[Component]:
    kind = str(get(r.inputs, "type", ""))
    base = ctx.price("route53", "health check AWS endpoint", "global")
    comps = [Component(f"Health check ({kind or 'unknown type'}, AWS endpoint)", "months", base.usd, 1, 1, base.note)]
    features: list[str] = []
    if kind not in ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"):
        if kind.startswith("HTTPS"):
            features.append("HTTPS")
        if kind.endswith("STR_MATCH"):
            features.append("string matching")
        if get(r.inputs, "requestInterval") == 10:
            features.append("fast interval (10 s)")
        if get(r.inputs, "measureLatency") is True:
            features.append("latency measurement")
    if features:
        p = ctx.price("route53", "optional feature (AWS endpoint)", "global")
        comps.append(
            Component(
                f"Optional features: {', '.join(features)}", "features", p.usd, len(features), len(features), p.note
            )
        )
    return comps


def _kms_key(ctx: Context, r: Resource, region: str) -> list[Component]:
    spec = str(get(r.inputs, "customerMasterKeySpec", "") or get(r.inputs, "keySpec", "") or "SYMMETRIC_DEFAULT")
    item = "symmetric requests" if spec.startswith(("SYMMETRIC", "HMAC")) else "asymmetric (RSA 3072+) requests"
    key = ctx.price("kms", "customer managed key", region)
    return [
        Component("Customer managed key", "months", key.usd, 1, 1, key.note),
        ctx.usage("Requests", ctx.price("kms", item, region), "kms_requests_10k"),
    ]


def _s3_bucket(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [ctx.usage("Standard storage", ctx.price("s3", "standard storage (first 50TB)", region), "s3_storage_gb")]


def _ecr_repository(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [ctx.usage("Image storage", ctx.price("ecr", "storage", region), "ecr_storage_gb")]


def _sns_topic(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [
        ctx.usage(
            "API requests beyond the free 1M", ctx.price("sns", "API requests (over 1M free)", region), "sns_requests_m"
        )
    ]


def _rest_api(ctx: Context, r: Resource, region: str) -> list[Component]:
    return [
        ctx.usage(
            "REST API requests", ctx.price("apigateway", "REST API requests (first 333M)", region), "api_requests_m"
        )
    ]


def _http_api(ctx: Context, r: Resource, region: str) -> list[Component]:
    if get(r.inputs, "protocolType", "HTTP") != "HTTP":
        raise NotPricedError("WebSocket APIs are not in the price table")
    return [
        ctx.usage(
            "HTTP API requests", ctx.price("apigateway", "HTTP API requests (first 300M)", region), "api_requests_m"
        )
    ]


PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/instance:Instance": _ec2_instance,
    "aws:ebs/volume:Volume": _ebs_volume,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:sagemaker/endpoint:Endpoint": _sagemaker_endpoint,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigatewayv2/api:Api": _http_api,
}

# Types that cost nothing by themselves (their cost, if any, shows on a priced resource: a launch template's
# volumes on its node group, an endpoint configuration's instances on its endpoint, a flow log's data on its
# log group). Matched as prefixes of the type token.
FREE_PREFIXES: tuple[str, ...] = (
    "kubernetes:",
    "random:",
    "tls:",
    "aws:iam/",
    "aws:ec2/vpc:",
    "aws:ec2/subnet:",
    "aws:ec2/routeTable",
    "aws:ec2/route:",
    "aws:ec2/mainRouteTableAssociation:",
    "aws:ec2/internetGateway:",
    "aws:ec2/egressOnlyInternetGateway:",
    "aws:ec2/securityGroup",
    "aws:ec2/defaultSecurityGroup:",
    "aws:ec2/defaultNetworkAcl:",
    "aws:ec2/defaultRouteTable:",
    "aws:ec2/networkAcl",
    "aws:ec2/vpcDhcpOptions",
    "aws:ec2/vpcEndpointRouteTableAssociation:",
    "aws:ec2/vpcEndpointSubnetAssociation:",
    "aws:ec2/launchTemplate:",
    "aws:ec2/flowLog:",
    "aws:ec2/tag:",
    "aws:autoscaling/tag:",
    "aws:vpc/securityGroup",
    "aws:eks/addon:",
    "aws:eks/accessEntry:",
    "aws:eks/accessPolicyAssociation:",
    "aws:eks/podIdentityAssociation:",
    "aws:eks/identityProviderConfig:",
    "aws:kms/alias:",
    "aws:kms/keyPolicy:",
    "aws:s3/bucketPublicAccessBlock",
    "aws:s3/bucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:",
    "aws:s3/bucketOwnershipControls:",
    "aws:s3/bucketLogging",
    "aws:s3/bucketNotification:",
    "aws:s3/bucketCorsConfiguration",
    "aws:ecr/lifecyclePolicy:",
    "aws:ecr/repositoryPolicy:",
    "aws:ecr/registryScanningConfiguration:",
    "aws:ecr/pullThroughCacheRule:",
    "aws:sns/topicSubscription:",
    "aws:sns/topicPolicy:",
    "aws:cloudwatch/logResourcePolicy:",
    "aws:cloudwatch/logSubscriptionFilter:",
    "aws:cloudwatch/eventRule:",
    "aws:cloudwatch/eventTarget:",
    "aws:cloudwatch/logDataProtectionPolicy:",
    "aws:sagemaker/model:",
    "aws:sagemaker/endpointConfiguration:",
    "aws:sagemaker/modelPackageGroup",
    "aws:sagemaker/dataQualityJobDefinition:",
    "aws:sagemaker/modelQualityJobDefinition:",
    "aws:appautoscaling/",
    "aws:route53/record:",
    "aws:route53/zoneAssociation:",
    "aws:route53/vpcAssociationAuthorization:",
    "aws:acm/",
    "aws:apigateway/",  # after restApi: stages, deployments, methods, usage plans, keys, domains, account
    "aws:apigatewayv2/",
    "aws:lb/listener",
    "aws:lb/targetGroup",
    "aws:alb/listener",
    "aws:alb/targetGroup",
    "aws:budgets/budget:",
    "aws:ssm/parameter:",
)


# Types known to cost money that the table cannot price yet: listed under not_priced with this reason.
UNPRICED_REASONS: dict[str, str] = {
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "composite alarms are billed per alarm-month; no row in the table",
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": (
        "runs a processing job per schedule (instance-hours); job instance usage is not estimated"
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        "cross-region replication bills transfer and replica storage; not estimated"
    ),
    "aws:secretsmanager/secret:Secret": "secrets are billed per secret-month; no row in the table",
}

GLOBAL_TYPES = ("aws:route53/",)


def is_free(type_: str) -> bool:
    return type_ not in PRICERS and type_.startswith(FREE_PREFIXES)


def top_component(r: Resource, by_urn: dict[str, Resource]) -> Resource | None:
    """The outermost component resource above `r` (below the stack), or None for a top-level resource."""
    top: Resource | None = None
    seen: set[str] = set()
    cur = by_urn.get(r.parent or "")
    while cur is not None and cur.type != STACK_TYPE and cur.urn not in seen:
        seen.add(cur.urn)
        top = cur
        cur = by_urn.get(cur.parent or "")
    return top


def _total(values: list[tuple[float, float]]) -> dict[str, float]:
    return {"baseline": round(sum(b for b, _ in values), 2), "peak": round(sum(p for _, p in values), 2)}


def _suffixes(env: Any) -> list[str]:
    """Resource-name suffix per region of the environment ('' in the primary, '-<region>' elsewhere)."""
    return [""] + ([f"-{env.regions.secondary}"] if env.regions.secondary else [])


def _node_floors(env: Any) -> dict[str, tuple[int, str]]:
    from inferstack.capacity import plan

    out: dict[str, tuple[int, str]] = {}
    for gp in plan(env).values():
        if not gp.nodes_min:
            continue
        parts = ", ".join(
            f"{n.model} {n.pods_min} pod(s) x {n.gpus_per_replica} GPU -> {n.nodes_min} node(s)"
            for n in gp.needs
            if n.nodes_min
        )
        why = f"the minimum replicas need {gp.nodes_min} ({parts})"
        for sfx in _suffixes(env):
            out[f"gpu-{gp.name}{sfx}"] = (gp.nodes_min, why)
    return out


def estimate_preview(
    result: PreviewResult, env: Any = None, table: PriceTable | None = None, today: datetime.date | None = None
) -> dict[str, Any]:
    """The `cost` field of the preview JSON for `result`; `env` (an Environment) gives the default region, the
    AZ count used where a preview value is unknown, and the deployments whose minimum replicas set the GPU
    baseline. `today` (default: the real date) decides standard vs extended EKS support pricing."""
    table = table or load_prices()
    default_region = env.regions.primary if env is not None else "us-east-1"
    azs = env.network.availability_zones if env is not None else 2
    ctx = Context(
        table=table,
        result=result,
        default_region=default_region,
        availability_zones=azs,
        today=today or datetime.date.today(),
        node_floors=_node_floors(env) if env is not None else {},
    )
    items: list[dict[str, Any]] = []
    not_priced: list[dict[str, Any]] = []
    free: Counter[str] = Counter()
    groups: dict[str, dict[str, Any]] = {}
    for r in sorted(result.resources, key=lambda x: x.urn):
        if not r.custom or r.type.startswith("pulumi:"):
            continue  # components, the stack and providers are not cloud resources
        pricer = PRICERS.get(r.type)
        if pricer is None:
            if is_free(r.type):
                free[r.type] += 1
            else:
                reason = UNPRICED_REASONS.get(r.type, "no price rule for this resource type")
                not_priced.append({"urn": r.urn, "type": r.type, "reason": reason})
            continue
        region = "global" if r.type.startswith(GLOBAL_TYPES) else ctx.region_of(r)
        try:
            comps = pricer(ctx, r, region)
        except NotPricedError as exc:
            not_priced.append({"urn": r.urn, "type": r.type, "reason": str(exc)})
            continue
        if not comps:
            free[r.type] += 1
            continue
        monthly = _total([c.monthly() for c in comps])
        top = top_component(r, ctx.by_urn)
        group_key = top.urn if top else "(stack)"
        items.append(
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "region": region,
                "top_component": top.urn if top else None,
                "monthly_usd": monthly,
                "components": [c.to_json() for c in comps],
            }
        )
        group = groups.setdefault(
            group_key,
            {
                "component": top.urn if top else None,
                "name": f"{top.type} {top.name}" if top else "(stack)",
                "values": [],
            },
        )
        group["values"].append((monthly["baseline"], monthly["peak"]))
    by_component = [
        {"component": g["component"], "name": g["name"], "monthly_usd": _total(g["values"])}
        for _, g in sorted(groups.items(), key=lambda kv: kv[1]["name"])
    ]
    return {
        "currency": "USD",
        "hours_per_month": HOURS_PER_MONTH,
        "monthly_usd": _total([(i["monthly_usd"]["baseline"], i["monthly_usd"]["peak"]) for i in items]),
        "by_component": by_component,
        "by_deployment": _by_deployment(env, items, ctx) if env is not None else [],
        "items": items,
        "not_priced": not_priced,
        "free": {"count": sum(free.values()), "types": dict(sorted(free.items()))},
        "resources": {
            "estimated": len(items),
            "free": sum(free.values()),
            "not_priced": len(not_priced),
        },
        "assumptions": {k: {"value": u.value, "unit": u.unit, "description": u.description} for k, u in USAGE.items()},
    }


def _per_node_monthly(item: dict[str, Any]) -> float:
    """Monthly cost of one node of a node-group item (instance + volumes), from its peak figures."""
    nodes = item["components"][0]["quantity"]["peak"] / HOURS_PER_MONTH  # the instance-hours component
    if not nodes:
        return 0.0
    return sum(c["unit_price"] * c["quantity"]["peak"] / nodes for c in item["components"])


def _by_deployment(env: Any, items: list[dict[str, Any]], ctx: Context) -> list[dict[str, Any]]:
    """Per deployment and region: its own resources (its serving component) plus the GPU nodes it needs."""
    from inferstack.capacity import plan

    needs = {n.model: (gp.name, n) for gp in plan(env).values() for n in gp.needs}
    by_top: dict[str | None, list[dict[str, Any]]] = {}
    for item in items:
        by_top.setdefault(item["top_component"], []).append(item)
    tops = {r.name: r.urn for r in ctx.result.resources if not r.custom and r.type.startswith("inferstack:")}
    out: list[dict[str, Any]] = []
    for d in env.deployments:
        for sfx, region in zip(_suffixes(env), env.regions.all, strict=False):
            prefix = "triton" if d.target == "triton-eks" else "sm"
            own = by_top.get(tops.get(f"{prefix}-{d.model}{sfx}"), [])
            values = [(i["monthly_usd"]["baseline"], i["monthly_usd"]["peak"]) for i in own]
            entry: dict[str, Any] = {"deployment": d.model, "target": d.target, "region": region}
            if d.model in needs:
                group, need = needs[d.model]
                group_items = by_top.get(tops.get(f"gpu-{group}{sfx}"), [])
                node_items = [i for i in group_items if i["type"] == "aws:eks/nodeGroup:NodeGroup"]
                per_node = _per_node_monthly(node_items[0]) if node_items else 0.0
                entry["gpu_nodes"] = {
                    "group": group,
                    "baseline": need.nodes_min,
                    "peak": need.nodes_max,
                    "per_node_monthly_usd": round(per_node, 2),
                }
                values.append((round(need.nodes_min * per_node, 2), round(need.nodes_max * per_node, 2)))
            entry["monthly_usd"] = _total(values)
            per_token = token_cost(d, entry["monthly_usd"])
            if per_token is not None:
                entry["cost_per_million_output_tokens"] = per_token
            out.append(entry)
    return out


# -- cost per token (issue 16) -------------------------------------------------------------------------


def cost_per_million_tokens(monthly_usd: float, replicas: int, tokens_per_s: float) -> float | None:
    """$ per 1M output tokens of `replicas` replicas costing `monthly_usd` together, each producing `tokens_per_s`:
    (monthly / 730 h) / (replicas x tokens/s x 3600 s) x 1e6. None when nothing runs (0 replicas)."""
    if replicas <= 0 or tokens_per_s <= 0:
        return None
    hourly = monthly_usd / HOURS_PER_MONTH
    return round(hourly / (replicas * tokens_per_s * 3600) * 1e6, 4)


def token_cost(d: Any, monthly: dict[str, float]) -> dict[str, Any] | None:
    """The `cost_per_million_output_tokens` of a deployment entry: from the same monthly figures as the entry
    (baseline at the minimum replicas, peak at the maximum), for deployments that declare
    llm.throughput_tokens_per_s (measured output tokens/s of one replica at its target load). None otherwise."""
    llm = getattr(d, "llm", None)
    if llm is None or llm.throughput_tokens_per_s is None:
        return None
    scale = d.replicas if d.target == "vllm-eks" else d.instances
    if scale is None:
        return None
    tps = llm.throughput_tokens_per_s
    out: dict[str, Any] = {"throughput_tokens_per_s": tps, "replicas": {"baseline": scale.min, "peak": scale.max}}
    for key, replicas in (("baseline", scale.min), ("peak", scale.max)):
        out[key] = cost_per_million_tokens(monthly[key], replicas, tps)
    out["formula"] = (
        f"monthly $ / {HOURS_PER_MONTH} h / (replicas x {tps:g} tokens/s x 3600 s) x 1e6; baseline "
        + (
            f"{_usd(monthly['baseline'])} / {HOURS_PER_MONTH} / ({scale.min} x {tps:g} x 3600) x 1e6 = "
            f"{_usd(out['baseline'])}"
            if out["baseline"] is not None
            else "0 replicas (scaled to zero): no tokens, no per-token figure"
        )
        + f"; peak {_usd(monthly['peak'])} / {HOURS_PER_MONTH} / ({scale.max} x {tps:g} x 3600) x 1e6 = "
        f"{_usd(out['peak'] or 0)}"
    )
    return out


def _replicas(n: int) -> str:
    return f"{n} replica" if n == 1 else f"{n} replicas"


def token_cost_line(per_token: dict[str, Any]) -> str:
    """One line for the text and markdown views."""
    base = "n/a (0 replicas)" if per_token["baseline"] is None else _usd(per_token["baseline"])
    r = per_token["replicas"]
    return (
        f"$ per 1M output tokens: {base} baseline ({_replicas(r['baseline'])}), {_usd(per_token['peak'] or 0)} peak "
        f"({_replicas(r['peak'])}) at {per_token['throughput_tokens_per_s']:g} tokens/s per replica"
    )


COST_INCREASE_POLICY = "inferstack-stack-warn-cost-increase"


def previous_cost_settings(base: dict[str, Any], source: str) -> dict[str, dict[str, Any]] | None:
    """The cost-increase guardrail's previous figures from a base preview document (`preview --compare`), or
    None when the base carries no cost."""
    cost = base.get("cost")
    monthly = cost.get("monthly_usd") if isinstance(cost, dict) else None
    if not isinstance(monthly, dict):
        return None
    values = {k: monthly.get(k) for k in ("baseline", "peak")}
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
        return None
    return {
        COST_INCREASE_POLICY: {
            "previous_monthly_usd": float(values["baseline"]),  # type: ignore[arg-type]
            "previous_peak_monthly_usd": float(values["peak"]),  # type: ignore[arg-type]
            "previous_source": f"the base preview {source}",
        }
    }


def render_cost_text(cost: dict[str, Any], environment: str) -> str:
    """`inferstack cost` output: per top-level component, its resources and their components, then totals."""
    m = cost["monthly_usd"]
    lines = [f"inferstack cost estimate: environment {environment} (USD per month, {cost['hours_per_month']} h)", ""]
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for item in cost["items"]:
        by_group.setdefault(item["top_component"], []).append(item)
    # Full names (never cut) and the region in its own column: the table is as wide as its longest name.
    rows: list[tuple[str, str, float, float]] = []
    for g in cost["by_component"]:
        gm = g["monthly_usd"]
        rows.append((g["name"], "", gm["baseline"], gm["peak"]))
        for item in by_group.get(g["component"], []):
            im = item["monthly_usd"]
            label = f"  {item['name']} ({item['type'].rsplit(':', 1)[-1]})"
            rows.append((label, item["region"] or "", im["baseline"], im["peak"]))
            for c in item["components"]:
                cm = c["monthly_usd"]
                star = "*" if c["usage_based"] else ""
                rows.append(("    " + c["name"] + star, "", cm["baseline"], cm["peak"]))
    width = max([len(r[0]) for r in rows] + [len("Total")])
    rwidth = max([len(r[1]) for r in rows] + [len("region")])
    lines.append(f"{'':{width}}  {'region':{rwidth}} {'baseline':>12} {'peak':>12}")
    for label, region, base, peak in rows:
        lines.append(f"{label:{width}}  {region:{rwidth}} {_usd(base):>12} {_usd(peak):>12}")
    lines.append("-" * (width + rwidth + 28))
    lines.append(f"{'Total':{width}}  {'':{rwidth}} {_usd(m['baseline']):>12} {_usd(m['peak']):>12}")
    lines.append("")
    if cost.get("by_deployment"):
        title = "By deployment (its resources + the GPU nodes it needs)"
        labels = []
        for d in cost["by_deployment"]:
            nodes = d.get("gpu_nodes")
            label = f"  {d['deployment']} ({d['target']}, {d['region']})"
            if nodes:
                label += f", {nodes['baseline']}-{nodes['peak']} {nodes['group']} nodes"
            labels.append(label)
        dwidth = max([width, len(title), *map(len, labels)])  # full labels, never cut
        lines.append(f"{title:{dwidth}} {'baseline':>12} {'peak':>12}")
        for d, label in zip(cost["by_deployment"], labels, strict=True):
            dm = d["monthly_usd"]
            lines.append(f"{label:{dwidth}} {_usd(dm['baseline']):>12} {_usd(dm['peak']):>12}")
            if d.get("cost_per_million_output_tokens"):
                lines.append("    " + token_cost_line(d["cost_per_million_output_tokens"]))
        lines.append("")
    r = cost["resources"]
    lines.append(f"{r['estimated']} resources estimated, {r['free']} free, {r['not_priced']} not priced.")
    lines.append(
        "* usage-based: default assumptions (see docs/cost-and-pr-previews.md); baseline = minimum capacity, "
        "peak = maximum capacity."
    )
    if cost["not_priced"]:
        lines.append("Not priced (excluded from the totals):")
        for n in cost["not_priced"]:
            lines.append(f"  {n['type']} {n['urn'].rsplit('::', 1)[-1]}: {n['reason']}")
    return "\n".join(lines) + "\n"


def _usd(x: float) -> str:
    return f"${x:,.2f}"


__all__ = [
    "HOURS_PER_MONTH",
    "USAGE",
    "NotPricedError",
    "cost_per_million_tokens",
    "estimate_preview",
    "is_free",
    "render_cost_text",
    "token_cost",
]

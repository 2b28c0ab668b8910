"""Environment configuration: one pydantic model per concern, loaded from `environments/<env>.yaml`.

Components never see these models: `stacks/` maps them to component args. Every field is described,
unknown keys are rejected (`extra="forbid"`), and cross-field rules live in validators that raise
messages naming the value and the fix (the loader adds the file and the field path).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inferstack.catalog import (
    AWS_REGIONS,
    gpu_class_of_ec2,
    is_gpu_ec2_type,
    known_ec2_types,
    known_sagemaker_types,
)
from inferstack.components._limits import throttle_problem
from inferstack.components.versions import DEFAULT_KUBERNETES_VERSION, creatable_minors
from inferstack.components.versions import minor as kubernetes_minor
from inferstack.text import did_you_mean, natural_sorted, sorted_instance_types

ENV_NAMES = ("dev", "staging", "prod")
MODEL_NAME_RE = r"^[a-z][a-z0-9-]{1,46}[a-z0-9]$"


class FieldError(ValueError):
    """A validator's error about one field below the validated value: the loader adds `loc` to the error's
    path (and points at the key itself when `at_key`), so a cross-field rule names the field to change."""

    def __init__(self, message: str, loc: tuple[str | int, ...], *, at_key: bool = False) -> None:
        super().__init__(message)
        self.loc, self.at_key = loc, at_key


# CloudWatch Logs accepts only these retentionInDays values (CloudWatch Logs API Reference, PutRetentionPolicy:
# "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
# 2922, 3288, and 3653"; the same list in boto3's logs.put_retention_policy docs; read 2026-12-02).
CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)


def _cloudwatch_retention(v: int) -> int:
    if v not in CLOUDWATCH_RETENTION_DAYS:
        nearest = min(CLOUDWATCH_RETENTION_DAYS, key=lambda d: (abs(d - v), d))
        raise ValueError(
            f"{v} is not a retention CloudWatch Logs accepts; use one of "
            f"{', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))} (the nearest: {nearest})"
        )
    return v


# Tag limits (AWS "Tagging your AWS resources" / every service's Tag type docs, read 2026-12-02): at most 50
# user tags per resource, keys 1-128 and values 0-256 Unicode characters, letters, digits, spaces and
# `_ . : / = + - @`, and no `aws:` prefix in any case on keys or values (reserved for AWS).
TAG_KEY_MAX, TAG_VALUE_MAX, TAGS_PER_RESOURCE = 128, 256, 50
STACK_TAGS = ("environment", "managed-by", "model")
"""Tags the stack adds to resources besides the environment's own (all_tags, and `model` per deployment)."""
_TAG_CHARS = re.compile(r"[\w\s.:/=+\-@]*")


def tag_problem(key: str, value: str) -> str | None:
    """Why AWS would reject the tag `key: value`, or None."""
    if not 1 <= len(key) <= TAG_KEY_MAX:
        return f"tag key {key[:40]!r}... is {len(key)} characters; AWS allows at most {TAG_KEY_MAX}; shorten it"
    if len(value) > TAG_VALUE_MAX:
        return f"tag value of {key!r} is {len(value)} characters; AWS allows at most {TAG_VALUE_MAX}; shorten it"
    if key.lower().startswith("aws:"):
        return f"tag key {key!r} starts with 'aws:', which AWS reserves for its own tags; rename it"
    if value.lower().startswith("aws:"):
        return f"tag value {value!r} of {key!r} starts with 'aws:', which AWS reserves; change the value"
    for what, text in (("key", key), ("value", value)):
        if not _TAG_CHARS.fullmatch(text):
            shown = repr(text) if what == "key" else f"{text!r} of {key!r}"
            return (
                f"tag {what} {shown} has characters AWS does not allow; use letters, digits, spaces and _ . : / = + - @"
            )
    return None


# Route53 zone names: labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen, at most
# 253 characters without the final dot (RFC 1035 section 2.3.1 and 2.3.4; Route53 Developer Guide, "DNS
# domain name format", read 2026-12-02). Route53 allows other characters escaped, but records of this stack
# are `<model>.<env>.<zone>` host names, so the host-name rules apply.
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

# IAM role ARNs: arn:<partition>:iam::<12-digit account>:role/<path/>name; names of [\w+=,.@-] up to 64
# characters, paths up to 512 (IAM User Guide, "IAM identifiers" and "IAM and AWS STS quotas", read 2026-12-02).
ROLE_ARN_RE = re.compile(r"arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regions(_Model):
    """Where the environment runs. A secondary region turns on multi-region failover."""

    primary: str = Field(description="AWS region of the primary deployment, e.g. us-east-1.")
    secondary: str | None = Field(
        default=None, description="Standby region; when set, every deployment is duplicated there behind failover DNS."
    )

    @field_validator("primary", "secondary")
    @classmethod
    def _region_shape(cls, v: str | None) -> str | None:
        if v is not None and (not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", v) or v not in AWS_REGIONS):
            raise ValueError(
                f"{v!r} is not an AWS region name; {did_you_mean(v, AWS_REGIONS)}"
                f"use one of {', '.join(natural_sorted(AWS_REGIONS))}"
            )
        return v

    @model_validator(mode="after")
    def _distinct(self) -> Regions:
        if self.secondary == self.primary:
            raise ValueError(
                f"secondary region equals primary ({self.primary!r}); pick another region or remove 'secondary'"
            )
        return self

    @property
    def all(self) -> list[str]:
        return [self.primary] + ([self.secondary] if self.secondary else [])


class Network(_Model):
    """VPC layout per region."""

    cidr: str = Field(description="VPC CIDR in the primary region, /16 to /20.")
    secondary_cidr: str | None = Field(
        default=None, description="VPC CIDR in the secondary region; required when regions.secondary is set."
    )
    availability_zones: int = Field(default=2, ge=2, le=6, description="AZs to spread subnets over (>= 2).")
    nat_gateways: Literal["single", "per_az"] = Field(
        default="single", description="'single' NAT gateway (cheap) or one per AZ (survives an AZ loss)."
    )
    flow_logs_retention_days: int = Field(
        default=30, ge=1, description="Retention of the VPC flow-log group, one of the values CloudWatch Logs accepts."
    )
    interface_endpoints: bool = Field(
        default=True,
        description="Create interface endpoints (ECR api+dkr, STS, Logs, SageMaker API+runtime) in private subnets.",
    )

    @field_validator("flow_logs_retention_days")
    @classmethod
    def _flow_retention(cls, v: int) -> int:
        return _cloudwatch_retention(v)

    @field_validator("cidr", "secondary_cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as exc:
            raise ValueError(f"{v!r} is not a valid IPv4 network ({exc}); use e.g. '10.40.0.0/16'") from None
        if net.version != 4 or not 16 <= net.prefixlen <= 20:
            raise ValueError(f"{v!r} must be an IPv4 network between /16 and /20; use e.g. '10.40.0.0/16'")
        return v


class NodeSize(_Model):
    """A CPU node group size."""

    instance_type: str = Field(default="m6i.large", description="EC2 instance type of the system nodes.")
    min: int = Field(default=2, ge=1, description="Minimum nodes (>= 1: CoreDNS and the controllers live here).")
    max: int = Field(default=4, ge=1, description="Maximum nodes.")

    @model_validator(mode="after")
    def _bounds(self) -> NodeSize:
        if self.min > self.max:
            raise ValueError(f"min={self.min} exceeds max={self.max}; raise max or lower min")
        if self.instance_type not in known_ec2_types():
            cpu = [t for t in known_ec2_types() if not is_gpu_ec2_type(t)]
            raise ValueError(
                f"instance_type {self.instance_type!r} is not in the instance catalog; "
                f"{did_you_mean(self.instance_type, cpu)}use one of " + ", ".join(sorted_instance_types(cpu))
            )
        return self


class GpuNodeGroup(_Model):
    """A GPU node group: one GPU class, tainted, sized by the cluster autoscaler between min and max."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$", description="Short name, e.g. 'l4'.")
    instance_types: list[str] = Field(min_length=1, description="GPU instance types, all of one GPU class.")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="ON_DEMAND or SPOT.")
    min_size: int = Field(default=0, ge=0, description="Minimum nodes; 0 lets an idle group cost nothing.")
    max_size: int = Field(default=2, ge=1, description="Maximum nodes (>= 1).")
    ami_type: Literal["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"] = Field(
        default="AL2023_x86_64_NVIDIA", description="Accelerated EKS AMI type."
    )
    disk_size_gib: int = Field(default=200, ge=50, le=2000, description="Encrypted gp3 root volume size.")
    time_slicing_replicas: int = Field(
        default=0, ge=0, le=16, description="NVIDIA time-slicing replicas per GPU (0 = off)."
    )

    @model_validator(mode="after")
    def _gpu_rules(self) -> GpuNodeGroup:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size={self.min_size} exceeds max_size={self.max_size}; raise max_size or lower min_size"
            )
        gpus = sorted_instance_types(t for t in known_ec2_types() if is_gpu_ec2_type(t))
        unknown = [t for t in self.instance_types if t not in known_ec2_types()]
        if unknown:
            hints = "".join(did_you_mean(t, gpus) for t in unknown)
            raise ValueError(
                f"instance_types {unknown} are not in the instance catalog; {hints}use GPU types such as "
                + ", ".join(gpus)
            )
        not_gpu = [t for t in self.instance_types if not is_gpu_ec2_type(t)]
        if not_gpu:
            raise ValueError(
                f"instance_types {not_gpu} are not GPU instance types; use GPU types such as {', '.join(gpus)}"
            )
        classes = sorted({gpu_class_of_ec2(t) or "none" for t in self.instance_types})
        if len(classes) > 1:
            raise ValueError(
                f"instance_types {self.instance_types} mix GPU classes {classes}; one node group holds one GPU class, "
                "split them into separate gpu_node_groups"
            )
        return self


ControlPlaneLog = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]


RUNNER_LABEL_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class Deployer(_Model):
    """How `pulumi up` (which also deploys the Kubernetes resources) reaches the cluster's API server."""

    mode: Literal["in_vpc", "public_cidrs"] = Field(
        description="in_vpc: a runner inside the environment's VPC uses the private endpoint (the stack opens 443 on "
        "the cluster security group to runner_cidrs). public_cidrs: a runner with static public IPs uses a public "
        "endpoint restricted to cluster.public_access_cidrs."
    )
    runner_label: str = Field(
        pattern=RUNNER_LABEL_RE,
        description="GitHub Actions runner label the deploy job of this environment runs on "
        "(.github/workflows/deploy.yml `runs-on`).",
    )
    runner_cidrs: list[str] = Field(
        default_factory=list,
        description="in_vpc: CIDRs inside the primary VPC (network.cidr) where the runner's network interfaces "
        "live; each gets HTTPS (443) to the primary cluster's security group. A secondary region's cluster adds a "
        "public endpoint restricted to the primary VPC's NAT addresses (the VPCs are not peered). "
        "Unused for public_cidrs.",
    )

    @field_validator("runner_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(
                    f"runner_cidrs entry {cidr!r} is not an IPv4 network ({exc}); use e.g. '10.40.0.0/19'"
                ) from None
        return v

    @property
    def summary(self) -> str:
        """One line for the preview, e.g. "in-VPC runner (label inferstack-prod-deployer)"."""
        if self.mode == "in_vpc":
            return f"in-VPC runner (label {self.runner_label}; 443 from {', '.join(self.runner_cidrs)})"
        return f"public endpoint restricted to the runner's static CIDRs (label {self.runner_label})"


class Cluster(_Model):
    """EKS cluster settings."""

    kubernetes_version: str = Field(
        default=DEFAULT_KUBERNETES_VERSION,
        description="EKS Kubernetes minor, one of components/versions.py that is not past end of extended support; "
        "managed add-on versions are pinned per minor.",
    )
    endpoint_public_access: bool = Field(
        default=False, description="Expose the API server publicly (only to public_access_cidrs). Default private."
    )
    public_access_cidrs: list[str] = Field(
        default_factory=list, description="CIDRs allowed to reach a public endpoint; never 0.0.0.0/0."
    )
    control_plane_logs: list[ControlPlaneLog] = Field(
        default_factory=lambda: list[ControlPlaneLog](["api", "audit", "authenticator"]),
        description="Control-plane log types; api, audit and authenticator are always kept.",
    )
    admin_role_arns: list[str] = Field(
        default_factory=list, description="IAM role ARNs given cluster-admin through EKS access entries."
    )
    system_nodes: NodeSize = Field(default_factory=NodeSize, description="The CPU node group for system pods.")
    gpu_node_groups: list[GpuNodeGroup] = Field(default_factory=list, description="GPU node groups.")
    mig_strategy: Literal["none", "single", "mixed"] = Field(
        default="none", description="NVIDIA device-plugin MIG strategy."
    )
    autoscaling_service_linked_role: Literal["create", "existing"] = Field(
        default="create",
        description="'create': the stack creates AWSServiceRoleForAutoScaling (named by the environment key's "
        "policy) before the key; 'existing': the account already has it (or import it into the stack instead).",
    )
    deployer: Deployer | None = Field(
        default=None,
        description="How the deploy job reaches the API server (the program also deploys Kubernetes resources). "
        "Unset: nothing declares a path, and the stack policy inferstack-eks-cluster-require-deployer-path reports it.",
    )

    @field_validator("admin_role_arns")
    @classmethod
    def _role_arns(cls, v: list[str]) -> list[str]:
        for i, arn in enumerate(v):
            if not ROLE_ARN_RE.fullmatch(arn):
                raise FieldError(
                    f"admin_role_arns entry {arn!r} is not an IAM role ARN; use "
                    "arn:aws:iam::<12-digit account>:role/<name> (with the role's path, if any)",
                    (i,),
                )
        return v

    @field_validator("kubernetes_version")
    @classmethod
    def _creatable(cls, v: str) -> str:
        creatable = creatable_minors()
        if v in creatable:
            return v
        row = kubernetes_minor(v)
        if row is not None and row.status(datetime.date.today()) == "ended":
            why = (
                f"EKS ended extended support for {v} on {row.end_of_extended_support.isoformat()}: such clusters "
                "are auto-upgraded and new ones cannot be created"
            )
        elif row is not None:
            why = f"{v} has no pinned add-on versions in components/versions.py"
        else:
            why = f"{v!r} is not a Kubernetes minor in components/versions.py"
        raise ValueError(f"{why}; use one of {', '.join(creatable)}")

    @model_validator(mode="after")
    def _rules(self) -> Cluster:
        for required in ("api", "audit", "authenticator"):
            if required not in self.control_plane_logs:
                raise ValueError(
                    f"control_plane_logs {self.control_plane_logs} lacks {required!r}; api, audit and authenticator "
                    "are required, add it"
                )
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError(
                "endpoint_public_access is true but public_access_cidrs is empty; list the CIDRs that may reach the "
                "API server, or set endpoint_public_access: false"
            )
        for cidr in self.public_access_cidrs:
            if cidr in ("0.0.0.0/0", "::/0"):
                raise ValueError(f"public_access_cidrs contains {cidr!r}; list specific office/VPN CIDRs instead")
        self._deployer_rules()
        names = [g.name for g in self.gpu_node_groups]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"gpu_node_groups names {dupes} are repeated; give each group a unique name")
        return self

    def _deployer_rules(self) -> None:
        d = self.deployer
        if d is None:
            return
        if d.mode == "public_cidrs":
            if not self.endpoint_public_access:
                raise ValueError(
                    "deployer.mode is public_cidrs but endpoint_public_access is false; set endpoint_public_access: "
                    "true with the runner's static CIDRs in public_access_cidrs, or use deployer.mode: in_vpc"
                )
            broad = [c for c in self.public_access_cidrs if ipaddress.ip_network(c, strict=False).prefixlen < 16]
            if broad:
                raise ValueError(
                    f"deployer.mode is public_cidrs but public_access_cidrs {broad} are broader than /16; list the "
                    "runner's static egress ranges (e.g. a GitHub larger runner's assigned IP range)"
                )
            if d.runner_cidrs:
                raise ValueError(
                    f"deployer.runner_cidrs {d.runner_cidrs} only apply to mode in_vpc; remove them (public_cidrs "
                    "uses public_access_cidrs)"
                )
        else:
            if self.endpoint_public_access:
                raise ValueError(
                    "deployer.mode is in_vpc but endpoint_public_access is true; set endpoint_public_access: false "
                    "(the runner uses the private endpoint) or use deployer.mode: public_cidrs"
                )
            if not d.runner_cidrs:
                raise ValueError(
                    "deployer.mode is in_vpc but deployer.runner_cidrs is empty; list the subnet CIDRs the runner "
                    "lives in so the stack can open 443 to the cluster security group"
                )


class Serving(_Model):
    """Serving images shared by every deployment."""

    triton_image: str = Field(
        default="nvcr.io/nvidia/tritonserver:24.09-py3",
        description="Triton image for EKS, pinned by tag (optionally @sha256 digest); ':latest' is refused.",
    )
    sagemaker_triton_version: str = Field(
        default="24.09", description="SageMaker Triton container version resolved with sagemaker.core image_uris."
    )

    @field_validator("triton_image")
    @classmethod
    def _pinned(cls, v: str) -> str:
        name = v.split("@", 1)[0]
        tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
        if tag is None or tag == "latest":
            raise ValueError(
                f"{v!r} is not pinned; use an explicit tag such as 'nvcr.io/nvidia/tritonserver:24.09-py3'"
            )
        return v


class Dns(_Model):
    """Route53 records and failover health checks."""

    zone: str = Field(description="Hosted zone name, e.g. inference.example.com; records are <model>.<env>.<zone>.")
    health_check_interval_seconds: Literal[10, 30] = Field(default=30, description="Route53 health check interval.")
    failure_threshold: int = Field(default=3, ge=1, le=10, description="Consecutive failures before unhealthy.")
    ttl_seconds: int = Field(default=60, ge=0, le=86400, description="TTL of non-alias records.")
    max_failover_seconds: int = Field(
        default=300, ge=10, description="Upper bound on interval x threshold + TTL; prod must be <= 60."
    )
    weighted_primary_percent: int | None = Field(
        default=None,
        ge=1,
        le=99,
        description="Active-active split: percent of traffic to the primary (rest secondary).",
    )

    @field_validator("zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        name = v.removesuffix(".")
        labels = name.split(".")
        if not name or len(name) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(x) for x in labels):
            raise ValueError(
                f"{v!r} is not a DNS domain name (dot-separated labels of 1-63 letters, digits or hyphens, "
                "253 characters at most); use the hosted zone's name, e.g. inference.example.com"
            )
        if name != name.lower():  # TritonFront refuses host names that are not lower case
            raise ValueError(f"{v!r} has upper-case letters; write the zone in lower case ({v.lower()!r})")
        return v

    @property
    def failover_seconds(self) -> int:
        return self.health_check_interval_seconds * self.failure_threshold + self.ttl_seconds

    @model_validator(mode="after")
    def _budget(self) -> Dns:
        if self.failover_seconds > self.max_failover_seconds:
            raise ValueError(
                f"failover takes {self.failover_seconds}s (health_check_interval_seconds="
                f"{self.health_check_interval_seconds} x failure_threshold={self.failure_threshold} + ttl_seconds="
                f"{self.ttl_seconds}) which exceeds max_failover_seconds={self.max_failover_seconds}; "
                "lower ttl_seconds or failure_threshold"
                + (", or use health_check_interval_seconds: 10" if self.health_check_interval_seconds == 30 else "")
            )
        return self


class Throttle(_Model):
    """API Gateway usage-plan limits."""

    rate_per_second: float = Field(default=100, gt=0, description="Steady-state requests per second.")
    burst: int = Field(default=200, ge=1, description="Burst bucket size.")
    quota_per_day: int | None = Field(default=None, ge=1, description="Requests per day per key (None = no quota).")

    @model_validator(mode="after")
    def _bucket(self) -> Throttle:
        problem = throttle_problem(self.rate_per_second, self.burst)  # the rule InferenceApi and TritonFront apply
        if problem is not None:
            raise ValueError(problem)
        return self


class Api(_Model):
    """Regional API Gateway front door for SageMaker endpoints."""

    enabled: bool = Field(default=True, description="Create the API front door for SageMaker deployments.")
    auth: Literal["iam", "api_key"] = Field(default="iam", description="Caller authentication: SigV4 IAM or API key.")
    throttle: Throttle = Field(default_factory=Throttle, description="Usage-plan throttling.")


class Monitoring(_Model):
    """Alerting, log retention and the budget."""

    alarm_emails: list[str] = Field(default_factory=list, description="Email subscribers of the alert topic.")
    log_retention_days: int = Field(
        default=30,
        ge=1,
        description="Retention of every log group the stack creates, one of the values CloudWatch Logs accepts.",
    )
    budget_monthly_usd: float = Field(gt=0, description="Monthly AWS Budget limit for the environment's cost tag.")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        return _cloudwatch_retention(v)

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for addr in v:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", addr):
                raise ValueError(f"{addr!r} is not an email address; use e.g. 'oncall@example.com'")
        return v


class Range(_Model):
    """A min/max pair."""

    min: int = Field(ge=0, description="Minimum.")
    max: int = Field(ge=1, description="Maximum.")

    @model_validator(mode="after")
    def _order(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min={self.min} exceeds max={self.max}; raise max or lower min")
        return self


class Rollout(_Model):
    """How a new version replaces the old one."""

    strategy: Literal["all_at_once", "canary", "linear"] = Field(
        default="all_at_once", description="Blue/green traffic shifting: all_at_once, canary or linear."
    )
    canary_percent: int = Field(default=10, ge=1, le=50, description="Canary size in percent (<= 50).")
    linear_step_percent: int = Field(default=20, ge=10, le=50, description="Linear step in percent (10-50).")
    wait_minutes: int = Field(default=10, ge=0, le=60, description="Bake time between traffic shifts.")
    termination_wait_minutes: int = Field(default=5, ge=0, le=60, description="Keep the old fleet this long after.")
    canary_version: int | None = Field(
        default=None, ge=1, description="Triton on EKS: model version served by the canary Deployment."
    )


class Autoscaling(_Model):
    """Scaling signal targets."""

    queue_time_us: int = Field(default=50000, ge=100, description="Triton: target avg per-request queue time (us).")
    invocations_per_instance: int = Field(
        default=70, ge=1, description="SageMaker: invocations per instance per minute."
    )
    backlog_per_instance: float = Field(default=5, gt=0, description="SageMaker async: backlog per instance target.")
    off_hours_schedule: bool = Field(default=False, description="Scale real-time endpoints to min at night (dev).")


class DataCapture(_Model):
    """SageMaker data capture and drift monitoring."""

    enabled: bool = Field(default=False, description="Capture requests/responses to S3 (KMS) and monitor drift.")
    sampling_percent: int = Field(default=10, ge=1, le=100, description="Percent of requests captured.")


class AsyncInference(_Model):
    """SageMaker asynchronous inference."""

    max_concurrent_invocations: int = Field(default=4, ge=1, le=1000, description="Per instance.")


# -- LLM serving (issue 16; inferstack/llm/planner.py sizes these) -------------------------------------

LLM_TARGETS = ("vllm-eks", "sagemaker-llm")
EKS_TARGETS = ("triton-eks", "vllm-eks")


class LlmServing(_Model):
    """LLM deployments (targets vllm-eks and sagemaker-llm): what the GPU memory planner sizes."""

    max_model_len: int = Field(
        ge=16, description="Longest sequence (prompt + output tokens) served; vLLM --max-model-len."
    )
    max_concurrent_sequences: int = Field(
        ge=1, le=4096, description="Sequences batched at once; vLLM --max-num-seqs. KV cache is sized for all of them."
    )
    gpu_memory_utilization: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of each GPU's memory the engine may use; vLLM --gpu-memory-utilization (default 0.9).",
    )
    tensor_parallel: int | None = Field(
        default=None,
        ge=1,
        le=8,
        description="Tensor-parallel degree (= GPUs per replica); default: the smallest degree that fits.",
    )
    throughput_tokens_per_s: float | None = Field(
        default=None,
        gt=0,
        description="Measured output tokens per second of one replica at the target load; gives the cost per 1M "
        "output tokens.",
    )


# -- end LLM serving -------------------------------------------------------------------------------


class Deployment(_Model):
    """One pinned model version deployed to a serving target."""

    model: str = Field(pattern=MODEL_NAME_RE, description="Model package name under model_packages/.")
    version: int = Field(ge=1, description="Pinned model package version.")
    target: Literal["triton-eks", "sagemaker", "sagemaker-async", "vllm-eks", "sagemaker-llm"] = Field(
        description="Where it is served: Triton packages on triton-eks / sagemaker / sagemaker-async, LLM packages "
        "(kind: llm) on vllm-eks / sagemaker-llm."
    )
    gpu_node_group: str | None = Field(default=None, description="triton-eks, vllm-eks: the GPU node group it runs on.")
    gpus_per_replica: int = Field(
        default=1, ge=1, le=8, description="triton-eks: GPUs per pod (vllm-eks: the plan's tensor-parallel degree)."
    )
    replicas: Range | None = Field(default=None, description="triton-eks, vllm-eks: HPA min/max replicas.")
    llm: LlmServing | None = Field(default=None, description="vllm-eks, sagemaker-llm: LLM serving settings.")
    instance_type: str | None = Field(default=None, description="sagemaker*: ml.* instance type.")
    instances: Range | None = Field(default=None, description="sagemaker*: autoscaling min/max instance count.")
    autoscaling: Autoscaling = Field(default_factory=Autoscaling, description="Scaling targets.")
    rollout: Rollout = Field(default_factory=Rollout, description="Safe rollout settings.")
    data_capture: DataCapture = Field(default_factory=DataCapture, description="SageMaker data capture / drift.")
    async_inference: AsyncInference = Field(default_factory=AsyncInference, description="sagemaker-async settings.")

    @property
    def key(self) -> str:
        return self.model

    @model_validator(mode="after")
    def _by_target(self) -> Deployment:
        self._llm_rules()
        if self.target in EKS_TARGETS:
            if self.gpu_node_group is None:
                raise ValueError(f"target {self.target} needs gpu_node_group; name one of cluster.gpu_node_groups")
            if self.replicas is None:
                raise ValueError(f"target {self.target} needs replicas: {{min: N, max: M}}")
            if self.replicas.min < 1:
                raise ValueError(
                    f"replicas.min={self.replicas.min} for {self.target}; use >= 1 (HPA cannot scale from 0)"
                )
            for f in ("instance_type", "instances"):
                if getattr(self, f) is not None:
                    raise ValueError(f"{f} applies to SageMaker targets only; remove it for target {self.target}")
        else:
            if self.instance_type is None:
                raise ValueError(f"target {self.target} needs instance_type, e.g. ml.g6.xlarge")
            if self.instance_type not in known_sagemaker_types():
                raise ValueError(
                    f"instance_type {self.instance_type!r} is not in the instance catalog; "
                    f"{did_you_mean(self.instance_type, known_sagemaker_types())}use one of "
                    + ", ".join(sorted_instance_types(known_sagemaker_types()))
                )
            if self.instances is None:
                raise ValueError(f"target {self.target} needs instances: {{min: N, max: M}}")
            if self.target == "sagemaker" and self.instances.min < 1:
                raise ValueError(
                    f"instances.min={self.instances.min} for a real-time endpoint; use >= 1 "
                    "(only sagemaker-async and sagemaker-llm inference components scale to zero)"
                )
            for f in ("gpu_node_group", "replicas"):
                if getattr(self, f) is not None:
                    raise ValueError(
                        f"{f} applies to EKS targets (triton-eks, vllm-eks) only; remove it for target {self.target}"
                    )
            if self.rollout.canary_version is not None:
                raise ValueError("rollout.canary_version applies to triton-eks; SageMaker rollouts use blue/green")
        return self

    def _llm_rules(self) -> None:
        if self.target in LLM_TARGETS:
            if self.llm is None:
                raise ValueError(
                    f"target {self.target} needs llm: {{max_model_len: N, max_concurrent_sequences: M}}; the GPU "
                    "memory planner sizes the KV cache from them"
                )
            if self.gpus_per_replica != 1:
                raise ValueError(
                    f"gpus_per_replica={self.gpus_per_replica} does not apply to {self.target}: GPUs per replica are "
                    f"the tensor-parallel degree; set llm.tensor_parallel: {self.gpus_per_replica} instead"
                )
        elif self.llm is not None:
            raise ValueError(
                f"llm applies to LLM targets ({', '.join(LLM_TARGETS)}) only; remove it for target {self.target}"
            )


EnforcementLevel = Literal["advisory", "mandatory", "disabled", "remediate"]


class PolicySettings(_Model):
    """Per-environment guardrail settings; merged over the packs' per-environment defaults."""

    enforcement: dict[str, EnforcementLevel] = Field(
        default_factory=dict, description="Enforcement level per policy name, overriding the environment default."
    )
    config: dict[str, dict[str, object]] = Field(
        default_factory=dict, description="Per-policy configuration (limits), validated against its config_schema."
    )


class Environment(_Model):
    """A deployable environment: `environments/<name>.yaml`."""

    name: Literal["dev", "staging", "prod"] = Field(description="Environment name; must match the file and stack.")
    regions: Regions = Field(description="Primary and optional secondary region.")
    network: Network = Field(description="VPC layout.")
    cluster: Cluster = Field(default_factory=Cluster, description="EKS cluster and node groups.")
    serving: Serving = Field(default_factory=Serving, description="Serving images.")
    dns: Dns = Field(description="Route53 zone and failover settings.")
    api: Api = Field(default_factory=Api, description="API Gateway front door.")
    monitoring: Monitoring = Field(description="Alerting, retention, budget.")
    deployments: list[Deployment] = Field(default_factory=list, description="Pinned model deployments.")
    policies: PolicySettings = Field(default_factory=PolicySettings, description="Guardrail overrides.")
    tags: dict[str, str] = Field(description="Tags on every resource; must include owner and cost-center.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [k for k in ("owner", "cost-center") if not v.get(k)]
        if missing:
            raise ValueError(f"tags lacks {missing}; add them (cost allocation and ownership need both)")
        if "environment" in v:
            raise ValueError("tags.environment is set by the stack from the environment name; remove it")
        for key, value in v.items():
            problem = tag_problem(key, value)
            if problem is not None:
                raise FieldError(problem, (key,), at_key="tag key" in problem)
        room = TAGS_PER_RESOURCE - len(STACK_TAGS)
        if len(v) > room:
            raise ValueError(
                f"tags has {len(v)} entries; with the {len(STACK_TAGS)} the stack adds ({', '.join(STACK_TAGS)}) "
                f"that passes AWS's {TAGS_PER_RESOURCE} tags per resource; keep at most {room}"
            )
        return v

    @model_validator(mode="after")
    def _cross(self) -> Environment:
        if self.regions.secondary and not self.network.secondary_cidr:
            raise ValueError(
                "regions.secondary is set but network.secondary_cidr is not; add a non-overlapping CIDR for the "
                "secondary VPC"
            )
        secondary = self.network.secondary_cidr
        if secondary and ipaddress.ip_network(secondary).overlaps(ipaddress.ip_network(self.network.cidr)):
            raise FieldError(
                f"network.secondary_cidr {secondary} overlaps network.cidr {self.network.cidr}; pick a range outside "
                f"it, e.g. {_next_range(self.network.cidr)}",
                ("network", "secondary_cidr"),
            )
        if self.dns.weighted_primary_percent is not None and not self.regions.secondary:
            raise FieldError(
                "dns.weighted_primary_percent splits traffic between two regions but regions.secondary is not set; "
                "add a secondary region or remove weighted_primary_percent",
                ("dns", "weighted_primary_percent"),
            )
        self._runner_inside_vpc()
        groups = {g.name for g in self.cluster.gpu_node_groups}
        seen: set[str] = set()
        for i, d in enumerate(self.deployments):
            if d.model in seen:
                raise ValueError(f"deployments[{i}] deploys {d.model!r} twice; keep one entry per model")
            seen.add(d.model)
            if d.target in EKS_TARGETS and d.gpu_node_group not in groups:
                raise ValueError(
                    f"deployments[{i}].gpu_node_group {d.gpu_node_group!r} is not defined; use one of "
                    f"{sorted(groups) or 'none (add cluster.gpu_node_groups)'}"
                )
        if self.name == "prod" and self.dns.failover_seconds > 60:
            raise ValueError(
                f"prod must fail over within 60s but dns settings give {self.dns.failover_seconds}s; lower "
                "dns.ttl_seconds or dns.failure_threshold"
                + (
                    ", or use dns.health_check_interval_seconds: 10"
                    if self.dns.health_check_interval_seconds == 30
                    else ""
                )
            )
        return self

    def _runner_inside_vpc(self) -> None:
        d = self.cluster.deployer
        if d is None or d.mode != "in_vpc":
            return
        vpc = ipaddress.IPv4Network(self.network.cidr)
        for cidr in d.runner_cidrs:
            if not ipaddress.IPv4Network(cidr).subnet_of(vpc):
                raise ValueError(
                    f"cluster.deployer.runner_cidrs entry {cidr!r} is outside the primary VPC {self.network.cidr}; "
                    "an in-VPC runner lives in the primary VPC (the VPCs are not peered, so nothing routes the "
                    "API's answers anywhere else), so use a subnet of network.cidr, or deployer.mode: public_cidrs"
                )


def _next_range(cidr: str) -> str:
    """The same-sized network right after `cidr` (a suggestion for a non-overlapping range)."""
    net = ipaddress.IPv4Network(cidr)
    after = int(net.broadcast_address) + 1
    return str(ipaddress.IPv4Network((after % 2**32, net.prefixlen)))


def all_tags(env: Environment) -> dict[str, str]:
    """The tags every taggable resource carries."""
    return {**env.tags, "environment": env.name, "managed-by": "inferstack"}


__all__ = ["ENV_NAMES", "LLM_TARGETS", "Deployment", "Environment", "GpuNodeGroup", "LlmServing", "all_tags"]

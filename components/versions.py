"""Every pinned version the platform components install, in one place, as dated data.

`KUBERNETES_MINORS` is the source: per Kubernetes minor its EKS release, end of standard and end of
extended support dates, and the EKS managed add-on and cluster-autoscaler pins for that minor. The public
tables the components read (`EKS_ADDON_VERSIONS`, `SUPPORTED_KUBERNETES_VERSIONS`,
`CLUSTER_AUTOSCALER_IMAGE_TAGS`, `HELM_CHARTS`) are derived from it. Bump here, preview, and the diff shows
exactly which add-ons and charts change.

Lifecycle (EKS user guide, "Understand the Kubernetes version lifecycle on EKS", read 2026-12-02 via search):
a minor has 14 months of standard support from its EKS release, then 12 months of extended support at
$0.60 per cluster-hour instead of $0.10 (AWS containers blog "Amazon EKS extended support for Kubernetes
versions pricing"); past the end of extended support a cluster is auto-upgraded and the version can no longer
be created. Dates: /work/shared/reference/eks_versions.md (endoflife.date/amazon-eks and the EKS release
calendar), cross-checked with endoflife.date/amazon-eks via search on 2026-12-02. 1.36 is not listed: its EKS
release and support dates could not be confirmed offline (the EKS kube-proxy page lists a 1.36 add-on, so it
exists); add it with its dates once confirmed.

This data ages: `check_fresh()` fails (the config loader turns it into an `inferstack validate` error and a
test runs it) once today is past the newest minor's end of standard support.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

SupportStatus = Literal["standard", "extended", "ended", "unknown"]

WARN_DAYS_BEFORE_END_OF_STANDARD = 60
"""The supported-version policy warns this many days before a minor leaves standard support."""

VERSIONS_FILE = "components/versions.py"


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart pinned by repository, chart name and version."""

    repo: str
    chart: str
    version: str


@dataclass(frozen=True)
class KubernetesMinor:
    """One Kubernetes minor on EKS: its support calendar and what inferstack pins for it."""

    minor: str
    eks_release: datetime.date
    end_of_standard_support: datetime.date
    end_of_extended_support: datetime.date
    addons: dict[str, str] = field(default_factory=dict)
    """EKS managed add-on name -> addon_version; empty when inferstack has no pins for this minor."""
    cluster_autoscaler_image_tag: str | None = None
    """registry.k8s.io/autoscaling/cluster-autoscaler tag; its minor must equal the cluster's."""
    charts: dict[str, str] = field(default_factory=dict)
    """Helm chart name -> chart version for this minor, over the version in HELM_CHARTS."""

    def status(self, today: datetime.date) -> SupportStatus:
        if today <= self.end_of_standard_support:
            return "standard"
        if today <= self.end_of_extended_support:
            return "extended"
        return "ended"

    @property
    def pinned(self) -> bool:
        return bool(self.addons) and self.cluster_autoscaler_image_tag is not None


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


KUBERNETES_MINORS: dict[str, KubernetesMinor] = {
    m.minor: m
    for m in (
        # Past the end of extended support: kept for the calendar (the policy names the dates), no pins.
        KubernetesMinor("1.29", _d("2024-01-23"), _d("2025-03-23"), _d("2026-03-23")),
        KubernetesMinor("1.30", _d("2024-05-23"), _d("2025-07-23"), _d("2026-07-23")),
        KubernetesMinor("1.31", _d("2024-09-26"), _d("2025-11-26"), _d("2026-11-26")),
        # In extended support on 2026-12-02 (priced at $0.60/h). Pins carried over from the previous table
        # (not re-verified in this change).
        KubernetesMinor(
            "1.32",
            _d("2025-01-25"),
            _d("2026-03-23"),
            _d("2027-03-23"),
            addons={
                "vpc-cni": "v1.19.2-eksbuild.1",
                "kube-proxy": "v1.32.0-eksbuild.2",
                "coredns": "v1.11.4-eksbuild.2",
                "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
            },
            cluster_autoscaler_image_tag="v1.32.1",
        ),
        KubernetesMinor(
            "1.33",
            _d("2025-05-28"),
            _d("2026-07-29"),
            _d("2027-07-29"),
            addons={
                "vpc-cni": "v1.19.5-eksbuild.1",
                "kube-proxy": "v1.33.0-eksbuild.2",
                "coredns": "v1.12.1-eksbuild.2",
                "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
            },
            cluster_autoscaler_image_tag="v1.33.0",
        ),
        # Standard support ends on 2026-12-02 itself: no pins, use 1.35.
        KubernetesMinor("1.34", _d("2025-10-06"), _d("2026-12-02"), _d("2027-12-02")),
        KubernetesMinor(
            "1.35",
            _d("2026-01-28"),
            _d("2027-03-27"),
            _d("2028-03-27"),
            addons={
                # vpc-cni, coredns and eks-pod-identity-agent: the EKS *default* versions for 1.35 as
                # `aws eks describe-addon-versions --kubernetes-version 1.35` returned them on 2026-08-04
                # (ap-northeast-2), recorded in a public Terraform root on GitHub (found with the code index's
                # find_string, 2026-12-02); other public 1.35 stacks pin the same coredns and pod identity agent
                # builds. Not checked against AWS's own pages (their 1.35 rows were not readable offline): confirm
                # with that command before a deploy.
                "vpc-cni": "v1.22.3-eksbuild.1",
                # Confirmed: EKS user guide "Manage kube-proxy", table of add-on versions per minor
                # (docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md, read 2026-12-02 via
                # search: 1.35 -> v1.35.3-eksbuild.13).
                "kube-proxy": "v1.35.3-eksbuild.13",
                "coredns": "v1.13.2-eksbuild.11",
                "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
                # No `amazon-cloudwatch-observability` pin: no 1.35 version could be confirmed offline, so
                # ClusterAddons leaves addon_version unset and EKS installs its default for the minor. (The pin
                # v4.4.0-eksbuild.1 recorded for 1.31 went with 1.31, which can no longer be created.)
            },
            # Confirmed: git tag cluster-autoscaler-1.35.2 (2026-07-22) in github:kubernetes/autoscaler
            # (snapshot 2026-08-22); the image is registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2.
            cluster_autoscaler_image_tag="v1.35.2",
            # Confirmed: tag cluster-autoscaler-chart-9.59.0 (2026-07-21) in github:kubernetes/autoscaler,
            # Chart.yaml appVersion 1.35.0.
            charts={"cluster-autoscaler": "9.59.0"},
        ),
    )
}

ADDON_NAMES: tuple[str, ...] = ("vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent")
"""The add-ons every pinned minor carries; a minor's `addons` may hold more (e.g. an
`amazon-cloudwatch-observability` pin), read by the component that installs it."""


def minor(version: str) -> KubernetesMinor | None:
    """The calendar row of `version` ("1.35"), or None when the calendar does not know it."""
    return KUBERNETES_MINORS.get(version)


def support_status(version: str, today: datetime.date | None = None) -> SupportStatus:
    """standard / extended / ended on `today` (default: the real today), unknown for a minor not in the table."""
    row = minor(version)
    return row.status(today or datetime.date.today()) if row else "unknown"


def creatable_minors(today: datetime.date | None = None) -> tuple[str, ...]:
    """Pinned minors a new cluster can still be created with on `today` (standard or extended support)."""
    day = today or datetime.date.today()
    return tuple(m.minor for m in KUBERNETES_MINORS.values() if m.pinned and m.status(day) != "ended")


def standard_minors(today: datetime.date | None = None) -> tuple[str, ...]:
    """Pinned minors in standard support on `today`, oldest first."""
    day = today or datetime.date.today()
    return tuple(m.minor for m in KUBERNETES_MINORS.values() if m.pinned and m.status(day) == "standard")


def newest_minor() -> KubernetesMinor:
    return max(KUBERNETES_MINORS.values(), key=lambda m: tuple(int(p) for p in m.minor.split(".")))


def check_fresh(today: datetime.date | None = None, lead_days: int = 0) -> str | None:
    """None while the newest minor has more than `lead_days` of standard support left on `today`; else the
    message saying what to update. The loader uses lead 0 (an error once the newest minor left standard
    support); the test suite uses WARN_DAYS_BEFORE_END_OF_STANDARD so CI asks for the next minor before the
    environments start getting the end-of-support warning."""
    day = today or datetime.date.today()
    newest = newest_minor()
    left = (newest.end_of_standard_support - day).days
    if left >= 0 and not (lead_days and left <= lead_days):
        return None
    verb = "left" if day > newest.end_of_standard_support else "leaves"
    return (
        f"{VERSIONS_FILE} ==> the newest Kubernetes minor in the versions table, {newest.minor}, {verb} EKS standard "
        f"support on {newest.end_of_standard_support.isoformat()} (today is {day.isoformat()}); add the next minor "
        "with its EKS release, end of standard and end of extended support dates and its add-on and "
        "cluster-autoscaler pins, then move the environments to it"
    )


# -- the public tables the components read (derived) ------------------------------------------------

EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    m.minor: dict(m.addons) for m in KUBERNETES_MINORS.values() if m.pinned
}
"""EKS managed add-ons per Kubernetes minor (check a pin with
`aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name coredns`)."""

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = creatable_minors()
"""Pinned minors that are not past the end of extended support today."""

DEFAULT_KUBERNETES_VERSION = "1.35"
"""The minor components default to; in standard support until 2027-03-27."""

CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    m.minor: m.cluster_autoscaler_image_tag
    for m in KUBERNETES_MINORS.values()
    if m.pinned and m.cluster_autoscaler_image_tag is not None
}
"""cluster-autoscaler's image must match the cluster's Kubernetes minor version."""


def helm_chart(name: str, kubernetes_version: str | None = None) -> HelmChart:
    """The pinned chart `name`, at the version the minor `kubernetes_version` pins for it when it pins one."""
    chart = HELM_CHARTS[name]
    row = minor(kubernetes_version) if kubernetes_version else None
    override = row.charts.get(name) if row is not None else None
    return HelmChart(chart.repo, chart.chart, override) if override else chart


HELM_CHARTS: dict[str, HelmChart] = {
    "nvidia-device-plugin": HelmChart("https://nvidia.github.io/k8s-device-plugin", "nvidia-device-plugin", "0.17.0"),
    "dcgm-exporter": HelmChart("https://nvidia.github.io/dcgm-exporter/helm-charts", "dcgm-exporter", "4.1.1"),
    "kube-prometheus-stack": HelmChart(
        "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "66.3.1"
    ),
    "prometheus-adapter": HelmChart(
        "https://prometheus-community.github.io/helm-charts", "prometheus-adapter", "4.11.0"
    ),
    "metrics-server": HelmChart("https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.12.2"),
    # Per-minor versions in KUBERNETES_MINORS[...].charts (helm_chart()); the image tag follows the minor
    # (CLUSTER_AUTOSCALER_IMAGE_TAGS). 9.43.2 (appVersion 1.31.0) is kept for minors that pin no chart.
    "cluster-autoscaler": HelmChart("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.43.2"),
    "aws-load-balancer-controller": HelmChart(
        "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.10.1"
    ),
}

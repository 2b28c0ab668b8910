"""Every pinned version the platform components install, in one place.

Bump here, preview, and the diff shows exactly which add-ons and charts change. EKS managed add-on
versions are pinned per Kubernetes minor version (check a new pin with
`aws eks describe-addon-versions --kubernetes-version 1.31 --addon-name coredns`); Helm charts are pinned
by chart version, and the cluster-autoscaler image follows the Kubernetes minor version as upstream asks.
"""

from __future__ import annotations

from dataclasses import dataclass

# EKS managed add-ons per Kubernetes version.
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.30": {
        "vpc-cni": "v1.19.2-eksbuild.1",
        "kube-proxy": "v1.30.9-eksbuild.3",
        "coredns": "v1.11.4-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
    },
    "1.31": {
        "vpc-cni": "v1.19.2-eksbuild.1",
        "kube-proxy": "v1.31.3-eksbuild.2",
        "coredns": "v1.11.4-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
        # `aws eks describe-addon-versions --addon-name amazon-cloudwatch-observability --kubernetes-version 1.31`
        # output quoted in aws-samples/one-observability-demo PR #392 (2025-09-15): v4.4.0-eksbuild.1, default.
        "amazon-cloudwatch-observability": "v4.4.0-eksbuild.1",
    },
    "1.32": {
        "vpc-cni": "v1.19.2-eksbuild.1",
        "kube-proxy": "v1.32.0-eksbuild.2",
        "coredns": "v1.11.4-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
    },
    "1.33": {
        "vpc-cni": "v1.19.5-eksbuild.1",
        "kube-proxy": "v1.33.0-eksbuild.2",
        "coredns": "v1.12.1-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
    },
}

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(EKS_ADDON_VERSIONS)

# cluster-autoscaler's image must match the cluster's Kubernetes minor version.
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.30": "v1.30.3",
    "1.31": "v1.31.1",
    "1.32": "v1.32.1",
    "1.33": "v1.33.0",
}


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart pinned by repository, chart name and version."""

    repo: str
    chart: str
    version: str


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
    "cluster-autoscaler": HelmChart("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.43.2"),
    "aws-load-balancer-controller": HelmChart(
        "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.10.1"
    ),
}

"""Every resource policy: a compliant case, a non-compliant case with its exact message, and a case where
the property it reads is absent. Each runs through the same analyzer path as `inferstack preview`."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.policy_cases import GPU_POD, container, deployment, messages, mutate, res

EKS = "aws:eks/cluster:Cluster"
NG = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
EPC = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
KEY = "aws:kms/key:Key"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RECORD = "aws:route53/record:Record"
SG = "aws:ec2/securityGroup:SecurityGroup"
LISTENER = "aws:lb/listener:Listener"
ECR = "aws:ecr/repository:Repository"
DEP = "kubernetes:apps/v1:Deployment"
SVC = "kubernetes:core/v1:Service"
TARGET = "aws:appautoscaling/target:Target"

CLUSTER = {
    "version": "1.35",
    "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"}},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
}
GPU_GROUP = {
    "instanceTypes": ["g6.xlarge"],
    "amiType": "AL2023_x86_64_NVIDIA",
    "capacityType": "SPOT",
    "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
}
TEMPLATE = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}],
    "networkInterfaces": [{"associatePublicIpAddress": "false"}],
    "userData": base64.b64encode(b"#!/bin/bash\n/etc/eks/bootstrap.sh\n").decode(),
}
ENDPOINT_CONFIG = {
    "kmsKeyArn": "arn:aws:kms:us-east-1:1:key/k",
    "productionVariants": [{"variantName": "AllTraffic", "instanceType": "ml.g6.xlarge", "initialInstanceCount": 2}],
    "dataCaptureConfig": {"enableCapture": True, "kmsKeyId": "arn:aws:kms:us-east-1:1:key/k"},
}
SM_MODEL = {
    "enableNetworkIsolation": True,
    "vpcConfig": {"subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    "primaryContainer": {"image": "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"},
}
REPO = {
    "imageScanningConfiguration": {"scanOnPush": True},
    "imageTagMutability": "IMMUTABLE",
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:1:key/k"}],
}
TAGS = {"owner": "ml-platform", "cost-center": "ml-1234", "environment": "prod"}


def _set(path: str, value: Any) -> Any:
    keys = path.split(".")

    def change(d: dict[str, Any]) -> None:
        for k in keys[:-1]:
            d = d[int(k)] if isinstance(d, list) else d[k]
        d[keys[-1]] = value

    return change


def _drop(path: str) -> Any:
    keys = path.split(".")

    def change(d: dict[str, Any]) -> None:
        for k in keys[:-1]:
            d = d[int(k)] if isinstance(d, list) else d[k]
        del d[keys[-1]]

    return change


def _c(change: Any) -> Any:
    """Apply `change` to the first container of a Deployment."""
    return lambda d: change(container(d))


# policy, type, compliant, non-compliant, exact message, property-absent props, messages expected when absent
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, dict[str, Any], list[str]]] = [
    (
        "aws-eks-cluster-disallow-public-endpoint",
        EKS,
        CLUSTER,
        mutate(CLUSTER, _set("vpcConfig", {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})),
        "EKS cluster 'r' exposes its API server to the whole internet (publicAccessCidrs=['0.0.0.0/0']); "
        "set cluster.endpoint_public_access: false",
        mutate(CLUSTER, _drop("vpcConfig.endpointPublicAccess")),
        [
            "EKS cluster 'r' leaves vpcConfig.endpointPublicAccess unset, which AWS treats as public; set "
            "endpointPublicAccess=false and endpointPrivateAccess=true"
        ],
    ),
    (
        "aws-eks-cluster-enable-secrets-encryption",
        EKS,
        CLUSTER,
        mutate(CLUSTER, _set("encryptionConfig.resources", [])),
        "EKS cluster 'r' does not encrypt Kubernetes secrets with KMS; set encryptionConfig {resources: [secrets], "
        "provider.keyArn: <environment key>}",
        mutate(CLUSTER, _drop("encryptionConfig")),
        [
            "EKS cluster 'r' does not encrypt Kubernetes secrets with KMS; set encryptionConfig {resources: [secrets], "
            "provider.keyArn: <environment key>}"
        ],
    ),
    (
        "aws-eks-cluster-enable-control-plane-logging",
        EKS,
        CLUSTER,
        mutate(CLUSTER, _set("enabledClusterLogTypes", ["api", "audit", "authenticator"])),
        "EKS cluster 'r' does not ship control-plane logs ['controllerManager', 'scheduler']; add them to "
        "cluster.control_plane_logs",
        mutate(CLUSTER, _drop("enabledClusterLogTypes")),
        [
            "EKS cluster 'r' does not ship control-plane logs ['api', 'audit', 'authenticator', 'controllerManager', "
            "'scheduler']; add them to cluster.control_plane_logs"
        ],
    ),
    (
        "aws-eks-cluster-configure-supported-version",
        EKS,
        CLUSTER,
        mutate(CLUSTER, _set("version", "1.27")),
        "EKS cluster 'r' runs Kubernetes 1.27, which components/versions.py does not know; set "
        "cluster.kubernetes_version to one of its minors (or add this one with its support dates)",
        mutate(CLUSTER, _drop("version")),
        [
            "EKS cluster 'r' does not pin a Kubernetes version, so EKS picks one; pin cluster.kubernetes_version to a "
            "minor of components/versions.py"
        ],
    ),
    (
        "aws-eks-cluster-warn-end-of-standard-support",
        EKS,
        CLUSTER,
        mutate(CLUSTER, _set("version", "1.33")),
        "EKS cluster 'r' runs Kubernetes 1.33, in extended support since 2026-07-29 (until 2027-07-29): the control "
        "plane costs $0.60 instead of $0.10 per hour (+$365/month); upgrade cluster.kubernetes_version to 1.35",
        mutate(CLUSTER, _drop("version")),
        [],
    ),
    (
        "aws-eks-nodegroup-disallow-remote-access",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("remoteAccess", {"ec2SshKey": "ops"})),
        "node group 'r' enables SSH remote access; remove remoteAccess and use SSM Session Manager",
        {},
        [],
    ),
    (
        "aws-eks-nodegroup-require-gpu-taint",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("taints", [])),
        "GPU node group 'r' (g6.xlarge) has no nvidia.com/gpu:NoSchedule taint, so CPU pods can take its nodes; add "
        "taint {key: nvidia.com/gpu, value: 'true', effect: NO_SCHEDULE}",
        mutate(GPU_GROUP, _drop("instanceTypes")),
        [],
    ),
    (
        "aws-eks-nodegroup-require-accelerated-ami",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("amiType", "AL2023_x86_64_STANDARD")),
        "GPU node group 'r' uses amiType AL2023_x86_64_STANDARD, which has no NVIDIA drivers; use AL2023_x86_64_NVIDIA "
        "or BOTTLEROCKET_x86_64_NVIDIA",
        mutate(GPU_GROUP, _drop("amiType")),
        [
            "GPU node group 'r' sets no amiType, so it boots the standard AMI without NVIDIA drivers; set amiType to "
            "AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA"
        ],
    ),
    (
        "aws-ec2-launchtemplate-enforce-imdsv2",
        LT,
        TEMPLATE,
        mutate(TEMPLATE, _set("metadataOptions.httpTokens", "optional")),
        "launch template 'r' allows IMDSv1 (metadataOptions.httpTokens=optional); set httpTokens='required'",
        mutate(TEMPLATE, _drop("metadataOptions")),
        ["launch template 'r' allows IMDSv1 (metadataOptions.httpTokens=unset); set httpTokens='required'"],
    ),
    (
        "aws-ec2-launchtemplate-limit-metadata-hop-limit",
        LT,
        TEMPLATE,
        mutate(TEMPLATE, _set("metadataOptions.httpPutResponseHopLimit", 2)),
        "launch template 'r' sets httpPutResponseHopLimit=2, above 1; pods could read the node role's credentials, "
        "set it to 1",
        mutate(TEMPLATE, _drop("metadataOptions.httpPutResponseHopLimit")),
        [
            "launch template 'r' does not set metadataOptions.httpPutResponseHopLimit (EKS AMIs "
            "default to 2, which lets "
            "pods reach node credentials); set it to 1"
        ],
    ),
    (
        "aws-ec2-launchtemplate-enable-ebs-encryption",
        LT,
        TEMPLATE,
        mutate(TEMPLATE, _set("blockDeviceMappings.0.ebs.encrypted", "false")),
        "launch template 'r' attaches /dev/xvda unencrypted; set ebs.encrypted='true' (and kmsKeyId)",
        mutate(TEMPLATE, _drop("blockDeviceMappings")),
        [
            "launch template 'r' declares no blockDeviceMappings, so the root volume's encryption is left to the AMI; "
            "add a mapping with ebs.encrypted='true'"
        ],
    ),
    (
        "aws-ec2-launchtemplate-disallow-public-ip",
        LT,
        TEMPLATE,
        mutate(TEMPLATE, _set("networkInterfaces.0.associatePublicIpAddress", "true")),
        "launch template 'r' networkInterfaces[0] associates a public IP; set associatePublicIpAddress='false' and "
        "keep nodes in private subnets",
        mutate(TEMPLATE, _drop("networkInterfaces")),
        [],
    ),
    (
        "aws-ec2-launchtemplate-disallow-userdata-secrets",
        LT,
        TEMPLATE,
        mutate(TEMPLATE, _set("userData", base64.b64encode(b"export AWS_KEY=AKIAABCDEFGHIJKLMNOP\n").decode())),
        "launch template 'r' user data contains an AWS access key id; read secrets at boot from Secrets Manager or "
        "SSM with the node role instead",
        mutate(TEMPLATE, _drop("userData")),
        [],
    ),
    (
        "aws-sagemaker-endpointconfig-require-kms-key",
        EPC,
        ENDPOINT_CONFIG,
        mutate(ENDPOINT_CONFIG, _set("kmsKeyArn", "")),
        "endpoint config 'r' has no kmsKeyArn; pass kms_key_arn to SageMakerEndpoint or keep its "
        "default environment key",
        mutate(ENDPOINT_CONFIG, _drop("kmsKeyArn")),
        [
            "endpoint config 'r' has no kmsKeyArn; pass kms_key_arn to SageMakerEndpoint or keep "
            "its default environment "
            "key"
        ],
    ),
    (
        "aws-sagemaker-endpointconfig-require-datacapture-kms",
        EPC,
        ENDPOINT_CONFIG,
        mutate(ENDPOINT_CONFIG, _drop("dataCaptureConfig.kmsKeyId")),
        "endpoint config 'r' captures inference data without a KMS key; set dataCaptureConfig.kmsKeyId to the "
        "environment key",
        mutate(ENDPOINT_CONFIG, _drop("dataCaptureConfig")),
        [],
    ),
    (
        "aws-sagemaker-endpointconfig-require-async-output-kms",
        EPC,
        mutate(
            ENDPOINT_CONFIG,
            _set("asyncInferenceConfig", {"outputConfig": {"s3OutputPath": "s3://b/o", "kmsKeyId": "k"}}),
        ),
        mutate(ENDPOINT_CONFIG, _set("asyncInferenceConfig", {"outputConfig": {"s3OutputPath": "s3://b/o"}})),
        "endpoint config 'r' writes async inference results without a KMS key; set "
        "asyncInferenceConfig.outputConfig.kmsKeyId",
        ENDPOINT_CONFIG,
        [],
    ),
    (
        "aws-sagemaker-model-enable-network-isolation",
        MODEL,
        SM_MODEL,
        mutate(SM_MODEL, _set("enableNetworkIsolation", False)),
        "SageMaker model 'r' does not enable network isolation; set enableNetworkIsolation=true (the container then "
        "cannot call out; model artifacts still load from S3)",
        mutate(SM_MODEL, _drop("enableNetworkIsolation")),
        [
            "SageMaker model 'r' does not enable network isolation; set "
            "enableNetworkIsolation=true (the container then "
            "cannot call out; model artifacts still load from S3)"
        ],
    ),
    (
        "aws-sagemaker-model-require-vpc-config",
        MODEL,
        SM_MODEL,
        mutate(SM_MODEL, _set("vpcConfig.subnets", [])),
        "SageMaker model 'r' has no vpcConfig with subnets and securityGroupIds; attach it to the environment's "
        "private subnets",
        mutate(SM_MODEL, _drop("vpcConfig")),
        [
            "SageMaker model 'r' has no vpcConfig with subnets and securityGroupIds; attach it to the environment's "
            "private subnets"
        ],
    ),
    (
        "aws-sagemaker-model-require-private-registry",
        MODEL,
        SM_MODEL,
        mutate(SM_MODEL, _set("primaryContainer.image", "nvcr.io/nvidia/tritonserver:24.09-py3")),
        "SageMaker model 'r' pulls nvcr.io/nvidia/tritonserver:24.09-py3 from outside ECR; use the SageMaker Triton "
        "image or mirror the image into the environment's ECR repository",
        mutate(SM_MODEL, _drop("primaryContainer")),
        ["SageMaker model 'r' declares no container image; set primaryContainer.image"],
    ),
    (
        "aws-sagemaker-endpointconfig-require-multiple-instances",
        EPC,
        ENDPOINT_CONFIG,
        mutate(ENDPOINT_CONFIG, _set("productionVariants.0.initialInstanceCount", 1)),
        "endpoint config 'r' variant AllTraffic starts 1 instance(s); run at least 2 so one AZ loss keeps serving",
        mutate(ENDPOINT_CONFIG, _drop("productionVariants.0.initialInstanceCount")),
        [
            "endpoint config 'r' variant AllTraffic starts unset instance(s); run at least 2 so "
            "one AZ loss keeps serving"
        ],
    ),
    (
        "aws-kms-key-enable-rotation",
        KEY,
        {"enableKeyRotation": True},
        {"enableKeyRotation": False},
        "KMS key 'r' does not rotate; set enableKeyRotation=true",
        {},
        ["KMS key 'r' does not rotate; set enableKeyRotation=true"],
    ),
    (
        "aws-kms-key-disallow-public-policy",
        KEY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Sid": "Root",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::1:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
                    ]
                }
            )
        },
        "KMS key 'r' policy statement Open allows any principal ('*') without a condition; name the account root or "
        "roles instead",
        {},
        [],
    ),
    (
        "aws-cloudwatch-loggroup-configure-retention",
        LOGS,
        {"retentionInDays": 90},
        {"retentionInDays": 30},
        "log group 'r' keeps logs 30 days, outside 90-3653 for this environment; change monitoring.log_retention_days",
        {},
        ["log group 'r' never expires; set retentionInDays between 90 and 3653 (monitoring.log_retention_days)"],
    ),
    (
        "aws-cloudwatch-loggroup-require-kms-key",
        LOGS,
        {"retentionInDays": 90, "kmsKeyId": "arn:k"},
        {"retentionInDays": 90},
        "log group 'r' is not encrypted with a KMS key; set kmsKeyId to the environment key (its key policy must "
        "allow logs.<region>.amazonaws.com)",
        {},
        [
            "log group 'r' is not encrypted with a KMS key; set kmsKeyId to the environment key (its key policy must "
            "allow logs.<region>.amazonaws.com)"
        ],
    ),
    (
        "aws-cloudwatch-metricalarm-require-alarm-actions",
        ALARM,
        {"alarmActions": ["arn:sns"]},
        {"alarmActions": ["arn:sns"], "actionsEnabled": False},
        "alarm 'r' has actionsEnabled=false; enable actions so it notifies",
        {},
        ["alarm 'r' has no alarmActions; send it to the environment's alert topic"],
    ),
    (
        "aws-route53-record-require-failover-health-check",
        RECORD,
        {"failoverRoutingPolicies": [{"type": "PRIMARY"}], "healthCheckId": "hc-1"},
        {"failoverRoutingPolicies": [{"type": "PRIMARY"}]},
        "failover PRIMARY record 'r' has no healthCheckId, so Route53 never fails over; attach the deployment's "
        "health check",
        {"name": "api.example.com"},
        [],
    ),
    (
        "aws-ec2-securitygroup-disallow-public-ingress",
        SG,
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
        "security group 'r' allows ports 22-22 from 0.0.0.0/0; open only [443] to the internet and reach everything "
        "else through the VPC",
        {},
        [],
    ),
    (
        "aws-lb-listener-enforce-https-tls12",
        LISTENER,
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-2016-08"},
        "listener 'r' uses TLS policy ELBSecurityPolicy-2016-08, which allows TLS < 1.2; set sslPolicy to "
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        {"port": 80},
        ["listener 'r' serves plain HTTP; listen on HTTPS (443) or redirect HTTP to HTTPS"],
    ),
    (
        "aws-ecr-repository-enable-scan-on-push",
        ECR,
        REPO,
        mutate(REPO, _set("imageScanningConfiguration.scanOnPush", False)),
        "ECR repository 'r' does not scan images on push; set imageScanningConfiguration.scanOnPush=true",
        mutate(REPO, _drop("imageScanningConfiguration")),
        ["ECR repository 'r' does not scan images on push; set imageScanningConfiguration.scanOnPush=true"],
    ),
    (
        "aws-ecr-repository-enable-immutable-tags",
        ECR,
        REPO,
        mutate(REPO, _set("imageTagMutability", "MUTABLE")),
        "ECR repository 'r' has MUTABLE tags; set imageTagMutability='IMMUTABLE'",
        mutate(REPO, _drop("imageTagMutability")),
        ["ECR repository 'r' has MUTABLE tags; set imageTagMutability='IMMUTABLE'"],
    ),
    (
        "aws-ecr-repository-require-kms-encryption",
        ECR,
        REPO,
        mutate(REPO, _set("encryptionConfigurations", [{"encryptionType": "AES256"}])),
        "ECR repository 'r' uses AES256 encryption; set encryptionConfigurations=[{encryptionType: KMS, kmsKey: "
        "<environment key>}]",
        mutate(REPO, _drop("encryptionConfigurations")),
        [
            "ECR repository 'r' uses AES256 (default) encryption; set encryptionConfigurations=[{encryptionType: KMS, "
            "kmsKey: <environment key>}]"
        ],
    ),
    (
        "kubernetes-pod-container-require-resource-limits",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["resources"].pop("requests"))),
        "Deployment 'r' container 'triton' sets no resources requests.cpu, requests.memory; declare requests and a "
        "memory limit so the scheduler and OOM killer behave",
        {"kind": "Deployment"},
        [],
    ),
    (
        "kubernetes-pod-container-require-non-root",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c.update(securityContext={**c["securityContext"], "runAsUser": 0}))),
        "Deployment 'r' container 'triton' runs as UID 0; set runAsUser to a non-zero UID and runAsNonRoot=true",
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].pop("securityContext")),
        ["Deployment 'r' container 'triton' may run as root; set securityContext.runAsNonRoot=true (and runAsUser)"],
    ),
    (
        "kubernetes-pod-container-enable-readonly-rootfs",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["securityContext"].update(readOnlyRootFilesystem=False))),
        "Deployment 'r' container 'triton' has a writable root filesystem; set readOnlyRootFilesystem=true and mount "
        "emptyDir volumes where it writes (/tmp, /dev/shm)",
        mutate(deployment(), _c(lambda c: c.pop("securityContext"))),
        [
            "Deployment 'r' container 'triton' has a writable root filesystem; set "
            "readOnlyRootFilesystem=true and mount "
            "emptyDir volumes where it writes (/tmp, /dev/shm)"
        ],
    ),
    (
        "kubernetes-pod-container-require-health-probes",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c.pop("startupProbe"))),
        "Deployment 'r' container 'triton' has no startupProbe; add them (Triton: /v2/health/ready, /v2/health/live; "
        "a startupProbe covers slow model loads)",
        {"kind": "Deployment"},
        [],
    ),
    (
        "kubernetes-pod-container-disallow-latest-tag",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c.update(image="nvcr.io/nvidia/tritonserver:latest"))),
        "Deployment 'r' container 'triton' uses unpinned image 'nvcr.io/nvidia/tritonserver:latest'; pin an explicit "
        "version tag (serving.triton_image)",
        mutate(deployment(), _c(lambda c: c.pop("image"))),
        ["Deployment 'r' container 'triton' has no image"],
    ),
    (
        "kubernetes-pod-container-disallow-privilege-escalation",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["securityContext"].update(privileged=True))),
        "Deployment 'r' container 'triton' is privileged; remove privileged=true (GPUs are exposed by the NVIDIA "
        "device plugin, not privileged mode)",
        mutate(deployment(), _c(lambda c: c.pop("securityContext"))),
        [
            "Deployment 'r' container 'triton' allows privilege escalation; set "
            "securityContext.allowPrivilegeEscalation=false"
        ],
    ),
    (
        "kubernetes-pod-container-drop-all-capabilities",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]))),
        "Deployment 'r' container 'triton' adds capabilities ['SYS_ADMIN']; remove them",
        mutate(deployment(), _c(lambda c: c["securityContext"].pop("capabilities"))),
        ["Deployment 'r' container 'triton' keeps default capabilities; set securityContext.capabilities.drop=['ALL']"],
    ),
    (
        "kubernetes-pod-spec-disallow-host-access",
        DEP,
        deployment(),
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].update(hostNetwork=True)),
        "Deployment 'r' uses hostNetwork; remove host namespaces, paths and ports",
        {"kind": "Deployment"},
        [],
    ),
    (
        "kubernetes-pod-spec-enable-seccomp-profile",
        DEP,
        deployment(),
        mutate(
            deployment(),
            lambda d: d["spec"]["template"]["spec"]["securityContext"].update(seccompProfile={"type": "Unconfined"}),
        ),
        "Deployment 'r' runs ['triton'] without a seccomp profile; set spec.securityContext.seccompProfile.type="
        "RuntimeDefault",
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile")),
        [
            "Deployment 'r' runs ['triton'] without a seccomp profile; set spec.securityContext.seccompProfile.type="
            "RuntimeDefault"
        ],
    ),
    (
        "kubernetes-pod-spec-configure-service-account",
        DEP,
        deployment(),
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].update(automountServiceAccountToken=True)),
        "Deployment 'r' automounts the Kubernetes API token; set automountServiceAccountToken=false (IRSA still "
        "injects its own web-identity token)",
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].pop("serviceAccountName")),
        [
            "Deployment 'r' runs as the namespace's default service account; create a dedicated "
            "one (IRSA role for model "
            "access)"
        ],
    ),
    (
        "kubernetes-resource-metadata-disallow-default-namespace",
        DEP,
        deployment(),
        mutate(deployment(), lambda d: d["metadata"].update(namespace="default")),
        "Deployment 'r' lands in the default namespace; set metadata.namespace to the serving namespace",
        mutate(deployment(), lambda d: d["metadata"].pop("namespace")),
        ["Deployment 'r' lands in the default namespace; set metadata.namespace to the serving namespace"],
    ),
    (
        "kubernetes-pod-container-disallow-secret-env",
        DEP,
        deployment(),
        mutate(
            deployment(),
            _c(lambda c: c.update(env=[{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])),
        ),
        "Deployment 'r' container 'triton' reads secrets from environment variables ['TOKEN']; mount the secret as a "
        "read-only volume instead",
        {"kind": "Deployment"},
        [],
    ),
    (
        "kubernetes-core-service-disallow-public-loadbalancer",
        SVC,
        {
            "metadata": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
            "spec": {"type": "LoadBalancer"},
        },
        {"metadata": {"namespace": "serving"}, "spec": {"type": "LoadBalancer"}},
        "Service 'r' creates an internet-facing load balancer; annotate service.beta.kubernetes.io/aws-load-balancer-"
        "scheme: internal, or expose it through the ALB/API front door",
        {"metadata": {"namespace": "serving"}},
        [],
    ),
    (
        "kubernetes-pod-container-configure-gpu-limits",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["resources"]["limits"].update({"nvidia.com/gpu": "0.5"}))),
        "Deployment 'r' container 'triton' asks for nvidia.com/gpu=0.5; GPUs are whole devices, use an integer >= 1",
        mutate(deployment(), _c(lambda c: c["resources"]["limits"].pop("nvidia.com/gpu"))),
        [
            "Deployment 'r' container 'triton' requests nvidia.com/gpu without a limit; extended "
            "resources are scheduled "
            "by limits, set resources.limits.nvidia.com/gpu"
        ],
    ),
    (
        "kubernetes-pod-container-limit-gpus-per-pod",
        DEP,
        deployment(),
        mutate(deployment(), _c(lambda c: c["resources"]["limits"].update({"nvidia.com/gpu": "16"}))),
        "Deployment 'r' asks for 16 nvidia.com/gpu per pod, above this environment's cap of 8; lower gpus_per_replica "
        "or raise max_gpus_per_pod in policies.config",
        mutate(deployment(), _c(lambda c: c.pop("resources"))),
        [],
    ),
    (
        "kubernetes-pod-spec-require-gpu-scheduling",
        DEP,
        deployment(),
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].pop("tolerations")),
        "Deployment 'r' uses GPUs but lacks a toleration for the nvidia.com/gpu taint",
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].pop("nodeSelector")),
        ["Deployment 'r' uses GPUs but lacks a nodeSelector or required node affinity for its GPU node group"],
    ),
    (
        "kubernetes-pod-spec-limit-shm-size",
        DEP,
        deployment(),
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"]["volumes"][0]["emptyDir"].pop("sizeLimit")),
        "Deployment 'r' volume 'shm' is a memory-backed emptyDir without sizeLimit, so it can take "
        "all node memory; set "
        "emptyDir.sizeLimit (e.g. 2Gi for /dev/shm)",
        mutate(deployment(), lambda d: d["spec"]["template"]["spec"].pop("volumes")),
        [],
    ),
    # cost pack
    (
        "aws-eks-nodegroup-restrict-instance-types",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("instanceTypes", ["x2iedn.xlarge"])),
        "'r' uses x2iedn.xlarge, whose family x2iedn is not allowed here (allowed: t3, m6i, m7i, c6i, g4dn, g5, g6, "
        "g6e, p4d, p5, inf2); pick an allowed type or extend allowed_families in policies.config",
        mutate(GPU_GROUP, _drop("instanceTypes")),
        [],
    ),
    (
        "aws-sagemaker-endpointconfig-restrict-instance-types",
        EPC,
        ENDPOINT_CONFIG,
        mutate(ENDPOINT_CONFIG, _set("productionVariants.0.instanceType", "ml.p5.48xlarge")),
        "endpoint config 'r' uses ml.p5.48xlarge, whose family p5 is not allowed here (allowed: m5, c5, g4dn, g5, g6, "
        "g6e, p4d); pick an allowed instance_type",
        mutate(ENDPOINT_CONFIG, _drop("productionVariants.0.instanceType")),
        [],
    ),
    (
        "aws-eks-nodegroup-limit-max-size",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("scalingConfig.maxSize", 40)),
        "node group 'r' may grow to 40 nodes, above this environment's 32; lower max_size or raise max_nodes in "
        "policies.config",
        mutate(GPU_GROUP, _drop("scalingConfig")),
        ["node group 'r' sets no scalingConfig.maxSize; bound it at <= 32"],
    ),
    (
        "aws-appautoscaling-target-limit-sagemaker-capacity",
        TARGET,
        {"serviceNamespace": "sagemaker", "minCapacity": 2, "maxCapacity": 6},
        {"serviceNamespace": "sagemaker", "minCapacity": 2, "maxCapacity": 20},
        "autoscaling target 'r' lets a SageMaker endpoint grow to 20 instances, above this environment's 16; lower "
        "instances.max or raise max_instances in policies.config",
        {"serviceNamespace": "sagemaker"},
        [],
    ),
    (
        "inferstack-aws-tags-require-cost-allocation",
        KEY,
        {"tags": TAGS},
        {"tags": {**TAGS, "environment": "dev"}},
        "Key 'r' is tagged environment='dev' but the stack is 'prod'; tag it with the stack's environment",
        {},
        [
            "Key 'r' lacks tags ['owner', 'cost-center', 'environment']; pass the stack tags (all_tags(env)) to the "
            "component"
        ],
    ),
    (
        "aws-provider-config-restrict-regions",
        "pulumi:providers:aws",
        {"region": "us-west-2"},
        {"region": "ap-south-1"},
        "'r' deploys to ap-south-1, which is not an allowed region (us-east-1, us-east-2, "
        "us-west-2, eu-west-1); use an "
        "allowed region or extend allowed_regions in policies.config",
        {},
        ["AWS provider 'r' sets no region, so it follows AWS_REGION of whoever runs Pulumi; set region explicitly"],
    ),
]

# Rules whose level is disabled in prod are exercised in the environment where they apply.
ENV_OF = {"aws-eks-nodegroup-require-spot-gpu": "dev", "aws-eks-nodegroup-enable-gpu-scale-to-zero": "dev"}
DEV_CASES = [
    (
        "aws-eks-nodegroup-require-spot-gpu",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("capacityType", "ON_DEMAND")),
        "GPU node group 'r' runs ON_DEMAND capacity; non-production GPU groups use SPOT (capacity_type: SPOT, several "
        "instance types for availability)",
        mutate(GPU_GROUP, _drop("capacityType")),
        [
            "GPU node group 'r' runs ON_DEMAND capacity; non-production GPU groups use SPOT "
            "(capacity_type: SPOT, several "
            "instance types for availability)"
        ],
    ),
    (
        "aws-eks-nodegroup-enable-gpu-scale-to-zero",
        NG,
        GPU_GROUP,
        mutate(GPU_GROUP, _set("scalingConfig.minSize", 1)),
        "GPU node group 'r' keeps minSize=1 GPU nodes running; set min_size: 0 so idle dev GPUs cost nothing",
        mutate(GPU_GROUP, _drop("scalingConfig")),
        ["GPU node group 'r' keeps minSize=unset GPU nodes running; set min_size: 0 so idle dev GPUs cost nothing"],
    ),
]
ALL_CASES = CASES + DEV_CASES
IDS = [c[0] for c in ALL_CASES]


@pytest.mark.parametrize(("policy", "type_", "good", "bad", "message", "absent", "absent_messages"), ALL_CASES, ids=IDS)
def test_compliant_input_passes(
    policy: str,
    type_: str,
    good: dict[str, Any],
    bad: dict[str, Any],
    message: str,
    absent: dict[str, Any],
    absent_messages: list[str],
) -> None:
    assert messages(policy, [res(type_, good)], ENV_OF.get(policy, "prod")) == []


@pytest.mark.parametrize(("policy", "type_", "good", "bad", "message", "absent", "absent_messages"), ALL_CASES, ids=IDS)
def test_non_compliant_input_reports_the_exact_message(
    policy: str,
    type_: str,
    good: dict[str, Any],
    bad: dict[str, Any],
    message: str,
    absent: dict[str, Any],
    absent_messages: list[str],
) -> None:
    assert messages(policy, [res(type_, bad)], ENV_OF.get(policy, "prod")) == [message]


@pytest.mark.parametrize(("policy", "type_", "good", "bad", "message", "absent", "absent_messages"), ALL_CASES, ids=IDS)
def test_absent_property_gives_the_documented_outcome(
    policy: str,
    type_: str,
    good: dict[str, Any],
    bad: dict[str, Any],
    message: str,
    absent: dict[str, Any],
    absent_messages: list[str],
) -> None:
    assert messages(policy, [res(type_, absent)], ENV_OF.get(policy, "prod")) == absent_messages


def test_every_resource_policy_has_a_case() -> None:
    from inferstack.policies.registry import all_rules

    resource_policies = {r.name for r in all_rules() if not r.is_stack}
    assert resource_policies == set(IDS)


def test_limits_follow_the_environment_config() -> None:
    pod = mutate(deployment(), _c(lambda c: c["resources"]["limits"].update({"nvidia.com/gpu": "2"})))
    pod = mutate(pod, _c(lambda c: c["resources"]["requests"].update({"nvidia.com/gpu": "2"})))
    policy = "kubernetes-pod-container-limit-gpus-per-pod"
    assert messages(policy, [res(DEP, pod)], "prod") == []
    assert messages(policy, [res(DEP, pod)], "dev") == [
        "Deployment 'r' asks for 2 nvidia.com/gpu per pod, above this environment's cap of 1; lower gpus_per_replica "
        "or raise max_gpus_per_pod in policies.config"
    ]
    assert messages(policy, [res(DEP, pod)], "dev", max_gpus_per_pod=2) == []


def test_gpu_pod_spec_is_read_under_template_spec_for_every_workload_kind() -> None:
    cronjob = {
        "spec": {"jobTemplate": {"spec": {"template": {"spec": mutate(GPU_POD, lambda p: p.pop("tolerations"))}}}}
    }
    found = messages("kubernetes-pod-spec-require-gpu-scheduling", [res("kubernetes:batch/v1:CronJob", cronjob)])
    assert found == ["CronJob 'r' uses GPUs but lacks a toleration for the nvidia.com/gpu taint"]


# -- issue 13, class 6: public_access_cidrs that are not CIDRs, or that together cover the internet --------

PUBLIC_ENDPOINT = "aws-eks-cluster-disallow-public-endpoint"


def _public(cidrs: list[Any]) -> list[str]:
    cluster = mutate(CLUSTER, _set("vpcConfig", {"endpointPublicAccess": True, "publicAccessCidrs": cidrs}))
    return messages(PUBLIC_ENDPOINT, [res(EKS, cluster)])


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["198.51.100.0/24", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
        ["8.8.8.8/0"],  # host bits masked off: the block is 0.0.0.0/0
        ["::/1", "8000::/1"],
        ["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],  # IPv4-mapped IPv6: all of IPv4
    ],
    ids=["two-halves", "quarters-plus-one", "host-bits", "ipv6-halves", "ipv4-mapped"],
)
def test_cidrs_that_together_cover_the_internet_fail_the_public_endpoint_policy(cidrs: list[str]) -> None:
    (found,) = _public(cidrs)
    assert f"exposes its API server to the whole internet: publicAccessCidrs={cidrs} together cover" in found
    assert "0.0.0.0/0" in found or "::/0" in found


def test_covering_both_families_names_both() -> None:
    (found,) = _public(["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"])
    assert "together cover 0.0.0.0/0 and ::/0" in found


@pytest.mark.parametrize(
    ("cidrs", "shown"),
    [
        (["office"], "['office']"),
        (["198.51.100.7"], "['198.51.100.7']"),  # an address without /prefix is not a CIDR block
        (["198.51.100.0/33"], "['198.51.100.0/33']"),
        (["300.1.1.1/32", "10.0.0.0/16"], "['300.1.1.1/32']"),
        ([5, "10.0.0.0/16"], "['5']"),
        (["0.0.0.0/0 "], None),  # a trailing space still parses: the block is 0.0.0.0/0
    ],
    ids=["word", "bare-address", "prefix-too-long", "bad-octet", "number", "padded-open"],
)
def test_entries_that_are_not_cidr_blocks_fail_the_public_endpoint_policy(cidrs: list[Any], shown: str | None) -> None:
    (found,) = _public(cidrs)
    if shown is None:
        assert "whole internet" in found
    else:
        assert f"has publicAccessCidrs entries that are not CIDR blocks: {shown}; write each as" in found


@pytest.mark.parametrize(
    "cidrs",
    [
        ["198.51.100.0/24"],
        ["0.0.0.0/1"],  # half the internet is the deployer rule's /16 finding, not "the whole internet"
        ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"],  # everything but 224.0.0.0/3
        ["2001:db8::/32"],
        ["::/1", "198.51.100.0/24"],  # half of IPv6 and one IPv4 block cover neither family
    ],
)
def test_cidrs_that_leave_part_of_the_internet_out_pass_the_public_endpoint_policy(cidrs: list[str]) -> None:
    assert _public(cidrs) == []

"""Security groups leave open the network paths the stack's workloads need (issue 12, defect classes 2 and 5).

1. ALB -> pods: every `TargetGroupBinding` (ip targets) needs its load balancer's security group admitted on the
   pod port by the security group of the pods' ENIs (the node/cluster SG the launch templates attach). Pulumi
   must own that rule: with `spec.networking`, aws-load-balancer-controller v2.10.1
   (pkg/targetgroupbinding/networking_manager.go) authorizes it on the pod ENI's SG itself, which a policy
   scoped to `elbv2.k8s.aws/cluster`-tagged groups cannot do on the EKS cluster SG.
2. SageMaker VPC mode: the SGs of models and monitoring jobs allow HTTPS to S3's prefix list (S3 behind a gateway
   endpoint is not at the VPC CIDR) and to ECR, CloudWatch Logs and metrics and KMS, through an interface
   endpoint in the same VPC or through NAT (0.0.0.0/0) (SageMaker Developer Guide, host-vpc.html /
   process-vpc.html, read 2026-12-02).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, get, items, number, stack_policy

META = RuleMeta(pack="security", levels="AMM")
TGB = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
SAGEMAKER_VPC = ("aws:sagemaker/model:Model", "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition")
SAGEMAKER_SERVICES = ("ecr.api", "ecr.dkr", "logs", "monitoring", "kms")


def _covers(rule: Any, port: float) -> bool:
    proto = str(get(rule, "ipProtocol", default=get(rule, "protocol", default="")))
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    if proto in ("-1", "all"):
        return True
    return proto in ("tcp", "6") and low is not None and high is not None and low <= port <= high


def _check_alb_paths(resources: list[Any], report: ReportViolation) -> None:
    bindings = [r for r in resources if r.resource_type == TGB]
    if not bindings:
        return
    node_sgs = {
        str(sg)
        for r in resources
        if r.resource_type == "aws:ec2/launchTemplate:LaunchTemplate"
        for ni in items(get(r.props, "networkInterfaces"))
        for sg in items(get(ni, "securityGroups"))
    }
    alb_sgs = {
        str(sg)
        for r in resources
        if r.resource_type == "aws:lb/loadBalancer:LoadBalancer"
        for sg in items(get(r.props, "securityGroups"))
    }
    rules = [r.props for r in resources if r.resource_type in INGRESS_RULES]
    # A pod SG the controller may modify: tagged with the key its policy is scoped to (aws.ec2.Tag in the stack).
    controller_sgs = {
        str(get(r.props, "resourceId"))
        for r in resources
        if r.resource_type == "aws:ec2/tag:Tag" and get(r.props, "key") == "elbv2.k8s.aws/cluster"
    }
    alb_egress = _alb_egress(resources)
    # Joining an SG id to its resource needs the dependency graph (ids are outputs): a live preview and a checkpoint
    # carry it, a preview JSON (`inferstack policy check --input preview.json`) does not, so egress is skipped there.
    has_graph = any(r.dependencies for r in resources)
    for b in bindings:
        spec = get(b.props, "spec")
        if get(spec, "networking") is not None and node_sgs and node_sgs <= controller_sgs:
            continue
        if get(spec, "networking") is not None:
            report(
                f"TargetGroupBinding {b.name!r} sets spec.networking: aws-load-balancer-controller then authorizes the "
                "rule on the pod ENI's security group (the EKS cluster SG), which its tag-scoped policy cannot "
                "modify; drop networking and add an ingress rule from the ALB SG to the pod SG in the stack",
                b.urn,
            )
            continue
        port = number(get(spec, "serviceRef", "port"))
        if port is None:
            continue
        sources = {
            str(get(rule, "referencedSecurityGroupId", default=get(rule, "sourceSecurityGroupId")))
            for rule in rules
            if str(get(rule, "securityGroupId")) in node_sgs
            and get(rule, "type", default="ingress") == "ingress"
            and _covers(rule, port)
        } & alb_sgs
        if (
            sources
            and has_graph
            and not any(_egress_reaches(e, port, node_sgs) for sg in sources for e in alb_egress.get(sg, []))
        ):
            report(
                f"TargetGroupBinding {b.name!r}: the load balancer security group admitted on the pods allows no "
                f"egress to port {int(port)} on them; add egress to the pod security group (or the VPC CIDR)",
                b.urn,
            )
        if not sources:
            report(
                f"TargetGroupBinding {b.name!r}: no ingress rule lets a load balancer security group reach port "
                f"{int(port)} on the pods' security group; add one (aws.vpc.SecurityGroupIngressRule from the ALB "
                "SG to the node/cluster SG), or targets never become healthy",
                b.urn,
            )


def _alb_egress(resources: list[Any]) -> dict[str, list[Any]]:
    """Load balancer SG id -> the inline egress of the SG resource the load balancer depends on.

    An SG id is an output, so the join goes through the dependency: the load balancer's `securityGroups` values
    belong to the SecurityGroup resources it depends on (one SG each in this stack; several are merged).
    """
    out: dict[str, list[Any]] = {}
    for lb in (r for r in resources if r.resource_type == "aws:lb/loadBalancer:LoadBalancer"):
        egress = [e for d in lb.dependencies if d.resource_type == SG for e in items(get(d.props, "egress"))]
        for sg in items(get(lb.props, "securityGroups")):
            out.setdefault(str(sg), []).extend(egress)
    return out


def _egress_reaches(rule: Any, port: float, pod_sgs: set[str]) -> bool:
    """An inline egress rule that lets traffic to `port` leave towards the pods (their SG or any CIDR)."""
    if not _covers(rule, port):
        return False
    groups = {str(g) for g in items(get(rule, "securityGroups"))}
    return bool(groups & pod_sgs) or bool(items(get(rule, "cidrBlocks")))


def _https(egress: Any) -> list[Any]:
    return [e for e in items(egress) if _covers(e, 443)]


def _check_sagemaker(resources: list[Any], report: ReportViolation) -> None:
    interface = {
        (str(get(r.props, "vpcId")), str(get(r.props, "serviceName")))
        for r in resources
        if r.resource_type == "aws:ec2/vpcEndpoint:VpcEndpoint" and get(r.props, "vpcEndpointType") == "Interface"
    }
    gateways = {
        str(get(r.props, "vpcId"))
        for r in resources
        if r.resource_type == "aws:ec2/vpcEndpoint:VpcEndpoint" and get(r.props, "vpcEndpointType") == "Gateway"
    }
    seen: set[str] = set()
    for user in (r for r in resources if r.resource_type in SAGEMAKER_VPC):
        for sg in (d for d in user.dependencies if d.resource_type == SG and d.urn not in seen):
            seen.add(sg.urn)
            vpc = str(get(sg.props, "vpcId"))
            https = _https(get(sg.props, "egress"))
            anywhere = any("0.0.0.0/0" in [str(c) for c in items(get(e, "cidrBlocks"))] for e in https)
            inside = any([str(c) for c in items(get(e, "cidrBlocks"))] not in ([], ["0.0.0.0/0"]) for e in https)
            prefix = any(items(get(e, "prefixListIds")) for e in https)
            if not (anywhere or (prefix and vpc in gateways)):
                report(
                    f"security group {sg.name!r} of {user.name!r} allows no HTTPS to S3: S3 behind the gateway "
                    "endpoint is reached at S3's prefix list, not the VPC CIDR; add egress 443 to the gateway "
                    "endpoint's prefix_list_id (Network.s3_prefix_list_id)",
                    sg.urn,
                )
            missing = [
                svc
                for svc in SAGEMAKER_SERVICES
                if not anywhere and not (inside and any(v == vpc and n.endswith(f".{svc}") for v, n in interface))
            ]
            if missing:
                report(
                    f"security group {sg.name!r} of {user.name!r} cannot reach {', '.join(missing)} on 443: add the "
                    "interface endpoints and egress to the VPC CIDR, or egress 443 to 0.0.0.0/0 through NAT",
                    sg.urn,
                )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = list(args.resources)
    _check_alb_paths(resources, report_violation)
    _check_sagemaker(resources, report_violation)


POLICY = stack_policy(
    name="inferstack-ec2-securitygroups-require-workload-paths",
    description="Security groups open the paths workloads need: ALB to pod port, SageMaker ENIs to S3 and AWS APIs.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Add the ALB -> pod SG rule in the stack (TritonService pod_security_group_id); give SageMaker SGs "
    "egress 443 to the S3 prefix list and to interface endpoints or NAT (SageMakerEndpoint s3_prefix_list_id).",
    validate=validate,
)

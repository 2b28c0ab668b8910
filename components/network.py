"""Network: a private-first VPC over N availability zones."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "sagemaker.api",
    "sagemaker.runtime",
)
"""Interface endpoints created in the private subnets when `interface_endpoints` is on."""


class NetworkArgs(TypedDict):
    cidr: str
    """VPC CIDR, an IPv4 network from /16 to /20."""
    availability_zones: Sequence[pulumi.Input[str]]
    """Zone names, at least 2; look them up with `aws.get_availability_zones_output`, never hard-code them."""
    flow_logs_kms_key_arn: pulumi.Input[str]
    """KMS key that encrypts the flow-log group."""
    nat_gateways: NotRequired[Literal["single", "per_az"]]
    """Default: "single" (cheap). "per_az" keeps egress working when one zone fails."""
    flow_logs_retention_days: NotRequired[int]
    """Default: 30."""
    interface_endpoints: NotRequired[bool]
    """Default: True: ECR api + dkr, STS, CloudWatch Logs, SageMaker API + runtime stay inside the VPC."""
    cluster_name: NotRequired[str]
    """EKS cluster using the subnets; adds `kubernetes.io/cluster/<name>: shared`. Default: none."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class Network(pulumi.ComponentResource):
    """VPC with public and private subnets per zone, NAT, flow logs (KMS) and VPC endpoints.

    Private subnets (a large block each, for pod IPs) carry `kubernetes.io/role/internal-elb`; public
    subnets carry `kubernetes.io/role/elb`, so the AWS Load Balancer Controller finds them. Nothing in
    the private subnets gets a public IP, and the VPC's default security group allows no traffic.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    nat_public_ips: list[pulumi.Output[str]]
    """Public addresses of the NAT gateways: what the internet sees of the private subnets' egress."""
    flow_log_group_name: pulumi.Output[str]
    s3_prefix_list_id: pulumi.Output[str]
    """The S3 gateway endpoint's managed prefix list: the destination a security group must allow to reach S3."""
    interface_endpoint_services: tuple[str, ...]
    """Services reachable through interface endpoints at the VPC CIDR (empty when `interface_endpoints` is off)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:Network", name, None, opts)
        cidr = args["cidr"]
        zones = list(args["availability_zones"])
        nat_mode = args.get("nat_gateways", "single")
        retention = args.get("flow_logs_retention_days", 30)
        endpoints_on = args.get("interface_endpoints", True)
        cluster_name = args.get("cluster_name")
        tags = dict(args.get("tags", {}))
        try:
            vpc_net: ipaddress.IPv4Network | None = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            vpc_net = None
        if vpc_net is None or not 16 <= vpc_net.prefixlen <= 20:
            raise ValueError(
                f"Network {name!r}: cidr={cidr!r} is not an IPv4 network from /16 to /20; use e.g. '10.40.0.0/16'"
            )
        if not 2 <= len(zones) <= 6:
            raise ValueError(
                f"Network {name!r}: availability_zones has {len(zones)} zones; EKS needs 2 to 6, pass 2 or more "
                "zone names"
            )
        if nat_mode not in ("single", "per_az"):
            raise ValueError(f"Network {name!r}: nat_gateways={nat_mode!r} is not allowed; use 'single' or 'per_az'")
        if retention < 1:
            raise ValueError(f"Network {name!r}: flow_logs_retention_days={retention} must be >= 1; use e.g. 30")

        private_cidrs, public_cidrs = subnet_plan(vpc_net, len(zones))
        child = pulumi.ResourceOptions(parent=self)
        shared = {f"kubernetes.io/cluster/{cluster_name}": "shared"} if cluster_name else {}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={**tags, "Name": f"{name}-default-deny"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=child)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={**tags, "Name": f"{name}-public"},
            opts=child,
        )
        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for i, zone in enumerate(zones):
            pub = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    **shared,
                    "Name": f"{name}-public-{i}",
                    "kubernetes.io/role/elb": "1",
                    "inferstack.io/tier": "public",
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child
            )
            public_subnets.append(pub)
            private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{i}",
                    vpc_id=vpc.id,
                    cidr_block=private_cidrs[i],
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={
                        **tags,
                        **shared,
                        "Name": f"{name}-private-{i}",
                        "kubernetes.io/role/internal-elb": "1",
                        "inferstack.io/tier": "private",
                    },
                    opts=child,
                )
            )

        nat_count = len(zones) if nat_mode == "per_az" else 1
        nats: list[aws.ec2.NatGateway] = []
        nat_ips: list[pulumi.Output[str]] = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", tags={**tags, "Name": f"{name}-nat-{i}"}, opts=child)
            nat_ips.append(eip.public_ip)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[i].id,
                    connectivity_type="public",
                    tags={**tags, "Name": f"{name}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        private_rts: list[aws.ec2.RouteTable] = []
        for i, subnet in enumerate(private_subnets):
            nat = nats[i] if nat_mode == "per_az" else nats[0]
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={**tags, "Name": f"{name}-private-{i}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child)
            private_rts.append(rt)

        # Flow logs: every accepted and rejected flow, to a KMS-encrypted log group.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/inferstack/vpc/{name}/flow-logs",
            retention_in_days=retention,
            kms_key_id=args["flow_logs_kms_key_arn"],
            tags=tags,
            opts=child,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        flow_role = aws.iam.Role(
            f"{name}-flow-logs",
            description="VPC flow logs delivery to CloudWatch Logs",
            assume_role_policy=account.apply(
                lambda acct: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": acct}},
                            }
                        ],
                    }
                )
            ),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=flow_role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "WriteOwnLogGroup",
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:*"],
                            },
                            {
                                # DescribeLogGroups lists groups account-wide: the Service Authorization Reference
                                # (list_amazoncloudwatchlogs.html, read 2026-12-02) gives it no log-group resource,
                                # so a log-group ARN never matches (issue 12, defect 7).
                                "Sid": "FindLogGroup",
                                "Effect": "Allow",
                                "Action": ["logs:DescribeLogGroups"],
                                "Resource": "*",
                            },
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )

        # S3 gateway endpoint (free) on every private route table.
        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags={**tags, "Name": f"{name}-s3"},
            opts=child,
        )
        endpoint_sg_id: pulumi.Output[str] | None = None
        if endpoints_on:
            sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        protocol="tcp", from_port=443, to_port=443, cidr_blocks=[cidr], description="HTTPS from the VPC"
                    )
                ],
                tags={**tags, "Name": f"{name}-endpoints"},
                opts=child,
            )
            endpoint_sg_id = sg.id
            for service in INTERFACE_ENDPOINT_SERVICES:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=region.apply(lambda r, s=service: f"com.amazonaws.{r}.{s}"),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in private_subnets],
                    security_group_ids=[sg.id],
                    tags={**tags, "Name": f"{name}-{service}"},
                    opts=child,
                )

        self.vpc_id = vpc.id
        self.vpc_cidr = cidr
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.endpoint_security_group_id = endpoint_sg_id
        self.nat_public_ips = nat_ips
        self.flow_log_group_name = log_group.name
        self.s3_prefix_list_id = s3_endpoint.prefix_list_id
        self.interface_endpoint_services = INTERFACE_ENDPOINT_SERVICES if endpoints_on else ()
        self.register_outputs(
            {
                "s3_prefix_list_id": self.s3_prefix_list_id,
                "vpc_id": self.vpc_id,
                "vpc_cidr": cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )


def subnet_plan(vpc: ipaddress.IPv4Network, zones: int) -> tuple[list[str], list[str]]:
    """Split the VPC in eighths: one large private block per zone (pod IPs), the seventh eighth split for public."""
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = [str(n) for n in eighths[:zones]]
    public = [str(n) for n in list(eighths[6].subnets(prefixlen_diff=3))[:zones]]
    return private, public

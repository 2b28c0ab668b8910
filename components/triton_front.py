"""TritonFront: a regional REST API in front of one Triton model's internal ALB, so failover DNS has a reachable target.

Why this shape (issue 12, defect 6). Triton sits behind an *internal* ALB whose security group admits its own
VPC only, and the two regions' VPCs are not peered. A public failover record pointing straight at those ALBs
resolves for everyone and connects for no one outside the VPC. The clients of a model are the same callers
as the SageMaker front door: applications holding IAM credentials (SigV4) or the environment's API key,
wherever they run. So each region gets

    client -> https://<model>.<env>.<zone> (public failover record)
           -> this API's regional custom domain (API Gateway, public)
           -> VPC link V2 (ENIs in the private subnets, its own security group: 443 out to the VPC only)
           -> internal ALB listener (HTTPS 443, admits the VPC CIDR, so the link's ENIs)
           -> weighted listener rule `/v2/*` -> target groups -> Triton pods (port 8000)

and a region loss is survived by the public record moving to the other region's API, detected by an HTTPS
health check on `GET /health` (proxied to Triton's `/v2/health/ready`) together with the ALB's no-healthy-hosts
alarm. The alternative (a private hosted zone shared by peered or Transit-Gateway-attached VPCs) would need
routes added to route tables the Network component manages inline and clients inside those VPCs only; the
front keeps one client story for SageMaker and Triton and one auth and throttling model.

Facts used (read 2026-12-02): REST APIs reach an ALB without an NLB through a VPC link V2, with an
`HTTP_PROXY` integration, `connectionType VPC_LINK`, `integrationTarget` = the load balancer ARN and an
`https://` uri whose host is the TLS server name (API Gateway developer guide, "Private integrations for REST
APIs" and "Set up a private integration", docs.aws.amazon.com/apigateway/latest/developerguide/
private-integration.html, set-up-private-integration.html; pulumi-aws 7.51 `apigateway.Integration.
integration_target`). VPC links V2 are `apigatewayv2.VpcLink` (subnets + security groups).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from inferstack.components._limits import throttle_problem

HEALTH_BACKEND_PATH = "/v2/health/ready"


class TritonFrontArgs(TypedDict):
    model_name: str
    """Triton model name; the API's resource names and the log group use it."""
    host_name: str
    """Fully qualified name clients call, e.g. 'text-embedder.prod.inference.example.com'. It is the custom
    domain, and the TLS server name the ALB's certificate must cover (the integration sends it as SNI/Host)."""
    zone_id: pulumi.Input[str]
    """Public hosted zone of host_name, for the certificate's DNS validation record."""
    alb_arn: pulumi.Input[str]
    """ARN of the model's internal ALB (the VPC link V2 integration target)."""
    vpc_id: pulumi.Input[str]
    """VPC of the ALB."""
    vpc_cidr: str
    """VPC CIDR: the VPC link's security group may only send HTTPS there."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets for the VPC link's network interfaces (two or more AZs)."""
    kms_key_arn: pulumi.Input[str]
    """Key of the access-log group (its policy must let logs.<region>.amazonaws.com use it)."""
    auth: NotRequired[Literal["iam", "api_key"]]
    """Default: iam (SigV4 on every inference route). api_key: a key bound to the usage plan."""
    rate_per_second: NotRequired[float]
    """Default: 100 steady-state requests per second."""
    burst: NotRequired[int]
    """Default: 200."""
    quota_per_day: NotRequired[int | None]
    """Default: None (no daily quota)."""
    stage_name: NotRequired[str]
    """Default: v1."""
    log_retention_days: NotRequired[int]
    """Default: 30."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class TritonFront(pulumi.ComponentResource):
    """Regional REST API -> VPC link V2 -> internal ALB of one Triton model, with auth, throttling and a domain."""

    rest_api_id: pulumi.Output[str]
    vpc_link_id: pulumi.Output[str]
    vpc_link_security_group_id: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    regional_zone_id: pulumi.Output[str]
    execute_api_host: pulumi.Output[str]
    health_path: str

    def __init__(self, name: str, args: TritonFrontArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:TritonFront", name, None, opts)
        model = args["model_name"]
        host = args["host_name"]
        auth = args.get("auth", "iam")
        rate = args.get("rate_per_second", 100)
        burst = args.get("burst", 200)
        quota = args.get("quota_per_day")
        stage_name = args.get("stage_name", "v1")
        retention = args.get("log_retention_days", 30)
        tags = dict(args.get("tags", {}))
        where = f"TritonFront {name!r}"
        if auth not in ("iam", "api_key"):
            raise ValueError(f"{where}: auth={auth!r} is not supported; use 'iam' or 'api_key'")
        throttled = throttle_problem(rate, burst)
        if throttled is not None:
            raise ValueError(f"{where}: {throttled}")
        if "." not in host or host != host.lower():
            raise ValueError(
                f"{where}: host_name={host!r} is not a lower-case fully qualified name; use e.g. "
                "'text-embedder.prod.inference.example.com'"
            )
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        link_sg = aws.ec2.SecurityGroup(
            f"{name}-link-sg",
            description=f"VPC link of the Triton {model} API: HTTPS to the internal ALB only",
            vpc_id=args["vpc_id"],
            ingress=[],
            egress=[
                {
                    "description": "HTTPS to the internal ALB listener",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": [args["vpc_cidr"]],
                }
            ],
            tags={**tags, "Name": f"{name}-link"},
            opts=child,
        )
        link = aws.apigatewayv2.VpcLink(
            f"{name}-link",
            name=f"{name}-link",
            security_group_ids=[link_sg.id],
            subnet_ids=args["subnet_ids"],
            tags=tags,
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{name}/access",
            retention_in_days=retention,
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )
        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=name,
            description=f"inferstack front door of Triton model {model} (VPC link V2 to its internal ALB)",
            endpoint_configuration={"types": "REGIONAL"},
            tags=tags,
            opts=child,
        )
        v2 = aws.apigateway.Resource(
            f"{name}-v2", rest_api=api.id, parent_id=api.root_resource_id, path_part="v2", opts=child
        )
        proxy = aws.apigateway.Resource(
            f"{name}-proxy", rest_api=api.id, parent_id=v2.id, path_part="{proxy+}", opts=child
        )
        health = aws.apigateway.Resource(
            f"{name}-health", rest_api=api.id, parent_id=api.root_resource_id, path_part="health", opts=child
        )
        method_auth = "AWS_IAM" if auth == "iam" else "NONE"
        infer_method = aws.apigateway.Method(
            f"{name}-proxy-any",
            rest_api=api.id,
            resource_id=proxy.id,
            http_method="ANY",
            authorization=method_auth,
            api_key_required=auth == "api_key",
            request_parameters={"method.request.path.proxy": True},
            opts=child,
        )
        infer = aws.apigateway.Integration(
            f"{name}-proxy-integration",
            rest_api=api.id,
            resource_id=proxy.id,
            http_method=infer_method.http_method,
            type="HTTP_PROXY",
            integration_http_method="ANY",
            connection_type="VPC_LINK",
            connection_id=link.id,
            integration_target=args["alb_arn"],
            # The uri names the backend path; the REST private-integration guide also says the stage portion of
            # the request is passed on for VPC link V2 integrations (then `/v1/v2/...` would reach the ALB's
            # `/v2/*` rule and miss). Not observable offline: the first real request shows it.
            uri=f"https://{host}:443/v2/{{proxy}}",
            request_parameters={"integration.request.path.proxy": "method.request.path.proxy"},
            timeout_milliseconds=29000,
            opts=child,
        )
        # Unauthenticated (Route53 health checkers cannot sign), answers Triton's readiness only.
        health_method = aws.apigateway.Method(
            f"{name}-health-get",
            rest_api=api.id,
            resource_id=health.id,
            http_method="GET",
            authorization="NONE",
            opts=child,
        )
        health_integration = aws.apigateway.Integration(
            f"{name}-health-integration",
            rest_api=api.id,
            resource_id=health.id,
            http_method=health_method.http_method,
            type="HTTP_PROXY",
            integration_http_method="GET",
            connection_type="VPC_LINK",
            connection_id=link.id,
            integration_target=args["alb_arn"],
            uri=f"https://{host}:443{HEALTH_BACKEND_PATH}",
            timeout_milliseconds=5000,
            opts=child,
        )
        spec = json.dumps({"host": host, "auth": auth, "health": HEALTH_BACKEND_PATH}, sort_keys=True)
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={"spec": hashlib.sha256(spec.encode()).hexdigest()},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[infer_method, infer, health_method, health_integration]
            ),
        )
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=stage_name,
            xray_tracing_enabled=True,
            access_log_settings={
                "destination_arn": log_group.arn,
                "format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "caller": "$context.identity.caller",
                        "status": "$context.status",
                        "path": "$context.resourcePath",
                        "integrationStatus": "$context.integration.status",
                        "latencyMs": "$context.responseLatency",
                    },
                    separators=(",", ":"),
                ),
            },
            tags=tags,
            opts=child,
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                "logging_level": "ERROR",
                "data_trace_enabled": False,  # never log request or response bodies
                "throttling_rate_limit": rate,
                "throttling_burst_limit": burst,
            },
            opts=child,
        )
        plan = aws.apigateway.UsagePlan(
            f"{name}-usage-plan",
            name=f"{name}-plan",
            api_stages=[{"api_id": api.id, "stage": stage.stage_name}],
            throttle_settings={"rate_limit": rate, "burst_limit": burst},
            quota_settings={"limit": quota, "period": "DAY"} if quota is not None else None,
            tags=tags,
            opts=child,
        )
        if auth == "api_key":
            key = aws.apigateway.ApiKey(f"{name}-key", name=f"{name}-key", enabled=True, tags=tags, opts=child)
            aws.apigateway.UsagePlanKey(
                f"{name}-plan-key", key_id=key.id, key_type="API_KEY", usage_plan_id=plan.id, opts=child
            )

        cert = aws.acm.Certificate(f"{name}-cert", domain_name=host, validation_method="DNS", tags=tags, opts=child)
        option = cert.domain_validation_options[0]
        validation = aws.route53.Record(
            f"{name}-cert-validation",
            zone_id=args["zone_id"],
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,  # the ALB's certificate for the same name validates with the same record
            opts=child,
        )
        validated = aws.acm.CertificateValidation(
            f"{name}-cert-valid", certificate_arn=cert.arn, validation_record_fqdns=[validation.fqdn], opts=child
        )
        domain = aws.apigateway.DomainName(
            f"{name}-domain",
            domain_name=host,
            regional_certificate_arn=validated.certificate_arn,
            endpoint_configuration={"types": "REGIONAL"},
            security_policy="TLS_1_2",
            tags=tags,
            opts=child,
        )
        aws.apigateway.BasePathMapping(
            f"{name}-mapping", domain_name=domain.domain_name, rest_api=api.id, stage_name=stage.stage_name, opts=child
        )

        self.rest_api_id = api.id
        self.vpc_link_id = link.id
        self.vpc_link_security_group_id = link_sg.id
        self.regional_domain_name = domain.regional_domain_name
        self.regional_zone_id = domain.regional_zone_id
        self.execute_api_host = pulumi.Output.all(api.id, region).apply(
            lambda v: f"{v[0]}.execute-api.{v[1]}.amazonaws.com"
        )
        self.health_path = f"/{stage_name}/health"
        self.register_outputs(
            {
                "rest_api_id": self.rest_api_id,
                "vpc_link_id": self.vpc_link_id,
                "regional_domain_name": self.regional_domain_name,
                "execute_api_host": self.execute_api_host,
                "health_path": self.health_path,
            }
        )

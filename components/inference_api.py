"""Regional API Gateway front door for SageMaker endpoints.

SageMaker runtime only answers SigV4 calls to `runtime.sagemaker.<region>`, so DNS failover needs a front
that owns a name: one REST API per region, with per model

- `POST /<model>/invocations` -> `InvokeEndpoint` (real-time), or
- `POST /<model>/async-invocations` -> `InvokeEndpointAsync` (the caller uploads the payload to S3 and sends
  its URI in `X-Amzn-SageMaker-InputLocation`; the answer is `{"task": <OutputLocation>, "inference_id": ...}`
  with status 202), and
- `GET /<model>/health` -> `DescribeEndpoint`, answering 200 only while the endpoint is `InService` (503
  otherwise). It is unauthenticated because Route53 health checkers cannot sign requests; it reveals the
  status word only and is throttled like everything else.

Callers authenticate with IAM (SigV4) or an API key per environment; a usage plan throttles (rate, burst,
quota). Access logs go to a KMS-encrypted log group; each model gets a regional custom domain
`<model>.<env>.<zone>` with a wildcard ACM certificate validated through the zone.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from inferstack.components._limits import throttle_problem

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "apiKeyId": "$context.identity.apiKeyId",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integration.latency",
        "integrationStatus": "$context.integration.status",
        "responseLength": "$context.responseLength",
    },
    separators=(",", ":"),
)

HEALTH_TEMPLATE = (
    '#set($status = $input.path("$.EndpointStatus"))\n'
    '#if($status != "InService")#set($context.responseOverride.status = 503)#end\n'
    '{"status": "$status"}'
)
ASYNC_TEMPLATE = '{"task": "$input.path(\'$.OutputLocation\')", "inference_id": "$input.path(\'$.InferenceId\')"}'


class ApiModel(TypedDict):
    """One SageMaker deployment behind the API."""

    name: str
    """Model name; becomes the path segment and the custom domain's first label."""
    endpoint_name: pulumi.Input[str]
    """SageMaker endpoint name."""
    asynchronous: NotRequired[bool]
    """Default: False. True routes to InvokeEndpointAsync."""


class InferenceApiArgs(TypedDict):
    api_name: str
    """REST API name, e.g. 'inferstack-prod'."""
    models: Sequence[ApiModel]
    """At least one SageMaker deployment."""
    domain_suffix: str
    """Custom domains are '<model>.<domain_suffix>', e.g. suffix 'prod.inference.example.com'."""
    zone_id: pulumi.Input[str]
    """Hosted zone of domain_suffix, for the certificate's DNS validation record."""
    kms_key_arn: pulumi.Input[str]
    """Key for the access-log group (its policy must let logs.<region>.amazonaws.com use it)."""
    auth: NotRequired[Literal["iam", "api_key"]]
    """Default: iam (SigV4). api_key creates a key bound to the usage plan."""
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
    manage_account_logging_role: NotRequired[bool]
    """Default: True. Sets the region's API Gateway CloudWatch role (account-wide, needed for access logs)."""
    tags: NotRequired[Mapping[str, str]]
    """Added to every child that takes tags."""


class InferenceApi(pulumi.ComponentResource):
    """Regional REST API in front of SageMaker endpoints, with auth, throttling, logs and custom domains."""

    rest_api_id: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    execute_api_host: pulumi.Output[str]
    domains: dict[str, aws.apigateway.DomainName]
    health_paths: dict[str, str]
    usage_plan_id: pulumi.Output[str]
    api_key_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: InferenceApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inferstack:index:InferenceApi", name, None, opts)
        models = list(args["models"])
        auth = args.get("auth", "iam")
        rate = args.get("rate_per_second", 100)
        burst = args.get("burst", 200)
        quota = args.get("quota_per_day")
        stage_name = args.get("stage_name", "v1")
        retention = args.get("log_retention_days", 30)
        tags = dict(args.get("tags", {}))
        if not models:
            raise ValueError(f"InferenceApi {name!r}: models is empty; pass at least one SageMaker deployment")
        names = [m["name"] for m in models]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"InferenceApi {name!r}: models {dupes} are repeated; list each model once")
        if auth not in ("iam", "api_key"):
            raise ValueError(f"InferenceApi {name!r}: auth={auth!r} is not supported; use 'iam' or 'api_key'")
        throttled = throttle_problem(rate, burst)
        if throttled is not None:
            raise ValueError(f"InferenceApi {name!r}: {throttled}")
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{args['api_name']}/access",
            retention_in_days=retention,
            kms_key_id=args["kms_key_arn"],
            tags=tags,
            opts=child,
        )
        if args.get("manage_account_logging_role", True):
            logging_role = aws.iam.Role(
                f"{name}-cloudwatch-role",
                assume_role_policy=account.apply(lambda acct: json.dumps(_assume("apigateway.amazonaws.com", acct))),
                tags=tags,
                opts=child,
            )
            push = aws.iam.RolePolicyAttachment(
                f"{name}-cloudwatch-push",
                role=logging_role.name,
                policy_arn=partition.apply(
                    lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                ),
                opts=child,
            )
            aws.apigateway.Account(
                f"{name}-account",
                cloudwatch_role_arn=logging_role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[push]),
            )

        endpoint_arns = [
            pulumi.Output.all(partition, region, account, m["endpoint_name"]).apply(
                lambda v: f"arn:{v[0]}:sagemaker:{v[1]}:{v[2]}:endpoint/{str(v[3]).lower()}"
            )
            for m in models
        ]
        invoke_role = aws.iam.Role(
            f"{name}-invoke-role",
            assume_role_policy=account.apply(lambda acct: json.dumps(_assume("apigateway.amazonaws.com", acct))),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-invoke-policy",
            role=invoke_role.id,
            policy=pulumi.Output.all(*endpoint_arns).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "InvokeAndDescribeTheseEndpoints",
                                "Effect": "Allow",
                                "Action": [
                                    "sagemaker:InvokeEndpoint",
                                    "sagemaker:InvokeEndpointAsync",
                                    "sagemaker:DescribeEndpoint",
                                ],
                                "Resource": list(arns),
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )

        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=args["api_name"],
            description="inferstack inference front door (SageMaker runtime)",
            endpoint_configuration={"types": "REGIONAL"},
            tags=tags,
            opts=child,
        )
        method_auth = "AWS_IAM" if auth == "iam" else "NONE"
        routes: list[pulumi.Resource] = []
        self.health_paths = {}
        for m in models:
            model = m["name"]
            asynchronous = m.get("asynchronous", False)
            base = aws.apigateway.Resource(
                f"{name}-{model}", rest_api=api.id, parent_id=api.root_resource_id, path_part=model, opts=child
            )
            action = "async-invocations" if asynchronous else "invocations"
            routes += self._route(
                f"{name}-{model}-{action}",
                api,
                base,
                action,
                "POST",
                method_auth,
                auth == "api_key",
                pulumi.Output.all(region, m["endpoint_name"]).apply(
                    lambda v, a=action: f"arn:aws:apigateway:{v[0]}:runtime.sagemaker:path/endpoints/{v[1]}/{a}"
                ),
                invoke_role.arn,
                request_parameters=(
                    {
                        "integration.request.header.X-Amzn-SageMaker-InputLocation": (
                            "method.request.header.X-Amzn-SageMaker-InputLocation"
                        ),
                        "integration.request.header.Content-Type": "method.request.header.Content-Type",
                    }
                    if asynchronous
                    else {"integration.request.header.Content-Type": "method.request.header.Content-Type"}
                ),
                method_parameters=(
                    {
                        "method.request.header.X-Amzn-SageMaker-InputLocation": True,
                        "method.request.header.Content-Type": False,
                    }
                    if asynchronous
                    else {"method.request.header.Content-Type": False}
                ),
                request_templates=None,
                success_status="202" if asynchronous else "200",
                success_template=ASYNC_TEMPLATE if asynchronous else None,
            )
            routes += self._route(
                f"{name}-{model}-health",
                api,
                base,
                "health",
                "GET",
                "NONE",
                False,
                region.apply(lambda r: f"arn:aws:apigateway:{r}:api.sagemaker:action/DescribeEndpoint"),
                invoke_role.arn,
                request_parameters={
                    "integration.request.header.X-Amz-Target": "'SageMaker.DescribeEndpoint'",
                    "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
                },
                method_parameters={},
                request_templates=pulumi.Output.from_input(m["endpoint_name"]).apply(
                    lambda e: {"application/json": json.dumps({"EndpointName": e})}
                ),
                success_status="200",
                success_template=HEALTH_TEMPLATE,
            )
            self.health_paths[model] = f"/{stage_name}/{model}/health"

        spec = json.dumps(
            {"models": [[m["name"], bool(m.get("asynchronous", False))] for m in models], "auth": auth}, sort_keys=True
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={"spec": hashlib.sha256(spec.encode()).hexdigest()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=routes),
        )
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=stage_name,
            xray_tracing_enabled=True,
            access_log_settings={"destination_arn": log_group.arn, "format": ACCESS_LOG_FORMAT},
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
            name=f"{args['api_name']}-plan",
            api_stages=[{"api_id": api.id, "stage": stage.stage_name}],
            throttle_settings={"rate_limit": rate, "burst_limit": burst},
            quota_settings={"limit": quota, "period": "DAY"} if quota is not None else None,
            tags=tags,
            opts=child,
        )
        self.api_key_id = None
        if auth == "api_key":
            key = aws.apigateway.ApiKey(
                f"{name}-key", name=f"{args['api_name']}-key", enabled=True, tags=tags, opts=child
            )
            aws.apigateway.UsagePlanKey(
                f"{name}-plan-key", key_id=key.id, key_type="API_KEY", usage_plan_id=plan.id, opts=child
            )
            self.api_key_id = key.id

        suffix = args["domain_suffix"]
        cert = aws.acm.Certificate(
            f"{name}-cert", domain_name=f"*.{suffix}", validation_method="DNS", tags=tags, opts=child
        )
        option = cert.domain_validation_options[0]
        validation_record = aws.route53.Record(
            f"{name}-cert-validation",
            zone_id=args["zone_id"],
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,  # the same record validates this name in every region
            opts=child,
        )
        validated = aws.acm.CertificateValidation(
            f"{name}-cert-valid",
            certificate_arn=cert.arn,
            validation_record_fqdns=[validation_record.fqdn],
            opts=child,
        )
        self.domains = {}
        for m in models:
            model = m["name"]
            domain = aws.apigateway.DomainName(
                f"{name}-{model}-domain",
                domain_name=f"{model}.{suffix}",
                regional_certificate_arn=validated.certificate_arn,
                endpoint_configuration={"types": "REGIONAL"},
                security_policy="TLS_1_2",
                tags=tags,
                opts=child,
            )
            aws.apigateway.BasePathMapping(
                f"{name}-{model}-mapping",
                domain_name=domain.domain_name,
                rest_api=api.id,
                stage_name=stage.stage_name,
                opts=child,
            )
            self.domains[model] = domain

        self.rest_api_id = api.id
        self.stage_name = stage.stage_name
        self.execute_api_host = pulumi.Output.all(api.id, region).apply(
            lambda v: f"{v[0]}.execute-api.{v[1]}.amazonaws.com"
        )
        self.usage_plan_id = plan.id
        self.register_outputs(
            {
                "rest_api_id": self.rest_api_id,
                "stage_name": self.stage_name,
                "execute_api_host": self.execute_api_host,
                "usage_plan_id": self.usage_plan_id,
            }
        )

    def _route(
        self,
        prefix: str,
        api: aws.apigateway.RestApi,
        base: aws.apigateway.Resource,
        path_part: str,
        http_method: str,
        authorization: str,
        api_key_required: bool,
        uri: pulumi.Input[str],
        credentials: pulumi.Input[str],
        *,
        request_parameters: Mapping[str, str],
        method_parameters: Mapping[str, bool],
        request_templates: pulumi.Input[Mapping[str, str]] | None,
        success_status: str,
        success_template: str | None,
    ) -> list[pulumi.Resource]:
        """Resource + method + AWS integration + success and error responses."""
        child = pulumi.ResourceOptions(parent=self)
        resource = aws.apigateway.Resource(prefix, rest_api=api.id, parent_id=base.id, path_part=path_part, opts=child)
        method = aws.apigateway.Method(
            f"{prefix}-method",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=http_method,
            authorization=authorization,
            api_key_required=api_key_required,
            request_parameters=dict(method_parameters),
            opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{prefix}-integration",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            type="AWS",
            integration_http_method="POST",
            uri=uri,
            credentials=credentials,
            request_parameters=dict(request_parameters),
            request_templates=request_templates,
            passthrough_behavior="WHEN_NO_TEMPLATES",
            timeout_milliseconds=29000,
            opts=child,
        )
        created: list[pulumi.Resource] = [resource, method, integration]
        for status, pattern in ((success_status, None), ("400", "4\\d{2}"), ("502", "5\\d{2}")):
            response = aws.apigateway.MethodResponse(
                f"{prefix}-{status}",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                status_code=status,
                opts=child,
            )
            created.append(
                aws.apigateway.IntegrationResponse(
                    f"{prefix}-{status}-integration",
                    rest_api=api.id,
                    resource_id=resource.id,
                    http_method=method.http_method,
                    status_code=response.status_code,
                    selection_pattern=pattern,
                    response_templates=(
                        {"application/json": success_template} if pattern is None and success_template else None
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[integration]),
                )
            )
            created.append(response)
        return created


def _assume(service: str, account: str) -> dict[str, object]:
    """Trust for an API Gateway service role, limited to requests made for this account (confused deputy).

    `...IfExists`: the API Gateway guide documents no aws:SourceAccount on the AssumeRole of an integration's
    credentials role (read 2026-12-02), so the condition blocks any request that carries another account and
    cannot lock API Gateway out if the key is absent.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": account}},
            }
        ],
    }

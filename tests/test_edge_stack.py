"""stacks/edge.py and stacks/observability.py over stand-in serving components, per reference environment.

The serving components are stand-ins that publish exactly what the contract in stacks/context.py
promises (SageMaker `endpoint_name`/`health_alarm_name`, Triton entry points), so these tests do not
depend on the serving module's progress.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml

from inferstack.config.environment import Environment, all_tags
from stacks import edge, observability
from stacks.context import EntryPoint, PlatformOutputs, RegionStack, StackContext
from tests.conftest import ROOT, Recorded, run_components

ENVS = ("dev", "staging", "prod")


class FakeSageMakerEndpoint(pulumi.ComponentResource):
    """Publishes what the serving contract promises a SageMakerEndpoint publishes."""

    def __init__(self, name: str, *, with_alarm: bool = True) -> None:
        super().__init__("test:index:FakeSageMakerEndpoint", name, None, None)
        self.endpoint_name = pulumi.Output.from_input(f"{name}-endpoint")
        self.health_alarm_name = pulumi.Output.from_input(f"{name}-unhealthy") if with_alarm else None
        self.register_outputs({})


class FakeTritonService(pulumi.ComponentResource):
    """Publishes what stacks/edge.py reads of a TritonService: the internal ALB and its health alarm."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:FakeTritonService", name, None, None)
        self.alb_arn = pulumi.Output.from_input(
            f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{name}/1"
        )
        self.health_alarm_name = pulumi.Output.from_input(f"{name}-no-healthy-hosts")
        self.register_outputs({})


def load_env(name: str, **dns: Any) -> Environment:
    data = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text(encoding="utf-8"))
    data["dns"].update(dns)
    return Environment.model_validate(data)


def fake_platform(rs: RegionStack) -> PlatformOutputs:
    out = pulumi.Output.from_input
    return PlatformOutputs(
        key_arn=out(f"arn:aws:kms:{rs.region}:123456789012:key/platform"),
        vpc_id=out("vpc-1"),
        vpc_cidr=rs.cidr,
        private_subnet_ids=[out("subnet-1")],
        public_subnet_ids=[out("subnet-2")],
        cluster_name=out(f"inferstack-{rs.region}"),
        cluster_security_group_id=out("sg-1"),
        oidc_provider_arn=out("arn:aws:iam::123456789012:oidc-provider/x"),
        oidc_issuer_url=out("oidc.eks/x"),
        k8s_provider=None,
        gpu_node_groups={},
    )


def compose(env: Environment) -> StackContext:
    """What stacks/program.py does, with stand-ins for platform and serving."""
    ctx = StackContext(env=env, root=ROOT, packages={}, tags=all_tags(env))
    cidrs = [env.network.cidr, env.network.secondary_cidr]
    for i, region in enumerate(env.regions.all):
        provider = aws.Provider(f"aws-{region}", region=region)
        ctx.regions.append(RegionStack(region=region, is_primary=i == 0, provider=provider, cidr=str(cidrs[i])))
    for rs in ctx.regions:
        rs.platform = fake_platform(rs)
        observability.build_alerting(ctx, rs)
        for d in env.deployments:
            if d.target in ("triton-eks", "vllm-eks"):
                # LlmService exposes the same outputs as TritonService (components/_eks_serving.EksServing).
                (rs.triton if d.target == "triton-eks" else rs.llm)[d.model] = FakeTritonService(
                    f"{d.model}{rs.suffix}"
                )
                rs.entry_points[d.model] = EntryPoint(
                    model=d.model,
                    target=d.target,
                    dns_name=pulumi.Output.from_input(f"internal-{d.model}.{rs.region}.elb.amazonaws.com"),
                    zone_id=pulumi.Output.from_input("Z35SXDOTRQ7X7K"),
                    public=False,
                    health_path="/v2/health/ready" if d.target == "triton-eks" else "/health",
                    health_alarm_name=pulumi.Output.from_input(f"{d.model}-{rs.region}-unhealthy"),
                    extra={
                        "load_balancer_arn_suffix": pulumi.Output.from_input(f"app/{d.model}/abc"),
                        "namespace": pulumi.Output.from_input(
                            f"{'triton' if d.target == 'triton-eks' else 'vllm'}-{d.model}"
                        ),
                    },
                )
            else:
                rs.sagemaker[d.model] = FakeSageMakerEndpoint(f"{d.model}{rs.suffix}")
        edge.build_api(ctx, rs)
    edge.build_dns(ctx)
    observability.build_environment(ctx)
    return ctx


_CACHE: dict[str, Recorded] = {}


def recorded_env(name: str) -> Recorded:
    if name not in _CACHE:
        _CACHE[name] = run_components(lambda: compose(load_env(name)), stack=name)
    return _CACHE[name]


def routing_of(record: Any) -> str:
    if record.inputs.get("failoverRoutingPolicies"):
        return record.inputs["failoverRoutingPolicies"][0]["type"]
    if record.inputs.get("weightedRoutingPolicies"):
        return "WEIGHTED"
    return "SIMPLE"


def service_records(rec: Recorded) -> list[Any]:
    return [r for r in rec.all("aws:route53/record:Record") if not r.name.endswith("cert-validation")]


# -- DNS ---------------------------------------------------------------------------------------------


def test_prod_has_a_complete_primary_secondary_pair_per_model_each_with_a_health_check() -> None:
    rec = recorded_env("prod")
    env = load_env("prod")
    by_name: dict[str, list[Any]] = {}
    for r in service_records(rec):
        by_name.setdefault(r.inputs["name"], []).append(r)
    # vllm-eks entry points are private (internal ALB only: API Gateway cannot carry streamed generations), so
    # they get no public record; every other deployment gets a failover pair.
    public = [d for d in env.deployments if d.target != "vllm-eks"]
    assert sorted(by_name) == sorted(f"{d.model}.prod.inference.example.com" for d in public)
    for name, records in by_name.items():
        assert sorted(routing_of(r) for r in records) == ["PRIMARY", "SECONDARY"], name
        assert len({r.inputs["setIdentifier"] for r in records}) == 2
        for r in records:
            assert r.inputs["healthCheckId"], f"{r.name} has no health check"


def test_primary_record_points_at_the_primary_region_entry_point() -> None:
    # Triton's public records name each region's Triton front (API Gateway -> VPC link -> internal ALB), never
    # the internal ALB itself, which no client outside its VPC can connect to (issue 12, defect 6).
    rec = recorded_env("prod")
    primary = rec.one("aws:route53/record:Record", "dns-text-embedder-primary")
    secondary = rec.one("aws:route53/record:Record", "dns-text-embedder-secondary")
    front = rec.one("aws:apigateway/domainName:DomainName", "triton-front-text-embedder-domain")
    front_west = rec.one("aws:apigateway/domainName:DomainName", "triton-front-text-embedder-us-west-2-domain")
    assert front.urn in primary.dependencies and front_west.urn in secondary.dependencies
    assert primary.inputs["records"][0].endswith(".execute-api.us-east-1.amazonaws.com")
    assert secondary.inputs["records"][0].endswith(".execute-api.us-west-2.amazonaws.com")
    assert not any("elb.amazonaws.com" in r for x in (primary, secondary) for r in x.inputs["records"])
    assert primary.inputs["ttl"] == 30 and primary.inputs["type"] == "CNAME"


def test_triton_entry_point_fails_over_on_its_front_and_on_the_alb_alarm_including_missing_data() -> None:
    rec = recorded_env("prod")
    check = rec.one("aws:route53/healthCheck:HealthCheck", "dns-text-embedder-secondary-alarm")
    assert check.inputs["type"] == "CLOUDWATCH_METRIC"
    assert check.inputs["cloudwatchAlarmName"] == "text-embedder-us-west-2-unhealthy"
    assert check.inputs["cloudwatchAlarmRegion"] == "us-west-2"
    assert check.inputs["insufficientDataHealthStatus"] == "Unhealthy"
    https = rec.one("aws:route53/healthCheck:HealthCheck", "dns-text-embedder-secondary-https")
    assert https.inputs["fqdn"].endswith(".execute-api.us-west-2.amazonaws.com")
    assert https.inputs["resourcePath"] == "/v1/health"
    calc = rec.one("aws:route53/healthCheck:HealthCheck", "dns-text-embedder-secondary-calculated")
    assert calc.inputs["childHealthThreshold"] == 2  # both must be healthy: the front and the pods behind it


def test_public_api_entry_point_with_an_alarm_gets_a_calculated_check_over_https_and_alarm() -> None:
    rec = recorded_env("prod")
    https = rec.one("aws:route53/healthCheck:HealthCheck", "dns-fraud-scorer-primary-https")
    assert https.inputs["type"] == "HTTPS"
    assert https.inputs["resourcePath"] == "/v1/fraud-scorer/health"
    assert https.inputs["fqdn"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert https.inputs["requestInterval"] == 10 and https.inputs["failureThreshold"] == 3
    calc = rec.one("aws:route53/healthCheck:HealthCheck", "dns-fraud-scorer-primary-calculated")
    assert calc.inputs["type"] == "CALCULATED"
    assert len(calc.inputs["childHealthchecks"]) == 2 and calc.inputs["childHealthThreshold"] == 2
    record = rec.one("aws:route53/record:Record", "dns-fraud-scorer-primary")
    assert calc.urn in record.dependencies  # the record's health check is the calculated one
    https_only = rec.one("aws:route53/healthCheck:HealthCheck", "dns-fraud-scorer-primary-https")
    assert https_only.urn not in record.dependencies
    assert record.inputs["records"][0].endswith(".execute-api.us-east-1.amazonaws.com")


def test_single_region_environments_get_plain_records_without_failover() -> None:
    rec = recorded_env("dev")
    records = service_records(rec)
    assert sorted(r.inputs["name"] for r in records) == [
        "fraud-scorer.dev.inference.example.com",
        "text-embedder.dev.inference.example.com",
    ]
    assert {routing_of(r) for r in records} == {"SIMPLE"}
    assert not any("setIdentifier" in r.inputs for r in records)


def test_weighted_primary_percent_splits_traffic_ninety_ten() -> None:
    rec = run_components(lambda: compose(load_env("prod", weighted_primary_percent=90)), stack="prod")
    primary = rec.one("aws:route53/record:Record", "dns-fraud-scorer-primary")
    secondary = rec.one("aws:route53/record:Record", "dns-fraud-scorer-secondary")
    assert primary.inputs["weightedRoutingPolicies"] == [{"weight": 90}]
    assert secondary.inputs["weightedRoutingPolicies"] == [{"weight": 10}]
    assert primary.inputs["healthCheckId"] and secondary.inputs["healthCheckId"]


@pytest.mark.parametrize("name", ENVS)
def test_failover_seconds_output_is_interval_times_threshold_plus_ttl(name: str) -> None:
    env = load_env(name)
    rec = recorded_env(name)
    expected = env.dns.health_check_interval_seconds * env.dns.failure_threshold + env.dns.ttl_seconds
    assert rec.outputs["failover_seconds"] == expected
    assert rec.outputs["failover"]["seconds"] <= rec.outputs["failover"]["max_seconds"]
    assert rec.outputs["dns_names"] == {
        d.model: f"{d.model}.{name}.inference.example.com" for d in env.deployments if d.target != "vllm-eks"
    }


def test_reference_failover_budgets_are_as_configured() -> None:
    # dev 30x3+60, staging 10x3+60, prod 10x3+30: prod meets its 60 s promise exactly.
    assert {n: load_env(n).dns.failover_seconds for n in ENVS} == {"dev": 150, "staging": 90, "prod": 60}


# -- API front door ----------------------------------------------------------------------------------


def test_prod_has_an_api_front_door_in_both_regions_with_iam_auth() -> None:
    rec = recorded_env("prod")
    apis = rec.all("aws:apigateway/restApi:RestApi")
    assert sorted(a.name for a in apis) == [
        "api-api",
        "api-us-west-2-api",
        "triton-front-text-embedder-api",
        "triton-front-text-embedder-us-west-2-api",
    ]
    triton = rec.one("aws:apigateway/method:Method", "triton-front-text-embedder-proxy-any")
    assert triton.inputs["authorization"] == "AWS_IAM"
    invoke = rec.one("aws:apigateway/method:Method", "api-fraud-scorer-invocations-method")
    assert invoke.inputs["authorization"] == "AWS_IAM"
    assert invoke.inputs["httpMethod"] == "POST"


def test_usage_plan_throttles_with_the_environment_limits() -> None:
    for name in ("dev", "prod"):
        env = load_env(name)
        plan = recorded_env(name).one("aws:apigateway/usagePlan:UsagePlan", "api-usage-plan")
        assert plan.inputs["throttleSettings"] == {
            "rateLimit": env.api.throttle.rate_per_second,
            "burstLimit": env.api.throttle.burst,
        }
        quota = env.api.throttle.quota_per_day
        assert plan.inputs.get("quotaSettings") == ({"limit": quota, "period": "DAY"} if quota else None)


def test_dev_uses_api_keys_bound_to_the_usage_plan_for_async_invocations() -> None:
    rec = recorded_env("dev")
    method = rec.one("aws:apigateway/method:Method", "api-fraud-scorer-async-invocations-method")
    assert method.inputs["apiKeyRequired"] is True and method.inputs["authorization"] == "NONE"
    integration = rec.one("aws:apigateway/integration:Integration", "api-fraud-scorer-async-invocations-integration")
    assert integration.inputs["uri"].endswith(
        "runtime.sagemaker:path/endpoints/fraud-scorer-endpoint/async-invocations"
    )
    assert rec.one("aws:apigateway/usagePlanKey:UsagePlanKey", "api-plan-key").inputs["keyType"] == "API_KEY"


def test_access_logs_go_to_a_kms_encrypted_log_group_with_env_retention() -> None:
    rec = recorded_env("prod")
    group = rec.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs")
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    stage = rec.one("aws:apigateway/stage:Stage", "api-stage")
    assert stage.inputs["accessLogSettings"]["destinationArn"].startswith("arn:aws:logs:us-east-1:")
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["status"] == "$context.status"


def test_custom_domain_uses_a_validated_regional_certificate_and_tls_1_2() -> None:
    rec = recorded_env("prod")
    cert = rec.one("aws:acm/certificate:Certificate", "api-us-west-2-cert")
    assert cert.inputs["domainName"] == "*.prod.inference.example.com"
    domain = rec.one("aws:apigateway/domainName:DomainName", "api-us-west-2-fraud-scorer-domain")
    assert domain.inputs["domainName"] == "fraud-scorer.prod.inference.example.com"
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["regionalCertificateArn"].startswith("arn:aws:acm:us-west-2:")
    assert rec.one("aws:route53/record:Record", "api-us-west-2-cert-validation").inputs["allowOverwrite"] is True


def test_invoke_role_may_only_call_the_fronted_endpoints() -> None:
    rec = recorded_env("prod")
    doc = json.loads(rec.one("aws:iam/rolePolicy:RolePolicy", "api-invoke-policy").inputs["policy"])
    (statement,) = doc["Statement"]
    assert statement["Resource"] == ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scorer-endpoint"]
    assert "sagemaker:*" not in statement["Action"]


def test_missing_endpoint_name_attribute_fails_naming_the_attribute() -> None:
    class Bare(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("test:index:Bare", "bare", None, None)
            self.register_outputs({})

    def build() -> None:
        env = load_env("prod")
        ctx = StackContext(env=env, root=Path(ROOT), packages={}, tags=all_tags(env))
        rs = RegionStack("us-east-1", True, aws.Provider("aws-us-east-1", region="us-east-1"), "10.40.0.0/16")
        ctx.regions.append(rs)
        observability.build_alerting(ctx, rs)
        rs.sagemaker["fraud-scorer"] = Bare()
        edge.build_api(ctx, rs)

    with pytest.raises(ValueError) as err:
        run_components(build, stack="prod")
    assert str(err.value) == (
        "SageMaker deployment 'fraud-scorer': the serving component Bare has no attribute 'endpoint_name'; "
        "stacks/edge.py needs it (Output[str]) to put the API front door in front of the endpoint"
    )

"""Issue 12, defects 3 and 6: the deployer reaches each cluster's API server, and failover DNS names something its
clients can reach. Checked on the previewed resources of the reference environments (the runtime path, hop by
hop), on the config models, and through the two stack policies that guard the same classes in users' stacks."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from inferstack.config.environment import Environment
from inferstack.engine.model import PreviewResult, Resource
from inferstack.policies.config import pack_config
from inferstack.policy_eval import evaluate_resources
from inferstack.preview import render_text
from tests.conftest import preview_of
from tests.policy_cases import messages, res

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = "aws:eks/cluster:Cluster"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RECORD = "aws:route53/record:Record"
LB = "aws:lb/loadBalancer:LoadBalancer"
DEPLOYER_POLICY = "inferstack-eks-cluster-require-deployer-path"
DNS_POLICY = "inferstack-route53-records-require-reachable-target"


class Graph:
    """Dependency lookups over one preview."""

    def __init__(self, result: PreviewResult) -> None:
        self.result = result
        self.by_urn = result.by_urn()

    def deps(self, r: Resource, type_: str) -> list[Resource]:
        return [self.by_urn[d] for d in r.dependencies if d in self.by_urn and self.by_urn[d].type == type_]

    def dependents(self, r: Resource, type_: str) -> list[Resource]:
        return [x for x in self.result.resources if x.type == type_ and r.urn in x.dependencies]

    def one_dep(self, r: Resource, type_: str) -> Resource:
        found = self.deps(r, type_)
        assert len(found) == 1, f"{r.name} depends on {[f.name for f in found]} of {type_}"
        return found[0]


def env_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text())
    return data


# -- defect 3: the deployer reaches the API server ------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_private_cluster_admits_the_declared_in_vpc_runner_on_443(env: str) -> None:
    result = preview_of(env)
    g = Graph(result)
    runner_cidrs = (env_data(env)["cluster"].get("deployer") or {}).get("runner_cidrs", [])
    kubernetes = [r for r in result.resources if r.type.startswith("kubernetes:")]
    assert kubernetes, "the program deploys Kubernetes resources, so the deployer must reach the API server"
    for cluster in result.of_type(CLUSTER):
        vpc = cluster.inputs["vpcConfig"]
        if vpc["endpointPublicAccess"]:
            continue
        rules = g.dependents(cluster, INGRESS_RULE)
        admitted = sorted(r.inputs["cidrIpv4"] for r in rules if r.inputs["fromPort"] <= 443 <= r.inputs["toPort"])
        assert admitted, f"{cluster.name}: private-only endpoint and no rule admits a deployer on 443"
        assert admitted == sorted(runner_cidrs), f"{cluster.name}: 443 admitted from {admitted}"
        assert all(r.inputs["ipProtocol"] == "tcp" for r in rules)


def test_prod_secondary_cluster_is_public_only_to_the_primary_vpc_nat_addresses() -> None:
    result = preview_of("prod")
    clusters = {c.name: c.inputs["vpcConfig"] for c in result.of_type(CLUSTER)}
    assert clusters["eks-cluster"]["endpointPublicAccess"] is False
    west = clusters["eks-us-west-2-cluster"]
    assert west["endpointPublicAccess"] is True and west["endpointPrivateAccess"] is True
    primary_nats = [
        r for r in result.of_type("aws:ec2/natGateway:NatGateway") if "us-west-2" not in r.name and "network-" in r.name
    ]
    cidrs = west["publicAccessCidrs"]
    assert len(cidrs) == len(primary_nats) == 3  # per_az NAT gateways in us-east-1
    assert all(ipaddress.ip_network(c).prefixlen == 32 for c in cidrs)


def test_preview_says_which_deployer_design_each_environment_uses() -> None:
    result = preview_of("prod")
    deployer = result.outputs["deployer"]
    assert deployer["mode"] == "in_vpc" and deployer["runner_label"] == "inferstack-prod-deployer"
    assert deployer["regions"] == {
        "us-east-1": "private endpoint, 443 from 10.40.0.0/19",
        "us-west-2": "public endpoint restricted to the us-east-1 NAT addresses",
    }
    text = render_text(result)
    assert "Deployer: in-VPC runner (label inferstack-prod-deployer; 443 from 10.40.0.0/19)" in text
    assert result.to_json()["outputs"]["deployer"]["mode"] == "in_vpc"


def _with_deployer(**deployer: Any) -> dict[str, Any]:
    data = env_data("prod")
    data["cluster"]["deployer"] = deployer
    return data


def test_public_cidrs_deployer_needs_a_public_endpoint() -> None:
    data = _with_deployer(mode="public_cidrs", runner_label="big-runner")
    with pytest.raises(
        ValidationError, match=re.escape("deployer.mode is public_cidrs but endpoint_public_access is false")
    ):
        Environment.model_validate(data)


def test_public_cidrs_deployer_refuses_broad_ranges() -> None:
    data = _with_deployer(mode="public_cidrs", runner_label="big-runner")
    data["cluster"] |= {"endpoint_public_access": True, "public_access_cidrs": ["10.0.0.0/8"]}
    with pytest.raises(ValidationError, match=r"public_access_cidrs \['10.0.0.0/8'\] are broader than /16"):
        Environment.model_validate(data)


def test_in_vpc_runner_must_live_in_the_primary_vpc() -> None:
    data = _with_deployer(mode="in_vpc", runner_label="r", runner_cidrs=["10.41.0.0/19"])
    with pytest.raises(ValidationError, match=re.escape("'10.41.0.0/19' is outside the primary VPC 10.40.0.0/16")):
        Environment.model_validate(data)


def test_in_vpc_runner_needs_cidrs() -> None:
    with pytest.raises(ValidationError, match=re.escape("deployer.runner_cidrs is empty")):
        Environment.model_validate(_with_deployer(mode="in_vpc", runner_label="r"))


def _cluster(vpc: dict[str, Any]) -> Resource:
    return res(CLUSTER, {"vpcConfig": vpc}, name="eks")


def _k8s() -> Resource:
    return res("kubernetes:apps/v1:Deployment", {"kind": "Deployment"}, name="app")


def test_deployer_policy_accepts_a_private_cluster_with_a_443_rule_for_the_runner() -> None:
    cluster = _cluster({"endpointPublicAccess": False})
    rule = res(
        INGRESS_RULE,
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.40.0.0/19"},
        name="runner",
        dependencies=[cluster.urn],
    )
    assert messages(DEPLOYER_POLICY, [cluster, rule, _k8s()]) == []


def test_deployer_policy_reports_a_private_cluster_nobody_outside_can_reach() -> None:
    cluster = _cluster({"endpointPublicAccess": False})
    other_port = res(
        INGRESS_RULE,
        {"ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443, "cidrIpv4": "10.40.0.0/19"},
        name="webhook",
        dependencies=[cluster.urn],
    )
    assert messages(DEPLOYER_POLICY, [cluster, other_port, _k8s()]) == [
        "EKS cluster 'eks' has a private-only endpoint and the stack deploys 1 Kubernetes resources through it, but "
        "no security-group rule admits a deployer on 443; declare cluster.deployer (mode in_vpc with runner_cidrs, "
        "which adds the rule) or a public endpoint restricted to the runner's static CIDRs"
    ]


def test_deployer_policy_reports_a_public_endpoint_without_specific_cidrs() -> None:
    broad = _cluster({"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]})
    assert messages(DEPLOYER_POLICY, [broad, _k8s()]) == [
        "EKS cluster 'eks' has a public endpoint open to ['10.0.0.0/8']; list the deploy runner's specific static "
        "ranges (/16 or narrower) in public_access_cidrs, or keep the endpoint private with an in-VPC deployer "
        "(cluster.deployer.mode: in_vpc)"
    ]
    specific = _cluster({"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.7/32"]})
    assert messages(DEPLOYER_POLICY, [specific, _k8s()]) == []


def test_deployer_policy_ignores_stacks_without_kubernetes_resources_and_leaves_open_endpoints_to_the_eks_rule() -> (
    None
):
    assert messages(DEPLOYER_POLICY, [_cluster({"endpointPublicAccess": False})]) == []
    # Unset access (AWS: public to all) and 0.0.0.0/0 are aws-eks-cluster-disallow-public-endpoint's finding.
    assert messages(DEPLOYER_POLICY, [res(CLUSTER, {}, name="eks"), _k8s()]) == []
    open_all = _cluster({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})
    assert messages(DEPLOYER_POLICY, [open_all, _k8s()]) == []
    assert messages("aws-eks-cluster-disallow-public-endpoint", [open_all]) != []


@pytest.mark.parametrize(("env", "level"), [("dev", "advisory"), ("staging", "mandatory"), ("prod", "mandatory")])
def test_removing_the_runner_rule_from_the_preview_fails_the_deployer_policy(env: str, level: str) -> None:
    result = preview_of(env)
    planted = [r for r in result.resources if r.type != INGRESS_RULE or "-deployer-" not in r.name]
    assert len(planted) < len(result.resources)
    found = [
        v for v in evaluate_resources(planted, pack_config(env), packs=("security",)) if v["policy"] == DEPLOYER_POLICY
    ]
    assert found and {v["enforcement_level"] for v in found} == {level}
    assert "private-only endpoint" in found[0]["message"]


# -- defect 6: failover DNS targets a reachable front ----------------------------------------------------------


def _triton_records(result: PreviewResult) -> list[Resource]:
    return [r for r in result.of_type(RECORD) if r.name.startswith("dns-text-embedder")]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_triton_records_target_the_regional_front_not_the_internal_alb(env: str) -> None:
    result = preview_of(env)
    g = Graph(result)
    records = _triton_records(result)
    assert records
    for record in records:
        assert g.deps(record, LB) == [], f"{record.name} points at a load balancer directly"
        domain = g.one_dep(record, "aws:apigateway/domainName:DomainName")
        assert domain.name.startswith("triton-front-text-embedder")
        assert domain.inputs["endpointConfiguration"]["types"] == "REGIONAL"


def test_prod_triton_path_from_a_client_to_the_pods_holds_in_both_regions() -> None:
    """Walk: public record -> API domain -> REST API -> VPC link integration -> link SG -> ALB SG -> listener ->
    rule -> target group -> TargetGroupBinding -> Service -> Triton pods, plus the health check that moves it."""
    result = preview_of("prod")
    g = Graph(result)
    records = _triton_records(result)
    assert sorted(r.inputs["failoverRoutingPolicies"][0]["type"] for r in records) == ["PRIMARY", "SECONDARY"]
    for record in records:
        domain = g.one_dep(record, "aws:apigateway/domainName:DomainName")
        host = domain.inputs["domainName"]
        assert record.inputs["name"] == host == "text-embedder.prod.inference.example.com"
        mapping = g.dependents(domain, "aws:apigateway/basePathMapping:BasePathMapping")[0]
        api = g.one_dep(mapping, "aws:apigateway/restApi:RestApi")
        integrations = [
            i
            for i in g.dependents(api, "aws:apigateway/integration:Integration")
            if i.inputs["uri"].endswith("/v2/{proxy}")
        ]
        assert len(integrations) == 1
        integration = integrations[0]
        assert integration.inputs["type"] == "HTTP_PROXY" and integration.inputs["connectionType"] == "VPC_LINK"
        # TLS to the ALB: the uri's host is the name the ALB's certificate covers.
        assert integration.inputs["uri"].startswith(f"https://{host}:443/")
        link = g.one_dep(integration, "aws:apigatewayv2/vpcLink:VpcLink")
        alb = g.one_dep(integration, LB)
        assert alb.inputs["internal"] is True
        # The link's ENIs live in the ALB's VPC subnets and may send 443 there.
        link_sg = g.one_dep(link, "aws:ec2/securityGroup:SecurityGroup")
        subnets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in g.deps(link, "aws:ec2/subnet:Subnet")]
        assert subnets
        egress = link_sg.inputs["egress"]
        assert any(
            e["fromPort"] <= 443 <= e["toPort"]
            and all(any(s.subnet_of(ipaddress.ip_network(c)) for c in e["cidrBlocks"]) for s in subnets)
            for e in egress
        )
        # The ALB admits those subnets on its listener port, and the listener is HTTPS with a certificate for host.
        listener = g.dependents(alb, "aws:lb/listener:Listener")[0]
        port = listener.inputs["port"]
        assert port == 443 and listener.inputs["protocol"] == "HTTPS"
        cert_valid = g.one_dep(listener, "aws:acm/certificateValidation:CertificateValidation")
        cert = g.one_dep(cert_valid, "aws:acm/certificate:Certificate")
        assert cert.inputs["domainName"] == host
        alb_sg = g.one_dep(alb, "aws:ec2/securityGroup:SecurityGroup")
        assert any(
            i["fromPort"] <= port <= i["toPort"]
            and all(any(s.subnet_of(ipaddress.ip_network(c)) for c in i["cidrBlocks"]) for s in subnets)
            for i in alb_sg.inputs["ingress"]
        )
        # Listener rule `/v2/*` -> stable target group -> TargetGroupBinding -> Service on Triton's HTTP port.
        rule = g.dependents(listener, "aws:lb/listenerRule:ListenerRule")[0]
        assert rule.inputs["conditions"][0]["pathPattern"]["values"] == ["/v2/*"]
        tg = g.deps(rule, "aws:lb/targetGroup:TargetGroup")[0]
        assert tg.inputs["port"] == 8000 and tg.inputs["targetType"] == "ip"
        binding = g.dependents(tg, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")[0]
        service = g.one_dep(binding, "kubernetes:core/v1:Service")
        assert binding.inputs["spec"]["serviceRef"] == {"name": service.inputs["metadata"]["name"], "port": 8000}
        assert 8000 in [p["port"] for p in service.inputs["spec"]["ports"]]
        pods = [
            d
            for d in result.of_type("kubernetes:apps/v1:Deployment")
            if d.inputs["metadata"]["namespace"] == service.inputs["metadata"]["namespace"]
            and service.inputs["spec"]["selector"].items() <= d.inputs["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert pods, "the Service selects no Triton pods"
        ports = [
            p["containerPort"]
            for c in pods[0].inputs["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        ]
        assert 8000 in ports
        # The record moves when the front, or the pods behind it, stop answering.
        check = g.deps(record, "aws:route53/healthCheck:HealthCheck")[0]
        assert check.inputs["type"] == "CALCULATED"
        children = [g.by_urn[u] for u in check.dependencies if u in g.by_urn]
        https = [c for c in children if c.inputs.get("type") == "HTTPS"]
        assert https and https[0].inputs["resourcePath"] == "/v1/health"
        assert ".execute-api." in https[0].inputs["fqdn"]  # the front itself, not the record it moves
        health = [
            i
            for i in g.dependents(api, "aws:apigateway/integration:Integration")
            if i.inputs["uri"].endswith("/v2/health/ready")
        ]
        assert health and g.deps(health[0], LB) == [alb]


def _lb(internal: bool = True) -> Resource:
    return res(
        LB,
        {"internal": internal},
        name="alb",
        dependencies=["urn:pulumi:prod::inferstack::aws:ec2/securityGroup:SecurityGroup::alb-sg"],
    )


def _alb_sg(cidrs: list[str]) -> Resource:
    return res(
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": cidrs}]},
        name="alb-sg",
    )


def _listener(lb: Resource) -> Resource:
    return res("aws:lb/listener:Listener", {"port": 443, "protocol": "HTTPS"}, name="listener", dependencies=[lb.urn])


def test_dns_policy_reports_a_public_record_for_an_internal_load_balancer() -> None:
    lb = _lb()
    record = res(
        RECORD, {"name": "m.prod.example.com", "type": "CNAME", "zoneId": "Z1"}, name="rec", dependencies=[lb.urn]
    )
    assert messages(DNS_POLICY, [_alb_sg(["10.40.0.0/16"]), lb, record]) == [
        "record 'm.prod.example.com' is in a public zone but targets internal load balancer 'alb': every client "
        "resolves it and none outside the load balancer's VPC can connect; put a regional front in between "
        "(components/triton_front.py: API Gateway with a VPC link) or move the record to a private zone associated "
        "with the clients' VPCs"
    ]
    # The same record in a zone the environment declares private is judged by the private rules instead.
    assert messages(DNS_POLICY, [_alb_sg(["10.40.0.0/16"]), lb, record], private_zone_ids=["Z1"]) == []


def test_dns_policy_accepts_public_records_for_internet_facing_targets() -> None:
    lb = _lb(internal=False)
    domain = res("aws:apigateway/domainName:DomainName", {"domainName": "m.prod.example.com"}, name="front")
    to_lb = res(RECORD, {"name": "a.example.com", "type": "CNAME"}, name="a", dependencies=[lb.urn])
    to_front = res(RECORD, {"name": "m.prod.example.com", "type": "CNAME"}, name="m", dependencies=[domain.urn])
    assert messages(DNS_POLICY, [lb, domain, to_lb, to_front]) == []


def _private_zone(vpc: Resource) -> Resource:
    return res(
        RECORD.replace("record:Record", "zone:Zone"),
        {"name": "internal.example.com", "vpcs": [{"vpcId": "vpc-1"}]},
        name="zone",
        dependencies=[vpc.urn],
    )


def test_dns_policy_checks_a_private_zones_vpcs_against_the_load_balancer_ingress() -> None:
    clients = res("aws:ec2/vpc:Vpc", {"cidrBlock": "10.50.0.0/16"}, name="clients")
    zone = _private_zone(clients)
    lb = _lb()
    record = res(
        RECORD, {"name": "m.internal.example.com", "type": "CNAME"}, name="rec", dependencies=[lb.urn, zone.urn]
    )
    admitted = [clients, zone, _alb_sg(["10.40.0.0/16", "10.50.0.0/16"]), lb, _listener(lb), record]
    assert messages(DNS_POLICY, admitted) == []
    refused = [clients, zone, _alb_sg(["10.40.0.0/16"]), lb, _listener(lb), record]
    assert messages(DNS_POLICY, refused) == [
        "record 'm.internal.example.com' is in private zone 'zone', associated with VPC 'clients' (10.50.0.0/16), but "
        "internal load balancer 'alb' admits no traffic from that CIDR on its listener port(s) [443]; add an ingress "
        "rule for the clients' CIDR (and the route between the VPCs) or drop the association"
    ]


def test_dns_policy_ignores_records_without_a_load_balancer_target() -> None:
    assert messages(DNS_POLICY, [res(RECORD, {"name": "x.example.com", "type": "A"})]) == []


@pytest.mark.parametrize(("env", "level"), [("dev", "advisory"), ("prod", "mandatory")])
def test_pointing_the_triton_record_at_its_internal_alb_fails_the_dns_policy(env: str, level: str) -> None:
    """The old wiring, planted back into the reference preview: record -> internal ALB in a public zone."""
    result = preview_of(env)
    albs = [r for r in result.of_type(LB) if r.name.startswith("triton-text-embedder")]
    planted = []
    for r in result.resources:
        if r.type == RECORD and r.name.startswith("dns-text-embedder"):
            region_alb = next(a for a in albs if ("us-west-2" in a.name) == ("secondary" in r.name))
            r = dataclasses.replace(r, dependencies=[region_alb.urn])
        planted.append(r)
    found = [v for v in evaluate_resources(planted, pack_config(env), packs=("security",)) if v["policy"] == DNS_POLICY]
    assert found and {v["enforcement_level"] for v in found} == {level}
    assert "targets internal load balancer 'triton-text-embedder" in found[0]["message"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_reference_environments_pass_both_reachability_policies(env: str) -> None:
    names = {v["policy"] for v in preview_of(env).violations}
    assert DEPLOYER_POLICY not in names and DNS_POLICY not in names


# -- TritonFront on its own ----------------------------------------------------------------------------------


def _front(**extra: Any) -> Any:
    from inferstack.components.triton_front import TritonFront, TritonFrontArgs
    from tests.conftest import run_components

    args: TritonFrontArgs = {
        "model_name": "m",
        "host_name": "m.dev.example.com",
        "zone_id": "Z1",
        "alb_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/m/1",
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.20.0.0/16",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
        **extra,  # type: ignore[typeddict-item]
    }
    return run_components(lambda: TritonFront("front", args))


def test_triton_front_link_accepts_nothing_and_sends_only_https_into_its_vpc() -> None:
    rec = _front()
    sg = rec.one("aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs.get("ingress", []) == []
    assert [(e["protocol"], e["fromPort"], e["toPort"], e["cidrBlocks"]) for e in sg.inputs["egress"]] == [
        ("tcp", 443, 443, ["10.20.0.0/16"])
    ]
    assert rec.one("aws:apigateway/method:Method", "front-proxy-any").inputs["authorization"] == "AWS_IAM"
    assert rec.one("aws:apigateway/method:Method", "front-health-get").inputs["authorization"] == "NONE"
    assert rec.all("aws:apigateway/apiKey:ApiKey") == []


def test_triton_front_with_api_keys_requires_a_key_bound_to_the_usage_plan() -> None:
    rec = _front(auth="api_key", quota_per_day=1000)
    method = rec.one("aws:apigateway/method:Method", "front-proxy-any")
    assert method.inputs["apiKeyRequired"] is True and method.inputs["authorization"] == "NONE"
    assert rec.one("aws:apigateway/usagePlanKey:UsagePlanKey").inputs["keyType"] == "API_KEY"
    assert rec.one("aws:apigateway/usagePlan:UsagePlan").inputs["quotaSettings"] == {"limit": 1000, "period": "DAY"}


def test_triton_front_refuses_a_burst_below_the_rate() -> None:
    with pytest.raises(ValueError, match=re.escape("burst=10 is below rate_per_second=50; raise burst to at least")):
        _front(rate_per_second=50, burst=10)


def _planted(env: str, name: str, change: Any) -> list[Resource]:
    """The reference preview with resource `name`'s inputs changed by `change` (a deep copy)."""
    import copy

    out = []
    for r in preview_of(env).resources:
        if r.name == name:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        out.append(r)
    return out


def _dns_findings(resources: list[Resource], env: str = "prod") -> list[str]:
    found = evaluate_resources(resources, pack_config(env), packs=("security",))
    return [v["message"] for v in found if v["policy"] == DNS_POLICY]


def test_dns_policy_follows_the_front_and_reports_an_alb_that_refuses_the_vpc_link() -> None:
    def other_cidr(inputs: dict[str, Any]) -> None:
        inputs["ingress"][0]["cidrBlocks"] = ["10.99.0.0/16"]

    found = _dns_findings(_planted("prod", "triton-text-embedder-alb-sg", other_cidr))
    assert found == [
        "record 'text-embedder.prod.inference.example.com' goes through VPC link 'triton-front-text-embedder-link' to "
        "load balancer 'triton-text-embedder-alb', whose security groups admit none of the link's subnets "
        "['10.40.0.0/19', '10.40.32.0/19', '10.40.64.0/19'] on listener port(s) [443]; admit the link's subnets (or "
        "the VPC CIDR)"
    ]


def test_dns_policy_reports_a_vpc_link_whose_security_group_cannot_send_to_the_listener() -> None:
    def port_80(inputs: dict[str, Any]) -> None:
        inputs["egress"][0]["fromPort"] = inputs["egress"][0]["toPort"] = 80

    found = _dns_findings(_planted("prod", "triton-front-text-embedder-us-west-2-link-sg", port_80))
    assert found == [
        "record 'text-embedder.prod.inference.example.com' goes through VPC link "
        "'triton-front-text-embedder-us-west-2-link', whose security group sends nothing to the subnets "
        "['10.41.0.0/19', '10.41.32.0/19', '10.41.64.0/19'] of load balancer 'triton-text-embedder-us-west-2-alb' on "
        "listener port(s) [443]; allow egress on the listener port to the VPC CIDR"
    ]


def test_kubernetes_provider_waits_for_the_deployer_rule_so_a_fresh_stack_does_not_race_it() -> None:
    result = preview_of("staging")
    g = Graph(result)
    rule = next(r for r in result.of_type(INGRESS_RULE) if "-deployer-" in r.name)
    provider = next(r for r in result.resources if r.type == "pulumi:providers:kubernetes" and r.name == "eks-k8s")
    assert rule.urn in provider.dependencies
    assert g.deps(rule, CLUSTER)

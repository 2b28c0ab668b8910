"""Deterministic, realistic mock outputs so the real program's dependent inputs resolve offline.

Every value derives from the resource URN (sha256), so two runs of the same program produce the same
ids, ARNs and endpoints. Providers' regions are honoured: a resource created through the us-west-2
provider gets us-west-2 ARNs. Invokes the program uses are answered here; an invoke this module does
not know fails loudly instead of returning a silent empty answer.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"


def _h(seed: str, n: int = 17) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _uuid(seed: str) -> str:
    return str(uuid.UUID(hashlib.sha256(seed.encode()).hexdigest()[:32]))


def _module(type_: str) -> tuple[str, str, str]:
    """`aws:eks/cluster:Cluster` -> ("aws", "eks", "Cluster")."""
    pkg, mid, cls = ([*type_.split(":"), "", ""])[:3]
    return pkg, mid.split("/", 1)[0], cls


# EC2-style id prefixes per resource class.
_ID_PREFIX = {
    "Vpc": "vpc",
    "Subnet": "subnet",
    "InternetGateway": "igw",
    "NatGateway": "nat",
    "Eip": "eipalloc",
    "RouteTable": "rtb",
    "SecurityGroup": "sg",
    "LaunchTemplate": "lt",
    "VpcEndpoint": "vpce",
    "FlowLog": "fl",
    "RouteTableAssociation": "rtbassoc",
    "Route": "r",
}


class InferstackMocks(pulumi.runtime.Mocks):
    """Answers `new_resource` and `call` for the AWS and Kubernetes types inferstack uses."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}

    # -- regions --------------------------------------------------------------------------------
    def region_of(self, provider_ref: str | None) -> str:
        if provider_ref and provider_ref in self.provider_regions:
            return self.provider_regions[provider_ref]
        return self.default_region

    def remember_provider(self, ref: str, inputs: dict[str, Any]) -> None:
        region = inputs.get("region")
        if isinstance(region, str):
            self.provider_regions[ref] = region

    # -- resources ------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # Used only when called without a URN (plain MockMonitor); RecordingMonitor calls new_resource_at.
        return self.new_resource_at(f"{args.typ}::{args.name}", args.typ, args.name, dict(args.inputs), args.provider)

    def new_resource_at(
        self, urn: str, typ: str, name: str, inputs: dict[str, Any], provider: str | None
    ) -> tuple[str, dict[str, Any]]:
        region = self.region_of(provider)
        pkg, mod, cls = _module(typ)
        state: dict[str, Any] = dict(inputs)
        if typ.startswith("pulumi:providers:"):
            return f"{_uuid(urn)}", state
        if pkg == "kubernetes":
            return self._kubernetes(urn, name, state)
        if pkg != "aws":
            return f"{name}-{_h(urn, 7)}", state
        rid = f"{_ID_PREFIX[cls]}-{_h(urn)}" if cls in _ID_PREFIX else None
        given = state.get("name")
        physical = given if isinstance(given, str) else f"{name}-{_h(urn, 7)}"
        arn = f"arn:aws:{mod}:{region}:{ACCOUNT_ID}:{cls[0].lower() + cls[1:]}/{physical}"
        special = _SPECIAL.get(typ)
        extra = special(urn, name, state, region, physical) if special else {}
        state.setdefault("arn", arn)
        if "name" not in state and mod not in ("ec2",):
            state["name"] = physical
        state.setdefault("tagsAll", state.get("tags") or {})
        state.update(extra)
        resource_id = str(extra.get("id") or rid or physical)
        state.pop("id", None)
        return resource_id, state

    @staticmethod
    def _kubernetes(urn: str, name: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        meta = dict(state.get("metadata") or {})
        meta.setdefault("name", name)
        meta.setdefault("uid", _uuid(urn))
        state["metadata"] = meta
        ns = meta.get("namespace")
        return (f"{ns}/{meta['name']}" if ns else meta["name"]), state

    # -- invokes --------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        region = self.region_of(args.provider)
        tok = args.token
        if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
            suffixes = "abcdef"
            return {
                "names": [f"{region}{s}" for s in suffixes],
                "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i + 1}" for i in range(len(suffixes))],
                "id": region,
            }
        if tok == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                "userId": "AIDAOFFLINE",
                "id": ACCOUNT_ID,
            }
        if tok == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if tok == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if tok == "aws:route53/getZone:getZone":
            zone = str(args.args.get("name", "example.com")).rstrip(".")
            return {"zoneId": f"Z{_h(zone, 13).upper()}", "name": zone, "id": f"Z{_h(zone, 13).upper()}"}
        raise NotImplementedError(
            f"offline preview has no mock answer for invoke {tok!r}; add one in inferstack/engine/mocks.py "
            "(InferstackMocks.call) or compute the value without an invoke"
        )


def _eks_cluster(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    oidc = _h(urn, 32).upper()
    vpc = dict(state.get("vpcConfig") or {})
    vpc.setdefault("clusterSecurityGroupId", f"sg-{_h(urn + 'csg')}")
    vpc.setdefault("vpcId", f"vpc-{_h(urn + 'vpc')}")
    return {
        "endpoint": f"https://{_h(urn, 32).upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(f"offline-ca-{_h(urn)}".encode()).decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}],
        "vpcConfig": vpc,
        "status": "ACTIVE",
        "platformVersion": "eks.1",
        "arn": f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{physical}",
    }


def _iam_role(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}", "uniqueId": f"AROA{_h(urn, 16).upper()}"}


def _iam_policy(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{physical}", "policyId": f"ANPA{_h(urn, 16).upper()}"}


def _oidc_provider(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    url = str(state.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url}"}


def _kms_key(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    key_id = _uuid(urn)
    return {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}", "id": key_id}


def _kms_alias(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:{state.get('name', 'alias/' + physical)}"}


def _bucket(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    bucket = state.get("bucket") or f"{name}-{_h(urn, 8)}"
    return {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        "region": region,
        "id": bucket,
    }


def _log_group(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{physical}", "id": physical}


def _sns_topic(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {
        "arn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:{physical}",
        "id": f"arn:aws:sns:{region}:{ACCOUNT_ID}:{physical}",
    }


def _load_balancer(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    prefix = "internal-" if state.get("internal") else ""
    arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/app/{physical[:32]}/{_h(urn, 16)}"
    return {
        "arn": arn,
        "dnsName": f"{prefix}{physical[:32]}-{int(_h(urn, 8), 16)}.{region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
        "arnSuffix": arn.split("loadbalancer/", 1)[1],
        "id": arn,
    }


def _eip(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    # A deterministic address in TEST-NET-2 (198.51.100.0/24, RFC 5737): realistic shape, never a real host.
    return {"publicIp": f"198.51.100.{int(_h(urn, 4), 16) % 254 + 1}", "allocationId": f"eipalloc-{_h(urn)}"}


def _target_group(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:targetgroup/{physical[:32]}/{_h(urn, 16)}"
    return {"arn": arn, "arnSuffix": arn.split(":", 5)[5], "id": arn}


def _listener(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/app/{physical[:24]}/{_h(urn, 16)}"
    return {"arn": arn, "id": arn}


def _ecr_repo(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{physical}",
        "arn": f"arn:aws:ecr:{region}:{ACCOUNT_ID}:repository/{physical}",
        "registryId": ACCOUNT_ID,
    }


def _launch_template(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _node_group(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    ng = state.get("nodeGroupName") or f"{name}-{_h(urn, 7)}"
    cluster = state.get("clusterName", "cluster")
    return {
        "nodeGroupName": ng,
        "arn": f"arn:aws:eks:{region}:{ACCOUNT_ID}:nodegroup/{cluster}/{ng}/{_uuid(urn)}",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{ng}-{_uuid(urn)}"}]}],
    }


def _sagemaker_named(kind: str) -> Callable[..., dict[str, Any]]:
    def fn(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
        return {"name": physical, "arn": f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:{kind}/{physical.lower()}"}

    return fn


def _rest_api(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    api_id = _h(urn, 10)
    return {
        "id": api_id,
        "rootResourceId": _h(urn + "root", 10),
        "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}",
        "arn": f"arn:aws:apigateway:{region}::/restapis/{api_id}",
    }


def _api_domain(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {
        "regionalDomainName": f"d-{_h(urn, 10)}.execute-api.{region}.amazonaws.com",
        "regionalZoneId": "Z1UJRXOUMOOFQ8",
        "id": state.get("domainName", physical),
    }


def _certificate(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    domain = state.get("domainName", "example.com")
    return {
        "arn": f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{_uuid(urn)}",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_h(urn, 32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_h(urn + 'v', 32)}.acm-validations.aws.",
            }
        ],
    }


def _zone(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    zid = f"Z{_h(urn, 13).upper()}"
    return {"zoneId": zid, "id": zid, "nameServers": [f"ns-{i}.awsdns-{i:02d}.com" for i in range(1, 5)]}


def _health_check(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"id": _uuid(urn), "arn": f"arn:aws:route53:::healthcheck/{_uuid(urn)}"}


def _record(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    fqdn = str(state.get("name") or physical).rstrip(".")
    return {"fqdn": fqdn, "id": f"{state.get('zoneId', 'Z')}_{fqdn}_{state.get('type', 'A')}"}


def _alarm(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    alarm = state.get("name") or physical
    return {"arn": f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{alarm}", "id": alarm}


def _policy_named_id(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    return {"id": state.get("name", physical)}


def _service_linked_role(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    """IAM names service-linked roles itself: AWSServiceRoleFor<Service>[_<suffix>] under aws-service-role/."""
    service = str(state.get("awsServiceName", "service.amazonaws.com"))
    short = {"autoscaling.amazonaws.com": "AutoScaling"}.get(service, service.split(".")[0].title())
    role = f"AWSServiceRoleFor{short}" + (f"_{state['customSuffix']}" if state.get("customSuffix") else "")
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/{role}", "name": role, "id": role}


def _vpc_endpoint(urn: str, name: str, state: dict[str, Any], region: str, physical: str) -> dict[str, Any]:
    """Gateway endpoints expose the service's managed prefix list (`pl-...`) for security-group rules."""
    out: dict[str, Any] = {"id": f"vpce-{_h(urn)}"}
    if state.get("vpcEndpointType") == "Gateway":
        out["prefixListId"] = f"pl-{_h(str(state.get('serviceName', urn)), 8)}"
    return out


_SPECIAL: dict[str, Callable[[str, str, dict[str, Any], str, str], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _alarm,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:ec2/eip:Eip": _eip,
    "aws:lb/listener:Listener": _listener,
    "aws:ecr/repository:Repository": _ecr_repo,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:sagemaker/model:Model": _sagemaker_named("model"),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _sagemaker_named("endpoint-config"),
    "aws:sagemaker/endpoint:Endpoint": _sagemaker_named("endpoint"),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _sagemaker_named("model-package-group"),
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": _sagemaker_named("data-quality-job-definition"),
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": _sagemaker_named("monitoring-schedule"),
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/domainName:DomainName": _api_domain,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/record:Record": _record,
    "aws:appautoscaling/policy:Policy": _policy_named_id,
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _service_linked_role,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
}

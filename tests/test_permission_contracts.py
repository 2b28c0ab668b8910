"""Workload permission contracts evaluated against the role policies the real program previews.

Each workload's principal is found the way the runtime finds it (the role ARN on its service account, Helm
values, SageMaker model or job, API Gateway integration, replication configuration); its identity policies are
the `aws:iam/rolePolicy:RolePolicy` / `rolePolicyAttachment` inputs naming that role. A missing grant fails;
a grant outside the contract is listed against the contract's documented extras.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from inferstack.engine.model import PreviewResult, Resource
from inferstack.iam_contracts import (
    Contract,
    api_gateway_invoke,
    check,
    cluster_autoscaler,
    load_balancer_controller,
    model_monitor,
    s3_replication,
    sagemaker_hosting,
    triton_repository_agent,
    trust_allows,
)

ENVS = ["dev", "staging", "prod"]
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"


# -- joins over the preview --------------------------------------------------------------------------------


def role_name(arn: str) -> str:
    return arn.split(":role/", 1)[1].rsplit("/", 1)[-1]


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def documents(preview: PreviewResult, role_arn: str) -> list[str]:
    """The identity policies attached to the role named in `role_arn`, as previewed."""
    name = role_name(role_arn)
    docs = [str(r.inputs["policy"]) for r in preview.resources if r.type == ROLE_POLICY and r.inputs["role"] == name]
    for att in (r for r in preview.resources if r.type == ATTACHMENT and r.inputs["role"] == name):
        raise AssertionError(f"{att.name}: attached managed policy {att.inputs['policyArn']} cannot be evaluated")
    assert docs, f"no policy names role {name}"
    return docs


def trust_document(preview: PreviewResult, role_arn: str) -> str:
    """The trust policy of the role: the Role resource every policy naming it depends on."""
    name = role_name(role_arn)
    urns = {
        d
        for r in preview.resources
        if r.type in (ROLE_POLICY, ATTACHMENT) and r.inputs["role"] == name
        for d in r.dependencies
    }
    roles = [r for r in preview.resources if r.type == ROLE and r.urn in urns]
    assert len(roles) == 1, f"role {name}: found {[r.name for r in roles]}"
    return str(roles[0].inputs["assumeRolePolicy"])


def of_type(preview: PreviewResult, type_: str) -> list[Resource]:
    return [r for r in preview.resources if r.type == type_]


def by_urn(preview: PreviewResult) -> dict[str, Resource]:
    return {r.urn: r for r in preview.resources}


def region_of(preview: PreviewResult, r: Resource) -> str:
    providers = {p.urn: p for p in of_type(preview, "pulumi:providers:aws")}
    return str(providers[str(r.provider_urn)].inputs["region"])


def bucket_key(preview: PreviewResult, bucket: str) -> str:
    """The KMS key the bucket encrypts new objects with (its SSE configuration)."""
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    found = [r for r in of_type(preview, sse) if r.inputs["bucket"] == bucket]
    assert len(found) == 1, bucket
    return str(found[0].inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"])


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def image_repository_arn(image: str) -> str:
    host, _, path = image.partition("/")
    account, _, _, region = host.split(".")[:4]
    return f"arn:aws:ecr:{region}:{account}:repository/{path.split(':')[0].split('@')[0]}"


# -- the workloads of one preview ------------------------------------------------------------------------------

Workload = tuple[str, Contract, str, str]
"""(label, contract, role ARN, trusted service or "" for IRSA)."""


def triton_workloads(p: PreviewResult) -> list[Workload]:
    out = []
    # One cluster per region: the service account is the one in the Deployment's namespace on the same cluster.
    accounts = {
        (sa.provider_urn, sa.inputs["metadata"]["namespace"]): sa.inputs["metadata"]["annotations"][
            "eks.amazonaws.com/role-arn"
        ]
        for sa in of_type(p, "kubernetes:core/v1:ServiceAccount")
    }
    for dep in of_type(p, "kubernetes:apps/v1:Deployment"):
        args = dep.inputs["spec"]["template"]["spec"]["containers"][0]["args"]
        repo = next(a for a in args if a.startswith("--model-repository=")).split("=", 1)[1]
        model = next(a for a in args if a.startswith("--load-model=")).split("=", 1)[1]
        bucket, prefix = split_s3(repo)
        key = bucket_key(p, bucket)
        role = accounts[(dep.provider_urn, dep.inputs["metadata"]["namespace"])]
        out.append((dep.name, triton_repository_agent(bucket, prefix, model, key.split(":")[3], key), role, ""))
    return out


def release(p: PreviewResult, chart: str) -> list[Resource]:
    return [r for r in of_type(p, "kubernetes:helm.sh/v3:Release") if r.inputs["name"] == chart]


def controller_workloads(p: PreviewResult) -> list[Workload]:
    out = []
    for rel in release(p, "aws-load-balancer-controller"):
        values = rel.inputs["values"]
        role = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
        tgs = [
            b.inputs["spec"]["targetGroupARN"]
            for b in of_type(p, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
            if b.inputs["spec"]["targetGroupARN"].split(":")[3] == values["region"]
        ]
        out.append((rel.name, load_balancer_controller(values["region"], account_of(role), tgs), role, ""))
    for rel in release(p, "cluster-autoscaler"):
        values = rel.inputs["values"]
        role = values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
        asgs = sorted(
            {
                t.inputs["autoscalingGroupName"]
                for t in of_type(p, "aws:autoscaling/tag:Tag")
                if region_of(p, t) == values["awsRegion"]
            }
        )
        contract = cluster_autoscaler(
            values["awsRegion"], account_of(role), values["autoDiscovery"]["clusterName"], asgs
        )
        out.append((rel.name, contract, role, ""))
    return out


def sagemaker_workloads(p: PreviewResult) -> list[Workload]:
    out = []
    urns = by_urn(p)
    configs = of_type(p, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    for endpoint in of_type(p, "aws:sagemaker/endpoint:Endpoint"):
        config = next(c for c in configs if c.urn in endpoint.dependencies)
        model = next(urns[d] for d in config.dependencies if urns[d].type == "aws:sagemaker/model:Model")
        role = model.inputs["executionRoleArn"]
        container = model.inputs["primaryContainer"]
        data_prefix = None
        if "modelDataSource" in container:  # an LLM's uncompressed Hugging Face directory (S3Prefix)
            [source] = container["modelDataSource"]["s3DataSources"]
            data_prefix = split_s3(source["s3Uri"])
            key = data_prefix[1] + "model-00001-of-00004.safetensors"
            capture_uri = (config.inputs.get("dataCaptureConfig") or {}).get("destinationS3Uri")
            bucket = split_s3(capture_uri)[0] if capture_uri else data_prefix[0]  # capture goes to the model bucket
        else:
            bucket, key = split_s3(container["modelDataUrl"])
        region = region_of(p, model)
        capture = (config.inputs.get("dataCaptureConfig") or {}).get("destinationS3Uri")
        outputs = (config.inputs.get("asyncInferenceConfig") or {}).get("outputConfig") or {}
        topics = outputs.get("notificationConfig") or {}
        contract = sagemaker_hosting(
            region=region,
            account=account_of(role),
            bucket=bucket,
            model_data_key=key,
            key_arn=config.inputs["kmsKeyArn"],
            endpoint_name=endpoint.inputs["name"],
            image_repository_arn=image_repository_arn(model.inputs["primaryContainer"]["image"]),
            capture_prefix=split_s3(capture)[1] + "/" if capture else None,
            async_output_prefixes=[
                split_s3(outputs[k])[1].rstrip("/") + "/" for k in ("s3OutputPath", "s3FailurePath") if k in outputs
            ],
            topic_arns=[topics[k] for k in ("successTopic", "errorTopic") if k in topics],
            model_data_prefix=data_prefix,
        )
        out.append((endpoint.name, contract, role, "sagemaker.amazonaws.com"))
        for job in of_type(p, "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"):
            if job.inputs["dataQualityJobInput"]["endpointInput"]["endpointName"] != endpoint.inputs["name"]:
                continue
            if region_of(p, job) != region:
                continue
            assert capture, "a monitoring job needs captured data"
            monitor = model_monitor(
                region=region,
                account=account_of(role),
                bucket=bucket,
                capture_prefix=split_s3(capture)[1] + "/",
                endpoint_name=endpoint.inputs["name"],
                reports_prefix=split_s3(
                    job.inputs["dataQualityJobOutputConfig"]["monitoringOutputs"]["s3Output"]["s3Uri"]
                )[1]
                + "/",
                key_arn=job.inputs["dataQualityJobOutputConfig"]["kmsKeyId"],
                image_repository_arn=image_repository_arn(job.inputs["dataQualityAppSpecification"]["imageUri"]),
            )
            out.append((job.name, monitor, job.inputs["roleArn"], "sagemaker.amazonaws.com"))
    return out


def edge_workloads(p: PreviewResult) -> list[Workload]:
    out = []
    by_role: dict[str, dict[str, bool]] = {}
    for integ in of_type(p, "aws:apigateway/integration:Integration"):
        uri = str(integ.inputs["uri"])
        if ":runtime.sagemaker:path/endpoints/" not in uri:
            continue
        name, _, action = uri.split("path/endpoints/", 1)[1].partition("/")
        by_role.setdefault(integ.inputs["credentials"], {})[name] = action == "async-invocations"
    for role, endpoints in by_role.items():
        region = next(
            region_of(p, i)
            for i in of_type(p, "aws:apigateway/integration:Integration")
            if i.inputs["credentials"] == role
        )
        out.append(
            (role_name(role), api_gateway_invoke(region, account_of(role), endpoints), role, "apigateway.amazonaws.com")
        )
    for rep in of_type(p, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        rule = rep.inputs["rules"][0]["destination"]
        dest_bucket = rule["bucket"].removeprefix("arn:aws:s3:::")
        dest_key = rule["encryptionConfiguration"]["replicaKmsKeyId"]
        source_key = bucket_key(p, rep.inputs["bucket"])
        contract = s3_replication(
            rep.inputs["bucket"], dest_bucket, source_key, dest_key, source_key.split(":")[3], dest_key.split(":")[3]
        )
        out.append((rep.name, contract, rep.inputs["role"], "s3.amazonaws.com"))
    return out


FINDERS: dict[str, Callable[[PreviewResult], list[Workload]]] = {
    "triton": triton_workloads,
    "controllers": controller_workloads,
    "sagemaker": sagemaker_workloads,
    "edge": edge_workloads,
}


def _workloads(previews: Callable[[str], PreviewResult], env: str, kind: str) -> list[Workload]:
    found = FINDERS[kind](previews(env))
    return found


# -- the tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FINDERS))
@pytest.mark.parametrize("env", ENVS)
def test_every_previewed_workload_role_allows_the_calls_its_workload_makes(
    previews: Callable[[str], PreviewResult], env: str, kind: str
) -> None:
    workloads = _workloads(previews, env, kind)
    missing = []
    for label, contract, role, _ in workloads:
        result = check(contract, documents(previews(env), role))
        missing += [
            f"{label}: {f.call.api} as {f.call.action} on {f.call.resource} {dict(f.call.context)} -> "
            f"{f.evaluation.decision}"
            for f in result.denied
        ]
    assert missing == []


@pytest.mark.parametrize("kind", list(FINDERS))
@pytest.mark.parametrize("env", ENVS)
def test_no_workload_role_grants_actions_outside_its_contract(
    previews: Callable[[str], PreviewResult], env: str, kind: str
) -> None:
    outside = {
        label: check(contract, documents(previews(env), role)).outside
        for label, contract, role, _ in _workloads(previews, env, kind)
    }
    assert {k: v for k, v in outside.items() if v} == {}


def test_each_reference_environment_has_every_workload_the_contracts_cover(
    previews: Callable[[str], PreviewResult],
) -> None:
    """Guard against the joins silently finding nothing (which would make the other tests pass vacuously)."""
    kinds = {env: {c.workload for kind in FINDERS for _, c, _, _ in _workloads(previews, env, kind)} for env in ENVS}
    core = {"triton-s3-repository-agent", "aws-load-balancer-controller", "cluster-autoscaler", "sagemaker-hosting"}
    assert all(core <= found for found in kinds.values()), kinds
    assert {"sagemaker-model-monitor", "api-gateway-invoke", "s3-replication"} <= kinds["prod"]


@pytest.mark.parametrize("env", ENVS)
def test_service_role_trust_admits_its_service_for_this_account_only(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    """Confused deputy: a request on behalf of another account's resource must not assume the role."""
    problems = []
    for kind in ("sagemaker", "edge"):
        for label, _, role, service in _workloads(previews, env, kind):
            trust = trust_document(previews(env), role)
            own = {"aws:SourceAccount": account_of(role)}
            other = {"aws:SourceAccount": "999999999999"}
            if not trust_allows(trust, service, own):
                problems.append(f"{label}: {service} cannot assume it for its own account")
            if trust_allows(trust, service, other):
                problems.append(f"{label}: {service} may assume it on behalf of account 999999999999")
    assert problems == []


@pytest.mark.parametrize("env", ENVS)
def test_every_service_role_the_stack_writes_names_a_source_condition(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    """Every trust statement for a service principal carries aws:SourceAccount or aws:SourceArn, except EC2's
    instance role (EC2 sets neither key when an instance profile's role is assumed)."""
    lacking = []
    for role in of_type(previews(env), ROLE):
        for stmt in json.loads(str(role.inputs["assumeRolePolicy"]))["Statement"]:
            services = (stmt.get("Principal") or {}).get("Service")
            if not services or services == "ec2.amazonaws.com":
                continue
            keys = {k.lower() for block in (stmt.get("Condition") or {}).values() for k in block}
            if not keys & {"aws:sourceaccount", "aws:sourcearn"}:
                lacking.append(f"{role.name} ({services})")
    assert lacking == []


# Actions whose SAR entry lists no resource type: a statement scoping them to an ARN never matches a request.
# SAR pages read 2026-12-02: elasticloadbalancing:SetWebAcl (list_awselasticloadbalancingv2.html) and
# logs:DescribeLogGroups (list_amazoncloudwatchlogs.html), the two issue 12 found; the others are the ones the
# stack grants (ecr:GetAuthorizationToken, cloudwatch:PutMetricData, ec2:Describe*).
RESOURCE_STAR_ONLY = (
    "elasticloadbalancing:setwebacl",
    "logs:describeloggroups",
    "ecr:getauthorizationtoken",
    "cloudwatch:putmetricdata",
    "ec2:describe*",
)


@pytest.mark.parametrize("env", ENVS)
def test_no_policy_scopes_an_action_that_only_takes_star_to_an_arn(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    from inferstack.iam_eval import glob_match

    unusable = []
    for r in of_type(previews(env), ROLE_POLICY):
        for stmt in json.loads(str(r.inputs["policy"]))["Statement"]:
            resources = stmt.get("Resource")
            resources = resources if isinstance(resources, list) else [resources]
            actions = stmt.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            for a in actions:
                if any(glob_match(p, str(a).lower()) for p in RESOURCE_STAR_ONLY) and resources != ["*"]:
                    unusable.append(f"{r.name}: {a} on {resources}")
    assert unusable == []


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _irsa_allows(trust: str, namespace: str, service_account: str) -> bool:
    """Whether the role's trust lets a pod of `namespace/service_account` exchange its projected token."""
    from inferstack.iam_eval import evaluate

    statements = [s for s in json.loads(trust)["Statement"] if "Federated" in (s.get("Principal") or {})]
    if not statements:
        return False
    issuer = statements[0]["Principal"]["Federated"].split(":oidc-provider/", 1)[1]
    context = {
        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    return evaluate([{"Statement": statements}], "sts:AssumeRoleWithWebIdentity", "*", context).allowed


@pytest.mark.parametrize("env", ENVS)
def test_irsa_roles_trust_exactly_the_service_account_their_workload_runs_as(
    previews: Callable[[str], PreviewResult], env: str
) -> None:
    """The trust's `sub` must name the namespace and service account the pods really use (else AccessDenied on
    AssumeRoleWithWebIdentity), and no other service account."""
    p = previews(env)
    users: list[tuple[str, str, str, str]] = []  # (label, role ARN, namespace, service account)
    for sa in of_type(p, "kubernetes:core/v1:ServiceAccount"):
        meta = sa.inputs["metadata"]
        users.append((sa.name, meta["annotations"]["eks.amazonaws.com/role-arn"], meta["namespace"], meta["name"]))
    for chart in ("aws-load-balancer-controller", "cluster-autoscaler"):
        for rel in release(p, chart):
            values = rel.inputs["values"]
            sa_values = (
                values["serviceAccount"]
                if chart == "aws-load-balancer-controller"
                else values["rbac"]["serviceAccount"]
            )
            users.append(
                (
                    rel.name,
                    sa_values["annotations"]["eks.amazonaws.com/role-arn"],
                    rel.inputs["namespace"],
                    sa_values["name"],
                )
            )
    assert len(users) >= 3
    problems = []
    for label, role, namespace, account in users:
        trust = trust_document(p, role)
        if not _irsa_allows(trust, namespace, account):
            problems.append(f"{label}: {namespace}/{account} cannot assume {role_name(role)}")
        if _irsa_allows(trust, namespace, "default"):
            problems.append(f"{label}: {namespace}/default may assume {role_name(role)}")
    assert problems == []

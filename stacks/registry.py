"""Stack wiring for the model registry (environment config -> ModelRegistry args).

Per region: one `ModelRegistry` (artifact bucket + serving-image ECR repository). The primary
region also holds one SageMaker Model Package Group per package under `model_packages/`; in a
two-region environment the secondary bucket receives the primary's artifacts through S3
replication (`ModelArtifactReplication`, created with the primary region's provider).

Names follow `inferstack.packages.naming`, which the package CLI uses to find the bucket and groups
when no stack output is at hand. Stack outputs: `model_bucket`, `model_package_groups`,
`model_artifacts` (the S3 URI of every pinned version), `serving_image_repository` and, with a
secondary region, `replica_model_bucket`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from inferstack.artifacts import artifact_key
from inferstack.components.model_registry import ModelArtifactReplication, ModelRegistry
from inferstack.config.llm_package import LlmPackage
from inferstack.config.loader import Project, load_package
from inferstack.packages.naming import model_bucket_name, package_group_name, serving_repository_name
from stacks.context import RegionStack, RegistryOutputs, StackContext


@dataclass
class _RegistryState(RegistryOutputs):
    """The contract plus what the secondary region needs from the primary (versioning order, key)."""

    component: ModelRegistry | None = None
    key_arn: pulumi.Output[str] | None = None


def build(ctx: StackContext, rs: RegionStack) -> None:
    """Compose the model registry in one region."""
    if rs.platform is None:
        raise ValueError(
            f"registry in {rs.region}: the platform (stacks/platform.build) is not built yet; the artifact bucket "
            "needs the environment key rs.platform.key_arn, so run platform.build before registry.build"
        )
    env = ctx.env
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=rs.provider)).account_id
    bucket_name = account.apply(lambda a: model_bucket_name(env.name, a, rs.region))
    project = Project(ctx.root)
    # A package limited to some environments (`environments:` in its model.yaml) gets no group elsewhere.
    # LLM packages (kind: llm) are referenced by their weights_uri and not published through `package
    # publish`, so they get no model package group.
    packages = [
        name
        for name in project.package_names()
        if not isinstance(pkg := load_package(project, name), LlmPackage)
        and ((allowed := pkg.environments) is None or env.name in allowed)
    ]
    groups = {model: package_group_name(env.name, model) for model in packages} if rs.is_primary else {}
    registry = ModelRegistry(
        f"model-registry{rs.suffix}",
        {
            "kms_key_arn": rs.platform.key_arn,
            "bucket_name": bucket_name,
            "package_groups": groups,
            "package_group_descriptions": {
                m: f"{m} in {env.name}: {ctx.packages[m].description}" for m in groups if m in ctx.packages
            },
            "ecr_repository_name": serving_repository_name(env.name),
            "tags": ctx.tags,
        },
        opts=rs.opts(),
    )
    rs.registry = _RegistryState(
        bucket_name=registry.bucket_name,
        bucket_arn=registry.bucket_arn,
        ecr_repository_url=registry.ecr_repository_url,
        package_group_names=registry.package_group_names,
        component=registry,
        key_arn=rs.platform.key_arn,
    )

    if rs.is_primary:
        pulumi.export("model_bucket", registry.bucket_name)
        pulumi.export("model_package_groups", registry.package_group_names)
        pulumi.export(
            "model_artifacts",
            registry.bucket_name.apply(
                lambda b: {d.model: _artifact_uri(ctx, b, d.model, d.version) for d in env.deployments}
            ),
        )
        if registry.ecr_repository_url is not None:
            pulumi.export("serving_image_repository", registry.ecr_repository_url)
        return

    primary = ctx.primary.registry
    if not isinstance(primary, _RegistryState) or primary.component is None or primary.key_arn is None:
        raise ValueError(
            f"registry in {rs.region}: the primary region's registry is not built yet; build the primary region first"
        )
    ModelArtifactReplication(
        f"model-replication{rs.suffix}",
        {
            "source_bucket_name": primary.bucket_name,
            "source_bucket_arn": primary.bucket_arn,
            "source_kms_key_arn": primary.key_arn,
            "destination_bucket_arn": registry.bucket_arn,
            "destination_kms_key_arn": rs.platform.key_arn,
            "tags": ctx.tags,
        },
        # Replication lives on the source bucket, so it uses the primary region's provider.
        opts=ctx.primary.opts(depends_on=[primary.component.versioning, registry.versioning]),
    )
    pulumi.export("replica_model_bucket", registry.bucket_name)


def _artifact_uri(ctx: StackContext, bucket: str, model: str, version: int) -> str:
    """What a deployment serves: the archive in the model bucket, or an LLM's weights where its manifest points."""
    package = ctx.packages.get(model)
    if isinstance(package, LlmPackage):
        return package.weights_uri
    return f"s3://{bucket}/{artifact_key(model, version)}"

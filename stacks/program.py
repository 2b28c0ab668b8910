"""The inferstack program: environment file -> components, one explicit AWS provider per region."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from inferstack.config.environment import all_tags
from inferstack.config.loader import InputError, Project, load_environment, load_package
from stacks import edge, observability, platform, registry, serving
from stacks.context import RegionStack, StackContext

ROOT = Path(__file__).resolve().parent.parent


def environment_name() -> str:
    """`inferstack:environment` from the stack config, else the stack name."""
    return pulumi.Config("inferstack").get("environment") or pulumi.get_stack()


def load_context() -> StackContext:
    project = Project(ROOT)
    env = load_environment(project, environment_name())
    packages = {d.model: load_package(project, d.model) for d in env.deployments}
    ctx = StackContext(env=env, root=ROOT, packages=packages, tags=all_tags(env))
    cidrs = [env.network.cidr, env.network.secondary_cidr]
    for i, region in enumerate(env.regions.all):
        provider = aws.Provider(f"aws-{region}", region=region)
        ctx.regions.append(RegionStack(region=region, is_primary=i == 0, provider=provider, cidr=str(cidrs[i])))
    return ctx


def main() -> None:
    try:
        ctx = load_context()
    except InputError as exc:
        # `pulumi up` shows this as the program's error; the offline CLI re-raises it as exit 2.
        raise pulumi.RunError(exc.message) from exc
    for rs in ctx.regions:
        platform.build(ctx, rs)
        registry.build(ctx, rs)
        observability.build_alerting(ctx, rs)
        serving.build(ctx, rs)
        edge.build_api(ctx, rs)
    edge.build_dns(ctx)
    observability.build_environment(ctx)
    pulumi.export("environment", ctx.env.name)
    pulumi.export("regions", ctx.env.regions.all)

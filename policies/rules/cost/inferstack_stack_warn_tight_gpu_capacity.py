"""Warn when a GPU node group's capacity is tight for its deployments (inferstack/capacity.py): the maximum
replicas need more than 80% of max_size (no room for a rolling update's surge pod or a replaced node), or
the minimum replicas need more nodes than a non-zero min_size."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from inferstack.policies.rules._base import RuleMeta, effective_config, env_of, stack_policy

META = RuleMeta(pack="cost", levels="AAA", anchors=("inferstack capacity model",))


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    cfg = effective_config(args, POLICY.config_schema, META)
    try:
        from inferstack.capacity import warnings
        from inferstack.config.loader import InputError, find_project, load_environment
    except ImportError:
        args.not_applicable("the inferstack capacity model is not importable next to the policy pack")
        return
    env_name = env_of(cfg)
    try:
        env = load_environment(find_project(), env_name, check_packages=False)
    except InputError:
        args.not_applicable(f"environments/{env_name}.yaml cannot be loaded here")
        return
    for finding in warnings(env):
        where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in finding.path).replace(".[", "[")
        report_violation(f"environments/{env_name}.yaml at {where}: {finding.message}", None)


POLICY = stack_policy(
    name="inferstack-stack-warn-tight-gpu-capacity",
    description="GPU node groups leave headroom over what their deployments need at minimum and maximum.",
    meta=META,
    severity=Severity.MEDIUM,
    remediation="Raise max_size (or min_size) of the GPU node group, or lower the deployment's replicas.",
    validate=validate,
)

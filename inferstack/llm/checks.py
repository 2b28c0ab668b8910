"""The LLM checks `inferstack validate` and `inferstack package validate` run: package files and the planner.

Messages follow the loader's shape, `file:line:col ==> at field\\n  ==> problem; fix`, so a deployment that
cannot fit points at its line in `environments/<env>.yaml` with the planner's arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from inferstack.config.environment import LLM_TARGETS, Environment
from inferstack.config.llm_package import LlmPackage, SafetensorsError
from inferstack.errors import InputError
from inferstack.llm.planner import LlmPlan, PlanError, plan_for_deployment
from inferstack.project import Project


def _node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
        if node is None:
            return None
    return node


def _where(rel: str, node: yaml.Node | None, loc: tuple[int | str, ...]) -> str:
    """file:line:col of the deepest part of `loc` present in the YAML (the deployment itself at worst)."""
    for n in range(len(loc), 0, -1):
        target = _node_at(node, loc[:n])
        if target is not None:
            return f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}"
    return rel


def package_check(project: Project, name: str) -> tuple[list[str], list[str]]:
    """(checks passed, problems) of one LLM package: config.json, tokenizer files, safetensors headers."""
    from inferstack.config.loader import load_package

    pkg = load_package(project, name)
    if not isinstance(pkg, LlmPackage):
        raise InputError(f"{name}: not an LLM package (kind: llm)")
    directory = project.packages_dir / name
    manifest = project.rel(directory / "model.yaml")
    ok: list[str] = []
    problems: list[str] = []
    missing = pkg.missing_files(directory)
    if missing:
        problems.append(
            f"{manifest} ==> the package lacks {', '.join(missing)}; a Hugging Face model directory carries "
            "config.json and its tokenizer files"
        )
    try:
        arch = pkg.architecture(directory)
        ok.append(
            f"{pkg.config}: {arch.model_type}, {arch.num_hidden_layers} layers, {arch.num_attention_heads} attention / "
            f"{arch.num_key_value_heads} KV heads, head_dim {arch.head_dim}, max positions "
            f"{arch.max_position_embeddings:,}"
        )
    except ValueError as exc:
        problems.append(f"{manifest} ==> at config\n  ==> {exc}")
        return ok, problems
    try:
        local = pkg.safetensors(directory)
        params = pkg.parameter_count(directory)
        weights = pkg.weight_bytes(directory)
    except (SafetensorsError, ValueError) as exc:
        problems.append(f"{manifest} ==> {exc}")
        return ok, problems
    if local is not None:
        dtypes = ", ".join(f"{d} {n:,}" for d, n in local.dtypes.items())
        ok.append(
            f"safetensors headers ({', '.join(local.files)}): {params:,} parameters ({dtypes}), {weights:,} bytes"
        )
        expected = {"bf16": "BF16", "fp16": "F16"}.get(pkg.serving.precision)
        if expected is not None and set(local.dtypes) - {expected}:
            problems.append(
                f"{manifest} ==> at serving.precision\n  ==> precision {pkg.serving.precision} but the safetensors "
                f"hold {dtypes}; convert the weights or declare the precision they have"
            )
    else:
        ok.append(f"{params:,} parameters, {weights:,} bytes of weights at {pkg.serving.precision}")
    return ok, problems


def package_problems(project: Project, names: list[str]) -> list[str]:
    messages = []
    for name in names:
        try:
            messages += package_check(project, name)[1]
        except InputError as exc:
            messages.append(exc.message)
    return messages


def deployment_plans(project: Project, env: Environment) -> tuple[dict[str, LlmPlan], list[str]]:
    """The plan of every LLM deployment of `env` by model, and one message per deployment that cannot be planned."""
    from inferstack.config.loader import load_package

    path = project.environments_dir / f"{env.name}.yaml"
    rel = project.rel(path)
    try:
        node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        node = None
    plans: dict[str, LlmPlan] = {}
    problems: list[str] = []
    for i, d in enumerate(env.deployments):
        if d.target not in LLM_TARGETS:
            continue
        try:
            pkg = load_package(project, d.model)
        except InputError as exc:
            problems.append(exc.message)
            continue
        if not isinstance(pkg, LlmPackage):
            continue  # the loader reports a Triton package on an LLM target
        try:
            plans[d.model] = plan_for_deployment(env, d, pkg, package_dir=project.packages_dir / d.model)
        except PlanError as exc:
            loc: tuple[int | str, ...] = ("deployments", i, *exc.field.split("."))
            problems.append(f"{_where(rel, node, loc)} ==> at deployments[{i}].{exc.field} ({d.model})\n  ==> {exc}")
    return plans, problems


def deployment_problems(project: Project, env: Environment) -> list[str]:
    return deployment_plans(project, env)[1]


def llm_package_name(project: Project, path_or_name: str) -> str | None:
    """The package name when `path_or_name` (a package directory or name, as `package validate` takes) is an LLM
    package; None otherwise (Triton packages and bad paths go to inferstack.packages.validate, which explains)."""
    from inferstack.config.loader import load_package

    candidate = Path(path_or_name)
    if (candidate / "model.yaml").is_file():
        directory = candidate.resolve()
        if directory.parent != project.packages_dir.resolve():
            return None
        name = directory.name
    elif (project.packages_dir / path_or_name / "model.yaml").is_file():
        name = path_or_name
    else:
        return None
    try:
        pkg = load_package(project, name)  # the loader's hardened YAML reader, never a second parser
    except InputError:
        return None  # resolve_package reports the same error for either kind
    return name if isinstance(pkg, LlmPackage) else None


def validate_llm_package(project: Project, name: str) -> list[str]:
    """`inferstack package validate` of an LLM package: the package checks, then the plan of every deployment of
    it in the environments. Returns the check lines; raises InputError with every problem."""
    from inferstack.config.loader import load_environment

    ok, problems = package_check(project, name)
    for env_name in project.environment_names():
        try:
            env = load_environment(project, env_name, check_packages=False)
        except InputError:
            continue  # `inferstack validate` reports a broken environment file; this command checks the package
        plans, env_problems = deployment_plans(project, env)
        problems += env_problems
        if name in plans:
            ok.append(f"environments/{env_name}.yaml: {plans[name].arithmetic}")
    if problems:
        raise InputError("\n".join(problems))
    return ok


__all__ = [
    "deployment_plans",
    "deployment_problems",
    "llm_package_name",
    "package_check",
    "package_problems",
    "validate_llm_package",
]

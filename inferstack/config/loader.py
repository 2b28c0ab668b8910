"""Load and validate environment files and model-package manifests, with errors written for humans.

Every problem becomes one `InputError` whose message names the file (with line and column where the
YAML has them), the path of the field, the value and the fix, e.g.::

    environments/prod.yaml:14:7 ==> at deployments[1].instances
      ==> min=3 exceeds max=2; raise max or lower min
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from inferstack.config.environment import ENV_NAMES, LLM_TARGETS, Environment
from inferstack.config.llm_package import LlmPackage
from inferstack.config.model_package import ModelPackage

# InputError, Project and find_project live in light modules (no pydantic), so the CLI can catch input
# errors and find the project without importing the config models; re-exported from here as before.
from inferstack.errors import InputError
from inferstack.project import Project, find_project

__all__ = [
    "InputError",
    "Project",
    "find_project",
    "load_all",
    "load_environment",
    "load_model_package",
    "load_package",
]


# -- YAML with positions ---------------------------------------------------------------------------


def _read_yaml(path: Path, project: Project) -> tuple[Any, yaml.Node | None]:
    rel = project.rel(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{rel} ==> file not found; create it or check the name") from None
    except OSError as exc:
        raise InputError(f"{rel} ==> cannot be read ({exc.strerror}); check its permissions") from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{rel}:{mark.line + 1}:{mark.column + 1}" if mark else rel
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"{where} ==> invalid YAML: {problem}; fix the syntax at that line and column") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{rel} ==> invalid YAML: {exc}; fix the syntax") from None
    if data is None:
        raise InputError(f"{rel} ==> the file is empty; it must hold a mapping of settings")
    if not isinstance(data, dict):
        raise InputError(
            f"{rel} ==> the document is a {type(data).__name__}, expected a mapping of settings (key: value lines)"
        )
    return data, node


def _node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if node is None:
                return None
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def _key_node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    parent = _node_at(node, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        return next((k for k, _ in parent.value if getattr(k, "value", None) == loc[-1]), None)
    return None


def _fmt_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# -- pydantic model introspection for "did you mean" ----------------------------------------------


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current


def _describe(model: type[BaseModel], err: Any) -> str:
    loc: tuple[int | str, ...] = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        valid = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {loc[-1]!r}; {hint}valid keys here: {', '.join(valid)}"
    if kind == "missing":
        owner = _model_at(model, loc[:-1])
        field = owner.model_fields.get(str(loc[-1])) if owner else None
        what = f" ({field.description})" if field is not None and field.description else ""
        return f"required key {loc[-1]!r} is missing{what}; add it"
    msg = str(err["msg"])
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{msg} (got {value!r}); use one of the listed values"
    shown = value if not isinstance(value, dict | list) else type(value).__name__
    fix = _TYPE_FIXES.get(kind, "change the value to the expected type")
    return f"{msg} (got {shown!r}); {fix}"


_TYPE_FIXES = {
    "int_parsing": "use a whole number",
    "int_type": "use a whole number",
    "int_from_float": "use a whole number",
    "float_parsing": "use a number",
    "float_type": "use a number",
    "bool_parsing": "use true or false",
    "bool_type": "use true or false",
    "string_type": "use a string (quote it in YAML)",
    "list_type": "use a list, e.g. [a, b]",
    "dict_type": "use a mapping, e.g. {key: value}",
    "model_type": "use a mapping of the listed keys",
    "model_attributes_type": "use a mapping of the listed keys",
    "greater_than_equal": "raise the value",
    "less_than_equal": "lower the value",
    "greater_than": "raise the value",
    "less_than": "lower the value",
    "string_pattern_mismatch": "use lowercase letters, digits and dashes",
    "too_short": "add at least one entry",
}


def _validation_message(exc: ValidationError, model: type[BaseModel], rel: str, node: yaml.Node | None) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        target = _key_node_at(node, loc) if err["type"] == "extra_forbidden" else _node_at(node, loc)
        if target is None and loc:
            target = _node_at(node, loc[:-1])
        where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
        lines.append(f"{where} ==> at {_fmt_loc(loc)}\n  ==> {_describe(model, err)}")
    return "\n".join(lines)


# -- loaders ---------------------------------------------------------------------------------------


def load_model_package(project: Project, name: str) -> ModelPackage:
    """A Triton package (no `kind`); an LLM package (`kind: llm`) is an InputError naming load_package's targets."""
    pkg = load_package(project, name)
    if isinstance(pkg, LlmPackage):
        rel = project.rel(project.packages_dir / name / "model.yaml")
        raise InputError(
            f"{rel} ==> at kind\n  ==> {name!r} is an LLM package (kind: llm); it is served by the targets "
            f"{', '.join(LLM_TARGETS)}, not by Triton"
        )
    return pkg


# -- LLM packages (issue 16): the manifest model is chosen by `kind` -----------------------------------
PACKAGE_KINDS: dict[str, type[ModelPackage] | type[LlmPackage]] = {"llm": LlmPackage}
"""`kind` -> manifest model; no `kind` is the Triton manifest (ModelPackage)."""


def load_package(project: Project, name: str) -> ModelPackage | LlmPackage:
    """A model package of any kind: ModelPackage (Triton, no `kind`) or LlmPackage (`kind: llm`)."""
    path = project.packages_dir / name / "model.yaml"
    if not path.is_file():
        known = project.package_names()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(
            f"{project.rel(path)} ==> model package {name!r} not found; {hint}known packages: "
            f"{', '.join(known) or 'none'}"
        )
    from inferstack.packages.paths import check_manifest_location

    check_manifest_location(path.parent, project.packages_dir, project.rel)
    data, node = _read_yaml(path, project)
    kind = data.get("kind")
    model: type[ModelPackage] | type[LlmPackage] = ModelPackage
    if kind is not None:
        if kind not in PACKAGE_KINDS:
            where = _node_at(node, ("kind",))
            at = f"{project.rel(path)}:{where.start_mark.line + 1}:{where.start_mark.column + 1}" if where else ""
            raise InputError(
                f"{at or project.rel(path)} ==> at kind\n  ==> unknown package kind {kind!r}; use kind: "
                f"{' or '.join(PACKAGE_KINDS)}, or leave kind out for a Triton package"
            )
        model = PACKAGE_KINDS[kind]
    pkg: ModelPackage | LlmPackage
    try:
        pkg = model.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_message(exc, model, project.rel(path), node)) from None
    # -- end LLM packages
    if pkg.name != name:
        raise InputError(
            f"{project.rel(path)} ==> at name\n  ==> name {pkg.name!r} differs from its directory {name!r}; "
            "make them equal"
        )
    _check_package_paths(project, path, pkg, node)
    return pkg


def _check_package_paths(project: Project, path: Path, pkg: ModelPackage | LlmPackage, node: yaml.Node | None) -> None:
    """Paths the manifest names that leave the package (inferstack/packages/paths.py), before any is read."""
    from inferstack.packages.paths import escape, manifest_problems

    lines = []
    rel = project.rel(path)
    problems: list[tuple[str | None, str, str | None]] = []
    if isinstance(pkg, LlmPackage):  # LLM packages (issue 16) name one file: config
        outside = escape(path.parent, pkg.config)
        if outside is not None:
            problems.append(
                ("config", f"{pkg.config!r} leaves the package (it resolves to {outside}); copy the model's "
                 "config.json into the package directory and name it relative to it", None)
            )  # fmt: skip
    else:
        problems = manifest_problems(path.parent, pkg, project.rel)
    for field, message, shown in problems:
        if field is None:
            lines.append(f"{shown} ==> {message}")
            continue
        target = _node_at(node, (field,))
        where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
        lines.append(f"{where} ==> at {field}\n  ==> {message}")
    if lines:
        raise InputError("\n".join(lines))


def load_environment(project: Project, name: str, *, check_packages: bool = True) -> Environment:
    path = project.environments_dir / f"{name}.yaml"
    rel = project.rel(path)
    if not path.is_file():
        known = project.environment_names()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(
            f"{rel} ==> unknown environment {name!r}; {hint}known environments: {', '.join(known) or 'none'}"
        )
    data, node = _read_yaml(path, project)
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_message(exc, Environment, rel, node)) from None
    if env.name != name:
        raise InputError(
            f"{rel} ==> at name\n  ==> name {env.name!r} differs from the file name {name!r}; make them equal"
        )
    if check_packages:
        _check_deployments(project, env, rel, node)
        _check_capacity(project, env, rel, node)
    return env


def _check_capacity(project: Project, env: Environment, rel: str, node: yaml.Node | None) -> None:
    """Capacity that cannot be scheduled (inferstack/capacity.py) and a stale versions table are input errors."""
    from inferstack.capacity import errors as capacity_errors
    from inferstack.components.versions import check_fresh

    lines = []
    for f in capacity_errors(env):
        target = _node_at(node, f.path)
        where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
        lines.append(f"{where} ==> at {_fmt_loc(f.path)}\n  ==> {f.message}")
    stale = check_fresh()
    if stale:
        lines.append(stale)
    if lines:
        raise InputError("\n".join(lines))


def _check_deployments(project: Project, env: Environment, rel: str, node: yaml.Node | None) -> None:
    for i, dep in enumerate(env.deployments):
        target = _node_at(node, ("deployments", i, "model"))
        where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
        pkg_dir = project.packages_dir / dep.model
        if not (pkg_dir / "model.yaml").is_file():
            known = project.package_names()
            close = difflib.get_close_matches(dep.model, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                f"{where} ==> at deployments[{i}].model\n  ==> model package {dep.model!r} does not exist under "
                f"model_packages/; {hint}known packages: {', '.join(known) or 'none'}"
            )
        pkg = load_package(project, dep.model)
        if (dep.target in LLM_TARGETS) != isinstance(pkg, LlmPackage):
            tnode = _node_at(node, ("deployments", i, "target"))
            twhere = f"{rel}:{tnode.start_mark.line + 1}:{tnode.start_mark.column + 1}" if tnode else where
            kinds = f"LLM targets ({', '.join(LLM_TARGETS)})"
            raise InputError(
                f"{twhere} ==> at deployments[{i}].target\n  ==> "
                + (
                    f"{dep.model!r} is an LLM package (kind: llm); use one of the {kinds}"
                    if isinstance(pkg, LlmPackage)
                    else f"{dep.model!r} is a Triton package; the {kinds} serve kind: llm packages, use "
                    "triton-eks, sagemaker or sagemaker-async"
                )
            )
        if pkg.environments is not None and env.name not in pkg.environments:
            raise InputError(
                f"{where} ==> at deployments[{i}].model\n  ==> model package {dep.model!r} is limited to "
                f"{', '.join(pkg.environments)} (its model.yaml `environments`); add {env.name!r} there or remove "
                "this deployment"
            )
        versions = pkg.available_versions(pkg_dir)
        if dep.version not in versions:
            vnode = _node_at(node, ("deployments", i, "version"))
            vwhere = f"{rel}:{vnode.start_mark.line + 1}:{vnode.start_mark.column + 1}" if vnode else rel
            raise InputError(
                f"{vwhere} ==> at deployments[{i}].version\n  ==> {dep.model} version {dep.version} does not exist; "
                f"available versions: {', '.join(map(str, versions)) or 'none'}; pin one of them"
            )


def load_all(
    project: Project,
) -> tuple[dict[str, Environment], dict[str, ModelPackage | LlmPackage], list[str]]:
    """Validate every environment and package (of every kind); returns what loaded and the error messages."""
    errors: list[str] = []
    packages: dict[str, ModelPackage | LlmPackage] = {}
    for name in project.package_names():
        try:
            packages[name] = load_package(project, name)
        except InputError as exc:
            errors.append(exc.message)
    envs: dict[str, Environment] = {}
    for name in project.environment_names():
        if name not in ENV_NAMES:
            errors.append(
                f"{project.rel(project.environments_dir / (name + '.yaml'))} ==> environment {name!r} is not one of "
                f"{', '.join(ENV_NAMES)}; rename the file"
            )
            continue
        try:
            envs[name] = load_environment(project, name)
        except InputError as exc:
            errors.append(exc.message)
    return envs, packages, errors

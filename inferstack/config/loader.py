"""Load and validate environment files and model-package manifests, with errors written for humans.

Every problem becomes one `InputError` whose message names the file (with line and column where the
YAML has them), the path of the field, the value and the fix, e.g.::

    environments/prod.yaml:14:7 ==> at deployments[1].instances
      ==> min=3 exceeds max=2; raise max or lower min
"""

from __future__ import annotations

import codecs
import difflib
import math
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from inferstack.config.environment import ENV_NAMES, LLM_TARGETS, Environment, FieldError
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
    "read_yaml",
    "shorten",
]


# -- YAML with positions, read strictly ------------------------------------------------------------
#
# Issue 13, classes 4, 5 and 8: an input file is UTF-8, its mapping keys are unique, its numbers are finite
# and fit a 64-bit integer or float, its nesting is bounded and its aliases cannot expand it into a bomb.
# PyYAML's SafeLoader checks none of these: it keeps the last of duplicate keys, reads `.inf`/`.nan`, turns a
# 400-digit literal into a Python int (past 4300 digits its int() raises ValueError), composes nodes
# recursively (a few hundred levels hit Python's recursion limit) and follows every alias, so a 2 KB file of
# nested anchors (the "billion laughs" pattern, CVE-2019-11253 for Kubernetes' go-yaml) expands to 10^9
# nodes for pydantic to walk. Limits below are far above any real environment or manifest (the reference
# prod.yaml has 153 YAML nodes, no alias, 5 levels) and far below what costs noticeable time or memory.
# SnakeYAML bounds aliases the same way (LoadSettings.maxAliasesForCollections); go-yaml v3 bounds the ratio
# of alias-driven decodes (decode.go allowedAliasRatio). Both seen in their sources, 2026-12-02.

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted (the reference files nest at most 5 levels)."""
MAX_ALIASES = 100
"""Alias nodes (`*name`) accepted per file."""
MAX_NODES = 20_000
"""Nodes the document may have once every alias is expanded."""
MAX_ECHO = 200
"""Characters of a value echoed in a message; longer values are cut and their length given."""
INT64 = (-(2**63), 2**63 - 1)


def shorten(value: object, limit: int = MAX_ECHO) -> str:
    """`repr(value)` cut to `limit` characters (an echoed value must not flood a terminal or a CI log)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class _LimitError(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that bounds nesting and aliases while composing (before anything is expanded)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.aliases: list[tuple[yaml.Mark, str, yaml.Node]] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            self.aliases.append((event.start_mark, str(event.anchor), node))  # type: ignore[arg-type]
            if len(self.aliases) > MAX_ALIASES:
                raise _LimitError(
                    event.start_mark,
                    f"more than {MAX_ALIASES} aliases (*name); write the values out or use fewer anchors",
                )
            return node
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(
                    event.start_mark,
                    f"nested deeper than {MAX_DEPTH} levels of mappings and lists; flatten the structure "
                    "(no setting here nests that deep)",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _where(rel: str, mark: yaml.Mark | None) -> str:
    return f"{rel}:{mark.line + 1}:{mark.column + 1}" if mark is not None else rel


def _decode(raw: bytes, rel: str) -> str:
    """The file's text, or InputError naming the encoding problem, its position and the fix."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if raw.startswith(bom):
            raise InputError(
                f"{rel} ==> the file is {name} (it starts with a {name} byte-order mark); save it as UTF-8 "
                "(e.g. `iconv -f {0} -t UTF-8`, or 'UTF-8' in the editor's save dialog)".format(name)
            )
    raw = raw.removeprefix(codecs.BOM_UTF8)  # YAML 1.2 section 5.2 allows a leading UTF-8 byte-order mark
    if b"\x00" in raw[:1024]:
        at = raw.index(b"\x00")
        raise InputError(
            f"{_byte_where(raw, at, rel)} ==> NUL byte at byte offset {at}: the file looks UTF-16 or UTF-32 "
            "encoded (e.g. PowerShell 5's `>` redirection); save it as UTF-8"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{_byte_where(raw, exc.start, rel)} ==> not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset "
            f"{exc.start} ({exc.reason}); save the file as UTF-8"
        ) from None


def _byte_where(raw: bytes, offset: int, rel: str) -> str:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return f"{rel}:{line}:{column}"


def _compose(text: str, rel: str) -> tuple[yaml.Node | None, list[tuple[yaml.Mark, str, yaml.Node]]]:
    try:
        loader = _StrictLoader(text)  # the reader refuses control characters here, before parsing
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(
            f"{rel}:{line}:{column} ==> control character U+{code:04X} is not allowed in YAML; delete it (or "
            "quote it as an escape in a double-quoted string)"
        ) from None
    try:
        node = loader.get_single_node()
    except _LimitError as exc:
        raise InputError(f"{_where(rel, exc.mark)} ==> {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            f"{_where(rel, mark)} ==> invalid YAML: {problem}; fix the syntax at that line and column"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{rel} ==> invalid YAML: {exc}; fix the syntax") from None
    finally:
        loader.dispose()
    return node, loader.aliases


def _check_expansion(rel: str, aliases: list[tuple[yaml.Mark, str, yaml.Node]], root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it past MAX_NODES (sizes memoised per node: linear time)."""
    if not aliases:
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order; composition already bounded the depth
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
    if sizes[id(root)] <= MAX_NODES:
        return
    mark, anchor, target = max(aliases, key=lambda a: sizes.get(id(a[2]), 0))
    big = "more than " + str(MAX_NODES) if sizes[id(target)] > MAX_NODES else str(sizes[id(target)])
    raise InputError(
        f"{_where(rel, mark)} ==> aliases expand the document past {MAX_NODES} values (*{anchor} alone "
        f"repeats {big}); write the values out instead of nesting anchors"
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


_INT_TAG, _FLOAT_TAG, _MERGE_TAG = (
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:merge",
)


def _check_nodes(rel: str, root: yaml.Node) -> None:
    """Duplicate keys, and numbers that are not finite or do not fit 64 bits, with their line and field."""
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[int | str, ...]]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            _check_number(rel, node, loc, constructor)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*loc, i)) for i, child in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                    continue
                ident = (key.tag, key.value)
                if ident in first:
                    raise InputError(
                        f"{_where(rel, key.start_mark)} ==> at {_fmt_loc((*loc, key.value))}\n  ==> key "
                        f"{shorten(key.value)} appears twice in one mapping: first at line "
                        f"{first[ident].start_mark.line + 1}, again at line {key.start_mark.line + 1} (YAML keeps "
                        "only the last); delete one of them"
                    )
                first[ident] = key
            stack.extend(
                (value, (*loc, str(key.value) if isinstance(key, yaml.ScalarNode) else "?"))
                for key, value in reversed(node.value)
            )
            stack.extend((key, loc) for key, _ in node.value if not isinstance(key, yaml.ScalarNode))


def _check_number(rel: str, node: yaml.ScalarNode, loc: tuple[int | str, ...], constructor: Any) -> None:
    if node.tag == _FLOAT_TAG:
        value = constructor.construct_yaml_float(node)
        if not math.isfinite(value):
            raise InputError(
                f"{_where(rel, node.start_mark)} ==> at {_fmt_loc(loc)}\n  ==> {shorten(node.value)} is not a "
                "finite number (infinity, NaN and values past 1.8e308 cannot be stored, compared or sent to AWS); "
                "use a finite number"
            )
    elif node.tag == _INT_TAG:
        digits = node.value.lstrip("+-").replace("_", "")
        value = constructor.construct_yaml_int(node) if len(digits) <= 64 else None
        if value is None or not INT64[0] <= value <= INT64[1]:
            raise InputError(
                f"{_where(rel, node.start_mark)} ==> at {_fmt_loc(loc)}\n  ==> {shorten(node.value, 60)} does not "
                "fit a 64-bit integer (-2^63 to 2^63-1, what AWS APIs and JSON tools accept); use a smaller number"
            )


def read_yaml(path: Path, rel: str) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file strictly (see above): (data, node tree) or InputError naming the file and position.
    The data is built from the checked node tree, so the file is parsed once."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{rel} ==> file not found; create it or check the name") from None
    except IsADirectoryError:
        raise InputError(f"{rel} ==> is a directory, expected a YAML file") from None
    except OSError as exc:
        raise InputError(f"{rel} ==> cannot be read ({exc.strerror}); check its permissions") from None
    text = _decode(raw, rel)
    node, aliases = _compose(text, rel)
    if node is None:
        return None, None
    _check_expansion(rel, aliases, node)
    _check_nodes(rel, node)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(f"{_where(rel, mark)} ==> invalid YAML: {exc.problem or exc.context}; fix it") from None
    except (ValueError, TypeError) as exc:  # e.g. a malformed !!timestamp or !!binary scalar
        raise InputError(f"{rel} ==> invalid YAML value ({shorten(str(exc))}); fix it") from None
    finally:
        loader.dispose()
    return data, node


def _read_yaml(path: Path, project: Project) -> tuple[Any, yaml.Node | None]:
    rel = project.rel(path)
    data, node = read_yaml(path, rel)
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
            # The last match: a `<<: *anchor` merge puts the merged pairs before the mapping's own keys.
            node = next((v for k, v in reversed(node.value) if getattr(k, "value", None) == part), None)
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
        return next((k for k, _ in reversed(parent.value) if getattr(k, "value", None) == loc[-1]), None)
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
        msg = msg.removeprefix("Value error, ")
        if isinstance(value, str) and len(repr(value)) > MAX_ECHO:  # validators quote the value they refuse
            msg = msg.replace(repr(value), shorten(value))
        return _cut(msg)
    if kind == "literal_error":
        return f"{_cut(msg)} (got {shorten(value)}); use one of the listed values"
    shown = shorten(value) if not isinstance(value, dict | list) else repr(type(value).__name__)
    fix = _TYPE_FIXES.get(kind, "change the value to the expected type")
    return f"{_cut(msg)} (got {shown}); {fix}"


def _cut(message: str, limit: int = 4 * MAX_ECHO) -> str:
    """A backstop for messages that quote values in other ways (lists of values, computed strings)."""
    return message if len(message) <= limit else f"{message[:limit]}... (message cut at {limit} characters)"


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


MAX_ERRORS = 20
"""Errors listed per file; a list of 10,000 wrong entries gives the first MAX_ERRORS and a count."""


def _validation_message(exc: ValidationError, model: type[BaseModel], rel: str, node: yaml.Node | None) -> str:
    lines = []
    errors = exc.errors()
    for err in errors[:MAX_ERRORS]:
        loc = tuple(err["loc"])
        at_key = err["type"] == "extra_forbidden"
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, FieldError):  # a rule about a field below the validated value: point there
            loc, at_key = (*loc, *problem.loc), problem.at_key
            err = {**err, "loc": loc}
        target = _key_node_at(node, loc) if at_key else _node_at(node, loc)
        if target is None and loc:
            target = _node_at(node, loc[:-1])
        where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
        lines.append(f"{where} ==> at {_fmt_loc(loc)}\n  ==> {_describe(model, err)}")
    if len(errors) > MAX_ERRORS:
        lines.append(f"{rel} ==> and {len(errors) - MAX_ERRORS} more errors; fix the ones above first")
    return "\n".join(lines)


# -- loaders ---------------------------------------------------------------------------------------

# Strict types (issue 13, class 10): in lax mode pydantic reads `true` as 1, 1 and "yes" as true and "64" as
# 64; an input file that says `failure_threshold: true` is a mistake to report, not to coerce. A float field
# still takes a whole number (`budget_monthly_usd: 3000`), as pydantic's strict mode allows
# (docs.pydantic.dev/2.14/concepts/conversion_table, read 2026-12-02).
_STRICT = True


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
        pkg = model.model_validate(data, strict=_STRICT)
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
        env = Environment.model_validate(data, strict=_STRICT)
    except ValidationError as exc:
        raise InputError(_validation_message(exc, Environment, rel, node)) from None
    if env.name != name:
        raise InputError(
            f"{rel} ==> at name\n  ==> name {env.name!r} differs from the file name {name!r}; make them equal"
        )
    _check_policies(env, rel, node)
    if check_packages:
        _check_deployments(project, env, rel, node)
        _check_capacity(project, env, rel, node)
    _check_serving(env, rel, node, project if check_packages else None)
    return env


def _located(rel: str, node: yaml.Node | None, loc: tuple[int | str, ...], message: str) -> str:
    """`file:line:col ==> at field\n  ==> message`, at the deepest node of `loc` the file has."""
    target = None
    for n in range(len(loc), 0, -1):
        target = _node_at(node, loc[:n])
        if target is not None:
            break
    where = f"{rel}:{target.start_mark.line + 1}:{target.start_mark.column + 1}" if target else rel
    return f"{where} ==> at {_fmt_loc(loc)}\n  ==> {message}"


def _check_policies(env: Environment, rel: str, node: yaml.Node | None) -> None:
    """`policies.*` through the same pack_config that preview, policy-config and policy check use (issue 13,
    class 7): unknown policy names (with the closest registered one), unknown settings, types and ranges."""
    if not env.policies.enforcement and not env.policies.config:
        return  # nothing of the file's own to check: the packs' defaults are tested with the packs
    from inferstack.policies.config import PolicyConfigError, pack_config

    try:
        pack_config(env)
    except PolicyConfigError as exc:
        loc = exc.loc or ("policies",)
        key_node = _key_node_at(node, loc) if exc.at_key else None  # an unknown name: point at the name
        if key_node is not None:
            where = f"{rel}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}"
            raise InputError(f"{where} ==> at {_fmt_loc(loc)}\n  ==> {_cut(str(exc))}") from None
        raise InputError(_located(rel, node, loc, _cut(str(exc)))) from None


_SAGEMAKER_TRITON = ("sagemaker", "sagemaker-async")
"""Targets served by SageMaker's Triton image (sagemaker-llm uses an LLM container)."""


def _check_serving(env: Environment, rel: str, node: yaml.Node | None, project: Project | None) -> None:
    """The SageMaker images every SageMaker deployment needs exist for the version in each region: the lookups
    SageMakerEndpoint makes at preview (components/_serving_images.py), asked here first. The Model Monitor
    image only with `project` (it depends on the package's drift baseline)."""
    if not any(d.target in _SAGEMAKER_TRITON for d in env.deployments):
        return
    from inferstack.components._serving_images import model_monitor_problem, sagemaker_triton_problem

    version = env.serving.sagemaker_triton_version
    for field, region in zip(("primary", "secondary"), env.regions.all, strict=False):
        problem = sagemaker_triton_problem(region, version)
        if problem is not None:
            loc: tuple[int | str, ...] = (
                ("serving", "sagemaker_triton_version") if problem[0] == "version" else ("regions", field)
            )
            raise InputError(_located(rel, node, loc, problem[1]))
        for i, d in enumerate(env.deployments):
            # SageMakerEndpoint looks the image up for data capture on a package with a drift baseline.
            if project is None or not (d.target in _SAGEMAKER_TRITON and d.data_capture.enabled):
                continue
            monitor = model_monitor_problem(region)
            if monitor is not None and load_model_package(project, d.model).drift_baseline:
                raise InputError(_located(rel, node, ("deployments", i, "data_capture", "enabled"), monitor))


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
        canary = dep.rollout.canary_version
        if canary is not None and (canary == dep.version or canary not in versions):
            loc = ("deployments", i, "rollout", "canary_version")
            why = (
                f"canary_version {canary} equals the pinned version (deployments[{i}].version); set the new "
                "version as canary_version, or remove it to promote"
                if canary == dep.version
                else f"canary_version {canary} does not exist in {dep.model}; available versions: "
                f"{', '.join(map(str, versions)) or 'none'}; pick one of them other than {dep.version}"
            )
            raise InputError(_located(rel, node, loc, why))


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

"""`inferstack policy check`: audit a `pulumi stack export` checkpoint or an inferstack preview JSON.

Both formats become `Resource`s and go through the exact evaluation `inferstack preview` uses
(inferstack.policy_eval, the same policy objects and per-environment configuration). Secrets in a
checkpoint stay wrapped (`Secret`) and are never printed; encrypted ones cannot be read offline and
count as unknown values, as do "[unknown]" placeholders of a preview JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferstack.config.loader import InputError, Project, load_environment
from inferstack.engine.model import UNKNOWN, Resource, Secret
from inferstack.json_input import loads as json_loads
from inferstack.provenance import describe

# A checkpoint secret: {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": ...} or {..., "plaintext": "<JSON>"}
# (pulumi/pulumi sdk/go/common/resource/sig/sig.go; pkg/resource/stack/deployment.go DeserializePropertyValue,
# commit 1b59498, 2026-08-21). Plaintext is kept wrapped in `Secret`; messages are redacted (policy_eval.redact).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ACCEPTED = (
    "accepted formats: a `pulumi stack export` checkpoint (version 3, deployment.resources[]) or an "
    "`inferstack preview --format json` document"
)


@dataclass
class CheckReport:
    """What `policy check` found."""

    input: str
    format: str  # "pulumi-stack-export" | "inferstack-preview"
    environment: str
    resources: int
    evaluated: int
    types_without_rules: list[str]
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_mandatory(self) -> bool:
        return any(v["enforcement_level"] == "mandatory" for v in self.violations)

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "format": self.format,
            "environment": self.environment,
            "summary": {
                "resources": self.resources,
                "evaluated": self.evaluated,
                "types_without_rules": self.types_without_rules,
            },
            "violations": self.violations,
        }


def _from_checkpoint_value(value: Any, where: str = "") -> Any:
    """Checkpoint secrets as `Secret` (plaintext decoded), converting the parsed document in place."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            if isinstance(value.get("plaintext"), str):
                try:  # the plaintext is JSON; a malformed one stays an unknown secret (never echoed)
                    return Secret(_from_checkpoint_value(json_loads(value["plaintext"], where, ACCEPTED), where))
                except InputError:
                    return Secret(UNKNOWN)
            if "value" in value:
                return Secret(_from_checkpoint_value(value["value"], where))
            return Secret(UNKNOWN)  # encrypted with the stack's secrets provider
        for k, v in value.items():  # in place: a 50k-resource checkpoint is not copied (issue 13, class 13)
            if isinstance(v, dict | list):
                value[k] = _from_checkpoint_value(v, where)
        return value
    if isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, dict | list):
                value[i] = _from_checkpoint_value(v, where)
        return value
    return value


def _from_preview_value(value: Any) -> Any:
    if value == "[unknown]":
        return UNKNOWN
    if value == "[secret]":
        return Secret(UNKNOWN)
    if isinstance(value, dict):
        return {k: _from_preview_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_preview_value(v) for v in value]
    return value


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _kind(value: Any) -> str:
    """What a value is, for messages (never the value itself: it may be a secret)."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _entry(r: Any, at: str, where: str) -> dict[str, Any]:
    """The checked fields of one resource entry; InputError naming the field, what it is and the fix."""
    fix = "re-export the stack with `pulumi stack export --file state.json` or regenerate the preview JSON"
    if not isinstance(r, dict):
        raise InputError(f"{where} ==> at {at} ==> must be an object, got {_kind(r)}; {fix}")
    for key in ("urn", "type"):
        if key not in r:
            raise InputError(f"{where} ==> at {at} ==> has no {key}; {ACCEPTED}")
    checked: dict[str, Any] = {}
    for key, required in (("urn", True), ("type", True), ("parent", False), ("provider", False)):
        value = r.get(key)
        if value is None and not required:
            checked[key] = None
        elif not isinstance(value, str) or not value:
            raise InputError(f"{where} ==> at {at}.{key} ==> must be a non-empty string, got {_kind(value)}; {fix}")
        else:
            checked[key] = value
    if not checked["urn"].startswith("urn:pulumi:"):
        shown = checked["urn"][:60]
        raise InputError(f"{where} ==> at {at}.urn ==> {shown!r} is not a Pulumi URN (urn:pulumi:...); {fix}")
    inputs = r.get("inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise InputError(f"{where} ==> at {at}.inputs ==> must be an object, got {_kind(inputs)}; {fix}")
    checked["inputs"] = inputs or {}
    deps = r.get("dependencies")
    if deps is not None and (not isinstance(deps, list) or not all(isinstance(d, str) for d in deps)):
        raise InputError(f"{where} ==> at {at}.dependencies ==> must be a list of URN strings; {fix}")
    checked["dependencies"] = list(deps or [])
    custom = r.get("custom")
    if custom is not None and not isinstance(custom, bool):
        raise InputError(f"{where} ==> at {at}.custom ==> must be true or false, got {_kind(custom)}; {fix}")
    checked["custom"] = custom
    name = r.get("name")
    checked["name"] = name if isinstance(name, str) and name else _name_of(checked["urn"])
    return checked


def parse_document(doc: Any, where: str) -> tuple[str, str | None, list[Resource]]:
    """(format, stack or environment named in the file, resources); InputError for anything else."""
    if isinstance(doc, dict) and isinstance(doc.get("deployment"), dict) and "version" in doc:
        if doc["version"] != 3:
            version = doc["version"] if isinstance(doc["version"], int | float) else _kind(doc["version"])
            raise InputError(
                f"{where} ==> checkpoint version {version!r} is not supported; export it with a "
                f"current Pulumi CLI (version 3); {ACCEPTED}"
            )
        raw = doc["deployment"].get("resources") or []
        if not isinstance(raw, list):
            raise InputError(f"{where} ==> at deployment.resources ==> is not a list; {ACCEPTED}")
        resources = []
        for i, r in enumerate(raw):
            e = _entry(r, f"deployment.resources[{i}]", where)
            resources.append(
                Resource(
                    urn=e["urn"],
                    type=e["type"],
                    name=_name_of(e["urn"]),
                    parent=e["parent"],
                    custom=bool(e["custom"]),
                    provider=e["provider"],
                    dependencies=e["dependencies"],
                    inputs=_from_checkpoint_value(e["inputs"], where),
                )
            )
        stack = resources[0].urn.split("::", 1)[0].rsplit(":", 1)[-1] if resources else None
        return "pulumi-stack-export", stack, resources
    if isinstance(doc, dict) and "schema_version" in doc and isinstance(doc.get("resources"), list):
        resources = []
        for i, r in enumerate(doc["resources"]):
            e = _entry(r, f"resources[{i}]", where)
            provider = e["provider"]
            resources.append(
                Resource(
                    urn=e["urn"],
                    type=e["type"],
                    name=e["name"],
                    parent=e["parent"],
                    custom=True if e["custom"] is None else e["custom"],
                    provider=f"{provider}::id" if provider else None,
                    dependencies=e["dependencies"],
                    inputs=_from_preview_value(e["inputs"]),
                )
            )
        named = doc.get("environment") or doc.get("stack")
        return "inferstack-preview", named if isinstance(named, str) else None, resources
    raise InputError(f"{where} ==> not a recognised document; {ACCEPTED}")


def read_document(path: Path) -> Any:
    """The parsed input file; InputError for unreadable, non-UTF-8, non-finite or too deeply nested JSON."""
    from inferstack.json_input import read_json

    return read_json(path, ACCEPTED)


def check_file(project: Project | None, path: Path, env_name: str | None = None) -> CheckReport:
    """Evaluate both packs over the file for ENV (default: the file's stack/environment, else dev).

    Without a project (run outside any checkout) the environment's default levels and limits apply."""
    from inferstack.policies.config import PolicyConfigError, pack_config
    from inferstack.policies.registry import all_rules
    from inferstack.policies.rules._base import ENVS
    from inferstack.policy_eval import evaluate_resources

    fmt, named, resources = parse_document(read_document(path), str(path))
    env = env_name or (named if named in ENVS else "dev")
    environment: Any = env
    if project is None:
        if env not in ENVS:
            raise InputError(
                f"--env {env!r} ==> outside a project only the built-in environments are known: {', '.join(ENVS)}; "
                "pick one or pass --project DIR"
            )
    elif (project.environments_dir / f"{env}.yaml").exists() or env not in ENVS:
        # an environment file that exists must load: a broken one is an error (exit 2), never a silent
        # fallback to the pack defaults
        environment = load_environment(project, env, check_packages=False)
    # else: no file for this stack: the packs' per-environment defaults apply
    try:
        config = pack_config(environment)
    except PolicyConfigError as exc:
        raise InputError(f"environments/{env}.yaml ==> {exc}") from None
    rules = all_rules()
    audited = [r for r in resources if r.type != "pulumi:pulumi:Stack"]
    types = {r.type for r in audited}  # rule lookups once per type, not per resource
    covered = {t for t in types if any(rule.applies_to(t) for rule in rules)}
    with_rules = {t for t in types if any(rule.names_type(t) for rule in rules)}
    evaluated = [r for r in audited if r.type in covered]
    bare = Counter(
        r.type for r in audited if r.custom and not r.type.startswith("pulumi:providers:") and r.type not in with_rules
    )
    violations = evaluate_resources(resources, config)
    if project is not None and not isinstance(environment, str):
        from inferstack.provenance import annotate

        env_file = project.environments_dir / f"{env}.yaml"
        annotate(violations, resources, environment, env_file, project.rel(env_file))
    return CheckReport(
        input=str(path),
        format=fmt,
        environment=env,
        resources=len(audited),
        evaluated=len(evaluated),
        types_without_rules=sorted(bare),
        violations=violations,
    )


def render_chunks(report: CheckReport, fmt: str) -> Iterator[str]:
    """The output in pieces, so 100k violations are never one list of small strings plus one large string
    (json.dumps with indent joins its pure-Python encoder's chunks in memory); same text as `render`."""
    if fmt == "json":
        yield from json.JSONEncoder(indent=2).iterencode(report.to_json())
        yield "\n"
    else:
        yield render(report, fmt)


def render(report: CheckReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    md = fmt == "markdown"
    from inferstack.text import plural

    summary = (
        f"{plural(report.resources, 'resource')}, {report.evaluated} evaluated, "
        f"{plural(len(report.types_without_rules), 'type')} without rules"
    )
    lines = [
        f"### inferstack policy check: `{report.input}`" if md else f"inferstack policy check: {report.input}",
        "",
        f"{'**' if md else ''}{report.format}, environment {report.environment}: {summary}{'**' if md else ''}",
    ]
    if report.types_without_rules:
        lines.append("")
        lines.append("Types without rules:")
        lines += [f"- `{t}`" if md else f"  {t}" for t in report.types_without_rules]
    lines.append("")
    if not report.violations:
        lines.append("Policy violations: none")
    else:
        lines.append(f"Policy violations ({len(report.violations)}):")
        for v in report.violations:
            urn = v["urn"] or "(stack)"
            head = f"[{v['enforcement_level']}] {v['policy']} ({v['pack']}, {v['severity']}): {urn}"
            lines.append(f"- {head}" if md else f"  {head}")
            lines.append(f"  {v['message']}" if md else f"      {v['message']}")
            if v.get("source"):
                where = describe(v)
                lines.append(f"  ==> `{where}`" if md else f"      ==> {where}")
    return "\n".join(lines) + "\n"

"""`inferstack policy check`: audit a `pulumi stack export` checkpoint or an inferstack preview JSON.

Both formats become `Resource`s and go through the exact evaluation `inferstack preview` uses
(inferstack.policy_eval, the same policy objects and per-environment configuration). Secrets in a
checkpoint stay wrapped (`Secret`) and are never printed; encrypted ones cannot be read offline and
count as unknown values, as do "[unknown]" placeholders of a preview JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferstack.config.loader import InputError, Project, load_environment
from inferstack.engine.model import UNKNOWN, Resource, Secret

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


def _from_checkpoint_value(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            if "plaintext" in value:
                try:
                    return Secret(_from_checkpoint_value(json.loads(value["plaintext"])))
                except (TypeError, ValueError):
                    return Secret(UNKNOWN)
            if "value" in value:
                return Secret(_from_checkpoint_value(value["value"]))
            return Secret(UNKNOWN)  # encrypted with the stack's secrets provider
        return {k: _from_checkpoint_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_checkpoint_value(v) for v in value]
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


def parse_document(doc: Any, where: str) -> tuple[str, str | None, list[Resource]]:
    """(format, stack or environment named in the file, resources); InputError for anything else."""
    if isinstance(doc, dict) and isinstance(doc.get("deployment"), dict) and "version" in doc:
        if doc["version"] != 3:
            raise InputError(
                f"{where} ==> checkpoint version {doc['version']!r} is not supported; export it with a current "
                f"Pulumi CLI (version 3); {ACCEPTED}"
            )
        raw = doc["deployment"].get("resources") or []
        if not isinstance(raw, list):
            raise InputError(f"{where} ==> deployment.resources is not a list; {ACCEPTED}")
        resources = []
        for i, r in enumerate(raw):
            if not isinstance(r, dict) or "urn" not in r or "type" not in r:
                raise InputError(f"{where} ==> deployment.resources[{i}] has no urn/type; {ACCEPTED}")
            resources.append(
                Resource(
                    urn=r["urn"],
                    type=r["type"],
                    name=_name_of(r["urn"]),
                    parent=r.get("parent"),
                    custom=bool(r.get("custom", False)),
                    provider=r.get("provider"),
                    dependencies=list(r.get("dependencies") or []),
                    inputs=_from_checkpoint_value(r.get("inputs") or {}),
                )
            )
        stack = resources[0].urn.split("::", 1)[0].rsplit(":", 1)[-1] if resources else None
        return "pulumi-stack-export", stack, resources
    if isinstance(doc, dict) and "schema_version" in doc and isinstance(doc.get("resources"), list):
        resources = []
        for i, r in enumerate(doc["resources"]):
            if not isinstance(r, dict) or "urn" not in r or "type" not in r:
                raise InputError(f"{where} ==> resources[{i}] has no urn/type; {ACCEPTED}")
            provider = r.get("provider")
            resources.append(
                Resource(
                    urn=r["urn"],
                    type=r["type"],
                    name=r.get("name") or _name_of(r["urn"]),
                    parent=r.get("parent"),
                    custom=bool(r.get("custom", True)),
                    provider=f"{provider}::id" if provider else None,
                    dependencies=list(r.get("dependencies") or []),
                    inputs=_from_preview_value(r.get("inputs") or {}),
                )
            )
        return "inferstack-preview", doc.get("environment") or doc.get("stack"), resources
    raise InputError(f"{where} ==> not a recognised document; {ACCEPTED}")


def read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path} ==> file not found; {ACCEPTED}") from None
    except OSError as exc:
        raise InputError(f"{path} ==> cannot be read ({exc.strerror})") from None
    if not text.strip():
        raise InputError(f"{path} ==> the file is empty; {ACCEPTED}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path} ==> not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); the file may be "
            f"truncated; {ACCEPTED}"
        ) from None


def check_file(project: Project, path: Path, env_name: str | None = None) -> CheckReport:
    """Evaluate both packs over the file for ENV (default: the file's stack/environment, else dev)."""
    from inferstack.policy_eval import evaluate_resources
    from policies.config import PolicyConfigError, pack_config
    from policies.registry import all_rules
    from policies.rules._base import ENVS

    fmt, named, resources = parse_document(read_document(path), str(path))
    env = env_name or (named if named in ENVS else "dev")
    try:
        environment: Any = load_environment(project, env, check_packages=False)
    except InputError:
        if env_name is not None and env_name not in ENVS:
            raise
        environment = env
    try:
        config = pack_config(environment)
    except PolicyConfigError as exc:
        raise InputError(f"environments/{env}.yaml ==> {exc}") from None
    rules = all_rules()
    audited = [r for r in resources if r.type != "pulumi:pulumi:Stack"]
    evaluated = [r for r in audited if any(rule.applies_to(r.type) for rule in rules)]
    bare = Counter(
        r.type
        for r in audited
        if r.custom
        and not r.type.startswith("pulumi:providers:")
        and not any(rule.names_type(r.type) for rule in rules)
    )
    return CheckReport(
        input=str(path),
        format=fmt,
        environment=env,
        resources=len(audited),
        evaluated=len(evaluated),
        types_without_rules=sorted(bare),
        violations=evaluate_resources(resources, config),
    )


def render(report: CheckReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    md = fmt == "markdown"
    summary = (
        f"{report.resources} resources, {report.evaluated} evaluated, "
        f"{len(report.types_without_rules)} types without rules"
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
    return "\n".join(lines) + "\n"

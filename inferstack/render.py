"""Kubernetes manifests from a preview: every `kubernetes:*` object the program registers, one YAML
file each, validated against the environment's Kubernetes version with kubernetes-validate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from inferstack.config.loader import Project
from inferstack.engine.model import PreviewResult, Resource, to_plain
from inferstack.outputs import replace_dir

# Helm releases are rendered by Helm at deploy time; the offline preview lists them, never templates them.
NOT_MANIFESTS = ("kubernetes:helm.sh/", "kubernetes:yaml/")


@dataclass
class RenderReport:
    written: list[Path] = field(default_factory=list)
    validated: list[Path] = field(default_factory=list)
    not_schema_checked: list[tuple[Path, str]] = field(default_factory=list)  # custom resources
    invalid: list[tuple[Path, str]] = field(default_factory=list)
    helm_releases: list[str] = field(default_factory=list)


def api_version_kind(type_: str) -> tuple[str, str]:
    """`kubernetes:apps/v1:Deployment` -> ("apps/v1", "Deployment"); core group -> "v1"."""
    _, group_version, kind = type_.split(":", 2)
    group, _, version = group_version.rpartition("/")
    return (version if group in ("core", "") else f"{group}/{version}"), kind


def to_manifest(resource: Resource) -> dict[str, Any]:
    body: dict[str, Any] = to_plain(resource.inputs)
    body = {k: v for k, v in body.items() if not k.startswith("__")}
    if resource.type.startswith("kubernetes:apiextensions.k8s.io:CustomResource") or "kind" in body:
        manifest = dict(body)
    else:
        api_version, kind = api_version_kind(resource.type)
        manifest = {"apiVersion": api_version, "kind": kind, **body}
    meta = dict(manifest.get("metadata") or {})
    meta.setdefault("name", resource.name)
    manifest["metadata"] = meta
    return manifest


def _filename(manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    parts = [meta.get("namespace") or "cluster", manifest["kind"], meta["name"]]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts)).lower() + ".yaml"


def render(
    result: PreviewResult,
    out_dir: Path,
    kubernetes_version: str,
    *,
    project: Project | None = None,
    force: bool = False,
) -> RenderReport:
    """Write and validate every manifest into a staging directory next to `out_dir`, then swap it in.

    `out_dir` must be new, empty, or a directory an earlier render wrote (inferstack.outputs explains the
    rules; `force` replaces any other directory that is not part of the project). InputError when refused.
    """
    report = RenderReport()

    def populate(staging: Path) -> list[str]:
        seen: dict[str, int] = {}
        names: list[str] = []
        for res in result.resources:
            if not res.type.startswith("kubernetes:") or not res.custom:
                continue
            if res.type.startswith(NOT_MANIFESTS):
                if res.type.startswith("kubernetes:helm.sh/"):
                    chart = res.inputs.get("chart", "?")
                    report.helm_releases.append(f"{res.name} (chart {chart} {res.inputs.get('version', '')})".strip())
                continue
            manifest = to_manifest(res)
            name = _filename(manifest)
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:  # same object name in another region's cluster
                name = name.replace(".yaml", f".{seen[name]}.yaml")
            (staging / name).write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
            names.append(name)
            final = out_dir / name
            report.written.append(final)
            try:
                kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
                report.validated.append(final)
            except kubernetes_validate.SchemaNotFoundError:
                report.not_schema_checked.append((final, f"{manifest['apiVersion']}/{manifest['kind']}"))
            except kubernetes_validate.ValidationError as exc:
                report.invalid.append((final, _short(exc)))
        return names

    replace_dir(out_dir, populate, project=project, force=force)
    return report


def _short(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or str(exc)
    path = getattr(getattr(exc, "caused_by", None), "path", None)
    return f"{msg} at {'.'.join(map(str, path))}" if path else str(msg)

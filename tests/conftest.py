"""Shared fixtures: the project, cached offline previews, and a way to run components under mocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferstack.config.loader import Project
from inferstack.engine.model import PreviewResult, Resource
from inferstack.engine.recorder import run_program
from inferstack.preview import run_preview

ROOT = Path(__file__).resolve().parent.parent


class Recorded:
    """What a program registered, with small lookup helpers for assertions."""

    def __init__(self, resources: list[Resource], outputs: dict[str, Any] | None = None) -> None:
        self.resources = resources
        self.outputs = outputs or {}

    def all(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        found = [r for r in self.all(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} named {name!r}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Resource:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}"
        return found[0]

    def children_of(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent.urn]


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


_PREVIEWS: dict[str, PreviewResult] = {}


def preview_of(env: str) -> PreviewResult:
    """The full offline preview of a reference environment, computed once per test session."""
    if env not in _PREVIEWS:
        _PREVIEWS[env] = run_preview(Project(ROOT), env)
    return _PREVIEWS[env]


@pytest.fixture(scope="session")
def previews() -> Callable[[str], PreviewResult]:
    return preview_of


def run_components(build: Callable[[], None], *, stack: str = "test", region: str = "us-east-1") -> Recorded:
    """Run `build` (which instantiates components) under the recording mocks."""
    resources, outputs = run_program(
        build, project="inferstack", stack=stack, config={"aws:region": region}, default_region=region
    )
    return Recorded(resources, outputs)

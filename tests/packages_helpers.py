"""Shared helpers for the model-package tests: a throwaway copy of the project to modify freely."""

from __future__ import annotations

import shutil
from pathlib import Path

from inferstack.config.loader import Project

ROOT = Path(__file__).resolve().parent.parent


def copy_project(dest: Path) -> Project:
    """Copy what the package commands and the offline preview read (never dist/ or .venv)."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("environments", "model_packages", "stacks"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return Project(dest)

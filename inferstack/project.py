"""Where the Pulumi project lives (no pydantic: `inferstack --help` and project discovery stay fast)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inferstack.errors import InputError


@dataclass(frozen=True)
class Project:
    """Where the Pulumi project lives."""

    root: Path

    @property
    def environments_dir(self) -> Path:
        return self.root / "environments"

    @property
    def packages_dir(self) -> Path:
        return self.root / "model_packages"

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def environment_names(self) -> list[str]:
        return sorted(p.stem for p in self.environments_dir.glob("*.yaml"))

    def package_names(self) -> list[str]:
        return sorted(p.parent.name for p in self.packages_dir.glob("*/model.yaml"))


def find_project(start: Path | None = None) -> Project:
    """The nearest directory upward from `start` (default: the current directory) holding the inferstack
    `Pulumi.yaml` and `environments/`. Never the directory inferstack was installed from."""
    base = (start or Path.cwd()).resolve()
    for d in [base, *base.parents]:
        if (d / "Pulumi.yaml").is_file() and (d / "environments").is_dir():
            return Project(d)
    raise InputError(
        f"no inferstack project found from {base} ==> run inferstack inside the project (the directory holding "
        "Pulumi.yaml and environments/) or pass --project DIR"
    )

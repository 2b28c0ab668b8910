"""Every path a package names stays inside its package directory, symbolic links followed.

`model.yaml`'s `repository`, `sample_request` and `drift_baseline`, the drift baseline's `dataset`, and
every file under the Triton model directory are package-relative. A value like `../../..`,
`/etc/passwd`, or a symbolic link whose target lies outside the package would make `validate`,
`build`, `publish` or `preview` read (and publish upload) files that are not part of the package.

The rule is one check, used by the manifest loader (before any named file is read) and again by each
reader: the path joined to the package directory and resolved (`Path.resolve()`: `..` collapsed,
every symbolic link followed) must lie under the resolved package directory (`Path.is_relative_to`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from inferstack.config.model_package import ModelPackage
from inferstack.packages.errors import PackageError

PATH_FIELDS = ("repository", "sample_request", "drift_baseline")
"""The manifest fields that name package files."""


def escape(package_dir: Path, value: str | Path) -> Path | None:
    """Where `value` (package-relative) resolves to when that is outside `package_dir`; None when inside."""
    root = package_dir.resolve()
    target = (package_dir / value).resolve()
    return None if target.is_relative_to(root) else target


def package_file(package_dir: Path, value: str, *, where: str, field: str) -> Path:
    """`package_dir / value` (not resolved, for messages); PackageError when it resolves outside the package.

    `where` is the file (and line) that names the path, `field` the key naming it there.
    """
    outside = escape(package_dir, value)
    if outside is not None:
        raise PackageError(f"{where} ==> at {field}\n  ==> {_escape_message(value, outside)}")
    return package_dir / value


def _escape_message(value: str, outside: Path) -> str:
    kind = "is an absolute path" if Path(value).is_absolute() else "leaves the package"
    return (
        f"{value!r} {kind} (it resolves to {outside}); a package reads only files inside its own directory: "
        "name a path relative to the package directory, inside it, and copy the file in"
    )


def escaping_links(package_dir: Path, directory: Path) -> list[tuple[Path, Path]]:
    """(link, resolved target) of every symbolic link under `directory` whose target is outside the package.

    The walk does not follow links (a link to `/` is reported, not descended into).
    """
    found: list[tuple[Path, Path]] = []
    if directory.is_symlink() or not directory.is_dir():
        return found
    for top, dirs, files in os.walk(directory, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(top) / name
            if path.is_symlink():
                outside = escape(package_dir, path.relative_to(package_dir))
                if outside is not None:
                    found.append((path, outside))
    return sorted(found)


def manifest_problems(
    package_dir: Path, pkg: ModelPackage, rel: Callable[[Path], str]
) -> list[tuple[str | None, str, str | None]]:
    """(manifest field or None, message, file shown instead of the manifest) for each path escaping the package.

    Checked by the manifest loader right after the schema, so nothing a manifest names is read before.
    """
    problems: list[tuple[str | None, str, str | None]] = []
    for field in PATH_FIELDS:
        value = getattr(pkg, field, None)  # a manifest kind without the field names no such path
        if value is None:
            continue
        outside = escape(package_dir, value)
        if outside is not None:
            problems.append((field, _escape_message(value, outside), None))
    repository = getattr(pkg, "repository", None)
    if repository is not None and not any(p[0] == "repository" for p in problems):
        for link, target in escaping_links(package_dir, package_dir / repository):
            problems.append(
                (
                    None,
                    f"is a symbolic link to {target}, outside the package directory {rel(package_dir)}/; "
                    "a package holds its own files: replace the link with a copy of the file",
                    _rel_link(rel, link),
                )
            )
    return problems


def _rel_link(rel: Callable[[Path], str], link: Path) -> str:
    """The link's own project-relative path (`rel` resolves, which would show the target)."""
    return f"{rel(link.parent)}/{link.name}"


def check_manifest_location(package_dir: Path, packages_dir: Path, rel: Callable[[Path], str]) -> None:
    """The package directory and its model.yaml are no symbolic links out of model_packages/<name>/."""
    manifest = package_dir / "model.yaml"
    resolved_dir = package_dir.resolve()
    if resolved_dir != packages_dir.resolve() / package_dir.name:
        raise PackageError(
            f"{_rel_link(rel, package_dir)} ==> is a symbolic link to {resolved_dir}, outside {rel(packages_dir)}/; "
            "a package lives in model_packages/<name>/: move the directory there instead of linking it"
        )
    outside = escape(package_dir, "model.yaml")
    if outside is not None:
        raise PackageError(
            f"{_rel_link(rel, manifest)} ==> is a symbolic link to {outside}, outside the package directory; "
            "replace the link with the manifest itself"
        )

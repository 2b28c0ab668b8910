"""Issue 13 class 11: a manifest's paths may not leave their package (`../...`, absolute paths, links out).

Every reader is covered: `inferstack validate`, `package validate/build/publish`, and the environment
loading `preview` does. An audit hook records every file the process opens while a command runs, so
"refused before anything is read" is checked, not assumed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.config.loader import InputError, Project, load_environment
from inferstack.packages.errors import PackageError
from inferstack.packages.validate import resolve_package, validate_package
from tests.packages_helpers import copy_project

_OPENED: list[list[str]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _OPENED and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test collects opens


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """The files opened inside the `with` block."""
    _OPENED.append([])
    try:
        yield _OPENED[-1]
    finally:
        _OPENED.pop()


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    return copy_project(root)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside the project a hostile manifest points at: a Triton model directory, JSON, CSV."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "fraud-scorer").mkdir()
    (secret / "fraud-scorer" / "config.pbtxt").write_text('name: "fraud-scorer"\n')
    (secret / "sample.json").write_text('{"inputs": []}\n')
    (secret / "baseline.json").write_text('{"input": "features", "dataset": "x.csv"}\n')
    (secret / "rows.csv").write_text("1,2\n")
    return secret


def _manifest(proj: Project) -> Path:
    return proj.packages_dir / "fraud-scorer" / "model.yaml"


def _set(proj: Project, field: str, value: str) -> int:
    """Set `field: value` in fraud-scorer's model.yaml; returns the 1-based line of the field."""
    lines = _manifest(proj).read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{field}:"):
            lines[i] = f"{field}: {value}\n"
            _manifest(proj).write_text("".join(lines))
            return i + 1
    raise AssertionError(f"{field} not in model.yaml")


def _read_outside(opened: list[str], secret: Path) -> list[str]:
    return [p for p in opened if Path(p).resolve().is_relative_to(secret.resolve())]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("repository", "../../../secret/fraud-scorer"),
        ("sample_request", "../../../secret/sample.json"),
        ("drift_baseline", "../../../secret/baseline.json"),
        ("sample_request", "ABSOLUTE/sample.json"),
        ("repository", "ABSOLUTE/fraud-scorer"),
    ],
)
def test_a_manifest_path_leaving_the_package_is_refused_before_it_is_read(
    proj: Project, outside: Path, field: str, value: str
) -> None:
    value = value.replace("ABSOLUTE", str(outside))
    line = _set(proj, field, value)
    with recording() as opened:
        result = CliRunner().invoke(app, ["package", "validate", "fraud-scorer"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    kind = "is an absolute path" if value.startswith("/") else "leaves the package"
    assert result.stderr.startswith(
        f"error: model_packages/fraud-scorer/model.yaml:{line}:{len(field) + 3} ==> at {field}\n"
        f"  ==> {value!r} {kind} (it resolves to {(outside / Path(value).name).resolve()}); a package reads only "
        "files inside its own directory: name a path relative to the package directory, inside it, and copy the "
        "file in"
    ), result.stderr
    assert _read_outside(opened, outside) == []


def test_sample_request_etc_passwd_is_refused_with_line_field_value_and_fix(proj: Project) -> None:
    line = _set(proj, "sample_request", "/etc/passwd")
    with recording() as opened, pytest.raises(InputError) as exc:
        resolve_package(proj, "fraud-scorer")
    assert exc.value.message.startswith(
        f"model_packages/fraud-scorer/model.yaml:{line}:17 ==> at sample_request\n"
        "  ==> '/etc/passwd' is an absolute path"
    )
    assert "/etc/passwd" not in opened


def test_every_reader_refuses_it_validate_build_publish_and_preview_loading(proj: Project, outside: Path) -> None:
    _set(proj, "drift_baseline", "../../../secret/baseline.json")
    runner = CliRunner()
    for args in (
        ["validate"],
        ["package", "build", "model_packages/fraud-scorer"],
        ["package", "publish", "model_packages/fraud-scorer", "--env", "dev"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "at drift_baseline\n  ==> '../../../secret/baseline.json' leaves the package" in result.stderr, args
    with pytest.raises(InputError, match=re.escape("at drift_baseline\n  ==> '../../../secret/baseline.json' leaves")):
        load_environment(proj, "dev")  # what `preview --env dev` loads first


def test_a_symlink_in_the_model_directory_pointing_outside_is_refused(proj: Project, outside: Path) -> None:
    model = proj.packages_dir / "fraud-scorer/triton/fraud-scorer/7/model.onnx"
    model.unlink()
    model.symlink_to(outside / "rows.csv")
    with recording() as opened:
        result = CliRunner().invoke(app, ["package", "validate", "fraud-scorer"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: model_packages/fraud-scorer/triton/fraud-scorer/7/model.onnx ==> is a symbolic link to "
        f"{(outside / 'rows.csv').resolve()}, outside the package directory model_packages/fraud-scorer/; a package "
        "holds its own files: replace the link with a copy of the file\n"
    )
    assert _read_outside(opened, outside) == []


def test_a_linked_version_directory_pointing_outside_is_refused(proj: Project, outside: Path) -> None:
    version = proj.packages_dir / "fraud-scorer/triton/fraud-scorer/7"
    (outside / "7").mkdir()
    for f in version.iterdir():
        (outside / "7" / f.name).write_bytes(f.read_bytes())
    for f in version.iterdir():
        f.unlink()
    version.rmdir()
    version.symlink_to(outside / "7", target_is_directory=True)
    with pytest.raises(InputError, match=r"triton/fraud-scorer/7 ==> is a symbolic link to .*outside the package"):
        resolve_package(proj, "fraud-scorer")


def test_a_package_directory_linked_from_elsewhere_is_refused(proj: Project, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "fraud-scorer"
    real.parent.mkdir()
    (proj.packages_dir / "fraud-scorer").rename(real)
    (proj.packages_dir / "fraud-scorer").symlink_to(real, target_is_directory=True)
    with pytest.raises(InputError, match=r"^model_packages/fraud-scorer ==> is a symbolic link to .*elsewhere"):
        resolve_package(proj, "fraud-scorer")


def test_a_manifest_linked_to_a_file_outside_is_not_read(proj: Project, outside: Path) -> None:
    target = outside / "model.yaml"
    target.write_text(_manifest(proj).read_text())
    _manifest(proj).unlink()
    _manifest(proj).symlink_to(target)
    with (
        recording() as opened,
        pytest.raises(InputError, match=r"model.yaml ==> is a symbolic link to .*outside the package"),
    ):
        resolve_package(proj, "fraud-scorer")
    assert _read_outside(opened, outside) == []


def test_the_drift_baseline_dataset_may_not_leave_the_package(proj: Project, outside: Path) -> None:
    baseline = proj.packages_dir / "fraud-scorer/drift_baseline.json"
    doc = json.loads(baseline.read_text())
    doc["dataset"] = "../../../secret/rows.csv"
    baseline.write_text(json.dumps(doc, indent=2) + "\n")
    with pytest.raises(PackageError) as exc:
        validate_package(resolve_package(proj, "fraud-scorer"), deep=False)
    assert exc.value.message.startswith(
        "model_packages/fraud-scorer/drift_baseline.json:2 ==> at dataset\n"
        "  ==> '../../../secret/rows.csv' leaves the package"
    )


def test_paths_with_dots_or_links_that_stay_inside_the_package_are_accepted(proj: Project) -> None:
    _set(proj, "repository", "./triton/../triton/fraud-scorer")
    pkg_dir = proj.packages_dir / "fraud-scorer"
    (pkg_dir / "requests").mkdir()
    (pkg_dir / "requests" / "sample.json").symlink_to(pkg_dir / "sample_request.json")
    _set(proj, "sample_request", "requests/sample.json")
    report = validate_package(resolve_package(proj, "fraud-scorer"), deep=False)
    assert report.problems == []

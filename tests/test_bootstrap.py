"""`make` bootstraps with a Python 3.11, or says exactly how to get one; the supported Pythons are stated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
OTHER_PYTHONS = [p for p in (Path.home() / ".pyenv" / "versions").glob("3.1[23]*/bin/python") if p.exists()]


def _make_with_python3(tmp_path: Path, python3: str) -> subprocess.CompletedProcess[str]:
    """`make check-python` on a PATH whose only python is `python3` (no python3.11)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "make"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    (bin_dir / "python3").symlink_to(python3)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    return subprocess.run(
        [str(bin_dir / "make"), "-s", "-C", str(ROOT), "check-python"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(MAKE is None or not OTHER_PYTHONS, reason="needs make and a Python 3.12/3.13 to stand in")
def test_a_python3_that_is_not_3_11_stops_the_bootstrap_with_how_to_get_one(tmp_path: Path) -> None:
    proc = _make_with_python3(tmp_path, str(OTHER_PYTHONS[0]))
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "inferstack needs Python 3.11" in out
    assert "uv python install 3.11" in out and "apt-get install python3.11" in out


@pytest.mark.skipif(MAKE is None or sys.version_info[:2] != (3, 11), reason="needs make and this suite on 3.11")
def test_a_python3_that_is_3_11_is_used(tmp_path: Path) -> None:
    proc = _make_with_python3(tmp_path, sys.executable)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_first_bootstrap_shows_progress_instead_of_a_silent_quiet_install() -> None:
    makefile = (ROOT / "Makefile").read_text()
    install = [line for line in makefile.splitlines() if "pip install" in line and "-e '.[dev]'" in line]
    assert install and "--quiet" not in install[0]
    assert "this takes minutes" in makefile


def test_supported_pythons_are_stated_and_match_requires_python() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.12"
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"Supported Python: \*\*3\.11\*\*", readme), "README states the supported Pythons"
    assert os.path.exists(ROOT / "constraints.txt")

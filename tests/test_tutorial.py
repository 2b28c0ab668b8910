"""The tutorial works verbatim on a fresh copy of the project: every `sh` block runs, in order."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


def fresh_clone(dest: Path) -> Path:
    """The tracked files of this checkout in a new git repository (what `git clone` gives)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_symlink():  # inferstack/components -> ../components: without it, the clone would import the
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)  # installed checkout's components instead
            os.symlink(os.readlink(src), dest / rel)
        elif src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clone"],
    ):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return dest


@pytest.mark.slow
def test_tutorial_runs_verbatim_on_a_fresh_clone(tmp_path: Path) -> None:
    project = fresh_clone(tmp_path / "inferstack")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "inferstack"  # what `. .venv/bin/activate` puts on PATH, running this clone's code
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m inferstack.cli "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(project),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
    }
    for var in ("INFERSTACK_ENV", "PULUMI_STACK", "INFERSTACK_PROJECT"):
        env.pop(var, None)
    steps = blocks("sh")
    assert len(steps) >= 5
    for i, script in enumerate(steps, 1):
        if i == 3:  # before `inferstack validate` the reader adds the yaml block to staging by hand
            staging = project / "environments" / "staging.yaml"
            (snippet,) = blocks("yaml")
            text = staging.read_text()
            staging.write_text(text.replace("\ntags:\n", "\n" + snippet + "tags:\n", 1))
        proc = subprocess.run(
            ["sh", "-e", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert proc.returncode == 0, f"block {i} failed:\n{script}\n{proc.stdout}\n{proc.stderr}"
    comment = (project / "comment.md").read_text()
    assert "| `staging` |" in comment and "+ create" in comment and "sm-churn-scorer" in comment
    assert (project / "dist" / "churn-scorer-7.tar.gz").is_file()
    assert "Policy violations" in (project / "staging-preview.txt").read_text().splitlines()[2]

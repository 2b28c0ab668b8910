"""Type checkers see the components' Args: the wheel ships py.typed, and mypy checks keys in user code."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

USER_CODE = textwrap.dedent(
    """
    import pulumi
    from inferstack.components import Keys, KeysArgs, GpuNodeGroup

    Keys("ok", KeysArgs(alias="team", tags={"owner": "ml"}))
    Keys("typo", {"alias": "team", "deletion_window_dayz": 7})
    Keys("missing", {"tags": {"owner": "ml"}})
    GpuNodeGroup("gpu", {"cluster_name": "c", "node_role_arn": "r", "subnet_ids": ["s"],
                         "cluster_security_group_id": "sg", "min_size": "zero"})
    """
)


@pytest.mark.slow
def test_the_wheel_ships_py_typed_and_the_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("inferstack-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for marker in ("inferstack/components/py.typed", "inferstack/py.typed", "inferstack/policies/py.typed"):
        assert marker in names
    assert "inferstack/config/schemas/environment.schema.json" in names
    assert not any(n.startswith(("components/", "policies/")) for n in names), "no generic top-level packages"


@pytest.mark.slow
def test_mypy_reports_wrong_missing_and_mistyped_args_in_user_code(tmp_path: Path) -> None:
    user = tmp_path / "program.py"
    user.write_text(USER_CODE)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", str(user)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MYPYPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 1, out
    assert 'program.py:6: error: Extra key "deletion_window_dayz" for TypedDict "KeysArgs"' in out
    assert 'program.py:7: error: Missing key "alias" for TypedDict "KeysArgs"' in out
    assert 'TypedDict item "min_size" has type "int"' in out
    assert "program.py:5" not in out, "the correct call type-checks"

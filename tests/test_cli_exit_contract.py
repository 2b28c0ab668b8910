"""Issue 13, deliverable 2: one exit-code contract at the CLI boundary. 0 ok, 1 mandatory violations only,
2 invalid input or usage (one message, no traceback), 3 internal error (one line naming the traceback file).
A crash never exits 1, which CI would read as a policy failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import EXIT_INTERNAL, app, main
from tests.packages_helpers import ROOT, copy_project

FIXTURE = ROOT / "tests" / "fixtures" / "policy_check" / "stack_export.json"


def _boom(*_: object, **__: object) -> None:
    raise ZeroDivisionError("secret-looking detail 9f8e7d")


def test_a_crash_inside_a_command_exits_3_with_one_line_naming_the_traceback_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INFERSTACK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr("inferstack.policy_check.check_file", _boom)
    result = CliRunner().invoke(app, ["policy", "check", "--input", str(FIXTURE)])
    assert result.exit_code == EXIT_INTERNAL == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("internal error: inferstack crashed (ZeroDivisionError at ")
    assert "Traceback" not in result.stderr and "9f8e7d" not in result.stderr, "details go to the file only"
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    detail = logs[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in detail and "ZeroDivisionError: secret-looking detail" in detail


def test_main_applies_the_same_contract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFERSTACK_LOG_DIR", str(tmp_path))
    monkeypatch.setattr("inferstack.policy_check.check_file", _boom)
    with pytest.raises(SystemExit) as exc:
        main(["policy", "check", "--input", str(FIXTURE)])
    assert exc.value.code == 3


def test_an_input_error_raised_anywhere_in_a_command_is_exit_2_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cost --out DIR` raises the refusal from the shared writer, after the command's own handlers."""
    result = CliRunner().invoke(app, ["cost", "--env", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path} ==> refusing to write there: it is a directory")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["policy", "check", "--input", str(FIXTURE)], 1),  # mandatory violations
        (["policy", "check", "--input", str(FIXTURE), "--env", "nope"], 2),  # invalid input
        (["preview", "--env"], 2),  # usage: Click's own error
        (["no-such-command"], 2),
        ([], 0),  # bare `inferstack`: asks for the help, prints it, exits 0 (a deliberate choice, see root() in cli.py)
        (["validate"], 0),
    ],
)
def test_exit_codes_follow_the_contract(args: list[str], code: int) -> None:
    assert CliRunner().invoke(app, args).exit_code == code


def test_the_console_script_entry_point_keeps_the_contract_in_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_bytes("{}".encode("utf-16"))
    done = subprocess.run(
        [sys.executable, "-c", "from inferstack.cli import main; main()", "policy", "check", "--input", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "is UTF-16 encoded" in done.stderr and "Traceback" not in done.stderr


# -- package: --dist and AWS_ENDPOINT_URL (class 8) ------------------------------------------------------


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    copy_project(root)
    monkeypatch.chdir(root)
    return root


def test_package_build_with_dist_pointing_at_a_file_exits_2(proj: Path) -> None:
    dist = proj / "dist-file"
    dist.write_text("not a dir", encoding="utf-8")
    result = CliRunner().invoke(app, ["package", "build", "model_packages/fraud-scorer", "--dist", str(dist)])
    assert result.exit_code == 2
    assert f"{dist} ==> --dist is a file" in result.stderr and "Traceback" not in result.stderr
    assert dist.read_text(encoding="utf-8") == "not a dir"


@pytest.mark.parametrize("value", ["not a url", "ftp://host", "http://", "http://host:notaport", "://x"])
def test_publish_with_an_invalid_endpoint_url_exits_2_naming_the_variable(
    proj: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = CliRunner().invoke(app, ["package", "publish", "model_packages/fraud-scorer", "--env", "dev"])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: AWS_ENDPOINT_URL=") and "not an endpoint URL" in result.stderr

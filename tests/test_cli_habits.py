"""The CLI follows the habits of the tools its users know (Pulumi, git, Click): flags, defaults, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.cli_options import resolve_target, selected_stack, set_project_dir
from inferstack.config.loader import InputError, Project, find_project
from inferstack.text import did_you_mean, natural_sorted, plural, sorted_instance_types
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "policy_check" / "stack_export.json"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("INFERSTACK_ENV", "PULUMI_STACK", "INFERSTACK_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    set_project_dir(None)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_bare_inferstack_prints_help_and_exits_0() -> None:
    code, out, _ = invoke()
    assert code == 0
    assert "Usage:" in out and "preview" in out


def test_version_flag_prints_the_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.startswith("inferstack ") and out.split()[1][0].isdigit()


def test_usage_errors_are_plain_text_without_box_drawing_off_a_terminal() -> None:
    code, out, err = invoke("preview", "--bogus")
    assert code == 2
    assert "No such option: --bogus" in err
    assert not any(ch in err + out for ch in "╭╮╰╯│─")


def test_policy_config_lives_in_the_policy_group_and_the_old_name_still_works() -> None:
    new = invoke("policy", "config", "--env", "staging", "--pack", "cost")
    old = invoke("policy-config", "--env", "staging", "--pack", "cost")
    assert new[0] == old[0] == 0
    assert json.loads(new[1]) == json.loads(old[1])
    assert "policy-config" not in invoke("--help")[1], "the alias is hidden from the help"


def test_stack_flag_selects_the_environment_like_pulumi_s() -> None:
    by_stack = invoke("policy", "config", "-s", "prod", "--pack", "security")
    by_env = invoke("policy", "config", "--env", "prod", "--pack", "security")
    assert by_stack[0] == 0 and by_stack[1] == by_env[1]


def test_env_falls_back_to_inferstack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERSTACK_ENV", "dev")
    target = resolve_target(None, None, Project(ROOT))
    assert (target.env, target.source) == ("dev", "$INFERSTACK_ENV")


def test_env_falls_back_to_pulumi_stack_before_the_selected_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "acme/inferstack/staging")
    target = resolve_target(None, None, Project(ROOT))
    assert (target.env, target.stack, target.source) == ("staging", "staging", "$PULUMI_STACK")


def _select(tmp_path: Path, project: Path, stack: str) -> None:
    """Write the workspace file the way `pulumi stack select` does (see inferstack/cli_options.py)."""
    digest = hashlib.sha1(str((project / "Pulumi.yaml").resolve()).encode(), usedforsecurity=False).hexdigest()
    ws = tmp_path / "pulumi-home" / "workspaces"
    ws.mkdir(parents=True, exist_ok=True)
    (ws / f"inferstack-{digest}-workspace.json").write_text(json.dumps({"stack": stack}))


def test_env_falls_back_to_the_stack_chosen_with_pulumi_stack_select(tmp_path: Path) -> None:
    _select(tmp_path, ROOT, "prod")
    assert selected_stack(Project(ROOT)) == "prod"
    target = resolve_target(None, None, Project(ROOT))
    assert (target.env, target.source) == ("prod", "pulumi stack select")


def test_no_environment_anywhere_is_an_input_error_naming_every_way_to_give_one() -> None:
    code, _, err = invoke("cost")
    assert code == 2
    assert "--env" in err and "--stack" in err and "INFERSTACK_ENV" in err and "pulumi stack select" in err


def test_stack_file_environment_wins_over_the_stack_name(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "environments").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: inferstack\n")
    (root / "Pulumi.ci-east.yaml").write_text("config:\n  inferstack:environment: staging\n")
    assert resolve_target(None, "ci-east", Project(root)).env == "staging"


def test_project_is_never_the_install_location(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no inferstack project found"):
        find_project(tmp_path)


def test_validate_outside_a_project_fails_instead_of_reading_the_install_checkout(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err = invoke("validate")
    finally:
        os.chdir(cwd)
    assert code == 2 and out == ""
    assert "no inferstack project found" in err and "--project" in err


def test_project_flag_points_at_a_checkout_from_anywhere(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, _ = invoke("--project", str(ROOT), "validate")
    finally:
        os.chdir(cwd)
    assert code == 0 and out.startswith("ok: 3 environments")


def test_policy_check_of_an_export_works_outside_any_project(tmp_path: Path) -> None:
    export = tmp_path / "state.json"
    shutil.copy(FIXTURE, export)
    out_file = tmp_path / "report.json"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err = invoke("policy", "check", "--input", str(export), "--format", "json", "--out", str(out_file))
    finally:
        os.chdir(cwd)
    assert code == 1, err  # the fixture has mandatory prod violations
    assert out == ""
    report = json.loads(out_file.read_text())
    assert report["environment"] == "prod" and report["violations"]
    assert err.strip().startswith(f"wrote the policy check of {export} (json) to {out_file}")


def test_out_prints_one_line_saying_what_was_written(tmp_path: Path) -> None:
    target = tmp_path / "cost.json"
    code, out, err = invoke("policy", "config", "--env", "dev", "--out", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote the dev policy pack configuration to {target}")


def test_package_versions_use_capital_v_and_lowercase_v_is_deprecated(tmp_path: Path) -> None:
    runner = CliRunner()
    with_v = runner.invoke(app, ["package", "build", "fraud-scorer", "-V", "7", "--dist", str(tmp_path / "a")])
    legacy = runner.invoke(app, ["package", "build", "fraud-scorer", "-v", "7", "--dist", str(tmp_path / "b")])
    assert with_v.exit_code == 0 and legacy.exit_code == 0, (with_v.stderr, legacy.stderr)
    assert "deprecated" in legacy.stderr and "deprecated" not in with_v.stderr
    assert (tmp_path / "a" / "fraud-scorer-7.tar.gz").read_bytes() == (
        tmp_path / "b" / "fraud-scorer-7.tar.gz"
    ).read_bytes()


def test_promote_without_a_version_is_an_input_error() -> None:
    code, _, err = invoke("package", "promote", "fraud-scorer", "--env", "dev")
    assert code == 2 and "--package-version" in err


def test_counts_are_pluralised() -> None:
    assert (plural(1, "type"), plural(3, "type"), plural(0, "entry", "entries")) == ("1 type", "3 types", "0 entries")


def test_natural_sort_orders_numbers_by_value() -> None:
    assert natural_sorted(["us-west-2", "us-east-12", "us-east-2"]) == ["us-east-2", "us-east-12", "us-west-2"]


def test_instance_types_sort_by_size_so_2xlarge_comes_before_12xlarge() -> None:
    shuffled = ["g4dn.12xlarge", "g5.xlarge", "g4dn.metal", "g4dn.2xlarge", "g4dn.xlarge", "ml.g4dn.large"]
    assert sorted_instance_types(shuffled) == [
        "ml.g4dn.large",
        "g4dn.xlarge",
        "g4dn.2xlarge",
        "g4dn.12xlarge",
        "g4dn.metal",
        "g5.xlarge",
    ]


def test_did_you_mean_finds_the_close_instance_type() -> None:
    assert did_you_mean("g6.xlargee", ["g5.xlarge", "g6.xlarge", "g6.2xlarge"]) == "did you mean 'g6.xlarge'? "
    assert did_you_mean("zzz", ["g6.xlarge"]) == ""


@pytest.mark.slow
def test_console_script_help_exits_0_in_a_pipe() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "inferstack.cli", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0 and "Usage:" in proc.stdout

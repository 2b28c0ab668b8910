"""Policy violations caused by the environment file point at its file, line and YAML path."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.cli_options import set_project_dir
from inferstack.config.loader import Project, load_environment
from inferstack.provenance import annotate
from tests.test_config_errors import pos

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project (program included) as the current directory, dev's GPU group allowed 6 nodes."""
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ["environments", "model_packages", "stacks"]:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dev = tmp_path / "environments" / "dev.yaml"
    text = dev.read_text()
    assert "min_size: 0, max_size: 3}" in text
    dev.write_text(text.replace("min_size: 0, max_size: 3}", "min_size: 0, max_size: 6}"))
    monkeypatch.chdir(tmp_path)
    set_project_dir(None)
    # The program imports `stacks.*`; drop the copies other tests imported from the checkout so that this
    # project's program (which reads this project's environments/) runs. monkeypatch restores them after.
    for name in [m for m in sys.modules if m == "stacks" or m.startswith("stacks.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _max_size_violation(violations: list[dict]) -> dict:
    found = [v for v in violations if v["policy"] == "aws-eks-nodegroup-limit-max-size"]
    assert len(found) == 1, [v["policy"] for v in violations]
    return found[0]


def test_preview_json_violation_names_the_env_file_line_and_yaml_path(project: Path) -> None:
    result = CliRunner().invoke(app, ["preview", "--env", "dev", "--format", "json"])
    assert result.exit_code == 1, result.stderr
    v = _max_size_violation(json.loads(result.stdout)["violations"])
    line, column = pos(project / "environments" / "dev.yaml", "max_size: 6", len("max_size: ")).split(":")
    assert v["source"] == {
        "file": "environments/dev.yaml",
        "line": int(line),
        "column": int(column),
        "path": "cluster.gpu_node_groups[0].max_size",
    }


def test_preview_text_and_markdown_show_where_to_fix_it(project: Path) -> None:
    where = f"environments/dev.yaml:{pos(project / 'environments' / 'dev.yaml', 'max_size: 6', 10)}"
    for fmt in ("text", "markdown"):
        result = CliRunner().invoke(app, ["preview", "--env", "dev", "--format", fmt])
        assert f"==> {where} at cluster.gpu_node_groups[0].max_size" in result.stdout, fmt


def test_policy_check_of_a_preview_points_at_the_same_line(project: Path, tmp_path: Path) -> None:
    doc = tmp_path / "dev.json"
    CliRunner().invoke(app, ["preview", "--env", "dev", "--format", "json", "--out", str(doc)])
    result = CliRunner().invoke(app, ["policy", "check", "--input", str(doc), "--format", "json"])
    v = _max_size_violation(json.loads(result.stdout)["violations"])
    assert v["source"]["path"] == "cluster.gpu_node_groups[0].max_size"
    assert v["source"]["file"] == "environments/dev.yaml"


def test_violations_not_caused_by_a_setting_have_no_source() -> None:
    violations = [{"policy": "aws-kms-key-enable-rotation", "urn": "urn:pulumi:dev::inferstack::aws:kms/key:Key::k"}]
    env = load_environment(Project(ROOT), "dev")
    annotate(violations, [], env, ROOT / "environments" / "dev.yaml", "environments/dev.yaml")
    assert violations[0]["source"] is None

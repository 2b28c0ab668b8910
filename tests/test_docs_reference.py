"""Generated references are up to date, and editors get a JSON Schema that accepts the reference files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "inferstack" / "config" / "schemas"
ENV_FILES = sorted((ROOT / "environments").glob("*.yaml"))
MANIFESTS = sorted((ROOT / "model_packages").glob("*/model.yaml"))


@pytest.mark.parametrize("script", ["generate_component_reference.py", "generate_config_reference.py"])
def test_generated_reference_is_up_to_date(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_component_reference_lists_every_component_with_args_and_outputs() -> None:
    import inferstack.components as components

    text = (ROOT / "docs" / "reference" / "components.md").read_text()
    for name in components.__all__:
        if not name.endswith("Args"):
            assert f"## {name}\n" in text, name
    assert "| `alias` | `str` | **required** |" in text
    assert "| `key_arn` | `pulumi.Output[str]` |" in text


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


@pytest.mark.parametrize("path", ENV_FILES + MANIFESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_reference_yaml_points_editors_at_its_schema_and_validates(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("=", 1)[1]).resolve()
    assert target.is_file(), f"{path.name} names a schema that does not exist: {target}"
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(target.read_text()))


def test_schema_rejects_a_misspelt_key_like_the_loader() -> None:
    data = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    data["monitoring"]["budget_monthly_usdd"] = 1
    with pytest.raises(jsonschema.ValidationError, match="budget_monthly_usdd"):
        jsonschema.validate(data, _schema("environment"))


def test_schemas_ship_in_the_wheel_package_data() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    assert "*.json" in data and "py.typed" in data

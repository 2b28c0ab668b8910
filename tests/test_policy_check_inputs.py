"""Issue 13, classes 3 and 8 (policy check side): a broken environment file or a malformed input file is
exit 2 with a message naming the file, the position or field, the value and the fix -- never a silent
fallback, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from tests.packages_helpers import copy_project

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "policy_check" / "stack_export.json"


@pytest.fixture
def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    copy_project(root)
    monkeypatch.chdir(root)
    return root


def _check(path: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["policy", "check", "--input", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("env_flag", [(), ("--env", "prod")])
def test_a_broken_environment_file_fails_with_its_location_instead_of_using_pack_defaults(
    project_copy: Path, env_flag: tuple[str, ...]
) -> None:
    prod = project_copy / "environments" / "prod.yaml"
    prod.write_text(prod.read_text(encoding="utf-8") + "\nregions: [us-east-1\n", encoding="utf-8")
    code, out, err = _check(FIXTURE, *env_flag)
    assert code == 2, out
    assert "environments/prod.yaml:" in err and "Traceback" not in err
    assert out == "", "nothing is reported from a configuration that did not load"


def test_without_an_environment_file_the_stack_defaults_still_apply(project_copy: Path) -> None:
    (project_copy / "environments" / "prod.yaml").unlink()
    code, out, _ = _check(FIXTURE, "--format", "json")
    assert code == 1 and json.loads(out)["environment"] == "prod"


# -- class 8: malformed --input / --compare files -------------------------------------------------------

GOOD = json.loads(FIXTURE.read_text(encoding="utf-8"))
DEEP = 1000


def _bytes_cases() -> dict[str, tuple[bytes, str]]:
    text = json.dumps(GOOD)
    return {
        "latin-1": (text.replace("ml-platform", "ml-plätform").encode("latin-1"), "not UTF-8 (byte 0xe4"),
        "utf-16-bom": (text.encode("utf-16"), "is UTF-16 encoded"),
        "utf-16-no-bom": (text.encode("utf-16-le"), "looks UTF-16 or UTF-32 encoded"),
        "utf-32-bom": (text.encode("utf-32"), "is UTF-32 encoded"),
        "deep": (("[" * DEEP + "]" * DEEP).encode(), "nested deeper than 64 levels"),
        "deep-inputs": (
            text.replace('"version": "1.31"', '"version": ' + "[" * 80 + "]" * 80).encode(),
            "nested deeper than 64 levels",
        ),
        "nan": (text.replace('"enableKeyRotation": false', '"enableKeyRotation": NaN').encode(), "the number NaN"),
        "infinity": (text.replace('"version": "1.31"', '"version": -Infinity').encode(), "the number -Infinity"),
        "huge-float": (text.replace('"version": "1.31"', '"version": 1e400').encode(), "the number 1e400 is out of"),
        "huge-int": (text.replace('"version": "1.31"', '"version": 1' + "0" * 400).encode(), "is out of range"),
    }


@pytest.mark.parametrize("case", sorted(_bytes_cases()))
def test_malformed_input_files_exit_2_naming_the_file_and_the_problem(tmp_path: Path, case: str) -> None:
    content, expected = _bytes_cases()[case]
    path = tmp_path / "state.json"
    path.write_bytes(content)
    code, out, err = _check(path)
    assert code == 2, err
    assert str(path) in err and expected in err, err
    assert "Traceback" not in err and out == ""
    assert len(err) < 600, "the message never echoes the file"


def test_a_number_error_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 3,\n "deployment": {"resources": [\n  {"urn": NaN}]}}', encoding="utf-8")
    _, _, err = _check(path)
    assert f"{path}:3:11 ==> the number NaN is not a JSON number" in err


def _with(mutate: str) -> dict[str, object]:
    doc = json.loads(json.dumps(GOOD))
    cluster = doc["deployment"]["resources"][3]
    if mutate == "integer-urn":
        cluster["urn"] = 5
    elif mutate == "list-inputs":
        cluster["inputs"] = ["a"]
    elif mutate == "not-a-urn":
        cluster["urn"] = "legacy"
    elif mutate == "entry-is-a-string":
        doc["deployment"]["resources"][3] = "oops"
    elif mutate == "dependencies-not-strings":
        cluster["dependencies"] = [1]
    elif mutate == "custom-is-a-string":
        cluster["custom"] = "yes"
    elif mutate == "object-type":
        cluster["type"] = {"t": 1}
    return doc


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        ("integer-urn", "at deployment.resources[3].urn ==> must be a non-empty string, got a number"),
        ("list-inputs", "at deployment.resources[3].inputs ==> must be an object, got a list"),
        ("not-a-urn", "at deployment.resources[3].urn ==> 'legacy' is not a Pulumi URN"),
        ("entry-is-a-string", "at deployment.resources[3] ==> must be an object, got a string"),
        ("dependencies-not-strings", "at deployment.resources[3].dependencies ==> must be a list of URN strings"),
        ("custom-is-a-string", "at deployment.resources[3].custom ==> must be true or false, got a string"),
        ("object-type", "at deployment.resources[3].type ==> must be a non-empty string, got an object"),
    ],
)
def test_malformed_checkpoint_entries_exit_2_naming_the_field(tmp_path: Path, mutate: str, expected: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(_with(mutate)), encoding="utf-8")
    code, out, err = _check(path)
    assert code == 2 and out == ""
    assert f"{path} ==> {expected}" in err and "re-export" in err and "Traceback" not in err


def test_a_secret_whose_plaintext_is_malformed_stays_an_unknown_secret(tmp_path: Path) -> None:
    doc = _with("")
    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    doc["deployment"]["resources"][3]["inputs"]["version"] = {**sig, "plaintext": "[" * 500 + "NaN"}  # type: ignore[index]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _check(path)
    assert code == 1 and "Traceback" not in err and "NaN" not in out


@pytest.mark.parametrize("case", ["utf-16-bom", "deep", "nan", "huge-int"])
def test_malformed_compare_files_exit_2_naming_the_file(tmp_path: Path, case: str) -> None:
    content, expected = _bytes_cases()[case]
    path = tmp_path / "base.json"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["preview", "--env", "dev", "--compare", str(path), "--format", "markdown"])
    assert result.exit_code == 2, result.stderr
    assert str(path) in result.stderr and expected in result.stderr and "Traceback" not in result.stderr

"""Issue 13, class 8 (files outside the environment/manifest loader): a model package's `.sha256`, its sample
request and drift baseline JSON, and the baseline CSV, when not UTF-8 or nested past any sane depth, are exit 2
naming the file and the fix -- never a traceback or exit 3. (`--input`, `--compare`, checkpoint entries, `--out`,
`--dist` and AWS_ENDPOINT_URL: tests/test_policy_check_inputs.py, test_cli_output_safety.py and
test_cli_exit_contract.py; the environment, manifest and stack files: the loader's tests.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.errors import InputError
from tests.packages_helpers import copy_project

PKG = "model_packages/fraud-scorer"

# Bytes that are not UTF-8 the way real files end up so: a Windows editor's UTF-16 (with and without BOM), a
# Latin-1 byte, and JSON nested far deeper than the json module's recursion limit.
ENCODINGS = {
    "utf-16": lambda text: text.encode("utf-16"),
    "utf-16-le": lambda text: text.encode("utf-16-le"),
    "latin-1": lambda text: (text + " caf\xe9").encode("latin-1"),
}
SAYS = {"utf-16": "is UTF-16 encoded", "utf-16-le": "looks UTF-16 or UTF-32 encoded", "latin-1": "not UTF-8 (byte 0xe9"}


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    copy_project(root)
    monkeypatch.chdir(root)
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached: the file check fails first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("INFERSTACK_LOG_DIR", str(tmp_path / "logs"))
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stderr


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_sha256_file_that_is_not_utf8_is_exit_2_naming_it(proj: Path, encoding: str) -> None:
    assert _run("package", "build", PKG)[0] == 0
    (sums,) = (proj / "dist").glob("*.sha256")
    sums.write_bytes(ENCODINGS[encoding](sums.read_text(encoding="utf-8")))
    code, err = _run("package", "publish", PKG, "--env", "dev")
    assert code == 2, err
    assert f"error: dist/{sums.name}" in err and SAYS[encoding] in err and "rebuild" in err, err


@pytest.mark.parametrize("name", ["sample_request.json", "drift_baseline.json"])
@pytest.mark.parametrize("encoding", [*sorted(ENCODINGS), "deep"])
def test_package_json_files_that_are_not_utf8_or_nested_too_deep_are_exit_2_naming_them(
    proj: Path, name: str, encoding: str
) -> None:
    path = proj / PKG / name
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000 if encoding == "deep" else ENCODINGS[encoding](text))
    code, err = _run("package", "validate", PKG)
    assert code == 2, err
    expected = "nested deeper than" if encoding == "deep" else SAYS[encoding]
    assert f"{PKG}/{name}" in err and expected in err, err
    assert len(err) < 2000, "the message never echoes the file"


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_publish_reads_the_drift_baseline_and_its_dataset_strictly(proj: Path, encoding: str) -> None:
    from inferstack.packages.baseline import dataset_path, read_rows

    pkg = proj / PKG
    spec = pkg / "drift_baseline.json"
    good = spec.read_text(encoding="utf-8")
    spec.write_bytes(ENCODINGS[encoding](good))
    with pytest.raises(InputError, match=r"drift_baseline\.json(:\d+:\d+)? ==> ") as caught:
        dataset_path(pkg, "drift_baseline.json")
    assert SAYS[encoding] in caught.value.message
    spec.write_text(good, encoding="utf-8")
    csv_path, _ = dataset_path(pkg, "drift_baseline.json")
    rows = csv_path.read_text(encoding="utf-8")
    columns = len(rows.splitlines()[0].split(","))
    assert len(read_rows(csv_path, columns)) > 1
    csv_path.write_bytes(ENCODINGS[encoding](rows))
    with pytest.raises(InputError, match=re.escape(f"cannot read the baseline dataset: {csv_path}")) as caught:
        read_rows(csv_path, columns)
    assert SAYS[encoding] in caught.value.message


# -- found by the fuzz test: an in-process preview ran the stack program of the first project it imported ------


def test_previews_of_two_project_copies_in_one_process_each_read_their_own_files(tmp_path: Path) -> None:
    """`stacks/__main__.py` imports `stacks.program`, whose ROOT is where `stacks` was first imported from: a
    second project previewed in the same process (the test suite, the fuzz test, any library caller) used to
    load the first project's environment files, or fail with "known environments: none" once it was deleted."""
    from inferstack.preview import run_preview
    from inferstack.project import Project

    def project(name: str, zone: str) -> Project:
        root = tmp_path / name
        root.mkdir()
        copy_project(root)
        env = root / "environments" / "dev.yaml"
        env.write_text(env.read_text(encoding="utf-8").replace("inference.example.com", zone), encoding="utf-8")
        return Project(root)

    def certificates(project: Project) -> set[str]:
        result = run_preview(project, "dev", evaluate_policies=False, estimate_cost=False)
        return {r.inputs["domainName"] for r in result.resources if r.name == "api-cert"}

    first, second = project("one", "one.example.com"), project("two", "two.example.com")
    assert certificates(first) == {"*.dev.one.example.com"}
    assert certificates(second) == {"*.dev.two.example.com"}


def test_render_out_under_a_file_is_refused_before_the_preview_naming_the_file(proj: Path) -> None:
    (proj / "notes.txt").write_text("keep", encoding="utf-8")
    code, err = _run("render", "--env", "dev", "--out", "notes.txt/rendered")
    assert code == 2, err
    assert "notes.txt/rendered ==> refusing to write there: it would go inside notes.txt, which is a file" in err, err
    assert (proj / "notes.txt").read_text(encoding="utf-8") == "keep"

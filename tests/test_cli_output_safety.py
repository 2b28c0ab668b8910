"""Issue 13, class 1 and the `--out` cases of class 8: the CLI never loses a file it did not write.

The scenarios run on a throwaway copy of the project made a git checkout (when git is installed), with
the current directory inside it, exactly as a user runs `inferstack render --env dev --out .`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.engine.model import PreviewResult, Resource
from inferstack.outputs import RENDER_MARKER, parse_git_index, replace_dir, tracked_paths, write_file
from inferstack.render import render
from tests.packages_helpers import ROOT, copy_project

HAS_GIT = shutil.which("git") is not None


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    copy_project(root)
    (root / "notes").mkdir()
    (root / "notes" / "runbook.md").write_text("# on-call\n", encoding="utf-8")
    if HAS_GIT:
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "init")
    else:
        (root / ".git").mkdir()
        (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["render", "--env", "dev", *args])
    return result.exit_code, result.stderr


def _tiny_result(*names: str) -> PreviewResult:
    resources = [
        Resource(
            urn=f"urn:pulumi:dev::inferstack::kubernetes:core/v1:ConfigMap::{n}",
            type="kubernetes:core/v1:ConfigMap",
            name=n,
            parent=None,
            custom=True,
            provider=None,
            inputs={"metadata": {"name": n, "namespace": "ml"}, "data": {"k": "v"}},
        )
        for n in names
    ]
    return PreviewResult("dev", "inferstack", "dev", resources, {})


def test_render_into_the_project_root_is_refused_and_the_checkout_and_git_survive(checkout: Path) -> None:
    before = _snapshot(checkout)
    code, err = _render("--out", ".")
    assert code == 2
    assert "is the project root" in err and "Traceback" not in err
    assert _snapshot(checkout) == before, "no file of the checkout (.git included) changed"


def test_render_with_force_still_never_replaces_the_project_root(checkout: Path) -> None:
    before = _snapshot(checkout)
    code, err = _render("--out", str(checkout), "--force")
    assert code == 2 and "is the project root" in err
    assert _snapshot(checkout) == before


def test_render_into_the_environments_directory_is_refused_and_env_files_stay(checkout: Path) -> None:
    before = _snapshot(checkout / "environments")
    code, err = _render("--out", "environments", "--force")
    assert code == 2 and "is part of the project (environments)" in err
    assert _snapshot(checkout / "environments") == before


def test_render_into_an_ancestor_of_the_project_is_refused(checkout: Path) -> None:
    code, err = _render("--out", str(checkout.parent), "--force")
    assert code == 2 and "ancestor of the project root" in err
    assert (checkout / "Pulumi.yaml").is_file()


def test_render_into_git_internals_is_refused(checkout: Path) -> None:
    code, err = _render("--out", ".git/rendered", "--force")
    assert code == 2 and "inside a .git directory" in err


@pytest.mark.skipif(not HAS_GIT, reason="needs git to build the checkout's index")
def test_render_with_force_refuses_a_directory_holding_tracked_files(checkout: Path) -> None:
    code, err = _render("--out", "notes", "--force")
    assert code == 2 and "notes/runbook.md" in err and "git tracks" in err
    assert (checkout / "notes" / "runbook.md").read_text(encoding="utf-8") == "# on-call\n"


def test_render_refuses_an_existing_directory_with_files_it_did_not_write(checkout: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("precious", encoding="utf-8")
    code, err = _render("--out", str(out))
    assert code == 2
    assert "non-empty directory render did not create (keep.txt)" in err and "--force" in err
    assert (out / "keep.txt").read_text(encoding="utf-8") == "precious"


def test_rerender_replaces_its_own_output_but_refuses_files_added_to_it(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    render(_tiny_result("a", "b"), out, "1.31")
    assert sorted(p.name for p in out.iterdir()) == [RENDER_MARKER, "ml_configmap_a.yaml", "ml_configmap_b.yaml"]
    render(_tiny_result("c"), out, "1.31")
    assert sorted(p.name for p in out.iterdir()) == [RENDER_MARKER, "ml_configmap_c.yaml"]
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(Exception, match=r"holds files render did not write \(notes.txt\)"):
        render(_tiny_result("d"), out, "1.31")
    assert (out / "notes.txt").is_file() and (out / "ml_configmap_c.yaml").is_file()


def test_force_replaces_a_foreign_directory_outside_the_project(tmp_path: Path) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / "stale.yaml").write_text("x: 1\n", encoding="utf-8")
    render(_tiny_result("a"), out, "1.31", force=True)
    assert sorted(p.name for p in out.iterdir()) == [RENDER_MARKER, "ml_configmap_a.yaml"]


def test_a_failure_while_writing_leaves_the_previous_output_intact_and_no_staging_left(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    render(_tiny_result("a"), out, "1.31")
    before = _snapshot(out)

    def populate(staging: Path) -> list[str]:
        (staging / "half.yaml").write_text("x", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        replace_dir(out, populate)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_render_refuses_a_symlink_and_a_file_as_out(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    code, err = _render("--out", str(link))
    assert code == 2 and "is a symlink" in err
    afile = tmp_path / "f.txt"
    afile.write_text("x", encoding="utf-8")
    code, err = _render("--out", str(afile))
    assert code == 2 and "is a file, not a directory" in err and afile.read_text(encoding="utf-8") == "x"


# -- `--out FILE` (preview, cost) ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["dir", "symlink", "readonly", "tracked", "under-a-file"])
def test_out_file_that_cannot_or_must_not_be_written_exits_2_naming_it(
    checkout: Path, tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if target == "dir":
        out, expected = tmp_path, "is a directory"
    elif target == "symlink":
        out = tmp_path / "link.json"
        out.symlink_to(tmp_path / "elsewhere.json")
        expected = "is a symlink"
    elif target == "readonly":
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out, expected = ro / "p.json", "cannot write (Permission denied)"
        if os.geteuid() == 0:  # root ignores directory permissions: make the write fail as it would
            monkeypatch.setattr(
                "inferstack.outputs.tempfile.mkstemp",
                lambda **_: (_ for _ in ()).throw(PermissionError(13, "Permission denied")),
            )
    elif target == "tracked":
        out, expected = checkout / "notes" / "runbook.md", ("git tracks" if HAS_GIT else "")
        if not HAS_GIT:
            pytest.skip("needs git to build the checkout's index")
    else:
        (tmp_path / "plain").write_text("x", encoding="utf-8")
        out, expected = tmp_path / "plain" / "p.json", "which is a file"
    result = CliRunner().invoke(app, ["preview", "--env", "dev", "--format", "json", "--out", str(out)])
    assert result.exit_code == 2, result.stderr
    assert str(out) in result.stderr and expected in result.stderr and "Traceback" not in result.stderr
    if target == "tracked":
        assert out.read_text(encoding="utf-8") == "# on-call\n"


def test_write_file_replaces_atomically_and_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "p.json"
    write_file("one", out)
    write_file("two", out)
    assert out.read_text(encoding="utf-8") == "two"
    assert [p.name for p in out.parent.iterdir()] == ["p.json"]


# -- the git index reader (so the tracked-path check needs no git binary) --------------------------------


@pytest.mark.skipif(not HAS_GIT, reason="compares with git ls-files")
@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_git_index_reader_lists_exactly_what_git_ls_files_lists(tmp_path: Path, version: str) -> None:
    repo = tmp_path / "r"
    (repo / "a" / "deep" / "er").mkdir(parents=True)
    for rel in ["x.txt", "a/y.txt", "a/deep/z.txt", "a/deep/er/long-" + "n" * 200 + ".txt", "ü.txt"]:
        (repo / rel).write_text(rel, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "update-index", "--index-version", version)
    if version == "3":
        (repo / "new.txt").write_text("n", encoding="utf-8")
        _git(repo, "add", "--intent-to-add", "--", "new.txt")  # an extended-flags entry
    expected = _git(repo, "-c", "core.quotepath=off", "ls-files").splitlines()
    assert parse_git_index((repo / ".git" / "index").read_bytes()) == expected
    assert tracked_paths(repo) == expected


@pytest.mark.skipif(not (HAS_GIT and (ROOT / ".git").exists()), reason="needs this checkout's git index")
def test_git_index_reader_reads_this_checkout_including_a_linked_worktree() -> None:
    expected = _git(ROOT, "-c", "core.quotepath=off", "ls-files").splitlines()
    assert tracked_paths(ROOT) == expected

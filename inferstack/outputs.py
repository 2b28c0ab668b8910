"""Where the CLI may write: one file for `--out FILE`, one directory it owns for `render --out DIR`.

Rules (issue 13, class 1: `render --out .` used to delete the checkout, `.git` included):

- never the project root, an ancestor of it, anything inside a `.git` directory, a directory holding a
  `.git` or a Pulumi project, the project's own source directories, or a path git tracks (read from the
  checkout's index file, so git need not be installed);
- `render` only replaces a directory it wrote itself (it leaves a marker file listing what it wrote) and
  that holds nothing else; an empty directory is fine; anything else needs `--force`;
- symlinks are refused (writing through one lands somewhere the user did not name);
- everything is written next to the target first and swapped in with a rename, so a failure at any
  point leaves the previous output as it was.

Every refusal is an `InputError` (exit 2) naming the path, why, and what to do instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from inferstack.config.loader import InputError, Project

RENDER_MARKER = ".inferstack-render.json"
# Top-level paths of the project layout (README "Layout"): refused as output even in a copy without git.
PROJECT_PATHS = (
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.staging.yaml",
    "Pulumi.prod.yaml",
    "pyproject.toml",
    "constraints.txt",
    "Makefile",
    "README.md",
    ".git",
    ".github",
    ".venv",
    "stacks",
    "components",
    "policies",
    "model_packages",
    "environments",
    "inferstack",
    "tests",
    "benchmarks",
    "docs",
    "scripts",
)


# -- git index (tracked paths) without git -------------------------------------------------------------


def _git_dir(worktree: Path) -> Path | None:
    dot_git = worktree / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a linked worktree or submodule: "gitdir: <path>"
        try:
            line = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if line.startswith("gitdir:"):
            target = Path(line[len("gitdir:") :].strip())
            return target if target.is_absolute() else (worktree / target).resolve()
    return None


def _varint(data: bytes, i: int) -> tuple[int, int]:
    """git's offset varint (varint.c decode_varint): 7 bits a byte, +1 per continuation."""
    c = data[i]
    i += 1
    value = c & 0x7F
    while c & 0x80:
        value += 1
        c = data[i]
        i += 1
        value = (value << 7) + (c & 0x7F)
    return value, i


def parse_git_index(data: bytes) -> list[str]:
    """Paths in a git index file, versions 2-4 (format: git's Documentation/gitformat-index.txt).

    Sparse-index directory entries keep their trailing "/". ValueError on anything unreadable.
    """
    if len(data) < 12 or data[:4] != b"DIRC":
        raise ValueError("not a git index")
    version = int.from_bytes(data[4:8], "big")
    count = int.from_bytes(data[8:12], "big")
    if version not in (2, 3, 4):
        raise ValueError(f"git index version {version}")
    paths: list[str] = []
    i, previous = 12, b""
    try:
        for _ in range(count):
            start = i
            flags = int.from_bytes(data[i + 60 : i + 62], "big")
            i += 62
            if version >= 3 and flags & 0x4000:  # extended flags
                i += 2
            if version == 4:
                strip, i = _varint(data, i)
                end = data.index(b"\0", i)
                name = previous[: len(previous) - strip] + data[i:end]
                i = end + 1
            else:
                end = data.index(b"\0", i)
                name = data[i:end]
                i = start + ((end - start) // 8 + 1) * 8  # 1-8 NULs pad the entry to a multiple of 8
            paths.append(name.decode("utf-8", errors="surrogateescape"))
            previous = name
    except IndexError:
        raise ValueError("truncated git index") from None
    return paths


def tracked_paths(worktree: Path) -> list[str] | None:
    """Paths (relative, "/"-separated) git tracks in `worktree`, or None when it is not a readable checkout."""
    git_dir = _git_dir(worktree)
    if git_dir is None:
        return None
    try:
        return parse_git_index((git_dir / "index").read_bytes())
    except (OSError, ValueError):
        return None


def _enclosing_worktree(path: Path) -> Path | None:
    for d in [path, *path.parents]:
        if (d / ".git").exists():
            return d
    return None


# -- checks ----------------------------------------------------------------------------------------------


def _absolute(path: Path) -> Path:
    # resolve() without requiring existence; the target itself is never a symlink here (refused earlier)
    return Path(os.path.abspath(path)).parent.resolve() / Path(os.path.abspath(path)).name


def protected_reason(target: Path, project: Project | None) -> str | None:
    """Why `target` must never be written or replaced, or None."""
    resolved = _absolute(target)
    if ".git" in resolved.parts:
        return "is inside a .git directory"
    if project is not None:
        root = project.root.resolve()
        if resolved == root:
            return "is the project root"
        if resolved in root.parents:
            return f"is an ancestor of the project root {root}"
        if resolved.is_relative_to(root):
            top = resolved.relative_to(root).parts[0]
            if top in PROJECT_PATHS:
                return f"is part of the project ({top})"
    if resolved.is_dir():
        if (resolved / ".git").exists():
            return "holds a .git checkout"
        if (resolved / "Pulumi.yaml").exists():
            return "holds a Pulumi project (Pulumi.yaml)"
    worktree = _enclosing_worktree(resolved.parent if not resolved.exists() else resolved)
    if worktree is not None and resolved != worktree:
        rel = resolved.relative_to(worktree).as_posix()
        for path in tracked_paths(worktree) or ():
            if path.rstrip("/") == rel or path.startswith(rel + "/"):
                return f"holds {path!r}, which git tracks in {worktree}"
    return None


def _refuse(target: Path, why: str, fix: str) -> InputError:
    return InputError(f"{target} ==> refusing to write there: it {why}; {fix}")


def _os_error(target: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError(f"{target} ==> cannot write ({reason}); choose a writable path you own")


# -- one file ----------------------------------------------------------------------------------------------


def _default_project() -> Project | None:
    from inferstack.config.loader import find_project

    try:
        return find_project()
    except InputError:
        return None


def check_output_file(out: Path, project: Project | None = None) -> None:
    """InputError unless `out` may be (over)written as one file."""
    project = project or _default_project()
    if out.is_symlink():
        raise _refuse(out, f"is a symlink to {os.readlink(out)}", "pass the real path of the file")
    if out.is_dir():
        raise _refuse(out, "is a directory", f"name a file, e.g. {out / 'preview.json'}")
    why = protected_reason(out, project)
    if why is not None:
        raise _refuse(out, why, "write outside the project sources, e.g. to out/ or a temporary directory")
    _check_parents(out)


def _check_parents(out: Path) -> None:
    """InputError when the nearest existing parent of `out` is a file (mkdir would say only "File exists")."""
    for d in out.parents:
        if d.exists():
            if not d.is_dir():
                raise _refuse(out, f"would go inside {d}, which is a file", "choose a directory path")
            break


def write_file(text: str, out: Path, project: Project | None = None) -> None:
    """Write `text` to `out` atomically (temp file next to it, then rename); InputError when refused."""
    check_output_file(out, project)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _refuse(out, f"would go inside {parent}, which is a file", "choose a directory path") from None
    except OSError as exc:
        raise _os_error(out, exc) from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise _os_error(out, exc) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


# -- one directory render owns ---------------------------------------------------------------------------


def _owned_listing(out: Path) -> tuple[bool, list[str]]:
    """(marker present and valid, entries in `out` the marker does not list)."""
    entries = sorted(p.name for p in out.iterdir())
    try:
        listed = set(json.loads((out / RENDER_MARKER).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return False, [e for e in entries if e != RENDER_MARKER]
    return True, [e for e in entries if e not in listed and e != RENDER_MARKER]


def check_output_dir(out: Path, project: Project | None, force: bool) -> None:
    """InputError unless `out` may be replaced by a directory render writes."""
    if out.is_symlink():
        raise _refuse(out, f"is a symlink to {os.readlink(out)}", "pass a real directory path")
    if out.exists() and not out.is_dir():
        raise _refuse(out, "is a file, not a directory", "pass a directory path (it is created)")
    _check_parents(out)
    why = protected_reason(out, project)
    if why is not None:
        raise _refuse(out, why, "render into a directory of its own, e.g. --out rendered")
    if out.is_dir() and not force:
        owned, foreign = _owned_listing(out)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            what = "holds files render did not write" if owned else "is a non-empty directory render did not create"
            raise _refuse(
                out, f"{what} ({shown})", "choose a new or empty directory, or pass --force to replace it whole"
            )


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def replace_dir(
    out: Path, populate: Callable[[Path], Iterable[str]], project: Project | None = None, force: bool = False
) -> None:
    """Build the directory in a staging directory next to `out` with `populate(staging)` (returns the file
    names it wrote), record them in the marker, then swap it in. The old `out` survives any failure."""
    check_output_dir(out, project, force)
    parent = _absolute(out).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent))
    except OSError as exc:
        raise _os_error(out, exc) from None
    try:
        names = sorted(populate(staging))
        (staging / RENDER_MARKER).write_text(
            json.dumps({"written_by": "inferstack render", "files": names}, indent=1) + "\n", encoding="utf-8"
        )
        target = parent / out.name
        if not target.exists():
            staging.rename(target)
        elif not _exchange(staging, target):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            old.rmdir()
            target.rename(old)
            try:
                staging.rename(target)
            except OSError:
                old.rename(target)
                raise
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise _os_error(out, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after an exchange it holds the previous output

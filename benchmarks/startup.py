"""Start-up benchmark: how long the `inferstack` commands take from a fresh interpreter, and install sizes.

    python benchmarks/startup.py [--runs N]

Each command runs N times (default 3) as a subprocess (`python -m inferstack.cli ...`, the project
checkout as PYTHONPATH) and the median wall time is printed. The warm preview is a second `run_preview`
in one process (every module imported, nothing else cached): the cold `preview --env prod` should stay
within 2x of it. Install sizes add up the files of the installed distributions in the dependency closure
of the light install (`pip install inferstack`) and of `inferstack[cli]`, from this virtualenv's metadata.
Figures depend on the machine and its load: compare runs on the same machine.

Bytecode: an installed wheel is byte-compiled by pip, and a checkout writes `__pycache__` on its first
run, so a user's "cold" start reads the project's .pyc files. The benchmark therefore byte-compiles the
checkout first (`python -m compileall`, as `make` bootstraps it); without that, under
PYTHONDONTWRITEBYTECODE=1 (set in some sandboxes and CI images), every run would compile ~170 project
modules from source. `--no-compile` measures that case, and the header says which one ran.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["inferstack", "components", "policies", "stacks"]
COMMANDS = [
    ["--help"],
    ["validate"],
    ["policy", "config", "--env", "prod"],
    ["preview", "--env", "prod", "--format", "json", "--out", os.devnull],
]


def timed(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "inferstack.cli", *args], cwd=ROOT, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"inferstack {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed


def warm_preview(runs: int) -> float:
    sys.path.insert(0, str(ROOT))
    from inferstack.config.loader import Project
    from inferstack.preview import run_preview

    run_preview(Project(ROOT), "prod")  # imports and first-run caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_preview(Project(ROOT), "prod")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _name(req: str) -> str:
    return re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = [_name(r) for r in requirements if not _name(r).startswith("inferstack")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for req in dist.requires or []:
            if "extra ==" not in req:  # only what the distribution needs without extras
                todo.append(_name(req))
    return seen


def _size(names: set[str]) -> int:
    total = 0
    for name in names:
        dist = metadata.distribution(name)
        for f in dist.files or []:
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
    return total


def install_sizes() -> tuple[tuple[int, int], tuple[int, int]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    light = _closure(project["dependencies"])
    full = _closure(project["dependencies"] + extras["cli"] + extras["sagemaker"])
    return (len(light), _size(light)), (len(full), _size(full))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="Do not byte-compile the checkout first.")
    opts = parser.parse_args()
    runs = opts.runs
    if not opts.no_compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True)
    if opts.no_compile and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        bytecode = "project compiled from source on every run (PYTHONDONTWRITEBYTECODE, --no-compile)"
    else:
        bytecode = "project bytecode cached" if not opts.no_compile else "project bytecode as found"
    print(
        f"inferstack start-up, median of {runs} runs (python {sys.version.split()[0]}, "
        f"load {os.getloadavg()[0]:.1f}, {bytecode})"
    )
    cold = {}
    for args in COMMANDS:
        cold[args[0]] = statistics.median(timed(args) for _ in range(runs))
        print(
            f"  cold  inferstack {' '.join(a for a in args if a != os.devnull).replace(' --out', '')}: "
            f"{cold[args[0]]:.2f} s"
        )
    warm = warm_preview(runs)
    print(f"  warm  run_preview(prod) in one process: {warm:.2f} s")
    print(f"  cold preview / warm preview: {cold['preview'] / warm:.2f}x (target <= 2x)")
    (ln, ls), (fn, fs) = install_sizes()
    print(f"  light install (pip install inferstack): {ln} distributions, {ls / 1e6:.0f} MB")
    print(f"  with the cli extra (inferstack[cli]):    {fn} distributions, {fs / 1e6:.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark the offline preview engine. Prints figures; asserts nothing (not a timed test).

For each reference environment and for synthetic fleets of 10, 50 and 100 deployments it measures, each
in a fresh subprocess:
  - engine: the offline preview's program run (recording monitor, decoding, sorting), timed on a second run in
    the same process so the lazy imports of the first (pulumi_aws submodules, sagemaker.core) are left out
    ("cold s" shows that first run);
  - floor: the same program under the Pulumi SDK's plain `MockMonitor` with the same mock answers (no
    recording) -- the cost any mocks-based run pays;
and the overhead: ratio engine/floor, extra ms per resource, and extra KB per resource (RSS growth over
the cold run, engine minus floor). Targets on the 2-core machine: overhead <= 1.3x, <= 6 ms and
<= 150 KB per resource, time linear in the number of deployments.

    .venv/bin/python benchmarks/preview.py [--fleets 10,50,100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def single(project_dir: Path, env: str, mode: str) -> dict[str, float]:
    """One measurement in this process: mode 'engine' (recording monitor) or 'floor' (plain MockMonitor)."""
    sys.path.insert(0, str(ROOT))
    import pulumi  # noqa: F401 - imported before the clock starts, like every real run
    import pulumi_aws  # noqa: F401
    import pulumi_kubernetes  # noqa: F401

    from inferstack.config.loader import Project, load_environment
    from inferstack.engine import recorder
    from inferstack.engine.mocks import InferstackMocks
    from inferstack.preview import stack_config

    project = Project(project_dir)
    load_environment(project, env)
    config, secrets = stack_config(project, env)
    program = project_dir / "stacks" / "__main__.py"
    # Warm the imports the program does (components, stacks) so both modes measure the run, not imports.
    sys.path.insert(0, str(project_dir))
    from pulumi.runtime import mocks as pmocks

    import stacks.program  # noqa: F401

    def once() -> tuple[int, float]:
        start = time.perf_counter()
        if mode == "floor":
            monitor = pmocks.MockMonitor(InferstackMocks(config["aws:region"]))
            recorder.execute(program, monitor, project="inferstack", stack=env, config=config, secret_keys=secrets)
            n = len(monitor.resources)
        else:
            resources, _ = recorder.run_program(
                program, project="inferstack", stack=env, config=config, secret_keys=secrets
            )
            n = len(resources)
        return n, time.perf_counter() - start

    rss0 = _rss_kb()
    count, cold = once()  # first run pays the lazy imports (pulumi_aws submodules, sagemaker.core)
    rss_cold = _rss_kb() - rss0
    count, seconds = once()  # the run itself
    return {
        "resources": count,
        "seconds": seconds,
        "cold_seconds": cold,
        "peak_rss_kb": _rss_kb(),
        "rss_growth_kb": rss_cold,
    }


def make_fleet(n: int) -> Path:
    """A temp project whose dev environment deploys n models (alternating Triton on EKS and SageMaker)."""
    import yaml

    tmp = Path(tempfile.mkdtemp(prefix=f"inferstack-fleet-{n}-"))
    for item in ["Pulumi.yaml", "Pulumi.dev.yaml", "stacks", "components", "inferstack", "policies"]:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, tmp / item, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, tmp / item)
    (tmp / "environments").mkdir()
    (tmp / "model_packages").mkdir()
    env = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    base = {d["target"]: d for d in env["deployments"]}
    deployments = []
    for i in range(n):
        template = base["triton-eks"] if i % 2 == 0 else next(d for t, d in base.items() if t != "triton-eks")
        name = f"model-{i:03d}"
        src_pkg = ROOT / "model_packages" / template["model"]
        dst_pkg = tmp / "model_packages" / name
        shutil.copytree(src_pkg, dst_pkg)
        manifest = yaml.safe_load((dst_pkg / "model.yaml").read_text())
        manifest["name"] = name
        (dst_pkg / "model.yaml").write_text(yaml.safe_dump(manifest))
        deployments.append({**template, "model": name})
    env["deployments"] = deployments
    (tmp / "environments" / "dev.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return tmp


def measure(project_dir: Path, env: str, mode: str, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--single", str(project_dir), env, mode],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])  # least-disturbed run
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", nargs=3, metavar=("PROJECT", "ENV", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--fleets", default="10,50,100", help="synthetic fleet sizes (deployments)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest is kept")
    args = parser.parse_args()
    if args.single:
        project, env, mode = args.single
        print(json.dumps(single(Path(project), env, mode)))
        return

    cases: list[tuple[str, Path, str, int | None]] = [(e, ROOT, e, None) for e in ("dev", "staging", "prod")]
    fleets = [int(x) for x in args.fleets.split(",") if x]
    for n in fleets:
        cases.append((f"fleet-{n}", make_fleet(n), "dev", n))

    header = (
        f"{'case':<12}{'resources':>10}{'cold s':>8}{'engine s':>10}{'floor s':>9}{'ratio':>7}"
        f"{'ms/res':>8}{'over ms/res':>12}{'over KB/res':>12}{'peak RSS MB':>12}"
    )
    print(header)
    print("-" * len(header))
    fleet_points: list[tuple[int, float]] = []
    for label, project_dir, env, n in cases:
        eng = measure(project_dir, env, "engine", args.repeat)
        flo = measure(project_dir, env, "floor", args.repeat)
        res = max(int(eng["resources"]), 1)
        ratio = eng["seconds"] / flo["seconds"] if flo["seconds"] else float("nan")
        over_ms = max(eng["seconds"] - flo["seconds"], 0.0) * 1000 / res
        over_kb = (eng["rss_growth_kb"] - flo["rss_growth_kb"]) / res
        print(
            f"{label:<12}{res:>10}{eng['cold_seconds']:>8.2f}{eng['seconds']:>10.2f}{flo['seconds']:>9.2f}"
            f"{ratio:>7.2f}{eng['seconds'] * 1000 / res:>8.2f}{over_ms:>12.2f}{over_kb:>12.1f}"
            f"{eng['peak_rss_kb'] / 1024:>12.0f}"
        )
        if n is not None:
            fleet_points.append((n, eng["seconds"]))
            shutil.rmtree(project_dir, ignore_errors=True)
    if len(fleet_points) >= 2:
        (n0, t0), (n1, t1) = fleet_points[0], fleet_points[-1]
        slope = (t1 - t0) / (n1 - n0)
        print(f"\nfleet growth: {slope * 1000:.1f} ms per added deployment between {n0} and {n1} deployments")
        for n, t in fleet_points:
            predicted = t0 + slope * (n - n0)
            print(f"  {n:>4} deployments: {t:.2f} s measured, {predicted:.2f} s on the straight line")


if __name__ == "__main__":
    main()

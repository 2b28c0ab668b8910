"""Fuzz the CLI contract with N seeded mutations of the reference environment and manifest files and print counts:
mutations (per family), the exit-code histogram per command, tracebacks, exit-2 messages that do not name the
mutated file, `--out` written on failure, and known-invalid mutations wrongly accepted. Asserts nothing; exits 1
when any contract breach was found, so CI can run it too.

The mutations are tests/fuzz_cases.py's (the same generator the suite's tests/test_fuzz_contract.py runs, 40 of
them); `--seed S --only I` reruns one. `preview --env ENV --out FILE` runs for every mutated environment file
(a full offline preview when `validate` accepts it), `package validate` for every mutated manifest.

    .venv/bin/python benchmarks/fuzz_contract.py [--count 400] [--seed 13] [--only INDEX] [--verbose]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import fuzz_cases  # noqa: E402 - after the checkout is importable

KINDS = (  # (text in an Outcome problem, what it counts as)
    ("traceback in the output", "traceback"),
    ("accepted a known-invalid", "wrongly accepted"),
    ("without naming", "exit 2 without the file"),
    ("--out was written", "--out written on failure"),
    ("characters of output", "output too long"),
)


def _kind(problem: str) -> str:
    return next((kind for text, kind in KINDS if text in problem), "exit code outside the contract")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="number of mutations (default 400)")
    parser.add_argument("--seed", type=int, default=13, help="seed (default 13, the suite's)")
    parser.add_argument("--only", type=int, default=None, help="run just this mutation index")
    parser.add_argument("--verbose", action="store_true", help="one line per mutation")
    args = parser.parse_args()

    indices = [args.only] if args.only is not None else list(range(args.count))
    tmp = fuzz_cases.scratch()
    families: Counter[str] = Counter()
    codes: dict[str, Counter[int]] = {}
    breaches: Counter[str] = Counter()
    known_invalid = accepted = wrongly_accepted = 0
    failures: list[str] = []
    start = time.perf_counter()
    load = os.getloadavg()
    try:
        for i in indices:
            m = fuzz_cases.mutation(args.seed, i)
            families[m.family] += 1
            outcome = fuzz_cases.check(m, tmp)
            for run in outcome.runs:
                codes.setdefault(" ".join(run.args[:2]), Counter())[run.code] += 1
            known_invalid += m.known_invalid
            accepted += outcome.accepted
            for problem in outcome.problems:
                kind = _kind(problem)
                breaches[kind] += 1
                failures.append(f"#{i} {m.family} {m.target} ({m.what}): {problem[:300]}")
            wrongly_accepted += any("accepted a known-invalid" in p for p in outcome.problems)
            if args.verbose:
                runs = ", ".join(f"{' '.join(r.args[:2])}={r.code}" for r in outcome.runs)
                print(f"#{i} {m.family:12} {m.target:42} {runs}  {m.what[:70]}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - start

    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, cpus: {os.cpu_count()}")
    print(f"seed {args.seed}: {len(indices)} mutations in {elapsed:.1f} s")
    print("  by family: " + ", ".join(f"{f} {families[f]}" for f in fuzz_cases.FAMILIES if families[f]))
    print(f"  known invalid: {known_invalid}; accepted by validate: {accepted}")
    print("exit codes:")
    for command in sorted(codes):
        hist = ", ".join(f"{code}: {n}" for code, n in sorted(codes[command].items()))
        print(f"  {command:16} {hist}")
    tracebacks = breaches["traceback"]
    crashes = sum(n for command in codes.values() for code, n in command.items() if code not in (0, 1, 2))
    print(f"tracebacks: {tracebacks}")
    print(f"exit codes outside 0/1/2 (crashes): {crashes}")
    print(f"exit 2 without naming the file: {breaches['exit 2 without the file']}")
    print(f"--out written on failure: {breaches['--out written on failure']}")
    print(f"output too long (echoed input): {breaches['output too long']}")
    print(f"wrongly accepted: {wrongly_accepted}")
    for line in failures[:40]:
        print("  " + line)
    if len(failures) > 40:
        print(f"  ... and {len(failures) - 40} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

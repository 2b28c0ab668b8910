"""Seeded mutations of the reference environment and manifest files, and the CLI contract they are run against
(issue 13, deliverable 7). Shared by tests/test_fuzz_contract.py (a fixed, small count in `make test`) and
benchmarks/fuzz_contract.py (hundreds, with counts).

Every mutation is a pure function of (seed, index): the same seed gives the same bytes on every machine, so a
failure reproduces with `python benchmarks/fuzz_contract.py --seed S --only INDEX`.

The contract checked for every run of `validate`, `preview --out FILE` and `package validate`:

- the exit code is 0, 1 or 2 (1 only from `preview`, for mandatory violations; 3 is an internal error);
- no "Traceback" in stdout or stderr;
- on exit 2 the message names the mutated file (environments/<env>.yaml, model_packages/<name>/model.yaml);
- on any exit but 0 and 1, `--out` was not written;
- a mutation known to make the file invalid (KNOWN_INVALID families, and the bytes not being UTF-8) is never
  accepted: `validate` must not exit 0.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "environments").glob("*.yaml"))
MANIFESTS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "model_packages").glob("*/model.yaml"))

# `key: value` on one line of a block mapping, optionally the first key of a sequence item (`- key: value`)
_ENTRY = re.compile(
    r"^(?P<indent> *)(?P<dash>- )?(?P<key>[A-Za-z_][\w.-]*):(?P<sep> +)(?P<value>[^#\n]*?)(?P<tail> +#.*)?$"
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_FLOW_NUMBER = re.compile(r"(?<=: )-?\d+(\.\d+)?(?=[,}\]])")

HUGE = [".inf", "-.inf", ".nan", "1" + "0" * 400, "1.0e+400", str(2**64), "-" + str(2**63 + 1)]
SWAPS = ['"a string"', "42", "-1", "3.5", "[1, 2]", "{k: v}", "true", "null", "''", "[]", "{}", "0x10", "~"]

#: Longest output accepted from one command: a message quotes values cut short, never the expanded input.
MAX_OUTPUT = 20_000

#: Families whose every mutation makes the file invalid: `validate` must never accept one.
KNOWN_INVALID = frozenset({"dup_key", "huge_number", "deep_nesting", "alias_bomb", "bad_encoding"})
FAMILIES = (
    "byte_flip",
    "dup_key",
    "type_swap",
    "deletion",
    "huge_number",
    "deep_nesting",
    "alias_bomb",
    "bad_encoding",
)


@dataclass(frozen=True)
class Mutation:
    index: int
    family: str
    target: str  # project-relative path of the mutated file
    what: str  # one line: what was changed, for failure messages
    data: bytes

    @property
    def known_invalid(self) -> bool:
        if self.family in KNOWN_INVALID:
            return True
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError:
            return True  # the loader reads strict UTF-8
        return False


def _entries(lines: list[str], want: Callable[[re.Match[str]], bool]) -> list[tuple[int, re.Match[str]]]:
    found = []
    for i, line in enumerate(lines):
        m = _ENTRY.match(line)
        if m and want(m):
            found.append((i, m))
    return found


def _scalar(m: re.Match[str]) -> bool:
    value = m["value"].strip()
    return bool(value) and value[0] not in "[{&*|>!"  # plain or quoted scalars, not collections or tags


def _replace_value(lines: list[str], i: int, m: re.Match[str], new: str) -> None:
    lines[i] = f"{m['indent']}{m['dash'] or ''}{m['key']}:{m['sep']}{new}{m['tail'] or ''}"


def _text_mutation(rng: random.Random, family: str, text: str) -> tuple[str, str] | None:
    """(new text, description), or None when the file offers no place for this family."""
    lines = text.split("\n")
    if family == "dup_key":
        places = _entries(lines, _scalar)
        tops = _entries(lines, lambda m: not m["indent"] and not m["dash"])
        if rng.random() < 0.3 and tops:  # the issue's `deployments: []` / second `regions:` shape: a top-level key
            i, m = rng.choice(tops)
            value = rng.choice(["[]", "{}", m["value"] or "[]"])
            return text.rstrip(
                "\n"
            ) + f"\n{m['key']}: {value}\n", f"line {i + 1}: top-level {m['key']!r} again at the end"
        if not places:
            return None
        i, m = rng.choice(places)
        indent = m["indent"] + ("  " if m["dash"] else "")
        lines.insert(i + 1, f"{indent}{m['key']}:{m['sep']}{m['value']}")
        return "\n".join(lines), f"line {i + 1}: {m['key']!r} duplicated on the next line"
    if family == "type_swap":
        places = _entries(lines, _scalar)
        if not places:
            return None
        i, m = rng.choice(places)
        new = rng.choice([s for s in SWAPS if s != m["value"].strip()])
        _replace_value(lines, i, m, new)
        return "\n".join(lines), f"line {i + 1}: {m['key']} {m['value'].strip()!r} -> {new}"
    if family == "deletion":
        if rng.random() < 0.5:
            start = rng.randrange(len(lines))
            count = rng.randint(1, 3)
            del lines[start : start + count]
            return "\n".join(lines), f"lines {start + 1}-{start + count} deleted"
        start = rng.randrange(len(text))
        count = rng.randint(1, 12)
        return text[:start] + text[start + count :], f"characters {start}-{start + count} deleted"
    if family == "huge_number":
        places = [(i, m) for i, m in _entries(lines, _scalar) if _NUMBER.match(m["value"].strip())]
        flow = [
            (i, f)
            for i, line in enumerate(lines)
            if not line.lstrip().startswith("#")
            for f in _FLOW_NUMBER.finditer(line)
        ]
        new = rng.choice(HUGE)
        if flow and (not places or rng.random() < 0.4):
            i, f = rng.choice(flow)
            lines[i] = lines[i][: f.start()] + new + lines[i][f.end() :]
            return "\n".join(lines), f"line {i + 1}: flow number {f.group()} -> {new[:20]}"
        if not places:
            return None
        i, m = rng.choice(places)
        _replace_value(lines, i, m, new)
        return "\n".join(lines), f"line {i + 1}: {m['key']} {m['value'].strip()} -> {new[:20]}"
    if family == "deep_nesting":
        places = _entries(lines, _scalar)
        if not places:
            return None
        i, m = rng.choice(places)
        depth = rng.choice([200, 900, 1500, 3000])
        nest = "[" * depth + "]" * depth if rng.random() < 0.5 else "{a: " * depth + "1" + "}" * depth
        _replace_value(lines, i, m, nest)
        return "\n".join(lines), f"line {i + 1}: {m['key']} -> {depth} levels of flow nesting"
    if family == "alias_bomb":
        places = _entries(lines, _scalar)
        if not places:
            return None
        i, m = rng.choice(places)
        levels, width = rng.choice([(6, 8), (8, 9), (9, 9), (12, 4)])
        parts = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
        parts += [f"&a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels)]
        _replace_value(lines, i, m, "[" + ", ".join(parts) + "]")
        return "\n".join(lines), f"line {i + 1}: {m['key']} -> alias bomb {width}^{levels}"
    raise ValueError(family)


def _bytes_mutation(rng: random.Random, family: str, data: bytes) -> tuple[bytes, str]:
    if family == "byte_flip":
        out = bytearray(data)
        flips = []
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(out))
            bit = 1 << rng.randrange(8)
            out[at] ^= bit
            flips.append(f"{at}^{bit:#x}")
        return bytes(out), "bytes flipped at " + ", ".join(flips)
    # bad_encoding
    text = data.decode("utf-8")
    kind = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "lone-byte", "nul", "cut-utf8"])
    if kind.startswith(("utf-16", "utf-32")):
        return text.encode(kind), f"re-encoded as {kind}"
    at = rng.randrange(len(data))
    at = data.rfind(b"\n", 0, at) + 1  # start of a line, so the byte lands in a key, value or comment
    insert = {
        "latin-1": "# caf\xe9\n".encode("latin-1"),
        "lone-byte": bytes([rng.choice([0x80, 0xBF, 0xC0, 0xFE, 0xFF])]),
        "nul": b"\0",
        "cut-utf8": "é".encode()[:1],
    }[kind]
    return data[:at] + insert + data[at:], f"{kind} byte(s) inserted at offset {at}"


def mutation(seed: int, index: int, targets: list[str] | None = None, families: tuple[str, ...] = FAMILIES) -> Mutation:
    """Mutation number `index` of the run seeded `seed`: its family and target cycle, its details are random."""
    targets = targets or [*ENV_FILES, *MANIFESTS]
    family = families[index % len(families)]
    target = targets[(index // len(families)) % len(targets)]
    rng = random.Random(f"{seed}:{index}")
    original = (ROOT / target).read_bytes()
    if family in ("byte_flip", "bad_encoding"):
        data, what = _bytes_mutation(rng, family, original)
        return Mutation(index, family, target, what, data)
    for _ in range(8):  # another random place when this one offers none
        got = _text_mutation(rng, family, original.decode("utf-8"))
        if got is not None:
            return Mutation(index, family, target, got[1], got[0].encode("utf-8"))
    raise AssertionError(f"{target} offers no place for {family}")


# -- running the CLI on a mutation -----------------------------------------------------------------------


@dataclass
class Run:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    written: str | None = None  # what `--out` holds afterwards

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Outcome:
    mutation: Mutation
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return any(r.code == 0 for r in self.runs if r.args[:1] == ["validate"])


def project_with(m: Mutation, tmp: Path) -> Path:
    """A throwaway copy of the project with the mutated file in place."""
    from tests.packages_helpers import copy_project

    root = tmp / f"m{m.index}"
    root.mkdir()
    copy_project(root)
    (root / m.target).write_bytes(m.data)
    return root


def run_cli(root: Path, args: list[str]) -> Run:
    from typer.testing import CliRunner

    from inferstack.cli import app

    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, args, env={"INFERSTACK_LOG_DIR": str(root / ".crash-logs")})
    finally:
        os.chdir(cwd)
    stdout, stderr = result.stdout, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\nTraceback (CliRunner caught {type(result.exception).__name__}: {result.exception})"
    return Run(args, result.exit_code, stdout, stderr)


def commands(m: Mutation, preview: bool) -> Iterator[list[str]]:
    yield ["validate"]
    if m.target.startswith("environments/"):
        if preview:
            yield ["preview", "--env", Path(m.target).stem, "--format", "json", "--out", "out/preview.json"]
    else:
        yield ["package", "validate", str(Path(m.target).parent)]


def check(m: Mutation, tmp: Path, *, preview: Callable[[Mutation, bool], bool] | None = None) -> Outcome:
    """Run the commands on a project holding mutation `m`; `Outcome.problems` lists every broken promise.

    `preview(m, validate_accepted)` decides whether `preview --out` runs too (it costs seconds when the file
    is valid, so the suite runs it on a few accepted mutations and on every rejected one)."""
    root = project_with(m, tmp)
    outcome = Outcome(m)
    try:
        first = run_cli(root, ["validate"])
        outcome.runs.append(first)
        want_preview = preview(m, first.code == 0) if preview else True
        for args in list(commands(m, want_preview))[1:]:
            run = run_cli(root, args)
            out = root / "out" / "preview.json"
            run.written = out.read_text(encoding="utf-8") if out.is_file() else None
            outcome.runs.append(run)
        for run in outcome.runs:
            allowed = {0, 1, 2} if run.args[0] == "preview" else {0, 2}
            name = " ".join(run.args[:2])
            if run.code not in allowed:
                outcome.problems.append(f"{name}: exit {run.code} (allowed {sorted(allowed)}): {run.stderr[-300:]}")
            if "Traceback" in run.output:
                outcome.problems.append(f"{name}: traceback in the output: {run.output[-300:]}")
            if len(run.output) > MAX_OUTPUT:
                outcome.problems.append(f"{name}: {len(run.output)} characters of output (echoed input?)")
            if run.code == 2 and not names_file(run.stderr, m.target):
                outcome.problems.append(f"{name}: exit 2 without naming {m.target}: {run.stderr[:300]}")
            if run.args[0] == "preview" and run.code not in (0, 1) and (root / "out").exists():
                outcome.problems.append(
                    f"{name}: exit {run.code} but --out was written: {sorted((root / 'out').iterdir())}"
                )
        if m.known_invalid and outcome.accepted:
            outcome.problems.append("validate accepted a known-invalid mutation (exit 0)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return outcome


def names_file(message: str, target: str) -> bool:
    """Whether an exit-2 message names `target`: its project path, or, for a manifest, a path inside its package
    together with the file's name (a config.pbtxt that disagrees with model.yaml is reported at the config,
    "model_packages/x/triton/x/config.pbtxt ==> ... but model.yaml has ...")."""
    if target in message:
        return True
    package, name = str(Path(target).parent), Path(target).name
    return target.startswith("model_packages/") and f"{package}/" in message and name in message


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="inferstack-fuzz-"))

"""Issue 13, deliverable 7: seeded mutation fuzzing of the reference environment and manifest files against the
CLI contract (tests/fuzz_cases.py says what is mutated and what is checked).

Deterministic and bounded: a fixed seed and a fixed count per family (every environment file and two manifests
per family, in rotation: 40 mutations with today's 3 environments), never a wall-clock budget. `preview --out`
runs on every mutated environment that `validate` rejects (cheap: it fails at load) and on the first accepted
one per family (a full offline preview costs seconds). benchmarks/fuzz_contract.py runs hundreds with counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import fuzz_cases
from tests.fuzz_cases import ENV_FILES, FAMILIES, MANIFESTS, Mutation, check

SEED = 13
TARGETS = [*ENV_FILES, *MANIFESTS]

MANIFESTS_PER_FAMILY = 2  # each family mutates every environment file and two manifests, in rotation


def _picks(family: str) -> list[int]:
    """Target positions (in TARGETS) this family mutates: every environment file, and MANIFESTS_PER_FAMILY
    manifests rotating with the family so that the families together cover every manifest."""
    f = FAMILIES.index(family)
    manifests = {(MANIFESTS_PER_FAMILY * f + j) % len(MANIFESTS) for j in range(MANIFESTS_PER_FAMILY)}
    return list(range(len(ENV_FILES))) + sorted(len(ENV_FILES) + m for m in manifests)


def _family_mutations(family: str) -> list[Mutation]:
    # mutation(SEED, i) mutates TARGETS[i // len(FAMILIES)] with FAMILIES[i % len(FAMILIES)]: the same numbering
    # as benchmarks/fuzz_contract.py, so `--seed 13 --only I` reruns any mutation of this test
    f = FAMILIES.index(family)
    return [fuzz_cases.mutation(SEED, f + len(FAMILIES) * k) for k in _picks(family)]


def test_the_mutations_are_deterministic_and_cover_every_file_and_family() -> None:
    first = [m for f in FAMILIES for m in _family_mutations(f)]
    again = [m for f in FAMILIES for m in _family_mutations(f)]
    assert first == again
    assert {m.target for m in first} == set(TARGETS), "the families together mutate every file"
    assert all({m.target for m in first if m.family == f} >= set(ENV_FILES) for f in FAMILIES)
    assert {m.family for m in first} == set(FAMILIES)
    originals = {t: (fuzz_cases.ROOT / t).read_bytes() for t in TARGETS}
    assert all(m.data != originals[m.target] for m in first), "every mutation changes its file"
    assert fuzz_cases.mutation(SEED + 1, 0).data != fuzz_cases.mutation(SEED, 0).data, "the seed matters"


@pytest.mark.parametrize("family", FAMILIES)
def test_mutated_files_keep_the_cli_contract(family: str, tmp_path: Path) -> None:
    previewed_accepted: list[str] = []

    def preview(m: Mutation, accepted: bool) -> bool:
        if not accepted:
            return True
        if previewed_accepted:
            return False
        previewed_accepted.append(m.target)
        return True

    problems = []
    for m in _family_mutations(family):
        outcome = check(m, tmp_path, preview=preview)
        problems += [f"#{m.index} {m.target} ({m.what}): {p}" for p in outcome.problems]
    assert problems == [], "\n".join(problems)


# -- known-invalid edits: each must be refused by `validate` (exit 2 naming the file) or, where only the
# policies can see it, fail `preview` with exit 1 -------------------------------------------------------


def _edit(target: str, *pairs: tuple[str, str]) -> bytes:
    text = (fuzz_cases.ROOT / target).read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, f"{target} no longer holds {old!r}; update this case"
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def _public_endpoint(cidrs: str) -> bytes:
    """staging without a declared deployer (the deployer's own /16 check stays out) and a public endpoint open
    to `cidrs`: only the public-endpoint policy stands between this file and an API server on the internet."""
    return _edit(
        "environments/staging.yaml",
        ("  deployer: {mode: in_vpc, runner_label: inferstack-staging-deployer, runner_cidrs: [10.30.0.0/19]}\n", ""),
        ("cluster:\n", f"cluster:\n  endpoint_public_access: true\n  public_access_cidrs: {cidrs}\n"),
    )


def _append(target: str, tail: str) -> bytes:
    return (fuzz_cases.ROOT / target).read_bytes().rstrip(b"\n") + b"\n" + tail.encode("utf-8")


BOMB = (
    "["
    + ", ".join(
        ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"&a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 9)]
    )
    + "]"
)
KNOWN_INVALID: dict[str, tuple[str, bytes, int]] = {
    # class 5: a second `regions:` moves the environment, a second `deployments: []` wipes it
    "second-regions": (
        "environments/prod.yaml",
        _append("environments/prod.yaml", "regions: {primary: eu-west-1}\n"),
        2,
    ),
    "second-deployments": ("environments/prod.yaml", _append("environments/prod.yaml", "deployments: []\n"), 2),
    # class 4: a 2 KB alias bomb
    "alias-bomb": ("environments/dev.yaml", _append("environments/dev.yaml", f"monitoring_extra: {BOMB}\n"), 2),
    # class 8: encodings and numbers
    "utf-16": (
        "environments/staging.yaml",
        (fuzz_cases.ROOT / "environments/staging.yaml").read_text("utf-8").encode("utf-16"),
        2,
    ),
    "manifest-latin-1": (
        "model_packages/fraud-scorer/model.yaml",
        (fuzz_cases.ROOT / "model_packages/fraud-scorer/model.yaml").read_bytes() + b"# caf\xe9\n",
        2,
    ),
    "inf-throttle": (
        "environments/prod.yaml",
        _edit("environments/prod.yaml", ("rate_per_second: 500", "rate_per_second: .inf")),
        2,
    ),
    "deep-yaml": (
        "environments/dev.yaml",
        _append("environments/dev.yaml", "tags_extra: " + "[" * 900 + "]" * 900 + "\n"),
        2,
    ),
    # class 6: the public endpoint guardrail (only the policy sees it: preview exits 1)
    "cidrs-cover-the-internet": ("environments/staging.yaml", _public_endpoint("[0.0.0.0/1, 128.0.0.0/1]"), 1),
    "cidrs-not-cidrs": ("environments/staging.yaml", _public_endpoint("[office]"), 1),
}


@pytest.mark.parametrize("case", sorted(KNOWN_INVALID))
def test_known_invalid_edits_are_never_accepted(case: str, tmp_path: Path) -> None:
    target, data, expected = KNOWN_INVALID[case]
    m = Mutation(-1, case, target, case, data)
    outcome = check(m, tmp_path, preview=lambda _m, _accepted: True)
    assert outcome.problems == [], "\n".join(outcome.problems)
    codes = {" ".join(r.args[:2]): r.code for r in outcome.runs}
    if expected == 2 or codes["validate"] == 2:
        assert codes["validate"] == 2, codes
    else:  # a configuration only the policies can refuse: preview fails with the policy's violation
        assert codes["validate"] == 0 and codes.get("preview --env") == 1, codes
        (run,) = [r for r in outcome.runs if r.args[0] == "preview"]
        assert run.written is not None and '"policy": "aws-eks-cluster-disallow-public-endpoint"' in run.written


def test_an_exit_2_message_names_the_mutated_file_by_path_or_within_its_package() -> None:
    target = "model_packages/fraud-scorer/model.yaml"
    assert fuzz_cases.names_file(f"error: {target}:3:1 ==> bad", target)
    assert fuzz_cases.names_file(
        "error: model_packages/fraud-scorer/triton/fraud-scorer/config.pbtxt ==> config has 64 but model.yaml has 42",
        target,
    )
    assert not fuzz_cases.names_file("error: model_packages/text-embedder/model.yaml ==> bad", target)
    assert not fuzz_cases.names_file("error: something failed", "environments/dev.yaml")

"""Every Python block in the README and docs runs (under the recording mocks), and Args types are honest."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import inferstack.components as components
from tests.conftest import run_components

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[tuple[str, str]]:
    out = []
    for path in DOCS:
        for i, match in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8"))):
            out.append((f"{path.relative_to(ROOT)}#{i + 1}", match.group(1)))
    return out


BLOCKS = python_blocks()


def test_the_docs_have_python_blocks_to_run() -> None:
    assert any(name.startswith("README.md") for name, _ in BLOCKS)


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_python_block_runs_under_mocks(where: str, code: str) -> None:
    def program() -> None:
        exec(compile(code, where, "exec"), {"__name__": "__main__"})

    recorded = run_components(program)
    assert recorded.resources, f"{where} registers resources"


def test_readme_component_example_creates_the_key_with_its_alias() -> None:
    (code,) = [c for name, c in BLOCKS if name.startswith("README.md") and "Keys(" in c]
    recorded = run_components(lambda: exec(compile(code, "README", "exec"), {"__name__": "__main__"}))
    assert recorded.one("aws:kms/alias:Alias").inputs["name"] == "alias/ml-dev"
    assert "key_arn" in recorded.outputs


ARGS = [getattr(components, n) for n in components.__all__ if n.endswith("Args")]


@pytest.mark.parametrize("args", ARGS, ids=[a.__name__ for a in ARGS])
def test_typed_dict_optional_keys_are_exactly_the_not_required_ones(args: type) -> None:
    def declared_in(cls: type) -> set[str]:
        # Its own NotRequired keys and those of the TypedDicts it extends (e.g. _eks_serving.EksServiceArgs).
        # A TypedDict keeps no reference to its bases at runtime (3.11), so read them from the class statement.
        source = inspect.getsource(cls)
        own = set(re.findall(r"^    (\w+): NotRequired\[", source, re.MULTILINE))
        header = re.match(r"class \w+\(([\w.]+)\)", source)
        base = eval(header[1], vars(inspect.getmodule(cls))) if header and header[1] != "TypedDict" else None
        return own | declared_in(base) if base is not None else own

    declared = declared_in(args)
    assert args.__optional_keys__ == declared, "NotRequired keys must show in __optional_keys__ at runtime"
    assert args.__required_keys__.isdisjoint(declared)


def test_keys_needs_only_its_alias() -> None:
    assert components.KeysArgs.__required_keys__ == {"alias"}


USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_docs_carry_no_internal_notes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\(issue \d+\)|\bissue \d+\b", text, re.IGNORECASE), "internal issue numbers"
    assert "untested here" not in text and "where this was built" not in text

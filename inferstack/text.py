"""Small text helpers shared by the CLI, the loaders and the reports (no third-party imports)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 type', '3 types', '0 types'; pass the plural when it is not singular + 's' ('entry', 'entries')."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders digit runs by value: g4dn.2xlarge before g4dn.12xlarge, us-west-2 after us-east-1."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def natural_sorted(values: Iterable[str]) -> list[str]:
    return sorted(values, key=natural_key)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1
    (so the typo `us-esat-1` is 1 away from `us-east-1`, 2 from `us-west-1`)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    """'did you mean 'g6.xlarge'? ' when a valid value is close to `value`, else ''. Of difflib's close
    matches the one fewest edits away wins (ties: difflib's order)."""
    close = difflib.get_close_matches(value, list(valid), n=5, cutoff=0.6)
    if not close:
        return ""
    best = min(close, key=lambda c: edit_distance(value, c))
    return f"did you mean {best!r}? "


_SIZES = ["nano", "micro", "small", "medium", "large", "xlarge"]


def instance_type_key(name: str) -> tuple[object, ...]:
    """EC2/SageMaker instance types in size order within a family: g6.xlarge, g6.2xlarge, g6.12xlarge,
    g6.metal (`ml.` prefixes are ignored for ordering); other strings fall back to natural order."""
    base = name.removeprefix("ml.")
    family, _, size = base.partition(".")
    match = re.fullmatch(r"(\d*)xlarge", size)
    if match:
        rank: tuple[int, int] = (len(_SIZES) - 1, int(match.group(1) or 1))
    elif size in _SIZES:
        rank = (_SIZES.index(size), 0)
    elif size.startswith("metal"):
        rank = (len(_SIZES), 0)
    else:
        return (natural_key(family), 9, natural_key(size))
    return (natural_key(family), *rank)


def sorted_instance_types(values: Iterable[str]) -> list[str]:
    return sorted(values, key=instance_type_key)

"""Strict JSON input for the CLI (`policy check --input`, `preview --compare`): one clear InputError, never
a traceback, for anything that is not plain, finite, reasonably nested UTF-8 JSON (issue 13, class 8).

- UTF-8 only (a UTF-8 byte-order mark is skipped, RFC 8259 section 8.1 allows ignoring it); UTF-16/32 files,
  e.g. `pulumi stack export > state.json` in Windows PowerShell 5, are named as such with the fix;
- `NaN`, `Infinity` and numbers beyond float64 (`1e400`, `10**400`) are rejected with their line:column:
  Pulumi property values are float64 and the protobuf Struct the policy engine reads cannot carry them;
- nesting is bounded (MAX_DEPTH), well below protobuf's Struct recursion limit (100) and Python's stack.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path
from typing import Any

from inferstack.config.loader import InputError

MAX_DEPTH = 64
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class _BadNumberError(ValueError):
    def __init__(self, literal: str, why: str) -> None:
        super().__init__(literal)
        self.literal, self.why = literal, why


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _parse_constant(literal: str) -> Any:
    raise _BadNumberError(literal, "is not a JSON number (NaN and Infinity are not JSON)")


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _BadNumberError(literal, "is out of range for a 64-bit float")
    return value


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > 308:  # beyond float64, and past Python's int-from-string limit near 4300
        raise _BadNumberError(literal, "is out of range for a 64-bit float")
    value = int(literal)
    try:
        float(value)
    except OverflowError:
        raise _BadNumberError(literal, "is out of range for a 64-bit float") from None
    return value


def _too_deep(doc: Any) -> str | None:
    """The path of the first value nested deeper than MAX_DEPTH, or None (iterative, no recursion; paths are
    only spelled out for the offending branch, so a large document costs no extra memory)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _path_to_depth(doc)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return None


def _path_to_depth(doc: Any) -> str:
    path, value = "", doc
    for level in range(1, MAX_DEPTH + 2):  # `value` sits at depth level - 1; find the child that goes too deep
        children = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        deep = [(k, v) for k, v in children if isinstance(v, dict | list) and _depth_over(v, MAX_DEPTH - level)]
        if not deep:
            break
        key, value = deep[0]
        path = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
    return path or "(top level)"


def _depth_over(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, dict):
            stack.extend((c, d + 1) for c in v.values() if isinstance(c, dict | list))
        elif isinstance(v, list):
            stack.extend((c, d + 1) for c in v if isinstance(c, dict | list))
    return False


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def loads(text: str, where: str, fix: str) -> Any:
    """Parse `text` (from `where`); InputError with line:column, the offending value and `fix`."""
    try:
        doc = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int)
    except _BadNumberError as exc:
        match = re.search(rf"(?<![\w.\"]){re.escape(exc.literal)}(?![\w.])", text)
        at = "{}:{}".format(*_position(text, match.start())) if match else ""
        where_at = f"{where}:{at}" if at else where
        raise InputError(f"{where_at} ==> the number {_short(exc.literal)} {exc.why}; {fix}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}:{exc.lineno}:{exc.colno} ==> not valid JSON ({exc.msg}); the file may be truncated; {fix}"
        ) from None
    except RecursionError:
        raise InputError(f"{where} ==> nested deeper than {MAX_DEPTH} levels; {fix}") from None
    deep = _too_deep(doc)
    if deep is not None:
        raise InputError(f"{where} ==> at {_short(deep, 80)} ==> nested deeper than {MAX_DEPTH} levels; {fix}")
    return doc


def read_json(path: Path, fix: str, what: str = "file") -> Any:
    """Read and parse a JSON file strictly; InputError naming the file for every problem."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path} ==> {what} not found; {fix}") from None
    except IsADirectoryError:
        raise InputError(f"{path} ==> is a directory, not a JSON file; {fix}") from None
    except OSError as exc:
        raise InputError(f"{path} ==> cannot be read ({exc.strerror}); check the path and its permissions") from None
    text = decode_utf8(data, path)
    del data  # a large checkpoint is held once, not as bytes and text and document
    return parse_text(text, path, fix)


def decode_utf8(data: bytes, path: Path, what: str = "JSON") -> str:
    """`data` (read from `path`) as text; InputError naming UTF-16/32 (with or without BOM) or the first byte
    that is not UTF-8, with its line:column. `what` is the kind of file, for the iconv example."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise InputError(
                f"{path} ==> is {name} encoded (byte-order mark {bom.hex()}); save it as UTF-8, e.g. "
                f"`iconv -f {name} -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}`"
                + (
                    ", or in PowerShell `pulumi stack export --file state.json` instead of redirecting with `>`"
                    if what == "JSON"
                    else ""
                )
            )
    if len(data) >= 2 and b"\0" in data[:4]:  # text starts with ASCII here: NULs there mean UTF-16/32 without BOM
        raise InputError(
            f"{path} ==> looks UTF-16 or UTF-32 encoded (NUL bytes at the start); save it as UTF-8, e.g. "
            f"`iconv -f UTF-16 -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}`"
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", errors="replace")
        line, col = _position(prefix, len(prefix))
        raise InputError(
            f"{path}:{line}:{col} ==> not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def parse_bytes(data: bytes, path: Path, fix: str) -> Any:
    """Strict JSON from the bytes of `path`: UTF-8, finite numbers, bounded nesting; InputError naming the file."""
    return parse_text(decode_utf8(data, path), path, fix)


def parse_text(text: str, path: Path, fix: str) -> Any:
    if not text.strip():
        raise InputError(f"{path} ==> the file is empty; {fix}")
    return loads(text, str(path), fix)

"""A small IAM policy evaluator for identity policies: Allow/Deny, wildcards and condition operators.

Why not moto: `moto.iam.access_control.IAMPolicy.is_action_permitted` (moto 5.2.5, checked 2026-12-02 in
`moto/iam/policy_conditions.py`) evaluates `StringEquals` only and treats every other operator (StringLike,
ArnLike, Null, Bool, ...) as satisfied, counts a missing context key as a match, and turns an Allow whose
condition fails into an explicit Deny. The Triton `HeadBucket` defect (an `s3:ListBucket` Allow under a
`StringLike s3:prefix` condition, called without `s3:prefix`) reads as permitted there, so it cannot catch it.

What this models (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition
operators", read 2026-12-02): within the identity policies of one principal an explicit Deny wins, then any
Allow, else an implicit deny; `Action`/`NotAction` match case-insensitively, `Resource`/`NotResource` and
`String*Like`/`ArnLike` values case-sensitively, with `*` and `?` wildcards; several values of one key are
OR-ed, several keys and several operators AND-ed; `...IfExists` passes when the key is absent;
`ForAnyValue:`/`ForAllValues:` for multivalued keys; `Null`. A missing key fails a positive operator and
passes a negated one (`StringNotEquals`, `StringNotLike`, `ArnNotLike`, ...), as IAM documents.

What it does not model: SCPs and RCPs, permission boundaries, session policies, resource-based policies
(bucket, key, topic policies) and their cross-account rules, KMS grants, policy variables (`${aws:username}`
raises), `NotPrincipal`, numeric/date/IP operators (they raise: an operator this module does not know never
passes silently).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

Decision = Literal["allow", "explicit-deny", "implicit-deny"]
ContextValue = str | Sequence[str]


class UnsupportedPolicyError(ValueError):
    """The document uses a construct this evaluator does not model; it refuses rather than guesses."""


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: `*` any run of characters, `?` exactly one."""
    if "${" in glob:
        raise UnsupportedPolicyError(f"policy variable in {glob!r} is not modelled")
    return _pattern(glob, ignore_case).match(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_equals_ic(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _string_like(expected: str, actual: str) -> bool:
    return glob_match(expected, actual)


def _bool(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


_POSITIVE = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ic,
    "StringLike": _string_like,
    "ArnEquals": _string_like,  # IAM documents ArnEquals and ArnLike as the same wildcard match
    "ArnLike": _string_like,
    "Bool": _bool,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    """Context keys are case-insensitive in IAM; returns the values, or None when the key is absent."""
    for k, v in context.items():
        if k.lower() == key.lower():
            return [str(x) for x in _as_list(v)]
    return None


def _operator_holds(operator: str, key: str, expected: Any, context: Mapping[str, ContextValue]) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicyError(f"condition qualifier {qualifier!r} is not modelled")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    wanted = [str(x) for x in _as_list(expected)]
    actual = _lookup(context, key)

    if base == "Null":
        want_absent = _bool(wanted[0] if wanted else "true", "true")
        return (actual is None) == want_absent
    negated = base in _NEGATED
    test = _POSITIVE.get(_NEGATED.get(base, base))
    if test is None:
        raise UnsupportedPolicyError(f"condition operator {operator!r} is not modelled")
    if actual is None:
        # Absent key: positive operators fail, negated ones pass, ...IfExists passes, ForAllValues passes.
        return if_exists or negated or qualifier == "ForAllValues"

    def one(value: str) -> bool:
        hit = any(test(w, value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    return any(one(v) for v in actual)


def conditions_hold(condition: Mapping[str, Any] | None, context: Mapping[str, ContextValue]) -> bool:
    """Every operator and every key of a Condition block holds for `context`."""
    for operator, keys in (condition or {}).items():
        if not isinstance(keys, Mapping):
            raise UnsupportedPolicyError(f"condition {operator!r} must map keys to values, got {keys!r}")
        for key, expected in keys.items():
            if not _operator_holds(operator, key, expected, context):
                return False
    return True


def _matches_any(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    return any(glob_match(p, value, ignore_case=ignore_case) for p in patterns)


def statement_applies(stmt: Mapping[str, Any], action: str, resource: str, context: Mapping[str, ContextValue]) -> bool:
    """Whether one statement covers the request (its Effect aside)."""
    if "NotPrincipal" in stmt:
        raise UnsupportedPolicyError("NotPrincipal is not modelled")
    if "Action" in stmt:
        action_ok = _matches_any(_as_list(stmt["Action"]), action, ignore_case=True)
    elif "NotAction" in stmt:
        action_ok = not _matches_any(_as_list(stmt["NotAction"]), action, ignore_case=True)
    else:
        raise UnsupportedPolicyError(f"statement {stmt.get('Sid', '?')!r} has neither Action nor NotAction")
    resource_ok = True
    if "Resource" in stmt:
        resource_ok = _matches_any(_as_list(stmt["Resource"]), resource, ignore_case=False)
    elif "NotResource" in stmt:
        resource_ok = not _matches_any(_as_list(stmt["NotResource"]), resource, ignore_case=False)
    if not (action_ok and resource_ok):
        return False
    return conditions_hold(stmt.get("Condition"), context)


def _statements(document: Mapping[str, Any] | str) -> list[Mapping[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, Mapping)]


@dataclass(frozen=True)
class Evaluation:
    decision: Decision
    matched: tuple[str, ...]
    """Sids (or statement indexes) of the statements that decided it."""

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


def evaluate(
    documents: Sequence[Mapping[str, Any] | str],
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
) -> Evaluation:
    """The decision of a principal's identity policies (all documents together) for one request."""
    ctx = dict(context or {})
    allows: list[str] = []
    denies: list[str] = []
    for d, document in enumerate(documents):
        for i, stmt in enumerate(_statements(document)):
            if not statement_applies(stmt, action, resource, ctx):
                continue
            label = str(stmt.get("Sid") or f"doc{d}#{i}")
            (denies if stmt.get("Effect") == "Deny" else allows).append(label)
    if denies:
        return Evaluation("explicit-deny", tuple(denies))
    if allows:
        return Evaluation("allow", tuple(allows))
    return Evaluation("implicit-deny", ())


def granted_actions(documents: Sequence[Mapping[str, Any] | str]) -> set[str]:
    """Every Action pattern an Allow statement names (lower-cased), for reporting grants outside a contract."""
    out: set[str] = set()
    for document in documents:
        for stmt in _statements(document):
            if stmt.get("Effect") == "Allow":
                out |= {str(a).lower() for a in _as_list(stmt.get("Action"))}
    return out

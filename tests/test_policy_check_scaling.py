"""Issue 13, class 13: `policy check` is linear in the resource count. Time is measured by
benchmarks/policy_check.py, not here; these tests check the algorithmic properties (how often the
expensive steps run) and that the fast evaluation gives exactly the servicer's results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks.policy_check import synthetic_checkpoint
from inferstack.config.loader import Project, load_environment
from inferstack.engine.model import Resource
from inferstack.policies.config import pack_config
from inferstack.policies.rules import _base
from inferstack.policy_check import parse_document
from inferstack.policy_eval import evaluate_resources, evaluate_via_servicer
from tests.conftest import ROOT, preview_of
from tests.test_policy_check_secrets import checkpoint_with_secrets_everywhere

FIXTURE = ROOT / "tests" / "fixtures" / "policy_check" / "stack_export.json"


def _config(env: str) -> dict[str, dict[str, Any]]:
    return pack_config(load_environment(Project(ROOT), env))


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_fast_evaluation_equals_the_servicer_on_every_reference_environment(env: str) -> None:
    resources = preview_of(env).resources
    assert evaluate_resources(resources, _config(env)) == evaluate_via_servicer(resources, _config(env))


@pytest.mark.parametrize("source", ["fixture", "secrets", "synthetic"])
def test_fast_evaluation_equals_the_servicer_on_checkpoints(source: str) -> None:
    doc = {
        "fixture": lambda: json.loads(FIXTURE.read_text(encoding="utf-8")),
        "secrets": checkpoint_with_secrets_everywhere,
        "synthetic": lambda: synthetic_checkpoint(400),
    }[source]()
    _, _, resources = parse_document(doc, "x.json")
    fast, reference = evaluate_resources(resources, _config("prod")), evaluate_via_servicer(resources, _config("prod"))
    assert fast == reference and fast, "some violations, all identical"


def test_each_resource_is_deserialized_at_most_twice_however_many_policies_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import inferstack.policy_eval as pe

    calls = {"n": 0}
    real = pe.deserialize_properties

    def counting(props: Any, *a: Any) -> Any:
        calls["n"] += 1
        return real(props, *a)

    monkeypatch.setattr(pe, "deserialize_properties", counting)
    _, _, resources = parse_document(synthetic_checkpoint(500), "x.json")
    evaluate_resources(resources, _config("prod"))
    # once for all resource policies of both packs, once more only for what a stack policy reads
    assert len(resources) <= calls["n"] <= 2 * len(resources)


class _Side:
    def __init__(self, type_: str, props: dict[str, Any], deps: list[Any]) -> None:
        self.resource_type, self.props, self.dependencies = type_, props, deps


def _stack(n: int) -> tuple[list[_Side], list[_Side]]:
    buckets = [_Side("aws:s3/bucket:Bucket", {"bucket": f"b{i}"}, []) for i in range(n)]
    sides = [_Side("aws:s3/x:X", {"bucket": f"b{i}"}, []) for i in range(n)]
    sides += [_Side("aws:s3/x:X", {"bucket": "unrelated"}, [buckets[i]]) for i in range(0, n, 3)]
    return buckets, [*buckets, *sides]


def _naive(resources: list[_Side], target: _Side, side_type: str) -> list[_Side]:
    name = target.props.get("bucket")
    return [
        r
        for r in resources
        if r.resource_type == side_type
        and (any(d is target for d in r.dependencies) or (name is not None and r.props.get("bucket") == name))
    ]


def test_bucket_side_resources_are_joined_with_one_pass_per_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = {"n": 0}
    real = _base.get

    def counting(obj: Any, *path: Any, **kw: Any) -> Any:
        reads["n"] += 1
        return real(obj, *path, **kw)

    monkeypatch.setattr(_base, "get", counting)
    for n in (300, 600):
        reads["n"] = 0
        buckets, resources = _stack(n)
        for b in buckets:
            assert _base.attached(resources, b, "aws:s3/x:X") == _naive(resources, b, "aws:s3/x:X")
        _base.clear_stack_caches()
        # one read per bucket (its name) + one per side resource: linear, where the scan read n*n
        assert reads["n"] <= n + len(resources), (n, reads["n"])


def test_cost_lookups_scan_no_resource_list_per_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    """The monthly-cost stack policy prices every resource; its joins use indexes built once."""
    from inferstack.cost import estimate_preview
    from inferstack.engine.model import PreviewResult

    scans = {"n": 0}
    real = PreviewResult.of_type

    def counting(self: PreviewResult, type_: str) -> list[Resource]:
        scans["n"] += 1
        return real(self, type_)

    monkeypatch.setattr(PreviewResult, "of_type", counting)
    result = preview_of("prod")
    estimate_preview(PreviewResult("prod", "p", "prod", list(result.resources), {}))
    assert scans["n"] == 0, "no whole-preview scan per priced resource"

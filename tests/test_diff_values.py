"""The diff shows old -> new values (secrets masked), marks replacements, and its JSON carries both."""

from __future__ import annotations

from typing import Any

from inferstack.diff import SCHEMA_VERSION, compare, render_markdown, render_text, replaces

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"


def doc(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "environment": "dev", "resources": list(resources), "violations": [], "cost": None}


def res(type_: str, name: str, **inputs: Any) -> dict[str, Any]:
    urn = f"urn:pulumi:dev::inferstack::{type_}::{name}"
    return {"urn": urn, "type": type_, "name": name, "custom": True, "provider": None, "inputs": inputs}


def test_scaling_change_is_an_update_showing_old_and_new_values() -> None:
    d = compare(
        doc(res(NODE_GROUP, "gpu", scalingConfig={"maxSize": 8, "minSize": 0})),
        doc(res(NODE_GROUP, "gpu", scalingConfig={"maxSize": 30, "minSize": 0})),
    )
    (change,) = d.changes
    assert change.kind == "change"
    assert [(i.path, i.old, i.new, i.replaces) for i in change.inputs] == [("scalingConfig.maxSize", 8, 30, False)]
    md = render_markdown(d)
    assert "| ~ update | `gpu` | `aws:eks/nodeGroup:NodeGroup` | `scalingConfig.maxSize`: `8` → `30` |" in md
    assert "scalingConfig.maxSize: 8 => 30" in render_text(d)


def test_instance_types_change_replaces_the_node_group() -> None:
    d = compare(
        doc(res(NODE_GROUP, "gpu", instanceTypes=["g6.xlarge"])),
        doc(res(NODE_GROUP, "gpu", instanceTypes=["g6.2xlarge"])),
    )
    assert d.changes[0].kind == "replace" and d.count("replace") == 1 and d.count("change") == 0
    assert "+- replace" in render_markdown(d)
    assert "(forces replacement)" in render_text(d)


def test_any_endpoint_configuration_change_replaces_it_but_tags_do_not() -> None:
    assert replaces(ENDPOINT_CONFIG, "productionVariants[0].initialInstanceCount")
    assert not replaces(ENDPOINT_CONFIG, "tags.owner")
    assert not replaces(NODE_GROUP, "scalingConfig.maxSize") and not replaces(NODE_GROUP, "labels.gpu")
    assert replaces("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app")
    assert not replaces("kubernetes:apps/v1:Deployment", "spec.replicas")
    assert replaces("kubernetes:core/v1:Service", "metadata.name"), "every Kubernetes kind replaces on a rename"


def test_secret_values_stay_masked_in_markdown_text_and_json() -> None:
    d = compare(
        doc(res("aws:rds/instance:Instance", "db", password="hunter2", port=5432, note="[secret]")),
        doc(res("aws:rds/instance:Instance", "db", password="correct-horse", port=5433, note="[secret]")),
    )
    change = d.changes[0]
    assert {i.path: (i.old, i.new) for i in change.inputs} == {
        "password": ("[secret]", "[secret]"),
        "port": (5432, 5433),
    }
    rendered = render_markdown(d) + render_text(d) + str(d.to_json())
    assert "hunter2" not in rendered and "correct-horse" not in rendered


def test_diff_json_has_a_schema_version_pulumi_words_and_values() -> None:
    d = compare(
        doc(res(NODE_GROUP, "gpu", instanceTypes=["g6.xlarge"]), res(NODE_GROUP, "old")),
        doc(res(NODE_GROUP, "gpu", instanceTypes=["g6.2xlarge"]), res(NODE_GROUP, "new")),
    )
    out = d.to_json()
    assert out["schema_version"] == SCHEMA_VERSION == 1
    assert out["summary"] == {"create": 1, "update": 0, "replace": 1, "delete": 1, "same": 0}
    (changed,) = out["resources"]["change"]
    assert changed["action"] == "replace" and changed["paths"] == ["instanceTypes[0]"]
    assert changed["inputs"] == [
        {"path": "instanceTypes[0]", "old": "g6.xlarge", "new": "g6.2xlarge", "replaces": True}
    ]
    assert [r["action"] for r in out["resources"]["add"]] == ["create"]
    assert [r["action"] for r in out["resources"]["remove"]] == ["delete"]


def test_long_values_are_cut_in_the_comment_but_whole_in_the_json() -> None:
    policy = "x" * 500
    d = compare(
        doc(res("aws:iam/role:Role", "r", assumeRolePolicy="a")),
        doc(res("aws:iam/role:Role", "r", assumeRolePolicy=policy)),
    )
    assert policy not in render_markdown(d) and "…" in render_markdown(d)
    assert d.to_json()["resources"]["change"][0]["inputs"][0]["new"] == policy


def test_resource_counts_in_one_comment_add_up() -> None:
    import re

    from tests.conftest import preview_of

    head = preview_of("dev").to_json()
    md = render_markdown(compare(None, head))
    created = int(re.search(r"(\d+) to create", md).group(1))
    after = int(re.search(r"\((\d+) after the change\)", md).group(1))
    footer = re.search(r"Of the (\d+) resources after the change: (\d+) estimated, (\d+) free, (\d+) not priced", md)
    assert footer is not None
    outside = re.search(r"(\d+) outside the cost model", md)
    parts = [int(footer.group(i)) for i in (2, 3, 4)] + [int(outside.group(1)) if outside else 0]
    assert created == after == int(footer.group(1)) == sum(parts)
    assert after == sum(1 for r in head["resources"] if r["custom"])

"""Compare two preview JSON documents (base branch -> head) for a pull-request comment.

Resources are matched by their URN without the stack and project (`<type chain>::<name>`), so a preview
of another stack (or environment) still lines up. The markdown starts with a hidden marker,
`<!-- inferstack-preview:<env> -->`, that a bot searches for to update its own comment instead of adding
a new one. Every list is sorted, so the same two documents always give the same comment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1  # of the diff JSON (`--compare --format json`); additions keep 1, removals bump it
MARKER = "<!-- inferstack-preview:{env} -->"
MAX_VALUE = 60  # characters of an old/new value shown in the comment; the JSON carries the whole value
SECRET = "[secret]"
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|private_?key|apikey|api_key)", re.IGNORECASE)

#: Inputs whose change makes the provider replace the resource (delete + create, Pulumi's `+-`), for the
#: resource types this stack registers. "*" = every input but tags. Paths are the engine's camelCase
#: names; a changed input replaces when its path equals or lies under one listed here.
#: Sources (read 2026-12-02): pulumi-aws bridges the Terraform AWS provider, whose `ForceNew` schema
#: flags decide replacement: hashicorp/terraform-provider-aws internal/service/eks/node_group.go
#: (ami_type, capacity_type, cluster_name, disk_size, instance_types, launch_template id/name,
#: node_group_name, node_role_arn, remote_access, subnet_ids ForceNew; scaling_config, labels, taints,
#: version update in place) and internal/service/sagemaker/endpoint_configuration.go (every argument
#: ForceNew; only tags update in place). pulumi-kubernetes provider/pkg/provider/forcenew.go: every kind
#: replaces on metadata.name / metadata.namespace, apps/v1 Deployment on spec.selector, core/v1
#: ConfigMap on data / binaryData; helm.sh/v3 Release on name / namespace (pulumi/pulumi-kubernetes#2532).
REPLACE_ON: dict[str, tuple[str, ...]] = {
    "aws:eks/nodeGroup:NodeGroup": (
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "launchTemplate.id",
        "launchTemplate.name",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": ("*",),
    "kubernetes:apps/v1:Deployment": ("metadata.name", "metadata.namespace", "spec.selector"),
    "kubernetes:core/v1:ConfigMap": ("metadata.name", "metadata.namespace", "data", "binaryData"),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}
_K8S_ANY = ("metadata.name", "metadata.namespace")
_NOT_REPLACING = ("tags", "tagsAll")


def replaces(type_: str, path: str) -> bool:
    """Whether changing input `path` of a `type_` resource replaces it (see REPLACE_ON)."""
    triggers = REPLACE_ON.get(type_) or (_K8S_ANY if type_.startswith("kubernetes:") else ())
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    if "*" in triggers:
        return head not in _NOT_REPLACING and path != "(provider)"
    return any(path == t or path.startswith(t + ".") or path.startswith(t + "[") for t in triggers)


MAX_PATHS = 8
MAX_ROWS = 60  # per table: GitHub comments stop at 65,536 characters; the full diff is in the JSON output
MAX_DETAILED = 15  # resources whose cost components are itemised


def resource_key(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type chain>::<name>` -> `<type chain>::<name>`."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 else urn


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Input paths whose values differ, `a.b[0].c` style, sorted; a whole subtree counts once when its type
    changes or it appears or disappears."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after)):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in after:
                out.append(path)
            else:
                out += changed_paths(before[key], after[key], path)
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = []
        for i in range(max(len(before), len(after))):
            path = f"{prefix}[{i}]"
            if i >= len(before) or i >= len(after):
                out.append(path)
            else:
                out += changed_paths(before[i], after[i], path)
        return out
    return [] if before == after else [prefix or "(value)"]


def _get(value: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("[") and isinstance(value, list):
            i = int(part[1:-1])
            value = value[i] if i < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def mask(path: str, value: Any) -> Any:
    """`[secret]` for values the preview marks secret or whose key names a credential."""
    if value == SECRET or _SECRET_KEY.search(path.rsplit(".", 1)[-1]):
        return SECRET if value is not None else None
    if isinstance(value, dict):
        return {k: mask(f"{path}.{k}", v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return value


@dataclass
class InputChange:
    """One changed input: the old and new values (masked) and whether it forces a replacement."""

    path: str
    old: Any
    new: Any
    replaces: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "replaces": self.replaces}


# Pulumi's words (`pulumi preview`: create, update, replace, delete) and the diff JSON's original keys.
PULUMI_WORD = {"add": "create", "change": "update", "replace": "replace", "remove": "delete"}
SYMBOL = {"add": "+", "change": "~", "replace": "+-", "remove": "-"}


@dataclass
class ResourceChange:
    key: str
    type: str
    name: str
    action: str  # add | change | remove (JSON keys); `replace` is a change that replaces
    paths: list[str] = field(default_factory=list)
    inputs: list[InputChange] = field(default_factory=list)

    @property
    def replace(self) -> bool:
        return any(i.replaces for i in self.inputs)

    @property
    def kind(self) -> str:
        """add | change | replace | remove."""
        return "replace" if self.action == "change" and self.replace else self.action


@dataclass
class CostChange:
    key: str
    type: str
    name: str
    before: dict[str, float] | None
    after: dict[str, float] | None

    def delta(self, which: str) -> float:
        return round((self.after or {}).get(which, 0.0) - (self.before or {}).get(which, 0.0), 2)


@dataclass
class PreviewDiff:
    """What changed between two previews of one environment."""

    environment: str
    changes: list[ResourceChange]
    unchanged: int
    cost_before: dict[str, float] | None
    cost_after: dict[str, float] | None
    cost_changes: list[CostChange]
    components_before: dict[str, dict[str, float]]
    components_after: dict[str, dict[str, float]]
    failed: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    passed: list[str]
    new_violations: set[tuple[str, str]]
    head_cost: dict[str, Any] | None

    def count(self, action: str) -> int:
        """Resources per kind: add, change (in place), replace, remove."""
        return sum(1 for c in self.changes if c.kind == action)

    def to_json(self) -> dict[str, Any]:
        def entry(c: ResourceChange) -> dict[str, Any]:
            out: dict[str, Any] = {"key": c.key, "type": c.type, "name": c.name, "action": PULUMI_WORD[c.kind]}
            if c.paths:
                out["paths"] = c.paths
            if c.inputs:
                out["inputs"] = [i.to_json() for i in c.inputs]
            return out

        return {
            "schema_version": SCHEMA_VERSION,
            "environment": self.environment,
            "summary": {PULUMI_WORD[k]: self.count(k) for k in ("add", "change", "replace", "remove")}
            | {"same": self.unchanged},
            "resources": {
                action: [entry(c) for c in self.changes if c.action == action] for action in ("add", "change", "remove")
            }
            | {"unchanged": self.unchanged},
            "cost": {
                "before": self.cost_before,
                "after": self.cost_after,
                "delta": {w: _delta(self.cost_before, self.cost_after, w) for w in ("baseline", "peak")},
                "resources": [
                    {"key": c.key, "type": c.type, "before": c.before, "after": c.after} for c in self.cost_changes
                ],
            },
            "policies": {
                "failed": self.failed,
                "warnings": self.warnings,
                "passed": self.passed,
            },
        }


def _delta(before: dict[str, float] | None, after: dict[str, float] | None, which: str) -> float | None:
    if before is None or after is None:
        return None
    return round(after[which] - before[which], 2)


def _violation_key(v: dict[str, Any]) -> tuple[str, str]:
    return (str(v.get("policy", "")), resource_key(str(v.get("urn") or "(stack)")))


def _cost_items(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cost = doc.get("cost") or {}
    return {resource_key(i["urn"]): i for i in cost.get("items", [])}


def _components(doc: dict[str, Any]) -> dict[str, dict[str, float]]:
    cost = doc.get("cost") or {}
    return {str(g["name"]): g["monthly_usd"] for g in cost.get("by_component", [])}


def compare(base: dict[str, Any] | None, head: dict[str, Any], policies: list[str] | None = None) -> PreviewDiff:
    """The diff from `base` (None: nothing deployed yet) to `head`. `policies` lists every policy evaluated,
    when known, so that passed policies can be counted; otherwise only those this change fixed are passed."""
    base = base or {"resources": [], "violations": [], "cost": None}
    before = {resource_key(r["urn"]): r for r in base.get("resources", []) if r.get("custom", True)}
    after = {resource_key(r["urn"]): r for r in head.get("resources", []) if r.get("custom", True)}
    changes: list[ResourceChange] = []
    unchanged = 0
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is None and a is not None:
            changes.append(ResourceChange(key, a["type"], a["name"], "add"))
        elif a is None and b is not None:
            changes.append(ResourceChange(key, b["type"], b["name"], "remove"))
        elif a is not None and b is not None:
            bi, ai = b.get("inputs", {}), a.get("inputs", {})
            paths = changed_paths(bi, ai)
            inputs = [InputChange(p, mask(p, _get(bi, p)), mask(p, _get(ai, p)), replaces(a["type"], p)) for p in paths]
            if b.get("provider") and a.get("provider") and resource_key(b["provider"]) != resource_key(a["provider"]):
                paths.insert(0, "(provider)")
                # A resource moved to another provider (e.g. another region) is created anew there.
                inputs.insert(0, InputChange("(provider)", b["provider"], a["provider"], True))
            if paths:
                changes.append(ResourceChange(key, a["type"], a["name"], "change", paths, inputs))
            else:
                unchanged += 1
    items_b, items_a = _cost_items(base), _cost_items(head)
    cost_changes: list[CostChange] = []
    for key in set(items_b) | set(items_a):
        ib, ia = items_b.get(key), items_a.get(key)
        mb = ib["monthly_usd"] if ib else None
        ma = ia["monthly_usd"] if ia else None
        moved = any(round((ma or {}).get(w, 0.0) - (mb or {}).get(w, 0.0), 2) for w in ("baseline", "peak"))
        if mb != ma and moved:
            src = ia or ib
            assert src is not None
            cost_changes.append(CostChange(key, src["type"], src.get("name", key.rsplit("::", 1)[-1]), mb, ma))
    cost_changes.sort(key=lambda c: (-abs(c.delta("peak")), -abs(c.delta("baseline")), c.key))
    violations = sorted(head.get("violations") or [], key=lambda v: (*_violation_key(v), str(v.get("message"))))
    base_keys = {_violation_key(v) for v in base.get("violations") or []}
    failed = [v for v in violations if v.get("enforcement_level") == "mandatory"]
    warnings = [v for v in violations if v.get("enforcement_level") == "advisory"]
    failing_now = {str(v.get("policy")) for v in failed + warnings}
    if policies is not None:
        passed = sorted(set(policies) - failing_now)
    else:
        passed = sorted({p for p, _ in base_keys} - failing_now)
    return PreviewDiff(
        environment=str(head.get("environment", "?")),
        changes=changes,
        unchanged=unchanged,
        cost_before=(base.get("cost") or {}).get("monthly_usd"),
        cost_after=(head.get("cost") or {}).get("monthly_usd"),
        cost_changes=cost_changes,
        components_before=_components(base),
        components_after=_components(head),
        failed=failed,
        warnings=warnings,
        passed=passed,
        new_violations={_violation_key(v) for v in violations} - base_keys,
        head_cost=head.get("cost"),
    )


# -- markdown --------------------------------------------------------------------------------------


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def signed(delta: float | None, before: float | None) -> str:
    """`+$12.34 (+5.0%)`, `-$1.00 (-0.5%)`, `$0.00`; `(new)` when there was nothing before."""
    if delta is None:
        return "n/a"
    if delta == 0:
        return "$0.00"
    sign = "+" if delta > 0 else "-"
    text = f"{sign}${abs(delta):,.2f}"
    if before:
        text += f" ({sign}{abs(delta) / before * 100:.1f}%)"
    elif before is not None:
        text += " (new)"
    return text


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _arrow(before: float | None, after: float | None) -> str:
    if before == after:
        return usd(after)
    return f"{'—' if before is None else usd(before)} → {'—' if after is None else usd(after)}"


def unit_price(x: float) -> str:
    """`$0.10`, `$0.8048`: cents always, more digits only where the price has them."""
    text = f"{x:,.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"


def _headline(d: PreviewDiff) -> str:
    if d.cost_after is None:
        return "Monthly cost: not estimated (the preview has no cost field)."
    if d.cost_before is None:
        peak, base = d.cost_after["peak"], d.cost_after["baseline"]
        return f"Monthly cost: **{usd(base)}** baseline, **{usd(peak)}** peak (nothing to compare against)."
    delta = _delta(d.cost_before, d.cost_after, "peak") or 0.0
    bdelta = _delta(d.cost_before, d.cost_after, "baseline") or 0.0
    if delta == 0 and bdelta == 0:
        return "Monthly cost **unchanged**."
    if delta == 0:
        return f"Monthly cost at peak **unchanged**; at baseline {signed(bdelta, d.cost_before['baseline'])}."
    word = "increases" if delta > 0 else "decreases"
    before = d.cost_before["peak"]
    pct = f" ({delta / before * 100:+.1f}%)" if before else ""
    return (
        f"Monthly cost at peak **{word} by {usd(abs(delta))}**{pct}; "
        f"at baseline {signed(bdelta, d.cost_before['baseline'])}."
    )


def render_markdown(d: PreviewDiff) -> str:
    """The pull-request comment for one environment."""
    lines = [
        MARKER.format(env=d.environment),
        f"### inferstack preview: `{d.environment}`",
        "",
        _headline(d),
        "",
        "| Monthly cost (USD) | Before | After | Change |",
        "|---|---:|---:|---:|",
    ]
    for which, label in (("baseline", "Baseline (minimum capacity)"), ("peak", "Peak (maximum capacity)")):
        b = d.cost_before[which] if d.cost_before else None
        a = d.cost_after[which] if d.cost_after else None
        lines.append(f"| {label} | {usd(b)} | {usd(a)} | {signed(_delta(d.cost_before, d.cost_after, which), b)} |")
    lines.append("")
    lines.append(f"**Resources:** {resource_counts(d)}")
    lines.append("")
    lines.append(
        f"**Policies:** {len(d.failed)} failed (mandatory), {len(d.warnings)} warnings (advisory), "
        f"{len(d.passed)} passed" + ("" if not d.failed else " — mandatory failures block the deploy")
    )
    lines.append("")
    lines += new_findings(d)
    lines += change_table(d)
    if d.cost_changes:
        lines += [f"<details><summary>Cost changes by resource ({len(d.cost_changes)})</summary>", ""]
        lines += ["| Resource | Type | Baseline | Peak | Peak change |", "|---|---|---:|---:|---:|"]
        for cc in d.cost_changes[:MAX_ROWS]:
            cb, ca = cc.before or {}, cc.after or {}
            lines.append(
                f"| `{_cell(cc.name)}` | `{cc.type.rsplit(':', 1)[-1]}` "
                f"| {_arrow(cb.get('baseline'), ca.get('baseline'))} | {_arrow(cb.get('peak'), ca.get('peak'))} "
                f"| {signed(cc.delta('peak'), cb.get('peak', 0.0))} |"
            )
        lines += _more(len(d.cost_changes))
        lines += ["", _component_details(d), "", "</details>", ""]
    if d.components_after or d.components_before:
        lines += ["<details><summary>Cost by component</summary>", ""]
        lines += ["| Component | Baseline | Peak |", "|---|---:|---:|"]
        for name in sorted(set(d.components_before) | set(d.components_after)):
            gb, ga = d.components_before.get(name, {}), d.components_after.get(name, {})
            lines.append(
                f"| `{_cell(name)}` | {_arrow(gb.get('baseline'), ga.get('baseline'))} "
                f"| {_arrow(gb.get('peak'), ga.get('peak'))} |"
            )
        lines += ["", "</details>", ""]
    if d.failed or d.warnings or d.passed:
        lines += ["<details><summary>Policy results</summary>", ""]
        for title, group in (("Failed (mandatory)", d.failed), ("Warnings (advisory)", d.warnings)):
            if group:
                lines.append(f"**{title}**")
                lines.append("")
                for v in group:
                    new = " *(new)*" if _violation_key(v) in d.new_violations else ""
                    lines.append(f"- {violation_line(v)}{new}")
                lines.append("")
        if d.passed:
            lines.append("**Passed:** " + ", ".join(f"`{p}`" for p in d.passed))
            lines.append("")
        lines += ["</details>", ""]
    lines.append(_footer(d))
    return "\n".join(lines) + "\n"


def cost_markdown(d: PreviewDiff) -> str:
    """`inferstack cost --compare BASE --format markdown`: the cost part of the diff (like `infracost diff`)."""
    lines = [f"### inferstack cost: `{d.environment}`", "", _headline(d), ""]
    lines += ["| Monthly cost (USD) | Before | After | Change |", "|---|---:|---:|---:|"]
    for which, label in (("baseline", "Baseline (minimum capacity)"), ("peak", "Peak (maximum capacity)")):
        b = d.cost_before[which] if d.cost_before else None
        a = d.cost_after[which] if d.cost_after else None
        lines.append(f"| {label} | {usd(b)} | {usd(a)} | {signed(_delta(d.cost_before, d.cost_after, which), b)} |")
    lines.append("")
    if d.cost_changes:
        lines += ["| Resource | Type | Baseline | Peak | Peak change |", "|---|---|---:|---:|---:|"]
        for cc in d.cost_changes[:MAX_ROWS]:
            cb, ca = cc.before or {}, cc.after or {}
            lines.append(
                f"| `{_cell(cc.name)}` | `{cc.type.rsplit(':', 1)[-1]}` "
                f"| {_arrow(cb.get('baseline'), ca.get('baseline'))} | {_arrow(cb.get('peak'), ca.get('peak'))} "
                f"| {signed(cc.delta('peak'), cb.get('peak', 0.0))} |"
            )
        lines += _more(len(d.cost_changes))
    else:
        lines.append("No resource changes its cost.")
    return "\n".join(lines) + "\n"


def cost_text(d: PreviewDiff) -> str:
    lines = [f"inferstack cost diff: environment {d.environment}"]
    for which in ("baseline", "peak"):
        b = d.cost_before[which] if d.cost_before else None
        a = d.cost_after[which] if d.cost_after else None
        lines.append(
            f"  monthly {which}: {usd(b)} -> {usd(a)} ({signed(_delta(d.cost_before, d.cost_after, which), b)})"
        )
    for cc in d.cost_changes:
        change = signed(cc.delta("peak"), (cc.before or {}).get("peak", 0.0))
        lines.append(f"    {cc.type.rsplit(':', 1)[-1]} {cc.name}: peak {change}")
    return "\n".join(lines) + "\n"


def resource_counts(d: PreviewDiff) -> str:
    """'1 to create, 2 to update, 1 to replace, 0 to delete, 13 unchanged (17 after the change)': Pulumi's
    words; create + update + replace + unchanged is the head's resource count, delete is on top of it."""
    total = d.count("add") + d.count("change") + d.count("replace") + d.unchanged
    return (
        f"{d.count('add')} to create, {d.count('change')} to update, {d.count('replace')} to replace, "
        f"{d.count('remove')} to delete, {d.unchanged} unchanged ({total} after the change)"
    )


def new_findings(d: PreviewDiff) -> list[str]:
    """New mandatory failures and new warnings, listed in the summary (not only in the details)."""
    out: list[str] = []
    for title, group in (("New failures (mandatory)", d.failed), ("New warnings (advisory)", d.warnings)):
        new = [v for v in group if _violation_key(v) in d.new_violations]
        if not new:
            continue
        out += [f"**{title}:**", ""]
        for v in new:
            out.append(f"- {violation_line(v)}")
        out.append("")
    return out


def violation_line(v: dict[str, Any]) -> str:
    where = _violation_key(v)[1].rsplit("::", 1)[-1]
    line = f"`{_cell(v.get('policy', '?'))}` on `{_cell(where)}`: {_cell(v.get('message', ''))}"
    src = v.get("source")
    if src:
        pos = f":{src['line']}" if src.get("line") else ""
        line += f" (`{src['file']}{pos}` at `{src['path']}`)"
    return line


def show(value: Any) -> str:
    """A value for the comment: JSON, cut at MAX_VALUE characters; `—` for an absent one."""
    if value is None:
        return "—"
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _input_cell(c: ResourceChange) -> str:
    if not c.inputs:
        return ", ".join(f"`{_cell(p)}`" for p in c.paths[:MAX_PATHS])
    parts = []
    for i in c.inputs[:MAX_PATHS]:
        mark = " **(replaces)**" if i.replaces else ""
        parts.append(f"`{_cell(i.path)}`: `{_cell(show(i.old))}` → `{_cell(show(i.new))}`{mark}")
    text = "<br>".join(parts)
    if len(c.inputs) > MAX_PATHS:
        text += f"<br>and {len(c.inputs) - MAX_PATHS} more"
    return text


def change_table(d: PreviewDiff) -> list[str]:
    if not d.changes:
        return []
    lines = [f"<details><summary>Resource changes ({len(d.changes)})</summary>", ""]
    lines += ["| | Resource | Type | Changed inputs (old → new) |", "|---|---|---|---|"]
    order = {"add": 0, "replace": 1, "change": 2, "remove": 3}
    ordered = sorted(d.changes, key=lambda c: (order[c.kind], c.type, c.key))
    for c in ordered[:MAX_ROWS]:
        label = f"{SYMBOL[c.kind]} {PULUMI_WORD[c.kind]}"
        lines.append(f"| {label} | `{_cell(c.name)}` | `{c.type}` | {_input_cell(c)} |")
    lines += _more(len(ordered))
    lines += ["", "</details>", ""]
    return lines


def _more(total: int) -> list[str]:
    if total <= MAX_ROWS:
        return []
    return ["", f"… and {total - MAX_ROWS} more (`inferstack preview --compare BASE --format json` lists all)."]


def _component_details(d: PreviewDiff) -> str:
    """Cost components of the changed resources after the change (what each line is made of)."""
    items = {resource_key(i["urn"]): i for i in (d.head_cost or {}).get("items", [])}
    rows = ["| Resource | Cost component | Quantity (baseline / peak) | Unit price | Monthly (baseline / peak) |"]
    rows.append("|---|---|---:|---:|---:|")
    for cc in d.cost_changes[:MAX_DETAILED]:
        item = items.get(cc.key)
        if item is None:
            continue
        for c in item["components"]:
            q, m = c["quantity"], c["monthly_usd"]
            star = "\\*" if c.get("usage_based") else ""
            rows.append(
                f"| `{_cell(cc.name)}` | {_cell(c['name'])}{star} | {q['baseline']:,} / {q['peak']:,} {c['unit']} "
                f"| {unit_price(c['unit_price'])} | {usd(m['baseline'])} / {usd(m['peak'])} |"
            )
    if len(rows) == 2:
        return ""
    largest = f", the {MAX_DETAILED} largest changes" if len(d.cost_changes) > MAX_DETAILED else ""
    head = f"Cost components after the change{largest} (\\* usage-based):"
    return "\n".join([head, "", *rows])


def _footer(d: PreviewDiff) -> str:
    cost = d.head_cost
    if not cost:
        return "<sub>Offline preview by inferstack; no cost estimate in this preview.</sub>"
    r = cost.get("resources", {})
    unpriced = sorted({n["type"] for n in cost.get("not_priced", [])})
    # The same total as the Resources line (create + update + replace + unchanged), split by how it is priced;
    # providers are resources of the preview but not of the cost model.
    total = d.count("add") + d.count("change") + d.count("replace") + d.unchanged
    priced = sum(r.values())
    text = (
        f"<sub>Of the {total} resources after the change: {r.get('estimated', 0)} estimated, {r.get('free', 0)} free, "
        f"{r.get('not_priced', 0)} not priced"
    )
    if unpriced:
        text += " (" + ", ".join(f"`{t}`" for t in unpriced) + ")"
    if total > priced:
        text += f", {total - priced} outside the cost model (providers)"
    text += (
        ". Baseline = minimum capacity, peak = maximum capacity, 730 h/month; \\* usage-based items use default "
        "assumptions (docs/cost-and-pr-previews.md). List prices from inferstack's price table, not a quote.</sub>"
    )
    return text


def render_text(d: PreviewDiff) -> str:
    """A plain-text summary of the same diff, for terminals."""
    lines = [f"inferstack preview diff: environment {d.environment}"]
    for which in ("baseline", "peak"):
        b = d.cost_before[which] if d.cost_before else None
        a = d.cost_after[which] if d.cost_after else None
        delta = _delta(d.cost_before, d.cost_after, which)
        lines.append(f"  monthly {which}: {usd(b)} -> {usd(a)} ({signed(delta, b)})")
    lines.append(f"  resources: {resource_counts(d)}")
    for c in d.changes:
        lines.append(f"    {SYMBOL[c.kind]:>2} {c.type} {c.name} ({PULUMI_WORD[c.kind]})")
        for i in c.inputs[:MAX_PATHS]:
            mark = " (forces replacement)" if i.replaces else ""
            lines.append(f"         {i.path}: {show(i.old)} => {show(i.new)}{mark}")
    lines.append(f"  policies: {len(d.failed)} failed, {len(d.warnings)} warnings, {len(d.passed)} passed")
    return "\n".join(lines) + "\n"


__all__ = ["MARKER", "PreviewDiff", "changed_paths", "compare", "render_markdown", "render_text", "resource_key"]

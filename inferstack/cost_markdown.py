"""`inferstack cost --format markdown`: the estimate as a table for a pull request or a wiki page."""

from __future__ import annotations

from typing import Any


def _usd(x: float) -> str:
    return f"${x:,.2f}"


def render_cost_markdown(cost: dict[str, Any], environment: str) -> str:
    m = cost["monthly_usd"]
    lines = [
        f"### inferstack cost: `{environment}`",
        "",
        f"**{_usd(m['baseline'])}** baseline (minimum capacity), **{_usd(m['peak'])}** peak (maximum capacity) per "
        f"month, {cost['hours_per_month']} h.",
        "",
        "| Component | Resource | Region | Baseline | Peak |",
        "|---|---|---|---:|---:|",
    ]
    by_group: dict[str | None, list[dict[str, Any]]] = {}
    for item in cost["items"]:
        by_group.setdefault(item["top_component"], []).append(item)
    for g in cost["by_component"]:
        gm = g["monthly_usd"]
        lines.append(f"| **{g['name']}** | | | **{_usd(gm['baseline'])}** | **{_usd(gm['peak'])}** |")
        for item in by_group.get(g["component"], []):
            im = item["monthly_usd"]
            kind, region = item["type"].rsplit(":", 1)[-1], item["region"] or ""
            lines.append(f"| | `{item['name']}` ({kind}) | {region} | {_usd(im['baseline'])} | {_usd(im['peak'])} |")
    lines.append(f"| **Total** | | | **{_usd(m['baseline'])}** | **{_usd(m['peak'])}** |")
    tokens = [d for d in cost.get("by_deployment", []) if d.get("cost_per_million_output_tokens")]
    if tokens:  # LLM deployments with a measured throughput (issue 16)
        from inferstack.cost import token_cost_line

        lines.append("")
        for d in tokens:
            line = token_cost_line(d["cost_per_million_output_tokens"])
            lines.append(f"- `{d['deployment']}` ({d['target']}, {d['region']}): {line}")
    r = cost["resources"]
    lines += ["", f"{r['estimated']} resources estimated, {r['free']} free, {r['not_priced']} not priced."]
    return "\n".join(lines) + "\n"

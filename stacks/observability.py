"""Stack wiring for alerting, dashboards and the budget."""

from __future__ import annotations

from stacks.context import RegionStack, StackContext


def build_alerting(ctx: StackContext, rs: RegionStack) -> None:
    """Alert topic in one region (serving alarms publish to it)."""


def build_environment(ctx: StackContext) -> None:
    """Environment-wide dashboard and budget."""

"""Stack wiring for the registry components (environment config -> component args)."""

from __future__ import annotations

from stacks.context import RegionStack, StackContext


def build(ctx: StackContext, rs: RegionStack) -> None:
    """Compose this concern's components in one region."""

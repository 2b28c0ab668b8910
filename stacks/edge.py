"""Stack wiring for the API front door and failover DNS."""

from __future__ import annotations

from stacks.context import RegionStack, StackContext


def build_api(ctx: StackContext, rs: RegionStack) -> None:
    """Regional API front door for SageMaker deployments."""


def build_dns(ctx: StackContext) -> None:
    """Failover (or plain) DNS records over every region's entry points."""

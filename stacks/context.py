"""What the stack modules share while composing one environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from inferstack.config.environment import Environment
from inferstack.config.model_package import ModelPackage


@dataclass
class StackContext:
    """The environment being deployed and everything derived from it once."""

    env: Environment
    root: Path
    packages: dict[str, ModelPackage]
    tags: dict[str, str]
    regions: list[RegionStack] = field(default_factory=list)

    @property
    def primary(self) -> RegionStack:
        return self.regions[0]

    @property
    def secondary(self) -> RegionStack | None:
        return self.regions[1] if len(self.regions) > 1 else None


@dataclass
class RegionStack:
    """One region of the environment: its provider and the components built in it so far."""

    region: str
    is_primary: bool
    provider: aws.Provider
    cidr: str
    # Filled in order by stacks/platform.py, registry.py, observability.py, serving.py, edge.py.
    platform: Any = None
    registry: Any = None
    alerting: Any = None
    triton: dict[str, Any] = field(default_factory=dict)
    sagemaker: dict[str, Any] = field(default_factory=dict)
    api: Any = None
    entry_points: dict[str, Any] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        """Name suffix for this region's resources: '' in the primary, '-<region>' elsewhere."""
        return "" if self.is_primary else f"-{self.region}"

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Resource options that pin the region's explicit provider."""
        return pulumi.ResourceOptions(provider=self.provider, **kwargs)

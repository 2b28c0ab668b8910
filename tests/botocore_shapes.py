"""Check recorded Pulumi inputs against the SageMaker API's own request shapes (botocore's service model, offline).

`api_params` maps a resource's camelCase inputs onto an operation's input shape member by member: a key the
shape does not have fails (that is how a misspelt or provider-only field shows up), enums and integer ranges
are checked, then botocore's `ParamValidator` checks required members and types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator

_MODEL = botocore.session.get_session().get_service_model("sagemaker")


class ShapeError(AssertionError):
    """A recorded input that the API would not accept."""


def _convert(value: Any, shape: Shape, path: str, renames: Mapping[str, str]) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ShapeError(f"{path}: expected an object for {shape.name}, got {value!r}")
        members = {m.lower(): m for m in shape.members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            api_key = renames.get(key, key)
            member = members.get(api_key.lower())
            if member is None:
                raise ShapeError(f"{path}.{key}: {shape.name} has no such member; it has {sorted(shape.members)}")
            out[member] = _convert(item, shape.members[member], f"{path}.{member}", renames)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise ShapeError(f"{path}: expected a list for {shape.name}, got {value!r}")
        return [_convert(v, shape.member, f"{path}[{i}]", renames) for i, v in enumerate(value)]  # type: ignore[attr-defined]
    if kind == "map":
        return {k: _convert(v, shape.value, f"{path}.{k}", renames) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)  # the mocks hand numbers back as floats
    enum = getattr(shape, "enum", None)
    if kind == "string" and enum and value not in enum:
        raise ShapeError(f"{path}: {value!r} is not one of {shape.name}'s {len(enum)} values")
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    numeric = kind in ("integer", "long", "float") and isinstance(value, int | float)
    if numeric and ((low is not None and value < low) or (high is not None and value > high)):
        raise ShapeError(f"{path}: {value} is outside {shape.name}'s range {low}-{high}")
    return value


def api_params(
    operation: str, inputs: Mapping[str, Any], *, renames: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`inputs` (camelCase, as recorded) as the `operation`'s boto3 parameters; ShapeError when they do not fit."""
    shape = _MODEL.operation_model(operation).input_shape
    params = _convert(dict(inputs), shape, operation, dict(renames or {}))
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ShapeError(report.generate_report())
    return params

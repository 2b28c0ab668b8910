"""Run a real Pulumi program under the SDK's mock engine and record every registration.

`RecordingMonitor` subclasses `pulumi.runtime.mocks.MockMonitor`: it sees each RegisterResourceRequest
(URN, type, name, parent, custom, provider, dependencies, inputs) and the stack's outputs. Inputs are
decoded from the wire format directly (protobuf -> dict) so that secrets stay marked, unknowns stay
unknown, and integral floats become ints again. Nothing here touches the network.
"""

from __future__ import annotations

import runpy
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from inferstack.engine.mocks import InferstackMocks
from inferstack.engine.model import UNKNOWN, Resource, Secret, reveal

_SIG = "4dabf18193072939515e22adb298388d"
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"


def decode(value: Any) -> Any:
    """Wire value (from MessageToDict) -> Python: Secret/UNKNOWN markers, ints where integral."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return UNKNOWN if value == rpc.UNKNOWN else value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET:
            return Secret(decode(value.get("value")))
        if sig == _RESOURCE:
            return value.get("urn")
        if sig == _OUTPUT:
            if "value" not in value:
                return UNKNOWN
            inner = decode(value["value"])
            return Secret(inner) if value.get("secret") else inner
        if sig in (_ASSET, _ARCHIVE):
            return {k: decode(v) for k, v in value.items() if k != _SIG}
        return {k: decode(v) for k, v in value.items()}
    return value


class RecordingMonitor(pmocks.MockMonitor):
    """A MockMonitor that keeps every registration, in order, plus the stack outputs."""

    mocks: InferstackMocks

    def __init__(self, mocks: InferstackMocks) -> None:
        super().__init__(mocks)
        self.records: list[Resource] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn: str | None = None
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The real engine leaves the root stack out of its children's type chain.
        if parent and parent == self.stack_urn:
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = super().make_urn("", request.type, request.name)
            return resource_pb2.RegisterResourceResponse(urn=self.stack_urn)
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = decode(json_format.MessageToDict(request.object))
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            provider=request.provider or None,
            dependencies=list(request.dependencies),
            inputs=inputs,
        )
        plain = _for_mocks(inputs)
        resource_id, state = self.mocks.new_resource_at(urn, request.type, request.name, plain, request.provider)
        if request.type.startswith("pulumi:providers:"):
            self.mocks.remember_provider(f"{urn}::{resource_id}", plain)
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.records.append(record)
            self.resources[urn] = pmocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=obj_proto)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.stack_outputs = decode(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _for_mocks(value: Any) -> Any:
    """Mocks see plain values: secrets unwrapped, unknowns dropped."""
    value = reveal(value)
    if isinstance(value, dict):
        return {k: _for_mocks(v) for k, v in value.items() if v is not UNKNOWN}
    if isinstance(value, list):
        return [_for_mocks(v) for v in value if v is not UNKNOWN]
    return value


class ProgramError(Exception):
    """The program raised while running under mocks (input errors surface through this)."""


def run_program(
    program: Path | Callable[[], None],
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    default_region: str = "us-east-1",
    preview: bool = True,
) -> tuple[list[Resource], dict[str, Any]]:
    """Run `program` (a `__main__.py` path or a callable) under recording mocks.

    Returns the registrations (sorted by URN) and the stack outputs. Safe to call repeatedly in one process:
    the root stack resource and the runtime settings are reset on every call.
    """
    monitor = RecordingMonitor(InferstackMocks(default_region))
    execute(program, monitor, project=project, stack=stack, config=config, secret_keys=secret_keys, preview=preview)
    # Registration order depends on asyncio scheduling; URN order makes every view deterministic.
    return sorted(monitor.records, key=lambda r: r.urn), monitor.stack_outputs


def _forget_other_projects(program_dir: Path) -> None:
    """Drop the program's package (`stacks`, `stacks.*`) from sys.modules when it was imported from another
    project, and put this project's root first on sys.path, so the program's own `from stacks.program import
    main` reads this project's files. Without this, a second project previewed in one process (tests, the
    fuzz test, a library caller) ran the first project's program, whose ROOT names the first project's
    environment files (issue 13, found by tests/test_fuzz_contract.py)."""
    package, root = program_dir.name, str(program_dir.parent)
    for name, module in list(sys.modules.items()):
        if name != package and not name.startswith(package + "."):
            continue
        where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), None)
        if where is None or not Path(where).resolve().is_relative_to(program_dir):
            del sys.modules[name]
    if sys.path[:1] != [root]:
        if root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)


def execute(
    program: Path | Callable[[], None],
    monitor: pmocks.MockMonitor,
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    preview: bool = True,
) -> None:
    """Run `program` against `monitor` (any MockMonitor; the benchmark's floor passes the SDK's own)."""
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys or [])
    pmocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    # set_mocks created and finished a placeholder stack; run the program inside a fresh one, as the
    # language host does, so exports become the stack's registered outputs.
    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()

    def body() -> None:
        if callable(program):
            program()
        else:
            path = Path(program).resolve()
            _forget_other_projects(path.parent)
            runpy.run_path(str(path), run_name="__main__")

    try:
        _sync_await(run_in_stack(body))
    finally:
        settings.ROOT.set(None)

"""Fast start (issue 15 deliver 8): the light commands import only what they need.

Timings depend on the machine (benchmarks/startup.py measures them); what a command imports does not, so
these tests pin the imports that made `validate` and `policy config` slow: every component (and with them
pulumi_aws and pulumi_kubernetes, ~1.5 s) through `inferstack.components/__init__.py`, and numpy/grpc
through `tritonclient.grpc` for the one protobuf module `validate` needs.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("pulumi_aws", "pulumi_kubernetes", "tritonclient.grpc", "numpy", "sagemaker_core", "onnxruntime")


def _imported_by(args: list[str]) -> set[str]:
    """Modules in sys.modules after `inferstack <args>` ran to completion in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from inferstack.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('\\n@@' + json.dumps([code, sorted(sys.modules)]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    code_, modules = json.loads(proc.stdout.rsplit("\n@@", 1)[1])
    assert code_ in (0, None), proc.stdout + proc.stderr
    return set(modules)


@pytest.mark.parametrize(
    "args", [["validate"], ["policy", "config", "--env", "prod"], ["--help"]], ids=lambda a: " ".join(a)
)
def test_light_commands_import_no_provider_sdk(args: list[str]) -> None:
    modules = _imported_by(args)
    heavy = sorted(m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))
    assert not [m for m in heavy if m != "tritonclient.grpc.model_config_pb2"], heavy[:10]


def test_validate_still_parses_config_pbtxt_with_tritons_own_proto() -> None:
    modules = _imported_by(["validate"])
    assert "tritonclient.grpc.model_config_pb2" in modules  # the package checks ran


def test_the_loaded_model_config_is_the_one_tritonclient_uses() -> None:
    code = (
        "from inferstack.packages.validate import _model_config_pb2\n"
        "pb = _model_config_pb2()\n"
        "import sys; assert 'numpy' not in sys.modules\n"
        "import tritonclient.grpc as g\n"
        "assert g.model_config_pb2 is pb\n"
        "assert type(g.service_pb2.ModelConfigResponse().config) is pb.ModelConfig\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.strip() == "ok", proc.stderr


def test_lazy_component_exports_match_the_typed_imports() -> None:
    """components/__init__.py names each export twice (TYPE_CHECKING import for type checkers, _EXPORTS
    for the runtime); they must agree, and every name must resolve to the class its module defines."""
    import inferstack.components as components

    tree = ast.parse((ROOT / "components" / "__init__.py").read_text())
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inferstack.components."):
            for alias in node.names:
                typed[alias.name] = node.module.rsplit(".", 1)[1]
    assert typed == components._EXPORTS
    assert sorted(components.__all__) == sorted(typed)
    for name, module in typed.items():
        value = getattr(components, name)
        assert value.__module__ == f"inferstack.components.{module}"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = components.Nope  # type: ignore[attr-defined]


def test_a_preview_pauses_the_cyclic_collector_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_preview runs without the cyclic collector (it rescanned pulumi's classes: ~40% of a preview's
    CPU time) and leaves it as it found it, also when the preview fails."""
    import gc

    import inferstack.preview as preview
    from inferstack.config.loader import Project

    seen: list[bool] = []

    def fake(*args: object, **kwargs: object) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("stop here")

    monkeypatch.setattr(preview, "_run_preview", fake)
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="stop here"):
        preview.run_preview(Project(ROOT), "dev")
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            preview.run_preview(Project(ROOT), "dev")
        assert not gc.isenabled(), "a caller that disabled it keeps it disabled"
    finally:
        gc.enable()

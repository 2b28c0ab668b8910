"""The light install (`pip install inferstack`, no extras) is enough to import and run every component.

A fresh interpreter blocks every package that only the `cli`/`sagemaker` extras bring, imports all
components, builds one under the recording mocks, and checks the console script's message.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Import names of what the extras install (pyproject.toml [project.optional-dependencies] cli/sagemaker).
EXTRA_ONLY = [
    "sagemaker",
    "pulumi_policy",
    "pydantic",
    "boto3",
    "botocore",
    "ruamel",
    "typer",
    "rich",
    "click",
    "kubernetes_validate",
    "tritonclient",
    "onnx",
    "onnxruntime",
]

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = set(%r)

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked: not in the light install)")
            return None

    sys.meta_path.insert(0, Block())
    """
)

PROGRAM = textwrap.dedent(
    """
    import json
    import pulumi, pulumi_aws as aws
    import inferstack.components as components
    from inferstack.components import GpuNodeGroup, Keys
    from inferstack.engine.recorder import run_program

    def program():
        east = aws.Provider("east", region="us-east-1")
        opts = pulumi.ResourceOptions(provider=east)
        Keys("ml", {"alias": "ml"}, opts=opts)
        GpuNodeGroup("l4", {"cluster_name": "c", "subnet_ids": ["subnet-1"], "node_role_arn": "arn:aws:iam::1:role/n",
                            "cluster_security_group_id": "sg-1", "instance_types": ["g6.xlarge"]}, opts=opts)

    resources, _ = run_program(program, project="team", stack="dev", config={"aws:region": "us-east-1"})
    print(json.dumps({"components": len(components.__all__), "types": sorted({r.type for r in resources})}))
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER % (EXTRA_ONLY,) + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_every_extra_only_package_is_really_outside_the_light_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    light = " ".join(project["dependencies"]).lower()
    for dist in ("sagemaker-core", "pydantic", "typer", "rich", "onnxruntime", "tritonclient", "kubernetes-validate"):
        assert dist not in light, f"{dist} belongs in an extra"
    assert "inferstack[cli]" in project["optional-dependencies"]["dev"], "make bootstrap keeps bringing everything"


def test_components_import_and_run_without_the_extras() -> None:
    proc = _run(PROGRAM)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["components"] >= 30
    assert "aws:eks/nodeGroup:NodeGroup" in report["types"] and "aws:kms/key:Key" in report["types"]


def test_the_console_script_names_the_cli_extra_when_it_is_missing() -> None:
    proc = _run("from inferstack.entry import main\nmain()\n")
    assert proc.returncode == 2
    assert "pip install 'inferstack[cli]'" in proc.stderr and "Traceback" not in proc.stderr

"""Another team can install inferstack as a package and import the components into its own program.

The wheel is built from this checkout and installed with `--no-deps` into a fresh virtualenv created without the
repository on its path. Third-party dependencies (pulumi, pulumi-aws, ...) are made visible to that virtualenv with
one path entry pointing at the project venv's site-packages, so the test needs no network and no 300 MB reinstall;
the project's own code is imported only from the installed wheel (asserted below).
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = textwrap.dedent(
    """
    import json, pathlib, sys
    import pulumi, pulumi_aws as aws
    import importlib.util
    import inferstack, inferstack.components as components, inferstack.policies as policies
    from inferstack.components import Keys, KeysArgs
    from inferstack.engine.recorder import run_program

    def program():
        east = aws.Provider("east", region="us-east-1")
        Keys("ml", KeysArgs(alias="team-ml", tags={"owner": "ml"}), opts=pulumi.ResourceOptions(provider=east))

    resources, _ = run_program(program, project="team", stack="dev", config={"aws:region": "us-east-1"})
    print(json.dumps({
        "files": [components.__file__, inferstack.__file__, policies.__file__],
        "generic_top_level": [n for n in ("components", "policies") if importlib.util.find_spec(n)],
        "types": sorted(r.type for r in resources),
        "key": next(r.inputs for r in resources if r.type == "aws:kms/key:Key"),
    }))
    """
)


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv_and_its_components_run_under_mocks(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    wheels = list(dist.glob("inferstack-*.whl"))
    assert len(wheels) == 1

    env_dir = tmp_path / "clean"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    clean_python = env_dir / "bin" / "python"
    clean_site = Path(
        subprocess.run(
            [str(clean_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(clean_site), str(wheels[0])],
        check=True,
    )
    # third-party dependencies only: a plain path entry (the project venv's .pth files are not processed)
    (clean_site / "zz_deps.pth").write_text(site.getsitepackages()[0] + "\n")

    out = subprocess.run([str(clean_python), "-c", PROGRAM], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["generic_top_level"] == [], "the wheel must not install generic top-level packages (issue 15)"
    for file in report["files"]:
        assert file.startswith(str(clean_site)), f"{file} was not imported from the installed wheel"
    assert report["types"] == [
        "aws:iam/serviceLinkedRole:ServiceLinkedRole",  # Keys creates AWSServiceRoleForAutoScaling first (issue 12)
        "aws:kms/alias:Alias",
        "aws:kms/key:Key",
        "inferstack:index:Keys",
        "pulumi:providers:aws",
    ]
    assert report["key"]["enableKeyRotation"] is True

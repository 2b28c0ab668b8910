"""Typos in instance types and regions get a did-you-mean, and the valid lists read in size order."""

from __future__ import annotations

from pathlib import Path

from tests.test_config_errors import edit, pos, run, workspace

__all__ = ["workspace"]  # the fixture, re-used


def test_gpu_instance_type_typo_suggests_the_close_type_in_size_order(workspace: Path) -> None:
    env = workspace / "environments" / "dev.yaml"
    edit(env, lambda t: t.replace("instance_types: [g4dn.xlarge, g4dn.2xlarge]", "instance_types: [g6.xlargee]"))
    code, out, err = run("validate")
    assert code == 2 and out == ""
    assert "environments/dev.yaml:" in err and "cluster.gpu_node_groups[0]" in err
    assert "did you mean 'g6.xlarge'?" in err
    assert err.index("g4dn.2xlarge") < err.index("g4dn.12xlarge"), "sizes sort by value, not as text"


def test_sagemaker_instance_type_typo_suggests_the_ml_type(workspace: Path) -> None:
    env = workspace / "environments" / "dev.yaml"
    edit(env, lambda t: t.replace("instance_type: ml.g4dn.xlarge", "instance_type: ml.g4dn.xlarg"))
    code, _, err = run("validate")
    assert code == 2 and "did you mean 'ml.g4dn.xlarge'?" in err


def test_region_typo_suggests_the_region_one_swap_away(workspace: Path) -> None:
    env = workspace / "environments" / "dev.yaml"
    edit(env, lambda t: t.replace("primary: us-east-1", "primary: us-esat-1"))
    code, _, err = run("validate")
    assert code == 2
    assert f"environments/dev.yaml:{pos(env, 'us-esat-1')} ==> at regions.primary" in err
    assert "did you mean 'us-east-1'?" in err

"""Issue 13, class 7: `policies.*` in an environment file is checked by `validate` (unknown policy names with a
suggestion from the registry, unknown settings, wrong types, wrong levels), with file:line:column and the field,
and `preview` gives the same exit-2 message instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_config_errors import edit, pos, run
from tests.test_input_yaml_strict import workspace  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("workspace")


def _add_policies(dev: Path, block: str) -> None:
    edit(dev, lambda s: s + "policies:\n" + block)


@pytest.mark.parametrize("command", [("validate",), ("preview", "--env", "dev")])
def test_unknown_policy_name_suggests_the_registered_one(workspace: Path, command: tuple[str, ...]) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, "  enforcement:\n    aws-eks-cluster-disallow-public-endpiont: mandatory\n")
    code, out, err = run(*command)
    assert code == 2, err
    assert "Traceback" not in out + err
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, 'aws-eks-cluster-disallow-public-endpiont')} ==> at "
        "policies.enforcement.aws-eks-cluster-disallow-public-endpiont\n"
        "  ==> policies.enforcement.aws-eks-cluster-disallow-public-endpiont names no inferstack policy; did you "
        "mean 'aws-eks-cluster-disallow-public-endpoint'? see `inferstack policy-config`\n"
    )


def test_unknown_policy_in_config_is_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, "  config:\n    aws-eks-nodegroup-limit-max-sise: {max_nodes: 4}\n")
    code, _, err = run("validate")
    assert code == 2, err
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, 'aws-eks-nodegroup-limit-max-sise')} ==> at "
        "policies.config.aws-eks-nodegroup-limit-max-sise\n"
    )
    assert "did you mean 'aws-eks-nodegroup-limit-max-size'?" in err


def test_unknown_setting_of_a_policy_is_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, "  config:\n    aws-ec2-launchtemplate-limit-metadata-hop-limit: {max_hop_limt: 2}\n")
    code, _, err = run("validate")
    assert code == 2, err
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, 'max_hop_limt')} ==> at "
        "policies.config.aws-ec2-launchtemplate-limit-metadata-hop-limit.max_hop_limt\n"
    )
    assert "did you mean 'max_hop_limit'?" in err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"two"', "must be of type integer (got 'two')"),
        ("true", "must be of type integer (got True)"),
        ("65", "must be <= 64 (got 65)"),
    ],
)
def test_wrong_type_or_range_of_a_setting_is_refused(workspace: Path, value: str, expected: str) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, f"  config:\n    aws-ec2-launchtemplate-limit-metadata-hop-limit: {{max_hop_limit: {value}}}\n")
    code, out, err = run("preview", "--env", "dev")
    assert code == 2, err
    assert "Traceback" not in out + err
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, value)} ==> at "
        "policies.config.aws-ec2-launchtemplate-limit-metadata-hop-limit.max_hop_limit\n"
    )
    assert expected in err


def test_wrong_enforcement_level_is_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, "  enforcement:\n    aws-eks-cluster-disallow-public-endpoint: mandatroy\n")
    code, _, err = run("validate")
    assert code == 2, err
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, 'mandatroy')} ==> at "
        "policies.enforcement.aws-eks-cluster-disallow-public-endpoint\n"
    )
    assert "'advisory', 'mandatory', 'disabled' or 'remediate' (got 'mandatroy')" in err


def test_policy_config_that_is_not_a_mapping_is_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(dev, "  config:\n    aws-eks-nodegroup-limit-max-size: 44\n")
    code, _, err = run("validate")
    assert code == 2, err
    at = pos(dev, "max-size: 44", 10)
    assert f"environments/dev.yaml:{at} ==> at policies.config.aws-eks-nodegroup-limit-max-size" in err


def test_valid_policy_overrides_pass(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    _add_policies(
        dev,
        "  enforcement:\n    aws-eks-cluster-disallow-public-endpoint: advisory\n"
        "  config:\n    aws-ec2-launchtemplate-limit-metadata-hop-limit: {max_hop_limit: 2}\n",
    )
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err
    code, out, err = run("preview", "--env", "dev", "--format", "json")
    assert code in (0, 1), err
    assert '"enforcement_level": "advisory"' in out or "aws-eks-cluster-disallow-public-endpoint" not in out

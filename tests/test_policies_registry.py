"""The registry: naming, metadata, one module per policy, per-environment config, the pack entry points and
`inferstack policy-config`."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy, Severity, StackValidationPolicy
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.policies.config import PolicyConfigError, pack_config, validate_config
from inferstack.policies.registry import PACK_NAMES, all_rules, pack_policies, rule

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^(aws|kubernetes|inferstack)-[a-z0-9]+(-[a-z0-9]+){2,}$")
VERBS = {"require", "enable", "disallow", "enforce", "configure", "limit", "restrict", "drop", "warn", "disable"}


def test_policy_names_follow_the_vendor_service_resource_verb_what_pattern() -> None:
    for r in all_rules():
        assert NAME.match(r.name), r.name
        assert VERBS & set(r.name.split("-")), f"{r.name} has no verb from {sorted(VERBS)}"


def test_one_policy_per_module_named_after_it() -> None:
    modules = [r.module for r in all_rules()]
    assert len(modules) == len(set(modules))
    for r in all_rules():
        assert r.module == f"inferstack.policies.rules.{r.pack}.{r.name.replace('-', '_')}"
    files = sorted(p.stem for p in (ROOT / "policies" / "rules").glob("*/*.py") if not p.stem.startswith("_"))
    assert files == sorted(r.module.rsplit(".", 1)[1] for r in all_rules())


def test_metadata_is_complete() -> None:
    for r in all_rules():
        p = r.policy
        assert isinstance(p, ResourceValidationPolicy | StackValidationPolicy)
        assert p.description and p.description.endswith("."), r.name
        assert isinstance(p.severity, Severity), r.name
        assert p.remediation_steps, r.name
        assert re.fullmatch(r"[AMD]{3}", r.meta.levels), r.name
        assert p.enforcement_level is not None and p.enforcement_level.value == r.meta.level("prod")
        assert p.config_schema is not None and "environment" in p.config_schema.properties
        assert r.is_stack or r.meta.resource_types is None or r.meta.resource_types, r.name


def test_names_are_unique_and_both_packs_are_populated() -> None:
    names = [r.name for r in all_rules()]
    assert len(names) == len(set(names))
    assert len(pack_policies("security")) >= 40 and len(pack_policies("cost")) >= 10


def test_prod_is_at_least_as_strict_as_dev() -> None:
    order = {"disabled": 0, "advisory": 1, "mandatory": 2}
    relaxed_in_prod = {
        "aws-eks-nodegroup-require-spot-gpu",
        "aws-eks-nodegroup-enable-gpu-scale-to-zero",
        "aws-eks-nodegroup-restrict-instance-types",
        "aws-s3-bucket-configure-lifecycle",
        "aws-sagemaker-endpointconfig-restrict-instance-types",
    }
    for r in all_rules():
        if r.name not in relaxed_in_prod:
            assert order[r.meta.level("prod")] >= order[r.meta.level("dev")], r.name


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_default_validates_against_the_schema(env: str) -> None:
    config = pack_config(env)
    assert set(config) == {r.name for r in all_rules()}
    for name, values in config.items():
        assert values["environment"] == env
        assert values["enforcementLevel"] in ("advisory", "mandatory", "disabled")
        settings = {k: v for k, v in values.items() if k != "enforcementLevel"}
        assert validate_config(rule(name), settings) == settings


def test_schema_defaults_are_applied_and_bad_values_rejected() -> None:
    r = rule("aws-eks-nodegroup-limit-max-size")
    assert validate_config(r, {}) == {"environment": "prod", "max_nodes": 32}
    with pytest.raises(PolicyConfigError, match="max_nodes must be of type integer"):
        validate_config(r, {"max_nodes": "lots"})
    with pytest.raises(PolicyConfigError, match="did you mean 'max_nodes'"):
        validate_config(r, {"max_node": 3})


def test_environment_overrides_win_and_unknown_policies_are_named() -> None:
    from inferstack.config.environment import PolicySettings
    from inferstack.config.loader import Project, load_environment

    env = load_environment(Project(ROOT), "dev", check_packages=False)
    tuned = env.model_copy(
        update={
            "policies": PolicySettings(
                enforcement={"aws-kms-key-enable-rotation": "mandatory"},
                config={"aws-eks-nodegroup-limit-max-size": {"max_nodes": 6}},
            )
        }
    )
    config = pack_config(tuned)
    assert config["aws-kms-key-enable-rotation"]["enforcementLevel"] == "mandatory"
    assert config["aws-eks-nodegroup-limit-max-size"]["max_nodes"] == 6
    assert config["inferstack-stack-limit-monthly-cost"]["ceiling_usd"] == env.monitoring.budget_monthly_usd
    typo = env.model_copy(update={"policies": PolicySettings(enforcement={"aws-kms-key-enable-rotaton": "advisory"})})
    with pytest.raises(PolicyConfigError, match="did you mean 'aws-kms-key-enable-rotation'"):
        pack_config(typo)


def test_policy_config_command_prints_what_evaluation_uses() -> None:
    from inferstack.config.loader import Project, load_environment

    result = CliRunner().invoke(app, ["policy-config", "--env", "staging", "--pack", "cost"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    expected = pack_config(load_environment(Project(ROOT), "staging", check_packages=False), "cost")
    assert printed == json.loads(json.dumps(expected))


def test_policy_config_rejects_an_unknown_environment_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["policy-config", "--env", "qa"])
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.stderr


@pytest.mark.parametrize("pack", ["security", "cost"])
def test_pack_entry_point_builds_a_policy_pack_from_the_registry(pack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs policies/<pack>/__main__.py with PolicyPack swapped for a recorder (the real one blocks forever)."""
    import pulumi_policy
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    built: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kw: built.update(kw))
    monkeypatch.setenv("INFERSTACK_ENV", "dev")
    runpy.run_path(str(ROOT / "policies" / pack / "__main__.py"))
    assert built["name"] == PACK_NAMES[pack]
    assert [p.name for p in built["policies"]] == [p.name for p in pack_policies(pack)]
    # The initial config is accepted by pulumi_policy's own analyzer info (what the CLI reads).
    servicer = _PolicyAnalyzerServicer(
        built["name"], "0.1.0", built["policies"], built["enforcement_level"], built["initial_config"]
    )
    info = servicer.GetAnalyzerInfo(None, None)
    assert set(info.initialConfig) == {p.name for p in pack_policies(pack)}
    assert (ROOT / "policies" / pack / "PulumiPolicy.yaml").read_text().count("name: python") == 1

"""Bad input gets one message naming the file, the field, the value and the fix; exit status 2; no traceback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inferstack.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's inputs in a temp dir, as the current directory."""
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copytree(ROOT / "model_packages", tmp_path / "model_packages")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(path: Path, fn: Callable[[str], str]) -> None:
    before = path.read_text()
    after = fn(before)
    assert after != before, "the test's edit did not change the file"
    path.write_text(after)


def pos(path: Path, needle: str, offset: int = 0) -> str:
    """`line:column` (1-based) of the first occurrence of `needle` (plus `offset` columns) in `path`."""
    text = path.read_text()
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{line}:{column}"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_reference_inputs_validate_cleanly(workspace: Path) -> None:
    code, out, err = run("validate")
    assert (code, err) == (0, "")
    assert out.startswith("ok: 3 environments (dev, prod, staging), 5 model packages")


def test_invalid_yaml_reports_line_and_column(workspace: Path) -> None:
    (workspace / "environments" / "dev.yaml").write_text("name: dev\nregions: {primary: us-east-1\n")
    code, out, err = run("validate")
    assert code == 2
    assert err == (
        "error: environments/dev.yaml:3:1 ==> invalid YAML: expected ',' or '}', but got '<stream end>'; "
        "fix the syntax at that line and column\n"
    )
    assert "Traceback" not in out + err


def test_unknown_key_names_the_closest_valid_key(workspace: Path) -> None:
    prod = workspace / "environments" / "prod.yaml"
    edit(workspace / "environments" / "prod.yaml", lambda s: s.replace("    replicas: {min: 2", "    replics: {min: 2"))
    code, _, err = run("validate")
    assert code == 2
    assert err.splitlines()[:2] == [
        f"error: environments/prod.yaml:{pos(prod, 'replics')} ==> at deployments[0].replics",
        "  ==> unknown key 'replics'; did you mean 'replicas'? valid keys here: async_inference, autoscaling, "
        "data_capture, gpu_node_group, gpus_per_replica, instance_type, instances, llm, model, replicas, rollout, "
        "target, version",
    ]


def test_wrong_type_names_value_and_expected_type(workspace: Path) -> None:
    prod = workspace / "environments" / "prod.yaml"
    edit(workspace / "environments" / "prod.yaml", lambda s: s.replace("{min: 2, max: 6}", "{min: 2, max: many}"))
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/prod.yaml:{pos(prod, 'many')} ==> at deployments[1].instances.max\n"
        "  ==> Input should be a valid integer (got 'many'); "
        "use a whole number\n"
    )


def test_cross_field_violation_says_which_knob_to_turn(workspace: Path) -> None:
    prod = workspace / "environments" / "prod.yaml"
    edit(workspace / "environments" / "prod.yaml", lambda s: s.replace("{min: 2, max: 6}", "{min: 3, max: 2}"))
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/prod.yaml:{pos(prod, '{min: 3')} ==> at deployments[1].instances\n"
        "  ==> min=3 exceeds max=2; raise max or lower min\n"
    )


def test_deployment_of_a_missing_model_version_lists_available_versions(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(workspace / "environments" / "dev.yaml", lambda s: s.replace("version: 7", "version: 9"))
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, 'version: 9', 9)} ==> at deployments[1].version\n"
        "  ==> fraud-scorer version 9 does not exist; available versions: 6, 7; pin one of them\n"
    )


def test_deployment_of_an_unknown_package_suggests_the_closest(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(workspace / "environments" / "dev.yaml", lambda s: s.replace("model: fraud-scorer", "model: fraud-scorr"))
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, 'fraud-scorr')} ==> at deployments[1].model\n"
        "  ==> model package 'fraud-scorr' does not exist under model_packages/; did you mean 'fraud-scorer'? "
        "known packages: fraud-scorer, llama-3-1-70b-instruct, llama-3-1-8b-instruct, text-embedder, tiny-llama\n"
    )


def test_missing_required_key_is_named_with_its_meaning(workspace: Path) -> None:
    staging = workspace / "environments" / "staging.yaml"
    edit(workspace / "environments" / "staging.yaml", lambda s: s.replace("  budget_monthly_usd: 12000\n", ""))
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/staging.yaml:{pos(staging, 'alarm_emails')} ==> at monitoring.budget_monthly_usd\n"
        "  ==> required key 'budget_monthly_usd' is missing (Monthly AWS Budget limit for the environment's cost "
        "tag.); add it\n"
    )


def test_unknown_environment_name_lists_known_ones(workspace: Path) -> None:
    code, out, err = run("preview", "--env", "prdo")
    assert code == 2
    assert out == ""
    assert err == (
        "error: environments/prdo.yaml ==> unknown environment 'prdo'; did you mean 'prod'? "
        "known environments: dev, prod, staging\n"
    )


def test_empty_environment_file_is_an_input_error(workspace: Path) -> None:
    (workspace / "environments" / "staging.yaml").write_text("")
    code, _, err = run("validate")
    assert code == 2
    assert err == "error: environments/staging.yaml ==> the file is empty; it must hold a mapping of settings\n"


def test_invalid_input_writes_no_output_file(workspace: Path) -> None:
    edit(workspace / "environments" / "dev.yaml", lambda s: s.replace("max_size: 3}", "max_size: -1}"))
    out = workspace / "out" / "dev.json"
    code, _, err = run("preview", "--env", "dev", "--format", "json", "--out", str(out))
    assert code == 2
    assert "at cluster.gpu_node_groups[0].max_size" in err
    assert not out.exists() and not out.parent.exists()


def test_gpu_node_group_mixing_gpu_classes_is_refused(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(
        workspace / "environments" / "dev.yaml",
        lambda s: s.replace("[g4dn.xlarge, g4dn.2xlarge]", "[g4dn.xlarge, g5.xlarge]"),
    )
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, '{name: t4')} ==> at cluster.gpu_node_groups[0]\n"
        "  ==> instance_types ['g4dn.xlarge', 'g5.xlarge'] mix GPU classes ['A10G', 'T4']; one node group holds "
        "one GPU class, split them into separate gpu_node_groups\n"
    )


def test_prod_failover_over_sixty_seconds_is_refused(workspace: Path) -> None:
    prod = workspace / "environments" / "prod.yaml"
    edit(
        workspace / "environments" / "prod.yaml",
        lambda s: s.replace("max_failover_seconds: 60", "max_failover_seconds: 600").replace(
            "ttl_seconds: 30", "ttl_seconds: 45"
        ),
    )
    code, _, err = run("validate")
    assert code == 2
    assert err == (
        f"error: environments/prod.yaml:{pos(prod, 'name: prod')} ==> at (top level)\n"
        "  ==> prod must fail over within 60s but dns settings give 75s; lower dns.ttl_seconds or "
        "dns.failure_threshold\n"
    )


def test_missing_stack_file_is_named_with_the_fix(workspace: Path) -> None:
    code, out, err = run("preview", "--env", "dev", "--stack", "dev-alice")
    assert code == 2
    assert out == ""
    assert err == (
        "error: Pulumi.dev-alice.yaml ==> stack file not found; create it (see Pulumi.dev.yaml) or pick an "
        "existing stack\n"
    )


def test_stack_file_naming_another_environment_is_refused(workspace: Path) -> None:
    (workspace / "Pulumi.dev-alice.yaml").write_text("config:\n  inferstack:environment: staging\n")
    code, _, err = run("preview", "--env", "dev", "--stack", "dev-alice")
    assert code == 2
    assert err == (
        "error: Pulumi.dev-alice.yaml ==> at config.inferstack:environment\n"
        "  ==> names 'staging' but the preview asked for 'dev'; make them equal\n"
    )


def test_missing_model_package_manifest_is_reported_by_validate(workspace: Path) -> None:
    (workspace / "model_packages" / "text-embedder" / "model.yaml").unlink()
    code, _, err = run("validate")
    assert code == 2
    dev = workspace / "environments" / "dev.yaml"
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, 'text-embedder')} ==> at deployments[0].model\n"
        "  ==> model package 'text-embedder' does not exist under model_packages/; known packages: fraud-scorer, "
        "llama-3-1-70b-instruct, llama-3-1-8b-instruct, tiny-llama\n"
    )

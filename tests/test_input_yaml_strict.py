"""Issue 13, classes 4, 5 and 8 (config files): the YAML loader bounds aliases and nesting, rejects duplicate
keys naming both lines, reads UTF-8 only and accepts finite, 64-bit numbers only. Every failure is exit 2 with
file:line:column, the field, the (shortened) value and the fix; never a traceback."""

from __future__ import annotations

import codecs
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_config_errors import ROOT, edit, pos, run


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the project's inputs and stack program in a temp dir, as the current directory.

    Preview runs stacks/__main__.py in this process, and stacks/program.py reads the environments beside
    itself; the `stacks` modules another test imported are set aside (and restored) so the copy's are used."""
    for name in ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copytree(ROOT / "model_packages", tmp_path / "model_packages")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = {k: m for k, m in sys.modules.items() if k == "stacks" or k.startswith("stacks.")}
    for name in saved:
        del sys.modules[name]
    yield tmp_path
    for name in [k for k in sys.modules if k == "stacks" or k.startswith("stacks.")]:
        del sys.modules[name]
    sys.modules.update(saved)


def _assert_input_error(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out, err[:2000])
    assert "Traceback" not in out + err


def _bomb(levels: int, fan_out: int = 10) -> str:
    """Nested anchors ("billion laughs"): level n lists level n-1 `fan_out` times; fan_out**levels strings."""
    lines = ["bomb0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels + 1):
        lines.append(f"bomb{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


# -- class 4: alias bombs ---------------------------------------------------------------------------


def test_alias_bomb_is_refused_fast_at_the_alias_with_a_short_message(workspace: Path) -> None:
    """Refused for what it is, at the alias, before anything expands it. (The old loader expanded it for pydantic
    and answered with whatever type error came first, here the unknown key 'x-anchors'; on today's models that
    was fast, but any field that takes free-form values would have walked all 10^9 strings.)"""
    dev = workspace / "environments" / "dev.yaml"
    # 2 KB of anchors that expand to 10^9 strings under monitoring.alarm_emails (a validated list).
    edit(dev, lambda s: "x-anchors:\n" + "".join("  " + line + "\n" for line in _bomb(8).splitlines()) + s)
    edit(dev, lambda s: s.replace("alarm_emails: [ml-platform-dev@example.com]", "alarm_emails: *l8"))
    assert dev.stat().st_size < 4096
    started = time.monotonic()
    code, out, err = run("validate")
    elapsed = time.monotonic() - started
    _assert_input_error(code, out, err)
    assert elapsed < 10, f"validate took {elapsed:.1f}s on a 4 KB file"
    assert len(err) < 1000
    # Named at the first alias whose anchor alone expands past the limit: bomb5 lists *l4 (10^5 strings).
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, '*l4')} ==> aliases expand the document past 20000 values (*l4 "
        "alone repeats more than 20000); write the values out instead of nesting anchors"
    )


def test_moderate_alias_expansion_does_not_echo_megabytes(workspace: Path) -> None:
    """Four levels (10^5 strings) under a string field: refused at the alias, with a message of a few lines."""
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: "x-anchors:\n" + "".join("  " + line + "\n" for line in _bomb(4).splitlines()) + s)
    edit(dev, lambda s: s.replace("  owner: ml-platform\n", "  owner: *l4\n"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert len(err) < 1000
    assert f"environments/dev.yaml:{pos(dev, '*l4')}" in err


def test_many_aliases_are_refused(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    many = "x-many: &one [a]\nx-refs: [" + ", ".join(["*one"] * 101) + "]\n"
    edit(dev, lambda s: many + s)
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "more than 100 aliases" in err
    assert err.startswith("error: environments/dev.yaml:2:")


def test_a_few_aliases_in_a_valid_file_still_load(workspace: Path) -> None:
    """Anchors are legitimate YAML: a file that reuses a value with an alias stays valid."""
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("  owner: ml-platform\n", "  owner: &team ml-platform\n  team: *team\n"))
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err


def test_long_values_are_cut_in_the_message(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    long_region = "us-east-" + "1" * 100_000
    edit(dev, lambda s: s.replace("primary: us-east-1", f"primary: {long_region}"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert f"environments/dev.yaml:{pos(dev, long_region)} ==> at regions.primary" in err
    assert "(100010 characters)" in err
    assert len(err) < 3000


# -- nesting ----------------------------------------------------------------------------------------


def test_nine_hundred_levels_of_flow_nesting_is_an_input_error(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("  owner: ml-platform\n", "  owner: " + "[" * 900 + "]" * 900 + "\n"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    line = dev.read_text().splitlines().index("  owner: " + "[" * 900 + "]" * 900) + 1
    assert f"error: environments/dev.yaml:{line}:" in err
    assert "nested deeper than 64 levels" in err


def test_deep_block_nesting_in_a_manifest_is_an_input_error(workspace: Path) -> None:
    manifest = workspace / "model_packages" / "text-embedder" / "model.yaml"
    deep = "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + f"{'  ' * 300}v: 1\n"
    edit(manifest, lambda s: s + "x:\n" + "".join("  " + line + "\n" for line in deep.splitlines()))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "model_packages/text-embedder/model.yaml:" in err
    assert "nested deeper than 64 levels" in err


# -- class 5: duplicate keys ------------------------------------------------------------------------


def test_second_regions_key_is_refused_naming_both_lines(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s + "regions:\n  primary: eu-west-1\n")
    lines = dev.read_text().splitlines()
    first, second = lines.index("regions:") + 1, len(lines) - 1
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert err == (
        f"error: environments/dev.yaml:{second}:1 ==> at regions\n"
        f"  ==> key 'regions' appears twice in one mapping: first at line {first}, again at line {second} "
        "(YAML keeps only the last); delete one of them\n"
    )


def test_second_empty_deployments_is_refused(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s + "deployments: []\n")
    code, out, err = run("preview", "--env", "dev")
    _assert_input_error(code, out, err)
    assert "key 'deployments' appears twice in one mapping: first at line" in err


def test_duplicate_nested_key_in_a_manifest_names_its_path(workspace: Path) -> None:
    manifest = workspace / "model_packages" / "fraud-scorer" / "model.yaml"
    edit(manifest, lambda s: s.replace("latency_slo: {p99_ms: 50}", "latency_slo: {p99_ms: 50, p99_ms: 5000}"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert f"model_packages/fraud-scorer/model.yaml:{pos(manifest, 'p99_ms: 5000')} ==> at latency_slo.p99_ms" in err


# -- class 8: encodings -----------------------------------------------------------------------------


def test_utf16_environment_file_is_named_with_the_fix(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    dev.write_bytes(codecs.BOM_UTF16_LE + dev.read_text().encode("utf-16-le"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert err.startswith("error: environments/dev.yaml ==> the file is UTF-16")
    assert "save it as UTF-8" in err


def test_utf16_without_bom_is_named(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    dev.write_bytes(dev.read_text().encode("utf-16-le"))
    code, out, err = run("preview", "--env", "dev")
    _assert_input_error(code, out, err)
    assert "environments/dev.yaml:1:2 ==> NUL byte at byte offset 1" in err
    assert "save it as UTF-8" in err


def test_latin1_byte_in_a_manifest_gives_line_and_offset(workspace: Path) -> None:
    manifest = workspace / "model_packages" / "fraud-scorer" / "model.yaml"
    text = manifest.read_text().replace("owner: risk-ml", "owner: risk-ml-caf\u00e9")
    manifest.write_bytes(text.encode("latin-1"))
    offset = text.encode("latin-1").index(b"\xe9")
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert (
        f"model_packages/fraud-scorer/model.yaml:{line}:{column} ==> not UTF-8: byte 0xe9 at byte offset {offset}"
    ) in err
    assert "save the file as UTF-8" in err


def test_utf8_bom_is_accepted(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    dev.write_bytes(codecs.BOM_UTF8 + dev.read_bytes())
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err


def test_utf16_stack_file_is_an_input_error_for_preview(workspace: Path) -> None:
    stack = workspace / "Pulumi.dev.yaml"
    stack.write_bytes(codecs.BOM_UTF16_LE + stack.read_text().encode("utf-16-le"))
    code, out, err = run("preview", "--env", "dev")
    _assert_input_error(code, out, err)
    assert err.startswith("error: Pulumi.dev.yaml ==> the file is UTF-16")


def test_non_utf8_stack_file_is_an_input_error_for_stack_selection(workspace: Path) -> None:
    (workspace / "Pulumi.dev-alice.yaml").write_bytes(b"config:\n  inferstack:environment: d\xe9v\n")
    code, out, err = run("preview", "--stack", "dev-alice")
    _assert_input_error(code, out, err)
    assert "Pulumi.dev-alice.yaml:2:28 ==> not UTF-8: byte 0xe9" in err


def test_duplicate_key_in_a_stack_file_is_an_input_error(workspace: Path) -> None:
    stack = workspace / "Pulumi.dev.yaml"
    edit(stack, lambda s: s + "  aws:region: eu-west-1\n")
    code, out, err = run("preview", "--env", "dev")
    _assert_input_error(code, out, err)
    assert "Pulumi.dev.yaml:" in err and "at config.aws:region" in err


# -- class 8: numbers -------------------------------------------------------------------------------


def test_infinite_throttle_rate_is_refused_with_its_field(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("rate_per_second: 20", "rate_per_second: .inf"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, '.inf')} ==> at api.throttle.rate_per_second\n"
        "  ==> '.inf' is not a finite number (infinity, NaN and values past 1.8e308 cannot be stored, compared or "
        "sent to AWS); use a finite number\n"
    )


def test_nan_and_overflowing_floats_are_refused(workspace: Path) -> None:
    for literal in (".nan", "1.0e+400", "-.Inf"):
        dev = workspace / "environments" / "dev.yaml"
        text = dev.read_text()
        dev.write_text(text.replace("budget_monthly_usd: 3000", f"budget_monthly_usd: {literal}"))
        code, out, err = run("validate")
        _assert_input_error(code, out, err)
        assert f"at monitoring.budget_monthly_usd\n  ==> '{literal}' is not a finite number" in err
        dev.write_text(text)


def test_integers_past_int64_are_refused(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    big = "1" + "0" * 400  # 10**400
    edit(dev, lambda s: s.replace("quota_per_day: 100000", f"quota_per_day: {big}"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert f"environments/dev.yaml:{pos(dev, big)} ==> at api.throttle.quota_per_day" in err
    assert "does not fit a 64-bit integer" in err
    assert len(err) < 600


def test_integer_longer_than_pythons_digit_limit_is_an_input_error(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("quota_per_day: 100000", "quota_per_day: " + "9" * 5000))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "does not fit a 64-bit integer" in err


def test_two_to_the_63_minus_one_still_reaches_the_model(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("quota_per_day: 100000", f"quota_per_day: {2**63 - 1}"))
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err


# -- class 10: strict types -------------------------------------------------------------------------


def test_true_is_not_read_as_one(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("failure_threshold: 3", "failure_threshold: true"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, 'true')} ==> at dns.failure_threshold\n"
        "  ==> Input should be a valid integer (got True); use a whole number\n"
    )


def test_one_and_yes_string_are_not_read_as_true(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("interface_endpoints: false", "interface_endpoints: 0"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "at network.interface_endpoints\n  ==> Input should be a valid boolean (got 0); use true or false" in err
    edit(dev, lambda s: s.replace("interface_endpoints: 0", 'interface_endpoints: "no"'))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "at network.interface_endpoints\n  ==> Input should be a valid boolean (got 'no')" in err


def test_quoted_number_is_not_read_as_an_int_in_a_manifest(workspace: Path) -> None:
    manifest = workspace / "model_packages" / "fraud-scorer" / "model.yaml"
    edit(manifest, lambda s: s.replace("max_batch_size: 64", 'max_batch_size: "64"'))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert "at max_batch_size\n  ==> Input should be a valid integer (got '64'); use a whole number" in err


def test_control_character_is_named_with_its_line(workspace: Path) -> None:
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("owner: ml-platform", "owner: ml-plat\x13form"))
    code, out, err = run("validate")
    _assert_input_error(code, out, err)
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, chr(0x13))} ==> control character U+0013 is not allowed in YAML"
    )

"""Issue 13, class 10: values that parse but that AWS (or the stack) cannot use are input errors of `validate`,
at file:line:column with the field and the fix: a canary version the package lacks, overlapping VPC ranges,
weighted routing with one region, an empty or malformed DNS zone, IAM role ARNs that are not ARNs, tags AWS
rejects and log retention values CloudWatch does not accept. (Integers past 2^63 and `true` read as 1 are in
tests/test_input_yaml_strict.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_config_errors import edit, pos, run
from tests.test_input_yaml_strict import workspace  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("workspace")


def _refused(*command: str) -> str:
    code, out, err = run(*command)
    assert code == 2, (code, out[-500:], err)
    assert "Traceback" not in out + err
    return err


def test_canary_version_missing_from_the_package_is_refused(workspace: Path) -> None:  # noqa: F811
    staging = workspace / "environments" / "staging.yaml"
    edit(
        staging,
        lambda s: s.replace(
            "rollout: {strategy: canary, canary_percent: 20}",
            "rollout: {strategy: canary, canary_percent: 20, canary_version: 9}",
        ),
    )
    err = _refused("validate")
    assert err == (
        f"error: environments/staging.yaml:{pos(staging, 'canary_version: 9', 16)} ==> at "
        "deployments[0].rollout.canary_version\n"
        "  ==> canary_version 9 does not exist in text-embedder; available versions: 2, 3; pick one of them "
        "other than 3\n"
    )


def test_canary_version_equal_to_the_pinned_version_is_refused_by_validate(workspace: Path) -> None:  # noqa: F811
    """Preview's TritonService refused this (canary_version equals model_version); validate passed it (class 9)."""
    staging = workspace / "environments" / "staging.yaml"
    assert "  - model: text-embedder\n    version: 3\n" in staging.read_text()
    edit(
        staging,
        lambda s: s.replace(
            "rollout: {strategy: canary, canary_percent: 20}",
            "rollout: {strategy: canary, canary_percent: 20, canary_version: 3}",
        ),
    )
    err = _refused("validate")
    assert err == (
        f"error: environments/staging.yaml:{pos(staging, 'canary_version: 3', 16)} ==> at "
        "deployments[0].rollout.canary_version\n"
        "  ==> canary_version 3 equals the pinned version (deployments[0].version); set the new version as "
        "canary_version, or remove it to promote\n"
    )


def test_overlapping_primary_and_secondary_cidrs_are_refused(workspace: Path) -> None:  # noqa: F811
    prod = workspace / "environments" / "prod.yaml"
    edit(prod, lambda s: s.replace("secondary_cidr: 10.41.0.0/16", "secondary_cidr: 10.40.128.0/17"))
    err = _refused("validate")
    assert err == (
        f"error: environments/prod.yaml:{pos(prod, '10.40.128.0/17')} ==> at network.secondary_cidr\n"
        "  ==> network.secondary_cidr 10.40.128.0/17 overlaps network.cidr 10.40.0.0/16; pick a range outside it, "
        "e.g. 10.41.0.0/16\n"
    )


def test_weighted_routing_without_a_secondary_region_is_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(
        dev,
        lambda s: s.replace(
            "  max_failover_seconds: 300\n", "  max_failover_seconds: 300\n  weighted_primary_percent: 70\n"
        ),
    )
    err = _refused("validate")
    assert err == (
        f"error: environments/dev.yaml:{pos(dev, 'percent: 70', 9)} ==> at dns.weighted_primary_percent\n"
        "  ==> dns.weighted_primary_percent splits traffic between two regions but regions.secondary is not set; "
        "add a secondary region or remove weighted_primary_percent\n"
    )


@pytest.mark.parametrize(
    "zone", ["''", "'.'", "inference..example.com", "-bad.example.com", "a_b.example.com", "x" * 64 + ".com"]
)
def test_empty_or_malformed_dns_zone_is_refused(workspace: Path, zone: str) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("zone: inference.example.com", f"zone: {zone}"))
    err = _refused("validate")
    assert err.startswith(f"error: environments/dev.yaml:{pos(dev, 'zone: ', 6)} ==> at dns.zone\n")
    assert "is not a DNS domain name" in err


def test_trailing_dot_zone_is_accepted(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("zone: inference.example.com", "zone: inference.example.com."))
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize(
    "arn",
    ["not-an-arn", "arn:aws:iam::12345:role/admin", "arn:aws:iam::123456789012:user/alice", "arn:aws:s3:::bucket"],
)
def test_admin_role_arns_that_are_not_role_arns_are_refused(workspace: Path, arn: str) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(
        dev,
        lambda s: s.replace(
            "  endpoint_public_access: false\n", f"  endpoint_public_access: false\n  admin_role_arns: ['{arn}']\n"
        ),
    )
    err = _refused("validate")
    assert err.startswith(
        f"error: environments/dev.yaml:{pos(dev, repr(arn))} ==> at cluster.admin_role_arns[0]\n"
        f"  ==> admin_role_arns entry {arn!r} is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name>"
    )


def test_a_role_arn_with_a_path_is_accepted(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    arn = "arn:aws:iam::123456789012:role/platform/ops-admin"
    edit(
        dev,
        lambda s: s.replace(
            "  endpoint_public_access: false\n", f"  endpoint_public_access: false\n  admin_role_arns: ['{arn}']\n"
        ),
    )
    code, _, err = run("validate")
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize(
    ("line_text", "expected"),
    [
        ("  aws:team: ml", "tag key 'aws:team' starts with 'aws:'"),
        ("  AWS:team: ml", "tag key 'AWS:team' starts with 'aws:'"),
        ("  team: 'aws:ml'", "tag value 'aws:ml' of 'team' starts with 'aws:'"),
        ("  " + "k" * 129 + ": v", "is 129 characters; AWS allows at most 128"),
        ("  team: " + "v" * 257, "value of 'team' is 257 characters; AWS allows at most 256"),
        ("  'team#1': ml", "tag key 'team#1' has characters AWS does not allow"),
    ],
)
def test_tags_aws_would_reject_are_refused(workspace: Path, line_text: str, expected: str) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace("  cost-center: ml-1234\n", f"  cost-center: ml-1234\n{line_text}\n"))
    err = _refused("validate")
    line = dev.read_text().splitlines().index(line_text) + 1
    assert err.startswith(f"error: environments/dev.yaml:{line}:")  # the offending tag's line
    assert " ==> at tags." in err.splitlines()[0]
    assert expected in err


def test_more_tags_than_aws_allows_are_refused(workspace: Path) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    extra = "".join(f"  t{i}: v\n" for i in range(46))
    edit(dev, lambda s: s.replace("  cost-center: ml-1234\n", "  cost-center: ml-1234\n" + extra))
    err = _refused("validate")
    assert "tags has 48 entries; with the 3 the stack adds (environment, managed-by, model) that passes AWS's 50" in err


@pytest.mark.parametrize(
    ("field", "old"),
    [("log_retention_days", "log_retention_days: 14"), ("flow_logs_retention_days", "flow_logs_retention_days: 14")],
)
def test_log_retention_outside_cloudwatchs_list_is_refused(workspace: Path, field: str, old: str) -> None:  # noqa: F811
    dev = workspace / "environments" / "dev.yaml"
    edit(dev, lambda s: s.replace(old, f"{field}: 15"))
    err = _refused("validate")
    assert f"environments/dev.yaml:{pos(dev, f'{field}: 15', len(field) + 2)} ==> at " in err
    assert (
        "15 is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
        "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (the nearest: 14)"
    ) in err

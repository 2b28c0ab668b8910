"""Kubernetes versions as dated data (components/versions.py): the public tables derive from the calendar,
the supported-version policies compare the dates with today, and the data fails loudly when it ages."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from inferstack.components.versions import (
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
    EKS_ADDON_VERSIONS,
    KUBERNETES_MINORS,
    SUPPORTED_KUBERNETES_VERSIONS,
    WARN_DAYS_BEFORE_END_OF_STANDARD,
    check_fresh,
    creatable_minors,
    support_status,
)
from inferstack.config.loader import Project, load_environment
from tests.policy_cases import messages, res
from tests.test_config_errors import edit, pos, run, workspace  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.date(2026, 12, 2)


def test_the_versions_table_is_fresh_today():
    # Fails 60 days before the newest minor leaves standard support (when the environments would start to get
    # the end-of-support warning): add the next minor to components/versions.py.
    assert check_fresh(lead_days=WARN_DAYS_BEFORE_END_OF_STANDARD) is None


def test_the_freshness_lead_warns_ahead_of_the_hard_limit():
    assert check_fresh(datetime.date(2027, 1, 26)) is None  # validate still passes
    early = check_fresh(datetime.date(2027, 1, 26), lead_days=WARN_DAYS_BEFORE_END_OF_STANDARD)
    assert early is not None and "1.35, leaves EKS standard support on 2027-03-27" in early
    assert check_fresh(datetime.date(2027, 3, 27)) is None  # its last day


def test_stale_data_fails_naming_the_file_to_update():
    message = check_fresh(datetime.date(2027, 3, 28))
    assert message is not None
    assert message.startswith("components/versions.py ==> the newest Kubernetes minor in the versions table, 1.35")
    assert "left EKS standard support on 2027-03-27" in message


def test_calendar_matches_the_eks_release_calendar():
    one_35 = KUBERNETES_MINORS["1.35"]
    assert (one_35.eks_release, one_35.end_of_standard_support, one_35.end_of_extended_support) == (
        datetime.date(2026, 1, 28),
        datetime.date(2027, 3, 27),
        datetime.date(2028, 3, 27),
    )
    assert support_status("1.31", TODAY) == "ended"  # extended support ended 2026-11-26
    assert support_status("1.34", TODAY) == "standard"  # its last day
    assert support_status("1.34", TODAY + datetime.timedelta(days=1)) == "extended"
    assert support_status("1.33", TODAY) == "extended"


def test_public_tables_derive_from_the_calendar():
    assert set(EKS_ADDON_VERSIONS) == set(CLUSTER_AUTOSCALER_IMAGE_TAGS)
    for version, addons in EKS_ADDON_VERSIONS.items():
        assert {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"} <= set(addons)
        assert addons["kube-proxy"].startswith(f"v{version}.")
        assert CLUSTER_AUTOSCALER_IMAGE_TAGS[version].startswith(f"v{version}.")
    assert "1.31" not in creatable_minors(TODAY) and "1.35" in creatable_minors(TODAY)
    assert set(SUPPORTED_KUBERNETES_VERSIONS) <= set(EKS_ADDON_VERSIONS)


def test_reference_environments_run_a_minor_in_standard_support_today():
    for name in ("dev", "staging", "prod"):
        version = load_environment(Project(ROOT), name).cluster.kubernetes_version
        assert support_status(version) == "standard", (name, version)


def test_a_version_past_end_of_extended_support_is_refused_at_validate(workspace):  # noqa: F811
    path = workspace / "environments" / "dev.yaml"
    edit(path, lambda t: t.replace('kubernetes_version: "1.35"', 'kubernetes_version: "1.31"'))
    code, _, err = run("validate")
    assert code == 2
    where = pos(path, '"1.31"')
    assert f"environments/dev.yaml:{where} ==> at cluster.kubernetes_version" in err
    assert "EKS ended extended support for 1.31 on 2026-11-26" in err
    assert "new ones cannot be created; use one of" in err


EKS = "aws:eks/cluster:Cluster"
WARN = "aws-eks-cluster-warn-end-of-standard-support"
FAIL = "aws-eks-cluster-configure-supported-version"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2027-01-25", []),  # 61 days before 1.35 leaves standard support
        (
            "2027-01-26",
            [
                "EKS cluster 'r' runs Kubernetes 1.35, whose standard support ends on 2027-03-27 (in 60 days); "
                "extended support then costs $0.60 instead of $0.10 per hour; add the next minor to "
                "components/versions.py and upgrade"
            ],
        ),
    ],
)
def test_supported_version_warns_within_60_days_of_end_of_standard_support(as_of, expected):
    assert messages(WARN, [res(EKS, {"version": "1.35"})], as_of=as_of) == expected


def test_a_minor_leaving_standard_support_points_to_the_newer_pinned_one():
    found = messages(WARN, [res(EKS, {"version": "1.33"})], as_of="2026-06-15")
    assert found == [
        "EKS cluster 'r' runs Kubernetes 1.33, whose standard support ends on 2026-07-29 (in 44 days); extended "
        "support then costs $0.60 instead of $0.10 per hour; upgrade cluster.kubernetes_version to 1.35"
    ]


def test_supported_version_fails_past_end_of_extended_support():
    cluster = res(EKS, {"version": "1.31"})
    assert messages(FAIL, [cluster], as_of="2026-11-26") == []  # last day of extended support
    assert messages(FAIL, [cluster], as_of="2026-11-27") == [
        "EKS cluster 'r' runs Kubernetes 1.31, whose EKS extended support ended on 2026-11-26: the cluster is "
        "auto-upgraded and the version can no longer be created; set cluster.kubernetes_version to one of 1.32, "
        "1.33, 1.35"
    ]
    assert messages(WARN, [cluster], as_of="2026-11-27") == []  # one finding, from the failing policy

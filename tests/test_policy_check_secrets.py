"""Issue 13, class 2: a value that is secret in a checkpoint or a preview never prints, in any format.

Pulumi writes a secret in a `pulumi stack export` (deployment v3) as an object carrying the signature key
"4dabf18193072939515e22adb298388d" = "1b47061264138c4ac30d75fd1eb44270" with "ciphertext" (encrypted by the
stack's secrets provider) or, after `--show-secrets`, "plaintext" (the value JSON-encoded); the engine
accepts exactly one of the two, this reader is lenient and also takes both (pulumi/pulumi
sdk/go/common/resource/sig/sig.go `Key`/`Secret`, pkg/resource/stack/deployment.go `DeserializePropertyValue`
case `resource.SecretSig`, commit 1b59498 of 2026-08-21, read 2026-12-02). Rules read secrets unwrapped, as
under the engine, and some quote what they read; the CLI must print "[secret]" instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inferstack.cli import app
from inferstack.engine.model import Resource, Secret
from inferstack.policies.config import pack_config
from inferstack.policy_eval import evaluate_resources, redact

SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
PREFIX = "urn:pulumi:prod::legacy"
PROVIDER = f"{PREFIX}::pulumi:providers:aws::east"
PLANTS = {
    "region": "eu-secret-9",  # provider input, quoted by the region rule
    "version": "1.19-SECRETVER",  # top-level input, quoted by the supported-version rule
    "cidr": "198.51.100.77/32",  # inside a secret object (vpcConfig), quoted as part of a list
    "environment": "SECRET-ENV",  # nested dict value (tags.environment), quoted by the tag rule
    "sg_world": "0.0.0.0/0",  # list element of a nested list of dicts (ingress[0].cidrBlocks[0])
    "container": "secret-container-x",  # list of dicts in a Kubernetes pod spec
    "env_var": "SECRET_ENV_VAR_NAME",
    "output": "secret-output-endpoint",  # outputs are never printed
    "component": "secret-component-input",
}


def _plain(value: Any) -> dict[str, Any]:
    """`pulumi stack export --show-secrets` form: ciphertext and plaintext side by side."""
    return {**SIG, "ciphertext": "v1:AAAAc2VjcmV0", "plaintext": json.dumps(value)}


def _plaintext_only(value: Any) -> dict[str, Any]:
    return {**SIG, "plaintext": json.dumps(value)}


def checkpoint_with_secrets_everywhere() -> dict[str, Any]:
    resources = [
        {"urn": f"{PREFIX}::pulumi:pulumi:Stack::legacy-prod", "custom": False, "type": "pulumi:pulumi:Stack"},
        {
            "urn": PROVIDER,
            "custom": True,
            "id": "p",
            "type": "pulumi:providers:aws",
            "inputs": {"region": _plain(PLANTS["region"])},
        },
        {
            "urn": f"{PREFIX}::my:index:Platform::platform",
            "custom": False,
            "type": "my:index:Platform",
            "inputs": {"note": _plain(PLANTS["component"])},
        },
        {
            "urn": f"{PREFIX}::aws:eks/cluster:Cluster::legacy",
            "custom": True,
            "id": "legacy",
            "type": "aws:eks/cluster:Cluster",
            "provider": f"{PROVIDER}::p",
            "inputs": {
                "version": _plaintext_only(PLANTS["version"]),
                "vpcConfig": _plain({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0", PLANTS["cidr"]]}),
                "tags": {"owner": "ml", "cost-center": "ml-1", "environment": _plain(PLANTS["environment"])},
            },
            "outputs": {"endpoint": _plain(PLANTS["output"]), "nested": [{"x": _plain(PLANTS["output"])}]},
        },
        {
            "urn": f"{PREFIX}::aws:ec2/securityGroup:SecurityGroup::open",
            "custom": True,
            "id": "sg",
            "type": "aws:ec2/securityGroup:SecurityGroup",
            "provider": f"{PROVIDER}::p",
            "inputs": {
                "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": [_plain(PLANTS["sg_world"])]}],
                "tags": {"owner": "ml", "cost-center": "ml-1", "environment": "prod"},
            },
        },
        {
            "urn": f"{PREFIX}::kubernetes:apps/v1:Deployment::app",
            "custom": True,
            "id": "ml/app",
            "type": "kubernetes:apps/v1:Deployment",
            "inputs": {
                "metadata": {"name": "app", "namespace": "ml"},
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": _plain(PLANTS["container"]),
                                    "image": "nvcr.io/nvidia/tritonserver:24.08-py3",
                                    "env": [
                                        {
                                            "name": _plain(PLANTS["env_var"]),
                                            "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
                                        }
                                    ],
                                }
                            ]
                        }
                    }
                },
            },
        },
    ]
    return {"version": 3, "deployment": {"manifest": {"version": "v3.200.0"}, "resources": resources}}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str]]:
    path = tmp_path_factory.mktemp("secrets") / "state.json"
    path.write_text(json.dumps(checkpoint_with_secrets_everywhere()), encoding="utf-8")
    found = {}
    for fmt in ("text", "json", "markdown"):
        result = CliRunner().invoke(app, ["policy", "check", "--input", str(path), "--env", "prod", "--format", fmt])
        found[fmt] = (result.exit_code, result.stdout, result.stderr)
    return found


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
@pytest.mark.parametrize("plant", sorted(set(PLANTS) - {"sg_world"}))
def test_a_secret_planted_anywhere_in_a_checkpoint_never_prints(
    outputs: dict[str, tuple[int, str, str]], fmt: str, plant: str
) -> None:
    _, out, err = outputs[fmt]
    assert PLANTS[plant] not in out + err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_rules_still_see_the_secret_values_and_their_messages_say_secret(
    outputs: dict[str, tuple[int, str, str]], fmt: str
) -> None:
    code, out, _ = outputs[fmt]
    assert code == 1
    for policy in (
        "aws-provider-config-restrict-regions",
        "aws-eks-cluster-configure-supported-version",
        "aws-eks-cluster-disallow-public-endpoint",
        "inferstack-aws-tags-require-cost-allocation",
        "aws-ec2-securitygroup-disallow-public-ingress",
        "kubernetes-pod-container-disallow-secret-env",
    ):
        assert policy in out, f"{policy} must still trip on the secret value"
    assert "[secret]" in out


def test_json_messages_name_the_secret_positions_as_secret(outputs: dict[str, tuple[int, str, str]]) -> None:
    report = json.loads(outputs["json"][1])
    messages = {v["policy"]: v["message"] for v in report["violations"]}
    assert "runs Kubernetes [secret]" in messages["aws-eks-cluster-configure-supported-version"]
    assert "deploys to [secret]" in messages["aws-provider-config-restrict-regions"]
    assert "from [secret]" in messages["aws-ec2-securitygroup-disallow-public-ingress"]


def test_preview_side_secrets_are_redacted_in_violation_messages_too() -> None:
    """The offline preview records stack-config secrets as `Secret`; the same evaluation path redacts them."""
    cluster = Resource(
        urn=f"{PREFIX}::aws:eks/cluster:Cluster::c",
        type="aws:eks/cluster:Cluster",
        name="c",
        parent=None,
        custom=True,
        provider=None,
        inputs={"version": Secret(PLANTS["version"]), "vpcConfig": {"endpointPublicAccess": False}},
    )
    from inferstack.config.loader import Project, load_environment
    from tests.conftest import ROOT

    violations = evaluate_resources([cluster], pack_config(load_environment(Project(ROOT), "prod")), ("security",))
    text = json.dumps(violations)
    assert "aws-eks-cluster-configure-supported-version" in text
    assert PLANTS["version"] not in text and "[secret]" in text


def test_short_secrets_are_redacted_as_whole_words_only() -> None:
    assert redact("ports 1-1 via r1 and x10", ["1"]) == "ports [secret]-[secret] via r1 and x10"
    assert redact("token abcdefgh in xabcdefghx", ["abcdefgh"]) == "token [secret] in x[secret]x"


def test_fixture_checkpoint_secret_is_not_printed(tmp_path: Path) -> None:
    """An encrypted-only secret is unknown offline: neither ciphertext nor a decoded value appears."""
    path = tmp_path / "s.json"
    doc = checkpoint_with_secrets_everywhere()
    doc["deployment"]["resources"][3]["inputs"]["version"] = {**SIG, "ciphertext": "v1:ENCRYPTEDONLY"}
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", "--input", str(path), "--format", "json"])
    assert "ENCRYPTEDONLY" not in result.stdout and result.exit_code == 1


def test_the_redactor_removes_every_planted_secret_among_thousands() -> None:
    import random

    from inferstack.policy_eval import Redactor

    rng = random.Random(13)
    alphabet = "abcdefghij0123456789./-:"
    secrets = ["".join(rng.choice(alphabet) for _ in range(rng.randint(6, 30))) for _ in range(5000)]
    redactor = Redactor(secrets)
    for _ in range(200):
        planted = rng.sample(secrets, 3)
        message = " ".join(["value", planted[0], "in", f"({planted[1]})", "and", f"'{planted[2]}'", "end"])
        out = redactor(message)
        assert out.count("[secret]") >= 3 and not any(p in out for p in planted), (message, out)

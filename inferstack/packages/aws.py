"""boto3 plumbing for the package commands: clients, error translation, where the bucket is.

Credentials, endpoint and retries follow boto3's standard chain: profiles (AWS_PROFILE),
AWS_ENDPOINT_URL (and per-service AWS_ENDPOINT_URL_S3 / _SAGEMAKER), AWS_REGION. The region of
an environment's registry is its primary region. Nothing here prints credentials: error messages
carry the operation, the resource and AWS's error code and message only.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inferstack.config.environment import Environment
from inferstack.packages.errors import AwsUnavailableError, PackageError
from inferstack.packages.naming import model_bucket_name

STACK_OUTPUT_BUCKET = "model_bucket"
"""The stack output holding the primary region's model artifact bucket (stacks/registry.py exports it)."""


@dataclass(frozen=True)
class Aws:
    """Clients for one environment's primary region."""

    region: str
    s3: Any
    sagemaker: Any
    sts: Any
    sagemaker_once: Any = None
    """SageMaker without automatic retries, for `CreateModelPackage`: a retry after a lost response registers
    the version twice, so publish searches the registry before trying again (None: use `sagemaker`)."""


def clients(env: Environment) -> Aws:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    region = env.regions.primary
    session = boto3.session.Session(region_name=region)
    return Aws(
        region=region,
        s3=session.client("s3", config=config),
        sagemaker=session.client("sagemaker", config=config),
        sts=session.client("sts", config=config),
        # `total_max_attempts` counts the first request; `max_attempts` counts retries only (botocore
        # "Config Reference", retries; read 2026-12-02).
        sagemaker_once=session.client(
            "sagemaker", config=config.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        ),
    )


@contextlib.contextmanager
def aws_errors(what: str, *, after: str = "") -> Iterator[None]:
    """Turn botocore failures into one human message; `after` says what state a failure leaves."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    tail = f"; {after}" if after else ""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise PackageError(
            f"{what} ==> no usable AWS credentials; configure a profile (AWS_PROFILE) or another source of "
            f"boto3's standard credential chain{tail}"
        ) from None
    except NoRegionError:
        raise PackageError(f"{what} ==> no AWS region; set AWS_REGION{tail}") from None
    except ConnectionError as exc:
        raise AwsUnavailableError(
            f"{what} ==> AWS is unreachable ({type(exc).__name__}: {exc}); check the network or AWS_ENDPOINT_URL{tail}"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise PackageError(
            f"{what} ==> AWS refused: {error.get('Code', 'error')}: {error.get('Message', exc)}{tail}"
        ) from None
    except BotoCoreError as exc:
        raise AwsUnavailableError(f"{what} ==> AWS call failed ({type(exc).__name__}: {exc}){tail}") from None


def stack_output(stack: str, name: str) -> str | None:
    """`pulumi stack output NAME --stack STACK` when the Pulumi CLI is installed and logged in; else None."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return None
    try:
        done = subprocess.run(
            [pulumi, "stack", "output", name, "--stack", stack, "--json", "--non-interactive"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        value = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) and value else None


def resolve_bucket(env: Environment, aws: Aws, explicit: str | None) -> tuple[str, str]:
    """(bucket, how it was found): --bucket, else the stack output, else the naming convention."""
    if explicit:
        return explicit, "--bucket"
    from_stack = stack_output(env.name, STACK_OUTPUT_BUCKET)
    if from_stack:
        return from_stack, f"stack output {STACK_OUTPUT_BUCKET}"
    with aws_errors("looking up the AWS account (sts get-caller-identity) to name the model bucket"):
        account = aws.sts.get_caller_identity()["Account"]
    return model_bucket_name(
        env.name, account, aws.region
    ), "naming convention inferstack-<env>-models-<account>-<region>"


def caller_arn(aws: Aws) -> str:
    with aws_errors("looking up who is calling (sts get-caller-identity)"):
        return str(aws.sts.get_caller_identity()["Arn"])

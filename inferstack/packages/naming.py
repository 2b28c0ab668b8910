"""Names shared by the ModelRegistry stack module and the package CLI, so each finds what the other made."""

from __future__ import annotations


def model_bucket_name(env: str, account_id: str, region: str) -> str:
    """The environment's model artifact bucket in `region` (globally unique through account and region)."""
    return f"inferstack-{env}-models-{account_id}-{region}"


def package_group_name(env: str, model: str) -> str:
    """SageMaker Model Package Group of `model` in `env` (<= 56 characters; the API allows 63)."""
    return f"{env}-{model}"


def serving_repository_name(env: str) -> str:
    """ECR repository for the environment's custom serving images."""
    return f"inferstack/{env}/serving"

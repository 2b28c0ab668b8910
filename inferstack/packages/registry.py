"""SageMaker Model Registry operations: find a package version, approve it.

A model package group holds every published version of one model in one environment; the
manifest version lives in the package's customer metadata (`manifest_version`), because the
registry numbers versions itself (1, 2, ... in publish order).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from inferstack.packages.aws import Aws, aws_errors, caller_arn
from inferstack.packages.errors import PackageError

APPROVED = "Approved"
PENDING = "PendingManualApproval"


@dataclass(frozen=True)
class RegisteredVersion:
    """One model package (version) in the registry."""

    arn: str
    registry_version: int
    manifest_version: int
    status: str
    sha256: str
    model_data_url: str
    metadata: dict[str, str]
    approval_description: str
    duplicates: tuple[str, ...] = ()
    """ARNs of other registrations of this version with the same content (see `find_version`)."""


def group_exists(aws: Aws, group: str, *, what: str = "", after: str = "") -> bool:
    from botocore.exceptions import ClientError

    with aws_errors(what or f"reading model package group {group}", after=after):
        try:
            aws.sagemaker.describe_model_package_group(ModelPackageGroupName=group)
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if exc.response.get("Error", {}).get("Code") in ("ValidationException", "ResourceNotFound") and (
                "not exist" in message or "not found" in message.lower()
            ):
                return False
            raise
    return True


def _describe(aws: Aws, arn: str, *, what: str = "", after: str = "") -> RegisteredVersion | None:
    with aws_errors(what or f"reading model package {arn}", after=after):
        d: dict[str, Any] = aws.sagemaker.describe_model_package(ModelPackageName=arn)
    meta = dict(d.get("CustomerMetadataProperties") or {})
    try:
        manifest_version = int(meta.get("manifest_version", ""))
    except ValueError:
        return None  # registered by something other than inferstack
    containers = (d.get("InferenceSpecification") or {}).get("Containers") or [{}]
    return RegisteredVersion(
        arn=arn,
        registry_version=int(d.get("ModelPackageVersion", 0)),
        manifest_version=manifest_version,
        status=str(d.get("ModelApprovalStatus", "")),
        sha256=meta.get("sha256", ""),
        model_data_url=str(containers[0].get("ModelDataUrl", "")),
        metadata=meta,
        approval_description=str(d.get("ApprovalDescription", "")),
    )


def registered_versions(aws: Aws, group: str, *, what: str = "", after: str = "") -> list[RegisteredVersion]:
    """Every inferstack-published version in `group` (empty when the group does not exist).

    `what` and `after` label AWS failures for the caller's step (default: "listing ...")."""
    if not group_exists(aws, group, what=what, after=after):
        return []
    arns: list[str] = []
    with aws_errors(what or f"listing model packages of {group}", after=after):
        paginator = aws.sagemaker.get_paginator("list_model_packages")
        for page in paginator.paginate(ModelPackageGroupName=group, ModelPackageType="Versioned"):
            arns.extend(s["ModelPackageArn"] for s in page.get("ModelPackageSummaryList", []))
    found = [_describe(aws, arn, what=what, after=after) for arn in arns]
    return sorted((v for v in found if v is not None), key=lambda v: v.registry_version)


def find_version(aws: Aws, group: str, version: int, *, what: str = "", after: str = "") -> RegisteredVersion | None:
    """The registration of manifest version `version`, or None.

    A version registered more than once with the same sha256 (a retried `CreateModelPackage` whose first
    response was lost, or publishes that raced before inferstack took a lock) is not an error that blocks
    every later command: the same one is picked every time, the Approved one first (what was approved is
    what gets promoted), else the oldest (lowest registry version), and the others are listed in
    `duplicates` so the CLI warns with the command that deletes them. Registrations with different
    sha256s stay an error: only one of them matches the published archive, and which one a person decides.
    """
    matches = [v for v in registered_versions(aws, group, what=what, after=after) if v.manifest_version == version]
    if not matches:
        return None
    if len({m.sha256 for m in matches}) > 1:
        listed = ", ".join(f"{m.arn} (sha256 {m.sha256[:12]}, {m.status})" for m in matches)
        raise PackageError(
            f"model package group {group} ==> version {version} is registered {len(matches)} times with different "
            f"content ({listed}); a version is immutable, so keep the registration whose sha256 equals the published "
            "archive's (the sha256 metadata of its model.tar.gz in S3) and delete the others: aws sagemaker "
            "delete-model-package --model-package-name ARN"
        )
    chosen = min(matches, key=lambda m: (m.status != APPROVED, m.registry_version))
    return dataclasses.replace(chosen, duplicates=tuple(m.arn for m in matches if m.arn != chosen.arn))


def duplicate_warning(model: str, group: str, found: RegisteredVersion | None) -> str | None:
    """The warning for a version registered more than once (None when it is registered once)."""
    if found is None or not found.duplicates:
        return None
    deletes = "; ".join(f"aws sagemaker delete-model-package --model-package-name {arn}" for arn in found.duplicates)
    return (
        f"{model} version {found.manifest_version} is registered {len(found.duplicates) + 1} times in {group} with "
        f"the same content; using {found.arn} (registry version {found.registry_version}); delete the other "
        f"registrations so each version is registered once: {deletes}"
    )


def require_version(aws: Aws, group: str, model: str, version: int, env: str) -> RegisteredVersion:
    found = find_version(aws, group, version)
    if found is None:
        published = sorted({v.manifest_version for v in registered_versions(aws, group)})
        raise PackageError(
            f"model package group {group} ==> {model} version {version} is not published in {env} (published: "
            f"{', '.join(map(str, published)) or 'none'}); run: inferstack package publish model_packages/{model} "
            f"--version {version} --env {env}"
        )
    return found


@dataclass(frozen=True)
class ApproveResult:
    group: str
    version: RegisteredVersion
    changed: bool
    approver: str


def approve(aws: Aws, group: str, model: str, version: int, env: str, note: str) -> ApproveResult:
    """Mark a registered version Approved, recording who approved it and why."""
    if not note.strip():
        raise PackageError("--note ==> an approval needs a note (what was checked, ticket, ...); pass --note TEXT")
    found = require_version(aws, group, model, version, env)
    approver = caller_arn(aws)
    if found.status == APPROVED:
        return ApproveResult(group=group, version=found, changed=False, approver=approver)
    description = f"{note.strip()} (approved by {approver})"[:1000]
    with aws_errors(f"approving {found.arn}", after="nothing changed; rerun the command"):
        # Re-sending the customer metadata is a no-op on AWS; moto 5.2 drops it on updates that omit it.
        aws.sagemaker.update_model_package(
            ModelPackageArn=found.arn,
            ModelApprovalStatus=APPROVED,
            ApprovalDescription=description,
            CustomerMetadataProperties=found.metadata,
        )
    after = dataclasses.replace(_describe(aws, found.arn) or found, duplicates=found.duplicates)
    return ApproveResult(group=group, version=after, changed=True, approver=approver)

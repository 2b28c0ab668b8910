"""SageMaker Model Registry operations: find a package version, approve it.

A model package group holds every published version of one model in one environment; the
manifest version lives in the package's customer metadata (`manifest_version`), because the
registry numbers versions itself (1, 2, ... in publish order).
"""

from __future__ import annotations

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


def _describe(aws: Aws, arn: str) -> RegisteredVersion | None:
    with aws_errors(f"reading model package {arn}"):
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


def registered_versions(aws: Aws, group: str) -> list[RegisteredVersion]:
    """Every inferstack-published version in `group` (empty when the group does not exist)."""
    if not group_exists(aws, group):
        return []
    arns: list[str] = []
    with aws_errors(f"listing model packages of {group}"):
        paginator = aws.sagemaker.get_paginator("list_model_packages")
        for page in paginator.paginate(ModelPackageGroupName=group, ModelPackageType="Versioned"):
            arns.extend(s["ModelPackageArn"] for s in page.get("ModelPackageSummaryList", []))
    found = [_describe(aws, arn) for arn in arns]
    return sorted((v for v in found if v is not None), key=lambda v: v.registry_version)


def find_version(aws: Aws, group: str, version: int) -> RegisteredVersion | None:
    matches = [v for v in registered_versions(aws, group) if v.manifest_version == version]
    if len(matches) > 1:
        listed = ", ".join(f"{m.arn} (sha256 {m.sha256[:12]})" for m in matches)
        raise PackageError(
            f"model package group {group} ==> version {version} is registered {len(matches)} times ({listed}); "
            "delete the duplicates in the SageMaker console so each version is registered once"
        )
    return matches[0] if matches else None


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
    after = _describe(aws, found.arn) or found
    return ApproveResult(group=group, version=after, changed=True, approver=approver)

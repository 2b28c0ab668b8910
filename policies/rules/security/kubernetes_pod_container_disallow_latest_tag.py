"""Images are pinned: no `:latest` or untagged images (CKV_K8S_14; digests CKV_K8S_43 when configured)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    effective_config,
    get,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="MMM", anchors=("CKV_K8S_14", "CKV_K8S_43"), resource_types=WORKLOAD_TYPES)


def _tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    require_digest = bool(effective_config(args, POLICY.config_schema, META)["require_digest"])
    for c in containers(pod_spec(args.resource_type, args.props)):
        image = get(c, "image")
        if image is None:
            report_violation(f"{workload_name(args)} container {container_name(c)!r} has no image", None)
            continue
        image = str(image)
        if "@sha256:" in image:
            continue
        tag = _tag(image)
        if tag is None or tag == "latest":
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} uses unpinned image {image!r}; pin an "
                "explicit version tag (serving.triton_image)",
                None,
            )
        elif require_digest:
            report_violation(
                f"{workload_name(args)} container {container_name(c)!r} image {image!r} is not pinned by digest; "
                "append @sha256:<digest>",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-disallow-latest-tag",
    description="Container images are pinned by tag (never :latest), or by digest when required.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Pin serving.triton_image to a version tag, optionally with @sha256 digest.",
    validate=validate,
    config={"require_digest": {"type": "boolean", "default": False}},
)

"""An LLM server's tensor-parallel degree equals the GPUs its container is given (ML/GPU rule, issue 16).

vLLM starts one worker per tensor-parallel rank and each rank needs its own GPU: with fewer GPUs than
`--tensor-parallel-size` the engine fails at start (after the image pull and minutes of waiting), with more the
extra GPUs sit idle and are paid for. The rule reads `--tensor-parallel-size=N` (or `--tensor-parallel-size N`,
`-tp N`) from the container's args and compares it with `resources.limits["nvidia.com/gpu"]`.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from inferstack.policies.rules._base import (
    GPU_RESOURCE,
    WORKLOAD_TYPES,
    RuleMeta,
    container_name,
    containers,
    fmt_num,
    get,
    gpu_quantity,
    items,
    parse_quantity,
    pod_spec,
    resource_policy,
    workload_name,
)

META = RuleMeta(pack="security", levels="AMM", resource_types=WORKLOAD_TYPES)
FLAGS = ("--tensor-parallel-size", "-tp")


def tensor_parallel(args: Any) -> str | None:
    """The declared tensor-parallel degree in a container's args, as written; None when not declared."""
    words = [str(a) for a in items(args)]
    for i, word in enumerate(words):
        for flag in FLAGS:
            if word.startswith(f"{flag}="):
                return word.split("=", 1)[1]
            if word == flag and i + 1 < len(words):
                return words[i + 1]
    return None


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in WORKLOAD_TYPES:
        return
    for c in containers(pod_spec(args.resource_type, args.props)):
        declared = tensor_parallel(get(c, "args"))
        if declared is None:
            continue
        where = f"{workload_name(args)} container {container_name(c)!r}"
        gpus = parse_quantity(gpu_quantity(c, "limits"))
        try:
            degree = int(declared)
        except ValueError:
            report_violation(f"{where} sets --tensor-parallel-size={declared}; use a whole number of GPUs", None)
            continue
        if gpus is None or gpus != degree:
            shown = "no" if gpus is None else fmt_num(gpus)
            report_violation(
                f"{where} runs tensor parallel {degree} on {shown} {GPU_RESOURCE}: every rank needs its own GPU; set "
                f"resources.limits.{GPU_RESOURCE} to {degree} (LlmService does, from the GPU memory plan)",
                None,
            )


POLICY = resource_policy(
    name="kubernetes-pod-container-configure-tensor-parallel-gpus",
    description="LLM server containers get exactly as many GPUs as their tensor-parallel degree.",
    meta=META,
    severity=Severity.HIGH,
    remediation="Set resources.limits['nvidia.com/gpu'] to the --tensor-parallel-size (llm.tensor_parallel).",
    validate=validate,
)

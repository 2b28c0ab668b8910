"""Benchmark `inferstack policy check` over synthetic `pulumi stack export` checkpoints. Prints figures;
asserts nothing (not a timed test).

For 1k, 10k and 50k resources (by default) it writes a checkpoint generated deterministically from the
resource count (a mix of the types the packs cover and some they do not, with providers, parents,
dependencies, tags and secrets like a real stack), then runs the full `inferstack policy check --format
json` (the console-script entry point, report written to a file) in a fresh subprocess and reports wall
time of the command, CPU time of the command and of the whole subprocess (imports included; CPU time is
steadier than wall time on a shared machine), peak RSS (ru_maxrss of that subprocess) and wall time per
resource. The first line gives the load average while it ran.
Goal (issue 13): linear time, <= 10 s and <= 400 MB at 50k resources.

    .venv/bin/python benchmarks/policy_check.py [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
STACK = "prod"
PREFIX = f"urn:pulumi:{STACK}::legacy"
TAGS = {"owner": "ml-platform", "cost-center": "ml-1234", "environment": STACK}


def _secret(value: Any) -> dict[str, Any]:
    return {**SIG, "ciphertext": "v1:AAAA", "plaintext": json.dumps(value)}


def _resource(i: int, parent: str, provider: str, previous: str | None) -> dict[str, Any]:
    """Resource i of the synthetic stack: ten kinds in rotation, every fifth one non-compliant somewhere."""
    kind = i % 10
    bad = i % 5 == 0
    deps = [previous] if previous else []
    if kind == 0:
        type_, inputs = "aws:s3/bucket:Bucket", {"bucket": f"models-{i}", "tags": TAGS}
    elif kind == 1:
        type_, inputs = "aws:kms/key:Key", {"enableKeyRotation": not bad, "description": _secret(f"key {i}")}
    elif kind == 2:
        type_, inputs = "aws:sqs/queue:Queue", {"tags": TAGS}
    elif kind == 3:
        cidr = "0.0.0.0/0" if bad else "10.0.0.0/8"
        type_ = "aws:ec2/securityGroup:SecurityGroup"
        inputs = {"ingress": [{"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": [cidr]}], "tags": TAGS}
    elif kind == 4:
        type_, inputs = "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 0 if bad else 30, "tags": TAGS}
    elif kind == 5:
        type_ = "aws:iam/role:Role"
        inputs = {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": []}), "tags": TAGS}
    elif kind == 6:
        type_ = "kubernetes:apps/v1:Deployment"
        container = {"name": f"app-{i}", "image": "nvcr.io/nvidia/tritonserver:24.08-py3"}
        inputs = {
            "metadata": {"name": f"app-{i}", "namespace": "ml"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        }
    elif kind == 7:
        type_ = "aws:eks/nodeGroup:NodeGroup"
        inputs = {
            "instanceTypes": ["g6.xlarge"],
            "capacityType": "ON_DEMAND",
            "scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": 0},
            "tags": TAGS,
        }
    elif kind == 8:
        type_ = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
        inputs = {
            "productionVariants": [{"instanceType": "ml.g5.xlarge", "initialInstanceCount": 1}],
            "kmsKeyArn": None if bad else "arn:aws:kms:us-east-1:1:key/k",
            "tags": TAGS,
        }
    else:
        type_, inputs = "aws:budgets/budget:Budget", {"limitAmount": "1000", "notifications": []}
    name = f"r{i}"
    return {
        "urn": f"{PREFIX}::my:index:Service${type_}::{name}",
        "custom": True,
        "id": name,
        "type": type_,
        "parent": parent,
        "provider": provider,
        "dependencies": deps,
        "inputs": inputs,
        "outputs": {"arn": _secret(f"arn:aws:x:::{name}")},
    }


def synthetic_checkpoint(resources: int) -> dict[str, Any]:
    """A version-3 checkpoint with exactly `resources` resources (stack, providers, components included)."""
    stack_urn = f"{PREFIX}::pulumi:pulumi:Stack::legacy-{STACK}"
    out: list[dict[str, Any]] = [{"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}]
    providers = []
    for region in ("us-east-1", "us-west-2"):
        urn = f"{PREFIX}::pulumi:providers:aws::aws-{region}"
        out.append(
            {"urn": urn, "custom": True, "id": region, "type": "pulumi:providers:aws", "inputs": {"region": region}}
        )
        providers.append(f"{urn}::{region}")
    k8s = f"{PREFIX}::pulumi:providers:kubernetes::eks"
    out.append({"urn": k8s, "custom": True, "id": "k", "type": "pulumi:providers:kubernetes", "inputs": {}})
    i, previous = 0, None
    component = ""
    while len(out) < resources:
        if i % 50 == 0:  # a component every 50 resources, parent of the next 49
            component = f"{PREFIX}::my:index:Service::svc{i // 50}"
            out.append({"urn": component, "custom": False, "type": "my:index:Service", "parent": stack_urn})
            i += 1
            continue
        provider = f"{k8s}::k" if i % 10 == 6 else providers[i % 2]
        res = _resource(i, component, provider, previous)
        out.append(res)
        previous = res["urn"]
        i += 1
    return {"version": 3, "deployment": {"manifest": {"version": "v3.200.0"}, "resources": out[:resources]}}


def _child(path: str) -> None:
    """Run the console-script entry point in this (fresh) process, stdout to a file as in CI, and print one
    JSON line of figures (peak RSS read before this benchmark parses the report)."""
    sys.path.insert(0, str(ROOT))
    import contextlib

    from inferstack.cli import main as cli_main

    report_path = Path(path).with_suffix(".report.json")
    sys.argv = ["inferstack", "policy", "check", "--input", path, "--format", "json"]
    start, cpu_start = time.perf_counter(), time.process_time()
    with open(report_path, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        try:
            cli_main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    elapsed, cmd_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    print(
        json.dumps(
            {
                "exit": code,
                "s": elapsed,
                "cpu_s": usage.ru_utime + usage.ru_stime,  # the whole process, imports included
                "cmd_cpu_s": cmd_cpu,  # the command alone
                "rss_mb": usage.ru_maxrss / 1024,
                "resources": report["summary"]["resources"],
                "violations": len(report["violations"]),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, cpus: {os.cpu_count()}")
    print(
        f"{'resources':>10} {'time s':>8} {'cmd cpu s':>9} {'cpu s':>8} {'peak MB':>8} {'ms/res':>7} "
        f"{'violations':>10}  exit"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"checkpoint-{size}.json"
            path.write_text(json.dumps(synthetic_checkpoint(size)), encoding="utf-8")
            line = (
                subprocess.run(
                    [sys.executable, __file__, "--child", str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            fig = json.loads(line)
            print(
                f"{size:>10} {fig['s']:>8.2f} {fig['cmd_cpu_s']:>9.2f} {fig['cpu_s']:>8.2f} {fig['rss_mb']:>8.0f} "
                f"{1000 * fig['s'] / size:>7.3f} "
                f"{fig['violations']:>10}  {fig['exit']}"
            )


if __name__ == "__main__":
    main()

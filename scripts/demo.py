"""`make demo`: the whole model-package flow against a local moto server, in a throwaway project copy.

Starts `moto_server` on 127.0.0.1 (free port), creates what the deployed ModelRegistry would provide
(the convention-named bucket with SSE-KMS), then runs the real CLI: validate -> build -> publish
(versions 6 and 7) -> promote 6 before approval (refused) -> approve 6 -> promote 6 (a rollback of
dev from 7 to 6) -> `inferstack preview --env dev`, whose outputs show the promoted artifact.
The checkout's environments/ are never modified: everything runs in a temporary copy.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUCKET = "inferstack-dev-models-123456789012-us-east-1"  # moto's account id; the CLI derives the same name


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"moto_server did not listen on 127.0.0.1:{port}")


def _run(cwd: Path, env: dict[str, str], *args: str, expect: int = 0) -> None:
    print(f"\n$ inferstack {' '.join(args)}", flush=True)
    done = subprocess.run([str(BIN / "inferstack"), *args], cwd=cwd, env=env, check=False)
    if done.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect}, got {done.returncode}")


def main() -> int:
    port = _port()
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    work = Path(tempfile.mkdtemp(prefix="inferstack-demo-"))
    try:
        _wait(port)
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=url,
            AWS_ACCESS_KEY_ID="demo",
            AWS_SECRET_ACCESS_KEY="demo",
            AWS_DEFAULT_REGION="us-east-1",
        )
        print(f"moto server: {url}; project copy: {work}")
        for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
            shutil.copy2(ROOT / name, work / name)
        for name in ("environments", "model_packages", "stacks"):
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))

        session = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
        key = session.client("kms", endpoint_url=url).create_key()["KeyMetadata"]["Arn"]
        s3 = session.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
            },
        )
        print(f"created s3://{BUCKET} (SSE-KMS), standing in for the deployed ModelRegistry")

        pkg = "model_packages/fraud-scorer"
        _run(work, env, "package", "validate", pkg)
        for version in ("6", "7"):
            _run(work, env, "package", "build", pkg, "--version", version)
            _run(work, env, "package", "publish", pkg, "--version", version, "--env", "dev")
        _run(work, env, "package", "promote", "fraud-scorer", "--version", "6", "--env", "dev", expect=2)
        _run(work, env, "package", "approve", "fraud-scorer", "--version", "6", "--env", "dev", "--note", "demo")
        _run(work, env, "package", "promote", "fraud-scorer", "--version", "6", "--env", "dev")
        print("\n$ git diff --no-index environments/dev.yaml <copy>/environments/dev.yaml", flush=True)
        subprocess.run(
            ["git", "--no-pager", "diff", "--no-index", str(ROOT / "environments/dev.yaml"), "environments/dev.yaml"],
            cwd=work,
            check=False,
        )
        _run(work, env, "preview", "--env", "dev")
        print("\ndemo: fraud-scorer version 6 is promoted in dev (see model_artifacts above)")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

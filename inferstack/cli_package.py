"""`inferstack package ...`: validate, build, publish, approve and promote model packages.

Every failure prints one `error: ...` message (no traceback) and exits 2. AWS access follows
boto3's standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL); credentials are never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from inferstack.cli_options import current_project, markup_mode
from inferstack.errors import InputError
from inferstack.project import Project
from inferstack.text import plural

EXIT_INPUT = 2

package_app = typer.Typer(
    name="package",
    help="Model packages: validate, build, publish to S3 + SageMaker Model Registry, approve, promote.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=markup_mode(),
)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

PathArg = Annotated[str, typer.Argument(help="Package directory (model_packages/<name>) or package name.")]
NameArg = Annotated[str, typer.Argument(help="Package name, e.g. fraud-scorer.")]
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="Environment name (environments/<env>.yaml).")]
# `-V/--package-version/--version` (kept) name the package version. `-v` meant the same until 0.1 and still
# works, hidden and with a deprecation note: on most CLIs `-v` means --verbose, never --version.
VersionOpt = Annotated[
    int | None,
    typer.Option(
        "--version", "--package-version", "-V", help="Package version (default: the manifest's).", show_default=False
    ),
]
RequiredVersion = Annotated[
    int | None,
    typer.Option("--version", "--package-version", "-V", help="Package version. [required]", show_default=False),
]
LegacyV = Annotated[int | None, typer.Option("-v", hidden=True, help="Deprecated: use -V.")]


def _pick_version(version: int | None, legacy: int | None, *, required: bool) -> int | None:
    if legacy is not None:
        _err.print("warning: -v is deprecated for the package version; use -V or --package-version", markup=False)
        if version is None:
            version = legacy
    if version is None and required:
        _fail("missing option --package-version/-V; name the package version, e.g. -V 7")
    return version


@package_app.callback()
def _package_root(ctx: typer.Context) -> None:
    """Model packages: validate, build, publish to S3 + SageMaker Model Registry, approve, promote."""
    if ctx.invoked_subcommand is None:  # `inferstack package` alone: help, exit 0
        print(ctx.get_help())
        raise typer.Exit(0)


def _fail(message: str) -> NoReturn:
    _err.print(f"error: {message}", markup=False)
    raise typer.Exit(EXIT_INPUT)


def _clients(environment: Any) -> Any:
    """boto3 clients for the environment; a malformed endpoint variable is exit 2, not botocore's ValueError.

    The SDKs read AWS_ENDPOINT_URL and the per-service AWS_ENDPOINT_URL_<SERVICE>; valid values are "a URL
    including the scheme and host" (AWS SDKs and Tools Reference Guide, "Service-specific endpoints",
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html, read 2026-12-02). botocore
    raises a bare ValueError ("Invalid endpoint") for anything else, which used to be a traceback.
    """
    from urllib.parse import urlsplit

    from inferstack.packages import aws

    for var in sorted(v for v in os.environ if v == "AWS_ENDPOINT_URL" or v.startswith("AWS_ENDPOINT_URL_")):
        value = os.environ[var]
        try:
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            _ = parts.port  # raises ValueError for a port that is not a number or out of range
        except ValueError:
            ok = False
        if not ok:
            shown = value.split("@", 1)[-1]  # never echo user:password@
            shown = shown if len(shown) <= 60 else shown[:60] + "..."
            _fail(
                f"{var}={shown!r} ==> not an endpoint URL (scheme http or https, a host, optional port); "
                f"set it like http://127.0.0.1:5000 or unset {var}"
            )
    try:
        return aws.clients(environment)
    except ValueError as exc:  # botocore: "Invalid endpoint: ..."
        _fail(f"AWS endpoint configuration ==> {exc}; check AWS_ENDPOINT_URL* and the profile's endpoint_url")


def _warn_duplicates(model: str, group: str, registered: Any) -> None:
    from inferstack.packages.registry import duplicate_warning

    warning = duplicate_warning(model, group, registered)
    if warning is not None:
        _err.print(f"warning: {warning}", markup=False)


def _project() -> Project:
    try:
        return current_project()
    except InputError as exc:
        _fail(exc.message)


@package_app.command("validate")
def validate_cmd(path: PathArg) -> None:
    """Schema, config.pbtxt (Triton ModelConfig), ONNX graph, sample request on onnxruntime, GPU memory."""
    from inferstack.llm import checks as llm_checks
    from inferstack.packages.validate import resolve_package, validate_package

    try:
        project = _project()
        llm_name = llm_checks.llm_package_name(project, path)  # kind: llm (issue 16): files and the planner
        if llm_name is not None:
            for line in llm_checks.validate_llm_package(project, llm_name):
                print(f"  ok  {line}")
            print(f"ok: {llm_name} is valid (LLM package)")
            return
        ref = resolve_package(project, path)
        report = validate_package(ref)
    except InputError as exc:
        _fail(exc.message)
    for line in report.checks:
        print(f"  ok  {line}")
    versions = ref.versions()
    label = "version" if len(versions) == 1 else "versions"
    print(f"ok: {ref.name} is valid ({label} {', '.join(map(str, versions))})")


@package_app.command("build")
def build_cmd(
    path: PathArg,
    version: VersionOpt = None,
    dist: Annotated[Path | None, typer.Option(help="Output directory (default: dist/ in the project).")] = None,
    legacy_v: LegacyV = None,
) -> None:
    """Write dist/<name>-<version>.tar.gz (reproducible byte for byte) and its .sha256."""
    from inferstack.packages.build import build_package
    from inferstack.packages.validate import resolve_package

    version = _pick_version(version, legacy_v, required=False)
    if dist is not None and dist.exists() and not dist.is_dir():
        _fail(f"{dist} ==> --dist is a file; pass a directory for the archives (it is created when missing)")
    try:
        ref = resolve_package(_project(), path)
        result = build_package(ref, version, dist)
    except InputError as exc:
        _fail(exc.message)
    except OSError as exc:  # e.g. a read-only --dist, or a file where a parent directory should be
        where = exc.filename or dist or "dist/"
        _fail(f"{where} ==> cannot write the archive ({exc.strerror}); pass a writable --dist directory")
    print(
        f"built {ref.project.rel(result.path)} ({plural(result.size, 'byte')}, "
        f"{plural(len(result.members), 'entry', 'entries')})"
    )
    print(f"sha256 {result.sha256}")


@package_app.command("publish")
def publish_cmd(
    path: PathArg,
    env: EnvOpt,
    version: VersionOpt = None,
    bucket: Annotated[
        str | None,
        typer.Option(help="Artifact bucket (default: stack output model_bucket, else the naming convention)."),
    ] = None,
    kms_key_id: Annotated[
        str | None, typer.Option(help="KMS key for SSE-KMS (default: the bucket's default encryption key).")
    ] = None,
    legacy_v: LegacyV = None,
) -> None:
    """Upload the built archive (SSE-KMS) and register the version as PendingManualApproval."""
    from inferstack.config.loader import load_environment
    from inferstack.packages.publish import publish_package
    from inferstack.packages.validate import resolve_package

    version = _pick_version(version, legacy_v, required=False)
    try:
        project = _project()
        environment = load_environment(project, env)
        ref = resolve_package(project, path)
        result = publish_package(ref, environment, _clients(environment), version, bucket=bucket, kms_key_id=kms_key_id)
    except InputError as exc:
        _fail(exc.message)
    _warn_duplicates(result.model, result.group, result.registered)
    print(f"bucket {result.bucket} ({result.bucket_source})")
    for key in result.uploaded:
        print(f"  uploaded s3://{result.bucket}/{key}")
    registered = result.registered
    if result.unchanged:
        print(f"unchanged: {result.model} version {result.version} is already published with sha256 {result.sha256}")
    if registered is not None:
        print(
            f"{result.model} version {result.version} -> {registered.arn} (registry version "
            f"{registered.registry_version}, {registered.status})"
        )


@package_app.command("approve")
def approve_cmd(
    name: NameArg,
    env: EnvOpt,
    note: Annotated[str, typer.Option("--note", "-n", help="Approver note: what was checked, ticket, ...")],
    version: RequiredVersion = None,
    legacy_v: LegacyV = None,
) -> None:
    """Mark a published version Approved in the environment's model registry."""
    from inferstack.config.loader import load_environment
    from inferstack.packages.naming import package_group_name
    from inferstack.packages.registry import approve

    version = _pick_version(version, legacy_v, required=True)
    assert version is not None
    try:
        project = _project()
        environment = load_environment(project, env, check_packages=False)
        group = package_group_name(environment.name, name)
        result = approve(_clients(environment), group, name, version, environment.name, note)
    except InputError as exc:
        _fail(exc.message)
    _warn_duplicates(name, group, result.version)
    state = "approved" if result.changed else "already approved"
    print(f"{state}: {name} version {version} ({result.version.arn}) by {result.approver}")


@package_app.command("promote")
def promote_cmd(name: NameArg, env: EnvOpt, version: RequiredVersion = None, legacy_v: LegacyV = None) -> None:
    """Pin an Approved version (sha256 verified) in environments/ENV.yaml; rollback = promote an older one."""
    from inferstack.config.loader import load_environment
    from inferstack.packages.naming import package_group_name
    from inferstack.packages.promote import promote
    from inferstack.packages.validate import resolve_package

    version = _pick_version(version, legacy_v, required=True)
    assert version is not None
    try:
        project = _project()
        environment = load_environment(project, env)
        ref = resolve_package(project, name)
        result = promote(ref, environment, _clients(environment), version)
    except InputError as exc:
        _fail(exc.message)
    _warn_duplicates(name, package_group_name(environment.name, name), result.registered)
    rel = project.rel(result.path)
    if not result.changed:
        print(f"unchanged: {rel} already pins {name} version {version}")
        return
    kind = "rollback" if result.rollback else "promotion"
    print(
        f"{kind}: {rel} now pins {name} version {result.version} (was {result.previous}); sha256 of "
        f"{plural(result.verified, 'served object')} verified"
    )
    print(f"next: review the change and run: inferstack preview --env {env}")

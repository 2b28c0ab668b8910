"""The `inferstack` command line.

Exit codes (the contract, README "The inferstack CLI"): 0 ok, 1 mandatory policy violations only,
2 invalid input or usage (one message naming file, line:column, field, value and fix; no traceback),
3 internal error (one line naming the file that holds the traceback). `ContractGroup` enforces it for
every command, so a crash can never read as a policy failure.

JSON output goes to stdout (or --out) and never carries progress; progress shows on a terminal's
stderr only.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from inferstack.cli_options import EnvOpt, StackOpt, current_project, markup_mode, resolve_env, wrote
from inferstack.cli_package import package_app
from inferstack.errors import InputError
from inferstack.project import Project
from inferstack.text import plural

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
err = Console(stderr=True, highlight=False, soft_wrap=True)


def crash_log_dir() -> Path:
    """Where internal-error tracebacks go: $INFERSTACK_LOG_DIR, else <tmp>/inferstack."""
    return Path(os.environ.get("INFERSTACK_LOG_DIR") or Path(tempfile.gettempdir()) / "inferstack")


def report_internal_error(exc: BaseException) -> int:
    """Write the traceback to a private log file and print one line saying where; returns EXIT_INTERNAL.

    The line carries the exception type and the code location, never the exception's message, which
    may quote input values (secrets included)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    detail = "".join(traceback.format_exception(exc))
    try:
        log_dir = crash_log_dir()
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        fd, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".log", dir=log_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"inferstack {' '.join(sys.argv[1:])}\n{detail}")
        where_to = f"the traceback is in {name}"
    except OSError as log_exc:
        where_to = f"the traceback could not be written to {crash_log_dir()} ({log_exc.strerror})"
    err.print(
        f"internal error: inferstack crashed ({type(exc).__name__}{where}); {where_to}; "
        "please report it with that file",
        markup=False,
    )
    return EXIT_INTERNAL


class ContractGroup(TyperGroup):
    """The exit-code contract at the boundary: InputError -> 2 with its message, any other exception -> 3."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits, usage errors (2), aborts: click's own
            raise
        except InputError as exc:
            err.print(f"error: {exc.message}", markup=False)
            raise typer.Exit(EXIT_INPUT) from None
        except Exception as exc:
            raise typer.Exit(report_internal_error(exc)) from None


app = typer.Typer(
    cls=ContractGroup,
    name="inferstack",
    help="GPU model serving on AWS with Pulumi: offline preview, guardrails, costs, model packages.",
    invoke_without_command=True,  # bare `inferstack` prints help and exits 0 (see root() below)
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=markup_mode(),
)


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


@contextlib.contextmanager
def progress(message: str, enabled: bool = True) -> Iterator[None]:
    """A spinner on an interactive stderr; silent in pipes, CI logs and JSON runs."""
    if enabled and err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


def project_or_fail() -> Project:
    try:
        return current_project()
    except InputError as exc:
        fail(exc.message)


def target_or_fail(env: str | None, stack: str | None = None) -> tuple[Project, str, str | None]:
    """(project, environment, stack) from --env / --stack / INFERSTACK_ENV / the selected Pulumi stack."""
    try:
        project, target = resolve_env(env, stack)
    except InputError as exc:
        fail(exc.message)
    return project, target.env, target.stack


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("inferstack")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


@app.callback()
def root(
    ctx: typer.Context,
    show_version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the inferstack version and exit.", is_eager=True)
    ] = False,
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-C",
            help="Project directory (holding Pulumi.yaml and environments/). Default: $INFERSTACK_PROJECT, "
            "else found upward from the current directory.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """GPU model serving on AWS with Pulumi: offline preview, guardrails, costs, model packages."""
    from inferstack.cli_options import set_project_dir

    if show_version:
        print(f"inferstack {_version()}")
        raise typer.Exit(EXIT_OK)
    set_project_dir(project_dir)
    if ctx.invoked_subcommand is None:
        # Click 8.2+ exits 2 for `no_args_is_help`: it raises NoArgsIsHelpError, a UsageError, on purpose
        # (pallets/click#1489, CHANGES for 8.2.0, read 2026-12-02). We decide otherwise: a bare `inferstack`
        # asks for orientation and nothing can have gone wrong, so it prints the help and exits 0; scripts
        # that pass a wrong command still get exit 2.
        print(ctx.get_help())
        raise typer.Exit(EXIT_OK)


@app.command()
def validate() -> None:
    """Validate every environment file and model package manifest."""
    from inferstack.config.loader import load_all

    project = project_or_fail()
    envs, packages, errors = load_all(project)
    from inferstack.config.model_package import ModelPackage
    from inferstack.packages.validate import package_problems

    triton = {n: p for n, p in packages.items() if isinstance(p, ModelPackage)}
    errors += package_problems(project, sorted(triton))  # the checks of `package validate`, minus the ONNX run
    from inferstack.coldstart_checks import deployment_problems
    from inferstack.llm import checks as llm_checks

    errors += llm_checks.package_problems(project, sorted(set(packages) - set(triton)))
    for name in sorted(envs):  # model sizes SageMaker's timeouts or the GPU nodes' disks cannot hold
        errors += deployment_problems(project.root, envs[name], packages)  # sagemaker-llm: weights vs timeouts
        errors += llm_checks.deployment_problems(project, envs[name])  # the GPU memory planner
    if errors:
        for message in errors:
            err.print(f"error: {message}", markup=False)
        raise typer.Exit(EXIT_INPUT)
    print(
        f"ok: {plural(len(envs), 'environment')} ({', '.join(sorted(envs))}), "
        f"{plural(len(packages), 'model package')} ({', '.join(sorted(packages))})"
    )


@app.command()
def preview(
    env: EnvOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text, json or markdown.")] = Format.text,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    stack: StackOpt = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Base preview JSON: output the diff against it (PR comment).")
    ] = None,
) -> None:
    """Offline preview: run the real stack program under Pulumi's mock engine and report what it creates."""
    from inferstack.cli_cost import compare_output, load_base_preview
    from inferstack.config.loader import load_environment
    from inferstack.cost import previous_cost_settings
    from inferstack.outputs import check_output_file
    from inferstack.preview import has_mandatory_violation, render_markdown, render_text, run_preview, write_output

    project, env, stack = target_or_fail(env, stack)
    try:
        if out is not None:
            check_output_file(out, project)  # before the preview: a refused --out costs nothing
        base = load_base_preview(compare) if compare is not None else None
        if base is not None:
            from inferstack.prcomment import check_same_environment

            check_same_environment(base, env, str(compare))
        overrides = previous_cost_settings(base, str(compare)) if base is not None else None
        with progress(f"previewing {env} offline", enabled=fmt is not Format.json):
            result = run_preview(project, env, stack=stack, policy_overrides=overrides)
    except InputError as exc:
        fail(exc.message)
    if base is not None:
        text = compare_output(base, result, fmt.value, load_environment(project, env))
    elif fmt is Format.json:
        text = json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"
    elif fmt is Format.markdown:
        text = render_markdown(result)
    else:
        text = render_text(result, budget_usd=load_environment(project, env).monitoring.budget_monthly_usd)
    try:
        write_output(text, out)
    except InputError as exc:
        fail(exc.message)
    if out is not None:
        wrote(out, f"the {env} {'diff' if base is not None else 'preview'} ({fmt.value})")
    raise typer.Exit(EXIT_VIOLATIONS if has_mandatory_violation(result) else EXIT_OK)


@app.command()
def render(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for the manifests: new, empty, or written by an earlier render."),
    ],
    env: EnvOpt = None,
    stack: StackOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a non-empty directory render did not write (never project files).")
    ] = False,
) -> None:
    """Write every Kubernetes object the program registers as YAML and validate it against the schemas."""
    from inferstack.config.loader import load_environment
    from inferstack.outputs import check_output_dir
    from inferstack.preview import run_preview
    from inferstack.render import render as do_render

    project, env, _stack = target_or_fail(env, stack)
    try:
        check_output_dir(out, project, force)  # refuse before spending a preview on it
        environment = load_environment(project, env)
        with progress(f"rendering {env} manifests"):
            result = run_preview(project, env, evaluate_policies=False, estimate_cost=False)
        report = do_render(result, out, environment.cluster.kubernetes_version, project=project, force=force)
    except InputError as exc:
        fail(exc.message)
    version = environment.cluster.kubernetes_version
    print(f"wrote {plural(len(report.written), 'manifest')} to {out}")
    print(f"  schema-valid against Kubernetes {version}: {len(report.validated)}")
    for path, what in report.not_schema_checked:
        print(f"  not schema-checked (custom resource {what}): {path.name}")
    for release in report.helm_releases:
        print(f"  helm release (templated by Helm at deploy time): {release}")
    for path, why in report.invalid:
        err.print(f"error: {path} ==> invalid against Kubernetes {version}: {why}", markup=False)
    if report.invalid:
        raise typer.Exit(EXIT_INPUT)


from inferstack.cli_cost import register as _register_cost  # noqa: E402 - after the app and helpers exist

_register_cost(app)
from inferstack.cli_policy import register as _register_policy  # noqa: E402 - issue 6/9 commands

_register_policy(app)
from inferstack.cli_prcomment import register as _register_pr_comment  # noqa: E402 - one PR comment

_register_pr_comment(app)
app.add_typer(package_app, name="package")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; errors outside a command (none known) get the same contract."""
    # At exit, move every object to the collector's permanent generation: interpreter shutdown runs full
    # collections while it clears the modules, and after a preview each one rescans pulumi_aws's and
    # pulumi_kubernetes' classes to free nothing (1.2 of 4.4 CPU seconds of `preview --env prod`, measured
    # 2026-12-02). Only the collector skips them; atexit handlers, flushing and finalization run as before.
    atexit.unregister(gc.freeze)  # once, however often main() runs in one process
    atexit.register(gc.freeze)
    try:
        app(args=argv, prog_name="inferstack")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except InputError as exc:
        err.print(f"error: {exc.message}", markup=False)
        sys.exit(EXIT_INPUT)
    except Exception as exc:
        sys.exit(report_internal_error(exc))


if __name__ == "__main__":  # pragma: no cover
    main()

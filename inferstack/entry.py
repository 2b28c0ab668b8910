"""Console-script entry point: a clear message when the light install lacks the CLI's dependencies.

`pip install inferstack` is the light install for component users; the command line needs the `cli`
extra (`pip install 'inferstack[cli]'`). Without it, `inferstack` says so and exits 2 instead of
printing an ImportError traceback.
"""

from __future__ import annotations

import importlib.util
import sys

#: import name -> distribution, for the message (the cli extra in pyproject.toml).
CLI_MODULES = {"typer": "typer", "rich": "rich", "pydantic": "pydantic", "ruamel": "ruamel.yaml"}


def missing_cli_modules() -> list[str]:
    missing = []
    for mod, dist in CLI_MODULES.items():
        try:
            found = importlib.util.find_spec(mod) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(dist)
    return missing


def main() -> None:
    missing = missing_cli_modules()
    if missing:
        print(
            f"error: the inferstack command line needs the cli extra (missing: {', '.join(missing)}); "
            "install it with: pip install 'inferstack[cli]'",
            file=sys.stderr,
        )
        sys.exit(2)
    from inferstack.cli import main as cli_main

    cli_main()

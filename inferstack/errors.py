"""The error every input problem becomes (kept free of heavy imports: the CLI catches it everywhere)."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: the CLI prints the message (no traceback) and exits 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

"""Errors raised by the model-package commands."""

from __future__ import annotations

from inferstack.config.loader import InputError


class PackageError(InputError):
    """A package problem a person must fix; the message says what, where, the value and the fix."""


class AwsUnavailableError(PackageError):
    """AWS (or the endpoint in AWS_ENDPOINT_URL) could not be reached; the step can be rerun safely."""

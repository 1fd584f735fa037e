"""Why a monitoring run could not produce a verdict; the CLI maps each to its exit code."""

from __future__ import annotations


class BadArguments(ValueError):
    """An option's value is invalid (exit code 2); the message names the option and the rule."""


class InputUnusable(ValueError):
    """Logs, reference, model or feedback cannot be used (exit code 3); the message says why."""

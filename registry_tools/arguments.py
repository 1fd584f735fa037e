"""Checks of registry-tools' arguments, so that bad input is a usage error (exit 2) naming the
argument and the rule, not a registry error or a traceback from deep inside MLflow."""

from __future__ import annotations

import re

import typer

SHA256 = re.compile(r"[0-9a-f]{64}")


def version_number(value: str) -> str:
    """A model version as the registry numbers them: a positive integer ("07" means "7")."""
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        raise typer.BadParameter(f"{value!r} is not a version number (a positive integer, e.g. 3)")
    return str(int(value))


def optional_version_number(value: str | None) -> str | None:
    """`version_number` for an option that may be left out."""
    return None if value is None else version_number(value)


def sha256_digest(value: str) -> str:
    """A SHA-256 as the lineage tags record it: 64 hex digits (compared in lower case)."""
    digest = value.strip().lower()
    if not SHA256.fullmatch(digest):
        raise typer.BadParameter(f"{value!r} is not a SHA-256 (64 hexadecimal digits)")
    return digest

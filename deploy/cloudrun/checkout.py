"""The checkout being deployed: its folder and what git says of it (commit, branch)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class CheckoutError(ValueError):
    """Git cannot say what the checkout is; the message says what to pass instead."""


def git(*args: str) -> str:
    """`git ARGS` in the checkout, its stripped stdout (raises on a non-zero exit)."""
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()


def checkout_commit() -> str:
    """The checkout's commit (`git rev-parse HEAD`): the image tag when none is given."""
    try:
        return git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CheckoutError(f"cannot read the checkout's commit with git ({exc}); pass "
                            "--git-sha") from None

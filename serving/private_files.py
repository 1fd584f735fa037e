"""Create the prediction log's folders and files private to the service's user.

Prediction-log records hold ticket text (customer data), so what the service creates is
readable by its own user only: folders 0700, files 0600, set explicitly because a process
umask (often 022) would otherwise decide. Folders and files that already exist keep their
modes: an operator who prepared a shared folder chose that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, each 0700; raise `OSError` if that fails."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:  # created by another process meanwhile: not ours to change
            continue
        os.chmod(path, DIRECTORY_MODE)
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")


def open_private_append(path: Path) -> BinaryIO:
    """Open `path` for appending; a file created here is 0600. Raise `OSError` if it cannot."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.fchmod(descriptor, FILE_MODE)
    except FileExistsError:
        descriptor = os.open(path, flags)
    return os.fdopen(descriptor, "ab")


def check_writable_folder(folder: Path) -> None:
    """Create `folder` (0700) and prove a file can be created in it; raise `OSError` if not."""
    make_private_dirs(folder)
    probe = folder / f".write-probe-{os.getpid()}"
    open_private_append(probe).close()
    probe.unlink()

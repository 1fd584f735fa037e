"""Files the platform's processes create are not world-readable: umask 027 from the start.

Batch outputs, rejects, prediction logs and the tracking store hold ticket text (customer data).
With the usual umask 022 they would be created 0644, readable by every user of the machine;
every entry point (the command-line tools through `contracts.cli.run_cli`, gunicorn through its
`when_ready` hook) calls `restrict_new_files()` first, so files are created 0640 and folders 0750
(owner and group only). Files that must be the owner's alone (the prediction log, the embedded
SQLite store) set 0600 explicitly where they are created.
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o027


def restrict_new_files() -> int:
    """Set the process umask to 027 (files 0640, folders 0750); return the umask it replaced.

    Inherited by every child process (`mlflow run` steps, gunicorn workers, Spark).
    """
    return os.umask(PRIVATE_UMASK)

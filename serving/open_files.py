"""The process's open-files limit: every TCP connection a worker holds is one descriptor.

Linux's usual soft limit (1024) is below what MAX_CONNECTIONS (1000) plus the model's and the
log's files need, and a worker whose `accept` fails with EMFILE dies. So gunicorn lifts the soft
limit at start-up (inherited by the workers) up to the hard limit, and refuses to start when even
the hard limit is too low. The idle-connection probe and its test lift their own limit the same
way to hold thousands of client sockets.
"""

from __future__ import annotations

import resource

FILES_PER_WORKER = 128  # listeners, pipes, the model's and the log's files, with room to spare


class OpenFilesError(RuntimeError):
    """The hard limit is below what is needed."""


def raise_open_files_limit(needed: int) -> int:
    """Lift the soft RLIMIT_NOFILE to at least `needed` (never lowers it); return the new soft
    limit, or raise `OpenFilesError` when the hard limit does not allow `needed`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise OpenFilesError(f"open-files limit: {needed} descriptors needed (MAX_CONNECTIONS "
                             f"plus {FILES_PER_WORKER}), the hard limit is {hard}; lower "
                             "MAX_CONNECTIONS or raise the limit (ulimit -Hn)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed

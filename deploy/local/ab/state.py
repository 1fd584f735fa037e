"""The local rehearsal's state file (`state.json`): its revisions and their traffic.

Written atomically (a temporary file renamed over the old one) and only under the run folder's
lock, so two `ab` commands never interleave their changes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from contracts.traffic import Route

STATE_FILE = "state.json"
LOCK_FILE = "lock"


class LocalRevision(BaseModel):
    """A gunicorn server serving one model version on a loopback port."""

    name: str
    version: str = Field(pattern=r"^\d+$")
    port: int = Field(ge=1, le=65535)
    variant: str


class LocalState(BaseModel):
    """Every revision ever deployed locally (oldest first) and the current routes."""

    revisions: list[LocalRevision] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)

    def revision(self, name: str) -> LocalRevision:
        """The revision called `name` (KeyError if there is none)."""
        for revision in self.revisions:
            if revision.name == name:
                return revision
        raise KeyError(name)


def load_state(run_dir: Path) -> LocalState:
    """The saved state, or an empty one before the first `ab up`."""
    path = run_dir / STATE_FILE
    if not path.is_file():
        return LocalState()
    return LocalState.model_validate_json(path.read_bytes())


def save_state(run_dir: Path, state: LocalState) -> None:
    """Replace the state file atomically."""
    run_dir.mkdir(parents=True, exist_ok=True)
    temporary = run_dir / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    temporary.replace(run_dir / STATE_FILE)


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's exclusive lock (blocks while another `ab` command holds it)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

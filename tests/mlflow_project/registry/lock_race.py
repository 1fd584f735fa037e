"""One waiter of the registry-lock race test (`test_registry_lock.py`), importable on its own:
the race's processes load only this, MLflow and the lock, so they start quickly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from mlflow_project.registry import audit, naming
from mlflow_project.registry.lock import LockLost, LockTimeout, registry_lock

RACE_LEASE = 5.0  # each holder's stale_after: far above the milliseconds it holds the lock
RACE_WAIT = 60.0
RACE_POLL = 0.03


def hold_once(client: MlflowClient, model: str, marker: Path, who: str) -> str:
    """Take the lock and the marker (O_EXCL), check the lock and append an audit entry, as
    `moves.move_alias` does before its writes; what happened."""
    try:
        with registry_lock(client, model, holder=who, wait=RACE_WAIT, stale_after=RACE_LEASE,
                           poll=RACE_POLL) as lock:
            try:
                handle = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return "two holders"
            try:
                lock.ensure()
                audit.record(client, model, action=audit.PROMOTE, alias=naming.PRODUCTION,
                             from_version="1", to_version="1", actor=who, reason="race")
            finally:
                os.close(handle)
                os.unlink(marker)
        return "held"
    except LockLost:
        return "lost"
    except LockTimeout:
        return "timeout"
    except Exception as exc:  # reported as an outcome: the race test shows every one
        return f"error: {exc!r}"


def process_waiter(uri: str, model: str, marker: str, barrier: Any, results: Any,
                    trials: int, index: int) -> None:
    """A waiter in a process of its own: one attempt per trial, all starting together."""
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for trial in range(trials):
        barrier.wait()
        results.put(hold_once(client, model, Path(marker), f"process {index} trial {trial}"))

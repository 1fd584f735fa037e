"""One waiter of the registry-lock race test (`test_registry_lock.py`), importable on its own:
the race's processes load only this, MLflow and the lock, so they start quickly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlflow_project.registry import audit, naming
from mlflow_project.registry.lock import LockLost, LockTimeout, live_tickets, registry_lock

RACE_LEASE = 5.0  # each holder's stale_after: far above the milliseconds it holds the lock
RACE_WAIT = 60.0
RACE_POLL = 0.03
READY = "ready"  # what a waiter process reports once it has started, before its first trial


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
    results.put(READY)
    for trial in range(trials):
        barrier.wait()
        results.put(hold_once(client, model, Path(marker), f"process {index} trial {trial}"))


BREAKER_WAIT = 3.0  # each breaker's wait: the loser refuses after it, the holder still holds
BREAKER_LEASE = 60.0  # the holder's lease: far beyond the loser's wait, so it is never broken


def double_breaker(uri: str, model: str, crashed: Any, barriers: Any, results: Any,
                   rounds: int, index: int) -> None:
    """One of two processes breaking the same stale ticket (experiment `crashed.value`) each
    round.

    `barriers` are (start, broke, done, after): all start together; both breakers wait at
    `broke` right before deleting the stale ticket, so both delete it at once; each reports
    its outcome, then waits at `done` (the holder still holding) and at `after` (released).
    """
    start, broke, done, after = barriers
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    breaks: list[str] = []
    _delete_stale_together(client, crashed, broke, breaks)
    results.put(READY)
    for trial in range(rounds):
        start.wait()
        outcome = _contend(client, model, f"breaker {index} round {trial}", results, breaks,
                           done)
        if outcome is not None:
            results.put(outcome)
            done.wait()
        breaks.clear()
        after.wait()


def _contend(client: MlflowClient, model: str, who: str, results: Any, breaks: list[str],
             done: Any) -> dict[str, Any] | None:
    """Take the lock (wait BREAKER_WAIT); the holder reports and holds it until `done`, writing
    one audit entry; a refusal is returned for the caller to report."""
    try:
        with registry_lock(client, model, holder=who, wait=BREAKER_WAIT,
                           stale_after=BREAKER_LEASE, poll=RACE_POLL) as lock:
            mine = [t.number for t in live_tickets(client, model) if t.holder == who]
            results.put({"outcome": "held", "who": who, "held": lock.held(), "tickets": mine,
                         "breaks": list(breaks)})
            lock.ensure()
            audit.record(client, model, action=audit.PROMOTE, alias=naming.PRODUCTION,
                         from_version="1", to_version="1", actor=who, reason="double break")
            done.wait()
        return None
    except LockTimeout as exc:
        return {"outcome": "refused", "who": who, "message": str(exc), "breaks": list(breaks)}
    except Exception as exc:  # reported as an outcome: the test shows it
        return {"outcome": f"error: {exc!r}", "who": who, "breaks": list(breaks)}


def _delete_stale_together(client: MlflowClient, crashed: Any, broke: Any,
                           breaks: list[str]) -> None:
    """Make `client` wait at `broke` before deleting the stale ticket (the experiment id
    `crashed.value`), and note how each of its deletes of it ended (`deleted`, or the store's
    error code)."""
    delete = client.delete_experiment

    def delete_in_step(experiment_id: str) -> None:
        if int(experiment_id) != crashed.value:
            delete(experiment_id)
            return
        broke.wait()
        try:
            delete(experiment_id)
        except MlflowException as exc:
            breaks.append(str(exc.error_code))
            raise
        breaks.append("deleted")

    client.delete_experiment = delete_in_step  # type: ignore[method-assign]

"""A registry-wide mutex for alias moves, built on what every MLflow backend guarantees.

Registered-model names are unique in every store (SQLite, PostgreSQL, behind a tracking server),
so creating the registered model `<name>.lock` either succeeds for exactly one caller or fails
with RESOURCE_ALREADY_EXISTS. Holding the lock = that model exists; releasing = deleting it. A
lock older than `stale_after` (a crashed holder) is broken, and the break is said out loud.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

log = logging.getLogger(__name__)


class LockTimeout(RuntimeError):
    """Another alias move held the lock for longer than we were willing to wait."""


def lock_name(model_name: str) -> str:
    """The registered model that stands for the lock on `model_name`'s aliases."""
    return f"{model_name}.lock"


@contextmanager
def registry_lock(client: MlflowClient, model_name: str, *, holder: str, wait: float = 60.0,
                  stale_after: float = 600.0, poll: float = 0.25) -> Iterator[None]:
    """Hold the alias lock of `model_name` for the duration of the block.

    Waits up to `wait` seconds for another holder, then raises LockTimeout naming that holder.
    """
    name = lock_name(model_name)
    deadline = time.monotonic() + wait
    while not _try_acquire(client, name, holder):
        current = _holder(client, name)
        if current is not None and current[1] > stale_after:
            log.warning("breaking a stale lock %s held by %s for %.0f s", name, *current)
            _release(client, name)
            continue
        if time.monotonic() > deadline:
            who = f"{current[0]} for {current[1]:.0f} s" if current else "someone"
            raise LockTimeout(f"another alias move holds {name} ({who}); try again later")
        time.sleep(poll)
    try:
        yield
    finally:
        _release(client, name)


def _try_acquire(client: MlflowClient, name: str, holder: str) -> bool:
    try:
        client.create_registered_model(
            name, tags={"holder": holder, "since": datetime.now(UTC).isoformat()},
            description="Held while an alias of the model is being moved; see registry_tools.")
        return True
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_ALREADY_EXISTS":
            return False
        raise


def _holder(client: MlflowClient, name: str) -> tuple[str, float] | None:
    """(holder, seconds held) of the lock, or None if it vanished meanwhile."""
    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return None
    held = time.time() - (model.creation_timestamp or 0) / 1000
    return model.tags.get("holder", "unknown"), held


def _release(client: MlflowClient, name: str) -> None:
    try:
        client.delete_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise

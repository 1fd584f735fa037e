"""A training killed between registering its version and nominating it, and the run after it.

The real `mlflow run` training runs in its own process group on a SQLite store. The test holds
the registry lock (as a promotion in progress would), so the training, once it has registered
and gated its version, queues for the lock to point @challenger at it: it is frozen exactly
between "version registered" and "alias set". The test sees its ticket in the lock's queue and
SIGKILLs the whole process group there. The tests in this module run in order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from mlflow_project.registry import audit, naming
from mlflow_project.registry.lock import Ticket, live_tickets, registry_lock
from mlflow_project.registry.store import version_by_alias
from registry_tools.status import format_table, version_rows
from tests.support import REPO, Store

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"
DEAD_LEASE = 2  # TU_NOMINATE_LEASE_SECONDS of the killed run: its dead ticket breaks that soon
TRAINING_TIMEOUT = 300.0


def test_a_training_killed_before_its_alias_is_set_leaves_an_incomplete_unaliased_version(
        store: Store, tickets_csv: Path) -> None:
    client = store.client()
    client.create_registered_model(MODEL)  # the lock is on an existing model
    log = store.root / "killed-training.log"
    with registry_lock(client, MODEL, holder="test: a promotion in progress", wait=5), \
            log.open("w") as output:
        training = subprocess.Popen(
            store.train_command(tickets_csv), cwd=REPO, stdout=output, stderr=output,
            env={**store.env, "TU_NOMINATE_LEASE_SECONDS": str(DEAD_LEASE)},
            start_new_session=True)
        try:
            dead = _nomination_in_queue(client, training, log)
        finally:
            os.killpg(training.pid, signal.SIGKILL)
            training.wait(30)
    assert training.returncode == -signal.SIGKILL
    assert dead.holder == "integration-test: nominate v1"
    assert store.versions() == ["1"]
    version = client.get_model_version(MODEL, "1")
    assert version.tags[naming.TAG_TRAINING_STATUS] == naming.TRAINING_REGISTERING
    assert version.tags[naming.TAG_VALIDATION_STATUS] == naming.STATUS_PASSED  # it was gated
    assert version_by_alias(client, MODEL, naming.CHALLENGER) is None
    assert client.get_registered_model(MODEL).aliases == {}
    assert not any(key.startswith("alias.") for key in version.tags)
    assert audit.entries(client, MODEL) == []
    assert live_tickets(client, MODEL) == [dead]  # the killed run's ticket is still queued


def test_the_next_run_breaks_the_dead_ticket_and_nominates_a_fresh_complete_version(
        store: Store, tickets_csv: Path) -> None:
    result = store.train(tickets_csv)  # the same inputs as the killed run
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"registered {MODEL} version 2" in result.stdout
    assert "gate: passed" in result.stdout
    assert "version(s) 1 of ticket_urgency with the same inputs never completed" in result.stderr
    client = store.client()
    assert store.versions() == ["1", "2"]
    challenger = version_by_alias(client, MODEL, naming.CHALLENGER)
    assert challenger is not None
    assert str(challenger.version) == "2"
    assert challenger.tags[naming.TAG_TRAINING_STATUS] == naming.TRAINING_COMPLETE
    killed = client.get_model_version(MODEL, "1")
    assert killed.tags[naming.TAG_TRAINING_STATUS] == naming.TRAINING_REGISTERING
    assert killed.tags[naming.TAG_FINGERPRINT] == challenger.tags[naming.TAG_FINGERPRINT]
    assert [(e.action, e.to_version) for e in audit.entries(client, MODEL)] == [
        (audit.NOMINATE, "2")]
    assert live_tickets(client, MODEL) == []
    rows = version_rows(client, MODEL)
    assert [(row["version"], row["training"]) for row in rows] == [
        ("2", naming.TRAINING_COMPLETE), ("1", naming.TRAINING_REGISTERING)]
    header, *lines = format_table(rows).splitlines()
    assert header.split()[:4] == ["version", "aliases", "validation", "training"]
    assert lines[1].split()[:3] == ["1", "passed", naming.TRAINING_REGISTERING]  # no alias


def test_a_later_run_with_the_same_inputs_counts_the_complete_version_only(
        store: Store, tickets_csv: Path) -> None:
    result = store.train(tickets_csv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same data, code and parameters as version 2; nothing new registered" in result.stdout
    assert store.versions() == ["1", "2"]


def _nomination_in_queue(client: MlflowClient, training: subprocess.Popen[bytes],
                         log: Path) -> Ticket:
    """The training's ticket once it queues for the lock to nominate its version."""
    deadline = time.monotonic() + TRAINING_TIMEOUT
    while time.monotonic() < deadline:
        if training.poll() is not None:
            pytest.fail(f"the training ended before nominating: {log.read_text()[-3000:]}")
        queued = [t for t in live_tickets(client, MODEL) if ": nominate v" in t.holder]
        if queued:
            return queued[0]
        time.sleep(0.2)
    pytest.fail(f"the training did not queue a nomination in {TRAINING_TIMEOUT:g} s")

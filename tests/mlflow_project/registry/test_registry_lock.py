"""The registry lock and the audited alias moves against real stores: SQLite, PostgreSQL, and
PostgreSQL behind a real `mlflow server`.

The race test starts many waiters at once (threads and processes) behind a ticket left by a
crashed holder, over many trials: each holder takes an O_EXCL marker file while it holds the lock
and writes one audit entry, so two holders at once would show as a marker collision or as a
repeated or missing audit number.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException
from typer.testing import CliRunner

from deploy.registry_tools_cli import app
from mlflow_project.registry import audit, moves, naming
from mlflow_project.registry.gate import GatePolicy
from mlflow_project.registry.lock import (
    LockLost,
    LockTimeout,
    Ticket,
    highest_number,
    live_tickets,
    registry_lock,
    ticket_name,
)
from registry_tools.ab.registry import promote_through_gate, read_view
from registry_tools.promotion import promote, rollback
from tests.mlflow_project.registry.lock_race import (
    BREAKER_WAIT,
    RACE_WAIT,
    READY,
    double_breaker,
    hold_once,
    process_waiter,
)
from tests.support import make_store

pytestmark = pytest.mark.integration

VERSION_SOURCE = "lock-tests:/model"  # the registry never opens it: versions here are not loaded
CRASHED_LEASE = 0.2  # the lease the crashed holder's ticket declared
DOUBLE_BREAK_ROUNDS = 3
WORKER_START = 300.0  # seconds a spawned waiter process may take to start


def _client(uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture(scope="module")
def sqlite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_store(tmp_path_factory.mktemp("lock-sqlite")).uri


@pytest.fixture(params=["sqlite", "postgresql", "rest"])
def any_store(request: pytest.FixtureRequest) -> str:
    """The URI of each kind of store the lock must work on."""
    fixture = {"sqlite": "sqlite_uri", "postgresql": "postgres_uri", "rest": "server_uri"}
    return str(request.getfixturevalue(fixture[request.param]))


def _model(client: MlflowClient, versions: int = 1) -> str:
    """A registered model of its own for one test, with `versions` versions that passed."""
    name = f"lock_test_{uuid.uuid4().hex[:10]}"
    client.create_registered_model(name)
    for _ in range(versions):
        client.create_model_version(
            name, VERSION_SOURCE, await_creation_for=0,
            tags={naming.TAG_VALIDATION_STATUS: naming.STATUS_PASSED})
    return name


def _crashed_ticket(client: MlflowClient, model: str, *, lease: float) -> Ticket:
    """The ticket a holder that crashed would have left, declaring a lease of `lease` s."""
    number = highest_number(client, model) + 1
    experiment_id = client.create_experiment(
        ticket_name(model, number),
        tags={"holder": "crashed", "token": uuid.uuid4().hex, "lease_seconds": str(lease),
              "wait_seconds": "0"})
    return Ticket.of(client.get_experiment(experiment_id), number)


def _await_ready(workers: list[Any], results: Any, timeout: float = WORKER_START) -> None:
    """Wait until every worker process has started (spawned interpreters import MLflow: slow on
    a busy machine), so the trials' barriers time only the race; a worker that died says so."""
    deadline = time.monotonic() + timeout
    ready = 0
    while ready < len(workers):
        dead = [w.exitcode for w in workers if w.exitcode is not None]
        assert not dead, f"a waiter process exited with {dead} before its first trial"
        assert time.monotonic() < deadline, f"{ready} of {len(workers)} waiters started in " \
                                            f"{timeout:g} s"
        with suppress(queue.Empty):
            assert results.get(timeout=1) == READY
            ready += 1


def _in_thread(target: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    """Run `target` in a started thread; its exception, if any, lands in the returned list."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_the_lock_queues_times_out_and_breaks_stale_tickets_on_every_store(
        any_store: str) -> None:
    client = _client(any_store)
    model = _model(client)
    with registry_lock(client, model, holder="first holder", wait=5, poll=0.05) as lock:
        assert lock.held()
        (ticket,) = live_tickets(client, model)
        assert ticket.holder == "first holder"
        with pytest.raises(LockTimeout, match="first holder"), \
                registry_lock(client, model, holder="impatient", wait=0.3, poll=0.05):
            pass
        assert live_tickets(client, model) == [ticket]  # the waiter took its ticket away
    assert live_tickets(client, model) == []
    crashed = _crashed_ticket(client, model, lease=0.1)
    assert crashed.number > ticket.number
    with registry_lock(client, model, holder="breaker", wait=5, poll=0.05) as lock:
        (mine,) = live_tickets(client, model)
        assert mine.number > crashed.number  # numbers grow and are never reused
        assert lock.held()
    with pytest.raises(MlflowException) as deleted:
        client.delete_experiment(crashed.experiment_id)
    assert deleted.value.error_code == "RESOURCE_DOES_NOT_EXIST"  # deleting twice: not found
    # The tickets are experiments: no registered model, no version and no model tag for them.
    assert [m.name for m in client.search_registered_models(f"name LIKE '{model}%'")] == [model]
    assert client.get_registered_model(model).tags == {}
    assert {e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)} >= {
        ticket_name(model, n) for n in (ticket.number, crashed.number, mine.number)}


def test_a_ticket_left_by_a_crash_long_ago_is_broken_at_once(
        postgres_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(postgres_uri)
    model = _model(client)
    an_hour_ago = int((time.time() - 3600) * 1000)
    with monkeypatch.context() as back_then:
        back_then.setattr("mlflow.store.tracking.sqlalchemy_store.get_current_time_millis",
                          lambda: an_hour_ago)
        _crashed_ticket(client, model, lease=600)
    started = time.monotonic()
    with registry_lock(client, model, holder="next day", wait=5, poll=0.05):
        pass
    assert time.monotonic() - started < 3


def test_a_holder_past_its_lease_loses_the_lock_and_releases_only_its_own_ticket(
        postgres_uri: str) -> None:
    client = _client(postgres_uri)
    model = _model(client)
    second_holds = threading.Event()
    first_released = threading.Event()
    second_saw: list[bool] = []

    def second() -> None:
        with registry_lock(client, model, holder="second", wait=10, poll=0.02) as lock:
            second_holds.set()
            assert first_released.wait(10)
            second_saw.append(lock.held())

    with registry_lock(client, model, holder="slow first", stale_after=0.3, poll=0.02) as slow:
        thread, errors = _in_thread(second)
        assert second_holds.wait(10)  # broke the slow holder's ticket once its lease ended
        assert not slow.held()
        with pytest.raises(LockLost, match="slow first"):
            moves.move_alias(client, slow, model, naming.PRODUCTION, "1",
                             action=audit.PROMOTE, actor="slow first", reason="too late")
    first_released.set()
    thread.join(10)
    assert errors == []
    assert second_saw == [True]  # the slow holder's release left the second holder's ticket
    assert live_tickets(client, model) == []
    assert audit.entries(client, model) == []  # the lost holder wrote nothing


def test_a_timeout_names_the_holder_and_leaves_no_ticket(postgres_uri: str) -> None:
    client = _client(postgres_uri)
    model = _model(client)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with registry_lock(client, model, holder="ops: promote v7"):
            holding.set()
            release.wait(10)

    thread, errors = _in_thread(hold)
    assert holding.wait(10)
    with pytest.raises(LockTimeout, match=r"ops: promote v7 \(ticket \d+, taken \d+ s ago\)"), \
            registry_lock(client, model, holder="waiter", wait=0.5, poll=0.05):
        pass
    assert [t.holder for t in live_tickets(client, model)] == ["ops: promote v7"]
    release.set()
    thread.join(10)
    assert errors == []
    assert live_tickets(client, model) == []


def _race(uri: str, marker: Path, *, trials: int, threads: int, processes: int) -> Counter[str]:
    """Outcomes of `trials` rounds of threads + processes racing behind a crashed ticket."""
    client = _client(uri)
    model = _model(client)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(threads + processes + 1, timeout=120)
    results = spawn.Queue()
    workers = [spawn.Process(target=process_waiter,
                             args=(uri, model, str(marker), barrier, results, trials, index))
               for index in range(processes)]
    for worker in workers:
        worker.start()
    outcomes: Counter[str] = Counter()
    try:
        _await_ready(workers, results)
        for trial in range(trials):
            _crashed_ticket(client, model, lease=CRASHED_LEASE)
            found: list[str] = []

            def waiter(index: int, trial: int = trial, found: list[str] = found) -> None:
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:  # an outcome, not a thread's traceback
                    found.append("never started: the trial's barrier broke")
                    return
                found.append(hold_once(client, model, marker, f"thread {index} trial {trial}"))

            pool = [threading.Thread(target=waiter, args=(index,)) for index in range(threads)]
            for thread in pool:
                thread.start()
            barrier.wait()
            for thread in pool:
                thread.join(RACE_WAIT + 30)
            found += [results.get(timeout=RACE_WAIT + 30) for _ in range(processes)]
            outcomes.update(found)
            assert live_tickets(client, model) == [], f"trial {trial}: tickets left behind"
    finally:
        barrier.abort()  # a failed trial releases whoever still waits (after the last, a no-op)
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    sequences = [entry.sequence for entry in audit.entries(client, model)]
    assert sequences == list(range(1, outcomes["held"] + 1)), "audit numbers repeated or lost"
    return outcomes


@pytest.mark.parametrize(("store_fixture", "trials", "threads", "processes"), [
    ("postgres_uri", 20, 6, 2),
    ("server_uri", 4, 5, 1),
    ("sqlite_uri", 4, 5, 1),
])
def test_many_waiters_behind_a_stale_ticket_never_hold_the_lock_together(
        request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        store_fixture: str, trials: int, threads: int, processes: int) -> None:
    uri = str(request.getfixturevalue(store_fixture))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="mlflow_project.registry.lock"):
        outcomes = _race(uri, tmp_path / "holder", trials=trials, threads=threads,
                         processes=processes)
    breaks = sum("breaking the stale ticket" in r.getMessage() for r in caplog.records)
    print(f"{store_fixture}: {trials} trials x {threads + processes} waiters: {dict(outcomes)}; "
          f"{breaks} breaks of {trials} crashed tickets by threads; "
          f"{time.monotonic() - started:.1f} s")
    # Every waiter held once, behind a crashed ticket no one releases: each trial's stale ticket
    # was broken (by a thread or a process; only threads' breaks are in `caplog`).
    assert outcomes == Counter({"held": trials * (threads + processes)})


def test_every_kind_of_alias_move_writes_one_audit_entry(
        postgres_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(postgres_uri)
    model = _model(client, versions=2)
    policy = GatePolicy()
    assert moves.nominate_challenger(client, model, "1", actor="trainer",
                                     reason="passed the absolute bars") is None
    promote(client, model, "1", actor="ops", reason="first", policy=policy)
    moves.nominate_challenger(client, model, "2", actor="trainer", reason="passed against v1")
    client.set_model_version_tag(model, "2", naming.TAG_GATE_BASELINE_VERSION, "1")
    promote_through_gate(client, read_view(client, model), "2", actor="ab",
                         reason="won its A/B test", policy=policy, force=False)
    rollback(client, model, actor="oncall", reason="bad latency")
    trail = audit.entries(client, model)
    assert [(e.sequence, e.action, e.alias, e.from_version, e.to_version, e.actor)
            for e in trail] == [
        (1, "nominate", "challenger", None, "1", "trainer"),
        (2, "promote", "production", None, "1", "ops"),
        (3, "clear", "challenger", "1", None, "ops"),
        (4, "nominate", "challenger", None, "2", "trainer"),
        (5, "promote", "production", "1", "2", "ab"),
        (6, "clear", "challenger", "2", None, "ab"),
        (7, "rollback", "production", "2", "1", "oncall"),
    ]
    assert audit.previous_production(trail[:6], naming.PRODUCTION) == "1"  # challenger skipped
    assert audit.previous_production(trail, naming.PRODUCTION) is None  # v1 served first
    described = client.get_model_version(model, "2").description
    assert "**Challenger**: @challenger removed by ab at " in described
    assert "**Production**: @production moved on to v1 by oncall at " in described
    assert "audit." not in "".join(client.get_registered_model(model).tags)  # not on the model
    audit_experiment = client.get_experiment_by_name(audit.experiment_name(model))
    assert audit_experiment is not None
    [trail_run] = client.search_runs([audit_experiment.experiment_id])
    assert len([k for k in trail_run.data.tags if k.startswith("audit.")]) == 7
    assert live_tickets(client, model) == []
    lines = _history(monkeypatch, postgres_uri, model).splitlines()
    assert "nominate @challenger: - -> v1  by trainer  (passed the absolute bars)" in lines[0]
    assert "clear    @challenger: v1 -> -  by ops  (v1 was promoted to production)" in lines[2]
    assert "rollback @production: v2 -> v1  by oncall  (bad latency)" in lines[6]
    assert json.loads(_history(monkeypatch, postgres_uri, model, "--json"))[2]["to_version"] is None


def _history(monkeypatch: pytest.MonkeyPatch, uri: str, model: str, *args: str) -> str:
    """What `registry-tools history ARGS` prints for `model` in the store at `uri`."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("TU_MODEL_NAME", model)
    result = CliRunner().invoke(app, ["history", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_two_processes_breaking_one_stale_ticket_at_once_leave_exactly_one_holder(
        postgres_uri: str) -> None:
    """Each round, two processes find the same crashed ticket stale and delete it at the same
    instant (both wait at a barrier right before the delete): exactly one of them holds the lock,
    the other waits its `wait` and refuses naming the holder, and nothing is left behind."""
    client = _client(postgres_uri)
    model = _model(client)
    spawn = multiprocessing.get_context("spawn")
    start, done, after = (spawn.Barrier(3, timeout=120) for _ in range(3))
    broke = spawn.Barrier(2, timeout=60)
    crashed = spawn.Value("i", 0)
    results = spawn.Queue()
    workers = [spawn.Process(target=double_breaker,
                             args=(postgres_uri, model, crashed, (start, broke, done, after),
                                   results, DOUBLE_BREAK_ROUNDS, index)) for index in range(2)]
    for worker in workers:
        worker.start()
    try:
        _await_ready(workers, results)
        for trial in range(DOUBLE_BREAK_ROUNDS):
            crashed.value = int(_crashed_ticket(client, model, lease=CRASHED_LEASE).experiment_id)
            start.wait()
            held, refused = sorted((results.get(timeout=60) for _ in range(2)),
                                   key=lambda outcome: outcome["outcome"])
            assert (held["outcome"], refused["outcome"]) == ("held", "refused"), (held, refused)
            # Both deleted the stale ticket at once: each delete went through or found it gone.
            assert len(held["breaks"]) == len(refused["breaks"]) == 1, (held, refused)
            assert set(held["breaks"] + refused["breaks"]) <= {"deleted",
                                                                "RESOURCE_DOES_NOT_EXIST"}
            assert held["held"] is True
            (ticket,) = held["tickets"]
            assert f"{held['who']} (ticket {ticket}, taken" in refused["message"]
            assert f"gave up after {BREAKER_WAIT:g} s" in refused["message"]
            assert [t.number for t in live_tickets(client, model)] == [ticket], trial
            done.wait()
            after.wait()
            assert live_tickets(client, model) == [], f"round {trial}: tickets left behind"
            with pytest.raises(MlflowException) as gone:
                client.delete_experiment(str(crashed.value))
            assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    finally:
        for barrier in (start, broke, done, after):
            barrier.abort()  # a failed round releases the workers (after the last, a no-op)
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert [entry.sequence for entry in audit.entries(client, model)] == list(
        range(1, DOUBLE_BREAK_ROUNDS + 1))  # one holder, one audit entry, per round

"""The registry lock: one alias mover at a time per registered model, on every MLflow store.

A ticket lock whose tickets are experiments named `<model>.lock.000000042` (zero-padded
numbers), not a registered model: `registered models` lists only the models themselves. To wait
for the lock a process creates the next-numbered ticket experiment; the owner of the lowest live
ticket holds the lock; releasing deletes exactly the owner's own ticket. It rests on three
properties of MLflow 3's `SqlAlchemyStore` (`store/tracking/sqlalchemy_store.py`), which serves
SQLite and PostgreSQL directly and behind `mlflow server` (whose REST handler passes `create`,
`delete` and `search` of experiments straight to it):

1. A new ticket's number is higher than every ticket's created before it: a waiter creates
   number (highest number ever taken, deleted tickets included) + 1, and experiment names are
   unique (a database constraint), so a racing creator of the same number fails with
   RESOURCE_ALREADY_EXISTS and tries the next. As deleting an experiment keeps its name, the
   numbers taken are always 1..N without a gap, and a creation succeeds only as N + 1.
2. A deleted ticket stays deleted and its number is never reused: `delete_experiment` only marks
   the experiment deleted; an ACTIVE_ONLY search skips it, deleting it again answers
   RESOURCE_DOES_NOT_EXIST. (`mlflow gc` on ticket experiments would free their names and, on
   SQLite, their ids: do not run it on `*.lock.*` experiments while alias moves may run.)
3. One `search_experiments` is one consistent snapshot of the live tickets.

The tickets sit in a clearly separate place of their own: the experiments list shows a live
ticket only while its move runs, deleted tickets are under "deleted experiments" (`mlflow gc`
removes them when no move runs), and they never appear among registered models, model versions
or the model's tags.

So at any moment exactly one live ticket is lowest, and a ticket stops being lowest only when
it is deleted: released by its owner, or broken as stale. Breaking deletes one specific ticket,
so waiters that break the same stale ticket at once all delete that one (the late ones get
not-found) and never the next holder's. A waiter whose own ticket was broken notices (it is no
longer live) and takes a new one; on timeout, or any error, a waiter deletes its own ticket.

Staleness is a lease the holder keeps to, chosen so that no one breaks a ticket before its
owner's lease has ended. Each ticket carries its owner's `lease_seconds` (stale_after) and
`wait_seconds`. A waiter breaks the lowest ticket when
- it has itself seen that ticket be lowest for `lease_seconds` (its own monotonic clock: no
  clocks are compared), or
- the ticket was created more than wait + lease + CLOCK_SKEW seconds ago (a holder that crashed
  long before anyone waited; this compares the store's clock with the waiter's).
The owner counts its lease from the start of its last read that did not find its ticket lowest
(the ticket became lowest after that read began, so before any waiter saw it lowest), and never
later than its wait deadline; so its lease ends before either rule lets anyone break the ticket.

What is left: `RegistryLock.held()` checks, right before the caller writes, that the ticket is
live and lowest and that a write allowance of the lease remains; writes that take longer than
that allowance after the check (a stalled process or request) can land after the lease ended and
after a waiter broke the ticket. The lease is stale_after (default 10 min) against writes of
milliseconds, so this needs a stall of minutes. A store read from a lagging replica (MLflow's
`read_db_uri`) eats into the allowance by its lag. A holder that overran its lease is reported
when it releases.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.entities import Experiment, ViewType
from mlflow.exceptions import MlflowException

from mlflow_project.runs import experiment_location
from mlflow_project.tracking_store import unreachable_server

log = logging.getLogger(__name__)

NUMBER_DIGITS = 9
CLOCK_SKEW = 60.0  # seconds the store's clock and a waiter's may differ by
WRITE_ALLOWANCE = 30.0  # seconds of lease `held()` leaves for the writes after it (at most half)
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
TAKEN = "RESOURCE_ALREADY_EXISTS"
CREATE_ATTEMPTS = 20  # ticket creations that collided (or failed) in a row before giving up
TAG_HOLDER = "holder"
TAG_TOKEN = "token"
TAG_LEASE = "lease_seconds"
TAG_WAIT = "wait_seconds"
TAG_SINCE = "since"


class LockTimeout(RuntimeError):
    """Another alias move held the lock for longer than we were willing to wait."""


class LockLost(LockTimeout):
    """The holder's lease ran out (or its ticket was broken as stale) before it wrote."""


@dataclass(frozen=True)
class Ticket:
    """A live ticket of a registry lock: its number, owner and the lease it declared."""

    number: int
    experiment_id: str
    holder: str
    token: str
    created_ms: int
    lease: float | None
    wait: float | None

    @classmethod
    def of(cls, experiment: Experiment, number: int) -> Ticket:
        """The ticket a ticket experiment (numbered `number`) stands for."""
        tags = experiment.tags
        return cls(number=number, experiment_id=str(experiment.experiment_id),
                   holder=tags.get(TAG_HOLDER, "unknown"), token=tags.get(TAG_TOKEN, ""),
                   created_ms=int(experiment.creation_time or 0),
                   lease=_seconds(tags.get(TAG_LEASE)), wait=_seconds(tags.get(TAG_WAIT)))

    def age(self) -> float:
        """Seconds since the ticket was taken (by the store's clock against ours)."""
        return time.time() - self.created_ms / 1000


def ticket_prefix(model_name: str) -> str:
    """What the names of the ticket experiments of the lock on `model_name` start with."""
    return f"{model_name}.lock."


def ticket_name(model_name: str, number: int) -> str:
    """The name of ticket `number` of the lock on `model_name`."""
    return f"{ticket_prefix(model_name)}{number:0{NUMBER_DIGITS}d}"


def live_tickets(client: MlflowClient, model_name: str) -> list[Ticket]:
    """The live tickets of `model_name`'s lock, lowest (the holder's) first (none: no move)."""
    found = client.search_experiments(view_type=ViewType.ACTIVE_ONLY,
                                      filter_string=_name_like(model_name))
    tickets = [Ticket.of(e, number) for e in found
               if (number := _number(model_name, e.name)) is not None]
    return sorted(tickets, key=lambda t: t.number)


def highest_number(client: MlflowClient, model_name: str) -> int:
    """The highest ticket number ever taken on `model_name`'s lock, deleted ones included."""
    page_token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=100,
                                         filter_string=_name_like(model_name),
                                         order_by=["name DESC"], page_token=page_token)
        for experiment in page:  # LIKE's `_` matches any character: the first exact match
            number = _number(model_name, experiment.name)
            if number is not None:
                return number
        page_token = page.token
        if not page_token:
            return 0


class RegistryLock:
    """One process's hold on (or wait for) the lock of a registered model's aliases."""

    def __init__(self, client: MlflowClient, model_name: str, *, holder: str,
                 stale_after: float) -> None:
        self.client = client
        self.model_name = model_name
        self.holder = holder
        self.stale_after = stale_after
        self._token = uuid.uuid4().hex
        self._lease_end: float | None = None  # monotonic; set while held

    @property
    def name(self) -> str:
        """The lock's name in messages: `<model>.lock`."""
        return ticket_prefix(self.model_name).rstrip(".")

    def held(self) -> bool:
        """True if our ticket is live and lowest and a write allowance of our lease remains.

        Call it right before writing under the lock: it reads the registry once.
        """
        if self._lease_end is None:
            return False
        live = live_tickets(self.client, self.model_name)
        return bool(live) and live[0].token == self._token and self._remaining() > self._allowance()

    def ensure(self) -> None:
        """Raise LockLost unless `held()`: a caller that lost the lock must not write."""
        if not self.held():
            raise LockLost(f"{self.holder!r} no longer holds {self.name}: its lease of "
                           f"{self.stale_after:g} s ran out or its ticket was broken as stale; "
                           "nothing more was written, try again")

    def acquire(self, *, wait: float, poll: float) -> None:
        """Wait up to `wait` seconds to hold the lock; LockTimeout names the holder.

        On failure our ticket is deleted, best effort; not when the store is unreachable (the
        deletion would only wait out MLflow's retries again): a ticket a dead server may have
        created is broken as stale when its lease ends.
        """
        deadline = time.monotonic() + wait
        try:
            self._wait_for_turn(deadline, wait, poll)
        except BaseException as exc:
            if not unreachable_server(exc):
                with suppress(MlflowException):  # the registry may be why we failed
                    self._delete_mine()
            raise

    def release(self) -> None:
        """Delete our ticket (only ours), saying so if our lease ran out while we held it."""
        mine = [t for t in live_tickets(self.client, self.model_name) if t.token == self._token]
        if self._lease_end is not None and (not mine or self._remaining() <= 0):
            log.warning("%r held %s beyond its lease of %g s (ticket %s); another mover may "
                        "have started meanwhile", self.holder, self.name, self.stale_after,
                        "broken as stale" if not mine else "still live")
        self._lease_end = None
        for ticket in mine:
            self._delete(ticket)

    def _wait_for_turn(self, deadline: float, wait: float, poll: float) -> None:
        """Take a ticket and poll until it is the lowest; break stale tickets ahead of it.

        A model that does not exist raises RESOURCE_DOES_NOT_EXIST naming it, and gets no lock.
        """
        self.client.get_registered_model(self.model_name)
        not_lowest_since = self._take_ticket(deadline)
        first_seen_lowest: dict[int, float] = {}
        while True:
            read_start = time.monotonic()
            live = live_tickets(self.client, self.model_name)
            read_end = time.monotonic()
            if not any(t.token == self._token for t in live):
                log.warning("%r's ticket on %s was broken as stale while it waited; taking a "
                            "new one", self.holder, self.name)
                self._require_time_left(deadline, wait, live)
                not_lowest_since = self._take_ticket(deadline)
                continue
            lowest = live[0]
            if lowest.token == self._token:
                self._lease_end = min(not_lowest_since, deadline) + self.stale_after
                return
            not_lowest_since = read_start
            seen = first_seen_lowest.setdefault(lowest.number, read_end)
            if self._is_stale(lowest, seen):
                log.warning("breaking the stale ticket %d of %s held by %r (taken %.0f s ago)",
                            lowest.number, self.name, lowest.holder, lowest.age())
                self._delete(lowest)
                continue
            self._require_time_left(deadline, wait, live)
            self._pause(poll, _position(live, self._token), deadline)

    def _take_ticket(self, deadline: float) -> float:
        """Create our ticket; the monotonic time just before, when it cannot be lowest yet.

        A number another waiter took first (RESOURCE_ALREADY_EXISTS), or a collision the SQL
        store gave up on (INTERNAL_ERROR, nothing written), makes us read the highest number again
        and try the next, up to CREATE_ATTEMPTS times and never past the deadline. An unreachable
        store answers INTERNAL_ERROR too, after MLflow's own HTTP retries: it fails at once, not
        after the whole wait.
        """
        started = time.monotonic()
        attempts = 0
        tags = {TAG_HOLDER: self.holder, TAG_TOKEN: self._token,
                TAG_LEASE: repr(float(self.stale_after)),  # exactly: breakers go by it
                TAG_WAIT: repr(max(0.0, deadline - started)),
                TAG_SINCE: datetime.now(UTC).isoformat(timespec="seconds"),
                "mlflow.note.content": f"A ticket of the lock on {self.model_name}'s aliases, "
                                       f"taken by {self.holder} (mlflow_project.registry.lock); "
                                       "deleted when released. Do not use or restore it."}
        while True:
            name = ticket_name(self.model_name, highest_number(self.client, self.model_name) + 1)
            location = experiment_location(self.client.tracking_uri, None, name)
            try:
                self.client.create_experiment(name, artifact_location=location, tags=tags)
                return started
            except MlflowException as exc:
                attempts += 1
                if (exc.error_code not in (TAKEN, "INTERNAL_ERROR") or unreachable_server(exc)
                        or attempts >= CREATE_ATTEMPTS or time.monotonic() >= deadline):
                    raise
                log.info("taking ticket %s collided (%s); trying the next", name,
                         exc.error_code)
                time.sleep(random.uniform(0, 0.05))

    def _is_stale(self, ticket: Ticket, first_seen_lowest: float) -> bool:
        """Whether the lowest ticket's owner is past its lease by either rule (module doc)."""
        lease = self.stale_after if ticket.lease is None else ticket.lease
        watched_long_enough = time.monotonic() - first_seen_lowest >= lease
        lifetime = (ticket.wait or 0.0) + lease + CLOCK_SKEW
        return watched_long_enough or ticket.age() > lifetime

    def _require_time_left(self, deadline: float, wait: float, live: list[Ticket]) -> None:
        """Raise LockTimeout naming the holder once the deadline has passed."""
        if time.monotonic() < deadline:
            return
        others = [t for t in live if t.token != self._token]
        who = (f"{others[0].holder} (ticket {others[0].number}, taken {others[0].age():.0f} s "
               "ago)" if others else "no one now; our ticket was broken as stale")
        raise LockTimeout(f"another alias move holds {self.name}: {who}; gave up after "
                          f"{wait:g} s, try again later")

    @staticmethod
    def _pause(poll: float, position: int, deadline: float) -> None:
        """Sleep before the next look: `poll` for the next in line, longer further back (up to
        8 x poll), so a long queue does not flood the registry; never past the deadline."""
        time.sleep(max(0.0, min(poll * min(position, 8), deadline - time.monotonic())))

    def _delete_mine(self) -> None:
        for ticket in live_tickets(self.client, self.model_name):
            if ticket.token == self._token:
                self._delete(ticket)

    def _delete(self, ticket: Ticket) -> None:
        """Delete one ticket; already deleted (by another breaker) is fine."""
        try:
            self.client.delete_experiment(ticket.experiment_id)
        except MlflowException as exc:
            if exc.error_code != NOT_FOUND:
                raise

    def _remaining(self) -> float:
        return (self._lease_end or 0.0) - time.monotonic()

    def _allowance(self) -> float:
        return min(WRITE_ALLOWANCE, self.stale_after / 2)


@contextmanager
def registry_lock(client: MlflowClient, model_name: str, *, holder: str, wait: float = 60.0,
                  stale_after: float = 600.0, poll: float = 0.25) -> Iterator[RegistryLock]:
    """Hold the alias lock of `model_name` for the duration of the block.

    Waits up to `wait` seconds, then raises LockTimeout naming the holder. `stale_after` is this
    holder's lease: others may break the lock once it has held it that long, so writes in the
    block call `held()`/`ensure()` first (the audited moves of `registry.moves` do).
    """
    lock = RegistryLock(client, model_name, holder=holder, stale_after=stale_after)
    lock.acquire(wait=wait, poll=poll)
    try:
        yield lock
    finally:
        lock.release()


def _position(live: list[Ticket], token: str) -> int:
    """How many live tickets are ahead of the first one carrying `token`."""
    return next(index for index, ticket in enumerate(live) if ticket.token == token)


def _seconds(text: str | None) -> float | None:
    """A tag's number of seconds; None when absent or unreadable."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _name_like(model_name: str) -> str:
    """A search filter for the ticket experiments of `model_name`'s lock (and a few look-alikes:
    LIKE's `_` matches any character, so callers keep exact matches only)."""
    return f"name LIKE '{ticket_prefix(model_name)}%'"


def _number(model_name: str, name: str) -> int | None:
    """The ticket number an experiment name stands for; None when it is not a ticket's name."""
    digits = name.removeprefix(ticket_prefix(model_name))
    exact = name.startswith(ticket_prefix(model_name)) and len(digits) == NUMBER_DIGITS
    return int(digits) if exact and digits.isdigit() else None

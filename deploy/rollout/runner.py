"""The rollout itself: tag, smoke test, traffic steps under watch, rollback on a breach.

It drives any `deploy.targets.Target` (Cloud Run, the local rehearsal, or the dry run's
`PlannedTarget`) with the changes of `deploy.rollout.plan`, and prints every step through `echo`.
Outcomes: it returns when the candidate serves 100 %; `SmokeFailed` when the candidate failed its
smoke test (it never got traffic); `RolledBack` when a watch breached or could not be read (all
traffic is back on the previous revision).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from contracts.traffic import (
    PRODUCTION_TAG,
    Change,
    NewRevision,
    PlanError,
    Revision,
    Snapshot,
    format_routes,
    serving_revision,
)
from deploy.rollout.observers import Observer
from deploy.rollout.plan import (
    CANDIDATE_TAG,
    Thresholds,
    Verdict,
    back_to,
    breach_rule,
    judge,
    step,
    tag_only,
)
from deploy.targets import Endpoint, Target


class RolledBack(RuntimeError):
    """A step breached (or could not be watched); all traffic is back on the previous revision."""


class Smoke(Protocol):
    """The smoke test (`deploy.rollout.smoke.SmokeTest`, or its plan in a dry run)."""

    def run(self, endpoint: Endpoint, version: str) -> list[str]:
        """Check the endpoint serves `version`; lines of what passed, SmokeFailed otherwise."""
        ...


@dataclass(frozen=True)
class Rollout:
    """What to roll out and how: the model version (and its revision, when it exists already),
    the traffic steps, the watch window and the breach rule."""

    version: str
    steps: tuple[int, ...]
    window_seconds: float
    thresholds: Thresholds
    revision: str | None = None


def run(rollout: Rollout, target: Target, observer: Observer, smoke: Smoke, *,
        echo: Callable[[str], None], wait: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """Roll the candidate out; returns its revision once it serves all traffic."""
    snapshot = target.snapshot()
    previous = serving_revision(snapshot)
    candidate, deploy = _candidate(snapshot, rollout, target)
    known = Snapshot(snapshot.service, (), (Revision(candidate, rollout.version),
                                            *snapshot.revisions))
    echo(f"{target.description}: rollout of model v{rollout.version} ({candidate})")
    if candidate == previous:
        echo(f"{candidate} already serves all traffic (a service's first deploy): smoke test "
             "only, there is no previous revision to return to")
        _smoke(smoke, target.endpoint(None), rollout.version, echo)
        return candidate
    echo(f"  previous: {previous}; on a breach all traffic returns to it")
    echo(f"  {breach_rule(rollout.thresholds, rollout.window_seconds)}")
    _apply(target, tag_only(previous, candidate, CANDIDATE_TAG, deploy), known, echo)
    _smoke(smoke, target.endpoint(CANDIDATE_TAG), rollout.version, echo)
    for percent in rollout.steps:
        verdict = _step(rollout, target, observer, previous, candidate, percent, known,
                        echo=echo, wait=wait, now=now)
        echo(f"  watch: {verdict.reason}")
        if not verdict.passed:
            _apply(target, back_to(previous), known, echo)
            raise RolledBack(f"step {percent}% breached ({verdict.reason}); all traffic is back "
                             f"on {previous}")
    echo(f"done: {candidate} (model v{rollout.version}) serves all traffic [{PRODUCTION_TAG}]")
    return candidate


def _candidate(snapshot: Snapshot, rollout: Rollout,
               target: Target) -> tuple[str, NewRevision | None]:
    """The candidate revision, and the revision to deploy first when it does not exist yet."""
    if rollout.revision is not None:
        served = snapshot.version_of(rollout.revision)
        if all(r.name != rollout.revision for r in snapshot.revisions):
            raise PlanError(f"{snapshot.service} has no revision {rollout.revision}")
        if served is not None and served != rollout.version:
            raise PlanError(f"{rollout.revision} serves model v{served}, not v{rollout.version}")
        return rollout.revision, None
    existing = snapshot.revision_for(rollout.version)
    if existing is not None:
        return existing, None
    name = target.new_revision_name(rollout.version)
    return name, NewRevision(name, rollout.version, PRODUCTION_TAG)


def _step(rollout: Rollout, target: Target, observer: Observer, previous: str, candidate: str,
          percent: int, known: Snapshot, *, echo: Callable[[str], None],
          wait: Callable[[float], None], now: Callable[[], datetime]) -> Verdict:
    """Apply one step and watch it; a step that cannot be applied or watched is a breach."""
    try:
        _apply(target, step(previous, candidate, percent), known, echo)
        started = now()
        for line in observer.plan(candidate, rollout.window_seconds):
            echo(f"  watch {rollout.window_seconds:g} s: {line}")
        wait(rollout.window_seconds)
        figures = observer.observe(candidate, started, now())
    except Exception as exc:  # whatever failed, the safe way out is back
        return Verdict(False, f"could not apply or watch the step: {exc}")
    return judge(figures, rollout.thresholds)


def _apply(target: Target, change: Change, known: Snapshot,
           echo: Callable[[str], None]) -> None:
    """Read the target afresh, then apply the change (the read guards against lost updates)."""
    echo(f"{change.action}: {format_routes(change.routes, known)}")
    target.snapshot()
    target.apply(change)


def _smoke(smoke: Smoke, endpoint: Endpoint, version: str, echo: Callable[[str], None]) -> None:
    echo(f"smoke test of {endpoint.url}"
         + "".join(f" ({name}: {value})" for name, value in endpoint.headers.items()))
    for line in smoke.run(endpoint, version):
        echo(f"  {line}")

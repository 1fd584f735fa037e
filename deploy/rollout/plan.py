"""Pure rollout plans: the traffic of each step, the rollback, and the breach rule.

A rollout moves traffic from the revision serving everything now (`previous`) to a `candidate`:
first the candidate gets a tag and no traffic (`tag_only`, so its tag URL can be smoke-tested),
then each step gives it a share (`step`), the last step all of it under the `production` tag; a
breach sends everything back to `previous` (`back_to`). The routes are the A/B plans' own
(`contracts.traffic`), so both targets apply them unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.traffic import PRODUCTION_TAG, Change, NewRevision, Route

CANDIDATE_TAG = "candidate"


@dataclass(frozen=True)
class Thresholds:
    """The breach rule: 5xx share or p99 latency above these, over enough requests."""

    max_error_rate: float
    max_p99_ms: float
    min_requests: int


@dataclass(frozen=True)
class WindowFigures:
    """What the candidate answered during one watch window."""

    requests: int
    server_errors: int
    p99_ms: float | None

    @property
    def error_rate(self) -> float:
        """Share of requests answered 5xx (0 without requests)."""
        return self.server_errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Verdict:
    """Whether a step may go on, and the line that says why."""

    passed: bool
    reason: str


def tag_only(previous: str, candidate: str, tag: str = CANDIDATE_TAG,
             deploy: NewRevision | None = None) -> Change:
    """`previous` keeps all traffic; `candidate` (deployed first if `deploy`) gets `tag`, 0 %."""
    return Change(f"tag {tag}", (Route(previous, 100, PRODUCTION_TAG), Route(candidate, 0, tag)),
                  deploy)


def step(previous: str, candidate: str, percent: int) -> Change:
    """`percent` % to the candidate; at 100 it alone serves, tagged `production`."""
    if percent == 100:
        return Change("step 100%", (Route(candidate, 100, PRODUCTION_TAG),))
    return Change(f"step {percent}%", (Route(previous, 100 - percent, PRODUCTION_TAG),
                                       Route(candidate, percent, CANDIDATE_TAG)))


def back_to(previous: str) -> Change:
    """All traffic, and the `production` tag, back to `previous`."""
    return Change("rollback", (Route(previous, 100, PRODUCTION_TAG),))


def p99(latencies_ms: Sequence[float]) -> float | None:
    """The 99th percentile by nearest rank (None without values)."""
    if not latencies_ms:
        return None
    ordered = sorted(latencies_ms)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def judge(figures: WindowFigures | None, limits: Thresholds) -> Verdict:
    """Pass, or breach saying which limit; too few requests (or none observed) pass unjudged."""
    if figures is None:
        return Verdict(True, "not observed (dry run)")
    seen = f"{figures.requests} requests, {figures.server_errors} 5xx"
    if figures.p99_ms is not None:
        seen += f", p99 {figures.p99_ms:.0f} ms"
    if figures.requests < limits.min_requests:
        return Verdict(True, f"{seen}: fewer than {limits.min_requests}, not judged")
    if figures.error_rate > limits.max_error_rate:
        return Verdict(False, f"{seen}: 5xx rate {figures.error_rate:.1%} > "
                              f"{limits.max_error_rate:.1%}")
    if figures.p99_ms is not None and figures.p99_ms > limits.max_p99_ms:
        return Verdict(False, f"{seen}: p99 {figures.p99_ms:.0f} ms > {limits.max_p99_ms:.0f} ms")
    return Verdict(True, f"{seen}: within limits")


def breach_rule(limits: Thresholds, window_seconds: float) -> str:
    """The rule in one line, for the plan."""
    return (f"each step is watched {window_seconds:g} s; breach: 5xx rate > "
            f"{limits.max_error_rate:.1%} or p99 > {limits.max_p99_ms:.0f} ms (judged from "
            f"{limits.min_requests} requests on)")


def update_traffic_command(service: str, project: str, region: str,
                           change: Change) -> list[str]:
    """The `gcloud run services update-traffic` equivalent of a change's routes."""
    shares = ",".join(f"{r.revision}={r.percent}" for r in change.routes if r.percent > 0)
    tags = ",".join(f"{r.tag}={r.revision}" for r in change.routes if r.tag)
    return ["gcloud", "run", "services", "update-traffic", service, f"--project={project}",
            f"--region={region}", f"--to-revisions={shares}", f"--set-tags={tags}"]

"""What a rollout watches: the candidate's requests over a window, from where the target keeps them.

An observer answers `observe(revision, start, end)` with the requests, 5xx answers and p99 latency
of one revision in `[start, end]`, and `plan(revision, window)` with what it would read, for a dry
run. Two kinds: `AccessLogObserver` (here) reads the local rehearsal's nginx access log;
`deploy.rollout.cloud_monitoring.CloudMonitoringObserver` asks Cloud Monitoring about a Cloud Run
revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from deploy.rollout.plan import WindowFigures, p99


class Observer(Protocol):
    """Reads how one revision answered during a window."""

    def plan(self, revision: str, window_seconds: float) -> list[str]:
        """What `observe` would read, one line each (nothing is read)."""
        ...

    def observe(self, revision: str, start: datetime, end: datetime) -> WindowFigures | None:
        """The revision's requests, 5xx answers and p99 in `[start, end]` (None: not observed)."""
        ...


@dataclass(frozen=True)
class AccessLine:
    """One proxied request of the rehearsal's access log."""

    time: datetime
    status: int
    route: str
    seconds: float


def parse_access_line(line: str) -> AccessLine | None:
    """`$time_iso8601 $request_id $status $ab_route $upstream_addr $request_time` (the format
    of `deploy/local/ab/nginx.conf.template`), or None for a line not in it."""
    parts = line.split()
    if len(parts) != 6:
        return None
    try:
        return AccessLine(datetime.fromisoformat(parts[0]), int(parts[2]), parts[3],
                          float(parts[5]))
    except ValueError:
        return None


def figures_of(lines: Iterable[str], revision: str, start: datetime,
               end: datetime) -> WindowFigures:
    """The figures of `revision` in the window. nginx logs whole seconds, so the second `start`
    falls in is left out (requests sent before the step, such as the smoke test's, stay out)."""
    first = start.replace(microsecond=0)
    latencies, errors = [], 0
    for parsed in filter(None, map(parse_access_line, lines)):
        if parsed.route != revision or not first < parsed.time <= end:
            continue
        latencies.append(parsed.seconds * 1000)
        errors += parsed.status >= 500
    return WindowFigures(len(latencies), errors, p99(latencies))


class AccessLogObserver:
    """The local rehearsal's observer: nginx's access log, one line per proxied request."""

    def __init__(self, access_log: Path) -> None:
        self._path = access_log

    def plan(self, revision: str, window_seconds: float) -> list[str]:
        """Which lines are counted."""
        return [f"read {self._path}: lines routed to {revision} in the last "
                f"{window_seconds:g} s (status >= 500 counts as 5xx; $request_time gives p99)"]

    def observe(self, revision: str, start: datetime, end: datetime) -> WindowFigures:
        """Read the whole log (a rehearsal's stays small) for the window's lines."""
        if not self._path.is_file():
            return WindowFigures(0, 0, None)
        with self._path.open(encoding="utf-8", errors="replace") as handle:
            return figures_of(handle, revision, start, end)

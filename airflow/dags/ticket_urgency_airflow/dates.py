"""Which day a DAG run is about, for scheduled runs and for manual runs without a logical date.

Airflow 3 lets a run have no logical date (a manual trigger from the UI or API): then there is no
`{{ ds }}` and no data interval. Every run has `run_after`, so the rule is:

* the run's reference time is its `data_interval_end` when it has one, else its `run_after`;
* training snapshots into `<TU_SNAPSHOT_DIR>/<reference date, UTC>/`;
* monitoring looks at the whole UTC day before the reference time's midnight, i.e. the day that
  just ended for a scheduled `@daily` run (and yesterday for a manual one), unless the run's
  `day` param names another day.

With the default `@daily` (a CronTriggerTimetable in Airflow 3) the scheduled run of day D starts
at D 00:00 UTC: `data_interval_end` = logical date = D 00:00. With
`[scheduler] create_cron_data_intervals = True` the logical date becomes D-1 but
`data_interval_end` is still D 00:00, so the rule gives the same days under either setting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple


class Window(NamedTuple):
    """A half-open time window [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def day(self) -> date:
        """The day the window starts on (the day it covers for a one-day window)."""
        return self.start.date()


def reference_time(dag_run: Any) -> datetime:
    """`data_interval_end` when the run has one, else `run_after` (every run has one), in UTC."""
    moment = getattr(dag_run, "data_interval_end", None) or dag_run.run_after
    return _utc(moment)


def run_day(dag_run: Any) -> date:
    """The day a training run snapshots its data under."""
    return reference_time(dag_run).date()


def monitoring_window(dag_run: Any, day: str | None = None) -> Window:
    """The UTC day a monitoring run looks at: `day` (YYYY-MM-DD) if given, else the last full
    day before the reference time."""
    if day:
        try:
            start_day = date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"param day={day!r}: must be a date like 2025-01-31") from None
    else:
        start_day = reference_time(dag_run).date() - timedelta(days=1)
    start = datetime.combine(start_day, time.min, tzinfo=UTC)
    return Window(start=start, end=start + timedelta(days=1))


def iso(moment: datetime) -> str:
    """`2025-01-31T00:00:00Z`: the form the project's commands take."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

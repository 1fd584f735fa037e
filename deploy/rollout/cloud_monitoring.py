"""The Cloud Run observer: a revision's request count by response class and its p99 latency,
read from Cloud Monitoring (`monitoring_v3.ListTimeSeries`).

Two requests per window, built with the client library's types so the dry run prints exactly
what would be sent: `run.googleapis.com/request_count` summed per
`metric.label.response_code_class` (`2xx`, `4xx`, `5xx`, ...) and
`run.googleapis.com/request_latencies` (a distribution, milliseconds) reduced to its 99th
percentile, each over the whole window as one alignment period, filtered to the service and the
revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from google.cloud import monitoring_v3
from google.protobuf import duration_pb2, timestamp_pb2

from deploy.cloudrun.settings import CloudRunSettings
from deploy.rollout.plan import WindowFigures

REQUEST_COUNT = "run.googleapis.com/request_count"
REQUEST_LATENCIES = "run.googleapis.com/request_latencies"
CLASS_LABEL = "response_code_class"
Aggregation = monitoring_v3.Aggregation


class TimeSeriesReader(Protocol):
    """What the observer needs of `monitoring_v3.MetricServiceClient`."""

    def list_time_series(self, request: monitoring_v3.ListTimeSeriesRequest
                         ) -> Iterable[monitoring_v3.TimeSeries]:
        """The series the request selects (the client pages through them)."""
        ...


def revision_filter(metric: str, service: str, revision: str) -> str:
    """The monitoring filter of one metric of one Cloud Run revision."""
    return (f'metric.type = "{metric}" AND resource.type = "cloud_run_revision" AND '
            f'resource.labels.service_name = "{service}" AND '
            f'resource.labels.revision_name = "{revision}"')


def window_requests(settings: CloudRunSettings, revision: str, start: datetime, end: datetime
                    ) -> tuple[monitoring_v3.ListTimeSeriesRequest,
                               monitoring_v3.ListTimeSeriesRequest]:
    """(request counts by response class, p99 latency) of `revision` over `[start, end]`."""
    interval = monitoring_v3.TimeInterval(start_time=_timestamp(start), end_time=_timestamp(end))
    period = duration_pb2.Duration(seconds=max(60, int((end - start).total_seconds())))
    counts = monitoring_v3.ListTimeSeriesRequest(
        name=f"projects/{settings.project}",
        filter=revision_filter(REQUEST_COUNT, settings.service, revision),
        interval=interval,
        aggregation=Aggregation(alignment_period=period,
                                per_series_aligner=Aggregation.Aligner.ALIGN_DELTA,
                                cross_series_reducer=Aggregation.Reducer.REDUCE_SUM,
                                group_by_fields=[f"metric.label.{CLASS_LABEL}"]),
        view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL)
    latency = monitoring_v3.ListTimeSeriesRequest(
        name=f"projects/{settings.project}",
        filter=revision_filter(REQUEST_LATENCIES, settings.service, revision),
        interval=interval,
        aggregation=Aggregation(alignment_period=period,
                                per_series_aligner=Aggregation.Aligner.ALIGN_DELTA,
                                cross_series_reducer=Aggregation.Reducer.REDUCE_PERCENTILE_99),
        view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL)
    return counts, latency


def figures_from(counts: Iterable[monitoring_v3.TimeSeries],
                 latency: Iterable[monitoring_v3.TimeSeries]) -> WindowFigures:
    """Requests (all classes), 5xx and the worst p99 of the aligned points."""
    by_class: dict[str, int] = {}
    for series in counts:
        label = series.metric.labels.get(CLASS_LABEL, "")
        by_class[label] = by_class.get(label, 0) + sum(p.value.int64_value for p in series.points)
    p99s = [p.value.double_value for series in latency for p in series.points]
    return WindowFigures(sum(by_class.values()), by_class.get("5xx", 0),
                         max(p99s) if p99s else None)


class CloudMonitoringObserver:
    """Watches a Cloud Run revision through Cloud Monitoring."""

    def __init__(self, settings: CloudRunSettings, reader: TimeSeriesReader | None = None) -> None:
        self._settings = settings
        self._reader = reader

    def plan(self, revision: str, window_seconds: float) -> list[str]:
        """The two ListTimeSeries requests of a window (times left as the window's)."""
        end = datetime(2000, 1, 1)
        lines = []
        for request in window_requests(self._settings, revision,
                                       end - timedelta(seconds=window_seconds), end):
            aggregation = request.aggregation
            lines.append(
                f"ListTimeSeries {request.name} filter={request.filter!r} over the window "
                f"(alignment {aggregation.alignment_period.seconds} s, "
                f"{aggregation.per_series_aligner.name}, {aggregation.cross_series_reducer.name}"
                + (f" by {', '.join(aggregation.group_by_fields)}"
                   if aggregation.group_by_fields else "") + ")")
        return lines

    def observe(self, revision: str, start: datetime, end: datetime) -> WindowFigures:
        """Send both requests and read the figures."""
        reader = self._reader or monitoring_v3.MetricServiceClient()
        counts, latency = window_requests(self._settings, revision, start, end)
        return figures_from(reader.list_time_series(request=counts),
                            reader.list_time_series(request=latency))


def _timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp

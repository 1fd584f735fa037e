"""The one edge to Cloud Monitoring: `create_time_series` for a job's points, or their dry run.

Requests carry at most 200 series (the API's limit per call). Only an unreachable service is
retried, within the settings' deadline: a request that may have been applied is never re-sent,
since Cloud Monitoring refuses a second point at the same time for the same series. Any failure
is one `CloudMetricsError` line naming the project and what went wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from google.cloud.monitoring_v3 import CreateTimeSeriesRequest, MetricServiceClient

from mlflow_project.cloud_metrics.points import Point, time_series
from mlflow_project.cloud_metrics.settings import CloudMetricsSettings, Mode

MAX_SERIES_PER_REQUEST = 200
EMULATOR_VARIABLE = "CLOUD_MONITORING_EMULATOR_HOST"
OLDEST_POINT = timedelta(hours=25)  # Cloud Monitoring refuses points older than this
NEWEST_POINT = timedelta(minutes=5)  # ... or further in the future than this


class CloudMetricsError(RuntimeError):
    """The points cannot be written to Cloud Monitoring; the message says why, in one line."""


def requests_for(points: Sequence[Point], project: str) -> list[CreateTimeSeriesRequest]:
    """The `CreateTimeSeriesRequest`s that write `points` to `project`, 200 series at most each."""
    series = time_series(points, project)
    return [CreateTimeSeriesRequest(name=f"projects/{project}",
                                    time_series=series[start:start + MAX_SERIES_PER_REQUEST])
            for start in range(0, len(series), MAX_SERIES_PER_REQUEST)]


def as_json(requests: Sequence[CreateTimeSeriesRequest]) -> str:
    """The requests as the API's JSON (what a dry run prints)."""
    return json.dumps([json.loads(CreateTimeSeriesRequest.to_json(request))
                       for request in requests], indent=2)


def publish(points: Sequence[Point], settings: CloudMetricsSettings,
            now: datetime) -> list[CreateTimeSeriesRequest]:
    """Write `points` as the settings say: nothing when off, the requests unsent on a dry run
    (whatever their time), sent when on. Returns the requests built (empty when off).

    When on, raises CloudMetricsError for points Cloud Monitoring would refuse for their time
    (before sending anything), for missing credentials and for a refused or unreachable service.
    """
    if settings.mode is Mode.OFF or not points:
        return []
    project = str(settings.project)
    requests = requests_for(points, project)
    if settings.mode is Mode.ON:
        _check_times(points, now)
        _send(requests, _client(project), settings.timeout_seconds)
    return requests


def _check_times(points: Sequence[Point], now: datetime) -> None:
    for point in points:
        if not now - OLDEST_POINT <= point.end_time <= now + NEWEST_POINT:
            raise CloudMetricsError(
                f"{point.metric_type}: a point at {point.end_time.isoformat()} is outside what "
                f"Cloud Monitoring accepts (the last 25 h up to 5 min ahead, now "
                f"{now.isoformat()}); for a past window set TU_CLOUD_METRICS_MODE=off")


def _client(project: str) -> MetricServiceClient:
    """Google credentials, or the fake at CLOUD_MONITORING_EMULATOR_HOST (data.io's one rule)."""
    import grpc
    from google.cloud.monitoring_v3.services.metric_service.transports import (
        MetricServiceGrpcTransport,
    )

    from mlflow_project.data.io import DataSourceError, google_client

    def connect(emulator: str | None) -> MetricServiceClient:
        if emulator is None:
            return MetricServiceClient()
        channel = grpc.insecure_channel(emulator.split("://", 1)[1].rstrip("/"))
        return MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))

    try:
        return google_client(f"projects/{project}", "Cloud Monitoring", EMULATOR_VARIABLE,
                             connect)
    except DataSourceError as exc:
        raise CloudMetricsError(str(exc)) from exc


def _send(requests: Sequence[CreateTimeSeriesRequest], client: MetricServiceClient,
          timeout: float) -> None:
    from google.api_core import exceptions, retry

    unreachable = retry.Retry(predicate=retry.if_exception_type(exceptions.ServiceUnavailable),
                              initial=0.5, maximum=5.0, multiplier=2.0, timeout=timeout)
    written = 0
    for request in requests:
        try:
            client.create_time_series(request=request, retry=unreachable, timeout=timeout)
        except (exceptions.GoogleAPICallError, exceptions.RetryError) as exc:
            reason = " ".join(str(exc).split())
            raise CloudMetricsError(
                f"{request.name}: Cloud Monitoring did not take the points ({written} of "
                f"{sum(len(r.time_series) for r in requests)} series written): {reason}"
            ) from exc
        written += len(request.time_series)

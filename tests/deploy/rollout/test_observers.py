"""What the watches read: the rehearsal's nginx access log and Cloud Monitoring's time series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.cloud import monitoring_v3

from deploy.cloudrun.settings import CloudRunSettings
from deploy.rollout.cloud_monitoring import (
    CloudMonitoringObserver,
    figures_from,
    window_requests,
)
from deploy.rollout.observers import AccessLogObserver, figures_of, parse_access_line
from deploy.rollout.plan import WindowFigures

START = datetime(2026, 12, 6, 2, 0, 0, 500000, tzinfo=UTC)
END = START + timedelta(seconds=10)
Aggregation = monitoring_v3.Aggregation


def line(second: int, status: int, route: str, seconds: float) -> str:
    """An access-log line as nginx.conf.template's `ab` format writes it."""
    moment = (START.replace(microsecond=0) + timedelta(seconds=second)).isoformat()
    return f"{moment} 0af3 {status} {route} 127.0.0.1:4000 {seconds:.3f}\n"


def test_an_access_line_is_parsed_and_a_foreign_one_skipped() -> None:
    parsed = parse_access_line(line(1, 502, "svc-v2", 0.25))
    assert parsed is not None
    assert (parsed.status, parsed.route, parsed.seconds) == (502, "svc-v2", 0.25)
    assert parse_access_line("GET / HTTP/1.1 200") is None
    assert parse_access_line("not-a-time 1 200 svc-v2 127.0.0.1:1 0.1") is None


def test_the_window_counts_the_revisions_lines_after_the_second_it_started_in() -> None:
    lines = [line(0, 200, "svc-v2", 9.0),  # the second the step started in: the smoke test's
             line(1, 200, "svc-v2", 0.010), line(2, 500, "svc-v2", 0.020),
             line(3, 200, "svc-v1", 5.0),  # another revision
             *(line(4, 200, "svc-v2", 0.030) for _ in range(97)),
             line(10, 503, "svc-v2", 0.040),
             line(11, 500, "svc-v2", 0.050)]  # after the window
    assert figures_of(lines, "svc-v2", START, END) == WindowFigures(100, 2, 30.0)


def test_the_access_log_observer_reads_the_file(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    observer = AccessLogObserver(log)
    assert observer.observe("svc-v2", START, END) == WindowFigures(0, 0, None)
    log.write_text(line(1, 500, "svc-v2", 0.1) + "garbage\n" + line(2, 200, "svc-v2", 0.2))
    assert observer.observe("svc-v2", START, END) == WindowFigures(2, 1, 200.0)
    assert str(log) in observer.plan("svc-v2", 30)[0]


def test_the_monitoring_requests_select_the_revision_over_the_window() -> None:
    counts, latency = window_requests(CloudRunSettings(project="proj-12345"), "svc-v2-abc",
                                      START, START + timedelta(seconds=300))
    for request in (counts, latency):
        assert isinstance(request, monitoring_v3.ListTimeSeriesRequest)
        assert request.name == "projects/proj-12345"
        assert 'resource.type = "cloud_run_revision"' in request.filter
        assert 'resource.labels.service_name = "ticket-urgency-api"' in request.filter
        assert 'resource.labels.revision_name = "svc-v2-abc"' in request.filter
        assert request.interval.start_time.timestamp() == START.timestamp()
        assert request.interval.end_time.timestamp() == START.timestamp() + 300
        assert request.aggregation.alignment_period.total_seconds() == 300
        assert request.aggregation.per_series_aligner == Aggregation.Aligner.ALIGN_DELTA
    assert 'metric.type = "run.googleapis.com/request_count"' in counts.filter
    assert counts.aggregation.cross_series_reducer == Aggregation.Reducer.REDUCE_SUM
    assert list(counts.aggregation.group_by_fields) == ["metric.label.response_code_class"]
    assert 'metric.type = "run.googleapis.com/request_latencies"' in latency.filter
    assert latency.aggregation.cross_series_reducer == Aggregation.Reducer.REDUCE_PERCENTILE_99


def count_series(code_class: str, *values: int) -> monitoring_v3.TimeSeries:
    return monitoring_v3.TimeSeries(
        metric={"type": "run.googleapis.com/request_count",
                "labels": {"response_code_class": code_class}},
        points=[monitoring_v3.Point(value=monitoring_v3.TypedValue(int64_value=v))
                for v in values])


def latency_series(*values: float) -> monitoring_v3.TimeSeries:
    return monitoring_v3.TimeSeries(
        points=[monitoring_v3.Point(value=monitoring_v3.TypedValue(double_value=v))
                for v in values])


def test_the_figures_are_every_class_summed_the_5xx_and_the_worst_p99() -> None:
    figures = figures_from([count_series("2xx", 90, 5), count_series("4xx", 2),
                            count_series("5xx", 3)], [latency_series(120.5, 340.0)])
    assert figures == WindowFigures(100, 3, 340.0)
    assert figures_from([], []) == WindowFigures(0, 0, None)


class Reader:
    """Answers ListTimeSeries like the client (typed requests in, series out)."""

    def __init__(self) -> None:
        self.requests: list[monitoring_v3.ListTimeSeriesRequest] = []

    def list_time_series(self, request: monitoring_v3.ListTimeSeriesRequest
                         ) -> list[monitoring_v3.TimeSeries]:
        self.requests.append(request)
        if "request_count" in request.filter:
            return [count_series("2xx", 40), count_series("5xx", 10)]
        return [latency_series(800.0)]


def test_the_cloud_observer_sends_both_requests_and_reads_them() -> None:
    reader = Reader()
    observer = CloudMonitoringObserver(CloudRunSettings(), reader)
    assert observer.observe("svc-v2", START, END) == WindowFigures(50, 10, 800.0)
    assert [r.filter.split('"')[1] for r in reader.requests] == [
        "run.googleapis.com/request_count", "run.googleapis.com/request_latencies"]
    planned = observer.plan("svc-v2", 120)
    assert len(planned) == 2
    assert "alignment 120 s, ALIGN_DELTA, REDUCE_SUM by metric.label.response_code_class" \
        in planned[0]

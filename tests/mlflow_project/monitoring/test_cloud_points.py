"""The monitoring run's custom-metric payload, built and not sent: one series per metric and
check, each matching its descriptor file, the same points in summary.json."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from google.api import metric_pb2
from google.cloud.monitoring_v3 import TimeSeries, TypedValue

from mlflow_project.cloud_metrics import names
from mlflow_project.cloud_metrics.writer import requests_for
from mlflow_project.monitoring.checks import CheckResult
from mlflow_project.monitoring.cloud_points import monitoring_points
from mlflow_project.monitoring.result import MonitorResult
from mlflow_project.monitoring.summary import build_summary
from tests.deploy.cloudrun.descriptors_support import descriptors, mismatches

PROJECT = "test-project-1"
CHECKS = ("source", "customer_tier", "text", "text_length", "oov_share", "score", "urgent_rate")


def number(series: TimeSeries) -> float:
    """The value of a series' one point, whichever its type."""
    typed = series.points[0].value
    return float(getattr(typed, str(TypedValue.pb(typed).WhichOneof("value"))))


def payload(result: MonitorResult) -> list[TimeSeries]:
    [request] = requests_for(monitoring_points(result), PROJECT)
    assert request.name == f"projects/{PROJECT}"
    return list(request.time_series)


def test_one_series_per_metric_and_check_each_matching_its_descriptor(
        monitor_result: MonitorResult) -> None:
    series = payload(monitor_result)
    known = descriptors()
    assert {s.metric.type: mismatches(s, known) for s in series if mismatches(s, known)} == {}
    counts = Counter(s.metric.type for s in series)
    assert counts == {names.DRIFT_P_VALUE: 7, names.DRIFT_STATISTIC: 7, names.DRIFT_VERDICT: 7,
                      names.URGENT_RATE: 1, names.ROWS_WATCHED: 1, names.QUALITY_RECALL: 1,
                      names.QUALITY_PRECISION: 1}
    for s in series:
        assert s.metric_kind == metric_pb2.MetricDescriptor.MetricKind.GAUGE
        assert s.resource.type == "global"
        assert s.resource.labels == {"project_id": PROJECT}
        assert s.metric.labels["model_name"] == "ticket_urgency"
        assert s.metric.labels["model_version"] == "1"
        [point] = s.points
        assert point.interval.end_time == monitor_result.config.until


def test_the_values_are_the_runs_own(monitor_result: MonitorResult) -> None:
    series = payload(monitor_result)
    checks = {check.name: check for check in monitor_result.checks}

    def value(metric_type: str, feature: str | None = None) -> float:
        [match] = [s for s in series if s.metric.type == metric_type
                   and s.metric.labels.get("feature") == feature]
        return number(match)

    for name in CHECKS:
        assert value(names.DRIFT_P_VALUE, name) == checks[name].p_value
        assert value(names.DRIFT_STATISTIC, name) == checks[name].statistic
        assert value(names.DRIFT_VERDICT, name) == int(checks[name].drift)
    assert value(names.DRIFT_VERDICT, "source") == 1  # the fixture's traffic drifts in source
    assert value(names.ROWS_WATCHED) == monitor_result.watched.records == 600
    assert value(names.URGENT_RATE) == checks["urgent_rate"].details["current_rate"]
    quality = monitor_result.quality
    assert quality is not None
    assert value(names.QUALITY_RECALL) == quality.metrics["recall"]
    assert value(names.QUALITY_PRECISION) == quality.metrics["precision"]
    engines = {s.metric.labels["engine"] for s in series if "engine" in s.metric.labels}
    assert engines == {str(monitor_result.config.engine)}


def test_without_labels_there_is_no_recall_or_precision(monitor_result: MonitorResult) -> None:
    types = {s.metric.type for s in payload(dataclasses.replace(monitor_result, quality=None))}
    assert names.QUALITY_RECALL not in types
    assert names.QUALITY_PRECISION not in types
    assert names.ROWS_WATCHED in types


def test_a_skipped_check_writes_no_point(monitor_result: MonitorResult) -> None:
    skipped = [check if check.name not in ("score", "urgent_rate") else
               CheckResult(check.name, check.test, False, check.alpha, skipped="no prediction")
               for check in monitor_result.checks]
    none_watched = dataclasses.replace(monitor_result.watched, records=0)
    series = payload(dataclasses.replace(monitor_result, checks=skipped, watched=none_watched))
    features = {s.metric.labels.get("feature") for s in series}
    assert features == {None, "source", "customer_tier", "text", "text_length", "oov_share"}
    assert names.URGENT_RATE not in {s.metric.type for s in series}
    [rows] = [s for s in series if s.metric.type == names.ROWS_WATCHED]
    assert rows.points[0].value.int64_value == 0


def test_summary_json_carries_the_same_points(monitor_result: MonitorResult) -> None:
    listed = build_summary(monitor_result, "report.html", None)["cloud_metrics"]
    assert listed == [{"type": s.metric.type, "labels": dict(s.metric.labels),
                       "value_type": metric_pb2.MetricDescriptor.ValueType.Name(s.value_type),
                       "value": pytest.approx(number(s)),
                       "end_time": monitor_result.config.until.isoformat()}
                      for s in payload(monitor_result)]


def test_insufficient_data_writes_rows_watched_and_no_verdict(
        monitor_result: MonitorResult) -> None:
    """Too few records: no check ran, so only rows watched (the absence alert sees the run)."""
    few = dataclasses.replace(monitor_result.watched, records=5)
    result = dataclasses.replace(monitor_result, watched=few, checks=[], quality=None)
    assert result.status == "insufficient_data"
    [series] = payload(result)
    assert series.metric.type == names.ROWS_WATCHED
    assert series.points[0].value.int64_value == 5

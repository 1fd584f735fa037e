"""The summary, MLflow metric names, the status and its exit code."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlflow_project.monitoring.checks import DRIFT_CHECKS
from mlflow_project.monitoring.cli import STATUS_EXIT_CODES
from mlflow_project.monitoring.result import MonitorResult
from mlflow_project.monitoring.summary import build_summary, mlflow_metrics


def _with(result: MonitorResult, *, drift: bool, breach: bool) -> MonitorResult:
    checks = [dataclasses.replace(c, drift=drift and c.name == "source") for c in result.checks]
    assert result.quality is not None
    quality = dataclasses.replace(result.quality, breach=breach)
    return dataclasses.replace(result, checks=checks, quality=quality)


@pytest.mark.parametrize(("drift", "breach", "status", "code"), [
    (False, False, "ok", 0), (True, False, "drift", 10),
    (False, True, "quality_breach", 11), (True, True, "drift_and_quality_breach", 12),
])
def test_status_and_exit_code(monitor_result: MonitorResult, drift: bool, breach: bool,
                              status: str, code: int) -> None:
    result = _with(monitor_result, drift=drift, breach=breach)
    assert result.status == status
    assert STATUS_EXIT_CODES[result.status] == code


def test_too_few_records_of_the_watched_version_is_insufficient_data_exit_13(
        monitor_result: MonitorResult) -> None:
    few = dataclasses.replace(monitor_result.watched, records=5,
                              by_version={"ticket_urgency v1": 5})
    result = dataclasses.replace(monitor_result, watched=few, checks=[], quality=None)
    assert result.status == "insufficient_data"
    assert STATUS_EXIT_CODES[result.status] == 13
    summary = build_summary(result, "/x/report.html", None)
    assert summary["status_line"] == (
        "insufficient data: 5 of 100 required records of model ticket_urgency v1")
    assert summary["watched"] == {"model_name": "ticket_urgency", "model_version": "1",
                                  "records": 5, "required": 100, "sufficient": False,
                                  "records_by_version": {"ticket_urgency v1": 5}}
    metrics = mlflow_metrics(result)
    assert metrics["status.insufficient_data"] == 1.0
    assert not any(name.startswith(("drift.", "prediction.")) for name in metrics)


def test_summary_has_the_documented_shape_and_is_json(monitor_result: MonitorResult) -> None:
    summary = json.loads(json.dumps(build_summary(monitor_result, "/x/report.html",
                                                  {"run_id": "r1", "experiment_id": "7"})))
    assert {"status", "window", "counts", "checks", "quality", "model", "report"} <= set(summary)
    assert summary["status"] == summary["status_line"] == "drift"
    assert summary["watched"]["records"] == summary["counts"]["records"] == 600
    assert summary["watched"]["sufficient"] is True
    assert summary["counts"]["malformed_lines"] == 1
    assert list(summary["checks"]) == list(DRIFT_CHECKS)
    source = summary["checks"]["source"]
    assert source["drift"] is True
    assert {"p_value", "statistic", "alpha", "test"} <= set(source)
    assert summary["model"] == {"name": "ticket_urgency", "version": "1",
                                "uri": "models:/ticket_urgency@production",
                                "threshold": monitor_result.model.threshold}
    assert summary["quality"]["labelled"] == 300
    assert summary["quality"]["coverage"] == pytest.approx(0.5)
    assert summary["report"] == "/x/report.html"
    assert summary["malformed"]["examples"][0]["line"] == 601


def test_metrics_are_named_per_check(monitor_result: MonitorResult) -> None:
    metrics = mlflow_metrics(monitor_result)
    for name in ("drift.source.p_value", "drift.source.drift", "drift.customer_tier.p_value",
                 "drift.text.components_drifted", "drift.text_length.p_value",
                 "drift.oov_share.p_value", "prediction.score.p_value", "prediction.urgent_rate",
                 "prediction.urgent_rate.p_value", "quality.f1", "quality.roc_auc",
                 "quality.coverage", "volume.records", "volume.malformed_lines",
                 "latency.p99_ms", "status.drift"):
        assert name in metrics, name
    assert metrics["drift.source.drift"] == 1.0
    assert metrics["status.drift"] == 1.0
    assert metrics["volume.malformed_lines"] == 1.0
    assert all(isinstance(v, float) for v in metrics.values())

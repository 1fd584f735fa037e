"""The training job's completion point: registered or not, as its descriptor says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlflow_project.cloud_metrics import names
from mlflow_project.cloud_metrics.writer import requests_for
from mlflow_project.training.completion import completion_point
from mlflow_project.training.job import TrainingOutcome
from tests.deploy.cloudrun.descriptors_support import descriptors, mismatches

AT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("outcome", "value", "version"), [
    (TrainingOutcome("run-1", version="3"), 1, "3"),
    (TrainingOutcome("run-2", duplicate_of="2"), 0, "2"),
])
def test_a_completed_run_writes_one_point_saying_whether_it_registered(
        outcome: TrainingOutcome, value: int, version: str) -> None:
    [request] = requests_for([completion_point(outcome, "ticket_urgency", AT)], "test-project-1")
    [series] = request.time_series
    assert mismatches(series, descriptors()) == []
    assert series.metric.type == names.TRAINING_COMPLETED
    assert series.metric.labels == {"model_name": "ticket_urgency", "model_version": version}
    [point] = series.points
    assert point.value.int64_value == value
    assert point.interval.end_time == AT

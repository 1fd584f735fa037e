"""The DAG files parse cleanly and have the shape, schedule and retry policy the docs promise."""

from __future__ import annotations

import ast
from datetime import timedelta
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow_support import DAGS_FOLDER

TRAINING = "ticket_urgency_training"
MONITORING = "ticket_urgency_monitoring"


def test_dags_import_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == [MONITORING, TRAINING]
    # the helper package is not a DAG file (.airflowignore keeps the processor out of it)
    assert {stat.file for stat in dagbag.dagbag_stats} == {
        "ticket_urgency_training.py", "ticket_urgency_monitoring.py"}


def edges(dag: Any) -> set[tuple[str, str]]:
    return {(task.task_id, down) for task in dag.tasks for down in task.downstream_task_ids}


def test_training_dag_structure(dagbag: Any) -> None:
    dag = dagbag.dags[TRAINING]
    assert [t.task_id for t in dag.topological_sort()] == [
        "extract", "validate", "train", "verdict", "promote", "notify"]
    assert {("extract", "validate"), ("validate", "train"), ("train", "verdict"),
            ("verdict", "promote"), ("promote", "notify")} <= edges(dag)
    assert ("extract", "train") in edges(dag)  # train reads the snapshot extract made
    assert dag.timetable.expression in ("@daily", "0 0 * * *")
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.params["auto_promote"] is False
    assert dag.params["data_source"] is None
    assert dag.get_task("train").execution_timeout == timedelta(hours=2)


def test_monitoring_dag_structure(dagbag: Any) -> None:
    dag = dagbag.dags[MONITORING]
    assert {("check_service", "run_monitoring"), ("run_monitoring", "decide"),
            ("decide", "alert"), ("decide", "trigger_training"),
            ("decide", "all_clear")} <= edges(dag)
    assert dag.get_task("trigger_training").trigger_dag_id == TRAINING
    assert dag.get_task("run_monitoring").execution_timeout == timedelta(hours=1)
    assert dag.timetable.expression in ("@daily", "0 0 * * *")
    assert dag.params["trigger_training_on_drift"] is False
    assert dag.params["day"] is None


@pytest.mark.parametrize("dag_id", [TRAINING, MONITORING])
def test_retries_back_off_and_failures_are_reported(dagbag: Any, dag_id: str) -> None:
    from ticket_urgency_airflow.task_defaults import notify_task_failure

    for task in dagbag.dags[dag_id].tasks:
        # the alert task fails on purpose after posting: a retry would post the alert again
        assert task.retries == (0 if task.task_id == "alert" else 2), task.task_id
        assert task.retry_exponential_backoff == 2.0, task.task_id
        assert task.retry_delay == timedelta(seconds=1), task.task_id  # TU_RETRY_DELAY_SECONDS
        assert task.max_retry_delay == timedelta(minutes=30), task.task_id
        callbacks = task.on_failure_callback
        assert notify_task_failure in (callbacks if isinstance(callbacks, list) else [callbacks])


def test_default_retry_delay_is_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    from ticket_urgency_airflow.settings import SettingsError
    from ticket_urgency_airflow.task_defaults import default_task_args

    monkeypatch.delenv("TU_RETRY_DELAY_SECONDS")
    assert default_task_args()["retry_delay"] == timedelta(minutes=1)
    monkeypatch.setenv("TU_TASK_RETRIES", "many")
    with pytest.raises(SettingsError, match="TU_TASK_RETRIES='many': must be an integer"):
        default_task_args()


def test_dag_files_import_no_model_code() -> None:
    """Tasks call the project's commands; Airflow's interpreter never imports the model."""
    forbidden = ("mlflow", "mlflow_project", "registry_tools", "sklearn", "pandas", "serving")
    for path in DAGS_FOLDER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"

"""TU_PREDICTION_LOGS in every form the monitoring job reads reaches `--logs` unchanged.

A folder is made absolute against PROJECT_DIR; `gs://`, `logging+gs://` (a Cloud Logging sink's
GCS export) and `bq://` (its BigQuery table) URIs are passed as given, and the DAG does no check
of its own on them: the job in the project's environment reads them and says when they are
unusable (exit 3), which the task reports with the URI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow_support import REPO
from ticket_urgency_airflow import monitoring
from ticket_urgency_airflow.commands import DeterministicFailure
from ticket_urgency_airflow.dates import monitoring_window
from ticket_urgency_airflow.settings import PipelineSettings, load_settings

REMOTE = ["gs://logs/predictions", "logging+gs://sink-bucket/run.googleapis.com/stdout",
          "bq://my-project.logs.run_googleapis_com_stdout"]
WINDOW = monitoring_window(SimpleNamespace(data_interval_end=None,
                                           run_after=datetime(2025, 3, 2, tzinfo=UTC)))


def _settings(logs: str, project_bin: Path, **more: str) -> PipelineSettings:
    values = {"PROJECT_DIR": str(REPO), "PROJECT_BIN": str(project_bin),
              "TU_PREDICTION_LOGS": logs, **more}
    return load_settings(values.get, check=False)


@pytest.mark.parametrize("logs", REMOTE)
def test_a_uri_reaches_the_job_as_given(logs: str, tmp_path: Path) -> None:
    settings = _settings(logs, tmp_path)
    assert settings.prediction_logs == logs
    command = monitoring.monitoring_command(settings, WINDOW, "/out")
    assert command[command.index("--logs") + 1] == logs


def test_a_folder_is_made_absolute_against_the_project(tmp_path: Path) -> None:
    assert _settings("logs/served", tmp_path).prediction_logs == str(REPO / "logs" / "served")


def test_an_unusable_table_fails_the_task_naming_it(project_bin: Path, tmp_path: Path) -> None:
    """The real job refuses a malformed `bq://` URI (exit 3) before contacting anything."""
    settings = _settings("bq://onlyproject", project_bin,
                         MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}",
                         TU_MONITORING_DIR=str(tmp_path / "monitoring"))
    with pytest.raises(DeterministicFailure) as caught:
        monitoring.run_monitoring(settings, WINDOW)
    message = str(caught.value)
    assert message.startswith("prediction logs at bq://onlyproject for 2025-03-01 are unusable")
    assert "expected bq://PROJECT.DATASET.TABLE" in message

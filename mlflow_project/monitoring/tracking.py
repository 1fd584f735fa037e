"""What a monitoring pass logs to its MLflow run (`mlflow_project.runs.project_run` picks it)."""

from __future__ import annotations

from collections.abc import Mapping

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Run


def log_to_run(run: Run, params: Mapping[str, object], metrics: Mapping[str, float],
               tags: Mapping[str, str], files: Mapping[str, str]) -> None:
    """Log params (those `mlflow run` has not logged already), metrics, tags, and text files
    (name -> content) at the root of the run's artifacts."""
    already = MlflowClient().get_run(run.info.run_id).data.params
    mlflow.log_params({k: v for k, v in params.items() if k not in already})
    mlflow.log_metrics(dict(metrics))
    mlflow.set_tags(dict(tags))
    for name, text in files.items():
        mlflow.log_text(text, name)

"""The MLflow side of a run: which run to log to, and what goes into it.

Under `mlflow run` the run already exists (`MLFLOW_RUN_ID`) and is resumed; otherwise the named
experiment is found or created (artifacts beside a local SQLite store, as for training).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_project.monitoring.errors import BadArguments
from mlflow_project.settings import ProjectSettings
from mlflow_project.training.experiment import ensure_experiment


def verify_run_experiment(experiment_name: str) -> None:
    """Under `mlflow run`, refuse early when its run belongs to another experiment."""
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not run_id:
        return
    client = MlflowClient()
    actual = client.get_experiment(client.get_run(run_id).info.experiment_id).name
    if actual != experiment_name:
        raise BadArguments(f"this run belongs to experiment '{actual}' but --experiment-name is "
                           f"'{experiment_name}'; pass --experiment-name {experiment_name} to "
                           "mlflow run")


@contextmanager
def monitoring_run(experiment_name: str) -> Iterator[Run]:
    """The run to log to: the one `mlflow run` started, or a new one in the experiment."""
    if os.environ.get("MLFLOW_RUN_ID"):
        with mlflow.start_run() as run:
            yield run
        return
    experiment_id = ensure_experiment(experiment_name, ProjectSettings.load().artifact_root)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        yield run


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

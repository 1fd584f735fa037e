"""Find or create the MLflow experiment a training run logs to, and open that run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from mlflow_project.training.errors import ConfigurationError


def local_artifact_root(tracking_uri: str, configured: str | None) -> str | None:
    """Under which root new experiments keep artifacts, when MLflow itself would not decide well.

    A tracking server owns its artifact store (for example proxied `gs://`), so the answer is None.
    With a local SQLite store MLflow would default to `./mlruns` relative to whatever directory the
    run happens to start in; instead artifacts go to `TU_ARTIFACT_ROOT` or, by default, an
    `artifacts` folder beside the database file.
    """
    if configured:
        return configured
    if urlparse(tracking_uri).scheme != "sqlite":
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    return (database.resolve().parent / "artifacts").as_uri()


def ensure_experiment(name: str, artifact_root: str | None) -> str:
    """The id of experiment `name`, creating it (with `artifact_root` when given) if missing."""
    client = MlflowClient()
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    root = local_artifact_root(mlflow.get_tracking_uri(), artifact_root)
    location = f"{root.rstrip('/')}/{name}" if root else None
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except MlflowException as exc:  # created by a concurrent run in the meantime
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        created = client.get_experiment_by_name(name)
        if created is None:
            raise
        return str(created.experiment_id)


@contextmanager
def project_run(experiment_name: str, artifact_root: str | None) -> Iterator[Run]:
    """The run to log to: the one `mlflow run` started (MLFLOW_RUN_ID, which must belong to
    `experiment_name`), or a new one in that experiment."""
    if os.environ.get("MLFLOW_RUN_ID"):
        with mlflow.start_run() as run:
            actual = MlflowClient().get_experiment(run.info.experiment_id).name
            if actual != experiment_name:
                raise ConfigurationError(
                    f"this run belongs to experiment '{actual}' but experiment_name is "
                    f"'{experiment_name}'; pass --experiment-name {experiment_name} to mlflow run"
                )
            yield run
        return
    experiment_id = ensure_experiment(experiment_name, artifact_root)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        yield run

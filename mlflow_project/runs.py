"""Which MLflow run a project command logs to: the one `mlflow run` launched, or a new one.

`mlflow run` creates the run before the entry point starts and hands it over in `MLFLOW_RUN_ID`;
training, tuning, monitoring and batch scoring all resume that run through this module, and
outside `mlflow run` open a new run in their experiment (found or created here, with artifacts
beside a local SQLite store rather than in whatever folder the command starts in).
"""

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

LAUNCHED_RUN_VARIABLE = "MLFLOW_RUN_ID"


class WrongExperiment(ValueError):
    """The run `mlflow run` launched belongs to another experiment than the command was given."""


def launched_run_id() -> str | None:
    """The run `mlflow run` started for this process (`MLFLOW_RUN_ID`), if any."""
    return os.environ.get(LAUNCHED_RUN_VARIABLE) or None


def check_launched_run(experiment_name: str) -> None:
    """Refuse early (`WrongExperiment`) when the launched run belongs to another experiment, so a
    command does no work it could not record."""
    run_id = launched_run_id()
    if run_id is None:
        return
    client = MlflowClient()
    experiment = client.get_experiment(client.get_run(run_id).info.experiment_id)
    if experiment.name != experiment_name:
        raise WrongExperiment(
            f"this run belongs to experiment '{experiment.name}' but the experiment name given is "
            f"'{experiment_name}'; pass --experiment-name {experiment_name} to mlflow run")
    if _in_mlflow_default_folder(experiment.artifact_location):
        raise WrongExperiment(
            f"experiment '{experiment.name}' keeps its artifacts in "
            f"{experiment.artifact_location}, MLflow's default `mlruns` folder of the directory "
            "`mlflow run` started in (it created the experiment); create experiments with "
            "`ticket-urgency ensure-experiment --name NAME` before `mlflow run` (artifacts beside "
            "the store), under a new name or after deleting this one")


@contextmanager
def project_run(experiment_name: str, artifact_root: str | None) -> Iterator[Run]:
    """The run to log to: the launched one (which must belong to `experiment_name`), or a new
    one in that experiment (created if missing, with `artifact_root` when given)."""
    if launched_run_id() is not None:
        check_launched_run(experiment_name)
        with mlflow.start_run() as run:
            yield run
        return
    experiment_id = ensure_experiment(experiment_name, artifact_root)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        yield run


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


def experiment_location(tracking_uri: str, artifact_root: str | None, name: str) -> str | None:
    """Where a new experiment `name` keeps its artifacts: `name` under `local_artifact_root`,
    or None to let the store decide."""
    root = local_artifact_root(tracking_uri, artifact_root)
    return f"{root.rstrip('/')}/{name}" if root else None


def _in_mlflow_default_folder(artifact_location: str) -> bool:
    """Whether a local artifact location lies in a `mlruns` folder (MLflow's default root)."""
    parts = urlparse(artifact_location)
    return parts.scheme in ("", "file") and "mlruns" in Path(parts.path).parts


def ensure_experiment(name: str, artifact_root: str | None, *,
                      client: MlflowClient | None = None,
                      tags: dict[str, str] | None = None) -> str:
    """The id of experiment `name`, creating it (with `artifact_root` when given, and `tags`) if
    missing, through `client` (default: the current tracking store)."""
    client = client or MlflowClient()
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    location = experiment_location(client.tracking_uri, artifact_root, name)
    try:
        return str(client.create_experiment(name, artifact_location=location, tags=tags))
    except MlflowException as exc:  # created by a concurrent run in the meantime
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        created = client.get_experiment_by_name(name)
        if created is None:
            raise
        return str(created.experiment_id)

"""Find or create the MLflow experiment a training run logs to."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


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

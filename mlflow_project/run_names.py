"""The names the platform's runs carry in the MLflow UI: which job, on what data, which day.

`mlflow run` gives its run a random name (`bouncy-owl-123`) before the entry point starts; each
job renames its run here, one small function per job: `train-<data hash>-<date>`,
`batch-<date>`, `monitor-<date>`. A training run that registered no model version says so in its
name (`...-nothing-registered`) and in its `nothing_registered` tag (why), so it does not look
like one that produced a model.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mlflow import MlflowClient

DATA_HASH_CHARS = 12
NOTHING_REGISTERED_SUFFIX = "-nothing-registered"
TAG_NOTHING_REGISTERED = "nothing_registered"


def training_run_name(data_sha256: str) -> str:
    """`train-<first 12 hex digits of the data's SHA-256>-<UTC date>`."""
    return f"train-{data_sha256[:DATA_HASH_CHARS]}-{_today()}"


def batch_run_name() -> str:
    """`batch-<UTC date>`."""
    return f"batch-{_today()}"


def monitor_run_name() -> str:
    """`monitor-<UTC date>`."""
    return f"monitor-{_today()}"


def name_run(run_id: str, name: str) -> None:
    """Rename a run (the one `mlflow run` launched with a random name, or one we started)."""
    MlflowClient().update_run(run_id, name=name)


def mark_nothing_registered(run_id: str, name: str, reason: str) -> None:
    """Name the run `<name>-nothing-registered` and tag why, so it is not taken for a model."""
    MlflowClient().set_tag(run_id, TAG_NOTHING_REGISTERED, reason)
    name_run(run_id, f"{name}{NOTHING_REGISTERED_SUFFIX}")


def _today() -> str:
    return datetime.now(UTC).date().isoformat()

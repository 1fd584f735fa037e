"""Daily training of the ticket urgency model: snapshot -> validate -> train -> verdict -> promote?

Each task runs one of the project's commands in the project's own environment (`PROJECT_BIN`);
nothing of the model is imported here. See `airflow/README.md` for settings and how to run it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task
from ticket_urgency_airflow import training
from ticket_urgency_airflow.dates import run_day
from ticket_urgency_airflow.notify import message, send, without_credentials
from ticket_urgency_airflow.settings import load_settings, train_timeout
from ticket_urgency_airflow.task_defaults import default_task_args

DOC = """
### Ticket urgency: daily training

1. **extract**: `ticket-urgency snapshot` copies `TU_TRAINING_DATA_SOURCE` (or the run's
   `data_source` param; local path or `gs://`) to `TU_SNAPSHOT_DIR/<date>/tickets.csv` and records
   its SHA-256. `<date>` is the UTC date of the run's data interval end, or of `run_after` for a
   manual run without a logical date.
2. **validate**: `ticket-urgency validate`; data the contract refuses fails the run here, with the
   reason, and is not retried.
3. **train**: `mlflow run mlflow_project -e train` into experiment `TU_EXPERIMENT_NAME`. A re-run on
   the same snapshot registers nothing new (same data, code and parameters).
4. **verdict**: `registry-tools verdict --data-sha256 <sha>`: the version, its gate status, aliases.
5. **promote**: only with the param `auto_promote` and a passed verdict.
6. **notify**: a log line and a JSON POST to `TU_ALERT_WEBHOOK` (failures are posted by every
   task's failure callback).
"""


@task
def extract() -> dict[str, Any]:
    """Snapshot the training data for this run's date; return path, size and SHA-256."""
    context = get_current_context()
    settings = load_settings()
    source = context["params"].get("data_source") or settings.training_data_source
    return training.take_snapshot(settings, source, run_day(context["dag_run"]))


@task
def validate(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Refuse data that must not be trained on (fails for good, with the reason)."""
    return training.validate_snapshot(load_settings(), snapshot)


@task(execution_timeout=train_timeout())
def train(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Train, register and gate one version as an MLflow Project run (its URL in the log)."""
    return training.train(load_settings(), snapshot)


@task
def verdict(snapshot: dict[str, Any], trained: dict[str, Any]) -> dict[str, Any]:
    """Read the gate's verdict back from the registry (also for a re-run that trained nothing)."""
    return training.read_verdict(load_settings(), snapshot, trained)


@task
def promote(found: dict[str, Any]) -> dict[str, Any]:
    """Auto-promote `@challenger` to `@production` when the param asks and the gate passed."""
    context = get_current_context()
    return training.auto_promote(load_settings(), found,
                                 enabled=bool(context["params"]["auto_promote"]),
                                 run_id=context["dag_run"].run_id)


@task
def notify(snapshot: dict[str, Any], checked: dict[str, Any], trained: dict[str, Any],
           found: dict[str, Any], promotion: dict[str, Any]) -> dict[str, Any]:
    """Log the outcome and POST it to the webhook when one is configured."""
    context = get_current_context()
    settings = load_settings()
    note = message("training.completed",
                   training.summary_text(snapshot, trained, found, promotion), context,
                   snapshot=snapshot, validation=checked, training=trained, verdict=found,
                   promotion=promotion,
                   tracking_uri=without_credentials(settings.tracking_uri))
    note["posted"] = send(note, settings.alert_webhook, settings.http_timeout_seconds)
    return note


@dag(
    dag_id="ticket_urgency_training",
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # two trainings must not race on the same snapshot or the gate
    default_args=default_task_args(),
    params={
        "auto_promote": Param(False, type="boolean",
                              description="move @production to the new @challenger when the "
                                          "gate passed"),
        "data_source": Param(None, type=["null", "string"],
                             description="train on this file (local path or gs://) instead "
                                         "of TU_TRAINING_DATA_SOURCE"),
    },
    tags=["ticket-urgency", "training", "mlflow"],
    doc_md=DOC,
)
def ticket_urgency_training() -> None:
    """extract -> validate -> train -> verdict -> promote -> notify."""
    snapshot = extract()
    checked = validate(snapshot)
    trained = train(snapshot)
    checked >> trained
    found = verdict(snapshot, trained)
    promotion = promote(found)
    notify(snapshot, checked, trained, found, promotion)


ticket_urgency_training()

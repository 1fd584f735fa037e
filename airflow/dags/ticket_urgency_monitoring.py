"""Daily monitoring of the prediction service: health -> monitoring job -> alert or all clear.

The monitoring job runs in the project's own environment (`PROJECT_BIN`); nothing of the model
is imported here. See `airflow/README.md` for settings and how to run it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, get_current_context, task
from ticket_urgency_airflow import monitoring
from ticket_urgency_airflow.dates import monitoring_window
from ticket_urgency_airflow.notify import message, send
from ticket_urgency_airflow.settings import load_settings
from ticket_urgency_airflow.task_defaults import default_task_args

TRAINING_DAG_ID = "ticket_urgency_training"

DOC = """
### Ticket urgency: daily monitoring

1. **check_service**: GET `TU_SERVICE_URL/health` and `/ready`, latency recorded; a service that is
   down or not ready fails the run with the URL and the reason.
2. **run_monitoring**: `python -m mlflow_project.monitoring` on `TU_PREDICTION_LOGS` for one UTC
   day (the day before the run's data interval end or `run_after`, or the `day` param), output
   in `TU_MONITORING_DIR/<day>/summary.json`.
3. **decide**: drift or a quality breach -> **alert** (webhook `TU_ALERT_WEBHOOK`, then the run is
   marked failed) and, on drift with the param `trigger_training_on_drift`, **trigger_training**
   (a run of `ticket_urgency_training`, run id `drift__<this run id>`; it waits while that DAG is
   paused); otherwise **all_clear** (also when the job found too few records of the watched
   version for a verdict, exit 13: its message says so, with how many of how many).
"""


@task
def check_service() -> dict[str, Any]:
    """Is the prediction service up and ready? Records both latencies."""
    return monitoring.check_service(load_settings())


@task(execution_timeout=timedelta(hours=1))
def run_monitoring(health: dict[str, Any]) -> dict[str, Any]:
    """Drift and quality on the day's prediction logs (exit code and summary.json)."""
    context = get_current_context()
    window = monitoring_window(context["dag_run"], context["params"].get("day"))
    result = monitoring.run_monitoring(load_settings(), window)
    result["model_version"] = health.get("model_version")
    return result


@task.branch
def decide(result: dict[str, Any]) -> list[str]:
    """all_clear, or alert (and trigger_training on drift when the param asks for it)."""
    params = get_current_context()["params"]
    return monitoring.branches(result, trigger_training=bool(params["trigger_training_on_drift"]))


@task(retries=0)
def alert(result: dict[str, Any]) -> None:
    """Post the finding to the webhook, then fail the run with its one-line reason (no stack
    trace, no retry: a retry would post the alert again)."""
    settings = load_settings()
    text = monitoring.alert_text(result)
    send(message("monitoring.alert", text, get_current_context(), result=result),
         settings.alert_webhook, settings.http_timeout_seconds)
    raise monitoring.AlertRaised(text)


@task
def all_clear(result: dict[str, Any]) -> dict[str, Any]:
    """Nothing found, or too few records for a verdict: say which in the log."""
    send(message("monitoring.ok", monitoring.clear_text(result), get_current_context(),
                 result=result), None, 0)
    return result


@dag(
    dag_id="ticket_urgency_monitoring",
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=default_task_args(),
    params={
        "day": Param(None, type=["null", "string"], format="date",
                     description="monitor this UTC day (YYYY-MM-DD) instead of the last full day"),
        "trigger_training_on_drift": Param(False, type="boolean",
                                           description=f"trigger {TRAINING_DAG_ID} when drift "
                                                       "is confirmed"),
    },
    tags=["ticket-urgency", "monitoring"],
    doc_md=DOC,
)
def ticket_urgency_monitoring() -> None:
    """check_service -> run_monitoring -> decide -> alert [+ trigger_training] | all_clear."""
    result = run_monitoring(check_service())
    chosen = decide(result)
    retrain = TriggerDagRunOperator(
        task_id="trigger_training", trigger_dag_id=TRAINING_DAG_ID,
        trigger_run_id="drift__{{ run_id }}", skip_when_already_exists=True)
    chosen >> [alert(result), retrain, all_clear(result)]


ticket_urgency_monitoring()

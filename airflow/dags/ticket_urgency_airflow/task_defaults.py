"""What every task of both DAGs shares: retries with backoff and the failure notification.

It sits above `settings` and `notify` (it needs both), so neither of them imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ticket_urgency_airflow import settings
from ticket_urgency_airflow.notify import message, send

log = logging.getLogger(__name__)


def default_task_args() -> dict[str, object]:
    """Retries with exponential backoff for transient failures (deterministic ones fail fast)."""
    return {
        "owner": "ml-platform",
        "retries": settings.parse_time_int("TU_TASK_RETRIES", 2),
        "retry_delay": timedelta(seconds=settings.parse_time_int("TU_RETRY_DELAY_SECONDS", 60, 1)),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(minutes=15),
        "on_failure_callback": notify_task_failure,
    }


def notify_task_failure(context: Mapping[str, Any]) -> None:
    """`on_failure_callback` of every task: say which task failed, why, and where its log is.

    Runs once a task has failed for good (not on a failure that will be retried). A callback
    must not raise, so a failing webhook is only logged.
    """
    exception = context.get("exception")
    if getattr(exception, "already_notified", False):
        return
    try:
        pipeline = settings.load_settings(settings.airflow_lookup, check=False)
        ti = context.get("ti") or context.get("task_instance")
        task_id = getattr(ti, "task_id", "?")
        dag_id = getattr(context.get("dag_run"), "dag_id", "?")
        error = str(exception or "unknown error")
        event = f"{'training' if 'training' in dag_id else 'monitoring'}.failed"
        send(message(event, f"{dag_id}: task {task_id} failed: {error}", context,
                     task_id=task_id, try_number=getattr(ti, "try_number", None), error=error),
             pipeline.alert_webhook, pipeline.http_timeout_seconds)
    except Exception:
        log.exception("could not send the failure notification")

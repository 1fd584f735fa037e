"""Links from a task's log to the MLflow run its command started.

The MLflow UI shows a run at `<UI base>/#/experiments/<experiment id>/runs/<run id>`. The UI base
is `TU_MLFLOW_UI_URL` when set; otherwise the tracking URI itself when it is a tracking server
(`http(s)://`, which serves the UI), credentials removed; with a local store (SQLite) there is no
UI to link to, and the log says how to get one.
"""

from __future__ import annotations

import logging

from ticket_urgency_airflow.notify import without_credentials
from ticket_urgency_airflow.settings import PipelineSettings

log = logging.getLogger(__name__)


def ui_base(settings: PipelineSettings) -> str | None:
    """Where the MLflow UI is, or None when nothing serves one."""
    if settings.mlflow_ui_url:
        return settings.mlflow_ui_url.rstrip("/")
    if settings.tracking_uri.startswith(("http://", "https://")):
        return without_credentials(settings.tracking_uri).rstrip("/")
    return None


def run_url(settings: PipelineSettings, experiment_id: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI, or None without a UI."""
    base = ui_base(settings)
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}" if base else None


def log_run_link(settings: PipelineSettings, what: str, experiment_id: str,
                 run_id: str) -> str | None:
    """Log one line pointing at the run (its URL, or its ids and how to get a URL)."""
    url = run_url(settings, experiment_id, run_id)
    if url:
        log.info("%s: MLflow run %s", what, url)
    else:
        log.info("%s: MLflow run %s in experiment %s (set TU_MLFLOW_UI_URL for a link)", what,
                 run_id, experiment_id)
    return url

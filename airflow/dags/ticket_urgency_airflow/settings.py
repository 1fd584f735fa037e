"""Where the DAGs find the project, its data, the service and the tracking store.

Each setting is read when a task runs (never while the DAG file is parsed) from, in this order:
the Airflow Variable of that name, the environment variable of that name, the default below.
Relative paths are taken relative to `PROJECT_DIR`. `airflow/README.md` documents every name.

Three settings shape the DAG objects themselves and so come from the environment only, at parse
time: `TU_TASK_RETRIES`, `TU_RETRY_DELAY_SECONDS`, `TU_TRAIN_TIMEOUT_MINUTES`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from airflow.sdk.exceptions import AirflowFailException

# <repo>/airflow/dags/ticket_urgency_airflow/settings.py -> <repo>
DEFAULT_PROJECT_DIR = Path(__file__).resolve().parents[3]

Lookup = Callable[[str], str | None]


class SettingsError(AirflowFailException, ValueError):
    """A setting holds a value the pipeline cannot work with; the message names it.

    A retry cannot fix a wrong setting, so the task fails at once (no retries).
    """


@dataclass(frozen=True)
class PipelineSettings:
    """Everything a task needs to call into the project's environment."""

    project_dir: Path
    project_bin: Path
    tracking_uri: str
    experiment_name: str
    training_data_source: str
    snapshot_dir: str
    service_url: str
    prediction_logs: str
    monitoring_dir: str
    monitoring_model_uri: str | None
    monitoring_feedback: str | None
    monitoring_engine: str | None
    alert_webhook: str | None
    http_timeout_seconds: float
    mlflow_ui_url: str | None = None

    def command(self, name: str) -> str:
        """Absolute path of a console script of the project's environment."""
        return str(self.project_bin / name)

    @property
    def mlproject_dir(self) -> Path:
        """The MLflow Project `mlflow run` is pointed at."""
        return self.project_dir / "mlflow_project"


def airflow_lookup(name: str) -> str | None:
    """An Airflow Variable, else the environment variable of the same name, else None."""
    from airflow.sdk import Variable

    value = Variable.get(name, default=None)
    if value in (None, ""):
        value = os.environ.get(name)
    return value or None


def environment_lookup(name: str) -> str | None:
    """The environment variable alone (for code that runs outside a task)."""
    return os.environ.get(name) or None


def load_settings(lookup: Lookup = airflow_lookup, *, check: bool = True) -> PipelineSettings:
    """Read and check the settings; raise `SettingsError` naming the setting that is wrong."""

    def get(name: str, default: str) -> str:
        return lookup(name) or default

    project_dir = Path(get("PROJECT_DIR", str(DEFAULT_PROJECT_DIR))).expanduser()
    project_bin = Path(get("PROJECT_BIN", str(project_dir / ".venv" / "bin"))).expanduser()
    timeout = get("TU_HTTP_TIMEOUT_SECONDS", "10")
    try:
        http_timeout = float(timeout)
    except ValueError:
        raise SettingsError(f"TU_HTTP_TIMEOUT_SECONDS={timeout!r}: must be a number") from None
    settings = PipelineSettings(
        project_dir=project_dir,
        project_bin=project_bin,
        tracking_uri=get("MLFLOW_TRACKING_URI",
                         f"sqlite:///{project_dir / '.mlflow' / 'mlflow.db'}"),
        experiment_name=get("TU_EXPERIMENT_NAME", "ticket_urgency"),
        training_data_source=_location(get("TU_TRAINING_DATA_SOURCE", ".demo/tickets.csv"),
                                       project_dir),
        snapshot_dir=_location(get("TU_SNAPSHOT_DIR", ".demo/snapshots"), project_dir),
        service_url=get("TU_SERVICE_URL", "http://127.0.0.1:8080").rstrip("/"),
        prediction_logs=_location(get("TU_PREDICTION_LOGS", ".run/serving/predictions"),
                                  project_dir),
        monitoring_dir=_location(get("TU_MONITORING_DIR", ".run/monitoring"), project_dir),
        monitoring_model_uri=lookup("TU_MONITORING_MODEL_URI"),
        monitoring_feedback=_optional_location(lookup("TU_MONITORING_FEEDBACK"), project_dir),
        monitoring_engine=lookup("TU_MONITORING_ENGINE"),
        alert_webhook=lookup("TU_ALERT_WEBHOOK"),
        http_timeout_seconds=http_timeout,
        mlflow_ui_url=lookup("TU_MLFLOW_UI_URL"),
    )
    if check:
        check_project(settings)
    return settings


def check_project(settings: PipelineSettings) -> None:
    """The project and its environment are where the settings say, else a clear error."""
    if not (settings.mlproject_dir / "MLproject").is_file():
        raise SettingsError(
            f"PROJECT_DIR={str(settings.project_dir)!r}: no mlflow_project/MLproject there; set "
            "PROJECT_DIR to the repository (the compose image uses /opt/project)")
    for script in ("ticket-urgency", "registry-tools", "mlflow", "python"):
        if not os.access(settings.project_bin / script, os.X_OK):
            raise SettingsError(
                f"PROJECT_BIN={str(settings.project_bin)!r}: no executable {script!r} there; set "
                "PROJECT_BIN to the bin folder of the project's environment (`make install` "
                "creates <repo>/.venv)")
    if settings.monitoring_engine not in (None, "alibi", "scipy"):
        raise SettingsError(f"TU_MONITORING_ENGINE={settings.monitoring_engine!r}: must be "
                            "alibi or scipy")
    if settings.mlflow_ui_url and not settings.mlflow_ui_url.startswith(("http://", "https://")):
        raise SettingsError(f"TU_MLFLOW_UI_URL={settings.mlflow_ui_url!r}: must start with "
                            "http:// or https://")
    if not settings.service_url.startswith(("http://", "https://")):
        raise SettingsError(f"TU_SERVICE_URL={settings.service_url!r}: must start with "
                            "http:// or https://")


def _location(value: str, project_dir: Path) -> str:
    """A URI (`gs://`, `logging+gs://`, `bq://`, ...) as is; a local path made absolute against
    the project folder."""
    if "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else project_dir / path)


def _optional_location(value: str | None, project_dir: Path) -> str | None:
    return _location(value, project_dir) if value else None


def parse_time_int(name: str, default: int, minimum: int = 0) -> int:
    """An integer from the environment for the DAG definition itself, checked."""
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def train_timeout() -> timedelta:
    """How long one training run may take before Airflow stops it."""
    return timedelta(minutes=parse_time_int("TU_TRAIN_TIMEOUT_MINUTES", 120, 1))

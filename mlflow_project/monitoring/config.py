"""The options of one monitoring run, validated before anything is read (cheap to import: the
CLI uses its defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.model_uri import REGISTRY_URI_PATTERN, default_model_uri
from mlflow_project.monitoring.engines.names import Correction, EngineName
from mlflow_project.monitoring.errors import BadArguments

DEFAULT_EXPERIMENT = "ticket_urgency-monitoring"
DEFAULT_WINDOW = timedelta(hours=24)


class MonitorConfig(BaseModel):
    """Everything a run needs to know; see `mlflow_project.monitoring.cli.monitor` for each."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    logs: str = Field(min_length=1)
    since: datetime
    until: datetime
    reference: str | None = None
    model_uri: str = Field(default_factory=default_model_uri, pattern=REGISTRY_URI_PATTERN)
    feedback: str | None = None
    engine: EngineName = EngineName.ALIBI
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    correction: Correction = Correction.BONFERRONI
    quality_tolerance: float = Field(default=0.10, ge=0.0, le=1.0)
    min_labels: int = Field(default=50, ge=1)
    out: str = Field(min_length=1)
    experiment_name: str = Field(default=DEFAULT_EXPERIMENT, min_length=1)

    @model_validator(mode="after")
    def _window_is_not_empty(self) -> MonitorConfig:
        if self.since >= self.until:
            raise ValueError(f"--since ({self.since.isoformat()}) must be before --until "
                             f"({self.until.isoformat()})")
        return self


def resolve_window(since: str | None, until: str | None,
                   now: datetime) -> tuple[datetime, datetime]:
    """[since, until) in UTC: `until` defaults to `now`, `since` to 24 hours before `until`."""
    end = parse_instant(until, "--until") if until else now
    start = parse_instant(since, "--since") if since else end - DEFAULT_WINDOW
    return start, end


def parse_instant(text: str, option: str) -> datetime:
    """An ISO-8601 date or timestamp as an aware UTC datetime (naive means UTC)."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadArguments(f"{option}: {text!r} is not an ISO-8601 date or timestamp") from exc
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def default_out(root: str, now: datetime) -> str:
    """`<root>/<UTC timestamp>`: one folder per run, sortable by time."""
    return f"{root.rstrip('/')}/{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def output_file(out: str, name: str) -> str:
    """Where file `name` goes: inside a `gs://` prefix, or an absolute local path."""
    if out.startswith("gs://"):
        return f"{out.rstrip('/')}/{name}"
    return str((Path(out) / name).resolve())

"""Whether and where the jobs write their custom metrics, read once from the environment.

- `TU_CLOUD_METRICS_MODE` (`off`): `off` keeps the points in the local outputs only
  (`summary.json`); `dry-run` also prints the `CreateTimeSeriesRequest`s as JSON and sends
  nothing; `on` sends them to Cloud Monitoring
- `TU_CLOUD_METRICS_PROJECT` (none; required unless `off`): the Google Cloud project whose
  Cloud Monitoring receives the points
- `TU_CLOUD_METRICS_TIMEOUT_SECONDS` (`30`): deadline of each request, retries included (only
  an unreachable service is retried)

Credentials are Google's usual ones (`GOOGLE_APPLICATION_CREDENTIALS`, the attached service
account); `CLOUD_MONITORING_EMULATOR_HOST=http://HOST:PORT` sends to a local fake instead,
anonymously, as `STORAGE_EMULATOR_HOST` does for GCS.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings

PROJECT_ID = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"


class Mode(StrEnum):
    """Where the points go besides the local outputs."""

    OFF = "off"
    DRY_RUN = "dry-run"
    ON = "on"


class CloudMetricsSettings(PlatformSettings):
    """Cloud Monitoring output of the monitoring and training jobs (`TU_CLOUD_METRICS_`)."""

    model_config = SettingsConfigDict(env_prefix="TU_CLOUD_METRICS_")

    settings_title: ClassVar[str] = "Cloud Monitoring settings"

    mode: Mode = Mode.OFF
    project: str | None = Field(default=None, pattern=PROJECT_ID, validate_default=True)
    timeout_seconds: float = Field(default=30.0, gt=0.0, le=600.0)

    @field_validator("project")
    @classmethod
    def _project_when_used(cls, project: str | None, info: ValidationInfo) -> str | None:
        mode = info.data.get("mode")
        if project is None and mode is not None and mode is not Mode.OFF:
            raise ValueError(f"required when TU_CLOUD_METRICS_MODE is {mode}")
        return project

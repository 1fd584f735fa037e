"""Settings of the local stack, read once from environment variables (prefix `STACK_`).

- `STACK_RUN_DIR` (`.run/stack`): pid files, logs and the emulator's data (kept across restarts)
- `STACK_POSTGRES_URI` (`postgresql+psycopg2://postgres@127.0.0.1:5432/mlflow`): the MLflow
  backend store; the database is created if missing
- `STACK_MLFLOW_PORT` (`5000`), `STACK_GCS_PORT` (`9023`): ports on 127.0.0.1
- `STACK_GCS_BUCKET` (`ml-model-bucket-22`): artifact bucket, created in the emulator
- `STACK_ARTIFACT_PREFIX` (`mlflow`): folder in the bucket for the server's artifacts
- `STACK_STARTUP_TIMEOUT` (`90`): seconds each part may take to answer its health check
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings


class StackSettings(PlatformSettings):
    """Where the stack's parts listen and keep their state."""

    model_config = SettingsConfigDict(env_prefix="STACK_")

    settings_title: ClassVar[str] = "local stack settings"

    run_dir: Path = Path(".run/stack")
    postgres_uri: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/mlflow"
    mlflow_port: int = Field(default=5000, ge=1, le=65535)
    gcs_port: int = Field(default=9023, ge=1, le=65535)
    gcs_bucket: str = Field(default="ml-model-bucket-22", min_length=3)
    artifact_prefix: str = "mlflow"
    startup_timeout: float = Field(default=90.0, gt=0)

    @field_validator("postgres_uri")
    @classmethod
    def _psycopg2_driver(cls, uri: str) -> str:
        if not uri.startswith("postgresql+psycopg2://"):
            raise ValueError("must start with postgresql+psycopg2:// (psycopg2 is the driver "
                             "installed; plain postgresql:// would look for psycopg 3)")
        return uri

    @property
    def tracking_uri(self) -> str:
        """What clients set as MLFLOW_TRACKING_URI."""
        return f"http://127.0.0.1:{self.mlflow_port}"

    @property
    def emulator_host(self) -> str:
        """What GCS clients set as STORAGE_EMULATOR_HOST."""
        return f"http://127.0.0.1:{self.gcs_port}"

    @property
    def artifacts_destination(self) -> str:
        """Where the tracking server stores (proxied) artifacts."""
        return f"gs://{self.gcs_bucket}/{self.artifact_prefix.strip('/')}"

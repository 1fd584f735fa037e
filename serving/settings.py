"""The prediction service's configuration: environment variables, validated once at start-up.

Every variable is documented in `serving/README.md`. An empty variable counts as unset, so
`API_KEYS=` in a compose file means "no keys". A bad value stops the process before it serves
anything, with a message naming the variable and the rule it broke (never the value of a secret).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from contracts.model_uri import default_model_uri
from contracts.settings import PlatformSettings
from serving.private_files import check_writable_folder, make_private_dirs, open_private_append

MIN_API_KEY_CHARS = 16
PROJECT_ID = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"  # Google Cloud's rule for project ids


class LogSink(StrEnum):
    """Where prediction-log lines go, besides a file path."""

    STDOUT = "stdout"
    OFF = "off"


class ServingSettings(PlatformSettings):
    """Everything the service reads from its environment (see `serving/README.md`); MODEL_URI
    defaults to `models:/<TU_MODEL_NAME>@production`."""

    settings_title: ClassVar[str] = "serving configuration"
    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_keys"})

    model_uri: str = Field(default_factory=default_model_uri, min_length=1)
    host: str = Field(default="0.0.0.0", min_length=1)  # a container listens on every address
    port: int = Field(default=8080, ge=1, le=65535)
    api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    prediction_log: str = Field(default=LogSink.STDOUT.value, min_length=1)
    variant: str = Field(default="production", pattern=r"^[a-z][a-z0-9-]{0,62}$")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_batch_size: int = Field(default=100, ge=1, le=10_000)
    max_title_chars: int = Field(default=500, ge=1)
    max_description_chars: int = Field(default=20_000, ge=1)
    model_retry_seconds: float = Field(default=30.0, gt=0, le=3600)
    model_load_wait_seconds: float = Field(default=30.0, ge=0, le=3600)
    gunicorn_workers: int = Field(default=1, ge=1, le=64)
    gunicorn_threads: int = Field(default=4, ge=1, le=256)
    graceful_timeout_seconds: int = Field(default=8, ge=1, le=3600)
    client_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    keepalive_seconds: int = Field(default=5, ge=1, le=300)
    max_connections: int = Field(default=1000, ge=8, le=100_000)
    log_level: str = Field(default="info", pattern=r"^(?i:debug|info|warning|error)$")
    google_cloud_project: str | None = Field(default=None, pattern=PROJECT_ID)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """`API_KEYS` is a comma-separated list; each key is long and free of whitespace."""
        if not isinstance(value, str):
            return value
        keys = tuple(key.strip() for key in value.split(","))
        if any(not key for key in keys):
            raise ValueError("must be comma-separated keys with no empty entry")
        if any(len(key) < MIN_API_KEY_CHARS or any(c.isspace() for c in key) for key in keys):
            raise ValueError(f"each key needs at least {MIN_API_KEY_CHARS} characters and no "
                             "whitespace")
        return keys

    @field_validator("prediction_log")
    @classmethod
    def _writable_sink(cls, value: str) -> str:
        """A file sink must be creatable at start-up (folders 0700, the file 0600), so a bad
        path stops the server with exit 2 instead of crashing its worker at boot."""
        if value.lower() in {sink.value for sink in LogSink}:
            return value.lower()
        try:
            if _names_a_directory(value):
                check_writable_folder(Path(value))
            else:
                make_private_dirs(Path(value).parent)
                open_private_append(Path(value)).close()
        except OSError as exc:
            raise ValueError(f"must be stdout, off, or a writable file or folder path ({exc})"
                             ) from exc
        return value

    @property
    def api_key_bytes(self) -> tuple[bytes, ...]:
        """The configured keys as bytes, ready for constant-time comparison."""
        return tuple(key.get_secret_value().encode() for key in self.api_keys)

    @property
    def auth_enabled(self) -> bool:
        """Whether `/predict*` require a key."""
        return bool(self.api_keys)

    @property
    def prediction_log_is_directory(self) -> bool:
        """A folder sink gets one JSONL file per process; a file path is appended to as is."""
        return _names_a_directory(self.prediction_log)


def _names_a_directory(path: str) -> bool:
    return path.endswith(("/", "\\")) or Path(path).is_dir()

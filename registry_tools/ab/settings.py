"""Settings of the A/B commands, read once per command from environment variables (`AB_`).

- `AB_TARGET` (`local`): `local` (the rehearsal on this machine) or `cloudrun` (the service the
  `CLOUD_RUN_*` variables name)
- `AB_RUN_DIR` (`.run/ab`): state, pid files, logs and the nginx prefix of the local rehearsal
- `AB_PROXY_PORT` (`8090`): loopback port the local rehearsal's nginx listens on
- `AB_STARTUP_TIMEOUT` (`120`): seconds a local server may take to load its model (`/ready`)

Local is the default for the same reason the tracking store is: with nothing configured,
everything runs on one machine. The Cloud Run service itself is set by `CLOUD_RUN_*`
(`registry_tools.cloudrun.settings`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_tools.cloudrun.settings import SettingsError


class TargetKind(StrEnum):
    """Where the A/B test runs."""

    LOCAL = "local"
    CLOUDRUN = "cloudrun"


class AbSettings(BaseSettings):
    """The target of the A/B commands and the local rehearsal's ports and folders."""

    model_config = SettingsConfigDict(env_prefix="AB_", env_ignore_empty=True, frozen=True,
                                      extra="ignore")

    target: TargetKind = TargetKind.LOCAL
    run_dir: Path = Path(".run/ab")
    proxy_port: int = Field(default=8090, ge=1, le=65535)
    startup_timeout: float = Field(default=120.0, gt=0, le=3600)


def load_settings() -> AbSettings:
    """Read and validate the environment; a bad value raises `SettingsError` naming it."""
    try:
        return AbSettings()
    except ValidationError as exc:
        lines = [f"AB_{str(e['loc'][0]).upper()}={e.get('input')!r}: {e['msg']}"
                 for e in exc.errors()]
        raise SettingsError("invalid A/B settings:\n  " + "\n  ".join(lines)) from None

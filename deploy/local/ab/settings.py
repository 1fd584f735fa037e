"""Settings of the A/B commands and the local rehearsal, read once per command from environment
variables (`AB_`).

- `AB_TARGET` (`local`): `local` (the rehearsal on this machine) or `cloudrun` (the service the
  `CLOUD_RUN_*` variables name)
- `AB_RUN_DIR` (`.run/ab`): state, pid files, logs and the nginx prefix of the local rehearsal
- `AB_PROXY_PORT` (`8090`): loopback port the local rehearsal's nginx listens on
- `AB_STARTUP_TIMEOUT` (`120`): seconds a local server may take to load its model (`/ready`)

Local is the default for the same reason the tracking store is: with nothing configured,
everything runs on one machine. The Cloud Run service itself is set by `CLOUD_RUN_*`
(`deploy.cloudrun.settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings
from deploy.targets import TargetKind


class AbSettings(PlatformSettings):
    """The target of the A/B commands and the local rehearsal's ports and folders."""

    model_config = SettingsConfigDict(env_prefix="AB_")

    settings_title: ClassVar[str] = "A/B settings"

    target: TargetKind = TargetKind.LOCAL
    run_dir: Path = Path(".run/ab")
    proxy_port: int = Field(default=8090, ge=1, le=65535)
    startup_timeout: float = Field(default=120.0, gt=0, le=3600)

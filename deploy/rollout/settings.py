"""Settings of a rollout, read once from environment variables (`ROLLOUT_`).

- `ROLLOUT_STEPS` (`10,50,100`): the candidate's share of traffic at each step, increasing,
  ending at 100
- `ROLLOUT_WINDOW_SECONDS` (`300`): how long each step is watched before the next one; on Cloud
  Run keep it well above Cloud Monitoring's sampling (request metrics are written every 60 s and
  may take up to 3 minutes to appear)
- `ROLLOUT_MAX_ERROR_RATE` (`0.02`): the largest share of the candidate's requests that may answer
  5xx in a window
- `ROLLOUT_MAX_P99_MS` (`2000`): the largest p99 latency of the candidate's requests, milliseconds
- `ROLLOUT_MIN_REQUESTS` (`20`): fewer requests than this in a window are not judged (too few to
  tell), the step is then passed with a warning
- `ROLLOUT_SMOKE_TIMEOUT_SECONDS` (`30`): timeout of each smoke-test request
- `ROLLOUT_SMOKE_ID_TOKEN` (`true`): on Cloud Run, send a Google ID token with the smoke test
  (the service is private, IAM); `false` for a service that allows unauthenticated calls
- `ROLLOUT_API_KEY` (unset): the key the smoke test's `/predict` sends (`X-API-Key`) when the
  service has `API_KEYS`
- `ROLLOUT_API_KEY_SECRET` (unset): instead, a Secret Manager secret `NAME:VERSION` holding the
  service's `API_KEYS` (the first key is used); read in `CLOUD_RUN_PROJECT`
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from contracts.settings import PlatformSettings
from deploy.rollout.plan import Thresholds


class RolloutSettings(PlatformSettings):
    """Traffic steps, the watch window and the breach rule of a rollout; the smoke test's key."""

    model_config = SettingsConfigDict(env_prefix="ROLLOUT_")

    settings_title: ClassVar[str] = "rollout settings"
    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key"})

    steps: Annotated[tuple[int, ...], NoDecode] = (10, 50, 100)
    window_seconds: float = Field(default=300.0, gt=0, le=3600)
    max_error_rate: float = Field(default=0.02, ge=0, le=1)
    max_p99_ms: float = Field(default=2000.0, gt=0)
    min_requests: int = Field(default=20, ge=1)
    smoke_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    smoke_id_token: bool = True
    api_key: SecretStr | None = None
    api_key_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]+:[A-Za-z0-9]+$")

    @field_validator("steps", mode="before")
    @classmethod
    def _parse_steps(cls, value: object) -> object:
        """`10,50,100` -> (10, 50, 100)."""
        if isinstance(value, str):
            try:
                return tuple(int(part) for part in value.split(","))
            except ValueError:
                raise ValueError("must be comma-separated whole percents, e.g. 10,50,100"
                                 ) from None
        return value

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        """Increasing percents 1-100, ending at 100 (a rollout ends with all traffic)."""
        if not value or value[-1] != 100 or value[0] < 1:
            raise ValueError("must be percents between 1 and 100 ending at 100")
        if any(later <= earlier for earlier, later in pairwise(value)):
            raise ValueError("must increase step by step")
        return value

    @property
    def thresholds(self) -> Thresholds:
        """The breach rule of every watch."""
        return Thresholds(max_error_rate=self.max_error_rate, max_p99_ms=self.max_p99_ms,
                          min_requests=self.min_requests)

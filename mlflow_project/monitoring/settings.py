"""Settings of the monitoring package, read once from environment variables (`TU_MONITOR_`).

| variable | default | meaning |
|---|---|---|
| `TU_MONITOR_TEXT_COMPONENTS` | 30 | TruncatedSVD components of the text representation |
| `TU_MONITOR_REFERENCE_MAX_ROWS` | 50000 | larger references are sampled down to this many rows |
| `TU_MONITOR_WINDOW_MAX_INPUT_ROWS` | 50000 | input-drift checks sample the window to this |
| `TU_MONITOR_MIN_RECORDS` | 100 | fewer records of the watched version: no verdict, exit 13 |
| `TU_MONITOR_SEED` | 0 | seed of the reference and window samples, the text split and the SVD |
| `TU_MONITOR_OUT_ROOT` | `.run/monitoring` | where `--out` defaults to `<root>/<UTC timestamp>` |

`TU_MONITOR_MIN_RECORDS` defaults to the smallest window the calibration measures (the reasoning
is in `mlflow_project.monitoring.watched_sample`).

`TU_ARTIFACT_ROOT` (see `mlflow_project.settings`) decides where a new monitoring experiment
keeps its artifacts on a local store, as for training.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.settings import PlatformSettings
from mlflow_project.monitoring.logs import DEFAULT_MAX_INPUT_ROWS
from mlflow_project.monitoring.watched_sample import DEFAULT_MIN_RECORDS


class MonitorSettings(PlatformSettings):
    """Environment configuration of monitoring runs (the CLI options cover the rest)."""

    model_config = SettingsConfigDict(env_prefix="TU_MONITOR_")

    settings_title: ClassVar[str] = "monitoring settings"

    text_components: int = Field(default=30, ge=2, le=200)
    reference_max_rows: int = Field(default=50_000, ge=100)
    window_max_input_rows: int = Field(default=DEFAULT_MAX_INPUT_ROWS, ge=100)
    min_records: int = Field(default=DEFAULT_MIN_RECORDS, ge=1)
    seed: int = Field(default=0, ge=0)
    out_root: str = Field(default=".run/monitoring", min_length=1)

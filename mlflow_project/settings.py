"""Settings of the training package, read once from environment variables (prefix `TU_`).

| variable | default | meaning |
|---|---|---|
| `TU_MODEL_NAME` | `ticket_urgency` | registered model name |
| `TU_ACTOR` | the OS user | who is recorded on registry changes |
| `TU_GATE_MIN_ROC_AUC` | 0.75 | absolute bar a new version must meet |
| `TU_GATE_MIN_PR_AUC` | 0.30 | absolute bar a new version must meet |
| `TU_GATE_MAX_REGRESSION` | 0.01 | largest drop in ROC-AUC or PR-AUC allowed against production |
| `TU_ARTIFACT_ROOT` | beside a SQLite store | artifacts of experiments made on a local store |

`MLFLOW_TRACKING_URI` itself is read by MLflow; this package never rewrites it.
"""

from __future__ import annotations

import getpass
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mlflow_project.registry.gate import GatePolicy


class ProjectSettings(BaseSettings):
    """Environment configuration shared by training, the gate and the registry tools."""

    model_config = SettingsConfigDict(env_prefix="TU_", protected_namespaces=())

    model_name: str = Field(default="ticket_urgency", min_length=1)
    actor: str = Field(default_factory=getpass.getuser, min_length=1)
    gate_min_roc_auc: float = Field(default=0.75, ge=0.0, le=1.0)
    gate_min_pr_auc: float = Field(default=0.30, ge=0.0, le=1.0)
    gate_max_regression: float = Field(default=0.01, ge=0.0, le=1.0)
    artifact_root: str | None = None

    @property
    def gate_policy(self) -> GatePolicy:
        """The promotion gate's bars, as configured."""
        return GatePolicy(min_roc_auc=self.gate_min_roc_auc, min_pr_auc=self.gate_min_pr_auc,
                          max_regression=self.gate_max_regression)


@lru_cache(maxsize=1)
def get_settings() -> ProjectSettings:
    """The settings, validated on first use; a bad value fails with the variable's name."""
    return ProjectSettings()

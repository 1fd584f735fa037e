"""Settings of the training package, read once from environment variables (prefix `TU_`).

| variable | default | meaning |
|---|---|---|
| `TU_MODEL_NAME` | `ticket_urgency` | registered model name |
| `TU_ACTOR` | the OS user | who is recorded on registry changes |
| `TU_GATE_MIN_ROC_AUC` | 0.75 | absolute bar a new version must meet |
| `TU_GATE_MIN_PR_AUC` | 0.30 | absolute bar a new version must meet |
| `TU_GATE_MARGIN_ROC_AUC` | 0.02 | largest ROC-AUC drop vs production the interval may reach |
| `TU_GATE_MARGIN_PR_AUC` | 0.05 | the same for PR-AUC |
| `TU_GATE_MARGIN_RECALL` | 0.10 | the same for recall at each version's own threshold |
| `TU_GATE_CONFIDENCE` | 0.95 | confidence of the paired bootstrap interval (1000 replicates) |
| `TU_NOMINATE_LEASE_SECONDS` | 30 | lease of training's @challenger nomination (under 60 s) |
| `TU_ARTIFACT_ROOT` | beside a SQLite store | artifacts of experiments made on a local store |

`MLFLOW_TRACKING_URI` itself is read by MLflow; this package never rewrites it.
"""

from __future__ import annotations

import getpass
from typing import ClassVar

from pydantic import Field

from contracts.settings import ModelSettings
from mlflow_project.registry.gate import GatePolicy


class ProjectSettings(ModelSettings):
    """Environment configuration shared by training, the gate and the registry tools
    (`TU_MODEL_NAME` comes from `contracts.settings.ModelSettings`)."""

    settings_title: ClassVar[str] = "project settings"

    actor: str = Field(default_factory=getpass.getuser, min_length=1)
    gate_min_roc_auc: float = Field(default=0.75, ge=0.0, le=1.0)
    gate_min_pr_auc: float = Field(default=0.30, ge=0.0, le=1.0)
    gate_margin_roc_auc: float = Field(default=0.02, ge=0.0, le=1.0)
    gate_margin_pr_auc: float = Field(default=0.05, ge=0.0, le=1.0)
    gate_margin_recall: float = Field(default=0.10, ge=0.0, le=1.0)
    gate_confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    # A dead nominator's ticket is broken after this long, within the 60 s the next mover waits.
    nominate_lease_seconds: float = Field(default=30.0, gt=0.0, lt=60.0)
    artifact_root: str | None = None

    @property
    def gate_policy(self) -> GatePolicy:
        """The promotion gate's bars, as configured."""
        return GatePolicy(min_roc_auc=self.gate_min_roc_auc, min_pr_auc=self.gate_min_pr_auc,
                          margin_roc_auc=self.gate_margin_roc_auc,
                          margin_pr_auc=self.gate_margin_pr_auc,
                          margin_recall=self.gate_margin_recall,
                          confidence=self.gate_confidence)

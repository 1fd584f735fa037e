"""Run the gate for a registered version: score it and production on the same evaluation data.

Used right after training, and again by promotion when production has changed since. Both models
are loaded from the registry, so a version that cannot be loaded never becomes the challenger.
"""

from __future__ import annotations

import tempfile

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from mlflow_project.data.contract import FEATURE_COLUMNS, LABEL_COLUMN
from mlflow_project.evaluation.metrics import GATE_METRICS, classification_metrics
from mlflow_project.registry import naming
from mlflow_project.registry.gate import GateDecision, GatePolicy, decide
from mlflow_project.registry.store import move_alias, tag_version, version_by_alias

HOLDOUT_ARTIFACT = "evaluation/holdout.parquet"


def load_holdout(run_id: str) -> pd.DataFrame:
    """The labelled test split a training run kept with itself (what its gate judged on)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=HOLDOUT_ARTIFACT,
                                                   dst_path=tmp)
        return pd.read_parquet(path)


def ranking_metrics(model_uri: str, holdout: pd.DataFrame) -> dict[str, float]:
    """ROC-AUC and PR-AUC of a registered model on a labelled hold-out frame."""
    model = mlflow.pyfunc.load_model(model_uri)
    scores = model.predict(holdout[list(FEATURE_COLUMNS)])["urgency_probability"].to_numpy()
    labels = holdout[LABEL_COLUMN].to_numpy()
    metrics = classification_metrics(labels, np.asarray(scores, dtype=float), threshold=0.5)
    return {m: metrics[m] for m in GATE_METRICS if m in metrics}


def judge_version(client: MlflowClient, name: str, version: str, holdout: pd.DataFrame,
                  policy: GatePolicy, actor: str) -> GateDecision:
    """Gate `version` against the current production version; record the verdict on the version.

    On a pass the version becomes the challenger (with an audit record); on a failure it is tagged
    with the reason and no alias moves.
    """
    candidate = ranking_metrics(f"models:/{name}/{version}", holdout)
    production = version_by_alias(client, name, naming.PRODUCTION)
    baseline_version = str(production.version) if production else ""
    if baseline_version == str(version):
        baseline_version = ""
    baseline = (ranking_metrics(f"models:/{name}/{baseline_version}", holdout)
                if baseline_version else None)
    decision = decide(candidate, baseline, policy)
    tags: dict[str, object] = {
        naming.TAG_VALIDATION_STATUS: decision.status,
        naming.TAG_VALIDATION_REASON: decision.summary,
        naming.TAG_GATE_BASELINE_VERSION: baseline_version,
        **{naming.metric_tag(f"gate.{m}"): f"{v:.6f}" for m, v in candidate.items()},
        **{naming.metric_tag(f"gate.production.{m}"): f"{v:.6f}"
           for m, v in (baseline or {}).items()},
    }
    tag_version(client, name, version, tags)
    if decision.passed:
        reason = (f"passed the gate against production v{baseline_version}" if baseline_version
                  else "passed the absolute bars (no production version yet)")
        move_alias(client, name, naming.CHALLENGER, version, actor=actor, reason=reason)
    return decision

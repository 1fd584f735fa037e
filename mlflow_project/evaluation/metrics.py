"""Evaluation metrics of an urgency model, overall and per data slice."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from mlflow_project.model.decision import urgent_at

GATE_METRICS: tuple[str, ...] = ("roc_auc", "pr_auc")


def classification_metrics(labels: np.ndarray, scores: np.ndarray,
                           threshold: float) -> dict[str, float]:
    """ROC-AUC, PR-AUC, Brier score, and precision/recall/F1 of "urgent" at `threshold`.

    Ranking metrics need both classes; where one is absent they are left out rather than faked.
    """
    predicted = urgent_at(scores, threshold)
    metrics = {
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "brier": float(brier_score_loss(labels, scores)),
        "urgent_rate": float(np.mean(labels)),
        "predicted_urgent_rate": float(np.mean(predicted)),
        "rows": float(len(labels)),
    }
    if len(np.unique(labels)) == 2:
        metrics["roc_auc"] = float(roc_auc_score(labels, scores))
        metrics["pr_auc"] = float(average_precision_score(labels, scores))
    return metrics


def sliced_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float,
                   slices: pd.Series | None) -> dict[str, float]:
    """Overall metrics plus `slice.<value>.<metric>` for each value of the slice column."""
    metrics = classification_metrics(labels, scores, threshold)
    if slices is None:
        return metrics
    values = slices.to_numpy()
    for value in sorted(set(values)):
        mask = values == value
        for name, number in classification_metrics(labels[mask], scores[mask], threshold).items():
            metrics[f"slice.{value}.{name}"] = number
    return metrics

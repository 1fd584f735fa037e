"""Quality on delayed labels: join true labels to the window's predictions and compare the
metrics with the version's validation metrics.

Labels arrive late and for part of the traffic only, so the join is by `ticket_id` and reports
its coverage. A breach is a metric worse than validation by more than the tolerance (absolute
points), judged only once enough labelled predictions exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from contracts.feedback import FeedbackLabels
from mlflow_project.evaluation.metrics import classification_metrics
from mlflow_project.model.decision import urgent_at
from mlflow_project.monitoring.watched_model import QUALITY_METRICS


@dataclass(frozen=True)
class QualityResult:
    """Metrics on the labelled part of the window and the verdict against validation."""

    judged: bool
    breach: bool
    labelled: int
    predictions: int
    coverage: float
    unmatched_labels: int
    duplicate_predictions: int
    metrics: dict[str, float]
    validation: dict[str, float]
    breached: list[str]
    tolerance: float
    min_labels: int
    reason: str
    feedback_rows: int = 0
    feedback_repeated_rows: int = 0
    over_time: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)


def assess_quality(predictions: pd.DataFrame, feedback: FeedbackLabels, threshold: float,
                   validation: Mapping[str, float], tolerance: float, min_labels: int,
                   bucket: str) -> QualityResult:
    """Join labels to `predictions` (the watched version's records) and judge the metrics.

    A ticket scored more than once in the window counts once, with its latest prediction.
    `bucket` is the pandas frequency of the quality-over-time table ("h" or "D").
    """
    scored = predictions.dropna(subset=["ticket_id"]).sort_values("timestamp", kind="stable")
    latest = scored.drop_duplicates("ticket_id", keep="last")
    labels = feedback.frame()
    joined = latest.merge(labels.rename(columns={"urgent": "label"}), on="ticket_id", how="inner")
    labelled = len(joined)
    metrics = _metrics(joined, threshold) if labelled else {}
    enough = labelled >= min_labels
    breached = [m for m in QUALITY_METRICS
                if enough and m in metrics and m in validation
                and metrics[m] < validation[m] - tolerance]
    return QualityResult(
        judged=enough, breach=bool(breached), labelled=labelled, predictions=len(predictions),
        coverage=labelled / len(latest) if len(latest) else 0.0,
        unmatched_labels=len(labels) - labelled,
        duplicate_predictions=len(scored) - len(latest),
        metrics=metrics, validation=dict(validation), breached=breached, tolerance=tolerance,
        min_labels=min_labels,
        reason=_reason(enough, labelled, min_labels, breached, metrics, validation, tolerance),
        feedback_rows=feedback.rows, feedback_repeated_rows=feedback.repeated_rows,
        over_time=quality_over_time(joined, threshold, bucket))


def quality_over_time(joined: pd.DataFrame, threshold: float, bucket: str) -> pd.DataFrame:
    """Labelled predictions, precision, recall and F1 per time bucket (empty buckets dropped)."""
    rows = []
    for start, group in joined.groupby(pd.Grouper(key="timestamp", freq=bucket)):
        if len(group) == 0:
            continue
        precision, recall, f1, _ = precision_recall_fscore_support(
            group["label"], urgent_at(group["urgency_probability"], threshold), average="binary",
            zero_division=0)
        rows.append({"start": start, "labelled": len(group), "precision": float(precision),
                     "recall": float(recall), "f1": float(f1)})
    return pd.DataFrame(rows, columns=["start", "labelled", "precision", "recall", "f1"])


def _metrics(joined: pd.DataFrame, threshold: float) -> dict[str, float]:
    """The evaluation's own metric definitions, so window and validation numbers compare."""
    labels = joined["label"].to_numpy(dtype=np.int64)
    scores = joined["urgency_probability"].to_numpy(dtype=float)
    computed = classification_metrics(labels, scores, threshold)
    return {m: computed[m] for m in (*QUALITY_METRICS, "pr_auc", "urgent_rate") if m in computed}


def _reason(enough: bool, labelled: int, min_labels: int, breached: list[str],
            metrics: Mapping[str, float], validation: Mapping[str, float],
            tolerance: float) -> str:
    if not enough:
        return f"not judged: {labelled} labelled predictions, at least {min_labels} needed"
    if not breached:
        return f"within {tolerance:.2f} of the validation metrics"
    return "; ".join(f"{m} {metrics[m]:.3f} < validation {validation[m]:.3f} - {tolerance:.2f}"
                     for m in breached)

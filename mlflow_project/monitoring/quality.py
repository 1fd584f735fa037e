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

from mlflow_project.data.contract import ContractError
from mlflow_project.data.io import DataSourceError, read_table
from mlflow_project.evaluation.metrics import classification_metrics
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.watched_model import QUALITY_METRICS

FEEDBACK_COLUMNS: tuple[str, ...] = ("ticket_id", "urgent")


@dataclass(frozen=True)
class Feedback:
    """Valid labels (one per ticket id, the last given wins) and what was dropped."""

    labels: pd.DataFrame
    rows: int
    invalid_rows: int
    duplicate_ids: int


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
    feedback_invalid_rows: int = 0
    over_time: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)


def load_feedback(uri: str) -> Feedback:
    """Read a CSV/Parquet of delayed labels (`ticket_id`, `urgent`) from a path or gs:// URI."""
    try:
        raw, _ = read_table(uri)
        return parse_feedback(raw)
    except (DataSourceError, ContractError) as exc:
        raise InputUnusable(f"feedback unusable: {exc}") from exc


def parse_feedback(raw: pd.DataFrame) -> Feedback:
    """Keep rows with a ticket id and a 0/1 label; the last label of a repeated id wins."""
    missing = [c for c in FEEDBACK_COLUMNS if c not in raw.columns]
    if missing:
        raise ContractError(f"missing column(s) {', '.join(missing)}; feedback needs "
                            f"{', '.join(FEEDBACK_COLUMNS)}")
    ids = raw["ticket_id"].astype("string").str.strip()
    labels = pd.to_numeric(raw["urgent"], errors="coerce")
    valid = ids.notna() & (ids != "") & labels.isin([0, 1])
    frame = pd.DataFrame({"ticket_id": ids[valid].astype(str),
                          "urgent": labels[valid].astype("int64")})
    duplicates = int(frame["ticket_id"].duplicated(keep="last").sum())
    frame = frame.drop_duplicates("ticket_id", keep="last").reset_index(drop=True)
    return Feedback(labels=frame, rows=len(raw), invalid_rows=int((~valid).sum()),
                    duplicate_ids=duplicates)


def assess_quality(predictions: pd.DataFrame, feedback: Feedback, threshold: float,
                   validation: Mapping[str, float], tolerance: float, min_labels: int,
                   bucket: str) -> QualityResult:
    """Join labels to `predictions` (the watched version's records) and judge the metrics.

    A ticket scored more than once in the window counts once, with its latest prediction.
    `bucket` is the pandas frequency of the quality-over-time table ("h" or "D").
    """
    scored = predictions.dropna(subset=["ticket_id"]).sort_values("timestamp", kind="stable")
    latest = scored.drop_duplicates("ticket_id", keep="last")
    joined = latest.merge(feedback.labels.rename(columns={"urgent": "label"}), on="ticket_id",
                          how="inner")
    labelled = len(joined)
    metrics = _metrics(joined, threshold) if labelled else {}
    enough = labelled >= min_labels
    breached = [m for m in QUALITY_METRICS
                if enough and m in metrics and m in validation
                and metrics[m] < validation[m] - tolerance]
    return QualityResult(
        judged=enough, breach=bool(breached), labelled=labelled, predictions=len(predictions),
        coverage=labelled / len(latest) if len(latest) else 0.0,
        unmatched_labels=len(feedback.labels) - labelled,
        duplicate_predictions=len(scored) - len(latest),
        metrics=metrics, validation=dict(validation), breached=breached, tolerance=tolerance,
        min_labels=min_labels,
        reason=_reason(enough, labelled, min_labels, breached, metrics, validation, tolerance),
        feedback_rows=feedback.rows, feedback_invalid_rows=feedback.invalid_rows,
        over_time=quality_over_time(joined, threshold, bucket))


def quality_over_time(joined: pd.DataFrame, threshold: float, bucket: str) -> pd.DataFrame:
    """Labelled predictions, precision, recall and F1 per time bucket (empty buckets dropped)."""
    rows = []
    for start, group in joined.groupby(pd.Grouper(key="timestamp", freq=bucket)):
        if len(group) == 0:
            continue
        precision, recall, f1, _ = precision_recall_fscore_support(
            group["label"], group["urgency_probability"] >= threshold, average="binary",
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

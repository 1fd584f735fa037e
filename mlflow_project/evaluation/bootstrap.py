"""Paired, stratified bootstrap of the difference between two models scored on the same rows.

Each replicate resamples the urgent and the non-urgent rows separately (so every replicate has
both classes and the class balance of the data) and scores BOTH models on the same resampled
rows, so what the two models share (easy and hard tickets) cancels out of the difference. The
metrics are computed for all replicates at once, with the same definitions as scikit-learn:
ROC-AUC with ties counted as one half, average precision with tied scores forming one
threshold, and recall at each model's own decision threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from mlflow_project.model.decision import urgent_at

BOOTSTRAP_METRICS: tuple[str, ...] = ("roc_auc", "pr_auc", "recall")
CELLS_PER_CHUNK = 2_000_000  # replicates x rows scored at once: bounds memory on large sets


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """Plain floats, for tags and JSON reports."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class ScoredModel:
    """One model's scores on the compared rows and the threshold it labels "urgent" at."""

    scores: np.ndarray
    threshold: float


def paired_difference(labels: np.ndarray, candidate: ScoredModel, baseline: ScoredModel, *,
                      replicates: int = 1000, confidence: float = 0.95,
                      seed: int = 0) -> dict[str, Interval]:
    """Candidate minus baseline for each of `BOOTSTRAP_METRICS`, with a percentile interval.

    Needs at least one urgent and one non-urgent row; raises ValueError otherwise.
    """
    labels = np.asarray(labels).astype(int)
    if labels.min() == labels.max():
        raise ValueError("the compared rows hold one class only: no ranking metric is defined")
    rng = np.random.default_rng(seed)
    point_a = metrics_of(labels[None, :], candidate.scores[None, :], candidate.threshold)
    point_b = metrics_of(labels[None, :], baseline.scores[None, :], baseline.threshold)
    differences: dict[str, list[np.ndarray]] = {metric: [] for metric in BOOTSTRAP_METRICS}
    chunk = max(1, CELLS_PER_CHUNK // len(labels))
    for start in range(0, replicates, chunk):
        rows = _stratified_resamples(labels, min(chunk, replicates - start), rng)
        boot_a = metrics_of(labels[rows], candidate.scores[rows], candidate.threshold)
        boot_b = metrics_of(labels[rows], baseline.scores[rows], baseline.threshold)
        for metric in BOOTSTRAP_METRICS:
            differences[metric].append(boot_a[metric] - boot_b[metric])
    tail = (1.0 - confidence) / 2 * 100
    result = {}
    for metric in BOOTSTRAP_METRICS:
        low, high = np.percentile(np.concatenate(differences[metric]), [tail, 100 - tail])
        result[metric] = Interval(float(point_a[metric][0] - point_b[metric][0]), float(low),
                                  float(high))
    return result


def metrics_of(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, np.ndarray]:
    """ROC-AUC, average precision and recall at `threshold` of each row of 2-D label and score
    arrays (one replicate per row; every row must hold both classes)."""
    positives = labels.sum(axis=1)
    negatives = labels.shape[1] - positives
    return {
        "roc_auc": _roc_auc(labels, scores, positives, negatives),
        "pr_auc": _average_precision(labels, scores, positives),
        "recall": (urgent_at(scores, threshold) & (labels == 1)).sum(axis=1) / positives,
    }


def _stratified_resamples(labels: np.ndarray, replicates: int,
                          rng: np.random.Generator) -> np.ndarray:
    """Row indices of `replicates` resamples, each drawing every class's own count from it."""
    parts = []
    for value in (0, 1):
        members = np.flatnonzero(labels == value)
        parts.append(members[rng.integers(0, len(members), size=(replicates, len(members)))])
    return np.concatenate(parts, axis=1)


def _roc_auc(labels: np.ndarray, scores: np.ndarray, positives: np.ndarray,
             negatives: np.ndarray) -> np.ndarray:
    """Mann-Whitney U over mid-ranks: the probability that an urgent row outscores another."""
    ranks = rankdata(scores, axis=1)
    positive_rank_sum = (ranks * labels).sum(axis=1)
    return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _average_precision(labels: np.ndarray, scores: np.ndarray,
                       positives: np.ndarray) -> np.ndarray:
    """Mean, over urgent rows, of the precision at the threshold equal to that row's score."""
    order = np.argsort(-scores, axis=1, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=1)
    sorted_labels = np.take_along_axis(labels, order, axis=1)
    seen = np.arange(1, scores.shape[1] + 1)
    precision = np.cumsum(sorted_labels, axis=1) / seen
    # the precision of a tied group is the one after its last member
    last_of_group = np.ones_like(sorted_scores, dtype=bool)
    last_of_group[:, :-1] = sorted_scores[:, :-1] != sorted_scores[:, 1:]
    group_end = np.where(last_of_group, np.arange(scores.shape[1]), scores.shape[1])
    group_end = np.minimum.accumulate(group_end[:, ::-1], axis=1)[:, ::-1]
    at_group_end = np.take_along_axis(precision, group_end, axis=1)
    return (at_group_end * sorted_labels).sum(axis=1) / positives

"""The decision-threshold policy.

Missing an urgent ticket costs more than reviewing a false alarm, so the threshold is the highest
one that still catches at least `target_recall` of the urgent tickets in the data it is chosen
on (out-of-fold scores of the training rows). The highest such threshold gives the best precision
the recall target allows. A threshold chosen on scores tends to catch a little less on new
tickets; `expected_recall` measures how much, so the logged figure is one that holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_curve

from mlflow_project.model.decision import urgent_at


def choose_threshold(labels: np.ndarray, scores: np.ndarray, target_recall: float) -> float:
    """Highest threshold whose recall of urgent tickets in (labels, scores) is >= target_recall."""
    if not 0.0 < target_recall <= 1.0:
        raise ValueError(f"target_recall must be in (0, 1], got {target_recall}")
    if not np.any(labels == 1):
        raise ValueError("cannot choose a threshold: the data has no urgent ticket")
    _, recall, thresholds = precision_recall_curve(labels, scores)
    # recall[i] is the recall at thresholds[i]; recall does not increase as the threshold rises.
    reachable = thresholds[recall[:-1] >= target_recall]
    return float(reachable.max())


@dataclass(frozen=True)
class RecallExpectation:
    """The recall a threshold policy is expected to hold on new tickets, with its uncertainty.

    `expected` is measured out of sample: each cross-validation fold is labelled at a threshold
    chosen on the other folds' out-of-fold scores. [`low`, `high`] is a prediction interval for
    the recall observed on a set holding `positives` urgent tickets: it combines the uncertainty
    of `expected` (bootstrap over the urgent tickets) with the binomial spread of a set that size.
    """

    expected: float
    low: float
    high: float
    positives: int
    confidence: float


def expected_recall(labels: np.ndarray, scores: np.ndarray, folds: np.ndarray,
                    target_recall: float, positives: int, *, confidence: float = 0.95,
                    replicates: int = 4000, seed: int = 0) -> RecallExpectation:
    """How much of the urgent tickets `choose_threshold` will catch on a new set of `positives`.

    `scores` are out-of-fold scores and `folds` the fold of each row.
    """
    caught = []
    for fold in np.unique(folds):
        inside = folds == fold
        threshold = choose_threshold(labels[~inside], scores[~inside], target_recall)
        caught.append(urgent_at(scores[inside & (labels == 1)], threshold))
    hits = np.concatenate(caught).astype(float)
    rng = np.random.default_rng(seed)
    rates = hits[rng.integers(0, len(hits), size=(replicates, len(hits)))].mean(axis=1)
    observed = rng.binomial(positives, rates) / positives
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(observed, [tail, 100 - tail])
    return RecallExpectation(float(hits.mean()), float(low), float(high), positives, confidence)

"""The decision-threshold policy.

Missing an urgent ticket costs more than reviewing a false alarm, so the threshold is the highest
one that still catches at least `target_recall` of the urgent tickets in the validation data. The
highest such threshold gives the best precision the recall target allows.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve


def choose_threshold(labels: np.ndarray, scores: np.ndarray, target_recall: float) -> float:
    """Highest threshold whose recall of urgent tickets in (labels, scores) is >= target_recall."""
    if not 0.0 < target_recall <= 1.0:
        raise ValueError(f"target_recall must be in (0, 1], got {target_recall}")
    if not np.any(labels == 1):
        raise ValueError("cannot choose a threshold: the validation data has no urgent ticket")
    _, recall, thresholds = precision_recall_curve(labels, scores)
    # recall[i] is the recall at thresholds[i]; recall does not increase as the threshold rises.
    reachable = thresholds[recall[:-1] >= target_recall]
    return float(reachable.max())

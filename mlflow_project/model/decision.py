"""The decision rule: a ticket is urgent when its urgency probability reaches the threshold.

Serving and batch scoring (through `TicketScorer.labels`), evaluation, the gate's bootstrap,
threshold choice and monitoring's quality check all apply this one function, so "reaches" means
the same (`>=`) everywhere.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def urgent_at(scores: ArrayLike, threshold: float) -> np.ndarray:
    """1 where a score reaches `threshold`, else 0, in the shape of `scores`."""
    return (np.asarray(scores) >= threshold).astype(np.int64)

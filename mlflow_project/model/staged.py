"""A two-stage urgency model for data where some kinds of ticket are never urgent.

In helpdesk data such as Endava's, service requests are never urgent; only incidents are. One
classifier then spends its capacity telling incidents from requests, and ranks urgency among
incidents poorly. Two stages separate the questions: p(urgent) = p(the ticket is of a kind that
can be urgent | text) x p(urgent | text, that kind). Both stages are the usual TF-IDF + logistic
regression pipeline; the kind is known only when training (the `slice` column), never needed
when predicting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline


class TwoStageModel:
    """p(urgent) = p(urgent-capable kind | text) * p(urgent | text, urgent-capable kind)."""

    def __init__(self, kind: Pipeline, urgency: Pipeline, kinds: tuple[str, ...]) -> None:
        self.kind = kind
        self.urgency = urgency
        self.kinds = kinds  # the slice values that can be urgent, for the record

    @property
    def stages(self) -> tuple[Pipeline, Pipeline]:
        """The fitted pipelines whose probabilities multiply."""
        return self.kind, self.urgency

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Columns (not urgent, urgent), like a scikit-learn classifier."""
        urgent = (self.kind.predict_proba(frame)[:, 1]
                  * self.urgency.predict_proba(frame)[:, 1])
        return np.column_stack([1.0 - urgent, urgent])

    def describe(self) -> str:
        """One line for tags and logs."""
        return f"two stages: kind in {list(self.kinds)}, then urgency within those kinds"

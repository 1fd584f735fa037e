"""The MLflow pyfunc wrapper that every registered `ticket_urgency` version is.

`predict` takes a DataFrame with title, description, source and
customer_tier, and returns one row per ticket: `urgency_probability` and `urgent` (the label at the
threshold chosen on validation data). Serving calls `predict_records` on the unwrapped model to skip
pyfunc's per-call schema enforcement; both paths give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from mlflow_project.model.linear import Term
from mlflow_project.model.loading import CONFIG_ARTIFACT, PIPELINE_ARTIFACT, load_scorer
from mlflow_project.model.scoring import TicketScorer

__all__ = ["CONFIG_ARTIFACT", "PIPELINE_ARTIFACT", "TicketUrgencyModel"]
OUTPUT_COLUMNS = ("urgency_probability", "urgent")


class TicketUrgencyModel(PythonModel):
    """Urgency classifier: a fitted scikit-learn pipeline plus its decision threshold."""

    def __init__(self) -> None:
        self._scorer: TicketScorer | None = None

    def load_context(self, context: PythonModelContext) -> None:
        """Load the fitted pipeline and the threshold from the model's artifacts."""
        self._scorer = load_scorer(context.artifacts)

    @property
    def scorer(self) -> TicketScorer:
        """The loaded scorer; raises if the model was not loaded through MLflow."""
        if self._scorer is None:
            raise RuntimeError("model not loaded: call load_context first")
        return self._scorer

    @property
    def threshold(self) -> float:
        """The decision threshold the `urgent` label uses."""
        return self.scorer.threshold

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Score a frame of tickets; see the module docstring for the columns."""
        probabilities = self.scorer.probabilities_frame(model_input)
        return self._result_frame(probabilities)

    def predict_records(self, tickets: Sequence[Mapping[str, object]]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Fast path for validated tickets: (probabilities, labels) without building a frame."""
        return self.scorer.predict_records(tickets)

    def explain(self, ticket: Mapping[str, object], top: int = 5) -> list[Term]:
        """The terms of one ticket that pushed its urgency score up the most."""
        return self.scorer.explain(ticket, top)

    def _result_frame(self, probabilities: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({
            OUTPUT_COLUMNS[0]: probabilities.astype(float),
            OUTPUT_COLUMNS[1]: self.scorer.labels(probabilities),
        })

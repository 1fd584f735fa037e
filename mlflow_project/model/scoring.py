"""Fast scoring of tickets with a fitted pipeline, without building a DataFrame per call.

The fitted pipeline is linear after its feature step, so a ticket's log-odds are the TF-IDF row
times the text weights, plus one weight per categorical value, plus the intercept. Scoring that way
skips pandas and the ColumnTransformer machinery, which dominate the cost of one small request.
`tests/unit/test_scoring.py` proves the result equals `pipeline.predict_proba`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlflow_project.model.features import (
    CATEGORICAL_FEATURES,
    category_value,
    model_frame,
    ticket_text,
)


@dataclass(frozen=True)
class Term:
    """One input term and how much it pushed the log-odds of "urgent" (positive = more urgent)."""

    term: str
    weight: float


class TicketScorer:
    """Urgency probabilities and labels from a fitted pipeline and a decision threshold."""

    def __init__(self, pipeline: Pipeline, threshold: float) -> None:
        features = pipeline.named_steps["features"]
        classifier = pipeline.named_steps["classifier"]
        self.pipeline = pipeline
        self.threshold = float(threshold)
        self._vectoriser = features.named_transformers_["text"]
        self._vocabulary = self._vectoriser.get_feature_names_out()
        weights = np.asarray(classifier.coef_[0], dtype=float)
        n_text = len(self._vocabulary)
        self._text_weights = weights[:n_text]
        self._category_weights = _category_weights(
            features.named_transformers_["categorical"].categories_, weights[n_text:])
        self._intercept = float(classifier.intercept_[0])

    def probabilities(self, tickets: Sequence[Mapping[str, object]]) -> np.ndarray:
        """Urgency probability for each ticket given as a mapping of contract fields."""
        if not tickets:
            return np.empty(0)
        texts = [ticket_text(t.get("title"), t.get("description")) for t in tickets]
        tfidf = self._vectoriser.transform(texts)
        logits = tfidf @ self._text_weights + self._intercept
        logits += np.fromiter((self._categorical_logit(t) for t in tickets), dtype=float,
                              count=len(tickets))
        return _sigmoid(logits)

    def probabilities_frame(self, tickets: pd.DataFrame) -> np.ndarray:
        """Urgency probability for each row of a contract-shaped frame (the batch path)."""
        return np.asarray(self.pipeline.predict_proba(model_frame(tickets))[:, 1])

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        """1 where the probability reaches the decision threshold, else 0."""
        return (probabilities >= self.threshold).astype(np.int64)

    def explain(self, ticket: Mapping[str, object], top: int = 5) -> list[Term]:
        """The terms of one ticket that pushed its urgency score up the most."""
        row = self._vectoriser.transform([ticket_text(ticket.get("title"),
                                                      ticket.get("description"))])
        contributions = row.data * self._text_weights[row.indices]
        order = np.argsort(-contributions)[:top]
        return [Term(str(self._vocabulary[row.indices[i]]), float(contributions[i]))
                for i in order if contributions[i] > 0]

    def _categorical_logit(self, ticket: Mapping[str, object]) -> float:
        total = 0.0
        for column in CATEGORICAL_FEATURES:
            total += self._category_weights[column].get(category_value(ticket.get(column)), 0.0)
        return total


def _category_weights(categories: Iterable[np.ndarray],
                      weights: np.ndarray) -> dict[str, dict[str, float]]:
    """Map each categorical column's values to their classifier weight.

    A value the encoder never saw gets no weight, exactly as `handle_unknown="ignore"` does.
    """
    table: dict[str, dict[str, float]] = {}
    offset = 0
    for column, values in zip(CATEGORICAL_FEATURES, categories, strict=True):
        table[column] = {str(v): float(weights[offset + i]) for i, v in enumerate(values)}
        offset += len(values)
    return table


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float))))

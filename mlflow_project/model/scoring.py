"""Fast scoring of tickets with a fitted pipeline, without building a DataFrame per call.

The fitted pipeline is linear after its feature step, so a ticket's log-odds are its TF-IDF vector
times the text weights, plus one weight per categorical value, plus the intercept. For a handful of
tickets, sklearn's sparse-matrix and DataFrame machinery costs far more than that arithmetic, so the
TF-IDF vector of each ticket is computed here as a small dict with the fitted vectoriser's own
analyser, vocabulary and IDF weights. `tests/unit/test_scoring.py` proves the result equals
`pipeline.predict_proba`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
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
        vectoriser: TfidfVectorizer = features.named_transformers_["text"]
        _require_supported(vectoriser)
        self._analyse = vectoriser.build_analyzer()
        self._vocabulary: dict[str, int] = vectoriser.vocabulary_
        self._terms = vectoriser.get_feature_names_out()
        self._sublinear_tf = bool(vectoriser.sublinear_tf)
        self._l2_norm = vectoriser.norm == "l2"
        self._idf = vectoriser.idf_.tolist()
        weights = np.asarray(classifier.coef_[0], dtype=float)
        self._text_weights = weights[:len(self._terms)].tolist()
        self._category_weights = _category_weights(
            features.named_transformers_["categorical"].categories_, weights[len(self._terms):])
        self._intercept = float(classifier.intercept_[0])

    def probabilities(self, tickets: Sequence[Mapping[str, object]]) -> np.ndarray:
        """Urgency probability for each ticket given as a mapping of contract fields."""
        logits = [self._intercept + self._text_logit(t) + self._categorical_logit(t)
                  for t in tickets]
        return _sigmoid(np.asarray(logits, dtype=float))

    def probabilities_frame(self, tickets: pd.DataFrame) -> np.ndarray:
        """Urgency probability for each row of a contract-shaped frame (the batch path)."""
        return np.asarray(self.pipeline.predict_proba(model_frame(tickets))[:, 1])

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        """1 where the probability reaches the decision threshold, else 0."""
        return (probabilities >= self.threshold).astype(np.int64)

    def explain(self, ticket: Mapping[str, object], top: int = 5) -> list[Term]:
        """The terms of one ticket that pushed its urgency score up the most (ties: by term)."""
        contributions = [Term(str(self._terms[index]), value * self._text_weights[index])
                         for index, value in self._tfidf(ticket).items()]
        ranked = sorted(contributions, key=lambda term: (-term.weight, term.term))
        return [term for term in ranked[:top] if term.weight > 0]

    def _tfidf(self, ticket: Mapping[str, object]) -> dict[int, float]:
        """The ticket's TF-IDF vector as {feature index: value}, as the vectoriser makes it."""
        text = ticket_text(ticket.get("title"), ticket.get("description"))
        counts = Counter(index for index in map(self._vocabulary.get, self._analyse(text))
                         if index is not None)
        vector = {index: (1.0 + math.log(count) if self._sublinear_tf else float(count))
                  * self._idf[index] for index, count in counts.items()}
        if self._l2_norm and vector:
            norm = math.sqrt(sum(v * v for v in vector.values()))
            vector = {index: v / norm for index, v in vector.items()}
        return vector

    def _text_logit(self, ticket: Mapping[str, object]) -> float:
        return sum(v * self._text_weights[i] for i, v in self._tfidf(ticket).items())

    def _categorical_logit(self, ticket: Mapping[str, object]) -> float:
        return sum(self._category_weights[column].get(category_value(ticket.get(column)), 0.0)
                   for column in CATEGORICAL_FEATURES)


def _require_supported(vectoriser: TfidfVectorizer) -> None:
    """The fast path reproduces IDF weighting with an optional L2 norm; refuse anything else."""
    if not vectoriser.use_idf or vectoriser.norm not in ("l2", None) or vectoriser.binary:
        raise ValueError("TicketScorer supports TfidfVectorizer with use_idf=True, "
                         "binary=False and norm 'l2' or None")


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
    return np.asarray(1.0 / (1.0 + np.exp(-logits)))

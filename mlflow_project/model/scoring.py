"""Fast scoring of tickets with a fitted pipeline, without building a DataFrame per call.

The fitted pipeline is linear after its feature step, so a ticket's log-odds are its TF-IDF vectors
(one per vectoriser: words, character n-grams) times their weights, plus one weight per
categorical value, plus the intercept. For a handful of
tickets, sklearn's sparse-matrix and DataFrame machinery costs far more than that arithmetic, so the
TF-IDF vector of each ticket is computed here as a small dict with the fitted vectoriser's own
analyser, vocabulary and IDF weights. `tests/mlflow_project/model/test_scoring.py` proves the
result equals `pipeline.predict_proba`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from mlflow_project.model.decision import urgent_at
from mlflow_project.model.features import (
    CATEGORICAL_FEATURES,
    category_value,
    model_frame,
    ticket_text,
)
from mlflow_project.model.staged import TwoStageModel


@dataclass(frozen=True)
class Term:
    """One input term and how much it pushed the log-odds of "urgent" (positive = more urgent)."""

    term: str
    weight: float


@dataclass(frozen=True)
class TextBlock:
    """One fitted TF-IDF vectoriser of the text and its slice of the classifier's weights."""

    analyse: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    terms: Sequence[str]
    sublinear_tf: bool
    l2_norm: bool
    idf: Sequence[float]
    weights: Sequence[float]

    @classmethod
    def of(cls, vectoriser: TfidfVectorizer, weights: np.ndarray) -> TextBlock:
        """The block of a fitted vectoriser, given the classifier weights of its columns."""
        _require_supported(vectoriser)
        return cls(analyse=vectoriser.build_analyzer(), vocabulary=vectoriser.vocabulary_,
                   terms=[str(t) for t in vectoriser.get_feature_names_out()],
                   sublinear_tf=bool(vectoriser.sublinear_tf),
                   l2_norm=vectoriser.norm == "l2", idf=vectoriser.idf_.tolist(),
                   weights=weights.tolist())

    def tfidf(self, text: str) -> dict[int, float]:
        """The text's TF-IDF vector as {feature index: value}, as the vectoriser makes it."""
        counts = Counter(index for index in map(self.vocabulary.get, self.analyse(text))
                         if index is not None)
        vector = {index: (1.0 + math.log(count) if self.sublinear_tf else float(count))
                  * self.idf[index] for index, count in counts.items()}
        if self.l2_norm and vector:
            norm = math.sqrt(sum(v * v for v in vector.values()))
            vector = {index: v / norm for index, v in vector.items()}
        return vector

    def logit(self, text: str) -> float:
        """This block's contribution to the log-odds of "urgent"."""
        return sum(v * self.weights[i] for i, v in self.tfidf(text).items())

    def contributions(self, text: str) -> list[Term]:
        """Each present term and its contribution to the log-odds."""
        return [Term(self.terms[i], v * self.weights[i]) for i, v in self.tfidf(text).items()]


@dataclass(frozen=True)
class LinearStage:
    """One fitted pipeline as arithmetic: text blocks, categorical weights and the intercept."""

    blocks: Sequence[TextBlock]
    category_weights: Mapping[str, Mapping[str, float]]
    intercept: float

    @classmethod
    def of(cls, pipeline: Pipeline) -> LinearStage:
        """The stage of a fitted TF-IDF + one-hot + logistic-regression pipeline."""
        features = pipeline.named_steps["features"]
        classifier = pipeline.named_steps["classifier"]
        weights = np.asarray(classifier.coef_[0], dtype=float)
        columns = features.output_indices_
        return cls(
            blocks=[TextBlock.of(transformer, weights[columns[name]])
                    for name, transformer, _ in features.transformers_
                    if isinstance(transformer, TfidfVectorizer)],
            category_weights=_category_weights(
                features.named_transformers_["categorical"].categories_,
                weights[columns["categorical"]]),
            intercept=float(classifier.intercept_[0]))

    def logit(self, text: str, ticket: Mapping[str, object]) -> float:
        """The log-odds this stage gives the ticket."""
        categorical = sum(self.category_weights[column].get(
            category_value(ticket.get(column)), 0.0) for column in CATEGORICAL_FEATURES)
        return self.intercept + sum(block.logit(text) for block in self.blocks) + categorical


class TicketScorer:
    """Urgency probabilities and labels from a fitted model and a decision threshold.

    The model is one pipeline, or a `TwoStageModel` whose two pipelines' probabilities
    multiply. A pipeline's feature step may hold several TF-IDF vectorisers of the text (words,
    and character n-grams) and the one-hot encoder of the categorical columns.
    """

    def __init__(self, pipeline: Pipeline | TwoStageModel, threshold: float) -> None:
        self.pipeline = pipeline
        self.threshold = float(threshold)
        pipelines = pipeline.stages if isinstance(pipeline, TwoStageModel) else (pipeline,)
        self._stages = [LinearStage.of(p) for p in pipelines]

    def text_vectoriser(self) -> TfidfVectorizer:
        """The word TF-IDF vectoriser of the last stage (its vocabulary is the model's)."""
        vectoriser: TfidfVectorizer = self._last_pipeline().named_steps[
            "features"].named_transformers_["text"]
        return vectoriser

    def probabilities(self, tickets: Sequence[Mapping[str, object]]) -> np.ndarray:
        """Urgency probability for each ticket given as a mapping of contract fields."""
        texts = [_text(t) for t in tickets]
        probability = np.ones(len(tickets))
        for stage in self._stages:
            probability *= _sigmoid(np.asarray([stage.logit(text, ticket) for text, ticket
                                                in zip(texts, tickets, strict=True)], dtype=float))
        return probability

    def probabilities_frame(self, tickets: pd.DataFrame) -> np.ndarray:
        """Urgency probability for each row of a contract-shaped frame (the batch path)."""
        return np.asarray(self.pipeline.predict_proba(model_frame(tickets))[:, 1])

    def predict_records(self, tickets: Sequence[Mapping[str, object]]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, labels) of tickets given as mappings of contract fields."""
        probabilities = self.probabilities(tickets)
        return probabilities, self.labels(probabilities)

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        """1 where the probability reaches the decision threshold, else 0."""
        return urgent_at(probabilities, self.threshold)

    def explain(self, ticket: Mapping[str, object], top: int = 5) -> list[Term]:
        """The terms of one ticket that pushed its urgency score up the most (ties: by term);
        with two stages, a term's pushes on both log-odds add up."""
        text = _text(ticket)
        pushes: dict[str, float] = {}
        for stage in self._stages:
            for block in stage.blocks:
                for term in block.contributions(text):
                    pushes[term.term] = pushes.get(term.term, 0.0) + term.weight
        ranked = sorted((Term(t, w) for t, w in pushes.items()),
                        key=lambda term: (-term.weight, term.term))
        return [term for term in ranked[:top] if term.weight > 0]

    def _last_pipeline(self) -> Pipeline:
        model = self.pipeline
        return model.stages[-1] if isinstance(model, TwoStageModel) else model


def _text(ticket: Mapping[str, object]) -> str:
    return ticket_text(ticket.get("title"), ticket.get("description"))


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

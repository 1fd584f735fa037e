"""The fast scorer of a fitted pipeline: single tickets without scikit-learn, frames with it.

`TicketScorer` turns a fitted TF-IDF + one-hot + logistic-regression pipeline (or a
`TwoStageModel` of two) into `linear.RecordScorer` stages for single tickets, and keeps the pipeline
for whole frames (the batch path). `tests/mlflow_project/model/test_scoring.py` proves both give
`pipeline.predict_proba`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from mlflow_project.model.features import model_frame
from mlflow_project.model.inputs import CATEGORICAL_FEATURES
from mlflow_project.model.linear import (
    ANALYSER_KINDS,
    Analyser,
    LinearStage,
    RecordScorer,
    TextBlock,
)
from mlflow_project.model.staged import TwoStageModel


def text_block(vectoriser: TfidfVectorizer, weights: np.ndarray) -> TextBlock:
    """The block of a fitted vectoriser, given the classifier weights of its columns."""
    _require_supported(vectoriser)
    return TextBlock(analyse=analyser(vectoriser),
                     terms=[str(t) for t in vectoriser.get_feature_names_out()],
                     sublinear_tf=bool(vectoriser.sublinear_tf),
                     l2_norm=vectoriser.norm == "l2", idf=vectoriser.idf_.tolist(),
                     weights=weights.tolist())


def analyser(vectoriser: TfidfVectorizer) -> Analyser:
    """The vectoriser's analyser as an `Analyser`; `ValueError` names a setting it cannot copy."""
    unsupported = {name: value for name, value in (
        ("analyzer", vectoriser.analyzer if vectoriser.analyzer not in ANALYSER_KINDS
         else None),
        ("preprocessor", vectoriser.preprocessor), ("tokenizer", vectoriser.tokenizer),
        ("strip_accents", vectoriser.strip_accents), ("stop_words", vectoriser.stop_words),
        ("input", vectoriser.input if vectoriser.input != "content" else None),
    ) if value is not None}
    if unsupported:
        raise ValueError("TicketScorer cannot copy a TfidfVectorizer with "
                         + ", ".join(f"{name}={value!r}" for name, value in unsupported.items()))
    return Analyser(vectoriser.analyzer, tuple(vectoriser.ngram_range),
                    bool(vectoriser.lowercase),
                    vectoriser.token_pattern if vectoriser.analyzer == "word" else None)


def linear_stage(pipeline: Pipeline) -> LinearStage:
    """The stage of a fitted TF-IDF + one-hot + logistic-regression pipeline."""
    features = pipeline.named_steps["features"]
    classifier = pipeline.named_steps["classifier"]
    weights = np.asarray(classifier.coef_[0], dtype=float)
    columns = features.output_indices_
    return LinearStage(
        blocks=[text_block(transformer, weights[columns[name]])
                for name, transformer, _ in features.transformers_
                if isinstance(transformer, TfidfVectorizer)],
        category_weights=_category_weights(
            features.named_transformers_["categorical"].categories_,
            weights[columns["categorical"]]),
        intercept=float(classifier.intercept_[0]))


class TicketScorer(RecordScorer):
    """A `RecordScorer` of a fitted model that also scores whole frames through the model.

    The model is one pipeline, or a `TwoStageModel` whose two pipelines' probabilities
    multiply. A pipeline's feature step may hold several TF-IDF vectorisers of the text (words,
    and character n-grams) and the one-hot encoder of the categorical columns.
    """

    def __init__(self, pipeline: Pipeline | TwoStageModel, threshold: float) -> None:
        pipelines = pipeline.stages if isinstance(pipeline, TwoStageModel) else (pipeline,)
        super().__init__([linear_stage(p) for p in pipelines], threshold)
        self.pipeline = pipeline

    def text_vectoriser(self) -> TfidfVectorizer:
        """The word TF-IDF vectoriser of the last stage (its vocabulary is the model's)."""
        vectoriser: TfidfVectorizer = self._last_pipeline().named_steps[
            "features"].named_transformers_["text"]
        return vectoriser

    def probabilities_frame(self, tickets: pd.DataFrame) -> np.ndarray:
        """Urgency probability for each row of a contract-shaped frame (the batch path)."""
        return np.asarray(self.pipeline.predict_proba(model_frame(tickets))[:, 1])

    def _last_pipeline(self) -> Pipeline:
        model = self.pipeline
        return model.stages[-1] if isinstance(model, TwoStageModel) else model


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


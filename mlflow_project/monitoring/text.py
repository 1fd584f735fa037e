"""Numbers that describe ticket text for drift tests: a fixed low-dimensional representation,
the text length, and the share of words the model has never seen.

The representation is TF-IDF (lower-cased, English stop words removed, so text that a publisher
already pre-processed that way, like the Endava export, is treated like raw text) reduced with
TruncatedSVD. It is fitted once, on reference data only; each component is then one continuous
feature for a KS test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from mlflow_project.model.inputs import ticket_text

MAX_TERMS = 20_000


def ticket_texts(tickets: pd.DataFrame) -> list[str]:
    """Title and description joined exactly as the model joins them."""
    return [ticket_text(title, description) for title, description
            in zip(tickets["title"], tickets["description"], strict=True)]


def text_lengths(texts: Sequence[str]) -> np.ndarray:
    """Characters per ticket text (title and description, whitespace collapsed)."""
    return np.fromiter((len(text) for text in texts), dtype=float, count=len(texts))


@dataclass(frozen=True)
class TextRepresentation:
    """A fitted TF-IDF + TruncatedSVD projection of ticket text onto `components` dimensions."""

    pipeline: Pipeline

    @classmethod
    def fit(cls, texts: Sequence[str], components: int, seed: int) -> TextRepresentation:
        """Fit on reference texts. Fewer components are used when the vocabulary is smaller
        than asked for; terms must occur in two texts unless that leaves too few."""
        pipeline = _fitted(texts, components, seed, min_df=2)
        if pipeline is None:
            pipeline = _fitted(texts, components, seed, min_df=1)
        if pipeline is None:
            raise ValueError("the reference texts have too few distinct words for a text "
                             "representation (need at least 3)")
        return cls(pipeline)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Project texts onto the fitted components: shape (len(texts), components)."""
        return np.asarray(self.pipeline.transform(list(texts)), dtype=float)


def _fitted(texts: Sequence[str], components: int, seed: int, min_df: int) -> Pipeline | None:
    vectoriser = TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words="english",
                                 sublinear_tf=True, min_df=min_df, max_features=MAX_TERMS,
                                 dtype=np.float32)
    try:
        matrix = vectoriser.fit_transform(list(texts))
    except ValueError:  # empty vocabulary
        return None
    usable = min(components, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if usable < 2:
        return None
    svd = TruncatedSVD(n_components=usable, algorithm="randomized", random_state=seed)
    svd.fit(matrix)
    return Pipeline([("tfidf", vectoriser), ("svd", svd)])


class VocabularyCoverage:
    """Share of each text's words that are not in the model's own TF-IDF vocabulary.

    Words are cut and normalised by the model's fitted vectoriser (its preprocessor and
    tokenizer), so "out of vocabulary" means exactly: the model has no weight for this word.
    """

    def __init__(self, vectoriser: TfidfVectorizer) -> None:
        self._vocabulary = vectoriser.vocabulary_
        self._preprocess = vectoriser.build_preprocessor()
        self._tokenize = vectoriser.build_tokenizer()

    def oov_shares(self, texts: Sequence[str]) -> np.ndarray:
        """Per text: unknown words / words (0 for a text without words)."""
        return np.fromiter((self._share(text) for text in texts), dtype=float, count=len(texts))

    def _share(self, text: str) -> float:
        tokens = self._tokenize(self._preprocess(text))
        if not tokens:
            return 0.0
        vocabulary = self._vocabulary
        return sum(token not in vocabulary for token in tokens) / len(tokens)

"""What every window is compared with, computed once per run from the reference and the model.

Two kinds of reference rows are used, for a reason that matters with real text:
- input checks (source, tier, text, length) use the reference data as given;
- model checks (scores, urgent rate, out-of-vocabulary share) need rows the model never trained
  on: on its own training rows a model's scores are more confident and its vocabulary covers
  every word that made `min_df`, so a fresh window would look drifted when it is not (measured on
  the Endava tickets: OOV share 3.8% on training rows vs 5.6% on unseen rows, KS p ~ 1e-17).

The text representation is fitted on one random half of the reference and the other half is the
reference sample of its components, for the same reason: projections of the rows an SVD was
fitted on spread a little wider than those of new rows, which a KS test at large n notices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.text import (
    TextRepresentation,
    VocabularyCoverage,
    text_lengths,
    ticket_texts,
)


@dataclass(frozen=True)
class Baseline:
    """Reference samples of every drift check, plus the fitted text representation."""

    sources: np.ndarray
    tiers: np.ndarray
    lengths: np.ndarray
    representation: TextRepresentation
    components: np.ndarray
    coverage: VocabularyCoverage
    oov_shares: np.ndarray
    scores: np.ndarray
    urgent: np.ndarray
    threshold: float


def build_baseline(reference: pd.DataFrame, model_reference: pd.DataFrame,
                   scorer: TicketScorer, components: int, seed: int) -> Baseline:
    """Compute the reference side of every check.

    `reference` and `model_reference` are contract-shaped tickets (see the module docstring for
    why they differ); `scorer` is the watched model's scorer, whose fitted TF-IDF vocabulary
    defines "out of vocabulary".
    """
    texts = ticket_texts(reference)
    fit_rows, held_rows = _halves(len(texts), seed)
    representation = TextRepresentation.fit([texts[i] for i in fit_rows], components, seed)
    coverage = VocabularyCoverage(text_vectoriser(scorer))
    scores = scorer.probabilities_frame(model_reference)
    return Baseline(
        sources=reference["source"].to_numpy(dtype=object),
        tiers=reference["customer_tier"].to_numpy(dtype=object),
        lengths=text_lengths(texts),
        representation=representation,
        components=representation.transform([texts[i] for i in held_rows]),
        coverage=coverage,
        oov_shares=coverage.oov_shares(ticket_texts(model_reference)),
        scores=scores,
        urgent=scorer.labels(scores),
        threshold=scorer.threshold,
    )


def text_vectoriser(scorer: TicketScorer) -> TfidfVectorizer:
    """The model's own fitted TF-IDF vectoriser (its `vocabulary_` is the model's vocabulary)."""
    return scorer.text_vectoriser()


def _halves(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random split of row positions into two halves (the first gets the odd row)."""
    order = np.random.default_rng(seed).permutation(rows)
    middle = (rows + 1) // 2
    return np.sort(order[:middle]), np.sort(order[middle:])

"""Score single tickets from a scoring table: the fitted model as plain numbers, no scikit-learn.

The fitted pipeline is linear after its feature step, so a ticket's log-odds are its TF-IDF vectors
(one per vectoriser: words, character n-grams) times their weights, plus one weight per
categorical value, plus the intercept. For a handful of tickets, scikit-learn's sparse-matrix and
DataFrame machinery costs far more than that arithmetic, so each ticket's TF-IDF vector is a small
dict, built by `Analyser`, which splits text exactly as the fitted vectoriser's own analyser does.

`RecordScorer.table()` is all of it as JSON-ready data (the `scoring_table` artifact of a logged
model); `RecordScorer.from_table` scores from it after importing nothing heavier than numpy, which
is what lets a server start without pandas, SciPy or scikit-learn (`loading.load_record_scorer`).
`mlflow_project.model.scoring` builds these from a fitted pipeline; its tests prove the scores
equal `pipeline.predict_proba`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlflow_project.model.decision import urgent_at
from mlflow_project.model.inputs import CATEGORICAL_FEATURES, category_value, ticket_text

TABLE_FORMAT = 1
ANALYSER_KINDS = ("word", "char_wb")
WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char_wb analyser collapses


@dataclass(frozen=True)
class Term:
    """One input term and how much it pushed the log-odds of "urgent" (positive = more urgent)."""

    term: str
    weight: float


@dataclass(frozen=True)
class Analyser:
    """Text to terms, as a `TfidfVectorizer` with no custom preprocessor, tokenizer, accent
    stripping or stop words splits it: word n-grams of the token pattern's matches, or character
    n-grams within word boundaries (`char_wb`)."""

    kind: Literal["word", "char_wb"]
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str | None = None
    _tokens: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.kind not in ANALYSER_KINDS:
            raise ValueError(f"analyser kind must be word or char_wb, not {self.kind!r}")
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"ngram_range must be 1 <= low <= high, not {self.ngram_range}")
        if self.kind == "word":
            if not self.token_pattern:
                raise ValueError("a word analyser needs its token pattern")
            tokens = re.compile(self.token_pattern)
            if tokens.groups > 1:
                raise ValueError("the token pattern may have at most one capturing group")
            object.__setattr__(self, "_tokens", tokens)

    def __call__(self, text: str) -> list[str]:
        """The terms of `text`, in scikit-learn's order."""
        if self.lowercase:
            text = text.lower()
        if self._tokens is not None:
            return self._word_ngrams(self._tokens.findall(text))
        return self._char_wb_ngrams(text)

    def _word_ngrams(self, tokens: list[str]) -> list[str]:
        low, high = self.ngram_range
        terms = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            terms.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return terms

    def _char_wb_ngrams(self, text: str) -> list[str]:
        low, high = self.ngram_range
        terms: list[str] = []
        for word in WHITE_SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                terms.extend(padded[i:i + n] for i in range(max(len(padded) - n, 0) + 1))
                if len(padded) <= n:  # a short word gives itself once, not once per n
                    break
        return terms

    def table(self) -> dict[str, Any]:
        """The analyser's settings as JSON-ready data."""
        return {"kind": self.kind, "ngram_range": list(self.ngram_range),
                "lowercase": self.lowercase, "token_pattern": self.token_pattern}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Analyser:
        """The analyser `table()` described."""
        low, high = table["ngram_range"]
        return cls(table["kind"], (int(low), int(high)), bool(table["lowercase"]),
                   table["token_pattern"])


@dataclass(frozen=True)
class TextBlock:
    """One fitted TF-IDF vectoriser of the text and its slice of the classifier's weights."""

    analyse: Analyser
    terms: Sequence[str]
    sublinear_tf: bool
    l2_norm: bool
    idf: Sequence[float]
    weights: Sequence[float]
    vocabulary: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not len(self.terms) == len(self.idf) == len(self.weights):
            raise ValueError(f"a text block needs one IDF and one weight per term: "
                             f"{len(self.terms)} terms, {len(self.idf)} IDF values, "
                             f"{len(self.weights)} weights")
        object.__setattr__(self, "vocabulary", {term: i for i, term in enumerate(self.terms)})

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

    def table(self) -> dict[str, Any]:
        """The block as JSON-ready data (floats round-trip exactly through JSON)."""
        return {"analyser": self.analyse.table(), "terms": list(self.terms),
                "sublinear_tf": self.sublinear_tf, "l2_norm": self.l2_norm,
                "idf": [float(v) for v in self.idf], "weights": [float(v) for v in self.weights]}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> TextBlock:
        """The block `table()` described."""
        return cls(Analyser.from_table(table["analyser"]), [str(t) for t in table["terms"]],
                   bool(table["sublinear_tf"]), bool(table["l2_norm"]),
                   [float(v) for v in table["idf"]], [float(v) for v in table["weights"]])


@dataclass(frozen=True)
class LinearStage:
    """One fitted pipeline as arithmetic: text blocks, categorical weights and the intercept."""

    blocks: Sequence[TextBlock]
    category_weights: Mapping[str, Mapping[str, float]]
    intercept: float

    def logit(self, text: str, ticket: Mapping[str, object]) -> float:
        """The log-odds this stage gives the ticket."""
        categorical = sum(self.category_weights[column].get(
            category_value(ticket.get(column)), 0.0) for column in CATEGORICAL_FEATURES)
        return self.intercept + sum(block.logit(text) for block in self.blocks) + categorical

    def table(self) -> dict[str, Any]:
        """The stage as JSON-ready data."""
        return {"blocks": [block.table() for block in self.blocks],
                "category_weights": {column: dict(weights) for column, weights
                                     in self.category_weights.items()},
                "intercept": float(self.intercept)}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> LinearStage:
        """The stage `table()` described."""
        weights = {str(column): {str(value): float(weight) for value, weight in values.items()}
                   for column, values in table["category_weights"].items()}
        missing = [column for column in CATEGORICAL_FEATURES if column not in weights]
        if missing:
            raise ValueError(f"a stage needs category weights for {', '.join(missing)}")
        return cls([TextBlock.from_table(block) for block in table["blocks"]], weights,
                   float(table["intercept"]))


class RecordScorer:
    """Urgency probabilities, labels and explanations of tickets given as mappings of contract
    fields. Several stages multiply their probabilities (`staged.TwoStageModel`)."""

    def __init__(self, stages: Sequence[LinearStage], threshold: float) -> None:
        if not stages:
            raise ValueError("a scorer needs at least one stage")
        self._stages = list(stages)
        self.threshold = float(threshold)

    def probabilities(self, tickets: Sequence[Mapping[str, object]]) -> np.ndarray:
        """Urgency probability for each ticket."""
        texts = [_text(t) for t in tickets]
        probability = np.ones(len(tickets))
        for stage in self._stages:
            probability *= _sigmoid(np.asarray([stage.logit(text, ticket) for text, ticket
                                                in zip(texts, tickets, strict=True)], dtype=float))
        return probability

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

    def table(self) -> dict[str, Any]:
        """Every stage as JSON-ready data (the threshold stays in the model's config)."""
        return {"format": TABLE_FORMAT, "stages": [stage.table() for stage in self._stages]}

    @classmethod
    def from_table(cls, table: Mapping[str, Any], threshold: float) -> RecordScorer:
        """The scorer `table()` described, deciding at `threshold`; `ValueError` says what is
        wrong with a table this code cannot read."""
        if not isinstance(table, Mapping) or table.get("format") != TABLE_FORMAT:
            found = table.get("format") if isinstance(table, Mapping) else type(table).__name__
            raise ValueError(f"scoring table format {found!r} is not {TABLE_FORMAT}")
        try:
            return cls([LinearStage.from_table(stage) for stage in table["stages"]], threshold)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"scoring table is malformed: {type(exc).__name__}: {exc}") from exc


def _text(ticket: Mapping[str, object]) -> str:
    return ticket_text(ticket.get("title"), ticket.get("description"))


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-logits)))

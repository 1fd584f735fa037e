"""The scoring table: its analyser splits text as scikit-learn's does, and a table read back from
JSON scores, labels and explains exactly as the fitted pipeline's scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.model.features import build_pipeline, model_frame
from mlflow_project.model.inputs import ticket_text
from mlflow_project.model.linear import TABLE_FORMAT, Analyser, RecordScorer
from mlflow_project.model.scoring import TicketScorer, analyser

REPO = Path(__file__).resolve().parents[3]
THRESHOLD = 0.4
HOSTILE_TEXTS = [
    "", " ", "a", "ab", "I", "x y z", "VPN  down\t\tagain\n\nnow", "  leading and trailing  ",
    "snake_case and CamelCase and 3.14 and 2026-12-06", "don't can't won't", "e-mail: a@b.co",
    "\u00c4\u00d6\u00dc stra\u00dfe caf\u00e9 na\u00efve",
    "\u65e5\u672c\u8a9e\u306e\u30c1\u30b1\u30c3\u30c8",
    "emoji \U0001f525\U0001f525 fire", "\u0130stanbul \u0130I\u0131", "tab\u00a0nbsp\u2003em",
    "repeat repeat repeat repeat", "URGENT!!! PROD DOWN!!!", "a b c d e f g h i j",
]
SETTINGS = [
    {"ngram_range": (1, 1)}, {"ngram_range": (1, 2)}, {"ngram_range": (2, 3)},
    {"ngram_range": (1, 2), "lowercase": False},
    {"ngram_range": (1, 1), "token_pattern": r"(?u)\b(\w)\w*\b"},
    {"analyzer": "char_wb", "ngram_range": (2, 5)}, {"analyzer": "char_wb", "ngram_range": (1, 3)},
    {"analyzer": "char_wb", "ngram_range": (4, 4), "lowercase": False},
]


def _texts() -> list[str]:
    tickets = generate_tickets(GeneratorConfig(rows=300, seed=11))
    texts = [ticket_text(t, d) for t, d in zip(tickets["title"], tickets["description"],
                                                strict=True)]
    return HOSTILE_TEXTS + texts


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_the_analyser_splits_text_as_scikit_learn_does(settings: dict[str, object]) -> None:
    vectoriser = TfidfVectorizer(**settings)  # type: ignore[arg-type]
    ours, theirs = analyser(vectoriser), vectoriser.build_analyzer()
    for text in _texts():
        assert ours(text) == theirs(text), text


def test_the_analyser_splits_real_tickets_as_scikit_learn_does(endava_csv: Path) -> None:
    tickets = pd.read_csv(endava_csv, nrows=3000)
    texts = [ticket_text(t, d) for t, d in zip(tickets["title"], tickets["body"], strict=True)]
    for settings in (SETTINGS[1], SETTINGS[5]):
        vectoriser = TfidfVectorizer(**settings)  # type: ignore[arg-type]
        ours, theirs = analyser(vectoriser), vectoriser.build_analyzer()
        assert [ours(text) for text in texts] == [theirs(text) for text in texts]


@pytest.mark.parametrize(("settings", "named"), [
    ({"stop_words": "english"}, "stop_words='english'"),
    ({"strip_accents": "unicode"}, "strip_accents='unicode'"),
    ({"analyzer": "char"}, "analyzer='char'"),
    ({"tokenizer": str.split, "token_pattern": None}, "tokenizer="),
])
def test_a_vectoriser_the_table_cannot_copy_is_refused_naming_the_setting(
        settings: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        analyser(TfidfVectorizer(**settings))  # type: ignore[arg-type]


def _fitted(features: str) -> Pipeline:
    train = generate_tickets(GeneratorConfig(rows=1500, seed=3))
    pipeline = build_pipeline({"max_features": 3000, "features": features, "char_ngram_max": 4})
    return pipeline.fit(model_frame(train), train["urgent"])


@pytest.mark.parametrize("features", ["word", "word+char"])
def test_a_table_read_back_from_json_scores_exactly_as_the_pipeline_scorer(
        features: str) -> None:
    pipeline = _fitted(features)
    scorer = TicketScorer(pipeline, THRESHOLD)
    table = json.loads(json.dumps(scorer.table()))
    copied = RecordScorer.from_table(table, THRESHOLD)
    tickets = generate_tickets(GeneratorConfig(rows=400, seed=12)).astype(object)
    tickets.loc[0:9, "title"] = None
    tickets.loc[10:19, "source"] = "fax"
    records = tickets.to_dict("records") + [{"title": text} for text in HOSTILE_TEXTS]
    probabilities, labels = copied.predict_records(records)
    expected, expected_labels = scorer.predict_records(records)
    assert probabilities.tolist() == expected.tolist()  # bit for bit: floats survive JSON
    assert labels.tolist() == expected_labels.tolist()
    assert copied.threshold == scorer.threshold
    for record in records[:50]:
        assert copied.explain(record) == scorer.explain(record)
    np.testing.assert_allclose(probabilities[:len(tickets)], scorer.probabilities_frame(tickets),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize(("table", "message"), [
    ({"format": 2, "stages": []}, "format 2 is not 1"),
    ([], "format 'list' is not 1"),
    ({"format": TABLE_FORMAT, "stages": []}, "at least one stage"),
    ({"format": TABLE_FORMAT, "stages": [{"blocks": [], "intercept": 0.0}]},
     "malformed: KeyError: 'category_weights'"),
    ({"format": TABLE_FORMAT, "stages": [{"blocks": [], "intercept": 0.0,
                                          "category_weights": {"source": {}}}]},
     "category weights for customer_tier"),
])
def test_a_malformed_table_is_refused_saying_what_is_wrong(table: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RecordScorer.from_table(table, THRESHOLD)  # type: ignore[arg-type]


def test_a_block_needs_one_idf_and_weight_per_term() -> None:
    table = TicketScorer(_fitted("word"), THRESHOLD).table()
    table["stages"][0]["blocks"][0]["idf"].pop()
    with pytest.raises(ValueError, match="one IDF and one weight per term"):
        RecordScorer.from_table(table, THRESHOLD)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "char", "ngram_range": (1, 2), "lowercase": True}, "word or char_wb"),
    ({"kind": "word", "ngram_range": (2, 1), "lowercase": True, "token_pattern": r"\w+"},
     "1 <= low <= high"),
    ({"kind": "word", "ngram_range": (1, 1), "lowercase": True}, "token pattern"),
    ({"kind": "word", "ngram_range": (1, 1), "lowercase": True, "token_pattern": r"(\w)(\w)"},
     "at most one capturing group"),
])
def test_an_impossible_analyser_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Analyser(**kwargs)  # type: ignore[arg-type]


def test_the_record_scorer_imports_neither_pandas_nor_scikit_learn() -> None:
    """Missing values still read as missing there: None and NaN need no pandas."""
    script = ("import sys, mlflow_project.model.loading, mlflow_project.model.linear; "
              "from mlflow_project.model.inputs import category_value, ticket_text; "
              "print(repr(ticket_text(None, float('nan'))), category_value(float('nan')), "
              "*[m for m in ('pandas', 'sklearn', 'scipy', 'joblib') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["''", "unknown"]

"""Tests for the model features and the fast scorer: it must equal the fitted pipeline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.model.features import build_pipeline, model_frame
from mlflow_project.model.inputs import UNKNOWN, category_value, ticket_text
from mlflow_project.model.scoring import TicketScorer

PARAMS = {"C": 2.0, "max_features": 3000, "ngram_max": 2, "min_df": 2,
          "class_weight": "balanced", "seed": 0}
THRESHOLD = 0.4
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default token pattern


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    train = generate_tickets(GeneratorConfig(rows=2000, seed=1))
    fitted = build_pipeline(PARAMS)
    fitted.fit(model_frame(train), train["urgent"])
    return fitted


@pytest.fixture(scope="module")
def scorer(pipeline: Pipeline) -> TicketScorer:
    return TicketScorer(pipeline, THRESHOLD)


@pytest.fixture(scope="module")
def messy_tickets() -> pd.DataFrame:
    """500 tickets unseen in training, with missing, unknown and oddly cased values."""
    frame = generate_tickets(GeneratorConfig(rows=500, seed=2)).astype(object)
    frame.loc[0:19, "title"] = None
    frame.loc[20:39, "description"] = np.nan
    frame.loc[40:44, ["title", "description"]] = None
    frame.loc[45:64, "source"] = "fax"
    frame.loc[65:84, "source"] = frame.loc[65:84, "source"].str.upper()
    frame.loc[85:104, "customer_tier"] = "  PREMIUM "
    frame.loc[105:114, "customer_tier"] = None
    frame.loc[115:124, "source"] = np.nan
    frame.loc[125:134, "customer_tier"] = "platinum"
    frame.loc[135:144, "title"] = frame.loc[135:144, "title"].str.upper() + "   "
    return frame


def test_fast_probabilities_equal_the_pipeline(
        pipeline: Pipeline, scorer: TicketScorer, messy_tickets: pd.DataFrame) -> None:
    records = messy_tickets.to_dict("records")
    fast = scorer.probabilities(records)
    reference = pipeline.predict_proba(model_frame(messy_tickets))[:, 1]
    assert fast.shape == (len(messy_tickets),)
    np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-9)


def test_frame_path_equals_the_record_path(scorer: TicketScorer,
                                           messy_tickets: pd.DataFrame) -> None:
    np.testing.assert_allclose(scorer.probabilities_frame(messy_tickets),
                               scorer.probabilities(messy_tickets.to_dict("records")),
                               rtol=0, atol=1e-9)


def test_absent_fields_score_like_missing_values(scorer: TicketScorer) -> None:
    sparse = {"description": "VPN down for the whole team"}
    explicit = {"title": None, "description": "VPN down for the whole team",
                "source": None, "customer_tier": None}
    assert scorer.probabilities([sparse])[0] == pytest.approx(
        scorer.probabilities([explicit])[0], abs=1e-12)


def test_case_and_whitespace_do_not_change_the_score(scorer: TicketScorer) -> None:
    plain = {"title": "vpn down", "description": "nobody can login to the vpn",
             "source": "phone", "customer_tier": "premium"}
    noisy = {"title": "  VPN   DOWN ", "description": "Nobody can\tLOGIN to the VPN\n",
             "source": " Phone ", "customer_tier": "PREMIUM"}
    first, second = scorer.probabilities([plain, noisy])
    assert first == pytest.approx(second, abs=1e-12)


def test_probabilities_are_between_zero_and_one(scorer: TicketScorer,
                                                messy_tickets: pd.DataFrame) -> None:
    values = scorer.probabilities(messy_tickets.to_dict("records"))
    assert np.all((values > 0.0) & (values < 1.0))


def test_empty_batch_gives_empty_result(scorer: TicketScorer) -> None:
    assert scorer.probabilities([]).shape == (0,)


def test_labels_use_greater_or_equal_threshold(scorer: TicketScorer) -> None:
    probabilities = np.array([0.0, THRESHOLD - 1e-9, THRESHOLD, THRESHOLD + 1e-9, 1.0])
    labels = scorer.labels(probabilities)
    assert labels.tolist() == [0, 0, 1, 1, 1]
    assert labels.dtype == np.int64


def test_labels_agree_with_probabilities(scorer: TicketScorer,
                                         messy_tickets: pd.DataFrame) -> None:
    probabilities = scorer.probabilities(messy_tickets.to_dict("records"))
    labels = scorer.labels(probabilities)
    assert np.array_equal(labels == 1, probabilities >= THRESHOLD)
    assert 0 < labels.sum() < len(labels)


def test_threshold_is_kept_as_float(pipeline: Pipeline) -> None:
    scorer = TicketScorer(pipeline, 1)
    assert isinstance(scorer.threshold, float)
    assert scorer.threshold == 1.0


def _text_tokens(ticket: dict[str, object]) -> str:
    return ticket_text(ticket.get("title"), ticket.get("description")).lower()


@pytest.mark.parametrize("top", [1, 3, 5, 10])
def test_explain_returns_top_positive_terms_from_the_ticket(
        scorer: TicketScorer, messy_tickets: pd.DataFrame, top: int) -> None:
    explained_any = False
    for ticket in messy_tickets.head(60).to_dict("records"):
        terms = scorer.explain(ticket, top=top)
        assert len(terms) <= top
        weights = [t.weight for t in terms]
        assert all(w > 0 for w in weights)
        assert weights == sorted(weights, reverse=True)
        tokens = TOKEN.findall(_text_tokens(ticket))
        text = " ".join(tokens)
        for term in terms:
            assert f" {term.term} " in f" {text} ", term.term
        explained_any = explained_any or bool(terms)
    assert explained_any


def test_explain_gives_the_largest_contributions(scorer: TicketScorer,
                                                 pipeline: Pipeline) -> None:
    ticket = {"title": "URGENT: VPN outage",
              "description": "VPN is completely unreachable and nobody can work. Please fix asap."}
    vectoriser = pipeline.named_steps["features"].named_transformers_["text"]
    weights = pipeline.named_steps["classifier"].coef_[0][: len(vectoriser.vocabulary_)]
    row = vectoriser.transform([ticket_text(ticket["title"], ticket["description"])]).toarray()[0]
    contributions = row * weights
    vocabulary = vectoriser.get_feature_names_out()
    positive = sorted(((c, vocabulary[i]) for i, c in enumerate(contributions) if c > 0),
                      key=lambda item: (-item[0], item[1]))  # ties broken by term
    terms = scorer.explain(ticket, top=3)
    assert [t.term for t in terms] == [name for _, name in positive[:3]]
    for term, (contribution, _) in zip(terms, positive[:3], strict=True):
        assert term.weight == pytest.approx(contribution)


def test_explain_of_empty_ticket_is_empty(scorer: TicketScorer) -> None:
    assert scorer.explain({"title": None, "description": None}) == []
    assert scorer.explain({}) == []


@pytest.mark.parametrize(("title", "description", "expected"), [
    ("VPN down", "since 9am", "VPN down since 9am"),
    (None, "only body", "only body"),
    ("only title", None, "only title"),
    (np.nan, "body", "body"),
    ("title", float("nan"), "title"),
    (None, None, ""),
    ("  spaced   out\t", "\nline one\n line  two ", "spaced out line one line two"),
    ("", "   ", ""),
    (123, 4.5, "123 4.5"),
])
def test_ticket_text_joins_and_normalises_whitespace(title: object, description: object,
                                                     expected: str) -> None:
    assert ticket_text(title, description) == expected


def test_ticket_text_keeps_case() -> None:
    # Lower-casing is the vectoriser's job; the joined text itself is not altered.
    assert ticket_text("VPN Down", "Help") == "VPN Down Help"


@pytest.mark.parametrize(("value", "expected"), [
    ("email", "email"),
    ("EMAIL", "email"),
    ("  Phone  ", "phone"),
    ("Fax", "fax"),
    (None, UNKNOWN),
    (np.nan, UNKNOWN),
    ("", UNKNOWN),
    ("   ", UNKNOWN),
    ("live   chat", "live chat"),
])
def test_category_value_normalisation(value: object, expected: str) -> None:
    assert category_value(value) == expected


def test_pandas_na_counts_as_missing() -> None:
    assert category_value(pd.NA) == UNKNOWN
    assert ticket_text(pd.NA, "body") == "body"


def test_model_frame_columns_and_values() -> None:
    tickets = pd.DataFrame({
        "title": ["A", None], "description": [" b ", "c"],
        "source": ["WEB", None], "customer_tier": [np.nan, "Standard"], "urgent": [1, 0],
    })
    frame = model_frame(tickets)
    assert list(frame.columns) == ["text", "source", "customer_tier"]
    assert frame["text"].tolist() == ["A b", "c"]
    assert frame["source"].tolist() == ["web", UNKNOWN]
    assert frame["customer_tier"].tolist() == [UNKNOWN, "standard"]


def test_build_pipeline_reads_hyperparameters() -> None:
    built = build_pipeline({"C": 0.5, "max_features": 123, "ngram_max": 3, "min_df": 4,
                            "class_weight": "none", "seed": 9})
    vectoriser = built.named_steps["features"].transformers[0][1]
    classifier = built.named_steps["classifier"]
    assert vectoriser.ngram_range == (1, 3)
    assert vectoriser.min_df == 4
    assert vectoriser.max_features == 123
    assert classifier.C == 0.5
    assert classifier.class_weight is None
    assert classifier.random_state == 9
    assert build_pipeline({}).named_steps["classifier"].class_weight == "balanced"


def test_build_pipeline_returns_a_fresh_unfitted_pipeline() -> None:
    first, second = build_pipeline(PARAMS), build_pipeline(PARAMS)
    assert first is not second
    assert not hasattr(first.named_steps["classifier"], "coef_")


def test_word_and_char_features_score_exactly_like_the_pipeline(
        messy_tickets: pd.DataFrame) -> None:
    train = generate_tickets(GeneratorConfig(rows=1500, seed=3))
    union = build_pipeline({**PARAMS, "features": "word+char", "char_ngram_max": 4})
    union.fit(model_frame(train), train["urgent"])
    names = [name for name, _, _ in union.named_steps["features"].transformers_]
    assert names[:2] == ["text", "text_char"]
    scorer = TicketScorer(union, THRESHOLD)
    reference = union.predict_proba(model_frame(messy_tickets))[:, 1]
    np.testing.assert_allclose(scorer.probabilities(messy_tickets.to_dict("records")),
                               reference, rtol=0, atol=1e-9)
    explained = scorer.explain(messy_tickets.iloc[200].to_dict(), top=5)
    assert explained
    assert all(term.weight > 0 for term in explained)


def test_a_two_stage_model_scores_exactly_like_its_stages(messy_tickets: pd.DataFrame) -> None:
    from mlflow_project.data.contract import validate_tickets
    from mlflow_project.model.staged import TwoStageModel
    from mlflow_project.training.config import ModelConfig
    from mlflow_project.training.cross_validation import fit_pipeline

    train = validate_tickets(generate_tickets(GeneratorConfig(rows=1500, seed=4))).valid
    # a kind that is never urgent, as requests are in the Endava data
    never = (train["urgent"] == 0) & (np.arange(len(train)) % 2 == 0)
    train = train.assign(slice=np.where(never, "request", "incident"))
    model = fit_pipeline(train, ModelConfig(stages=2))
    assert isinstance(model, TwoStageModel)
    assert model.kinds == ("incident",)
    expected = (model.kind.predict_proba(model_frame(messy_tickets))[:, 1]
                * model.urgency.predict_proba(model_frame(messy_tickets))[:, 1])
    scorer = TicketScorer(model, THRESHOLD)
    np.testing.assert_allclose(scorer.probabilities(messy_tickets.to_dict("records")),
                               expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(scorer.probabilities_frame(messy_tickets), expected,
                               rtol=0, atol=1e-9)
    assert scorer.text_vectoriser() is model.urgency.named_steps["features"].named_transformers_[
        "text"]
    single = fit_pipeline(train.drop(columns="slice"), ModelConfig(stages=2))
    assert isinstance(single, Pipeline)  # no slices: nothing for a first stage to separate

"""Tests for the synthetic ticket generator: determinism, contract, realism, drift, writing."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from demo.tickets import (
    OUTPUT_COLUMNS,
    DriftConfig,
    GeneratorConfig,
    generate_tickets,
)
from mlflow_project.data.contract import SOURCES, validate_tickets

TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(frame: pd.DataFrame) -> pd.Series:
    text = (frame["title"] + " " + frame["description"]).str.lower()
    return text.map(lambda value: set(TOKEN.findall(value)))


def _share_with_unseen_token(frame: pd.DataFrame, vocabulary: set[str]) -> float:
    return float(_tokens(frame).map(lambda tokens: bool(tokens - vocabulary)).mean())


@pytest.fixture(scope="module")
def default_frame() -> pd.DataFrame:
    return generate_tickets(GeneratorConfig())


@pytest.fixture(scope="module")
def drift_free_vocabulary() -> set[str]:
    reference = generate_tickets(GeneratorConfig(rows=30_000, seed=1))
    return set().union(*_tokens(reference))


def test_same_seed_and_config_give_identical_frames() -> None:
    config = GeneratorConfig(rows=2000, seed=7, drift=DriftConfig(0.3, 0.2, 0.1))
    pd.testing.assert_frame_equal(generate_tickets(config), generate_tickets(config))


def test_different_seeds_give_different_data() -> None:
    first = generate_tickets(GeneratorConfig(rows=2000, seed=1))
    second = generate_tickets(GeneratorConfig(rows=2000, seed=2))
    assert (first["description"] != second["description"]).mean() > 0.5
    assert (first["source"] != second["source"]).mean() > 0.3
    assert (first["created_at"] != second["created_at"]).mean() > 0.9


@pytest.mark.parametrize("rows", [1, 17, 3000])
def test_row_count_columns_and_ids(rows: int) -> None:
    frame = generate_tickets(GeneratorConfig(rows=rows))
    assert len(frame) == rows
    assert list(frame.columns) == list(OUTPUT_COLUMNS)
    assert frame["ticket_id"].iloc[0] == "SYN-000001"
    assert frame["ticket_id"].is_unique
    assert frame["urgent"].dtype == np.int64


def test_output_passes_the_contract_with_zero_rejects(default_frame: pd.DataFrame) -> None:
    result = validate_tickets(default_frame)
    assert len(result.rejects) == 0
    assert len(result.valid) == len(default_frame)


def test_created_at_is_utc_iso_within_the_window() -> None:
    frame = generate_tickets(GeneratorConfig(rows=3000, start="2026-03-01", days=10))
    assert frame["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    instants = pd.to_datetime(frame["created_at"], utc=True)
    assert instants.min() >= pd.Timestamp("2026-03-01", tz="UTC")
    assert instants.max() < pd.Timestamp("2026-03-11", tz="UTC")
    assert instants.is_monotonic_increasing


def test_text_has_realistic_shape_and_noise(default_frame: pd.DataFrame) -> None:
    titles = default_frame["title"].str.strip()
    descriptions = default_frame["description"].str.strip()
    title_words = titles[titles != ""].str.split().str.len()
    sentences = descriptions.str.count(r"[.?!](?:\s|$)")
    assert title_words.between(3, 10).all()
    assert sentences.between(1, 4).all()
    assert (descriptions != "").all()
    assert 0 < (titles == "").mean() < 0.03
    assert (default_frame["title"] != titles).any(), "some titles carry stray whitespace"
    assert (titles.str.isupper()).any(), "some titles are shouted"


def test_urgency_cues_appear_on_both_sides(default_frame: pd.DataFrame) -> None:
    text = (default_frame["title"] + " " + default_frame["description"]).str.lower()
    has_cue = text.str.contains(r"\b(?:outage|down|critical|asap|security breach)\b")
    urgent = default_frame["urgent"] == 1
    assert has_cue[urgent].mean() > 0.6
    assert 0.02 < has_cue[~urgent].mean() < 0.25


@pytest.mark.parametrize("urgent_rate", [0.1, 0.2, 0.5])
def test_urgent_rate_is_near_the_configured_rate(urgent_rate: float) -> None:
    frame = generate_tickets(GeneratorConfig(rows=20_000, urgent_rate=urgent_rate))
    assert frame["urgent"].mean() == pytest.approx(urgent_rate, abs=0.03)


def test_premium_tier_and_phone_source_are_more_often_urgent() -> None:
    frame = generate_tickets(GeneratorConfig(rows=20_000))
    by_tier = frame.groupby("customer_tier")["urgent"].mean()
    by_source = frame.groupby("source")["urgent"].mean()
    assert by_tier["premium"] > by_tier["standard"] + 0.04
    assert by_source["phone"] > by_source["email"] + 0.04


def test_text_is_learnable_but_not_trivially_separable() -> None:
    frame = generate_tickets(GeneratorConfig(rows=5000))
    text = frame["title"] + " " + frame["description"]
    train, held_out = slice(0, 4000), slice(4000, 5000)
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(max_iter=1000)
    model.fit(vectorizer.fit_transform(text[train]), frame["urgent"][train])
    scores = model.predict_proba(vectorizer.transform(text[held_out]))[:, 1]
    auc = roc_auc_score(frame["urgent"][held_out], scores)
    assert 0.85 <= auc <= 0.97


def test_source_shift_moves_the_source_mix_toward_chat_and_web() -> None:
    baseline = generate_tickets(GeneratorConfig(rows=5000))
    shifted = generate_tickets(GeneratorConfig(rows=5000, drift=DriftConfig(source_shift=0.8)))
    counts = pd.DataFrame({
        "baseline": baseline["source"].value_counts(),
        "shifted": shifted["source"].value_counts(),
    }).fillna(0)
    statistic = chi2_contingency(counts.to_numpy()).statistic
    chat_or_web = ["chat", "web"]
    expected_shifted_share = 0.2 * 0.40 + 0.8 * (0.45 + 0.40)  # blend of default and target mix
    assert statistic > 500
    assert baseline["source"].isin(chat_or_web).mean() == pytest.approx(0.40, abs=0.03)
    assert shifted["source"].isin(chat_or_web).mean() == pytest.approx(
        expected_shifted_share, abs=0.03
    )


def test_new_vocabulary_share_matches_the_knob(drift_free_vocabulary: set[str]) -> None:
    drift_free = generate_tickets(GeneratorConfig(rows=5000, seed=2))
    drifted = generate_tickets(GeneratorConfig(rows=5000, seed=2,
                                               drift=DriftConfig(new_vocabulary=0.3)))
    assert _share_with_unseen_token(drift_free, drift_free_vocabulary) < 0.005
    assert _share_with_unseen_token(drifted, drift_free_vocabulary) == pytest.approx(0.3, abs=0.03)


@pytest.mark.parametrize("shift", [0.15, -0.1])
def test_urgent_rate_shift_moves_the_observed_rate(shift: float) -> None:
    baseline = generate_tickets(GeneratorConfig(rows=20_000))
    shifted = generate_tickets(GeneratorConfig(rows=20_000,
                                               drift=DriftConfig(urgent_rate_shift=shift)))
    moved = shifted["urgent"].mean() - baseline["urgent"].mean()
    assert moved == pytest.approx(shift, abs=0.03)


def test_urgent_rate_shift_is_clipped() -> None:
    config = GeneratorConfig(rows=20_000, urgent_rate=0.9, label_noise=0.0,
                             drift=DriftConfig(urgent_rate_shift=0.5))
    assert generate_tickets(config)["urgent"].mean() == pytest.approx(0.99, abs=0.005)


def test_vocabulary_drift_leaves_sources_labels_and_times_unchanged() -> None:
    baseline = generate_tickets(GeneratorConfig(rows=2000))
    drifted = generate_tickets(GeneratorConfig(rows=2000, drift=DriftConfig(new_vocabulary=0.5)))
    unchanged = ["ticket_id", "source", "customer_tier", "created_at", "urgent"]
    pd.testing.assert_frame_equal(baseline[unchanged], drifted[unchanged])
    assert (baseline["description"] != drifted["description"]).mean() > 0.3


def test_mixes_are_normalised_and_respected() -> None:
    config = GeneratorConfig(rows=2000, source_mix={"chat": 3, "email": 1},
                             tier_mix={"premium": 1})
    frame = generate_tickets(config)
    assert dict(config.source_mix) == {"email": 0.25, "chat": 0.75}
    assert set(frame["source"]) == {"chat", "email"}
    assert set(frame["customer_tier"]) == {"premium"}
    assert config == GeneratorConfig(rows=2000, source_mix={"email": 2, "chat": 6},
                                     tier_mix={"premium": 5})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"rows": 0}, r"rows must be an integer >= 1"),
    ({"rows": 2.5}, r"rows must be an integer >= 1"),
    ({"seed": -1}, r"seed must be an integer >= 0"),
    ({"urgent_rate": 1.2}, r"urgent_rate must be a number in \[0.01, 0.99\]"),
    ({"label_noise": 0.5}, r"label_noise must be a number in \[0.0, 0.5\)"),
    ({"label_noise": float("nan")}, r"label_noise must be a number"),
    ({"source_mix": {"fax": 1.0}}, r"source_mix keys must be from email, .*\(got fax\)"),
    ({"source_mix": {"email": 0.0}}, r"source_mix weights must sum to > 0"),
    ({"source_mix": {"email": -1.0, "chat": 2.0}}, r"source_mix\['email'\] must be a number"),
    ({"tier_mix": {"gold": 1.0}}, r"tier_mix keys must be from premium, .*\(got gold\)"),
    ({"days": 0}, r"days must be an integer >= 1"),
    ({"start": "not a date"}, r"start must be an ISO-8601 date"),
])
def test_invalid_generator_config_is_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**overrides)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"source_shift": 1.5}, r"drift.source_shift must be a number in \[0.0, 1.0\]"),
    ({"new_vocabulary": -0.1}, r"drift.new_vocabulary must be a number in \[0.0, 1.0\]"),
    ({"urgent_rate_shift": 2.0}, r"drift.urgent_rate_shift must be a number in \[-1.0, 1.0\]"),
])
def test_invalid_drift_config_is_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DriftConfig(**overrides)


def test_generates_100k_rows() -> None:
    frame = generate_tickets(GeneratorConfig(rows=100_000))
    assert len(frame) == 100_000
    assert frame["ticket_id"].iloc[-1] == "SYN-100000"
    assert frame["source"].isin(SOURCES).all()

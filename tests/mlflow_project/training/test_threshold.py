"""Tests for the decision-threshold policy: the highest threshold that reaches the recall target."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlflow_project.training.threshold import choose_threshold


def recall_at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Share of urgent tickets whose score reaches the threshold (predicted urgent: >=)."""
    return float(np.mean(scores[labels == 1] >= threshold))


def scored_sample(seed: int, rows: int = 300, decimals: int | None = None) -> tuple[
        np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=rows)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.0, 1.0)
    if decimals is not None:
        scores = np.round(scores, decimals)  # many ties
    return labels, scores


@pytest.mark.parametrize("target", [0.05, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(("seed", "decimals"), [(0, None), (1, 2), (2, 1)])
def test_threshold_is_the_highest_that_reaches_the_target_recall(
        target: float, seed: int, decimals: int | None) -> None:
    labels, scores = scored_sample(seed, decimals=decimals)
    threshold = choose_threshold(labels, scores, target)

    assert recall_at(labels, scores, threshold) >= target
    higher = np.unique(scores[scores > threshold])
    if len(higher):
        assert recall_at(labels, scores, higher[0]) < target


@pytest.mark.parametrize("target", [0.3, 0.8, 0.99])
def test_threshold_is_one_of_the_scores(target: float) -> None:
    labels, scores = scored_sample(3)
    assert choose_threshold(labels, scores, target) in set(scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_target_one_gives_the_minimum_urgent_score(seed: int) -> None:
    labels, scores = scored_sample(seed)
    assert choose_threshold(labels, scores, 1.0) == pytest.approx(scores[labels == 1].min())


def test_higher_target_never_gives_a_higher_threshold() -> None:
    labels, scores = scored_sample(4)
    targets = np.linspace(0.05, 1.0, 20)
    thresholds = [choose_threshold(labels, scores, t) for t in targets]
    assert all(a >= b for a, b in itertools.pairwise(thresholds))


def test_perfectly_separated_scores_give_the_lowest_urgent_score() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    assert choose_threshold(labels, scores, 1.0) == pytest.approx(0.7)
    # 2 of 3 urgent tickets reach 0.8 (recall 0.67); at 0.9 only 1 of 3 would (0.33).
    assert choose_threshold(labels, scores, 0.6) == pytest.approx(0.8)


def test_single_urgent_ticket() -> None:
    labels = np.array([0, 1, 0, 0])
    scores = np.array([0.9, 0.4, 0.2, 0.1])
    assert choose_threshold(labels, scores, 0.5) == pytest.approx(0.4)


@pytest.mark.parametrize("target", [0.0, -0.1, 1.0001, 2.0, float("nan")])
def test_target_outside_zero_one_is_refused(target: float) -> None:
    labels, scores = scored_sample(0, rows=20)
    with pytest.raises(ValueError, match="target_recall must be in"):
        choose_threshold(labels, scores, target)


def test_no_urgent_label_is_refused() -> None:
    labels = np.zeros(10, dtype=int)
    scores = np.linspace(0.0, 1.0, 10)
    with pytest.raises(ValueError, match="no urgent ticket"):
        choose_threshold(labels, scores, 0.8)

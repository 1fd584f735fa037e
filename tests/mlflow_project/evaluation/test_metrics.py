"""Tests for the evaluation metrics, overall and per slice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from mlflow_project.evaluation.metrics import (
    GATE_METRICS,
    classification_metrics,
    sliced_metrics,
)

THRESHOLD = 0.5


@pytest.fixture
def sample() -> tuple[np.ndarray, np.ndarray, pd.Series]:
    rng = np.random.default_rng(11)
    rows = 400
    labels = rng.integers(0, 2, size=rows)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.0, 1.0)
    slices = pd.Series(rng.choice(["incident", "request", "other"], size=rows))
    return labels, scores, slices


def test_metrics_match_sklearn(sample: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    labels, scores, _ = sample
    metrics = classification_metrics(labels, scores, THRESHOLD)
    predicted = (scores >= THRESHOLD).astype(int)

    assert metrics["precision"] == pytest.approx(precision_score(labels, predicted))
    assert metrics["recall"] == pytest.approx(recall_score(labels, predicted))
    assert metrics["f1"] == pytest.approx(f1_score(labels, predicted))
    assert metrics["brier"] == pytest.approx(brier_score_loss(labels, scores))
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert metrics["pr_auc"] == pytest.approx(average_precision_score(labels, scores))
    assert metrics["urgent_rate"] == pytest.approx(labels.mean())
    assert metrics["predicted_urgent_rate"] == pytest.approx(predicted.mean())
    assert metrics["rows"] == len(labels)
    assert all(isinstance(v, float) for v in metrics.values())


def test_score_equal_to_threshold_counts_as_urgent() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.5, 0.5, 0.2, 0.1])
    metrics = classification_metrics(labels, scores, 0.5)
    assert metrics["predicted_urgent_rate"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(0.5)
    assert metrics["precision"] == pytest.approx(0.5)


def test_hand_computed_counts() -> None:
    # TP = 2 (0.9, 0.7), FP = 1 (0.8), FN = 1 (0.3), TN = 2.
    labels = np.array([1, 0, 1, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    metrics = classification_metrics(labels, scores, 0.6)
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(2 / 3)
    # Of the 9 (urgent, not urgent) pairs, the urgent one scores higher in 7.
    assert metrics["roc_auc"] == pytest.approx(7 / 9)


@pytest.mark.parametrize("label", [0, 1])
def test_ranking_metrics_left_out_for_a_single_class(label: int) -> None:
    labels = np.full(5, label)
    scores = np.array([0.1, 0.4, 0.5, 0.7, 0.9])
    metrics = classification_metrics(labels, scores, THRESHOLD)
    for name in GATE_METRICS:
        assert name not in metrics
    assert metrics["urgent_rate"] == float(label)
    assert metrics["brier"] == pytest.approx(np.mean((scores - label) ** 2))
    assert metrics["rows"] == 5


def test_no_predicted_urgent_gives_zero_precision_not_an_error() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.1, 0.2, 0.3, 0.4])
    metrics = classification_metrics(labels, scores, 0.9)
    assert metrics["precision"] == 0.0
    assert metrics["recall"] == 0.0
    assert metrics["f1"] == 0.0


def test_without_slices_only_overall_metrics(
        sample: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    labels, scores, _ = sample
    assert sliced_metrics(labels, scores, THRESHOLD, None) == classification_metrics(
        labels, scores, THRESHOLD)


def test_slices_give_prefixed_keys_equal_to_metrics_on_the_subset(
        sample: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    labels, scores, slices = sample
    metrics = sliced_metrics(labels, scores, THRESHOLD, slices)

    overall = classification_metrics(labels, scores, THRESHOLD)
    for name, value in overall.items():
        assert metrics[name] == pytest.approx(value)
    for value in slices.unique():
        mask = (slices == value).to_numpy()
        expected = classification_metrics(labels[mask], scores[mask], THRESHOLD)
        for name, number in expected.items():
            assert metrics[f"slice.{value}.{name}"] == pytest.approx(number)
    slice_keys = {k for k in metrics if k.startswith("slice.")}
    assert {k.split(".")[1] for k in slice_keys} == set(slices)
    assert len(metrics) == len(overall) + len(slice_keys)


def test_slice_with_a_single_class_lacks_only_its_ranking_metrics() -> None:
    labels = np.array([0, 1, 0, 1, 0, 0, 0])
    scores = np.array([0.2, 0.9, 0.3, 0.6, 0.1, 0.4, 0.7])
    slices = pd.Series(["incident"] * 4 + ["request"] * 3)
    metrics = sliced_metrics(labels, scores, THRESHOLD, slices)
    assert "slice.incident.roc_auc" in metrics
    assert "slice.request.roc_auc" not in metrics
    assert "slice.request.pr_auc" not in metrics
    assert metrics["slice.request.rows"] == 3.0
    assert metrics["slice.request.urgent_rate"] == 0.0


def test_slices_use_position_not_index(sample: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    labels, scores, slices = sample
    shuffled_index = slices.copy()
    shuffled_index.index = np.random.default_rng(0).permutation(len(slices))
    assert sliced_metrics(labels, scores, THRESHOLD, shuffled_index) == sliced_metrics(
        labels, scores, THRESHOLD, slices)

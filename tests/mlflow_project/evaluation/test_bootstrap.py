"""Tests for the paired bootstrap: exact metrics, honest intervals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from mlflow_project.evaluation.bootstrap import ScoredModel, metrics_of, paired_difference


@pytest.mark.parametrize("seed", range(30))
def test_metrics_equal_scikit_learn_including_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, int(rng.integers(6, 80)))
    labels[:2] = [0, 1]
    scores = np.round(rng.random(len(labels)), int(rng.integers(1, 3)))  # many ties
    found = metrics_of(labels[None, :], scores[None, :], 0.5)
    assert found["roc_auc"][0] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert found["pr_auc"][0] == pytest.approx(average_precision_score(labels, scores),
                                               abs=1e-12)
    assert found["recall"][0] == pytest.approx(scores[labels == 1].__ge__(0.5).mean())


def _data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(rows) < 0.2).astype(int)
    return labels, labels * 1.0 + rng.normal(0, 1, rows)


def test_identical_models_differ_by_exactly_zero() -> None:
    labels, scores = _data(500)
    found = paired_difference(labels, ScoredModel(scores, 0.5), ScoredModel(scores, 0.5),
                              replicates=200)
    for interval in found.values():
        assert interval.estimate == interval.low == interval.high == 0.0


def test_a_clearly_better_model_has_an_interval_above_zero() -> None:
    labels, scores = _data(2000)
    noisier = scores + np.random.default_rng(1).normal(0, 1.5, len(scores))
    found = paired_difference(labels, ScoredModel(scores, 0.5), ScoredModel(noisier, 0.5),
                              replicates=300)
    assert found["roc_auc"].low > 0
    assert found["pr_auc"].low > 0
    assert found["roc_auc"].low <= found["roc_auc"].estimate <= found["roc_auc"].high


def test_fewer_rows_give_a_wider_interval() -> None:
    labels, scores = _data(4000)
    other = scores + np.random.default_rng(2).normal(0, 0.5, len(scores))
    widths = []
    for rows in (400, 4000):
        found = paired_difference(labels[:rows], ScoredModel(scores[:rows], 0.5),
                                  ScoredModel(other[:rows], 0.5), replicates=300)
        widths.append(found["roc_auc"].high - found["roc_auc"].low)
    assert widths[0] > 2 * widths[1]


def test_the_same_seed_gives_the_same_interval() -> None:
    labels, scores = _data(300)
    other = scores[::-1].copy()
    first = paired_difference(labels, ScoredModel(scores, 0.5), ScoredModel(other, 0.5))
    assert first == paired_difference(labels, ScoredModel(scores, 0.5),
                                      ScoredModel(other, 0.5))


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="one class"):
        paired_difference(np.zeros(5), ScoredModel(np.ones(5), 0.5),
                          ScoredModel(np.ones(5), 0.5))

"""Tests for cross-validated fitting: folds, out-of-fold scores, threshold, expected recall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.contract import validate_tickets
from mlflow_project.data.dataset import DataRefused
from mlflow_project.evaluation.partition import evaluation_mask, ticket_keys
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import (
    fit_model,
    fold_ids,
    out_of_fold_scores,
    scores_of,
)
from mlflow_project.training.job import development_and_evaluation
from mlflow_project.training.threshold import expected_recall

CONFIG = TrainConfig(data="in-memory", features="word", cv_folds=4)


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return validate_tickets(generate_tickets(GeneratorConfig(rows=2500, seed=8))).valid


def test_folds_are_stratified_by_label_and_slice(tickets: pd.DataFrame) -> None:
    sliced = tickets.assign(slice=np.where(np.arange(len(tickets)) % 3 == 0, "a", "b"))
    folds = fold_ids(sliced, 4, seed=0)
    assert sorted(np.unique(folds)) == [0, 1, 2, 3]
    for fold in range(4):
        inside = sliced[folds == fold]
        assert abs(inside["urgent"].mean() - sliced["urgent"].mean()) < 0.01
        assert abs((inside["slice"] == "a").mean() - 1 / 3) < 0.01


def test_too_few_urgent_tickets_for_the_folds_is_refused(tickets: pd.DataFrame) -> None:
    few = pd.concat([tickets[tickets["urgent"] == 0], tickets[tickets["urgent"] == 1].head(2)])
    with pytest.raises(DataRefused, match="4-fold cross-validation"):
        fold_ids(few, 4, seed=0)


def test_out_of_fold_scores_come_from_models_that_did_not_see_the_row(
        tickets: pd.DataFrame) -> None:
    folds = fold_ids(tickets, 4, seed=0)
    oof = out_of_fold_scores(tickets, CONFIG.model(), folds)
    refit = fit_model(tickets, CONFIG).pipeline
    seen = scores_of(refit, tickets)
    urgent = tickets["urgent"].to_numpy() == 1
    # a model is surer of rows it was fitted on than of rows it was not
    assert seen[urgent].mean() > oof[urgent].mean()
    assert seen[~urgent].mean() < oof[~urgent].mean()


def test_the_threshold_keeps_the_target_recall_out_of_fold(tickets: pd.DataFrame) -> None:
    development, evaluation = development_and_evaluation(tickets, CONFIG)
    fitted = fit_model(development, CONFIG,
                       evaluation_positives=int(evaluation["urgent"].sum()))
    assert 0.0 < fitted.threshold < 1.0
    assert fitted.recall.positives == int(evaluation["urgent"].sum())
    assert fitted.recall.low <= fitted.recall.expected <= fitted.recall.high
    assert {"cv.roc_auc", "cv.pr_auc", "cv.roc_auc.std"} <= set(fitted.cv_metrics)
    folds = fold_ids(development, CONFIG.cv_folds, CONFIG.seed)
    oof = out_of_fold_scores(development, CONFIG.model(), folds)
    urgent = development["urgent"].to_numpy() == 1
    assert (oof[urgent] >= fitted.threshold).mean() >= CONFIG.target_recall
    assert (oof[urgent] > fitted.threshold).mean() < CONFIG.target_recall  # the highest such


def test_expected_recall_is_measured_at_thresholds_chosen_without_the_fold() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(4000) < 0.1).astype(int)
    scores = labels * 1.0 + rng.normal(0, 1, len(labels))
    folds = rng.integers(0, 5, len(labels))
    found = expected_recall(labels, scores, folds, 0.8, positives=80)
    assert 0.74 < found.expected < 0.86
    assert found.low < found.expected < found.high
    # 80 positives: the binomial spread alone is about +-0.09 at 95%
    assert 0.12 < found.high - found.low < 0.3
    wider = expected_recall(labels, scores, folds, 0.8, positives=20)
    assert wider.high - wider.low > found.high - found.low


def test_evaluation_rows_never_reach_the_fit(tickets: pd.DataFrame) -> None:
    development, evaluation = development_and_evaluation(tickets, CONFIG)
    assert not set(development["key"]) & set(evaluation["key"])
    assert len(development) + len(evaluation) == len(tickets)


def test_an_evaluation_set_without_urgent_tickets_is_refused(tickets: pd.DataFrame) -> None:
    held_out = evaluation_mask(ticket_keys(tickets), CONFIG.eval_fraction)
    urgent_only_in_development = tickets.assign(urgent=(~held_out).astype(int) * tickets["urgent"])
    with pytest.raises(DataRefused, match=r"the evaluation rows .* do not hold both classes"):
        development_and_evaluation(urgent_only_in_development, CONFIG)

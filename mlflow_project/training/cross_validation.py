"""Cross-validation on the development rows: out-of-fold scores, the threshold, the final fit.

Model selection (`tune`) and the threshold both use out-of-fold scores, so no choice is made on
a score the model produced for a row it was fitted on; the registered model is then refitted on
every development row. Pure: nothing here logs or touches the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from mlflow_project.data.contract import LABEL_COLUMN
from mlflow_project.data.dataset import DataRefused
from mlflow_project.evaluation.metrics import GATE_METRICS, classification_metrics
from mlflow_project.model.features import build_pipeline, model_frame
from mlflow_project.model.staged import TwoStageModel
from mlflow_project.training.config import ModelConfig, TrainConfig
from mlflow_project.training.errors import ConfigurationError
from mlflow_project.training.threshold import RecallExpectation, choose_threshold, expected_recall

SLICE_COLUMN = "slice"
Model: TypeAlias = Pipeline | TwoStageModel


@dataclass(frozen=True)
class FittedModel:
    """A pipeline fitted on all development rows, its threshold and what CV says about both."""

    pipeline: Model
    threshold: float
    recall: RecallExpectation
    cv_metrics: dict[str, float]


def fold_ids(tickets: pd.DataFrame, folds: int, seed: int) -> np.ndarray:
    """The fold of each row: stratified by label, and by slice where the data has one."""
    strata = tickets[LABEL_COLUMN].astype(str)
    if SLICE_COLUMN in tickets.columns:
        strata = strata + "|" + tickets[SLICE_COLUMN].astype(str)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    ids = np.empty(len(tickets), dtype=int)
    try:
        for fold, (_, inside) in enumerate(splitter.split(tickets, strata)):
            ids[inside] = fold
    except ValueError as exc:
        counts = tickets[LABEL_COLUMN].value_counts().to_dict()
        raise DataRefused(f"too few tickets per class for {folds}-fold cross-validation "
                          f"(class counts {counts}): {exc}") from exc
    if any(tickets[LABEL_COLUMN][ids == fold].nunique() < 2 for fold in range(folds)):
        raise DataRefused(f"too few urgent tickets for {folds}-fold cross-validation: a fold "
                          "would hold one class only")
    return ids


def urgent_kinds(tickets: pd.DataFrame) -> tuple[str, ...] | None:
    """The slice values holding urgent tickets, when other slices never are urgent (and the
    urgent-capable rows hold both classes); None when a first stage has nothing to separate."""
    if SLICE_COLUMN not in tickets.columns:
        return None
    slices, labels = tickets[SLICE_COLUMN].astype(str), tickets[LABEL_COLUMN]
    kinds = tuple(sorted(slices[labels == 1].unique()))
    capable = slices.isin(kinds)
    if capable.all() or labels[capable].nunique() < 2:
        return None
    return kinds


def fit_pipeline(tickets: pd.DataFrame, model: ModelConfig) -> Model:
    """A model fitted on `tickets`: two stages when `model.stages` is 2 and the slices allow it
    (`urgent_kinds`), else one pipeline. ConfigurationError when the parameters cannot fit."""
    kinds = urgent_kinds(tickets) if model.stages == 2 else None
    if kinds is None:
        return _fitted(tickets, tickets[LABEL_COLUMN].to_numpy(), model)
    capable = tickets[SLICE_COLUMN].astype(str).isin(kinds).to_numpy()
    return TwoStageModel(kind=_fitted(tickets, capable.astype(int), model),
                         urgency=_fitted(tickets[capable],
                                         tickets[LABEL_COLUMN].to_numpy()[capable], model),
                         kinds=kinds)


def describe(model: Model) -> str:
    """One line naming the model's structure, for the run's tags."""
    return model.describe() if isinstance(model, TwoStageModel) else "one stage"


def _fitted(tickets: pd.DataFrame, target: np.ndarray, model: ModelConfig) -> Pipeline:
    pipeline = build_pipeline(model.hyperparameters())
    try:
        pipeline.fit(model_frame(tickets), target)
    except ValueError as exc:  # e.g. min_df so high that no term is left
        raise ConfigurationError(f"cannot fit the model with these parameters: {exc}") from exc
    return pipeline


def scores_of(pipeline: Model, tickets: pd.DataFrame) -> np.ndarray:
    """The urgency probability of each row."""
    return np.asarray(pipeline.predict_proba(model_frame(tickets))[:, 1])


def out_of_fold_scores(tickets: pd.DataFrame, model: ModelConfig,
                       folds: np.ndarray) -> np.ndarray:
    """Each row's score from the model fitted on the other folds."""
    scores = np.empty(len(tickets), dtype=float)
    for fold in np.unique(folds):
        inside = folds == fold
        pipeline = fit_pipeline(tickets[~inside], model)
        scores[inside] = scores_of(pipeline, tickets[inside])
    return scores


def fold_metrics(tickets: pd.DataFrame, scores: np.ndarray,
                 folds: np.ndarray) -> dict[str, float]:
    """Mean and standard deviation over folds of ROC-AUC and PR-AUC, overall and per slice
    (`cv.roc_auc`, `cv.roc_auc.std`, `cv.slice.incident.roc_auc`, ...)."""
    labels = tickets[LABEL_COLUMN].to_numpy()
    groups = {"": np.ones(len(tickets), dtype=bool)}
    if SLICE_COLUMN in tickets.columns:
        groups |= {f"slice.{value}.": (tickets[SLICE_COLUMN] == value).to_numpy()
                   for value in sorted(tickets[SLICE_COLUMN].unique())}
    found: dict[str, float] = {}
    for prefix, members in groups.items():
        per_fold = _per_fold_metrics(labels, scores, folds, members)
        for metric in GATE_METRICS:
            values = [m[metric] for m in per_fold if metric in m]
            if len(values) == len(per_fold):
                found[f"cv.{prefix}{metric}"] = float(np.mean(values))
                found[f"cv.{prefix}{metric}.std"] = float(np.std(values))
    return found


def fold_values(tickets: pd.DataFrame, scores: np.ndarray, folds: np.ndarray,
                metric: str) -> list[float]:
    """One overall `metric` (e.g. `pr_auc`) per fold, in fold order: what `fold_metrics`
    averages, kept apart so two configurations can be compared fold by fold."""
    labels = tickets[LABEL_COLUMN].to_numpy()
    everyone = np.ones(len(tickets), dtype=bool)
    return [float(m[metric]) for m in _per_fold_metrics(labels, scores, folds, everyone)]


def _per_fold_metrics(labels: np.ndarray, scores: np.ndarray, folds: np.ndarray,
                      members: np.ndarray) -> list[dict[str, float]]:
    return [classification_metrics(labels[members & (folds == f)],
                                   scores[members & (folds == f)], 0.5)
            for f in np.unique(folds)]


def fit_model(tickets: pd.DataFrame, config: TrainConfig,
              evaluation_positives: int | None = None) -> FittedModel:
    """Cross-validate on `tickets` (development rows only), choose the threshold on the
    out-of-fold scores, state the recall it should hold on a set of `evaluation_positives`
    urgent tickets (default: as many as a fold holds), and refit on all of `tickets`."""
    folds = fold_ids(tickets, config.cv_folds, config.seed)
    scores = out_of_fold_scores(tickets, config.model(), folds)
    labels = tickets[LABEL_COLUMN].to_numpy()
    positives = evaluation_positives or max(1, int(labels.sum()) // config.cv_folds)
    return FittedModel(
        pipeline=fit_pipeline(tickets, config.model()),
        threshold=choose_threshold(labels, scores, config.target_recall),
        recall=expected_recall(labels, scores, folds, config.target_recall, positives,
                               seed=config.seed),
        cv_metrics=fold_metrics(tickets, scores, folds),
    )

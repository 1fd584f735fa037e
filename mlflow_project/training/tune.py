"""The `tune` entry point: choose the model configuration by cross-validation on the
development rows only (the evaluation rows stay unseen, as in `train`).

One parent run; one nested run per configuration with its parameters and fold metrics; the
table of every configuration (`tune/configurations.json`, shown by the MLflow UI's table view)
and the winner (`tune/best_config.json`) are logged on the parent. The winner is the highest mean
PR-AUC over the folds: the gate's and the product's main figure, and the one that rewards
ranking the rare urgent tickets first. `train` then refits it on all development rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd

from mlflow_project.data.dataset import check_trainable, load_tickets
from mlflow_project.evaluation.partition import split_by_content
from mlflow_project.runs import project_run
from mlflow_project.settings import ProjectSettings
from mlflow_project.training.config import FeatureSet, ModelConfig
from mlflow_project.training.cross_validation import fold_ids, fold_metrics, out_of_fold_scores

SELECTION_METRIC = "cv.pr_auc"


@dataclass(frozen=True)
class TuneRequest:
    """The data, the partition and CV settings (as `train` uses them) and the grid to search."""

    data: str
    experiment_name: str
    features: tuple[FeatureSet, ...]
    c_values: tuple[float, ...]
    eval_fraction: float
    cv_folds: int
    seed: int
    max_reject_share: float

    def grid(self) -> list[ModelConfig]:
        """Every configuration to try: each feature set with each C (other defaults kept)."""
        return [ModelConfig(features=features, C=c, seed=self.seed)
                for features, c in itertools.product(self.features, self.c_values)]


@dataclass(frozen=True)
class TuneOutcome:
    """The parent run, the table of configurations (best first) and the winner."""

    run_id: str
    table: pd.DataFrame
    best: ModelConfig


def tune(request: TuneRequest, settings: ProjectSettings) -> TuneOutcome:
    """Cross-validate every configuration of the grid on the development rows; log and rank."""
    with project_run(request.experiment_name, settings.artifact_root) as parent:
        loaded = load_tickets(request.data)
        check_trainable(loaded.validation, request.max_reject_share)
        development, _ = split_by_content(loaded.validation.valid, request.eval_fraction)
        folds = fold_ids(development, request.cv_folds, request.seed)
        mlflow.log_params({"data": request.data, "eval_fraction": request.eval_fraction,
                           "cv_folds": request.cv_folds, "seed": request.seed,
                           "development_rows": len(development),
                           "selection_metric": SELECTION_METRIC})
        mlflow.set_tag("data_sha256", loaded.sha256)
        rows = [_try(config, development, folds) for config in request.grid()]
        table = (pd.DataFrame(rows).sort_values(SELECTION_METRIC, ascending=False)
                 .reset_index(drop=True))
        winner = table.iloc[0].to_dict()
        best = ModelConfig(**{k: winner[k] for k in ModelConfig.model_fields})
        mlflow.log_table(table, artifact_file="tune/configurations.json")
        mlflow.log_dict(best.model_dump(), "tune/best_config.json")
        mlflow.log_metric(f"best.{SELECTION_METRIC}", winner[SELECTION_METRIC])
        return TuneOutcome(parent.info.run_id, table, best)


def _try(config: ModelConfig, development: pd.DataFrame,
         folds: np.ndarray) -> dict[str, object]:
    """One nested run: the configuration's out-of-fold metrics."""
    name = f"{config.features} C={config.C:g}"
    with mlflow.start_run(run_name=name, nested=True) as child:
        mlflow.log_params(config.model_dump())
        scores = out_of_fold_scores(development, config, folds)
        metrics = fold_metrics(development, scores, folds)
        mlflow.log_metrics(metrics)
    return {**config.model_dump(), **metrics, "run_id": child.info.run_id}

"""The `tune` entry point: choose the model configuration by cross-validation on the
development rows only (the evaluation rows stay unseen, as in `train`), and refit the winner
only when it beats the default by more than the noise.

One parent run; one nested run per configuration with its parameters and fold metrics (the
per-fold PR-AUC as `fold.pr_auc`, step = fold); the table of every configuration
(`tune/configurations.json`, shown by the MLflow UI's table view), the winner
(`tune/best_config.json`) and the refit decision (`tune/decision.json`) are logged on the parent.
The winner is the highest mean PR-AUC over the folds: the gate's and the product's main figure,
and the one that rewards ranking the rare urgent tickets first. The default configuration (what
`train` fits when given nothing) is always among the candidates, so the winner is judged
against it on the same folds.

Refit rule: the gain is the mean over folds of (winner's PR-AUC - default's PR-AUC) on the same
fold; the noise is the standard error of those paired differences (sample standard deviation /
sqrt(folds)). The winner is refitted only when the gain exceeds `NOISE_STANDARD_ERRORS` (1)
standard error; then it goes through the ordinary `train` entry point (a run nested under the
tune run), whose gate decides whether it becomes @challenger. A default that wins, or a gain
within the noise, trains nothing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import mlflow
import mlflow.projects
import numpy as np
import pandas as pd

from mlflow_project.data.dataset import check_trainable, load_tickets
from mlflow_project.evaluation.partition import split_by_content
from mlflow_project.runs import project_run
from mlflow_project.settings import ProjectSettings
from mlflow_project.training.config import FeatureSet, ModelConfig, RefitMode
from mlflow_project.training.cross_validation import (
    fold_ids,
    fold_metrics,
    fold_values,
    out_of_fold_scores,
)
from mlflow_project.training.lineage import PACKAGE_DIR

SELECTION_METRIC = "cv.pr_auc"
FOLD_METRIC = "pr_auc"
NOISE_STANDARD_ERRORS = 1.0
RULE = (f"refit when the mean paired fold gain in {FOLD_METRIC} over the default exceeds "
        f"{NOISE_STANDARD_ERRORS:g} standard error of the paired differences")


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
    refit: RefitMode = RefitMode.AUTO

    def grid(self) -> list[ModelConfig]:
        """Every configuration to try: each feature set with each C (other defaults kept),
        and the default configuration when the grid does not hold it."""
        grid = [ModelConfig(features=features, C=c, seed=self.seed)
                for features, c in itertools.product(self.features, self.c_values)]
        return grid if self.default() in grid else [*grid, self.default()]

    def default(self) -> ModelConfig:
        """What `train` fits when given no model parameters (with this request's seed)."""
        return ModelConfig(seed=self.seed)


@dataclass(frozen=True)
class Standing:
    """A configuration's selection metric over the folds."""

    config: ModelConfig
    per_fold: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.per_fold))

    @property
    def std(self) -> float:
        return float(np.std(self.per_fold))

    def describe(self) -> str:
        """`word+char C=4: cv.pr_auc 0.9123 ± 0.0110`."""
        return (f"{self.config.features} C={self.config.C:g}: {SELECTION_METRIC} "
                f"{self.mean:.4f} ± {self.std:.4f}")


@dataclass(frozen=True)
class RefitDecision:
    """The winner against the default on the same folds, and whether to refit the winner."""

    winner: Standing
    default: Standing
    runner_up: Standing | None
    gain: float
    standard_error: float
    refit: bool

    @property
    def summary(self) -> str:
        """One line: the gain, the noise and the verdict by `RULE`."""
        if self.winner.config == self.default.config:
            return "no refit: the default configuration is the best; train it as it is"
        verdict = "refit" if self.refit else "no refit: the gain is within the noise"
        return (f"gain over the default {self.gain:+.4f}, standard error of the paired fold "
                f"differences {self.standard_error:.4f} -> {verdict} ({RULE})")


@dataclass(frozen=True)
class TuneOutcome:
    """The parent run, the table of configurations (best first), the winner and the decision,
    and the refit's training run when there was one."""

    run_id: str
    table: pd.DataFrame
    best: ModelConfig
    decision: RefitDecision
    refit_run_id: str | None = None


def decide(standings: list[Standing], default: ModelConfig) -> RefitDecision:
    """Rank by mean; refit the winner only when its paired gain over `default` on the same
    folds exceeds `NOISE_STANDARD_ERRORS` standard errors of the differences."""
    ranked = sorted(standings, key=lambda s: s.mean, reverse=True)
    winner = ranked[0]
    baseline = next(s for s in standings if s.config == default)
    differences = np.subtract(winner.per_fold, baseline.per_fold)
    gain = float(np.mean(differences))
    standard_error = float(np.std(differences, ddof=1) / math.sqrt(len(differences)))
    refit = winner.config != default and gain > NOISE_STANDARD_ERRORS * standard_error
    return RefitDecision(winner, baseline, ranked[1] if len(ranked) > 1 else None, gain,
                         standard_error, refit)


def tune(request: TuneRequest, settings: ProjectSettings) -> TuneOutcome:
    """Cross-validate every configuration of the grid on the development rows; log and rank;
    refit the winner through `train` when the rule says so and `request.refit` allows."""
    with project_run(request.experiment_name, settings.artifact_root) as parent:
        loaded = load_tickets(request.data)
        check_trainable(loaded.validation, request.max_reject_share)
        development, _ = split_by_content(loaded.validation.valid, request.eval_fraction)
        folds = fold_ids(development, request.cv_folds, request.seed)
        mlflow.log_params({"data": request.data, "eval_fraction": request.eval_fraction,
                           "cv_folds": request.cv_folds, "seed": request.seed,
                           "development_rows": len(development),
                           "selection_metric": SELECTION_METRIC, "refit_rule": RULE})
        mlflow.set_tag("data_sha256", loaded.sha256)
        tried = [_try(config, development, folds) for config in request.grid()]
        table = (pd.DataFrame([row for row, _ in tried])
                 .sort_values(SELECTION_METRIC, ascending=False).reset_index(drop=True))
        decision = decide([standing for _, standing in tried], request.default())
        best = decision.winner.config
        mlflow.log_table(table, artifact_file="tune/configurations.json")
        mlflow.log_dict(best.model_dump(), "tune/best_config.json")
        _log_decision(decision)
        refit_run = (_refit(request, best) if decision.refit and
                     request.refit is RefitMode.AUTO else None)
        return TuneOutcome(parent.info.run_id, table, best, decision, refit_run)


def _try(config: ModelConfig, development: pd.DataFrame,
         folds: np.ndarray) -> tuple[dict[str, object], Standing]:
    """One nested run: the configuration's out-of-fold metrics and per-fold PR-AUC."""
    name = f"{config.features} C={config.C:g}"
    with mlflow.start_run(run_name=name, nested=True) as child:
        mlflow.log_params(config.model_dump())
        scores = out_of_fold_scores(development, config, folds)
        metrics = fold_metrics(development, scores, folds)
        per_fold = fold_values(development, scores, folds, FOLD_METRIC)
        mlflow.log_metrics(metrics)
        for fold, value in enumerate(per_fold):
            mlflow.log_metric(f"fold.{FOLD_METRIC}", value, step=fold)
    row = {**config.model_dump(), **metrics, "run_id": child.info.run_id}
    return row, Standing(config, tuple(per_fold))


def _log_decision(decision: RefitDecision) -> None:
    """The winner's and the default's spread, the gain, the noise and the verdict."""
    mlflow.log_metrics({f"best.{SELECTION_METRIC}": decision.winner.mean,
                        f"best.{SELECTION_METRIC}.std": decision.winner.std,
                        f"default.{SELECTION_METRIC}": decision.default.mean,
                        f"default.{SELECTION_METRIC}.std": decision.default.std,
                        "refit.gain": decision.gain,
                        "refit.standard_error": decision.standard_error})
    mlflow.set_tag("refit_decision", decision.summary)
    mlflow.log_dict({
        "rule": RULE, "refit": decision.refit, "summary": decision.summary,
        "gain": decision.gain, "standard_error": decision.standard_error,
        "winner": {**decision.winner.config.model_dump(),
                   "per_fold": list(decision.winner.per_fold)},
        "default": {**decision.default.config.model_dump(),
                    "per_fold": list(decision.default.per_fold)},
    }, "tune/decision.json")


def _refit(request: TuneRequest, best: ModelConfig) -> str:
    """Train `best` through the `train` entry point (nested under the tune run), on the same
    data, partition and folds; its gate decides @challenger. The training run's id."""
    parameters = {**best.model_dump(), "data": request.data,
                  "experiment_name": request.experiment_name,
                  "eval_fraction": request.eval_fraction, "cv_folds": request.cv_folds,
                  "max_reject_share": request.max_reject_share}
    submitted = mlflow.projects.run(
        str(PACKAGE_DIR), entry_point="train", env_manager="local",
        parameters={k: str(v) for k, v in parameters.items()},
        experiment_name=request.experiment_name, synchronous=True)
    return str(submitted.run_id)

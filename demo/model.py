"""A quick model of generated tickets, registered as `@production`, for benchmarks and tests.

It goes through the project's own training functions (contract, development/evaluation split,
cross-validated fit, pyfunc packaging), skipping only the MLflow Project run and the gate, so a
benchmark or a test fixture gets a real registered version in seconds. Use it against a
throw-away tracking store: it points `@production` of `TU_MODEL_NAME` at the new version.
`fit_demo_pipeline` and `register_fitted` are its two halves, for registering one fit several
times (as the rollout rehearsal does, once as a deliberately broken model: `demo.flaky`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient

from contracts.model_uri import PRODUCTION
from contracts.settings import ModelSettings
from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.contract import validate_tickets
from mlflow_project.runs import ensure_experiment
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model
from mlflow_project.training.job import development_and_evaluation
from mlflow_project.training.packaging import MODEL_CODE, log_pyfunc_model


@dataclass(frozen=True)
class FittedDemo:
    """A fitted pipeline, its threshold and the recall the threshold was chosen for."""

    pipeline: Any
    threshold: float
    target_recall: float


@dataclass(frozen=True)
class DemoModel:
    """The fitted pipeline and threshold, where the pyfunc model was logged, and its version."""

    pipeline: Any
    threshold: float
    model_uri: str
    version: str


def fit_demo_pipeline(*, rows: int = 5000, seed: int = 42, **config: Any) -> FittedDemo:
    """Fit on `rows` generated tickets (`config` overrides `TrainConfig` defaults)."""
    tickets = validate_tickets(generate_tickets(GeneratorConfig(rows=rows, seed=seed))).valid
    train_config = TrainConfig(data="synthetic", **config)
    fitted = fit_model(development_and_evaluation(tickets, train_config)[0], train_config)
    return FittedDemo(fitted.pipeline, fitted.threshold, train_config.target_recall)


def register_fitted(fitted: FittedDemo, experiment: str, *, alias: str | None = PRODUCTION,
                    model_code: Path = MODEL_CODE,
                    extra_config: dict[str, object] | None = None) -> DemoModel:
    """Log the fitted pipeline as a pyfunc model in `experiment` (with `model_code` as its
    inference entry), register it and point `alias` (if any) at the new version."""
    with mlflow.start_run(experiment_id=ensure_experiment(experiment, None)):
        info = log_pyfunc_model(fitted.pipeline, fitted.threshold, fitted.target_recall,
                                model_code=model_code, extra_config=extra_config)
    name = ModelSettings.load().model_name
    version = str(mlflow.register_model(info.model_uri, name).version)
    if alias is not None:
        MlflowClient().set_registered_model_alias(name, alias, version)
    return DemoModel(fitted.pipeline, fitted.threshold, info.model_uri, version)


def register_demo_model(experiment: str, *, rows: int = 5000, seed: int = 42,
                        **config: Any) -> DemoModel:
    """Fit on `rows` generated tickets (`config` overrides `TrainConfig` defaults), log the
    pyfunc model in `experiment`, register it and point `@production` at it."""
    return register_fitted(fit_demo_pipeline(rows=rows, seed=seed, **config), experiment)

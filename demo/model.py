"""A quick model of generated tickets, registered as `@production`, for benchmarks and tests.

It goes through the project's own training functions (contract, development/evaluation split,
cross-validated fit, pyfunc packaging), skipping only the MLflow Project run and the gate, so a
benchmark or a test fixture gets a real registered version in seconds. Use it against a
throw-away tracking store: it points `@production` of `TU_MODEL_NAME` at the new version.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from mlflow_project.training.packaging import log_pyfunc_model


@dataclass(frozen=True)
class DemoModel:
    """The fitted pipeline and threshold, where the pyfunc model was logged, and its version."""

    pipeline: Any
    threshold: float
    model_uri: str
    version: str


def register_demo_model(experiment: str, *, rows: int = 5000, seed: int = 42,
                        **config: Any) -> DemoModel:
    """Fit on `rows` generated tickets (`config` overrides `TrainConfig` defaults), log the
    pyfunc model in `experiment`, register it and point `@production` at it."""
    tickets = validate_tickets(generate_tickets(GeneratorConfig(rows=rows, seed=seed))).valid
    train_config = TrainConfig(data="synthetic", **config)
    fitted = fit_model(development_and_evaluation(tickets, train_config)[0], train_config)
    with mlflow.start_run(experiment_id=ensure_experiment(experiment, None)):
        info = log_pyfunc_model(fitted.pipeline, fitted.threshold, train_config.target_recall)
    name = ModelSettings.load().model_name
    version = str(mlflow.register_model(info.model_uri, name).version)
    MlflowClient().set_registered_model_alias(name, PRODUCTION, version)
    return DemoModel(fitted.pipeline, fitted.threshold, info.model_uri, version)

"""The model version a run watches: resolved once in the registry, loaded by its exact version.

An alias (`models:/NAME@production`) is resolved to a version first and that version is
loaded, like serving does, so an alias moving mid-run cannot mix two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from contracts.model_uri import version_uri
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.registry.store import resolve_version

QUALITY_METRICS: tuple[str, ...] = ("precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True)
class WatchedModel:
    """A registered version with its tags and the loaded scorer (pipeline and threshold)."""

    name: str
    version: str
    run_id: str | None
    tags: dict[str, str]
    scorer: TicketScorer

    run_metrics: dict[str, float] = field(default_factory=dict)

    def validation_metrics(self) -> dict[str, float]:
        """The version's held-out metrics, as its training run logged them (those present)."""
        return {m: float(self.run_metrics[m]) for m in QUALITY_METRICS if m in self.run_metrics}


def find_version(model_uri: str) -> ModelVersion:
    """The registry version `model_uri` names; InputUnusable when there is none."""
    try:
        version = resolve_version(MlflowClient(), model_uri)
    except MlflowException as exc:
        raise InputUnusable(f"{model_uri}: {exc.message}") from exc
    if version is None:
        raise InputUnusable(f"{model_uri}: no such registered model version (is the alias set?)")
    return version


def load_watched_model(version: ModelVersion) -> WatchedModel:
    """Load exactly this version through MLflow's pyfunc loader and unwrap its scorer."""
    uri = version_uri(version.name, version.version)
    try:
        scorer = mlflow.pyfunc.load_model(uri).unwrap_python_model().scorer
    except (MlflowException, OSError, AttributeError) as exc:
        raise InputUnusable(f"{uri}: cannot load the model: {exc}") from exc
    return WatchedModel(name=str(version.name), version=str(version.version),
                        run_id=version.run_id, tags=dict(version.tags or {}), scorer=scorer,
                        run_metrics=_run_metrics(version.run_id))


def _run_metrics(run_id: str | None) -> dict[str, float]:
    """The latest metrics of the run that trained a version (none without a run)."""
    if not run_id:
        return {}
    try:
        return dict(MlflowClient().get_run(run_id).data.metrics)
    except MlflowException as exc:
        raise InputUnusable(f"run {run_id} of the watched model: {exc.message}") from exc

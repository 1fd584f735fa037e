"""The `train` entry point: validate data, fit, evaluate, log, register, and gate.

Side effects (MLflow logging, registry writes) happen here; the pieces it calls are pure.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities import Run
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from mlflow_project.data.contract import LABEL_COLUMN
from mlflow_project.data.dataset import DataRefused, LoadedTickets, check_trainable, load_tickets
from mlflow_project.evaluation.metrics import sliced_metrics
from mlflow_project.evaluation.reports import (
    classification_report_text,
    data_profile,
    write_evaluation_plots,
)
from mlflow_project.model.features import build_pipeline, model_frame
from mlflow_project.registry import naming
from mlflow_project.registry.gate import GateDecision
from mlflow_project.registry.store import tag_version, version_with_fingerprint
from mlflow_project.registry.validation import HOLDOUT_ARTIFACT, judge_version
from mlflow_project.settings import ProjectSettings
from mlflow_project.training import lineage
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.experiment import ensure_experiment
from mlflow_project.training.packaging import log_pyfunc_model
from mlflow_project.training.threshold import choose_threshold

log = logging.getLogger(__name__)

# Parameters that do not change the trained model, so they stay out of its fingerprint.
NOT_FINGERPRINTED = ("data", "experiment_name", "max_reject_share")


class ConfigurationError(ValueError):
    """The run's parameters or setup cannot work (another experiment, an unfittable model)."""


@dataclass(frozen=True)
class Splits:
    """Disjoint training, validation (threshold choice) and test (evaluation, gate) frames."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training run produced: the registered version and the gate's verdict, or why not."""

    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    version: str | None = None
    decision: GateDecision | None = None
    duplicate_of: str | None = None


def train(config: TrainConfig, settings: ProjectSettings) -> TrainingOutcome:
    """Run one training job end to end; raise DataRefused when the data is not fit to train on.

    A run whose data, code and parameters match an already registered version stops before
    fitting and reports that version instead of registering a copy.
    """
    with _training_run(config, settings) as run:
        _log_config(config, run)
        loaded = load_tickets(config.data)
        _log_data(loaded)
        check_trainable(loaded.validation, config.max_reject_share)
        lineage_tags = _lineage_tags(config, loaded)
        mlflow.set_tags(lineage_tags)
        client = MlflowClient()
        existing = version_with_fingerprint(client, settings.model_name,
                                            lineage_tags[naming.TAG_FINGERPRINT])
        if existing is not None:
            mlflow.set_tag("duplicate_of_version", existing.version)
            return TrainingOutcome(run.info.run_id, duplicate_of=str(existing.version))
        splits = split_tickets(loaded.validation.valid, config)
        pipeline, threshold = fit_model(splits, config)
        metrics = _evaluate(pipeline, splits.test, threshold)
        _log_holdout(splits.test)
        model_info = log_pyfunc_model(pipeline, threshold, config.target_recall)
        version_tags = {**lineage_tags, naming.TAG_THRESHOLD: f"{threshold:.6f}",
                        **{naming.metric_tag(k): f"{v:.6f}" for k, v in metrics.items()}}
        version = str(mlflow.register_model(model_info.model_uri, settings.model_name).version)
        tag_version(client, settings.model_name, version, version_tags)
        decision = judge_version(client, settings.model_name, version, splits.test,
                                 settings.gate_policy, settings.actor)
        mlflow.set_tags({"model_version": version,
                         naming.TAG_VALIDATION_STATUS: decision.status,
                         naming.TAG_VALIDATION_REASON: decision.summary})
        return TrainingOutcome(run.info.run_id, metrics, threshold, version, decision)


def fit_model(splits: Splits, config: TrainConfig) -> tuple[Pipeline, float]:
    """Fit the pipeline on the training split and pick its threshold on the validation split."""
    pipeline = build_pipeline(config.hyperparameters())
    try:
        pipeline.fit(model_frame(splits.train), splits.train[LABEL_COLUMN].to_numpy())
    except ValueError as exc:  # e.g. min_df so high that no term is left
        raise ConfigurationError(f"cannot fit the model with these parameters: {exc}") from exc
    threshold = choose_threshold(splits.validation[LABEL_COLUMN].to_numpy(),
                                 _scores(pipeline, splits.validation), config.target_recall)
    return pipeline, threshold


def split_tickets(tickets: pd.DataFrame, config: TrainConfig) -> Splits:
    """Stratified train/validation/test split (by label, and by slice where there is one)."""
    strata = tickets[LABEL_COLUMN].astype(str)
    if "slice" in tickets.columns:
        strata = strata + "|" + tickets["slice"]
    try:
        rest, test = train_test_split(tickets, test_size=config.test_fraction,
                                      random_state=config.seed, stratify=strata)
        share = config.validation_fraction / (1 - config.test_fraction)
        train, validation = train_test_split(rest, test_size=share, random_state=config.seed,
                                             stratify=strata.loc[rest.index])
    except ValueError as exc:
        counts = tickets[LABEL_COLUMN].value_counts().to_dict()
        raise DataRefused(
            f"too few tickets per class for a stratified train/validation/test split "
            f"(class counts {counts}): {exc}"
        ) from exc
    return Splits(*(frame.reset_index(drop=True) for frame in (train, validation, test)))


@contextmanager
def _training_run(config: TrainConfig, settings: ProjectSettings) -> Iterator[Run]:
    """The run to log to: the one `mlflow run` started, or a new one in the named experiment."""
    if os.environ.get("MLFLOW_RUN_ID"):
        with mlflow.start_run() as run:
            actual = MlflowClient().get_experiment(run.info.experiment_id).name
            if actual != config.experiment_name:
                raise ConfigurationError(
                    f"this run belongs to experiment '{actual}' but experiment_name is "
                    f"'{config.experiment_name}'; pass --experiment-name "
                    f"{config.experiment_name} to mlflow run"
                )
            yield run
        return
    experiment_id = ensure_experiment(config.experiment_name, settings.artifact_root)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        yield run


def _log_config(config: TrainConfig, run: Run) -> None:
    """Log the validated config; `mlflow run` has already logged the parameters it was given."""
    already = MlflowClient().get_run(run.info.run_id).data.params
    mlflow.log_params({k: v for k, v in config.model_dump().items() if k not in already})
    mlflow.log_dict(config.model_dump(), "train_config.json")


def _lineage_tags(config: TrainConfig, loaded: LoadedTickets) -> dict[str, str]:
    """Where the model comes from: commit, data identity, code hash, and the run's fingerprint."""
    code_hash = lineage.code_sha256()
    params = {k: v for k, v in config.model_dump().items() if k not in NOT_FINGERPRINTED}
    return {
        naming.TAG_GIT_COMMIT: lineage.git_commit(),
        naming.TAG_DATA_URI: config.data,
        naming.TAG_DATA_SHA256: loaded.sha256,
        naming.TAG_CODE_SHA256: code_hash,
        naming.TAG_FINGERPRINT: lineage.fingerprint(loaded.sha256, code_hash, params),
    }


def _log_data(loaded: LoadedTickets) -> None:
    """Log the dataset with its hash, the rejects file and a data profile."""
    validation = loaded.validation
    dataset = from_pandas(validation.valid, source=loaded.uri, targets=LABEL_COLUMN,
                                      name="tickets")
    mlflow.log_input(dataset, context="training", tags={"sha256": loaded.sha256})
    mlflow.log_metrics({"data.rows": validation.total_rows,
                        "data.rejected_rows": validation.rejected_rows,
                        "data.rejected_share": validation.rejected_share})
    with tempfile.TemporaryDirectory() as tmp:
        rejects = Path(tmp) / "rejects.csv"
        validation.rejects.to_csv(rejects, index=False)
        profile = Path(tmp) / "profile.json"
        profile.write_text(json.dumps(data_profile(validation.valid), indent=2, default=str))
        mlflow.log_artifacts(tmp, artifact_path="data")
    if validation.rejected_rows:
        log.warning("%d row(s) rejected; first: %s", validation.rejected_rows,
                    validation.rejects.head(3).to_dict(orient="records"))


def _evaluate(pipeline: Pipeline, test: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Metrics on the test split (overall and per slice), logged with their plots and report."""
    labels = test[LABEL_COLUMN].to_numpy()
    scores = _scores(pipeline, test)
    metrics = sliced_metrics(labels, scores, threshold,
                             test["slice"] if "slice" in test.columns else None)
    metrics["threshold"] = threshold
    mlflow.log_metrics(metrics)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_evaluation_plots(labels, scores, threshold, folder)
        (folder / "classification_report.txt").write_text(
            classification_report_text(labels, scores, threshold))
        mlflow.log_artifacts(tmp, artifact_path="evaluation")
    return metrics


def _log_holdout(test: pd.DataFrame) -> None:
    """Keep the test split with the run, so the gate can be re-run later on the same rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(HOLDOUT_ARTIFACT).name
        test.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path=str(Path(HOLDOUT_ARTIFACT).parent))


def _scores(pipeline: Pipeline, tickets: pd.DataFrame) -> np.ndarray:
    return np.asarray(pipeline.predict_proba(model_frame(tickets))[:, 1])

"""The `train` entry point: validate data, fit, evaluate, log, register, and gate.

Side effects (MLflow logging, registry writes) happen here; the pieces it calls are pure.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities import Run

from mlflow_project.data.contract import LABEL_COLUMN
from mlflow_project.data.csv_safety import neutralise_formulas
from mlflow_project.data.dataset import DataRefused, LoadedTickets, check_trainable, load_tickets
from mlflow_project.evaluation import partition
from mlflow_project.evaluation.metrics import sliced_metrics
from mlflow_project.evaluation.partition import split_by_content
from mlflow_project.evaluation.reports import (
    classification_report_text,
    data_profile,
    write_evaluation_plots,
)
from mlflow_project.registry import description, naming, version_record
from mlflow_project.registry.gate import GateDecision
from mlflow_project.registry.moves import nominate_challenger
from mlflow_project.registry.store import tag_version, version_with_fingerprint
from mlflow_project.registry.validation import (
    HOLDOUT_ARTIFACT,
    TRAINED_KEYS_ARTIFACT,
    judge_version,
)
from mlflow_project.run_names import mark_nothing_registered, name_run, training_run_name
from mlflow_project.runs import project_run
from mlflow_project.settings import ProjectSettings
from mlflow_project.training import lineage
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import (
    FittedModel,
    describe,
    fit_model,
    scores_of,
)
from mlflow_project.training.packaging import log_pyfunc_model

log = logging.getLogger(__name__)

# Parameters that do not change the trained model, so they stay out of its fingerprint.
NOT_FINGERPRINTED = ("data", "experiment_name", "max_reject_share")
TRAINED_KEYS_FOLDER = str(Path(TRAINED_KEYS_ARTIFACT).parent)


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

    The valid rows are split by content (`evaluation.partition`): the evaluation rows are never
    trained on; the model is cross-validated, thresholded and refitted on the others. A run whose
    data, code and parameters match an already registered version stops before fitting and
    reports that version instead of registering a copy; such a run, and one whose data is
    refused, is named and tagged as having registered nothing (`run_names`). The version is
    registered tagged `training_status=registering` and tagged `complete` only after its verdict
    (and nomination): a run killed in between leaves a version no alias points at, which the
    next run with the same inputs does not count (it registers a fresh one).
    """
    with project_run(config.experiment_name, settings.artifact_root) as run:
        run_id = run.info.run_id
        _log_config(config, run)
        loaded = load_tickets(config.data)
        run_name = training_run_name(loaded.sha256)
        name_run(run_id, run_name)
        _log_data(loaded)
        lineage_tags = _lineage_tags(config, loaded)
        mlflow.set_tags(lineage_tags)
        client = MlflowClient()
        try:
            check_trainable(loaded.validation, config.max_reject_share)
            development, evaluation = development_and_evaluation(loaded.validation.valid, config)
        except DataRefused as exc:
            mark_nothing_registered(run_id, run_name, f"data refused: {exc}")
            raise
        existing = version_with_fingerprint(client, settings.model_name,
                                            lineage_tags[naming.TAG_FINGERPRINT])
        if existing is not None:
            mlflow.set_tag("duplicate_of_version", existing.version)
            mark_nothing_registered(run_id, run_name, "same data, code and parameters as "
                                                      f"version {existing.version}")
            return TrainingOutcome(run_id, duplicate_of=str(existing.version))
        fitted = fit_model(development, config,
                           evaluation_positives=int(evaluation[LABEL_COLUMN].sum()))
        mlflow.set_tag("model_structure", describe(fitted.pipeline))
        metrics = _evaluate(fitted, evaluation)
        _log_partition(development, evaluation)
        model_info = log_pyfunc_model(fitted.pipeline, fitted.threshold, config.target_recall)
        version = str(mlflow.register_model(
            model_info.model_uri, settings.model_name,
            tags={naming.TAG_TRAINING_STATUS: naming.TRAINING_REGISTERING}).version)
        _record_version(client, settings.model_name, version, run_id, lineage_tags,
                        fitted.threshold, metrics,
                        description.data_text(config.data, loaded.sha256,
                                              len(loaded.validation.valid),
                                              lineage_tags[naming.TAG_GIT_COMMIT], run_name))
        decision = judge_version(client, settings.model_name, version, settings.gate_policy)
        if decision.passed:
            _nominate(client, settings, version)
        tag_version(client, settings.model_name, version,
                    {naming.TAG_TRAINING_STATUS: naming.TRAINING_COMPLETE})
        mlflow.set_tags({"model_version": version,
                         naming.TAG_VALIDATION_STATUS: decision.status,
                         naming.TAG_VALIDATION_REASON: decision.summary})
        return TrainingOutcome(run.info.run_id, metrics, fitted.threshold, version, decision)


def _record_version(client: MlflowClient, name: str, version: str, run_id: str,
                    lineage_tags: dict[str, str], threshold: float, metrics: dict[str, float],
                    data_text: str) -> None:
    """Tag the version with what a person filters on (`naming.VERSION_LINEAGE_TAGS`, threshold,
    headline metrics), put the rest into the run's `lineage.json`, and describe it."""
    tag_version(client, name, version, {
        **{k: v for k, v in lineage_tags.items() if k in naming.VERSION_LINEAGE_TAGS},
        naming.TAG_THRESHOLD: f"{threshold:.6f}",
        **{naming.metric_tag(m): f"{metrics[m]:.6f}" for m in naming.VERSION_METRICS
           if m in metrics}})
    version_record.write_sections(client, run_id, {
        "lineage": {"model": name, "version": version, **lineage_tags},
        "training": {"threshold": threshold, "metrics": metrics}})
    description.set_section(client, name, version, description.DATA, data_text)
    description.set_section(client, name, version, description.METRICS,
                            description.metrics_text(metrics, threshold))


def development_and_evaluation(tickets: pd.DataFrame,
                               config: TrainConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The content split of the valid rows; DataRefused unless both parts hold both classes."""
    development, evaluation = split_by_content(tickets, config.eval_fraction)
    for part, frame in (("development", development), ("evaluation", evaluation)):
        counts = frame[LABEL_COLUMN].value_counts().to_dict()
        if len(counts) < 2:
            raise DataRefused(
                f"the {part} rows ({len(frame)} of {len(tickets)}, split by ticket content "
                f"with eval_fraction {config.eval_fraction}) do not hold both classes "
                f"(class counts {counts}): more tickets, or more urgent ones, are needed")
    return development, evaluation


def _nominate(client: MlflowClient, settings: ProjectSettings, version: str) -> None:
    """Point @challenger at a version that passed the gate (under the registry lock, audited)."""
    baseline = client.get_model_version(settings.model_name, version).tags.get(
        naming.TAG_GATE_BASELINE_VERSION, "")
    reason = (f"passed the gate against production v{baseline}" if baseline
              else "passed the absolute bars (no production version yet)")
    nominate_challenger(client, settings.model_name, version, actor=settings.actor,
                        reason=reason, lease=settings.nominate_lease_seconds)


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
        naming.TAG_EVALUATION_RULE: f"{partition.RULE}; eval_fraction={config.eval_fraction}",
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
        neutralise_formulas(validation.rejects).to_csv(rejects, index=False)
        profile = Path(tmp) / "profile.json"
        profile.write_text(json.dumps(data_profile(validation.valid), indent=2, default=str))
        mlflow.log_artifacts(tmp, artifact_path="data")
    if validation.rejected_rows:
        log.warning("%d row(s) rejected; first: %s", validation.rejected_rows,
                    validation.rejects.head(3).to_dict(orient="records"))


def _evaluate(fitted: FittedModel, evaluation: pd.DataFrame) -> dict[str, float]:
    """Metrics on the evaluation rows (overall and per slice), the cross-validation figures and
    the recall the threshold was expected to hold, logged with their plots and report."""
    labels = evaluation[LABEL_COLUMN].to_numpy()
    scores = scores_of(fitted.pipeline, evaluation)
    threshold = fitted.threshold
    metrics = sliced_metrics(labels, scores, threshold,
                             evaluation["slice"] if "slice" in evaluation.columns else None)
    expected = fitted.recall
    metrics |= {"threshold": threshold, "expected_recall": expected.expected,
                "expected_recall.low": expected.low, "expected_recall.high": expected.high,
                "recall_within_expected": float(expected.low <= metrics["recall"]
                                                <= expected.high),
                **fitted.cv_metrics}
    mlflow.log_metrics(metrics)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_evaluation_plots(labels, scores, threshold, folder)
        (folder / "classification_report.txt").write_text(
            classification_report_text(labels, scores, threshold))
        mlflow.log_artifacts(tmp, artifact_path="evaluation")
    return metrics


def _log_partition(development: pd.DataFrame, evaluation: pd.DataFrame) -> None:
    """Keep the evaluation rows (the gate re-runs on them) and the content keys of the rows the
    model trained on (so a later gate never judges on them) with the run."""
    with tempfile.TemporaryDirectory() as tmp:
        holdout = Path(tmp) / Path(HOLDOUT_ARTIFACT).name
        evaluation.to_parquet(holdout, index=False)
        mlflow.log_artifact(str(holdout), artifact_path=str(Path(HOLDOUT_ARTIFACT).parent))
        keys = Path(tmp) / Path(TRAINED_KEYS_ARTIFACT).name
        development[["key"]].to_parquet(keys, index=False)
        mlflow.log_artifact(str(keys), artifact_path=TRAINED_KEYS_FOLDER)

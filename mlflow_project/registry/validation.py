"""Run the gate for a registered version: score it and production on rows neither trained on.

Used right after training, and again by promotion when production has changed since. Both models
are loaded from the registry, so a version that cannot be loaded never becomes the challenger.
The comparison rows are the candidate's evaluation rows (see `evaluation.partition`) minus every
row production trained on (its `data/trained_keys.parquet`; a production version older than
that record is compared only on the rows it also held out). The verdict is tagged on the version
and described on the version; its figures go to the run's `lineage.json` and the full report
(overall and per slice) is logged with the candidate's run.
"""

from __future__ import annotations

import tempfile
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from contracts.model_uri import version_uri
from mlflow_project.data.contract import FEATURE_COLUMNS, LABEL_COLUMN
from mlflow_project.evaluation.bootstrap import Interval, ScoredModel, paired_difference
from mlflow_project.evaluation.metrics import GATE_METRICS, classification_metrics
from mlflow_project.evaluation.partition import ticket_keys
from mlflow_project.registry import description, naming, version_record
from mlflow_project.registry.gate import GateDecision, GatePolicy, decide
from mlflow_project.registry.store import tag_version, version_by_alias

HOLDOUT_ARTIFACT = "evaluation/holdout.parquet"
TRAINED_KEYS_ARTIFACT = "data/trained_keys.parquet"
SLICE_COLUMN = "slice"


class GateInputMissing(RuntimeError):
    """A run lacks an artifact the gate needs (its evaluation rows)."""


def load_holdout(run_id: str) -> pd.DataFrame:
    """The labelled evaluation rows a training run kept with itself, with their content keys."""
    holdout = _download_parquet(run_id, HOLDOUT_ARTIFACT)
    if holdout is None:
        raise GateInputMissing(f"run {run_id} has no {HOLDOUT_ARTIFACT}")
    return holdout if "key" in holdout.columns else holdout.assign(key=ticket_keys(holdout))


def load_trained_keys(run_id: str) -> set[str] | None:
    """The content keys of the rows a run trained on; None for a run older than that record."""
    keys = _download_parquet(run_id, TRAINED_KEYS_ARTIFACT)
    return None if keys is None else set(keys["key"])


def unseen_by(holdout: pd.DataFrame, baseline: ModelVersion) -> tuple[np.ndarray, str]:
    """Which rows of `holdout` `baseline`'s run did not train on (a mask), and how that was
    decided."""
    trained = load_trained_keys(str(baseline.run_id))
    if trained is not None:
        return ((~holdout["key"].isin(trained)).to_numpy(),
                f"minus the rows v{baseline.version} trained on")
    held_out = set(load_holdout(str(baseline.run_id))["key"])
    return (holdout["key"].isin(held_out).to_numpy(),
            f"that v{baseline.version} also held out (it predates the trained-keys record)")


def scored(client: MlflowClient, name: str, version: str, rows: pd.DataFrame) -> ScoredModel:
    """A registered version's urgency scores on `rows` and its decision threshold."""
    model = mlflow.pyfunc.load_model(version_uri(name, version))
    scores = model.predict(rows[list(FEATURE_COLUMNS)])["urgency_probability"].to_numpy()
    threshold = float(client.get_model_version(name, version).tags.get(naming.TAG_THRESHOLD,
                                                                       "0.5"))
    return ScoredModel(np.asarray(scores, dtype=float), threshold)


def judge_version(client: MlflowClient, name: str, version: str,
                  policy: GatePolicy) -> GateDecision:
    """Gate `version` against the current production version; record the verdict on the version.

    Moves no alias: the caller nominates a passing version (under the registry lock).
    """
    candidate = client.get_model_version(name, version)
    holdout = load_holdout(str(candidate.run_id))
    own = scored(client, name, version, holdout)
    metrics = classification_metrics(holdout[LABEL_COLUMN].to_numpy(), own.scores,
                                     own.threshold)
    production = version_by_alias(client, name, naming.PRODUCTION)
    if production is None or str(production.version) == str(version):
        decision = decide(metrics, None, policy)
        report: dict[str, Any] = {"baseline_version": None, "rows": len(holdout)}
    else:
        decision, report = _judge_against(client, name, version, holdout, own, metrics,
                                          production, policy)
    _record(client, candidate, decision, metrics, report)
    return decision


def _judge_against(client: MlflowClient, name: str, version: str, holdout: pd.DataFrame,
                   own: ScoredModel, metrics: dict[str, float], production: ModelVersion,
                   policy: GatePolicy) -> tuple[GateDecision, dict[str, Any]]:
    """The verdict against production, on the candidate's rows production never trained on
    (`own`: the candidate's scores on all of `holdout`)."""
    unseen, how = unseen_by(holdout, production)
    rows = holdout[unseen].reset_index(drop=True)
    baseline = str(production.version)
    report: dict[str, Any] = {"baseline_version": baseline, "rows": len(rows),
                              "rows_rule": f"v{version}'s evaluation rows {how}"}
    labels = rows[LABEL_COLUMN].to_numpy()
    if len(np.unique(labels)) < 2:
        reason = (f"cannot compare with production v{baseline}: {len(rows)} of v{version}'s "
                  f"{len(holdout)} evaluation rows are unseen by it ({how}), and they do not "
                  "hold both classes")
        return GateDecision(passed=False, reasons=(reason,)), report
    candidate_scores = ScoredModel(own.scores[unseen], own.threshold)
    baseline_scores = scored(client, name, baseline, rows)
    differences = paired_difference(labels, candidate_scores, baseline_scores,
                                    replicates=policy.replicates, confidence=policy.confidence)
    decision = decide(metrics, differences, policy)
    report["overall"] = _comparison(labels, candidate_scores, baseline_scores, differences)
    report["slices"] = _slice_comparisons(rows, candidate_scores, baseline_scores, policy)
    return decision, report


def _comparison(labels: np.ndarray, candidate: ScoredModel, baseline: ScoredModel,
                differences: dict[str, Interval]) -> dict[str, Any]:
    """Both versions' metrics on the same rows and the difference intervals."""
    mine = classification_metrics(labels, candidate.scores, candidate.threshold)
    theirs = classification_metrics(labels, baseline.scores, baseline.threshold)
    return {metric: {"candidate": mine.get(metric), "production": theirs.get(metric),
                     "difference": interval.as_dict()}
            for metric, interval in differences.items()}


def _slice_comparisons(rows: pd.DataFrame, candidate: ScoredModel, baseline: ScoredModel,
                       policy: GatePolicy) -> dict[str, Any]:
    """The same comparison per slice (incident/request, where the data has slices): reported,
    not gated; a slice with one class only says so."""
    if SLICE_COLUMN not in rows.columns:
        return {}
    found: dict[str, Any] = {}
    for value in sorted(rows[SLICE_COLUMN].dropna().unique()):
        mask = (rows[SLICE_COLUMN] == value).to_numpy()
        labels = rows[LABEL_COLUMN].to_numpy()[mask]
        if len(np.unique(labels)) < 2:
            found[str(value)] = {"rows": int(mask.sum()), "note": "one class only"}
            continue
        mine = ScoredModel(candidate.scores[mask], candidate.threshold)
        theirs = ScoredModel(baseline.scores[mask], baseline.threshold)
        differences = paired_difference(labels, mine, theirs, replicates=policy.replicates,
                                        confidence=policy.confidence)
        found[str(value)] = {"rows": int(mask.sum()),
                             **_comparison(labels, mine, theirs, differences)}
    return found


def _record(client: MlflowClient, candidate: ModelVersion, decision: GateDecision,
            metrics: dict[str, float], report: dict[str, Any]) -> None:
    """Tag the verdict on the version, describe it, put the compared figures into the run's
    `lineage.json` (`gate` section) and log the full report with the run."""
    baseline = report.get("baseline_version") or ""
    name, version, run_id = candidate.name, str(candidate.version), str(candidate.run_id)
    tag_version(client, name, version, {
        naming.TAG_VALIDATION_STATUS: decision.status,
        naming.TAG_VALIDATION_REASON: decision.summary,
        naming.TAG_GATE_BASELINE_VERSION: baseline,
    })
    full = {**report, "status": decision.status, "reasons": list(decision.reasons),
            "metrics": {m: metrics[m] for m in GATE_METRICS if m in metrics}}
    version_record.write_sections(client, run_id, {"gate": {k: v for k, v in full.items()
                                                            if k != "slices"}})
    description.set_section(client, name, version, description.GATE,
                            description.gate_text(decision.status, decision.summary, baseline))
    client.log_dict(run_id, full, f"evaluation/gate_vs_v{baseline or 'none'}.json")


def _download_parquet(run_id: str, artifact: str) -> pd.DataFrame | None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact,
                                                       dst_path=tmp)
        except (MlflowException, OSError):  # absent (older runs) or unreadable
            return None
        return pd.read_parquet(path)

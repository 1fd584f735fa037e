"""One monitoring run: read the window, resolve model and reference, run every check, then write
the report and summary and log them to MLflow.

Inputs are all read and checked before any MLflow run is touched, so unusable input (exit 3)
leaves no half-filled run behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from mlflow_project.data.io import DataSourceError, write_bytes
from mlflow_project.monitoring import tracking
from mlflow_project.monitoring.baseline import build_baseline
from mlflow_project.monitoring.checks import CheckResult, WindowSample, run_drift_checks
from mlflow_project.monitoring.config import MonitorConfig, output_file
from mlflow_project.monitoring.engines import get_engine
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.monitoring.feedback import load_feedback
from mlflow_project.monitoring.logs import LogWindow, read_log_window
from mlflow_project.monitoring.quality import assess_quality
from mlflow_project.monitoring.reference import explicit_reference, lineage_reference
from mlflow_project.monitoring.report import render_report
from mlflow_project.monitoring.result import ModelIdentity, MonitorResult
from mlflow_project.monitoring.settings import MonitorSettings
from mlflow_project.monitoring.summary import build_summary, mlflow_metrics
from mlflow_project.monitoring.volume import summarise_volume
from mlflow_project.monitoring.watched_model import find_version, load_watched_model
from mlflow_project.monitoring.watched_sample import watched_sample
from mlflow_project.run_names import monitor_run_name, name_run
from mlflow_project.runs import check_launched_run, project_run
from mlflow_project.settings import ProjectSettings

HOURLY_QUALITY_UP_TO = timedelta(hours=48)


@dataclass(frozen=True)
class MonitorOutcome:
    """What a run produced: the result, its summary, and where the files are."""

    result: MonitorResult
    summary: dict[str, Any]
    summary_path: str
    report_path: str


class _Timer:
    """Seconds spent per stage, reported in the summary (what to profile when a run is slow)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def run_monitoring(config: MonitorConfig, settings: MonitorSettings) -> MonitorOutcome:
    """Run every check on the window and record the outcome locally and in MLflow.

    Raises InputUnusable (logs, model, reference or feedback unusable) and WrongExperiment (an
    `mlflow run` started in another experiment).
    """
    check_launched_run(config.experiment_name)
    timer = _Timer()
    with timer.stage("read_logs"):
        window = read_log_window(config.logs, config.since, config.until,
                                 max_input_rows=settings.window_max_input_rows,
                                 seed=settings.seed)
    if window.records.empty:
        raise InputUnusable(_empty_window(config, window))
    with timer.stage("load_inputs"):
        version = find_version(config.model_uri)
        feedback = load_feedback(config.feedback) if config.feedback else None
        reference = (explicit_reference(config.reference, settings.reference_max_rows,
                                        settings.seed) if config.reference
                     else lineage_reference(version, settings.reference_max_rows,
                                            settings.seed))
        model = load_watched_model(version)
    watched = _records_of(window.records, model.name, model.version)
    sample = watched_sample(window.records, model.name, model.version, settings.min_records)
    checks: list[CheckResult] = []
    quality = None
    if sample.sufficient:  # below the floor: no verdict at all, only the counts and traffic
        with timer.stage("baseline"):
            baseline = build_baseline(reference.tickets, reference.model_tickets, model.scorer,
                                      settings.text_components, settings.seed)
        with timer.stage("checks"):
            checks = run_drift_checks(
                baseline, WindowSample(
                    tickets=window.inputs,
                    scores=watched["urgency_probability"].to_numpy(dtype=float),
                    urgent=watched["urgent"].to_numpy(dtype="int64")),
                get_engine(config.engine), config.alpha, config.correction)
            quality = None if feedback is None else assess_quality(
                watched, feedback, model.scorer.threshold, model.validation_metrics(),
                config.quality_tolerance, config.min_labels,
                "h" if config.until - config.since <= HOURLY_QUALITY_UP_TO else "D")
    volume = summarise_volume(window.records, config.since, config.until)
    result = MonitorResult(config=config, window=window, watched=sample,
                           model=ModelIdentity(model.name, model.version,
                                               model.scorer.threshold),
                           reference=reference, checks=checks, quality=quality, volume=volume,
                           timings=timer.seconds)
    return _record(result)


def _record(result: MonitorResult) -> MonitorOutcome:
    """Write report.html and summary.json to `--out` (a folder or gs:// prefix) and log them,
    with params, metrics and tags, to MLflow."""
    config = result.config
    report_path = output_file(config.out, "report.html")
    summary_path = output_file(config.out, "summary.json")
    with project_run(config.experiment_name, ProjectSettings.load().artifact_root) as run:
        name_run(run.info.run_id, monitor_run_name())
        summary = build_summary(result, report_path,
                                {"run_id": run.info.run_id,
                                 "experiment_id": run.info.experiment_id})
        files = {"report.html": render_report(result, summary),
                 "summary.json": json.dumps(summary, indent=2, default=str)}
        try:
            write_bytes(files["report.html"].encode("utf-8"), report_path)
            write_bytes(files["summary.json"].encode("utf-8"), summary_path)
        except (OSError, DataSourceError) as exc:
            raise InputUnusable(f"cannot write to --out {config.out}: {exc}") from exc
        tracking.log_to_run(run, _params(result), mlflow_metrics(result), {
            "monitor.status": result.status, "monitor.model_name": result.model.name,
            "monitor.model_version": result.model.version,
            "monitor.status_line": result.status_line,
        }, files)
    return MonitorOutcome(result, summary, summary_path, report_path)


def _params(result: MonitorResult) -> dict[str, object]:
    config = result.config
    return {
        "logs": config.logs, "model_uri": config.model_uri, "engine": str(config.engine),
        "alpha": config.alpha, "correction": str(config.correction),
        "quality_tolerance": config.quality_tolerance, "min_labels": config.min_labels,
        "feedback": config.feedback or "", "window_since": config.since.isoformat(),
        "window_until": config.until.isoformat(), "model_version": result.model.version,
        "reference_uri": result.reference.uri, "reference_sha256": result.reference.sha256,
    }


def _records_of(records: pd.DataFrame, name: str, version: str) -> pd.DataFrame:
    """The records the watched version produced (others are A/B partners or older versions)."""
    mine = (records["model_name"] == name) & (records["model_version"] == version)
    return records.loc[mine].reset_index(drop=True)


def _empty_window(config: MonitorConfig, window: LogWindow) -> str:
    return (f"no usable prediction record between {config.since.isoformat()} and "
            f"{config.until.isoformat()} in {config.logs} ({window.files} files, "
            f"{window.lines} lines: {window.outside_window} outside the window, "
            f"{window.malformed} malformed, {window.other_entries} other log entries)")

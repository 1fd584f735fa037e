"""Fixtures for the monitoring tests: a model fitted in-process, its baseline, and windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from contracts.feedback import parse_feedback
from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
from demo.traffic import log_records, write_jsonl
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.baseline import Baseline, build_baseline
from mlflow_project.monitoring.checks import WindowSample, run_drift_checks
from mlflow_project.monitoring.config import MonitorConfig
from mlflow_project.monitoring.engines import EngineName, get_engine
from mlflow_project.monitoring.logs import read_log_window
from mlflow_project.monitoring.quality import assess_quality
from mlflow_project.monitoring.reference import Reference
from mlflow_project.monitoring.result import ModelIdentity, MonitorResult
from mlflow_project.monitoring.volume import summarise_volume
from mlflow_project.monitoring.watched_sample import DEFAULT_MIN_RECORDS, watched_sample
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model
from mlflow_project.training.job import development_and_evaluation


@pytest.fixture(scope="session")
def reference_tickets() -> pd.DataFrame:
    """3,000 synthetic tickets: the training data and the reference of the input checks."""
    return generate_tickets(GeneratorConfig(rows=3000, seed=42))


@pytest.fixture(scope="session")
def fitted(reference_tickets: pd.DataFrame) -> tuple[TicketScorer, pd.DataFrame]:
    """A scorer trained as the `train` job trains, and its evaluation rows."""
    config = TrainConfig(data="in-memory")
    development, evaluation = development_and_evaluation(reference_tickets, config)
    fitted = fit_model(development, config)
    return TicketScorer(fitted.pipeline, fitted.threshold), evaluation


@pytest.fixture(scope="session")
def scorer(fitted: tuple[TicketScorer, pd.DataFrame]) -> TicketScorer:
    return fitted[0]


@pytest.fixture(scope="session")
def baseline(reference_tickets: pd.DataFrame,
             fitted: tuple[TicketScorer, pd.DataFrame]) -> Baseline:
    scorer, holdout = fitted
    return build_baseline(reference_tickets, holdout, scorer, components=20, seed=0)


@pytest.fixture(scope="session")
def monitor_result(tmp_path_factory: pytest.TempPathFactory, reference_tickets: pd.DataFrame,
                   fitted: tuple[TicketScorer, pd.DataFrame], baseline: Baseline
                   ) -> MonitorResult:
    """A complete run's result without MLflow: drifted traffic in a day of logs (one line
    malformed), delayed labels for part of it, every check run."""
    scorer, holdout = fitted
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    tickets = generate_tickets(GeneratorConfig(rows=600, seed=11, drift=DriftConfig(
        source_shift=0.7)))
    records = log_records(tickets, scorer, model_name="ticket_urgency", model_version="1",
                          start=since, end=until, seed=1)
    folder = tmp_path_factory.mktemp("logs")
    write_jsonl(records, folder / "a.jsonl")
    with (folder / "a.jsonl").open("a") as handle:
        handle.write('{"record_version": 1, "timestamp": "yesterday"}\n')
    window = read_log_window(str(folder), since, until)
    config = MonitorConfig(logs=str(folder), since=since, until=until,
                           out=str(tmp_path_factory.mktemp("out")))
    reference = Reference(tickets=reference_tickets, model_tickets=holdout, uri="ref.csv",
                          sha256="ab" * 32, origin="--reference", model_origin="--reference",
                          valid_rows=len(reference_tickets), rejected_rows=0)
    scores = window.records["urgency_probability"].to_numpy()
    checks = run_drift_checks(baseline, WindowSample(window.inputs, scores,
                                                     window.records["urgent"].to_numpy()),
                              get_engine(EngineName.SCIPY), config.alpha, config.correction)
    feedback = parse_feedback(tickets.iloc[:300][["ticket_id", "urgent"]])
    quality = assess_quality(window.records, feedback, scorer.threshold,
                             {"precision": 0.9, "recall": 0.8, "f1": 0.85, "roc_auc": 0.95},
                             0.1, 50, "h")
    return MonitorResult(config=config, window=window,
                         watched=watched_sample(window.records, "ticket_urgency", "1",
                                                DEFAULT_MIN_RECORDS),
                         model=ModelIdentity("ticket_urgency", "1", scorer.threshold),
                         reference=reference, checks=checks, quality=quality,
                         volume=summarise_volume(window.records, since, until))

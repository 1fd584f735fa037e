"""The checks on real helpdesk text (Endava; lower-cased, stop words removed by the publisher).

Random parts of one file are one distribution: no drift. The file's first and last halves are
not (it lists requests first, incidents last), nor are synthetic tickets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.dataset import load_tickets
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.baseline import build_baseline
from mlflow_project.monitoring.checks import CheckResult, WindowSample, run_drift_checks
from mlflow_project.monitoring.engines import Correction, EngineName, get_engine
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model
from mlflow_project.training.job import development_and_evaluation

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def endava(endava_csv: Path) -> pd.DataFrame:
    return load_tickets(str(endava_csv)).validation.valid


@pytest.fixture(scope="module")
def parts(endava: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Random thirds: one to fit the model, two to compare (neither seen by the model)."""
    order = np.random.default_rng(0).permutation(len(endava))
    train, first, second = (endava.take(p).reset_index(drop=True)
                            for p in np.array_split(order, 3))
    return train, first, second


@pytest.fixture(scope="module")
def endava_scorer(parts: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> TicketScorer:
    config = TrainConfig(data="in-memory")
    fitted = fit_model(development_and_evaluation(parts[0], config)[0], config)
    pipeline, threshold = fitted.pipeline, fitted.threshold
    return TicketScorer(pipeline, threshold)


def _checks(scorer: TicketScorer, reference: pd.DataFrame,
            window: pd.DataFrame) -> dict[str, CheckResult]:
    baseline = build_baseline(reference, reference, scorer, components=30, seed=0)
    scores = scorer.probabilities_frame(window)
    results = run_drift_checks(baseline, WindowSample(window, scores, scorer.labels(scores)),
                               get_engine(EngineName.ALIBI), 0.05, Correction.BONFERRONI)
    return {r.name: r for r in results}


def test_two_random_parts_of_the_endava_file_do_not_drift(
        parts: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
        endava_scorer: TicketScorer) -> None:
    results = _checks(endava_scorer, parts[1], parts[2])
    assert {name for name, r in results.items() if r.drift} == set()
    # the input columns Endava lacks are "unknown" on both sides: a test with nothing to test
    assert results["source"].p_value == 1.0
    assert results["text"].details["components"] == 30


def test_the_files_first_and_last_halves_differ(endava: pd.DataFrame,
                                                endava_scorer: TicketScorer) -> None:
    middle = len(endava) // 2
    results = _checks(endava_scorer, endava.iloc[:middle].reset_index(drop=True),
                      endava.iloc[middle:].reset_index(drop=True))
    assert results["text"].drift
    assert results["score"].drift


def test_synthetic_tickets_against_endava_drift_on_inputs(
        parts: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
        endava_scorer: TicketScorer) -> None:
    synthetic = generate_tickets(GeneratorConfig(rows=800, seed=3))
    results = _checks(endava_scorer, parts[1], synthetic)
    assert {"source", "customer_tier", "text", "text_length", "oov_share"} <= {
        name for name, r in results.items() if r.drift}
    assert results["oov_share"].details["current_mean"] > results["oov_share"].details[
        "reference_mean"]

"""Each drift check on windows whose right answer is known (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from demo.tickets import DRIFT_SYSTEMS, DriftConfig
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.baseline import Baseline
from mlflow_project.monitoring.checks import (
    DRIFT_CHECKS,
    CheckResult,
    WindowSample,
    check_alpha,
    run_drift_checks,
)
from mlflow_project.monitoring.engines import Correction, EngineName, get_engine
from tests.mlflow_project.monitoring.helpers import window_of

ALPHA = 0.05


def _run(baseline: Baseline, window: WindowSample, engine: EngineName = EngineName.SCIPY,
         correction: Correction = Correction.BONFERRONI) -> dict[str, CheckResult]:
    results = run_drift_checks(baseline, window, get_engine(engine), ALPHA, correction)
    assert [r.name for r in results] == list(DRIFT_CHECKS)
    return {r.name: r for r in results}


def _drifted(results: dict[str, CheckResult]) -> set[str]:
    return {name for name, result in results.items() if result.drift}


def test_each_check_runs_at_alpha_split_across_the_checks(baseline: Baseline,
                                                          scorer: TicketScorer) -> None:
    results = _run(baseline, window_of(scorer, 600, seed=101))
    assert [r.alpha for r in results.values()] == pytest.approx([ALPHA / 7] * 7)
    assert check_alpha(ALPHA) == pytest.approx(ALPHA / len(DRIFT_CHECKS))


@pytest.mark.parametrize("engine", list(EngineName))
def test_a_window_from_the_reference_distribution_has_no_drift(
        baseline: Baseline, scorer: TicketScorer, engine: EngineName) -> None:
    results = _run(baseline, window_of(scorer, 1500, seed=101), engine)
    assert _drifted(results) == set()
    assert all(r.p_value is not None and 0.0 <= r.p_value <= 1.0 for r in results.values())


def test_a_source_shift_is_found_by_the_source_check_only(baseline: Baseline,
                                                          scorer: TicketScorer) -> None:
    results = _run(baseline, window_of(scorer, 1500, seed=102, drift=DriftConfig(
        source_shift=0.8)))
    assert _drifted(results) == {"source"}
    shares = results["source"].details["current_shares"]
    assert shares["chat"] > results["source"].details["reference_shares"]["chat"] + 0.2
    assert results["source"].details["total_variation"] > 0.2


def test_new_vocabulary_raises_the_out_of_vocabulary_share(baseline: Baseline,
                                                          scorer: TicketScorer) -> None:
    results = _run(baseline, window_of(scorer, 1500, seed=103, drift=DriftConfig(
        new_vocabulary=0.3)))
    oov = results["oov_share"]
    assert oov.drift
    assert oov.details["current_mean"] > oov.details["reference_mean"] + 0.01
    assert not results["source"].drift


def test_the_oov_share_counts_words_missing_from_the_models_vocabulary(
        baseline: Baseline) -> None:
    coverage = baseline.coverage
    known, unknown = coverage.oov_shares(["VPN down for the whole team",
                                          f"{DRIFT_SYSTEMS[0]} zzqx"])
    assert known == 0.0
    assert unknown == 1.0  # "zentrix", "dashboard" and "zzqx": none is a model term


def test_text_components_find_a_vocabulary_shift_and_count_components(
        baseline: Baseline, scorer: TicketScorer) -> None:
    results = _run(baseline, window_of(scorer, 2000, seed=104, drift=DriftConfig(
        new_vocabulary=0.6)), correction=Correction.FDR)
    text = results["text"]
    assert text.drift
    assert 1 <= text.details["components_drifted"] <= text.details["components"] == 20
    assert text.details["correction"] == "fdr"
    assert len(text.details["component_p_values"]) == 20


def test_an_urgent_rate_shift_moves_scores_and_the_urgent_rate(baseline: Baseline,
                                                               scorer: TicketScorer) -> None:
    results = _run(baseline, window_of(scorer, 2000, seed=105, drift=DriftConfig(
        urgent_rate_shift=0.25)))
    assert results["score"].drift
    rate = results["urgent_rate"]
    assert rate.drift
    assert rate.details["current_rate"] > rate.details["reference_rate"] + 0.1
    assert rate.details["difference"] == pytest.approx(
        rate.details["current_rate"] - rate.details["reference_rate"])


def test_a_score_shift_alone_is_prediction_drift(baseline: Baseline,
                                                 scorer: TicketScorer) -> None:
    window = window_of(scorer, 1500, seed=101)
    shifted = WindowSample(window.tickets, np.clip(window.scores + 0.08, 0, 1), window.urgent)
    results = _run(baseline, shifted)
    assert _drifted(results) == {"score"}


def test_prediction_checks_are_skipped_without_records_of_the_watched_version(
        baseline: Baseline, scorer: TicketScorer) -> None:
    window = window_of(scorer, 300, seed=106)
    results = _run(baseline, WindowSample(window.tickets, np.array([]),
                                          np.array([], dtype=np.int64)))
    for name in ("score", "urgent_rate"):
        assert results[name].skipped
        assert not results[name].drift
        assert results[name].p_value is None


def test_a_category_never_seen_in_the_reference_is_drift(baseline: Baseline,
                                                         scorer: TicketScorer) -> None:
    window = window_of(scorer, 400, seed=107)
    tickets = window.tickets.copy()
    tickets.loc[:150, "customer_tier"] = "unknown"
    results = _run(baseline, WindowSample(tickets, window.scores, window.urgent))
    tier = results["customer_tier"]
    assert tier.drift
    assert tier.details["reference_shares"]["unknown"] == 0.0
    assert tier.details["current_shares"]["unknown"] > 0.3

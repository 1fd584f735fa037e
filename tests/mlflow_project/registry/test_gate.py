"""Tests for the promotion gate: absolute bars and the non-inferiority rule against production."""

from __future__ import annotations

import pytest

from mlflow_project.evaluation.bootstrap import Interval
from mlflow_project.registry import naming
from mlflow_project.registry.gate import GateDecision, GatePolicy, decide

# Binary fractions, so that boundaries are exact in floating point.
POLICY = GatePolicy(min_roc_auc=0.75, min_pr_auc=0.25, margin_roc_auc=0.03125,
                    margin_pr_auc=0.0625, margin_recall=0.125)
GOOD = {"roc_auc": 0.875, "pr_auc": 0.5}


def test_passes_when_bars_are_met_and_no_production() -> None:
    decision = decide(GOOD, None, POLICY)
    assert decision.passed
    assert decision.reasons == ()
    assert decision.status == naming.STATUS_PASSED
    assert decision.summary == "passed"


def test_values_exactly_at_the_bars_pass() -> None:
    decision = decide({"roc_auc": 0.75, "pr_auc": 0.25}, None, POLICY)
    assert decision.passed


@pytest.mark.parametrize(("metric", "bar"), [("roc_auc", 0.75), ("pr_auc", 0.25)])
def test_fails_a_bar_with_a_reason_naming_metric_and_bar(metric: str, bar: float) -> None:
    candidate = {**GOOD, metric: bar - 0.0625}
    decision = decide(candidate, None, POLICY)
    assert not decision.passed
    assert len(decision.reasons) == 1
    reason = decision.reasons[0]
    assert metric in reason
    assert f"{bar:.4f}" in reason
    assert "below" in reason
    assert decision.status == naming.STATUS_FAILED


def test_failing_both_bars_gives_both_reasons() -> None:
    decision = decide({"roc_auc": 0.5, "pr_auc": 0.125}, None, POLICY)
    assert not decision.passed
    assert len(decision.reasons) == 2
    assert "roc_auc" in decision.reasons[0]
    assert "pr_auc" in decision.reasons[1]
    assert decision.summary == "; ".join(decision.reasons)


def test_default_policy_bars() -> None:
    policy = GatePolicy()
    assert policy.bars() == {"roc_auc": policy.min_roc_auc, "pr_auc": policy.min_pr_auc}
    assert decide({"roc_auc": policy.min_roc_auc, "pr_auc": policy.min_pr_auc}, None,
                  policy).passed
    assert not decide({"roc_auc": policy.min_roc_auc - 0.01, "pr_auc": 0.99}, None,
                      policy).passed


def _differences(**lows: float) -> dict[str, Interval]:
    """Differences (candidate - production) with the given lower ends, others comfortably
    above every margin."""
    return {m: Interval(estimate=lows.get(m, 0.0) + 0.03125, low=lows.get(m, -0.0078125),
                        high=0.0625) for m in ("roc_auc", "pr_auc", "recall")}


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc", "recall"])
def test_fails_when_the_interval_reaches_below_the_margin(metric: str) -> None:
    margin = POLICY.margins()[metric]
    decision = decide(GOOD, _differences(**{metric: -margin - 0.0078125}), POLICY)
    assert not decision.passed
    assert len(decision.reasons) == 1
    reason = decision.reasons[0]
    assert reason.startswith(f"{metric} may be worse than production's")
    assert f"-{margin:.4f}" in reason
    assert "95% interval" in reason
    assert decision.status == naming.STATUS_FAILED


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc", "recall"])
def test_a_lower_end_exactly_at_the_margin_passes(metric: str) -> None:
    margin = POLICY.margins()[metric]
    assert decide(GOOD, _differences(**{metric: -margin}), POLICY).passed


def test_a_worse_point_estimate_within_the_margin_passes() -> None:
    differences = {m: Interval(estimate=-0.0078125, low=-0.015625, high=0.0)
                   for m in ("roc_auc", "pr_auc", "recall")}
    assert decide(GOOD, differences, POLICY).passed


def test_an_uncertain_comparison_fails_even_with_a_better_point_estimate() -> None:
    """Non-inferiority: a wide interval (too few rows) is not evidence the candidate is not
    worse."""
    wide = {m: Interval(estimate=0.0625, low=-0.5, high=0.5) for m in ("roc_auc", "pr_auc",
                                                                        "recall")}
    decision = decide(GOOD, wide, POLICY)
    assert not decision.passed
    assert len(decision.reasons) == 3


def test_a_metric_missing_from_the_comparison_fails() -> None:
    differences = _differences()
    del differences["recall"]
    decision = decide(GOOD, differences, POLICY)
    assert decision.reasons == ("recall could not be compared with production",)


def test_passes_when_better_than_production() -> None:
    decision = decide(GOOD, _differences(roc_auc=0.0, pr_auc=0.0, recall=0.0), POLICY)
    assert decision.passed
    assert decision.summary == "passed"


def test_below_a_bar_and_worse_than_production_gives_both_reasons() -> None:
    decision = decide({"roc_auc": 0.5, "pr_auc": 0.75}, _differences(roc_auc=-0.5), POLICY)
    assert len(decision.reasons) == 2
    assert "below the bar" in decision.reasons[0]
    assert "may be worse" in decision.reasons[1]


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc"])
def test_undefined_metric_fails(metric: str) -> None:
    candidate = {k: v for k, v in GOOD.items() if k != metric}
    decision = decide(candidate, None, POLICY)
    assert not decision.passed
    assert decision.reasons == (f"{metric} is undefined on the evaluation data",)
    assert decision.status == naming.STATUS_FAILED
    assert metric in decision.summary


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc"])
def test_nan_metric_fails(metric: str) -> None:
    candidate = {**GOOD, metric: float("nan")}
    decision = decide(candidate, None, POLICY)
    assert not decision.passed
    assert metric in decision.summary


def test_status_and_summary_of_a_hand_made_decision() -> None:
    failed = GateDecision(passed=False, reasons=("a is low", "b is low"))
    assert failed.status == naming.STATUS_FAILED
    assert failed.summary == "a is low; b is low"
    passed = GateDecision(passed=True)
    assert passed.status == naming.STATUS_PASSED
    assert passed.summary == "passed"
    assert naming.STATUS_PASSED != naming.STATUS_FAILED

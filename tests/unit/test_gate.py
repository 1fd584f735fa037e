"""Tests for the promotion gate: absolute bars and the no-regression rule against production."""

from __future__ import annotations

import pytest

from mlflow_project.registry import naming
from mlflow_project.registry.gate import GateDecision, GatePolicy, decide

# Binary fractions, so that boundaries are exact in floating point.
POLICY = GatePolicy(min_roc_auc=0.75, min_pr_auc=0.25, max_regression=0.125)
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


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc"])
def test_fails_when_worse_than_production_by_more_than_the_margin(metric: str) -> None:
    production = {"roc_auc": 0.9375, "pr_auc": 0.75}
    candidate = {**production, metric: production[metric] - 0.1875}  # above bars, 0.1875 worse
    decision = decide(candidate, production, POLICY)
    assert not decision.passed
    assert len(decision.reasons) == 1
    reason = decision.reasons[0]
    assert metric in reason
    assert "production" in reason
    assert f"{production[metric]:.4f}" in reason
    assert f"{POLICY.max_regression:.4f}" in reason
    assert decision.status == naming.STATUS_FAILED


@pytest.mark.parametrize("drop", [0.0625, 0.125])
def test_passes_when_worse_than_production_within_the_margin(drop: float) -> None:
    production = {"roc_auc": 0.9375, "pr_auc": 0.75}
    candidate = {name: value - drop for name, value in production.items()}
    assert decide(candidate, production, POLICY).passed


def test_passes_when_better_than_production() -> None:
    production = {"roc_auc": 0.8125, "pr_auc": 0.375}
    decision = decide(GOOD, production, POLICY)
    assert decision.passed
    assert decision.summary == "passed"


def test_production_missing_a_metric_only_compares_the_others() -> None:
    production = {"roc_auc": 0.9375}
    assert decide({"roc_auc": 0.9375, "pr_auc": 0.25}, production, POLICY).passed
    assert not decide({"roc_auc": 0.75, "pr_auc": 0.9}, production, POLICY).passed


def test_below_bar_is_reported_once_even_when_also_worse_than_production() -> None:
    production = {"roc_auc": 0.9375, "pr_auc": 0.75}
    decision = decide({"roc_auc": 0.5, "pr_auc": 0.75}, production, POLICY)
    assert len(decision.reasons) == 1
    assert "below the bar" in decision.reasons[0]


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

"""The drift checks: one reference-vs-window comparison each, run by a drift engine.

Input drift: `source` and `customer_tier` (chi-square), the text representation's components
(KS per component with the chosen correction), text length and the out-of-vocabulary share (KS).
Prediction drift: the score distribution (KS) and the urgent rate (chi-square on the 2x2 table,
i.e. the two-proportion test).

`--alpha` is the false-alarm rate of the whole run: each of the seven checks is tested at
alpha / 7 (Bonferroni across checks), so a window from the reference distribution is flagged
with probability at most alpha (`bench/monitor_calibration.py` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlflow_project.monitoring.baseline import Baseline
from mlflow_project.monitoring.engines.base import Correction, DriftEngine, TestOutcome
from mlflow_project.monitoring.text import text_lengths, ticket_texts

INPUT = "input"
PREDICTION = "prediction"
CHECK_GROUPS: dict[str, str] = {
    "source": INPUT, "customer_tier": INPUT, "text": INPUT, "text_length": INPUT,
    "oov_share": INPUT, "score": PREDICTION, "urgent_rate": PREDICTION,
}
DRIFT_CHECKS: tuple[str, ...] = tuple(CHECK_GROUPS)


@dataclass(frozen=True)
class WindowSample:
    """What a window offers the checks.

    `tickets` holds the inputs (title, description, source, customer_tier) of the window's
    records, a uniform sample of them when the window is larger than the cap
    (`LogWindow.inputs`); `scores` and `urgent` the logged predictions of the watched model
    version only (all of them), since only those are comparable with that version's reference
    scores.
    """

    tickets: pd.DataFrame
    scores: np.ndarray
    urgent: np.ndarray


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict, its numbers, and the two samples (kept for the report's plots)."""

    name: str
    test: str
    drift: bool
    alpha: float
    p_value: float | None = None
    statistic: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    reference: np.ndarray | None = field(default=None, repr=False, compare=False)
    current: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def group(self) -> str:
        """`input` or `prediction`."""
        return CHECK_GROUPS[self.name]


def check_alpha(alpha: float) -> float:
    """The significance each check is tested at, so that the run as a whole keeps `alpha`."""
    return alpha / len(DRIFT_CHECKS)


def run_drift_checks(baseline: Baseline, window: WindowSample, engine: DriftEngine,
                     alpha: float, correction: Correction) -> list[CheckResult]:
    """Every drift check of `window` against `baseline`, in `DRIFT_CHECKS` order."""
    level = check_alpha(alpha)
    texts = ticket_texts(window.tickets)
    results = [
        categorical_check("source", baseline.sources,
                          window.tickets["source"].to_numpy(dtype=object), engine, level),
        categorical_check("customer_tier", baseline.tiers,
                          window.tickets["customer_tier"].to_numpy(dtype=object), engine, level),
        text_check(baseline.components, baseline.representation.transform(texts), engine,
                   level, correction),
        continuous_check("text_length", baseline.lengths, text_lengths(texts), engine, level),
        continuous_check("oov_share", baseline.oov_shares, baseline.coverage.oov_shares(texts),
                         engine, level),
    ]
    if len(window.scores) == 0:
        reason = "no prediction of the watched model version in the window"
        return [*results, CheckResult("score", "ks", False, level, skipped=reason),
                CheckResult("urgent_rate", "chi2", False, level, skipped=reason)]
    return [*results,
            continuous_check("score", baseline.scores, window.scores, engine, level),
            rate_check("urgent_rate", baseline.urgent, window.urgent, engine, level)]


def categorical_check(name: str, reference: np.ndarray, current: np.ndarray,
                      engine: DriftEngine, alpha: float) -> CheckResult:
    """Chi-square test of a categorical column; details give each category's share."""
    codes, labels = pd.factorize(np.concatenate([reference, current]), sort=True)
    result = engine.categorical(codes[:len(reference)], codes[len(reference):], alpha,
                                Correction.BONFERRONI)
    reference_shares = _shares(codes[:len(reference)], labels)
    current_shares = _shares(codes[len(reference):], labels)
    distance = 0.5 * sum(abs(reference_shares[k] - current_shares[k]) for k in reference_shares)
    return _result(name, "chi2", result, {
        "total_variation": round(distance, 6),
        "reference_shares": reference_shares, "current_shares": current_shares,
    }, reference, current)


def continuous_check(name: str, reference: np.ndarray, current: np.ndarray,
                     engine: DriftEngine, alpha: float) -> CheckResult:
    """Two-sample KS test of a numeric sample; details give means and medians."""
    result = engine.continuous(reference, current, alpha, Correction.BONFERRONI)
    return _result(name, "ks", result, {
        "reference_mean": float(np.mean(reference)), "current_mean": float(np.mean(current)),
        "reference_median": float(np.median(reference)),
        "current_median": float(np.median(current)),
    }, reference, current)


def text_check(reference: np.ndarray, current: np.ndarray, engine: DriftEngine, alpha: float,
               correction: Correction) -> CheckResult:
    """KS test per text component with the correction; details list each component."""
    result = engine.continuous(reference, current, alpha, correction)
    return _result("text", "ks", result, {
        "components": int(reference.shape[1]),
        "components_drifted": result.features_drifted,
        "correction": str(correction),
        "component_statistics": [round(float(s), 6) for s in result.statistics],
        "component_p_values": [float(p) for p in result.p_values],
        "component_adjusted_p_values": [float(p) for p in result.adjusted],
    }, reference, current)


def rate_check(name: str, reference: np.ndarray, current: np.ndarray, engine: DriftEngine,
               alpha: float) -> CheckResult:
    """Two-proportion test of a 0/1 sample (chi-square on the 2x2 table, Yates-corrected)."""
    ref = np.asarray(reference, dtype=np.int64)
    cur = np.asarray(current, dtype=np.int64)
    result = engine.categorical(ref, cur, alpha, Correction.BONFERRONI)
    reference_rate, current_rate = float(ref.mean()), float(cur.mean())
    return _result(name, "chi2", result, {
        "reference_rate": reference_rate, "current_rate": current_rate,
        "difference": current_rate - reference_rate,
    }, ref, cur)


def _shares(codes: np.ndarray, labels: pd.Index) -> dict[str, float]:
    counts = np.bincount(codes, minlength=len(labels))
    total = max(int(counts.sum()), 1)
    return {str(label): round(float(count) / total, 6) for label, count in zip(labels, counts,
                                                                              strict=True)}


def _result(name: str, test: str, outcome: TestOutcome, details: dict[str, Any],
            reference: np.ndarray, current: np.ndarray) -> CheckResult:
    return CheckResult(name=name, test=test, drift=outcome.drift, alpha=outcome.alpha,
                       p_value=outcome.p_value, statistic=float(outcome.statistics.max()),
                       details=details, reference=reference, current=current)

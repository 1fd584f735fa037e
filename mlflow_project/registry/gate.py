"""The promotion gate: may a new model version become the challenger?

A version passes only if (1) its ROC-AUC and PR-AUC on its evaluation rows meet absolute bars,
and (2) when a production version exists, it is not worse than production by more than a margin,
judged on rows NEITHER version trained on: for ROC-AUC, PR-AUC and recall at each version's own
threshold, the lower end of the paired bootstrap interval of (candidate - production) must be at
least -margin. That is a non-inferiority rule: the candidate passes only when the data show, at
the policy's confidence, that it is not worse by more than the margin; a gain is never needed.
Pure logic: the caller scores and bootstraps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlflow_project.registry import naming

if TYPE_CHECKING:  # the intervals come from bootstrap, which imports scipy.stats (~0.4 s)
    from mlflow_project.evaluation.bootstrap import Interval


@dataclass(frozen=True)
class GatePolicy:
    """Absolute bars on the candidate, and the largest drop vs production each metric may show
    at the lower end of its `confidence` interval."""

    min_roc_auc: float = 0.75
    min_pr_auc: float = 0.30
    margin_roc_auc: float = 0.02
    margin_pr_auc: float = 0.05
    margin_recall: float = 0.10
    confidence: float = 0.95
    replicates: int = 1000

    def bars(self) -> dict[str, float]:
        """Absolute minimum per gated metric."""
        return {"roc_auc": self.min_roc_auc, "pr_auc": self.min_pr_auc}

    def margins(self) -> dict[str, float]:
        """Largest allowed drop against production, per compared metric."""
        return {"roc_auc": self.margin_roc_auc, "pr_auc": self.margin_pr_auc,
                "recall": self.margin_recall}


@dataclass(frozen=True)
class GateDecision:
    """The verdict and every reason for a failure (empty when passed)."""

    passed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        """The value of the version's `validation_status` tag."""
        return naming.STATUS_PASSED if self.passed else naming.STATUS_FAILED

    @property
    def summary(self) -> str:
        """One line for tags and logs."""
        return "passed" if self.passed else "; ".join(self.reasons)


def decide(candidate: Mapping[str, float], versus_production: Mapping[str, Interval] | None,
           policy: GatePolicy) -> GateDecision:
    """Judge the candidate's metrics against the bars and, when given, its differences from
    production (candidate - production, with intervals, on rows neither trained on).

    `versus_production` is None when there is no production version (the very first model):
    only the absolute bars apply.
    """
    reasons = [*_bar_failures(candidate, policy)]
    if versus_production is not None:
        reasons += _margin_failures(versus_production, policy)
    return GateDecision(passed=not reasons, reasons=tuple(reasons))


def _bar_failures(candidate: Mapping[str, float], policy: GatePolicy) -> list[str]:
    reasons = []
    for metric, bar in policy.bars().items():
        value = candidate.get(metric)
        if value is None or math.isnan(value):
            reasons.append(f"{metric} is undefined on the evaluation data")
        elif value < bar:
            reasons.append(f"{metric} {value:.4f} is below the bar {bar:.4f}")
    return reasons


def _margin_failures(differences: Mapping[str, Interval], policy: GatePolicy) -> list[str]:
    reasons = []
    for metric, margin in policy.margins().items():
        interval = differences.get(metric)
        if interval is None:
            reasons.append(f"{metric} could not be compared with production")
        elif interval.low < -margin:
            reasons.append(
                f"{metric} may be worse than production's: candidate - production = "
                f"{interval.estimate:+.4f}, {policy.confidence:.0%} interval "
                f"[{interval.low:+.4f}, {interval.high:+.4f}] reaches below -{margin:.4f}"
            )
    return reasons

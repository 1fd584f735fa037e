"""The promotion gate: may a new model version become the challenger?

A version passes only if it meets absolute bars AND is not worse than the version in production by
more than a margin on the same evaluation data. Pure logic: the caller does the scoring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlflow_project.registry import naming


@dataclass(frozen=True)
class GatePolicy:
    """Bars a candidate must meet; `max_regression` is the largest allowed drop vs production."""

    min_roc_auc: float = 0.75
    min_pr_auc: float = 0.30
    max_regression: float = 0.01

    def bars(self) -> dict[str, float]:
        """Absolute minimum per gated metric."""
        return {"roc_auc": self.min_roc_auc, "pr_auc": self.min_pr_auc}


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


def decide(candidate: Mapping[str, float], production: Mapping[str, float] | None,
           policy: GatePolicy) -> GateDecision:
    """Judge candidate metrics against the bars and, when one exists, production's metrics.

    Both metric sets must come from the same evaluation data; with no production version (the very
    first model) only the absolute bars apply.
    """
    reasons = []
    for metric, bar in policy.bars().items():
        value = candidate.get(metric)
        if value is None or math.isnan(value):
            reasons.append(f"{metric} is undefined on the evaluation data")
        elif value < bar:
            reasons.append(f"{metric} {value:.4f} is below the bar {bar:.4f}")
        elif production is not None and metric in production:
            floor = production[metric] - policy.max_regression
            if value < floor:
                reasons.append(
                    f"{metric} {value:.4f} is worse than production's {production[metric]:.4f} "
                    f"by more than {policy.max_regression:.4f}"
                )
    return GateDecision(passed=not reasons, reasons=tuple(reasons))

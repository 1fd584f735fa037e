"""The drift-engine interface: two-sample tests per feature with a multiple-testing correction.

An engine answers one question for a reference sample and a current sample of one or more
features: did the distribution move? `categorical` runs a chi-square test of homogeneity per
feature, `continuous` a two-sample Kolmogorov-Smirnov test per feature; with several features the
verdict applies the chosen correction (Bonferroni: any p < alpha / n; FDR: Benjamini-Hochberg at
q = alpha). Engines must agree on the same inputs, so the shared pieces (the corrected p-values
that are reported, the input shape) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.stats import false_discovery_control

from mlflow_project.monitoring.engines.names import Correction


@dataclass(frozen=True)
class TestOutcome:
    """An engine's verdict with the per-feature p-values and statistics it was based on.

    `adjusted` holds the corrected p-values (same order as `p_values`): a feature counts as
    drifted when its adjusted p-value is below `alpha`, and the smallest one is the test's
    p-value as reported.
    """

    __test__ = False  # not a pytest test class despite the name

    drift: bool
    p_values: np.ndarray
    statistics: np.ndarray
    adjusted: np.ndarray
    alpha: float

    @property
    def p_value(self) -> float:
        """The corrected p-value of the whole test (the smallest adjusted one)."""
        return float(self.adjusted.min())

    @property
    def features_drifted(self) -> int:
        """How many features are drifted after the correction."""
        return int((self.adjusted < self.alpha).sum())


class DriftEngine(Protocol):
    """Two-sample drift tests; `reference` and `current` are (rows,) or (rows, features)."""

    name: str

    def categorical(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                    correction: Correction) -> TestOutcome:
        """Chi-square test of homogeneity per feature of integer-coded categories."""
        ...

    def continuous(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                   correction: Correction) -> TestOutcome:
        """Two-sample Kolmogorov-Smirnov test per feature (asymptotic p-values)."""
        ...


def as_matrix(values: np.ndarray) -> np.ndarray:
    """View a 1-D sample as one feature column; leave a 2-D sample as it is."""
    array = np.asarray(values)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def adjust_p_values(p_values: np.ndarray, correction: Correction) -> np.ndarray:
    """Corrected p-values: Bonferroni (p * n, capped at 1) or Benjamini-Hochberg."""
    p = np.clip(np.asarray(p_values, dtype=float), 0.0, 1.0)
    if correction is Correction.FDR:
        return np.asarray(false_discovery_control(p, method="bh"), dtype=float)
    return np.minimum(p * len(p), 1.0)


def outcome(drift: bool, p_values: np.ndarray, statistics: np.ndarray, alpha: float,
            correction: Correction) -> TestOutcome:
    """Package a verdict with its per-feature numbers and their corrected p-values."""
    p = np.asarray(p_values, dtype=float).ravel()
    return TestOutcome(drift=bool(drift), p_values=p,
                       statistics=np.asarray(statistics, dtype=float).ravel(),
                       adjusted=adjust_p_values(p, correction), alpha=alpha)

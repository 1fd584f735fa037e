"""The plain `scipy.stats` engine: the same tests and corrections as alibi-detect, no BSL licence.

It reproduces alibi-detect's choices so that both give the same verdicts: the chi-square table
spans the categories seen in either sample (`chi2_contingency` with its default Yates correction
for 2x2 tables) and the KS test uses the asymptotic distribution.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency, ks_2samp

from mlflow_project.monitoring.engines.base import Correction, TestOutcome, as_matrix, outcome


class ScipyEngine:
    """Drift tests with `scipy.stats` only."""

    name = "scipy"

    def categorical(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                    correction: Correction) -> TestOutcome:
        """Chi-square test of homogeneity per feature; see `DriftEngine.categorical`."""
        ref, cur = as_matrix(reference), as_matrix(current)
        results = [_chi_square(ref[:, f], cur[:, f]) for f in range(ref.shape[1])]
        return _verdict(results, alpha, correction)

    def continuous(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                   correction: Correction) -> TestOutcome:
        """Two-sample KS test per feature; see `DriftEngine.continuous`."""
        ref, cur = as_matrix(reference), as_matrix(current)
        results = []
        for f in range(ref.shape[1]):
            test = ks_2samp(ref[:, f], cur[:, f], method="asymp")
            results.append((float(test.statistic), float(test.pvalue)))
        return _verdict(results, alpha, correction)


def _chi_square(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(statistic, p-value) over the categories present in either sample."""
    categories = np.union1d(reference, current)
    table = np.vstack([np.bincount(np.searchsorted(categories, sample),
                                   minlength=len(categories))
                       for sample in (reference, current)])
    result = chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def _verdict(results: list[tuple[float, float]], alpha: float,
             correction: Correction) -> TestOutcome:
    statistics, p_values = (np.array(column, dtype=float) for column in zip(*results,
                                                                             strict=True))
    draft = outcome(False, p_values, statistics, alpha, correction)
    return outcome(draft.features_drifted > 0, p_values, statistics, alpha, correction)

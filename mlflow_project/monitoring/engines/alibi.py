"""The alibi-detect engine (the default): `ChiSquareDrift` and `KSDrift` with their correction.

alibi-detect is imported on first use only: importing it takes ~2 s, and a run with
`--engine scipy` (for users who cannot run BSL-licensed code) never imports it at all.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mlflow_project.monitoring.engines.base import Correction, TestOutcome, as_matrix, outcome


class AlibiEngine:
    """Drift tests delegated to alibi-detect 0.13's offline univariate detectors."""

    name = "alibi"

    def categorical(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                    correction: Correction) -> TestOutcome:
        """alibi's `ChiSquareDrift` (categories inferred from both samples)."""
        chi_square_drift = _alibi_cd().ChiSquareDrift
        detector = chi_square_drift(as_matrix(reference), p_val=alpha,
                                    correction=str(correction))
        return _outcome(detector.predict(as_matrix(current)), alpha, correction)

    def continuous(self, reference: np.ndarray, current: np.ndarray, alpha: float,
                   correction: Correction) -> TestOutcome:
        """alibi's `KSDrift` (two-sided, asymptotic p-values)."""
        ks_drift = _alibi_cd().KSDrift
        detector = ks_drift(as_matrix(reference), p_val=alpha, correction=str(correction))
        return _outcome(detector.predict(as_matrix(current)), alpha, correction)


def _alibi_cd() -> Any:
    """`alibi_detect.cd`, imported once; silences the notice that no deep-learning backend
    is installed (none is needed for these detectors)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from alibi_detect import cd

    return cd


def _outcome(prediction: dict[str, Any], alpha: float, correction: Correction) -> TestOutcome:
    """Read alibi's prediction dict: `data` holds `is_drift`, `p_val` and `distance`."""
    data = prediction["data"]
    return outcome(bool(data["is_drift"]), np.asarray(data["p_val"]),
                   np.asarray(data["distance"]), alpha, correction)

"""The two drift engines: known answers on constructed samples, and agreement with each other."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mlflow_project.monitoring.engines import Correction, EngineName, get_engine
from mlflow_project.monitoring.engines.base import adjust_p_values

ENGINES = [get_engine(EngineName.ALIBI), get_engine(EngineName.SCIPY)]
ALPHA = 0.05


def _continuous(shift: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=(3000, 8))
    current = rng.normal(size=(800, 8))
    current[:, 3] += shift
    return reference, current


def _categorical(shares: list[float], seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = rng.choice(4, size=3000, p=[0.4, 0.3, 0.2, 0.1])
    return reference, rng.choice(4, size=800, p=shares)


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
@pytest.mark.parametrize("correction", list(Correction))
def test_ks_same_distribution_is_not_drift_and_a_shift_is(engine, correction) -> None:
    same = engine.continuous(*_continuous(0.0), ALPHA, correction)
    shifted = engine.continuous(*_continuous(0.4), ALPHA, correction)
    assert not same.drift
    assert same.features_drifted == 0
    assert shifted.drift
    assert shifted.features_drifted == 1
    assert int(np.argmin(shifted.p_values)) == 3


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_chi_square_same_mix_is_not_drift_and_a_new_mix_is(engine) -> None:
    same = engine.categorical(*_categorical([0.4, 0.3, 0.2, 0.1]), ALPHA, Correction.BONFERRONI)
    moved = engine.categorical(*_categorical([0.2, 0.3, 0.2, 0.3]), ALPHA, Correction.BONFERRONI)
    assert not same.drift
    assert same.p_value > ALPHA
    assert moved.drift
    assert moved.p_value < 1e-6


@pytest.mark.parametrize("correction", list(Correction))
@pytest.mark.parametrize("shift", [0.0, 0.12, 0.4])
def test_engines_agree_on_ks_verdicts_and_p_values(correction: Correction, shift: float) -> None:
    alibi, scipy_engine = (e.continuous(*_continuous(shift, seed=3), ALPHA, correction)
                           for e in ENGINES)
    assert alibi.drift == scipy_engine.drift
    assert alibi.features_drifted == scipy_engine.features_drifted
    np.testing.assert_allclose(alibi.p_values, scipy_engine.p_values, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(alibi.statistics, scipy_engine.statistics, rtol=1e-5)


@pytest.mark.parametrize("shares", [[0.4, 0.3, 0.2, 0.1], [0.35, 0.3, 0.2, 0.15],
                                    [0.1, 0.1, 0.4, 0.4]])
def test_engines_agree_on_chi_square_including_unseen_categories(shares: list[float]) -> None:
    reference, current = _categorical(shares, seed=5)
    current = np.concatenate([current, [7, 7]])  # a category the reference never had
    alibi, scipy_engine = (e.categorical(reference, current, ALPHA, Correction.BONFERRONI)
                           for e in ENGINES)
    assert alibi.drift == scipy_engine.drift
    np.testing.assert_allclose(alibi.p_values, scipy_engine.p_values, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(alibi.statistics, scipy_engine.statistics, rtol=1e-4)


def test_engines_agree_on_a_two_by_two_table_with_yates_correction() -> None:
    rng = np.random.default_rng(9)
    reference = (rng.random(1000) < 0.20).astype(np.int64)
    current = (rng.random(300) < 0.27).astype(np.int64)
    alibi, scipy_engine = (e.categorical(reference, current, ALPHA, Correction.BONFERRONI)
                           for e in ENGINES)
    assert alibi.p_value == pytest.approx(scipy_engine.p_value, rel=1e-4)
    assert alibi.drift == scipy_engine.drift


def test_a_constant_category_on_both_sides_is_not_drift() -> None:
    for engine in ENGINES:
        result = engine.categorical(np.zeros(500, np.int64), np.zeros(80, np.int64), ALPHA,
                                    Correction.BONFERRONI)
        assert not result.drift
        assert result.p_value == 1.0


def test_fdr_flags_more_than_bonferroni_when_many_features_move_a_little() -> None:
    p_values = np.array([0.004, 0.006, 0.008, 0.009, 0.5, 0.9, 0.7, 0.3, 0.2, 0.6])
    assert (adjust_p_values(p_values, Correction.BONFERRONI) < ALPHA).sum() == 1
    assert (adjust_p_values(p_values, Correction.FDR) < ALPHA).sum() == 4


def test_the_scipy_engine_never_imports_alibi_detect() -> None:
    code = ("import sys, numpy as np\n"
            "from mlflow_project.monitoring.engines import EngineName, Correction, get_engine\n"
            "from mlflow_project.monitoring import checks\n"
            "get_engine(EngineName.SCIPY).continuous(np.zeros(9), np.ones(9), 0.05,"
            " Correction.FDR)\n"
            "assert 'alibi_detect' not in sys.modules, 'alibi_detect was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]

"""Calibration of the drift checks: false-alarm rate under no drift, and power against drift.

False alarms: many windows drawn from the reference distribution (synthetic tickets, fresh seeds)
are checked; the share flagged as drifted must stay at or below `--alpha`, the run's nominal
false-alarm rate (the baseline each rate is divided by). Power: windows drawn with one of the
generator's drift knobs turned, by window size. Windows are synthetic tickets scored by a model
trained in-process exactly as the `train` job trains it, with the reference laid out as a lineage
run lays it out (training snapshot for the input checks, the held-out split for the model
checks); no HTTP is involved. With the Endava tickets present, the false-alarm rate is also
measured on real text: a model fitted on one random third, the other two thirds compared.

Run: make monitor-calibration   (about 2 minutes on 2 idle cores; uses every core)
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
from mlflow_project.data.dataset import load_tickets
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.monitoring.baseline import Baseline, build_baseline
from mlflow_project.monitoring.checks import WindowSample, run_drift_checks
from mlflow_project.monitoring.engines import Correction, EngineName, get_engine
from mlflow_project.monitoring.watched_sample import DEFAULT_MIN_RECORDS
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model
from mlflow_project.training.job import development_and_evaluation

ENDAVA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "endava" / "tickets.csv"
SIZES = (DEFAULT_MIN_RECORDS, 500, 2000)  # the monitor's floor is the smallest calibrated
KNOBS: tuple[tuple[str, DriftConfig], ...] = (
    ("source_shift=0.2", DriftConfig(source_shift=0.2)),
    ("source_shift=0.5", DriftConfig(source_shift=0.5)),
    ("new_vocabulary=0.05", DriftConfig(new_vocabulary=0.05)),
    ("new_vocabulary=0.20", DriftConfig(new_vocabulary=0.20)),
    ("urgent_rate_shift=+0.05", DriftConfig(urgent_rate_shift=0.05)),
    ("urgent_rate_shift=+0.15", DriftConfig(urgent_rate_shift=0.15)),
)


@dataclass(frozen=True)
class Setting:
    """What the checks need besides a window: model, baseline and test options."""

    scorer: TicketScorer
    baseline: Baseline
    engine: EngineName
    alpha: float
    correction: Correction

    def flagged(self, tickets: pd.DataFrame) -> frozenset[str]:
        """Names of the checks that call this window drifted."""
        scores = self.scorer.probabilities_frame(tickets)
        results = run_drift_checks(self.baseline,
                                   WindowSample(tickets, scores, self.scorer.labels(scores)),
                                   get_engine(self.engine), self.alpha, self.correction)
        return frozenset(r.name for r in results if r.drift)


# Shared with the worker processes by fork (set before the pool starts).
_SETTING: Setting | None = None
_ENDAVA: pd.DataFrame | None = None
_ARGS: argparse.Namespace | None = None
_POOL: ProcessPoolExecutor | None = None


def fit(train: pd.DataFrame) -> TicketScorer:
    """A scorer fitted as the `train` job fits, threshold included."""
    config = TrainConfig(data="in-memory")
    fitted = fit_model(development_and_evaluation(train, config)[0], config)
    pipeline, threshold = fitted.pipeline, fitted.threshold
    return TicketScorer(pipeline, threshold)


def synthetic_window(job: tuple[int, int, DriftConfig]) -> frozenset[str]:
    size, seed, drift = job
    assert _SETTING is not None
    return _SETTING.flagged(generate_tickets(GeneratorConfig(rows=size, seed=seed, drift=drift)))


def endava_split(seed: int) -> frozenset[str]:
    """Random thirds of Endava: fit on one, compare the other two (no drift by construction)."""
    assert _ENDAVA is not None
    assert _ARGS is not None
    order = np.random.default_rng(seed).permutation(len(_ENDAVA))
    train, reference, window = (_ENDAVA.take(p).reset_index(drop=True)
                                for p in np.array_split(order, 3))
    scorer = fit(train)
    setting = Setting(scorer, build_baseline(reference, reference, scorer, _ARGS.components,
                                             seed=seed),
                      EngineName(_ARGS.engine), _ARGS.alpha, Correction(_ARGS.correction))
    return setting.flagged(window)


def in_parallel(function: Callable[..., frozenset[str]], jobs: Iterable[object]
                ) -> list[frozenset[str]]:
    assert _POOL is not None
    return list(_POOL.map(function, jobs, chunksize=4))


def rate(flags: list[frozenset[str]]) -> str:
    """Share of windows flagged with its exact 95% confidence interval."""
    count = sum(bool(f) for f in flags)
    interval = binomtest(count, len(flags)).proportion_ci(0.95)
    return f"{count / len(flags):.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def fired(flags: list[frozenset[str]]) -> Counter[str]:
    return Counter(name for names in flags for name in names)


def false_alarms(windows: int, alpha: float) -> None:
    print(f"\nFalse alarms: {windows} same-distribution windows per size")
    print(f"{'window':>8} {'flagged [95% CI]':>24} {'ratio to alpha':>15}  checks that fired")
    for size in SIZES:
        flags = in_parallel(synthetic_window, [(size, 10_000 + i, DriftConfig())
                                               for i in range(windows)])
        share = sum(bool(f) for f in flags) / windows
        which = ", ".join(f"{k} {v}" for k, v in sorted(fired(flags).items())) or "-"
        print(f"{size:>8} {rate(flags):>24} {share / alpha:>15.2f}  {which}")


def power(windows: int) -> None:
    print(f"\nDetection power: {windows} drifted windows per cell: share flagged (the check "
          "that fired most)")
    print(f"{'knob':<26}" + "".join(f"{size:>24}" for size in SIZES))
    for label, drift in KNOBS:
        cells = []
        for size in SIZES:
            flags = in_parallel(synthetic_window, [(size, 20_000 + i, drift)
                                                   for i in range(windows)])
            top = fired(flags).most_common(1)
            cells.append(f"{sum(bool(f) for f in flags) / windows:.2f} "
                         f"({top[0][0] if top else '-'})")
        print(f"{label:<26}" + "".join(f"{cell:>24}" for cell in cells))


def endava_false_alarms(splits: int, alpha: float) -> None:
    assert _ENDAVA is not None
    flags = in_parallel(endava_split, range(splits))
    which = ", ".join(f"{k} {v}" for k, v in sorted(fired(flags).items())) or "-"
    share = sum(bool(f) for f in flags) / splits
    print(f"\nEndava (real text), {splits} random splits into thirds (~{len(_ENDAVA) // 3} rows "
          f"each): flagged {rate(flags)}, ratio to alpha {share / alpha:.2f}; fired: {which}")


def timed(label: str, step: Callable[[], None]) -> None:
    start = time.perf_counter()
    step()
    print(f"({label}: {time.perf_counter() - start:.0f} s)")


def main() -> None:
    global _SETTING, _ENDAVA, _ARGS, _POOL
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--engine", choices=[e.value for e in EngineName], default="alibi")
    parser.add_argument("--correction", choices=[c.value for c in Correction],
                        default="bonferroni")
    parser.add_argument("--components", type=int, default=30)
    parser.add_argument("--null-windows", type=int, default=200)
    parser.add_argument("--power-windows", type=int, default=40)
    parser.add_argument("--endava-splits", type=int, default=30)
    args = _ARGS = parser.parse_args()
    reference = generate_tickets(GeneratorConfig(rows=5000, seed=42))
    config = TrainConfig(data="in-memory")
    _, evaluation = development_and_evaluation(reference, config)
    scorer = fit(reference)
    _SETTING = Setting(scorer, build_baseline(reference, evaluation, scorer, args.components,
                                              seed=0),
                       EngineName(args.engine), args.alpha, Correction(args.correction))
    if ENDAVA.is_file():
        _ENDAVA = load_tickets(str(ENDAVA)).validation.valid
    _SETTING.flagged(reference.head(50))  # imports the engine before the workers fork
    _POOL = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork"))
    print(f"alpha {args.alpha} (the baseline: ratio = observed / alpha), engine {args.engine}, "
          f"{args.correction}; reference: 5,000 synthetic tickets (the demo's data), model "
          f"checks on its {len(evaluation)}-row evaluation set")
    timed("false alarms", lambda: false_alarms(args.null_windows, args.alpha))
    timed("power", lambda: power(args.power_windows))
    if _ENDAVA is not None:
        timed("endava", lambda: endava_false_alarms(args.endava_splits, args.alpha))
    else:
        print(f"\nEndava: skipped, {ENDAVA} absent")
    _POOL.shutdown()


if __name__ == "__main__":
    main()

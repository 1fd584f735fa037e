"""Per-variant figures of an A/B test from prediction-log records (pure).

Predictions are attributed by `model_version`, which each server reports exactly (one revision =
one model version); the role (production, challenger) is the version's role now. The `variant`
field of a record is the role its revision was deployed in, which a promotion does not rewrite,
so it is shown but never used for attribution.

The objective is judged where the model acts, at its threshold: recall (urgent tickets caught)
and precision (urgent calls that were right) on the predictions whose ticket has a delayed label,
beside the urgent rate and the request counts. Every proportion comes with a 95 % Wilson interval
(`scipy.stats.binomtest`): with a 10 % split the challenger's numbers rest on few predictions,
and overlapping intervals mean the difference is not established yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy.stats import binomtest

from contracts.prediction_log import PredictionRecord

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A confidence interval of a proportion."""

    low: float
    high: float


@dataclass(frozen=True)
class VariantFigures:
    """What one model version did during the test."""

    role: str
    model_version: str
    variants_reported: tuple[str, ...]
    predictions: int
    requests: int
    share: float
    urgent_rate: float
    urgent_rate_ci: Interval
    mean_score: float
    latency_p50_ms: float
    latency_p99_ms: float
    labelled: int
    accuracy: float | None
    accuracy_ci: Interval | None
    recall: float | None
    recall_ci: Interval | None
    precision: float | None
    precision_ci: Interval | None


def figures(records: Sequence[PredictionRecord], labels: Mapping[str, bool],
            roles: Mapping[str, str]) -> list[VariantFigures]:
    """One `VariantFigures` per model version in `records`, production first, then challenger.

    `labels` maps ticket ids to the true urgency (delayed feedback); `roles` maps model versions
    to their role now. Versions with no role are shown as `v<N>`. Every record has a model version
    (`registry_tools.ab.logs.read_log` leaves out the ones that do not).
    """
    by_version: dict[str, list[PredictionRecord]] = {}
    for record in records:
        by_version.setdefault(str(record.model_version), []).append(record)
    order = {"production": 0, "challenger": 1}
    result = [_figures_of(version, group, len(records), labels,
                          roles.get(version, f"v{version}"))
              for version, group in by_version.items()]
    return sorted(result, key=lambda f: (order.get(f.role, 2), -int(f.model_version)))


def _figures_of(version: str, group: Sequence[PredictionRecord], total: int,
                labels: Mapping[str, bool], role: str) -> VariantFigures:
    urgent = sum(record.urgent for record in group)
    latencies = sorted({r.request_id: r.latency_ms for r in group}.values())  # one per request
    judged = [(record.urgent, labels[record.ticket_id]) for record in group
              if record.ticket_id is not None and record.ticket_id in labels]
    accuracy = _proportion(sum(said == truth for said, truth in judged), len(judged))
    recall = _proportion(sum(said for said, truth in judged if truth),
                         sum(truth for _, truth in judged))
    precision = _proportion(sum(truth for said, truth in judged if said),
                            sum(said for said, _ in judged))
    return VariantFigures(
        role=role, model_version=version,
        variants_reported=tuple(sorted({r.variant for r in group if r.variant})),
        predictions=len(group), requests=len(latencies), share=len(group) / total,
        urgent_rate=urgent / len(group), urgent_rate_ci=wilson(urgent, len(group)),
        mean_score=sum(r.urgency_probability for r in group) / len(group),
        latency_p50_ms=percentile(latencies, 50), latency_p99_ms=percentile(latencies, 99),
        labelled=len(judged), accuracy=accuracy[0], accuracy_ci=accuracy[1],
        recall=recall[0], recall_ci=recall[1], precision=precision[0],
        precision_ci=precision[1])


def _proportion(successes: int, trials: int) -> tuple[float | None, Interval | None]:
    """The share and its interval, or (None, None) when there is nothing to count."""
    if trials == 0:
        return None, None
    return successes / trials, wilson(successes, trials)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson score interval of `successes` out of `trials` (trials > 0)."""
    if trials <= 0:
        raise ValueError("an interval needs at least one trial")
    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence,
                                                          method="wilson")
    return Interval(float(interval.low), float(interval.high))

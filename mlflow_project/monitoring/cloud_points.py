"""A monitoring run's custom-metric points: one builder for summary.json and Cloud Monitoring.

Per drift check that ran (`feature` = the check: `source`, `customer_tier`, `text`,
`text_length`, `oov_share`, `score`, `urgent_rate`): its p-value, statistic and verdict (0/1).
Per run: the watched version's urgent rate in the window (when it had predictions), the rows it
watched, and, when delayed labels were matched to its predictions, recall and precision. Every
point is stamped with the window's end. A run with too few records of the watched version
(`insufficient_data`) runs no check, so it writes its rows watched only: the absence alert
sees the run, and no drift verdict is made up from a handful of records.
"""

from __future__ import annotations

from datetime import datetime

from mlflow_project.cloud_metrics import names
from mlflow_project.cloud_metrics.points import Point
from mlflow_project.monitoring.checks import CheckResult
from mlflow_project.monitoring.result import MonitorResult

QUALITY_POINTS = {"recall": names.QUALITY_RECALL, "precision": names.QUALITY_PRECISION}


def monitoring_points(result: MonitorResult) -> list[Point]:
    """Every point one monitoring run reports, only for what it measured."""
    model = {names.MODEL_NAME: result.model.name, names.MODEL_VERSION: result.model.version}
    at = result.config.until
    points = [Point(names.ROWS_WATCHED, int(result.watched.records), at, model)]
    for check in result.checks:
        points.extend(_check_points(check, {**model, names.FEATURE: check.name,
                                            names.ENGINE: str(result.config.engine)}, at))
    quality = result.quality
    if quality is not None and quality.labelled:
        points.extend(Point(metric, float(quality.metrics[name]), at, model)
                      for name, metric in QUALITY_POINTS.items() if name in quality.metrics)
    return points


def _check_points(check: CheckResult, labels: dict[str, str], at: datetime) -> list[Point]:
    if check.skipped or check.p_value is None or check.statistic is None:
        return []
    points = [Point(names.DRIFT_P_VALUE, float(check.p_value), at, labels),
              Point(names.DRIFT_STATISTIC, float(check.statistic), at, labels),
              Point(names.DRIFT_VERDICT, int(check.drift), at, labels)]
    if check.name == "urgent_rate":
        model = {key: labels[key] for key in (names.MODEL_NAME, names.MODEL_VERSION)}
        points.append(Point(names.URGENT_RATE, float(check.details["current_rate"]), at, model))
    return points

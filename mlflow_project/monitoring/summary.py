"""`summary.json` and the MLflow metrics of a run, both derived from a MonitorResult."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mlflow_project.monitoring.checks import INPUT, CheckResult, check_alpha
from mlflow_project.monitoring.cloud_points import monitoring_points
from mlflow_project.monitoring.quality import QualityResult
from mlflow_project.monitoring.result import MonitorResult
from mlflow_project.monitoring.watched_sample import WatchedSample


def build_summary(result: MonitorResult, report: str,
                  run: dict[str, str] | None) -> dict[str, Any]:
    """The JSON summary: status (and its line for people), the watched version's records
    against the floor, window, counts, checks, quality, model, report, the run's
    custom-metric points (`cloud_metrics`: what Cloud Monitoring gets when it is on), and more."""
    config, window, reference = result.config, result.window, result.reference
    return {
        "status": result.status,
        "status_line": result.status_line,
        "watched": watched_summary(result.watched),
        "window": {"since": config.since.isoformat(), "until": config.until.isoformat(),
                   "logs": config.logs},
        "counts": {
            "records": len(window.records), "malformed_lines": window.malformed,
            "lines": window.lines, "files": window.files,
            "outside_window": window.outside_window,
            "other_log_entries": window.other_entries,
            "input_sample_rows": len(window.inputs),
            "records_of_watched_version": result.watched.records,
            "reference_rows": len(reference.tickets),
            "model_reference_rows": len(reference.model_tickets),
        },
        "checks": {check.name: check_summary(check) for check in result.checks},
        "quality": quality_summary(result.quality),
        "model": {"name": result.model.name, "version": result.model.version,
                  "uri": config.model_uri, "threshold": result.model.threshold},
        "report": report,
        "engine": str(config.engine), "alpha": config.alpha,
        "alpha_per_check": check_alpha(config.alpha), "correction": str(config.correction),
        "reference": {"uri": reference.uri, "sha256": reference.sha256,
                      "origin": reference.origin, "model_checks_use": reference.model_origin,
                      "valid_rows": reference.valid_rows,
                      "rejected_rows": reference.rejected_rows},
        "volume": result.volume.summary,
        "malformed": {"reasons": dict(window.malformed_reasons),
                      "examples": [asdict(example) for example in window.malformed_examples]},
        "notes": list(reference.notes),
        "mlflow": run,
        "timings_seconds": {k: round(v, 3) for k, v in result.timings.items()},
        "cloud_metrics": [point.as_json() for point in monitoring_points(result)],
    }


def watched_summary(watched: WatchedSample) -> dict[str, Any]:
    """Which version's records were watched, how many, how many are required, and every
    version's count in the window."""
    return {"model_name": watched.model_name, "model_version": watched.model_version,
            "records": watched.records, "required": watched.required,
            "sufficient": watched.sufficient, "records_by_version": watched.by_version}


def check_summary(check: CheckResult) -> dict[str, Any]:
    """One check as JSON: verdict, test, p-value, statistic, level, and its details."""
    entry: dict[str, Any] = {"drift": check.drift, "group": check.group, "test": check.test,
                             "alpha": check.alpha}
    if check.skipped:
        return {**entry, "skipped": check.skipped}
    return {**entry, "p_value": check.p_value, "statistic": check.statistic, **check.details}


def quality_summary(quality: QualityResult | None) -> dict[str, Any] | None:
    """Delayed-label quality as JSON, or None when no feedback was given."""
    if quality is None:
        return None
    return {
        "judged": quality.judged, "breach": quality.breach, "reason": quality.reason,
        "labelled": quality.labelled, "predictions": quality.predictions,
        "coverage": quality.coverage, "unmatched_labels": quality.unmatched_labels,
        "duplicate_predictions": quality.duplicate_predictions,
        "feedback_rows": quality.feedback_rows,
        "feedback_repeated_rows": quality.feedback_repeated_rows,
        "metrics": quality.metrics, "validation": quality.validation,
        "breached": quality.breached, "tolerance": quality.tolerance,
        "min_labels": quality.min_labels,
    }


def mlflow_metrics(result: MonitorResult) -> dict[str, float]:
    """Flat metrics: `drift.<check>.*`, `prediction.<check>.*`, `quality.*`, `volume.*`."""
    metrics: dict[str, float] = {
        "status.drift": float(result.drift),
        "status.quality_breach": float(result.quality_breach),
        "status.insufficient_data": float(not result.watched.sufficient),
        "volume.records": float(len(result.window.records)),
        "volume.malformed_lines": float(result.window.malformed),
        "volume.records_of_watched_version": float(result.watched.records),
        "volume.empty_hours": float(result.volume.summary["empty_hours"]),
        "volume.records_per_hour": float(result.volume.summary["records_per_hour"]["mean"]),
        **{f"latency.{k}_ms": v for k, v in result.volume.summary["latency_ms"].items()},
    }
    for check in result.checks:
        metrics.update(_check_metrics(check))
    if result.quality is not None:
        metrics.update(_quality_metrics(result.quality))
    return metrics


def _check_metrics(check: CheckResult) -> dict[str, float]:
    if check.skipped or check.p_value is None or check.statistic is None:
        return {}
    prefix = f"{'drift' if check.group == INPUT else 'prediction'}.{check.name}"
    metrics = {f"{prefix}.p_value": check.p_value, f"{prefix}.statistic": check.statistic,
               f"{prefix}.drift": float(check.drift)}
    for key, value in check.details.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[f"{prefix}.{key}"] = float(value)
    if check.name == "urgent_rate":
        metrics["prediction.urgent_rate"] = float(check.details["current_rate"])
    return metrics


def _quality_metrics(quality: QualityResult) -> dict[str, float]:
    return {
        **{f"quality.{name}": value for name, value in quality.metrics.items()},
        "quality.labelled": float(quality.labelled), "quality.coverage": quality.coverage,
        "quality.unmatched_labels": float(quality.unmatched_labels),
        "quality.judged": float(quality.judged), "quality.breach": float(quality.breach),
    }

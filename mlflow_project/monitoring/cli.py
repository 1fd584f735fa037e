"""`monitor`: drift, prediction and delayed-label quality checks over a window of prediction logs.

Exit codes (the monitoring DAG maps them): 0 all well; 1 unexpected error; 2 bad arguments;
3 input unusable (empty window, missing or unreadable logs, reference, model or feedback, a
reference whose hash differs from the model's lineage); 10 drift detected; 11 quality breach;
12 both; 13 insufficient data (fewer records of the watched version than
`TU_MONITOR_MIN_RECORDS`: no verdict; the report and summary say how many of how many). Writes
`report.html` and `summary.json` to `--out` and logs them, with one metric per check, to MLflow;
with `TU_CLOUD_METRICS_MODE=on` it then writes the run's points to Cloud Monitoring (exit 1, one
line, when that fails; `dry-run` prints the requests instead).
"""

from __future__ import annotations

import logging
import os
import traceback
import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from contracts.cli import fail, option_errors
from contracts.model_uri import default_model_uri
from contracts.redaction import redact
from contracts.settings import SettingsError
from mlflow_project.monitoring.config import DEFAULT_EXPERIMENT
from mlflow_project.monitoring.engines.names import Correction, EngineName
from mlflow_project.tracking_store import unreachable_server

if TYPE_CHECKING:
    from mlflow_project.cloud_metrics.settings import CloudMetricsSettings
    from mlflow_project.monitoring.job import MonitorOutcome

EXIT_ERROR = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_INPUT_UNUSABLE = 3
STATUS_EXIT_CODES = {"ok": 0, "drift": 10, "quality_breach": 11, "drift_and_quality_breach": 12,
                     "insufficient_data": 13}

LOGS_HELP = ("prediction logs: a folder (searched recursively) or gs://BUCKET/PREFIX of *.jsonl "
             "files; logging+gs://BUCKET/LOG_FOLDER, a Cloud Logging sink's GCS export (e.g. "
             "logging+gs://BUCKET/run.googleapis.com/stdout; only the window's day folders are "
             "read); bq://PROJECT.DATASET.TABLE, a Cloud Logging sink's partitioned BigQuery "
             "table (only the window's partitions are read)")
REFERENCE_HELP = ("CSV/Parquet of contract-shaped tickets; default: the watched version's "
                  "training snapshot from its lineage tags, hash-verified")
FEEDBACK_HELP = "CSV/Parquet of delayed labels (ticket_id, urgent); enables the quality check"


def monitor(
    logs: Annotated[str, typer.Option(help=LOGS_HELP)],
    since: Annotated[str | None, typer.Option(
        help="window start, ISO-8601 (UTC if no offset); default: 24 h before --until")] = None,
    until: Annotated[str | None, typer.Option(
        help="window end (excluded), ISO-8601; default: now")] = None,
    reference: Annotated[str | None, typer.Option(help=REFERENCE_HELP)] = None,
    model_uri: Annotated[str | None, typer.Option(
        help="registered version to watch: models:/NAME@ALIAS or models:/NAME/VERSION; "
             "default: models:/<TU_MODEL_NAME>@production")] = None,
    feedback: Annotated[str | None, typer.Option(help=FEEDBACK_HELP)] = None,
    engine: Annotated[EngineName, typer.Option(help="drift engine")] = EngineName.ALIBI,
    alpha: Annotated[float, typer.Option(
        help="false-alarm rate of the whole run; each of the 7 checks uses alpha/7")] = 0.05,
    correction: Annotated[Correction, typer.Option(
        help="multiple-testing correction across text components")] = Correction.BONFERRONI,
    quality_tolerance: Annotated[float, typer.Option(
        help="breach when a metric is this much (absolute) below validation")] = 0.10,
    min_labels: Annotated[int, typer.Option(
        help="judge quality only with at least this many labelled predictions")] = 50,
    out: Annotated[str | None, typer.Option(
        help="folder for report.html and summary.json; default: "
             "$TU_MONITOR_OUT_ROOT/<UTC timestamp> (.run/monitoring/...)")] = None,
    experiment_name: Annotated[str, typer.Option(help="MLflow experiment of the run")]
    = DEFAULT_EXPERIMENT,
) -> None:
    """Check a window of prediction logs for input drift, prediction drift and (with
    --feedback) quality on delayed labels; write an HTML report and a JSON summary and log them
    to MLflow. Exit codes: 0 ok, 1 unexpected error, 2 bad arguments, 3 input unusable,
    10 drift, 11 quality breach, 12 both, 13 insufficient data (fewer records of the watched
    version than TU_MONITOR_MIN_RECORDS: no verdict)."""
    _quiet_libraries()
    from mlflow.exceptions import MlflowException
    from pydantic import ValidationError

    from mlflow_project.cloud_metrics.settings import CloudMetricsSettings
    from mlflow_project.monitoring.errors import BadArguments, InputUnusable
    from mlflow_project.runs import WrongExperiment

    try:
        cloud = CloudMetricsSettings.load()
        outcome = _run(logs, since, until, reference, model_uri, feedback, engine, alpha,
                       correction, quality_tolerance, min_labels, out, experiment_name)
    except (BadArguments, SettingsError, WrongExperiment) as exc:
        fail(str(exc), EXIT_BAD_ARGUMENTS)
    except ValidationError as exc:
        fail(option_errors(exc), EXIT_BAD_ARGUMENTS)
    except InputUnusable as exc:
        fail(f"input unusable: {exc}", EXIT_INPUT_UNUSABLE)
    except MlflowException as exc:
        fail(unreachable_server(exc) or f"MLflow failed: {exc.message}", EXIT_ERROR)
    except Exception:  # anything else is a bug or an outage: say so, with the traceback
        typer.echo(redact(traceback.format_exc()), err=True)
        fail("unexpected error (traceback above)", EXIT_ERROR)
    _print_outcome(outcome)
    _publish(outcome, cloud)
    raise typer.Exit(STATUS_EXIT_CODES[outcome.result.status])


def _publish(outcome: MonitorOutcome, cloud: CloudMetricsSettings) -> None:
    """The run's points to Cloud Monitoring as the settings say (a dry run prints them)."""
    from mlflow_project.cloud_metrics.settings import Mode
    from mlflow_project.cloud_metrics.writer import CloudMetricsError, as_json, publish
    from mlflow_project.monitoring.cloud_points import monitoring_points

    try:
        requests = publish(monitoring_points(outcome.result), cloud, datetime.now(UTC))
    except CloudMetricsError as exc:
        fail(f"the run is recorded, but its metrics are not in Cloud Monitoring: {exc}",
             EXIT_ERROR)
    if cloud.mode is Mode.DRY_RUN:
        typer.echo(as_json(requests))
    elif requests:
        typer.echo(f"cloud monitoring: {sum(len(r.time_series) for r in requests)} series "
                   f"written to {cloud.project}")


def _run(logs: str, since: str | None, until: str | None, reference: str | None,
         model_uri: str | None, feedback: str | None, engine: EngineName, alpha: float,
         correction: Correction, quality_tolerance: float, min_labels: int, out: str | None,
         experiment_name: str) -> MonitorOutcome:
    """Validate the options into a config and run the job."""
    from mlflow_project.monitoring.config import MonitorConfig, default_out, resolve_window
    from mlflow_project.monitoring.settings import MonitorSettings

    settings = MonitorSettings.load()
    now = datetime.now(UTC)
    # MLproject passes an omitted optional parameter as an empty string: same as not given.
    start, end = resolve_window(since or None, until or None, now)
    config = MonitorConfig(
        logs=logs, since=start, until=end, reference=reference or None,
        model_uri=model_uri or default_model_uri(),
        feedback=feedback or None, engine=engine, alpha=alpha, correction=correction,
        quality_tolerance=quality_tolerance, min_labels=min_labels,
        out=out or default_out(settings.out_root, now), experiment_name=experiment_name)
    from mlflow_project.monitoring.job import run_monitoring  # heavy: only once options are valid

    return run_monitoring(config, settings)


def _print_outcome(outcome: MonitorOutcome) -> None:
    """One line per check, the quality verdict, the watched version's records, the status and
    where the files are."""
    for check in outcome.result.checks:
        if check.skipped:
            typer.echo(f"{check.name:14} {check.test:5} skipped: {check.skipped}")
            continue
        typer.echo(f"{check.name:14} {check.test:5} statistic {check.statistic:<10.4g} "
                   f"p {check.p_value:<10.4g} level {check.alpha:<8.4g} "
                   f"{'DRIFT' if check.drift else 'ok'}")
    quality = outcome.result.quality
    if quality is not None:
        verdict = "BREACH" if quality.breach else ("ok" if quality.judged else "not judged")
        typer.echo(f"quality        {verdict}: {quality.reason} ({quality.labelled} labelled, "
                   f"coverage {quality.coverage:.1%})")
    result = outcome.result
    typer.echo(f"watched: {result.watched.describe()}")
    typer.echo(f"status: {result.status_line} (exit {STATUS_EXIT_CODES[result.status]})")
    typer.echo(f"report: {outcome.report_path}")
    typer.echo(f"summary: {outcome.summary_path}")


def _quiet_libraries() -> None:
    """Keep the output to what the run found: library chatter goes to warnings level."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for noise in ("Hint: Inferred schema contains integer", "The specified dataset source"):
        warnings.filterwarnings("ignore", message=noise)

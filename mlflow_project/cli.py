"""`ticket-urgency`: tune and train (the MLproject entry points), and predict.

Synthetic demo data is `python -m demo generate` (the `demo` package, above this one).

Exit codes: 0 done; 2 bad arguments; 3 the data was refused or could not be read;
4 the run's parameters or setup cannot work (another experiment, an unfittable model);
5 the tracking server or its stores failed (the run is marked failed, no alias moves);
6 training finished but its completion point could not be written to Cloud Monitoring
(`TU_CLOUD_METRICS_MODE=on`; `dry-run` prints the request instead);
7 tuning finished but the refit of its winner (a `train` run) failed (its own error is above).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from contracts.cli import fail, option_errors, run_cli
from contracts.model_uri import default_model_uri
from mlflow_project.batch.cli import batch_predict
from mlflow_project.monitoring.cli import monitor
from mlflow_project.tracking_store import unreachable_server, use_tracking_store
from mlflow_project.training.config import RefitMode

if TYPE_CHECKING:
    import pandas as pd

    from mlflow_project.cloud_metrics.settings import CloudMetricsSettings
    from mlflow_project.training.job import TrainingOutcome
    from mlflow_project.training.tune import TuneOutcome

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
app.callback()(use_tracking_store)  # MLFLOW_TRACKING_URI unset: the project's store, said so

EXIT_DATA_REFUSED = 3
EXIT_CONFIGURATION = 4
EXIT_TRACKING = 5
EXIT_CLOUD_METRICS = 6
EXIT_REFIT = 7


def _default(field: str) -> Any:
    """A training parameter's default, defined once in `TrainConfig`."""
    from mlflow_project.training.config import TrainConfig

    return TrainConfig.model_fields[field].default


@app.command()
def train(
    data: Annotated[str, typer.Option(help="CSV/Parquet path or gs:// URI")],
    experiment_name: Annotated[str, typer.Option()] = _default("experiment_name"),
    stages: Annotated[int, typer.Option(help="2: kind, then urgency within it (needs slices)")]
    = _default("stages"),
    features: Annotated[str, typer.Option(help="word or word+char")] = _default("features"),
    c: Annotated[float, typer.Option("--C", help="inverse regularisation strength")]
    = _default("C"),
    max_features: Annotated[int, typer.Option()] = _default("max_features"),
    ngram_max: Annotated[int, typer.Option()] = _default("ngram_max"),
    char_ngram_max: Annotated[int, typer.Option()] = _default("char_ngram_max"),
    min_df: Annotated[int, typer.Option()] = _default("min_df"),
    class_weight: Annotated[str, typer.Option(help="balanced or none")]
    = _default("class_weight"),
    seed: Annotated[int, typer.Option()] = _default("seed"),
    eval_fraction: Annotated[float, typer.Option(
        help="share of tickets, by content hash, never trained on")] = _default("eval_fraction"),
    cv_folds: Annotated[int, typer.Option(help="folds that choose the threshold")]
    = _default("cv_folds"),
    target_recall: Annotated[float, typer.Option(help="urgent recall the threshold keeps")]
    = _default("target_recall"),
    max_reject_share: Annotated[float, typer.Option(help="refuse above this share")]
    = _default("max_reject_share"),
) -> None:
    """Validate, cross-validate, fit, evaluate, log, register and gate one model version;
    then report its completion to Cloud Monitoring when TU_CLOUD_METRICS_MODE says so."""
    from mlflow_project.cloud_metrics.settings import CloudMetricsSettings
    from mlflow_project.settings import ProjectSettings
    from mlflow_project.training.config import TrainConfig
    from mlflow_project.training.job import train as run_training

    _quiet_training_logs()
    settings = ProjectSettings.load()
    cloud = CloudMetricsSettings.load()
    try:
        config = TrainConfig(
            data=data, experiment_name=experiment_name, stages=stages, features=features, C=c,
            max_features=max_features, ngram_max=ngram_max, char_ngram_max=char_ngram_max,
            min_df=min_df, class_weight=class_weight, seed=seed, eval_fraction=eval_fraction,
            cv_folds=cv_folds, target_recall=target_recall, max_reject_share=max_reject_share)
    except ValidationError as exc:
        fail(f"invalid configuration: {option_errors(exc)}", 2)
    with _training_failures("training"):
        outcome = run_training(config, settings)
    _print_training(outcome, settings.model_name)
    _report_completion(outcome, settings.model_name, cloud)


def _print_training(outcome: TrainingOutcome, model_name: str) -> None:
    if outcome.duplicate_of is not None:
        typer.echo(f"run {outcome.run_id}: same data, code and parameters as version "
                   f"{outcome.duplicate_of}; nothing new registered")
        return
    metrics = {k: round(v, 4) for k, v in outcome.metrics.items() if "." not in k}
    typer.echo(f"run {outcome.run_id}: registered {model_name} version "
               f"{outcome.version}, threshold {outcome.threshold:.4f}, evaluation metrics "
               f"{metrics}")
    verdict = outcome.decision.summary if outcome.decision else "not judged"
    typer.echo(f"gate: {verdict}")


def _report_completion(outcome: TrainingOutcome, model_name: str,
                       cloud: CloudMetricsSettings) -> None:
    """The completion point to Cloud Monitoring as the settings say (a dry run prints it)."""
    from datetime import UTC, datetime

    from mlflow_project.cloud_metrics.settings import Mode
    from mlflow_project.cloud_metrics.writer import CloudMetricsError, as_json, publish
    from mlflow_project.training.completion import completion_point

    now = datetime.now(UTC)
    try:
        requests = publish([completion_point(outcome, model_name, now)], cloud, now)
    except CloudMetricsError as exc:
        fail(f"training finished, but its completion is not in Cloud Monitoring: {exc}",
             EXIT_CLOUD_METRICS)
    if cloud.mode is Mode.DRY_RUN:
        typer.echo(as_json(requests))


@app.command()
def tune(
    data: Annotated[str, typer.Option(help="CSV/Parquet path or gs:// URI")],
    experiment_name: Annotated[str, typer.Option()] = _default("experiment_name"),
    features: Annotated[str, typer.Option(help="comma-separated feature sets to try")]
    = "word,word+char",
    c_values: Annotated[str, typer.Option("--C", help="comma-separated C values to try")]
    = "0.25,1,4",
    eval_fraction: Annotated[float, typer.Option()] = _default("eval_fraction"),
    cv_folds: Annotated[int, typer.Option()] = _default("cv_folds"),
    seed: Annotated[int, typer.Option()] = _default("seed"),
    max_reject_share: Annotated[float, typer.Option()] = _default("max_reject_share"),
    refit: Annotated[RefitMode, typer.Option(
        help="auto: train (and gate) the winner when its paired fold gain over the default "
             "exceeds one standard error; never: only report")] = RefitMode.AUTO,
) -> None:
    """Cross-validate a grid of configurations (and the default) on the development rows;
    print the table, the winner and the default with their spread over the folds, and refit
    the winner through `train` only when it beats the default by more than the noise."""
    from mlflow_project.settings import ProjectSettings
    from mlflow_project.training.tune import TuneRequest
    from mlflow_project.training.tune import tune as run_tuning

    _quiet_training_logs()
    settings = ProjectSettings.load()
    try:
        request = TuneRequest(
            data=data, experiment_name=experiment_name,
            features=tuple(_split_list(features)),  # type: ignore[arg-type]
            c_values=tuple(float(c) for c in _split_list(c_values)),
            eval_fraction=eval_fraction, cv_folds=cv_folds, seed=seed,
            max_reject_share=max_reject_share, refit=refit)
        grid = request.grid()
    except (ValueError, ValidationError) as exc:
        fail(f"invalid configuration: {exc}", 2)
    typer.echo(f"trying {len(grid)} configurations with {cv_folds}-fold cross-validation")
    with _training_failures("tuning"):
        outcome = run_tuning(request, settings)
    _print_tuning(outcome, cv_folds)


def _print_tuning(outcome: TuneOutcome, folds: int) -> None:
    from mlflow_project.training.tune import SELECTION_METRIC

    shown = [c for c in outcome.table.columns if c in ("features", "C") or
             (c.startswith("cv.") and not c.endswith(".std"))]
    typer.echo(outcome.table[shown].to_string(index=False, float_format="%.4f"))
    decision, best = outcome.decision, outcome.best
    typer.echo(f"winner     {decision.winner.describe()} (mean ± std over {folds} folds)")
    if decision.runner_up is not None:
        typer.echo(f"runner-up  {decision.runner_up.describe()}")
    typer.echo(f"default    {decision.default.describe()}")
    typer.echo(decision.summary)
    typer.echo(f"run {outcome.run_id}: best by {SELECTION_METRIC}: train with "
               f"--features {best.features} --C {best.C:g}")
    if outcome.refit_run_id is not None:
        typer.echo(f"refitted the winner in training run {outcome.refit_run_id} (its gate "
                   "verdict is above)")
    elif decision.refit:
        typer.echo("not refitted (--refit never)")


def _split_list(value: str) -> list[str]:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ValueError(f"expected a comma-separated list, got {value!r}")
    return items


def _quiet_training_logs() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noise in ("The specified dataset source can be interpreted",
                  "Hint: Inferred schema contains integer"):
        warnings.filterwarnings("ignore", message=noise)


@contextmanager
def _training_failures(what: str) -> Iterator[None]:
    """Map the training job's failures to the documented exit codes, one line each."""
    from mlflow.exceptions import ExecutionException, MlflowException

    from mlflow_project.data.contract import ContractError
    from mlflow_project.data.dataset import DataRefused
    from mlflow_project.data.io import DataSourceError
    from mlflow_project.registry.lock import LockTimeout
    from mlflow_project.runs import WrongExperiment
    from mlflow_project.training.errors import ConfigurationError

    try:
        yield
    except (DataRefused, DataSourceError, ContractError) as exc:
        fail(f"{what} refused, nothing registered: {exc}", EXIT_DATA_REFUSED)
    except (ConfigurationError, WrongExperiment) as exc:
        fail(str(exc), EXIT_CONFIGURATION)
    except ExecutionException as exc:  # the refit's `train` run, which printed its own error
        fail(f"{what} finished, but refitting the winner failed: {exc.message}", EXIT_REFIT)
    except MlflowException as exc:
        fail(unreachable_server(exc) or f"the tracking server failed, no alias was moved: "
             f"{exc.message}", EXIT_TRACKING)
    except LockTimeout as exc:
        fail(f"{what} finished but @challenger was not moved: {exc}", EXIT_TRACKING)


@app.command()
def validate(
    data: Annotated[str, typer.Option(help="CSV/Parquet path or gs:// URI")],
    max_reject_share: Annotated[float, typer.Option(help="refuse above this share")] = 0.05,
    rejects: Annotated[Path | None, typer.Option(help="write the rejects table here")] = None,
) -> None:
    """Check a ticket file against the contract without training; print a JSON summary.

    Exits 3 when training would refuse the data (unreadable, empty, too many rejects, a class
    absent), so a pipeline can stop before it trains.
    """
    from mlflow_project.data.contract import ContractError
    from mlflow_project.data.csv_safety import neutralise_formulas
    from mlflow_project.data.dataset import DataRefused, check_trainable, load_tickets
    from mlflow_project.data.io import DataSourceError

    try:
        loaded = load_tickets(data)
    except (DataSourceError, ContractError) as exc:
        fail(f"data refused: {exc}", EXIT_DATA_REFUSED)
    validation = loaded.validation
    if rejects is not None:
        neutralise_formulas(validation.rejects).to_csv(rejects, index=False)
    typer.echo(json.dumps({
        "data": data, "sha256": loaded.sha256, "rows": validation.total_rows,
        "rejected_rows": validation.rejected_rows,
        "rejected_share": round(validation.rejected_share, 6),
        "urgent_rate": round(float(validation.valid["urgent"].mean()), 6)
        if len(validation.valid) else None,
    }))
    try:
        check_trainable(validation, max_reject_share)
    except DataRefused as exc:
        fail(f"data refused: {exc}", EXIT_DATA_REFUSED)


@app.command()
def snapshot(
    source: Annotated[str, typer.Option(help="file to copy: local path or gs:// URI")],
    dest: Annotated[str, typer.Option(help="where the copy goes: local path or gs:// URI")],
) -> None:
    """Copy a data file byte for byte, atomically, and print its SHA-256 as JSON.

    Pipelines train on the snapshot, never on a source that may change under them.
    """
    import hashlib

    from mlflow_project.data.io import DataSourceError, read_bytes, write_bytes

    try:
        payload = read_bytes(source)
        write_bytes(payload, dest)
    except DataSourceError as exc:
        fail(f"snapshot failed: {exc}", EXIT_DATA_REFUSED)
    typer.echo(json.dumps({"source": source, "path": dest, "bytes": len(payload),
                           "sha256": hashlib.sha256(payload).hexdigest()}))


@app.command("ensure-experiment")
def ensure_experiment_command(
    name: Annotated[str, typer.Option(help="experiment name")] = _default("experiment_name"),
) -> None:
    """Create the experiment if missing (artifacts beside a local SQLite store); print
    `experiment NAME: id N`.

    Run it before `mlflow run --experiment-name NAME` on a local store, which would otherwise
    create the experiment with artifacts in ./mlruns of the current directory.
    """
    from mlflow_project.runs import ensure_experiment
    from mlflow_project.settings import ProjectSettings

    experiment_id = ensure_experiment(name, ProjectSettings.load().artifact_root)
    typer.echo(f"experiment {name}: id {experiment_id}")


app.command("monitor")(monitor)
app.command("batch-predict")(batch_predict)


@app.command()
def predict(
    model_uri: Annotated[str | None, typer.Option(
        help="registry/run URI or folder; default: models:/<TU_MODEL_NAME>@production")]
    = None,
    data: Annotated[Path | None, typer.Option(help="CSV/Parquet of tickets; default: examples")]
    = None,
    url: Annotated[str | None, typer.Option(
        help="ask a running prediction service (e.g. http://127.0.0.1:8080) instead of "
             "loading the model here")] = None,
    wait: Annotated[float, typer.Option(help="with --url: seconds to wait for /ready")] = 60.0,
) -> None:
    """Print one JSON line of prediction per ticket, from a model loaded here or a service."""
    from mlflow_project.data.io import read_table
    from mlflow_project.training.packaging import INPUT_EXAMPLE

    tickets = read_table(str(data))[0] if data else INPUT_EXAMPLE
    records = tickets.to_dict(orient="records")
    answers = (_ask_service(url, records, wait) if url else
               _predict_here(model_uri or default_model_uri(), tickets))
    for ticket, answer in zip(records, answers, strict=True):
        typer.echo(json.dumps({"title": ticket.get("title"), **answer}))


def _predict_here(model_uri: str, tickets: pd.DataFrame) -> list[dict[str, object]]:
    import mlflow.pyfunc
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.registry.store import resolve_version

    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except MlflowException as exc:
        fail(unreachable_server(exc) or f"cannot load {model_uri}: {exc.message}", 1)
    resolved = resolve_version(MlflowClient(), model_uri)
    version = f"{resolved.name} v{resolved.version}" if resolved else model_uri
    predictions = model.predict(tickets)
    return [{"urgency_probability": round(float(p), 4), "urgent": int(u), "model": version}
            for p, u in zip(predictions["urgency_probability"], predictions["urgent"],
                            strict=True)]


def _ask_service(url: str, tickets: list[dict[Any, Any]],
                 wait: float) -> list[dict[str, object]]:
    """POST the tickets to a running service's /predict/batch once its /ready says yes."""
    import time
    import urllib.error
    import urllib.request

    base = url.rstrip("/")
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=5):
                break
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() > deadline:
                fail(f"{base} was not ready within {wait:.0f} s: {exc}", 1)
            time.sleep(0.5)
    fields = ("ticket_id", "title", "description", "source", "customer_tier")
    body = json.dumps({"tickets": [{k: t[k] for k in fields if t.get(k) is not None}
                                   for t in tickets]}).encode()
    request = urllib.request.Request(f"{base}/predict/batch", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        fail(f"{base} answered {exc.code}: {exc.read().decode(errors='replace')}", 1)
    model = f"{answer['model_name']} v{answer['model_version']} ({answer['variant']}, over HTTP)"
    return [{"urgency_probability": round(float(p["urgency_probability"]), 4),
             "urgent": int(p["urgent"]), "model": model} for p in answer["predictions"]]


def main() -> None:
    """The console script: the app, with credentials masked in any unexpected traceback."""
    run_cli(app, explain=unreachable_server)


if __name__ == "__main__":
    main()

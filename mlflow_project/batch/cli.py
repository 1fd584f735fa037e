"""`python -m mlflow_project.batch`: score a ticket file with a model from the registry.

The MLproject entry point `batch_predict` runs this command, and so does `make batch-predict`,
in one process with `--experiment-name`; either way the job is recorded on an MLflow run
(`mlflow_project.batch.tracking`). It prints one JSON line (counts, model version, seconds,
rows/s) on stdout, a one-line summary and a progress bar (when stderr is a terminal) on stderr.
Exit codes follow `ticket-urgency`'s and are listed in `batch_predict`'s help.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from contracts.cli import fail
from contracts.model_uri import default_model_uri
from mlflow_project.batch import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_REJECT_SHARE
from mlflow_project.tracking_store import unreachable_server

if TYPE_CHECKING:
    from mlflow_project.batch.job import BatchRequest, BatchSummary
    from mlflow_project.batch.scoring import ResolvedModel

EXIT_BAD_ARGUMENTS = 2
EXIT_DATA_REFUSED = 3
EXIT_SETUP = 4
EXIT_TRACKING = 5
EXIT_OUTPUT = 6


class Engine(StrEnum):
    """Where the job runs."""

    IN_PROCESS = "in-process"
    SPARK = "spark"


def batch_predict(
    input_uri: Annotated[str, typer.Option("--input", help="CSV/Parquet path or gs:// URI")],
    output_uri: Annotated[str, typer.Option(
        "--output", help="where predictions go (.parquet or .csv; path or gs:// URI); rejects go "
                         "to <output stem>.rejects.csv beside it")],
    model_uri: Annotated[str | None, typer.Option(
        help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/... (an alias is pinned once); "
             "default: models:/<TU_MODEL_NAME>@production")] = None,
    engine: Annotated[Engine, typer.Option(help="in-process: chunks in this process; spark: "
                                                "mlflow.pyfunc.spark_udf on Spark")]
    = Engine.IN_PROCESS,
    chunk_size: Annotated[int, typer.Option(min=1, help="rows per chunk (in-process)")]
    = DEFAULT_CHUNK_SIZE,
    max_reject_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="refuse the batch (no output) when more rows break the contract")]
    = DEFAULT_MAX_REJECT_SHARE,
    spark_master: Annotated[str | None, typer.Option(
        help="e.g. local[2]; default: spark-submit's (Dataproc: YARN), else local[*]")] = None,
    progress: Annotated[bool, typer.Option(help="progress bar on stderr (only on a terminal)")]
    = True,
    experiment_name: Annotated[str | None, typer.Option(
        help="record the job on a new run in this experiment (created if missing); under "
             "`mlflow run` the launched run is used; default: no run outside `mlflow run`")]
    = None,
) -> None:
    """Score every ticket of a file; write predictions, and the rows refused with reasons.

    Exit codes: 0 done; 2 bad arguments; 3 the data was refused or could not be read (no such
    file, empty, no rows, a required column missing, too many rejects: then only the rejects
    file is written); 4 no such model, version or alias, or Spark cannot start; 5 the tracking
    server failed; 6 the output could not be written. On a non-zero exit no output is created
    or changed.
    """
    from mlflow.exceptions import MlflowException

    from mlflow_project.batch.job import BatchRefused, BatchRequest, run_batch
    from mlflow_project.batch.scoring import ModelUnavailable, load_model, resolve_model
    from mlflow_project.batch.tracking import batch_run
    from mlflow_project.batch.writer import OutputUnwritable
    from mlflow_project.data.contract import ContractError
    from mlflow_project.data.io import DataSourceError
    from mlflow_project.runs import WrongExperiment

    _check_paths(input_uri, output_uri)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    request = BatchRequest(input_uri=input_uri, output_uri=output_uri, chunk_size=chunk_size,
                           max_reject_share=max_reject_share)
    params = {"input": input_uri, "output": output_uri, "model_uri": model_uri,
              "engine": engine.value, "chunk_size": chunk_size,
              "max_reject_share": max_reject_share, "spark_master": spark_master}
    try:
        with batch_run(experiment_name, params) as recorded:
            resolved = resolve_model(model_uri or default_model_uri())
            if engine is Engine.SPARK:
                summary = _run_spark(request, resolved, spark_master)
            else:
                _use_system_allocator_for_arrow()
                summary = run_batch(request, resolved, load_model(resolved),
                                    progress=progress and sys.stderr.isatty())
            if recorded:
                _record(summary)
    except WrongExperiment as exc:
        fail(str(exc), EXIT_SETUP)
    except (DataSourceError, ContractError) as exc:
        fail(f"data refused, nothing written: {exc}", EXIT_DATA_REFUSED)
    except BatchRefused as exc:
        fail(f"batch refused: {exc}", EXIT_DATA_REFUSED)
    except ModelUnavailable as exc:
        fail(f"no such model: {exc}", EXIT_SETUP)
    except MlflowException as exc:
        fail(unreachable_server(exc) or f"the tracking server failed: {exc.message}",
             EXIT_TRACKING)
    except (OutputUnwritable, OSError) as exc:
        fail(f"cannot write the output, nothing was published: {exc}", EXIT_OUTPUT)
    typer.echo(summary.to_json())
    version = f"version {summary.model_version}" if summary.model_version else summary.model_loaded
    typer.echo(f"scored {summary.scored} of {summary.rows_in} rows with {version} in "
               f"{summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s); "
               f"{summary.rejected_rows} rejected, reasons in {summary.rejects}", err=True)


def _use_system_allocator_for_arrow() -> None:
    """Arrow's buffers (the Parquet reader, each output chunk) from glibc's allocator, which
    gives freed chunks back: with mimalloc, Arrow's default here, the job's peak RSS was 8-9 MB
    higher on 200,050 rows (`make bench-batch`, whose goal is half the plain way's RSS)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _record(summary: BatchSummary) -> None:
    """Log the summary on the open run; the output is already published, so say so on failure."""
    from mlflow.exceptions import MlflowException

    from mlflow_project.batch.tracking import record_run

    try:
        record_run(summary)
    except MlflowException as exc:
        fail(f"the output is written, but recording the run failed: {exc.message}",
             EXIT_TRACKING)


def _run_spark(request: BatchRequest, resolved: ResolvedModel,
               master: str | None) -> BatchSummary:
    """The Spark engine (imported only when asked for: pyspark is an optional dependency)."""
    try:
        from mlflow_project.batch.spark import EngineUnavailable, run_spark_batch
    except ImportError as exc:
        fail(f"the spark engine needs pyspark: {exc}", EXIT_SETUP)
    try:
        return run_spark_batch(request, resolved, master=master)
    except EngineUnavailable as exc:
        fail(str(exc), EXIT_SETUP)


def _check_paths(input_uri: str, output_uri: str) -> None:
    from mlflow_project.batch.reader import table_format
    from mlflow_project.data.io import DataSourceError

    for name, uri in (("--input", input_uri), ("--output", output_uri)):
        try:
            table_format(uri)
        except DataSourceError as exc:
            raise typer.BadParameter(str(exc), param_hint=name) from exc
    from mlflow_project.batch.job import rejects_uri

    if os.path.abspath(input_uri) in {os.path.abspath(output_uri),
                                      os.path.abspath(rejects_uri(output_uri))}:
        raise typer.BadParameter("the output or its rejects file would overwrite the input",
                                 param_hint="--output")


app = typer.Typer(add_completion=False)
app.command()(batch_predict)

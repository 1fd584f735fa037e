"""The batch job on Spark: the same contract checks and pinned model, via `mlflow.pyfunc.spark_udf`.

For inputs larger than one machine. The session comes from `spark-submit` (on Dataproc: YARN)
unless `master` is given (`local[2]` here and in the tests). Executors run the project's own
`check_rows` (through `mapInPandas`) and the model's own `predict` (through `spark_udf`, in the
executors' Python: `env_manager="local"`, so the cluster's environment must carry the model's
pinned requirements; see the README), so both engines apply one definition of every rule.

Row numbers: Spark has no notion of a file's row number, so it is rebuilt. Each row carries the
file split it was read from (`_metadata.file_path`, `_metadata.file_block_start`) and its position
in its partition (`monotonically_increasing_id`); a split's rows are contiguous in one partition,
so counting rows per split and adding those counts up in file order numbers every row as the
in-process job does (across files in path order when the input is a folder). It costs one extra
pass over the input, not a sort.

CSV is read with `multiLine` (ticket descriptions may hold quoted line breaks), which makes each
CSV file one task: give Spark Parquet, or many CSV files, to spread a large input.

Outputs are Spark's: a folder of part files at the output URI, and the rejects as one CSV part in
the folder `<output stem>.rejects.csv`, written first. Spark's output committer publishes a
folder only when its job succeeds and marks it with `_SUCCESS`; readers should look for that.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType

from mlflow_project.batch.job import BatchRequest, BatchSummary, check_reject_share
from mlflow_project.batch.reader import table_format
from mlflow_project.batch.scoring import (
    LABEL,
    MODEL_VERSION,
    PROBABILITY,
    ModelUnavailable,
    ResolvedModel,
)
from mlflow_project.batch.validation import (
    ID_COLUMN,
    INPUT_COLUMNS,
    ROW_NUMBER,
    UNIQUE_RULE,
    check_rows,
    quoted,
    require_columns,
    ticket_ids,
)
from mlflow_project.data.column_types import check_column_types
from mlflow_project.data.contract import FEATURE_COLUMNS, REJECT_COLUMNS
from mlflow_project.data.csv_safety import neutralise_formulas
from mlflow_project.data.io import DataSourceError

APP_NAME = "ticket-urgency-batch"
RESULT_TYPE = f"{PROBABILITY} double, {LABEL} long"
TICKET, REJECT = "ticket", "reject"
# One row per input row (kind "ticket") and one per broken rule (kind "reject").
CHECKED_SCHEMA = StructType([
    StructField("kind", StringType(), False),
    StructField(ROW_NUMBER, LongType(), False),
    StructField("passed", BooleanType()),
    StructField(ID_COLUMN, StringType()),
    StructField("id_value", StringType()),
    *(StructField(column, StringType()) for column in FEATURE_COLUMNS),
    *(StructField(column, StringType()) for column in REJECT_COLUMNS[1:]),
])


class EngineUnavailable(RuntimeError):
    """Spark could not start (no Java, no cluster) or its job failed."""


def spark_session(master: str | None) -> SparkSession:
    """The job's session: spark-submit's configuration, or `master` when given.

    In local mode the Python workers run this interpreter (unless PYSPARK_PYTHON says otherwise),
    so they see the same packages as the driver; on a cluster the cluster's Python is used.
    """
    builder = SparkSession.builder.appName(APP_NAME)
    if master:
        builder = builder.master(master)
    if (master or "").startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this venv
    try:
        return builder.getOrCreate()
    except PySparkException as exc:
        raise EngineUnavailable(f"Spark cannot start (is Java 17 installed?): {exc}") from exc


def run_spark_batch(request: BatchRequest, resolved: ResolvedModel,
                    master: str | None = None) -> BatchSummary:
    """Score `request.input_uri` on Spark; same checks, outputs and errors as `run_batch`."""
    spark = spark_session(master)
    started = time.perf_counter()
    try:
        return _run(spark, request, resolved, started)
    except PySparkException as exc:
        raise EngineUnavailable(f"the Spark job failed: {_reason(exc)}") from exc


def _run(spark: SparkSession, request: BatchRequest, resolved: ResolvedModel,
         started: float) -> BatchSummary:
    predict = model_udf(spark, resolved)  # before anything is written: a missing model fails
    checked = check(with_row_numbers(read_tickets(spark, request.input_uri)))
    checked.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        tickets = checked.filter(F.col("kind") == TICKET)
        rejects = checked.filter(F.col("kind") == REJECT).select(*REJECT_COLUMNS).unionByName(
            repeated_id_rejects(tickets))
        rows_in = tickets.count()
        counts = rejects.agg(F.count("*").alias("lines"), F.countDistinct(ROW_NUMBER).alias("rows"))
        reject_lines, rejected_rows = counts.collect()[0]
        if rows_in == 0:
            raise DataSourceError(f"{request.input_uri}: the file has a header but no rows")
        write(rejects.repartition(1).sortWithinPartitions(ROW_NUMBER, "column"),
              request.rejects_uri)
        check_reject_share(rows_in, rejected_rows, request.max_reject_share)
        rejected = rejects.select(ROW_NUMBER).distinct()
        passed = tickets.filter(F.col("passed")).join(rejected, ROW_NUMBER, "left_anti")
        write(score(passed, predict, resolved.version), request.output_uri)
    finally:
        checked.unpersist()
    return BatchSummary(
        input=request.input_uri, output=request.output_uri, rejects=request.rejects_uri,
        model_uri=resolved.requested_uri, model_loaded=resolved.uri,
        model_version=resolved.version, rows_in=rows_in,
        scored=rows_in - rejected_rows, rejected_rows=rejected_rows, reject_lines=reject_lines,
        seconds=time.perf_counter() - started, engine="spark")


def read_tickets(spark: SparkSession, uri: str) -> DataFrame:
    """The input's scoring columns, each row tagged with its file split and partition position.

    CSV is parsed as the in-process job parses it: every column a string, RFC 4180 quoting,
    quoted line breaks allowed; a malformed line fails the job (FAILFAST) rather than being lost.
    Parquet columns of a type the contract cannot hold (a list title, binary ids) are refused
    (`ContractError`) before the cast to string would hide them.
    """
    try:
        if table_format(uri) == "csv":
            raw = spark.read.csv(uri, header=True, multiLine=True, escape='"', mode="FAILFAST")
        else:
            raw = spark.read.parquet(uri)
    except PySparkException as exc:
        raise DataSourceError(f"{uri}: cannot read: {_reason(exc)}") from exc
    if not raw.columns:
        raise DataSourceError(f"{uri}: the file is empty")
    require_columns(raw.columns)
    scored = StructType([f for f in raw.schema.fields if f.name in INPUT_COLUMNS])
    check_column_types(to_arrow_schema(scored), uri)  # CSV columns are all strings: a no-op
    return raw.select(*(F.col(c).cast("string") for c in INPUT_COLUMNS if c in raw.columns),
                      F.col("_metadata.file_path").alias("_file"),
                      F.col("_metadata.file_block_start").alias("_block"),
                      F.monotonically_increasing_id().alias("_position"))


def with_row_numbers(located: DataFrame) -> DataFrame:
    """Replace the split tags of `read_tickets` by each row's 1-based number in the input."""
    blocks = (located.groupBy("_file", "_block")
              .agg(F.min("_position").alias("_first"), F.count("*").alias("_rows"))
              .orderBy("_file", "_block").collect())
    offsets, total = [], 0
    for block in blocks:
        offsets.append((block["_file"], block["_block"], total - block["_first"] + 1))
        total += block["_rows"]
    table = located.sparkSession.createDataFrame(
        offsets, "_file string, _block long, _offset long")
    columns = [c for c in located.columns if not c.startswith("_")]
    return located.join(F.broadcast(table), ["_file", "_block"]).select(
        *columns, (F.col("_position") + F.col("_offset")).alias(ROW_NUMBER))


def check(numbered: DataFrame) -> DataFrame:
    """Apply the contract's row rules on the executors (`checked_records` per Arrow batch)."""
    return numbered.mapInPandas(_check_batches, CHECKED_SCHEMA)


def _check_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield checked_records(batch)


def checked_records(batch: pd.DataFrame) -> pd.DataFrame:
    """One "ticket" record per row (normalised fields when it passed) and one "reject" record
    per broken rule, in `CHECKED_SCHEMA`'s columns (missing values become nulls in Arrow).
    Pure pandas: Spark runs it on executors."""
    row_numbers = batch[ROW_NUMBER].to_numpy(dtype=np.int64)
    raw = batch.drop(columns=[ROW_NUMBER])
    ids = ticket_ids(raw)
    rows = check_rows(raw, row_numbers, ids)
    tickets = pd.DataFrame({
        "kind": TICKET, ROW_NUMBER: row_numbers,
        ID_COLUMN: ids.to_numpy(dtype=object),
        "id_value": quoted(raw[ID_COLUMN]).to_numpy() if ID_COLUMN in raw.columns else None,
    })
    passed = rows.tickets.drop(columns=[ID_COLUMN]).assign(passed=True)
    tickets = tickets.merge(passed, on=ROW_NUMBER, how="left")
    tickets["passed"] = tickets["passed"].notna()
    rejects = rows.rejects.assign(kind=REJECT)
    return pd.concat([tickets, rejects], ignore_index=True).reindex(columns=CHECKED_SCHEMA.names)


def repeated_id_rejects(tickets: DataFrame) -> DataFrame:
    """Reject lines for every row whose id an earlier row already had (as the contract)."""
    first_seen = Window.partitionBy(ID_COLUMN).orderBy(ROW_NUMBER)
    return (tickets.filter(F.col(ID_COLUMN).isNotNull())
            .withColumn("_occurrence", F.row_number().over(first_seen))
            .filter(F.col("_occurrence") > 1)
            .select(ROW_NUMBER, F.lit(ID_COLUMN).alias("column"),
                    F.lit(UNIQUE_RULE).alias("rule"), F.col("id_value").alias("value")))


def model_udf(spark: SparkSession, resolved: ResolvedModel) -> Callable[..., Column]:
    """The pinned model's `predict` as a Spark UDF returning (probability, label).

    `env_manager="local"`: executors use their own Python (which must carry the model's pinned
    requirements) rather than building a virtualenv per executor, which needs network and time.
    """
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.pyfunc.spark_udf(spark, resolved.uri, result_type=RESULT_TYPE,
                                       env_manager="local")
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ModelUnavailable(f"{resolved.uri}: {exc.message}") from exc
        raise


def score(passed: DataFrame, predict: Callable[..., Column], version: str | None) -> DataFrame:
    """Output rows in the in-process job's columns, scored by the model's `predict`."""
    prediction = predict(F.struct(*FEATURE_COLUMNS))
    return passed.select(
        F.coalesce(F.col(ID_COLUMN), F.col(ROW_NUMBER).cast("string")).alias(ID_COLUMN),
        ROW_NUMBER,
        prediction[PROBABILITY].alias(PROBABILITY),
        prediction[LABEL].alias(LABEL),
        F.lit(version).cast("string").alias(MODEL_VERSION))


def write(frame: DataFrame, uri: str) -> None:
    """Write a Spark output folder (Parquet, or CSV with a header and RFC 4180 quoting).

    CSV is for people, so its text cells go through `neutralise_formulas` on the executors, as
    the in-process writer does; Parquet keeps values exact.
    """
    if table_format(uri) == "csv":
        safe = frame.mapInPandas(_neutralised_batches, frame.schema)
        safe.write.mode("overwrite").csv(uri, header=True, escape='"')
    else:
        frame.write.mode("overwrite").parquet(uri)


def _neutralised_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield neutralise_formulas(batch)


def _reason(exc: BaseException) -> str:
    """The line of a Spark error that says what went wrong (a Python worker's exception, if any),
    rather than its JVM stack."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    python_errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
    return (python_errors or lines or [type(exc).__name__])[-1 if python_errors else 0]

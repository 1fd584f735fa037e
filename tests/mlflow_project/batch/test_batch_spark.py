"""The Spark engine (local[2]) gives the in-process engine's scores, rejects and row numbers.

One SparkSession serves every test here (start-up takes 10-20 s). Without pyspark or Java the
tests fail when CI=true and skip elsewhere, saying how to get them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlflow_project.batch.job import BatchRequest, run_batch
from mlflow_project.data.contract import ContractError
from mlflow_project.data.io import DataSourceError
from tests.mlflow_project.batch.conftest import RegisteredModel, files_in


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


if importlib.util.find_spec("pyspark") is None:
    _missing("pyspark is not installed: pip install -e '.[spark]'")

from pyspark.sql import SparkSession  # noqa: E402

from mlflow_project.batch.spark import run_spark_batch, spark_session  # noqa: E402


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """local[2], small shuffles, and splits small enough that one Parquet file is several tasks."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("Java 17 is not installed (apt-get install openjdk-17-jre-headless)")
    session = spark_session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "2")
    session.conf.set("spark.sql.files.maxPartitionBytes", "8k")
    session.conf.set("spark.sql.files.openCostInBytes", "0")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _spark_output(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder).sort_values("row_number").reset_index(drop=True)


def _spark_rejects(folder: Path) -> pd.DataFrame:
    (part,) = folder.glob("part-*.csv")
    return pd.read_csv(part, keep_default_na=False)


@pytest.mark.parametrize("fixture", ["messy_csv", "messy_parquet"])
def test_spark_gives_the_in_process_scores_rejects_and_row_numbers(
        spark: SparkSession, registered_model: RegisteredModel, request: pytest.FixtureRequest,
        fixture: str, out_dir: Path) -> None:
    source = request.getfixturevalue(fixture)
    local = BatchRequest(str(source), str(out_dir / "local.parquet"), chunk_size=64)
    on_spark = BatchRequest(str(source), str(out_dir / "spark.parquet"))
    expected = run_batch(local, registered_model.resolved, registered_model.model)
    summary = run_spark_batch(on_spark, registered_model.resolved, master="local[2]")
    output = _spark_output(out_dir / "spark.parquet")
    reference = pd.read_parquet(out_dir / "local.parquet")
    pd.testing.assert_frame_equal(output.drop(columns=["urgency_probability"]),
                                  reference.drop(columns=["urgency_probability"]))
    np.testing.assert_allclose(output["urgency_probability"], reference["urgency_probability"],
                               rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(_spark_rejects(out_dir / "spark.rejects.csv"),
                                  pd.read_csv(out_dir / "local.rejects.csv",
                                              keep_default_na=False))
    assert (summary.rows_in, summary.scored, summary.rejected_rows, summary.reject_lines) == (
        expected.rows_in, expected.scored, expected.rejected_rows, expected.reject_lines)
    assert (out_dir / "spark.parquet" / "_SUCCESS").exists()


def test_row_numbers_survive_a_file_read_as_several_splits(spark: SparkSession,
                                                           messy_parquet: Path) -> None:
    from mlflow_project.batch.spark import read_tickets, with_row_numbers

    located = read_tickets(spark, str(messy_parquet))
    assert located.rdd.getNumPartitions() > 1
    numbered = with_row_numbers(located).select("row_number", "ticket_id").toPandas()
    numbered = numbered.sort_values("row_number")
    expected = pd.read_parquet(messy_parquet, columns=["ticket_id"])
    assert numbered["row_number"].tolist() == list(range(1, len(expected) + 1))
    assert numbered["ticket_id"].tolist() == expected["ticket_id"].tolist()


@pytest.mark.parametrize(("content", "error", "message"), [
    (b"", DataSourceError, "the file is empty"),
    (b"id,subject\n1,hello\n", ContractError, r"missing required column\(s\): title"),
    (b"title,description,source,customer_tier\n", DataSourceError, "header but no rows"),
])
def test_bad_input_is_refused_and_nothing_is_written(
        spark: SparkSession, registered_model: RegisteredModel, out_dir: Path, content: bytes,
        error: type[Exception], message: str) -> None:
    source = out_dir / "bad.csv"
    source.write_bytes(content)
    with pytest.raises(error, match=message):
        run_spark_batch(BatchRequest(str(source), str(out_dir / "p.parquet")),
                        registered_model.resolved, master="local[2]")
    assert files_in(out_dir) == {"bad.csv"}


def test_spark_csv_outputs_neutralise_formulas_as_in_process(
        spark: SparkSession, registered_model: RegisteredModel, out_dir: Path) -> None:
    source = out_dir / "hostile.csv"
    pd.DataFrame({"ticket_id": ['=HYPERLINK("http://x","y")', "@SUM(A1)", "T-3"],
                  "title": ["VPN down"] * 3, "description": ["offline"] * 3,
                  "source": ["email", "email", "+cmd"], "customer_tier": ["premium"] * 3,
                  }).to_csv(source, index=False)
    run_spark_batch(BatchRequest(str(source), str(out_dir / "spark.csv"), max_reject_share=0.5),
                    registered_model.resolved, master="local[2]")
    (part,) = (out_dir / "spark.csv").glob("part-*.csv")
    output = pd.read_csv(part, keep_default_na=False).sort_values("row_number")
    assert output["ticket_id"].tolist() == ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)"]
    assert output["urgency_probability"].between(0, 1).all()  # numbers stay numbers
    assert _spark_rejects(out_dir / "spark.rejects.csv")["value"].tolist() == ["'+cmd"]


def test_spark_refuses_a_parquet_column_of_the_wrong_type(
        spark: SparkSession, registered_model: RegisteredModel, out_dir: Path) -> None:
    source = out_dir / "typed.parquet"
    pd.DataFrame({"ticket_id": ["T-1", "T-2"], "title": [["VPN", "down"], ["monitor"]],
                  "description": ["a", "b"], "source": ["email", "web"],
                  "customer_tier": ["premium", "standard"]}).to_parquet(source, index=False)
    with pytest.raises(ContractError, match=f"{source}: column 'title' has type list<"):
        run_spark_batch(BatchRequest(str(source), str(out_dir / "p.parquet")),
                        registered_model.resolved, master="local[2]")
    assert files_in(out_dir) == {"typed.parquet"}

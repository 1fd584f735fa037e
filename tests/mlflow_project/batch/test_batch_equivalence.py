"""The fast path (`make batch-predict`: one process, chunks) against the plain pyfunc way.

The plain way is what a user would write without the job: `mlflow.pyfunc.load_model(...)`, one
`predict` on the whole frame `pandas.read_csv` gives. Row by row, every ticket the job scores must
carry the plain way's probability and label for that row, and the job's rejects must be the data
contract applied to the whole file at once - though the job reads it in small chunks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from mlflow_project.data.contract import FEATURE_COLUMNS, LABEL_COLUMN, validate_tickets
from tests.mlflow_project.batch.conftest import (
    FAULTS,
    MODEL_URI,
    PYTHON,
    REPO,
    RegisteredModel,
    make_messy_tickets,
)

ROWS = 1_000
CHUNK = 64  # many chunks, faults on both sides of their boundaries


@pytest.fixture(scope="module")
def tickets_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 messy tickets (`FAULTS` and more) as CSV."""
    path = tmp_path_factory.mktemp("equivalence") / "tickets.csv"
    make_messy_tickets(rows=ROWS, seed=23).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fast_path(registered_model: RegisteredModel, tickets_csv: Path,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Output and rejects of the job run as `make batch-predict` runs it (one process)."""
    output = tmp_path_factory.mktemp("fast") / "predictions.parquet"
    result = subprocess.run(
        [PYTHON, "-m", "mlflow_project.batch", "--experiment-name", "equivalence",
         "--input", str(tickets_csv), "--output", str(output), "--model-uri", MODEL_URI,
         "--chunk-size", str(CHUNK), "--no-progress"],
        cwd=REPO, env=registered_model.env(), capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rejects = pd.read_csv(output.with_name("predictions.rejects.csv"), dtype={"value": str},
                          keep_default_na=False)
    return pd.read_parquet(output), rejects


def test_every_scored_row_has_the_plain_pyfunc_prediction(
        registered_model: RegisteredModel, tickets_csv: Path,
        fast_path: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    output, rejects = fast_path
    plain = mlflow.pyfunc.load_model(MODEL_URI).predict(pd.read_csv(tickets_csv))
    assert len(plain) == ROWS
    expected = plain.iloc[output["row_number"].to_numpy() - 1].reset_index(drop=True)
    np.testing.assert_array_equal(output["urgency_probability"].to_numpy(),
                                  expected["urgency_probability"].to_numpy(dtype=float))
    np.testing.assert_array_equal(output["urgent"].to_numpy(),
                                  expected["urgent"].to_numpy(dtype=np.int64))
    assert output["row_number"].is_monotonic_increasing
    assert set(output["row_number"]) | set(rejects["row_number"]) == set(range(1, ROWS + 1))
    assert not set(output["row_number"]) & set(rejects["row_number"])


def test_the_rejects_are_the_contract_applied_to_the_whole_file(
        tickets_csv: Path, fast_path: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, rejects = fast_path
    raw = pd.read_csv(tickets_csv, dtype=str, keep_default_na=False, na_values=[""])
    whole = validate_tickets(raw[["ticket_id", *FEATURE_COLUMNS]].assign(**{LABEL_COLUMN: 0}))
    assert {row for row, *_ in FAULTS} <= set(whole.rejects["row_number"])
    pd.testing.assert_frame_equal(rejects, whole.rejects.astype({"value": str}),
                                  check_dtype=False)

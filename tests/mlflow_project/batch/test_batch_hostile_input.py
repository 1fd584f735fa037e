"""Hostile and careless batch input: formulas in ids and values, typed columns of the wrong
type, `gs://` input without credentials."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlflow_project.batch.cli import app
from mlflow_project.batch.job import BatchRequest, run_batch
from mlflow_project.batch.reader import open_tickets
from mlflow_project.data.contract import ContractError
from tests.mlflow_project.batch.conftest import RegisteredModel, files_in

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+2", "\r=3+4"]
IDS = [value.strip() for value in FORMULAS]  # the contract strips ids: "\t=1+2" is "=1+2"


@pytest.fixture
def hostile_tickets() -> pd.DataFrame:
    """Six tickets whose ids start a formula, and one whose source does (a reject)."""
    rows = len(FORMULAS) + 1
    return pd.DataFrame({
        "ticket_id": [*FORMULAS, "T-7"],
        "title": ["VPN down"] * rows,
        "description": ["the whole office is offline"] * rows,
        "source": ["email"] * (rows - 1) + ["=cmd|' /C calc'!A0"],
        "customer_tier": ["premium"] * rows,
    })


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _score(tickets: pd.DataFrame, source: Path, output: Path, model: RegisteredModel) -> None:
    """Write `tickets` to `source` (CSV or Parquet by suffix) and batch-score it into `output`."""
    if source.suffix == ".csv":
        tickets.to_csv(source, index=False)
    else:
        tickets.to_parquet(source, index=False)
    run_batch(BatchRequest(str(source), str(output), max_reject_share=0.5), model.resolved,
              model.model)


def test_csv_outputs_neutralise_formulas(registered_model: RegisteredModel, out_dir: Path,
                                         hostile_tickets: pd.DataFrame) -> None:
    _score(hostile_tickets, out_dir / "in.parquet", out_dir / "p.csv", registered_model)
    header, *rows = _csv_cells(out_dir / "p.csv")
    ids = [row[header.index("ticket_id")] for row in rows]
    assert ids == ["'" + value for value in IDS]
    assert [row[header.index("urgency_probability")][0] for row in rows] == ["0"] * len(rows)
    header, *rejects = _csv_cells(out_dir / "p.rejects.csv")
    assert [(r[header.index("column")], r[header.index("value")]) for r in rejects] == [
        ("source", "'=cmd|' /C calc'!A0")]


def test_parquet_outputs_keep_values_exact(registered_model: RegisteredModel, out_dir: Path,
                                           hostile_tickets: pd.DataFrame) -> None:
    _score(hostile_tickets, out_dir / "in.csv", out_dir / "p.parquet", registered_model)
    assert pd.read_parquet(out_dir / "p.parquet")["ticket_id"].tolist() == IDS
    rejects = pd.read_csv(out_dir / "p.rejects.csv", keep_default_na=False)
    assert rejects["value"].tolist() == ["'=cmd|' /C calc'!A0"]  # the rejects are CSV: for people


@pytest.mark.parametrize(("column", "values"), [
    ("title", pa.array([["VPN", "down"], ["monitor"]])),
    ("ticket_id", pa.array([b"T-1", b"T-2"])),
    ("source", pa.array([{"name": "email"}, {"name": "web"}])),
])
def test_a_typed_column_of_the_wrong_type_is_refused_and_nothing_written(
        out_dir: Path, column: str, values: pa.Array) -> None:
    columns = {"ticket_id": pa.array(["T-1", "T-2"]), "title": pa.array(["VPN down", "Monitor"]),
               "description": pa.array(["a", "b"]), "source": pa.array(["email", "web"]),
               "customer_tier": pa.array(["premium", "standard"]), column: values}
    source = out_dir / "typed.parquet"
    pq.write_table(pa.table(columns), source)
    result = CliRunner().invoke(app, ["--input", str(source), "--output",
                                      str(out_dir / "p.parquet")])
    assert result.exit_code == 3, result.output
    stderr = " ".join(result.stderr.split())
    assert f"error: data refused, nothing written: {source}: column '{column}' has type" in stderr
    assert files_in(out_dir) == {"typed.parquet"}
    with pytest.raises(ContractError, match=f"column '{column}'"), \
            open_tickets(str(source), chunk_size=10):
        pass


def test_gcs_input_without_credentials_exits_3_in_one_line(
        tmp_path: Path, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STORAGE_EMULATOR_HOST", "CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    uri = "gs://tickets-bucket/tickets.csv"
    result = CliRunner().invoke(app, ["--input", uri, "--output", str(out_dir / "p.parquet")])
    assert result.exit_code == 3, result.output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: data refused, nothing written: {uri}: no Google "
                                "credentials to reach GCS")
    assert files_in(out_dir) == set()

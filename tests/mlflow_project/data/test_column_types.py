"""Parquet columns of a type the contract cannot hold are refused, not cast to text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlflow_project.data.contract import ContractError
from mlflow_project.data.dataset import load_tickets
from mlflow_project.data.io import read_table

BIN = Path(sys.executable).parent


def _columns(**overrides: pa.Array) -> dict[str, pa.Array]:
    columns = {
        "ticket_id": pa.array(["T-1", "T-2"]),
        "title": pa.array(["VPN down", "New monitor"]),
        "description": pa.array(["all offices", "please"]),
        "source": pa.array(["email", "web"]),
        "customer_tier": pa.array(["premium", "standard"]),
        "urgent": pa.array([1, 0]),
    }
    columns.update(overrides)
    return columns


def _parquet(tmp_path: Path, **overrides: pa.Array) -> Path:
    path = tmp_path / "tickets.parquet"
    pq.write_table(pa.table(_columns(**overrides)), path)
    return path


@pytest.mark.parametrize(("column", "values", "type_name"), [
    ("title", pa.array([["VPN", "down"], ["monitor"]]), "list<element: string>"),
    ("description", pa.array([{"text": "a"}, {"text": "b"}]), "struct<text: string>"),
    ("source", pa.array([b"email", b"web"]), "binary"),
    ("customer_tier", pa.array([1, 2]), "int64"),
    ("ticket_id", pa.array([b"T-1", b"T-2"]), "binary"),
    ("ticket_id", pa.array([["T-1"], ["T-2"]]), "list<element: string>"),
    ("urgent", pa.array([[1], [0]]), "list<element: int64>"),
])
def test_a_contract_column_of_the_wrong_type_is_refused_naming_it(
        tmp_path: Path, column: str, values: pa.Array, type_name: str) -> None:
    path = _parquet(tmp_path, **{column: values})
    with pytest.raises(ContractError) as caught:
        read_table(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: column '{column}' has type {type_name}")
    assert "the contract needs" in message


def test_usable_types_are_accepted(tmp_path: Path) -> None:
    path = _parquet(tmp_path, ticket_id=pa.array([7, 8]), urgent=pa.array([True, False]),
                    description=pa.array([None, None], type=pa.null()),
                    source=pa.array(["email", "web"]).dictionary_encode(),
                    created_at=pa.array([1, 2], type=pa.timestamp("s")),
                    extra=pa.array([[1], [2]]))  # outside the contract: not judged
    loaded = load_tickets(str(path))
    assert len(loaded.validation.valid) == 2
    assert loaded.validation.valid["source"].tolist() == ["email", "web"]


def test_validate_exits_3_on_a_list_column(tmp_path: Path) -> None:
    path = _parquet(tmp_path, title=pa.array([["VPN"], ["monitor"]]))
    result = subprocess.run([str(BIN / "ticket-urgency"), "validate", "--data", str(path)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr
    assert f"data refused: {path}: column 'title' has type list<element: string>" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""

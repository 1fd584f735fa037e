"""Tests for loading ticket files onto the contract and the fit-for-training check."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mlflow_project.data.contract import REQUIRED_COLUMNS, validate_tickets
from mlflow_project.data.dataset import DataRefused, check_trainable, load_tickets
from mlflow_project.data.io import DataSourceError, write_table


def contract_frame(labels: list[object], **columns: list[object]) -> pd.DataFrame:
    """A contract-shaped table with one ticket per label; columns may be replaced."""
    rows = len(labels)
    base: dict[str, list[object]] = {
        "ticket_id": [f"T-{i}" for i in range(rows)],
        "title": [f"title {i}" for i in range(rows)],
        "description": [f"description {i}" for i in range(rows)],
        "source": ["email"] * rows,
        "customer_tier": ["standard"] * rows,
        "urgent": labels,
    }
    base.update(columns)
    return pd.DataFrame(base)


def endava_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "title": ["vpn down", "", "new laptop", "strange"],
        "body": ["cannot connect", "server crashed", "need laptop", "something"],
        "ticket_type": [0, 0, 1, 0],
        "category": [4, 4, 5, 4],
        "urgency": [0, 2, 3, 9],
    })


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_load_endava_export_maps_and_validates(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"endava{suffix}"
    write_table(endava_frame(), str(path))
    loaded = load_tickets(str(path))

    assert loaded.uri == str(path)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    result = loaded.validation
    assert result.total_rows == 4
    assert result.rejects["row_number"].tolist() == [4]  # urgency 9 has no label
    assert result.rejects["column"].tolist() == ["urgent"]
    valid = result.valid
    assert valid["urgent"].tolist() == [1, 0, 0]
    assert valid["description"].tolist() == ["cannot connect", "server crashed", "need laptop"]
    assert valid["title"].tolist() == ["vpn down", "", "new laptop"]
    assert valid["slice"].tolist() == ["incident", "incident", "request"]
    assert set(valid["source"]) == {"unknown"}


def test_load_contract_table_validates_without_the_adapter(tmp_path: Path) -> None:
    raw = contract_frame([1, 0, "yes", 0], source=["EMAIL", "web", "web", None])
    path = tmp_path / "tickets.csv"
    write_table(raw, str(path))
    loaded = load_tickets(str(path))

    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    result = loaded.validation
    assert result.total_rows == 4
    assert result.rejects["row_number"].tolist() == [3]
    assert result.valid["ticket_id"].tolist() == ["T-0", "T-1", "T-3"]
    assert result.valid["source"].tolist() == ["email", "web", "unknown"]
    assert "slice" not in result.valid.columns


def test_load_missing_file_raises_data_source_error(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="no such file"):
        load_tickets(str(tmp_path / "absent.csv"))


def test_accepts_good_data() -> None:
    result = validate_tickets(contract_frame([0, 1, 0, 1]))
    check_trainable(result, max_reject_share=0.0)


def test_refuses_empty_data() -> None:
    result = validate_tickets(pd.DataFrame(columns=list(REQUIRED_COLUMNS)))
    with pytest.raises(DataRefused, match="no rows"):
        check_trainable(result, max_reject_share=0.5)


def test_refuses_too_many_rejects_giving_counts_and_share() -> None:
    labels: list[object] = [0, 1, "x", 0, 1, 0, 1, "bad"]  # 2 of 8 rows broken: 25.0%
    result = validate_tickets(contract_frame(labels))
    with pytest.raises(DataRefused) as caught:
        check_trainable(result, max_reject_share=0.2)
    message = str(caught.value)
    assert "2 of 8 rows" in message
    assert "25.0%" in message
    assert "20.0%" in message


def test_reject_share_equal_to_the_limit_is_allowed() -> None:
    labels: list[object] = [0, 1, "x", 0]  # 1 of 4 rows broken: exactly 25%
    result = validate_tickets(contract_frame(labels))
    check_trainable(result, max_reject_share=0.25)


def test_all_rows_rejected_is_refused_for_rejects_not_for_classes() -> None:
    result = validate_tickets(contract_frame(["x", "y"]))
    with pytest.raises(DataRefused, match="2 of 2 rows"):
        check_trainable(result, max_reject_share=0.5)


@pytest.mark.parametrize(("labels", "absent"), [
    ([0, 0, 0], "urgent (1)"),
    ([1, 1], "not urgent (0)"),
])
def test_refuses_data_missing_a_class_and_names_it(labels: list[object], absent: str) -> None:
    result = validate_tickets(contract_frame(labels))
    with pytest.raises(DataRefused, match="absent") as caught:
        check_trainable(result, max_reject_share=0.5)
    assert absent in str(caught.value)


def test_class_present_only_in_rejected_rows_counts_as_absent() -> None:
    result = validate_tickets(contract_frame([0, 0, 0, 1], source=["web", "web", "web", "fax"]))
    with pytest.raises(DataRefused, match=r"urgent \(1\)"):
        check_trainable(result, max_reject_share=0.5)

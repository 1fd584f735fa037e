"""Tests for the Endava export adapter, on constructed exports and on the real shared file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlflow_project.data.contract import (
    CONTRACT_COLUMNS,
    UNKNOWN,
    ContractError,
    validate_tickets,
)
from mlflow_project.data.dataset import load_tickets
from mlflow_project.data.endava import ENDAVA_COLUMNS, endava_to_contract, is_endava_export

REAL_ROWS = 4390
REAL_URGENT = 259


def export(**columns: list[object]) -> pd.DataFrame:
    """A small Endava-shaped export as read from CSV (every cell text); columns may be replaced."""
    base: dict[str, list[object]] = {
        "title": ["vpn down", "", "new laptop", "printer jam", "access request", "weird"],
        "body": ["cannot connect", "server crashed", "need laptop", "paper stuck",
                 "please grant access", "something"],
        "ticket_type": ["0", "0", "1", "0", "1", "0"],
        "category": ["4", "4", "5", "6", "5", "4"],
        "urgency": ["0", "1", "3", "2", "3", "7"],
        "impact": ["4", "4", "4", "4", "4", "4"],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_urgency_zero_and_one_are_urgent_two_and_three_are_not() -> None:
    mapped = endava_to_contract(export())
    assert mapped["urgent"].tolist()[:5] == [1, 1, 0, 0, 0]


@pytest.mark.parametrize("urgency", ["7", "-1", "high", "", None, "1.5"])
def test_urgency_outside_zero_to_three_gives_missing_label(urgency: object) -> None:
    mapped = endava_to_contract(export(urgency=["0", "1", "3", "2", "3", urgency]))
    assert pd.isna(mapped["urgent"].iloc[5])
    assert mapped["urgent"].iloc[:5].notna().all()


def test_urgency_given_as_numbers_maps_like_text() -> None:
    mapped = endava_to_contract(export(urgency=[0, 1, 3, 2, 3.0, 1.0]))
    assert mapped["urgent"].tolist() == [1, 1, 0, 0, 0, 1]


def test_out_of_range_urgency_is_rejected_by_the_contract() -> None:
    result = validate_tickets(endava_to_contract(export()))
    assert result.rejects["row_number"].tolist() == [6]
    assert result.rejects["column"].tolist() == ["urgent"]
    assert len(result.valid) == 5
    assert "END-00006" not in set(result.valid["ticket_id"])


def test_ticket_type_gives_incident_and_request_slices() -> None:
    mapped = endava_to_contract(export())
    assert mapped["slice"].tolist() == ["incident", "incident", "request", "incident",
                                        "request", "incident"]


@pytest.mark.parametrize("ticket_type", ["2", "x", "", None])
def test_unknown_ticket_type_gives_unknown_slice(ticket_type: object) -> None:
    mapped = endava_to_contract(export(ticket_type=["0", "1", ticket_type, "0", "1", "0"]))
    assert mapped["slice"].iloc[2] == UNKNOWN
    assert mapped["slice"].iloc[0] == "incident"
    assert mapped["slice"].iloc[1] == "request"


def test_ticket_type_given_as_integers_maps_to_slices() -> None:
    mapped = endava_to_contract(export(ticket_type=[0, 1, 1, 0, 1, 0]))
    assert mapped["slice"].tolist()[:3] == ["incident", "request", "request"]


def test_ticket_type_codes_read_as_floats_still_map_to_slices() -> None:
    # An integer column with a gap (e.g. from Parquet or a plain pd.read_csv) becomes float.
    mapped = endava_to_contract(export(ticket_type=[0.0, 1.0, np.nan, 0.0, 1.0, 0.0]))
    assert mapped["slice"].tolist()[:3] == ["incident", "request", UNKNOWN]


def test_contract_columns_and_fixed_values() -> None:
    raw = export()
    mapped = endava_to_contract(raw)
    assert set(mapped.columns) <= set(CONTRACT_COLUMNS)
    assert mapped["description"].tolist() == raw["body"].tolist()
    assert mapped["title"].tolist() == raw["title"].tolist()
    assert (mapped["source"] == UNKNOWN).all()
    assert (mapped["customer_tier"] == UNKNOWN).all()
    assert mapped["ticket_id"].tolist() == [f"END-{i:05d}" for i in range(1, len(raw) + 1)]
    assert "category" not in mapped.columns


def test_empty_title_is_kept_as_empty_string() -> None:
    mapped = endava_to_contract(export())
    assert mapped["title"].iloc[1] == ""
    result = validate_tickets(mapped)
    assert "END-00002" in set(result.valid["ticket_id"])
    assert result.valid.set_index("ticket_id").loc["END-00002", "title"] == ""


def test_adapter_does_not_modify_its_input() -> None:
    raw = export()
    before = raw.copy()
    endava_to_contract(raw)
    pd.testing.assert_frame_equal(raw, before)


@pytest.mark.parametrize("column", ENDAVA_COLUMNS)
def test_adapter_refuses_a_table_missing_an_endava_column(column: str) -> None:
    with pytest.raises(ContractError, match=column):
        endava_to_contract(export().drop(columns=[column]))


def test_is_endava_export_recognises_the_export() -> None:
    assert is_endava_export(export())


@pytest.mark.parametrize("column", ENDAVA_COLUMNS)
def test_is_endava_export_needs_every_endava_column(column: str) -> None:
    assert not is_endava_export(export().drop(columns=[column]))


def test_is_endava_export_is_false_for_contract_tables() -> None:
    contract = endava_to_contract(export())
    assert not is_endava_export(contract)
    assert not is_endava_export(export().assign(urgent=1))


@pytest.mark.realdata
def test_real_endava_file_maps_onto_the_contract(endava_csv: Path) -> None:
    loaded = load_tickets(str(endava_csv))
    result = loaded.validation
    valid = result.valid

    assert result.total_rows == REAL_ROWS
    assert len(result.rejects) == 0, result.rejects.head(20).to_string()
    assert len(valid) == REAL_ROWS
    assert int(valid["urgent"].sum()) == REAL_URGENT
    assert set(valid["slice"]) == {"incident", "request"}
    # SOURCE.md: every request has urgency 3, so urgency only varies among incidents.
    assert (valid.loc[valid["slice"] == "request", "urgent"] == 0).all()
    assert valid.loc[valid["slice"] == "incident", "urgent"].nunique() == 2
    assert 80 <= int((valid["title"] == "").sum()) <= 140
    assert (valid["description"] != "").all()
    assert set(valid["source"]) == {UNKNOWN}
    assert set(valid["customer_tier"]) == {UNKNOWN}
    assert valid["ticket_id"].is_unique

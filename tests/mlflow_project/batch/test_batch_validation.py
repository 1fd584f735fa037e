"""The contract applied chunk by chunk to unlabelled tickets equals it applied to the whole file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlflow_project.batch.validation import (
    SeenIds,
    check_chunk,
    require_columns,
    ticket_ids,
)
from mlflow_project.data.contract import ContractError, validate_tickets
from tests.mlflow_project.batch.conftest import FAULTS, make_messy_tickets


def _chunked(raw: pd.DataFrame, size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    seen = SeenIds()
    checks = [check_chunk(raw.iloc[start:start + size], start + 1, seen)
              for start in range(0, len(raw), size)]
    tickets = pd.concat([c.tickets for c in checks], ignore_index=True)
    rejects = pd.concat([c.rejects for c in checks], ignore_index=True)
    return tickets, rejects


@pytest.mark.parametrize("size", [7, 64, 333, 10_000])
def test_chunked_check_equals_the_contract_on_the_whole_file(size: int) -> None:
    raw = make_messy_tickets().drop(columns=["urgent", "created_at"])
    whole = validate_tickets(raw.assign(urgent=0))
    tickets, rejects = _chunked(raw, size)
    expected = whole.rejects.astype({"row_number": "int64"})
    pd.testing.assert_frame_equal(rejects.astype({"row_number": "int64"}), expected,
                                  check_dtype=False)
    kept = np.setdiff1d(np.arange(1, len(raw) + 1), expected["row_number"])
    assert tickets["row_number"].tolist() == kept.tolist()
    for column in ("title", "description", "source", "customer_tier"):
        assert tickets[column].tolist() == whole.valid[column].tolist(), column


def test_every_planted_fault_is_rejected_with_its_rule() -> None:
    _, rejects = _chunked(make_messy_tickets(), 50)
    lines = set(zip(rejects["row_number"], rejects["column"], rejects["rule"], strict=True))
    assert lines == {(row, column, rule) for row, _, _, column, rule in FAULTS}


def test_the_label_is_neither_required_nor_judged() -> None:
    raw = make_messy_tickets().head(30)
    with_garbage_label = check_chunk(raw, 1, SeenIds())
    without_label = check_chunk(raw.drop(columns=["urgent"]), 1, SeenIds())
    assert "urgent" not in set(with_garbage_label.rejects["column"])
    pd.testing.assert_frame_equal(with_garbage_label.tickets, without_label.tickets)


def test_a_broken_created_at_does_not_stop_a_ticket_from_being_scored() -> None:
    raw = make_messy_tickets().head(30).assign(created_at="not a time")
    checked = check_chunk(raw, 1, SeenIds())
    assert checked.rejects["row_number"].tolist() == [4, 11]  # the planted faults only
    assert len(checked.tickets) == 28


def test_a_header_without_a_model_column_names_what_is_missing_and_found() -> None:
    with pytest.raises(ContractError, match=r"missing required column\(s\): description, "
                                            r"source; .*the file has: id, title, tier"):
        require_columns(["id", "title", "tier", "customer_tier"])
    require_columns(["title", "description", "source", "customer_tier"])  # no id, no label: ok


def test_seen_ids_find_repeats_within_and_across_chunks_but_never_for_missing_ids() -> None:
    seen = SeenIds()
    first = seen.repeated(pd.Series(["a", "b", "a", None, None], dtype="string"))
    second = seen.repeated(pd.Series(["c", "b", None, "c"], dtype="string"))
    assert first.tolist() == [False, False, True, False, False]
    assert second.tolist() == [False, True, False, True]


def test_ticket_ids_are_stripped_and_empty_means_none() -> None:
    raw = pd.DataFrame({"ticket_id": [" A-1 ", "", None, 7]})
    assert ticket_ids(raw).tolist() == ["A-1", pd.NA, pd.NA, "7"]
    assert ticket_ids(pd.DataFrame({"title": ["x"]})).isna().all()

"""Tests for the ticket data contract: every rule, row numbering, normalisation, edge frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlflow_project.data.contract import (
    CONTRACT_COLUMNS,
    CUSTOMER_TIERS,
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    REJECT_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCES,
    UNKNOWN,
    ContractError,
    validate_tickets,
)


def ticket(**overrides: Any) -> dict[str, Any]:
    """A contract-valid ticket; keyword arguments replace single fields."""
    row: dict[str, Any] = {
        "ticket_id": "T-1",
        "title": "VPN down",
        "description": "Nobody can connect to the VPN.",
        "source": "email",
        "customer_tier": "premium",
        "urgent": 1,
        "created_at": "2026-01-01T10:00:00Z",
    }
    row.update(overrides)
    return row


def frame_with_bad_row(position: int, bad: dict[str, Any], rows: int = 5) -> pd.DataFrame:
    """`rows` good tickets with unique ids, the one at 0-based `position` carrying `bad`."""
    records = [ticket(ticket_id=f"T-{i}") for i in range(rows)]
    records[position] = {**records[position], **bad}
    return pd.DataFrame(records)


BROKEN_ROWS = [
    pytest.param({"title": "", "description": ""}, "title,description", "non-empty",
                 id="title-and-description-empty"),
    pytest.param({"title": "   ", "description": None}, "title,description", "non-empty",
                 id="title-blank-description-missing"),
    pytest.param({"title": "x" * (MAX_TITLE_CHARS + 1)}, "title", str(MAX_TITLE_CHARS),
                 id="title-too-long"),
    pytest.param({"description": "y" * (MAX_DESCRIPTION_CHARS + 1)}, "description",
                 str(MAX_DESCRIPTION_CHARS), id="description-too-long"),
    pytest.param({"source": "fax"}, "source", "must be one of", id="bad-source"),
    pytest.param({"customer_tier": "gold"}, "customer_tier", "must be one of", id="bad-tier"),
    pytest.param({"urgent": None}, "urgent", "0 or 1", id="label-missing"),
    pytest.param({"urgent": np.nan}, "urgent", "0 or 1", id="label-nan"),
    pytest.param({"urgent": ""}, "urgent", "0 or 1", id="label-empty-string"),
    pytest.param({"urgent": 2}, "urgent", "0 or 1", id="label-2"),
    pytest.param({"urgent": "2"}, "urgent", "0 or 1", id="label-string-2"),
    pytest.param({"urgent": 0.5}, "urgent", "0 or 1", id="label-0.5"),
    pytest.param({"urgent": -1}, "urgent", "0 or 1", id="label-minus-1"),
    pytest.param({"urgent": "yes"}, "urgent", "0 or 1", id="label-yes"),
    pytest.param({"created_at": "yesterday at noon"}, "created_at", "ISO-8601",
                 id="unparsable-created-at"),
    pytest.param({"created_at": "2026-13-45T99:00:00Z"}, "created_at", "ISO-8601",
                 id="impossible-created-at"),
    pytest.param({"ticket_id": "T-0"}, "ticket_id", "unique", id="duplicate-ticket-id"),
]


@pytest.mark.parametrize(("bad", "column", "rule_part"), BROKEN_ROWS)
@pytest.mark.parametrize("position", [1, 3])
def test_broken_row_is_reported_with_row_number_column_rule_and_removed(
        bad: dict[str, Any], column: str, rule_part: str, position: int) -> None:
    raw = frame_with_bad_row(position, bad)
    result = validate_tickets(raw)

    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    assert len(result.rejects) == 1
    reject = result.rejects.iloc[0]
    assert reject["row_number"] == position + 1  # 1-based data rows
    assert reject["column"] == column
    assert rule_part in reject["rule"]
    assert result.total_rows == len(raw)
    assert result.rejected_rows == 1
    assert result.rejected_share == pytest.approx(1 / len(raw))
    assert len(result.valid) == len(raw) - 1
    bad_id = raw.loc[position, "ticket_id"]
    kept_ids = list(result.valid["ticket_id"])
    if column == "ticket_id":
        assert kept_ids.count(bad_id) == 1, "the first occurrence of a duplicate id is kept"
    else:
        assert bad_id not in kept_ids


def test_reject_value_shows_the_offending_input() -> None:
    result = validate_tickets(frame_with_bad_row(2, {"source": "Carrier Pigeon"}))
    assert result.rejects.loc[0, "value"] == "Carrier Pigeon"


def test_reject_value_is_truncated_to_80_characters() -> None:
    long_source = "s" * 300
    result = validate_tickets(frame_with_bad_row(0, {"source": long_source}))
    assert result.rejects.loc[0, "value"] == long_source[:80]


def test_texts_exactly_at_the_length_limits_are_valid() -> None:
    raw = pd.DataFrame([ticket(title="x" * MAX_TITLE_CHARS,
                               description="y" * MAX_DESCRIPTION_CHARS)])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert len(result.valid) == 1


def test_length_is_measured_after_stripping_whitespace() -> None:
    raw = pd.DataFrame([ticket(title="  " + "x" * MAX_TITLE_CHARS + "  ")])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert result.valid.loc[0, "title"] == "x" * MAX_TITLE_CHARS


@pytest.mark.parametrize("kept", [{"title": ""}, {"description": ""}, {"title": None}])
def test_one_empty_text_field_is_allowed(kept: dict[str, Any]) -> None:
    result = validate_tickets(pd.DataFrame([ticket(**kept)]))
    assert len(result.rejects) == 0
    assert len(result.valid) == 1


def test_several_rows_with_empty_title_and_description_are_all_rejected() -> None:
    raw = pd.DataFrame([
        ticket(ticket_id="A", title="", description=""),
        ticket(ticket_id="B"),
        ticket(ticket_id="C", title=None, description="   "),
    ])
    result = validate_tickets(raw)
    assert list(result.rejects["row_number"]) == [1, 3]
    assert set(result.rejects["column"]) == {"title,description"}
    assert list(result.valid["ticket_id"]) == ["B"]


def test_row_breaking_two_rules_gives_two_lines_but_counts_once() -> None:
    raw = frame_with_bad_row(1, {"source": "fax", "urgent": "yes"}, rows=4)
    result = validate_tickets(raw)

    assert len(result.rejects) == 2
    assert set(result.rejects["row_number"]) == {2}
    assert set(result.rejects["column"]) == {"source", "urgent"}
    assert result.rejected_rows == 1
    assert result.rejected_share == pytest.approx(1 / 4)
    assert len(result.valid) == 3


def test_rejects_are_ordered_by_row_number() -> None:
    records = [ticket(ticket_id=f"T-{i}") for i in range(6)]
    records[4]["source"] = "fax"
    records[1]["urgent"] = "maybe"
    records[2]["customer_tier"] = "gold"
    result = validate_tickets(pd.DataFrame(records))
    assert list(result.rejects["row_number"]) == [2, 3, 5]
    assert result.rejected_rows == 3
    assert result.rejected_share == pytest.approx(3 / 6)


def test_row_numbers_ignore_the_input_index() -> None:
    raw = frame_with_bad_row(2, {"customer_tier": "gold"})
    raw.index = [10, 20, 30, 40, 50]
    result = validate_tickets(raw)
    assert list(result.rejects["row_number"]) == [3]


def test_all_valid_rows_give_no_rejects() -> None:
    raw = pd.DataFrame([ticket(ticket_id=f"T-{i}") for i in range(3)])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    assert result.rejected_rows == 0
    assert result.rejected_share == 0.0
    assert len(result.valid) == 3


def test_source_and_tier_are_lower_cased_and_stripped() -> None:
    raw = pd.DataFrame([
        ticket(ticket_id="A", source="  EMAIL ", customer_tier="Premium"),
        ticket(ticket_id="B", source="Chat", customer_tier=" STANDARD  "),
    ])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert list(result.valid["source"]) == ["email", "chat"]
    assert list(result.valid["customer_tier"]) == ["premium", "standard"]


@pytest.mark.parametrize("missing", [None, np.nan, "", "   "])
def test_missing_source_and_tier_become_unknown(missing: object) -> None:
    raw = pd.DataFrame([ticket(source=missing, customer_tier=missing)])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert result.valid.loc[0, "source"] == UNKNOWN
    assert result.valid.loc[0, "customer_tier"] == UNKNOWN


def test_pandas_na_in_a_string_column_counts_as_missing_category() -> None:
    raw = pd.DataFrame([ticket(ticket_id="A"), ticket(ticket_id="B", source=None)])
    raw["source"] = raw["source"].astype("string")  # missing becomes pd.NA
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert list(result.valid["source"]) == ["email", UNKNOWN]


def test_an_unhashable_category_value_is_rejected_like_any_other() -> None:
    raw = pd.DataFrame([ticket(ticket_id="A"), ticket(ticket_id="B", source=["email"])])
    result = validate_tickets(raw)
    assert result.rejects[["row_number", "column", "value"]].values.tolist() == [
        [2, "source", "['email']"]]
    assert list(result.valid["ticket_id"]) == ["A"]


def test_each_distinct_category_value_is_normalised_once_and_mapped_back_to_its_rows() -> None:
    sources = [" Web", "phone", None, " Web", "PHONE ", "fax", "phone"]
    raw = pd.DataFrame([ticket(ticket_id=f"T-{i}", source=s) for i, s in enumerate(sources)])
    result = validate_tickets(raw)
    assert result.rejects[["row_number", "value"]].values.tolist() == [[6, "fax"]]
    assert list(result.valid["source"]) == ["web", "phone", UNKNOWN, "web", "phone", "phone"]


def test_every_contract_category_value_is_accepted() -> None:
    records = [ticket(ticket_id=f"S-{s}", source=s) for s in SOURCES]
    records += [ticket(ticket_id=f"C-{t}", customer_tier=t) for t in CUSTOMER_TIERS]
    result = validate_tickets(pd.DataFrame(records))
    assert len(result.rejects) == 0
    assert len(result.valid) == len(records)


@pytest.mark.parametrize(("given", "expected"), [
    (1, 1), (0, 0), ("1", 1), ("0", 0), ("1.0", 1), ("0.0", 0), (1.0, 1), (0.0, 0),
])
def test_label_spellings_of_zero_and_one_are_accepted(given: object, expected: int) -> None:
    result = validate_tickets(pd.DataFrame([ticket(urgent=given)]))
    assert len(result.rejects) == 0
    assert result.valid.loc[0, "urgent"] == expected


def test_urgent_column_of_valid_rows_is_int64() -> None:
    raw = pd.DataFrame([ticket(ticket_id="A", urgent="1.0"), ticket(ticket_id="B", urgent="0"),
                        ticket(ticket_id="C", urgent="yes")])
    result = validate_tickets(raw)
    assert result.valid["urgent"].dtype == np.int64
    assert list(result.valid["urgent"]) == [1, 0]


def test_text_is_stripped_and_missing_text_becomes_empty() -> None:
    raw = pd.DataFrame([ticket(title="  VPN down \n", description=None)])
    result = validate_tickets(raw)
    assert result.valid.loc[0, "title"] == "VPN down"
    assert result.valid.loc[0, "description"] == ""


def test_created_at_is_parsed_to_utc_and_may_be_missing() -> None:
    raw = pd.DataFrame([
        ticket(ticket_id="A", created_at="2026-01-01T10:00:00Z"),
        ticket(ticket_id="B", created_at="2026-01-01T12:00:00+02:00"),
        ticket(ticket_id="C", created_at=None),
        ticket(ticket_id="D", created_at=""),
    ])
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    created = result.valid.set_index("ticket_id")["created_at"]
    assert created["A"] == pd.Timestamp("2026-01-01T10:00:00", tz="UTC")
    assert created["B"] == pd.Timestamp("2026-01-01T10:00:00", tz="UTC")
    assert pd.isna(created["C"])
    assert pd.isna(created["D"])


def test_duplicate_ids_are_compared_after_stripping_and_missing_ids_are_not_duplicates() -> None:
    raw = pd.DataFrame([
        ticket(ticket_id="A"), ticket(ticket_id=" A "), ticket(ticket_id=None),
        ticket(ticket_id=None), ticket(ticket_id="B"),
    ])
    result = validate_tickets(raw)
    assert list(result.rejects["row_number"]) == [2]
    assert list(result.rejects["column"]) == ["ticket_id"]
    assert len(result.valid) == 4


def test_every_later_duplicate_is_rejected_and_the_first_kept() -> None:
    raw = pd.DataFrame([ticket(ticket_id="A", title=f"t{i}") for i in range(3)])
    result = validate_tickets(raw)
    assert list(result.rejects["row_number"]) == [2, 3]
    assert list(result.valid["title"]) == ["t0"]


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_missing_required_column_raises_contract_error_naming_it(column: str) -> None:
    raw = pd.DataFrame([ticket()]).drop(columns=[column])
    with pytest.raises(ContractError, match=f"missing required column\\(s\\): {column}"):
        validate_tickets(raw)


def test_all_missing_required_columns_are_named() -> None:
    raw = pd.DataFrame({"title": ["x"], "body": ["y"]})
    with pytest.raises(ContractError) as caught:
        validate_tickets(raw)
    message = str(caught.value)
    for column in ("description", "source", "customer_tier", "urgent"):
        assert column in message.split(";")[0]


def test_optional_columns_may_be_absent() -> None:
    raw = pd.DataFrame([ticket()])[list(REQUIRED_COLUMNS)]
    result = validate_tickets(raw)
    assert len(result.rejects) == 0
    assert list(result.valid.columns) == list(REQUIRED_COLUMNS)


def test_extra_columns_are_dropped() -> None:
    raw = pd.DataFrame([ticket(slice="incident", assignee="bob", priority="P1")])
    result = validate_tickets(raw)
    assert set(result.valid.columns) <= set(CONTRACT_COLUMNS)
    assert "assignee" not in result.valid.columns
    assert "priority" not in result.valid.columns
    assert result.valid.loc[0, "slice"] == "incident"


def test_missing_slice_becomes_unknown() -> None:
    raw = pd.DataFrame([ticket(ticket_id="A", slice="incident"),
                        ticket(ticket_id="B", slice=None)])
    result = validate_tickets(raw)
    assert list(result.valid["slice"]) == ["incident", UNKNOWN]


@pytest.mark.parametrize("columns", [list(REQUIRED_COLUMNS), list(CONTRACT_COLUMNS)])
def test_empty_frame_gives_no_rows_and_zero_reject_share(columns: list[str]) -> None:
    result = validate_tickets(pd.DataFrame(columns=columns))
    assert result.total_rows == 0
    assert len(result.valid) == 0
    assert len(result.rejects) == 0
    assert result.rejected_rows == 0
    assert result.rejected_share == 0.0
    assert set(REQUIRED_COLUMNS) <= set(result.valid.columns)


def test_input_frame_is_not_modified() -> None:
    raw = pd.DataFrame([ticket(source=" EMAIL ", urgent="1.0"), ticket(ticket_id="x", urgent="no")])
    before = raw.copy()
    validate_tickets(raw)
    pd.testing.assert_frame_equal(raw, before)

"""The data contract applied to unlabelled tickets, one chunk at a time, with file row numbers.

`contract.validate_tickets` needs the `urgent` label, which scoring input does not have and a score
does not use. So each chunk is checked on its scored columns with a constant placeholder label
(an `urgent` column in the file is ignored, never judged), and the rejects are renumbered to rows
of the whole file. Only the columns the job uses are checked: `created_at` or `slice` being broken
does not stop a ticket from being scored.

Id uniqueness is a rule over the whole file, not over one chunk: `SeenIds` remembers a 64-bit hash
of every id met so far (8 bytes per row), so chunked and whole-file checks reject the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlflow_project.data.contract import (
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    REJECT_COLUMNS,
    ContractError,
    validate_tickets,
)

ID_COLUMN = "ticket_id"
ROW_NUMBER = "row_number"
INPUT_COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURE_COLUMNS)
UNIQUE_RULE = "must be unique"  # the contract's wording for a repeated ticket_id
MAX_QUOTED_CHARS = 80  # as much of an offending value as a reject line quotes (as the contract)


@dataclass(frozen=True)
class RowCheck:
    """The rows of a chunk that pass the contract's row rules, and a line per broken rule.

    `tickets` holds `row_number`, `ticket_id` (normalised; missing when the row has none) and the
    normalised feature columns; `rejects` holds `row_number`, `column`, `rule`, `value`.
    """

    tickets: pd.DataFrame
    rejects: pd.DataFrame


def require_columns(columns: list[str]) -> None:
    """Refuse a header that lacks a column the model needs, naming what is missing and found."""
    missing = [c for c in FEATURE_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(columns[:20]) or "no columns"
        raise ContractError(
            f"missing required column(s): {', '.join(missing)}; scoring needs "
            f"{', '.join(FEATURE_COLUMNS)} ({ID_COLUMN} optional); the file has: {found}"
        )


def ticket_ids(raw: pd.DataFrame) -> pd.Series:
    """Each row's id as the contract normalises it (stripped; empty means none); all missing
    when the file has no `ticket_id` column."""
    if ID_COLUMN not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    ids = raw[ID_COLUMN].astype("string").str.strip()
    return ids.mask(ids == "")


def quoted(values: pd.Series) -> pd.Series:
    """Offending values as a reject line quotes them."""
    return values.astype(str).str.slice(0, MAX_QUOTED_CHARS)


def check_rows(raw: pd.DataFrame, row_numbers: np.ndarray, ids: pd.Series) -> RowCheck:
    """Apply the contract's row rules (all but id uniqueness) to a chunk of raw rows.

    `row_numbers` are the rows' 1-based numbers in the whole file; reject lines carry them.
    `ids` are the rows' `ticket_ids` (callers need them too, so they are normalised once).
    """
    frame = raw.reset_index(drop=True)
    result = validate_tickets(frame[list(FEATURE_COLUMNS)].assign(**{LABEL_COLUMN: 0}))
    local = result.rejects[ROW_NUMBER].to_numpy(dtype=np.int64) - 1
    rejects = result.rejects.assign(**{ROW_NUMBER: row_numbers[local]})
    keep = np.ones(len(frame), dtype=bool)
    keep[local] = False
    tickets = result.valid[list(FEATURE_COLUMNS)]
    tickets.insert(0, ROW_NUMBER, row_numbers[keep])
    tickets.insert(1, ID_COLUMN, ids.to_numpy()[keep])
    return RowCheck(tickets=tickets, rejects=rejects)


class SeenIds:
    """The ids met in earlier chunks, as a sorted array of 64-bit hashes.

    Two different ids collide with probability about n^2 / 2^65 over n ids (3e-8 for a million),
    which would reject the later ticket as a repeat; the reject line quotes it, so it is not lost.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)

    def repeated(self, ids: pd.Series) -> np.ndarray:
        """True for each id met before (earlier in this chunk or in an earlier one); remember all.

        Missing ids are never repeats. Merging keeps the array sorted in O(seen + chunk) time.
        """
        present = ids.notna().to_numpy()
        hashes = pd.util.hash_array(ids.fillna("").to_numpy(dtype=object))
        earlier = self._contains(hashes)
        within = pd.Series(hashes).duplicated(keep="first").to_numpy()
        repeated = present & (earlier | within)
        new = np.unique(hashes[present & ~repeated])
        self._hashes = np.insert(self._hashes, np.searchsorted(self._hashes, new), new)
        return repeated

    def _contains(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self._hashes):
            return np.zeros(len(hashes), dtype=bool)
        positions = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
        return np.asarray(self._hashes[positions] == hashes)


def check_chunk(raw: pd.DataFrame, first_row: int, seen: SeenIds) -> RowCheck:
    """Every contract rule for a chunk whose first row is row `first_row` of the file.

    Rows with a repeated id are rejected (the first occurrence is kept, as the contract does, even
    when that first row is itself broken). Reject lines are ordered by row, then column.
    """
    frame = raw.reset_index(drop=True)
    row_numbers = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    ids = ticket_ids(frame)
    repeated = seen.repeated(ids)
    rows = check_rows(frame, row_numbers, ids)
    if not repeated.any():
        return rows
    repeats = pd.DataFrame({
        ROW_NUMBER: row_numbers[repeated],
        "column": ID_COLUMN,
        "rule": UNIQUE_RULE,
        "value": quoted(frame.loc[repeated, ID_COLUMN]).to_numpy(),
    })
    rejects = pd.concat([rows.rejects, repeats], ignore_index=True)
    rejects = rejects.sort_values([ROW_NUMBER, "column"], kind="stable").reset_index(drop=True)
    tickets = rows.tickets[~rows.tickets[ROW_NUMBER].isin(row_numbers[repeated])]
    return RowCheck(tickets=tickets.reset_index(drop=True), rejects=rejects[list(REJECT_COLUMNS)])

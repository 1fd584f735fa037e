"""Delayed labels: a table `ticket_id,urgent` saying which tickets turned out to be urgent.

Labels arrive after the predictions (a human triages the ticket), usually for a fraction of them.
Monitoring's quality check and `registry-tools ab status` both read them, through this one set of
rules, so a file is accepted or refused the same way by both:

- the columns `ticket_id` and `urgent` must be there (others are ignored);
- every row needs a non-empty `ticket_id` and an `urgent` of 0/1 (or true/false);
- a ticket given twice with the same label counts once; with two different labels the file is
  refused, since either choice would quietly change an accuracy.

A broken file is refused whole (`FeedbackError`, naming up to ten rows with their rule), never
partly used.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

FEEDBACK_COLUMNS: tuple[str, ...] = ("ticket_id", "urgent")
TRUE = frozenset({"1", "1.0", "true"})
FALSE = frozenset({"0", "0.0", "false"})
MAX_REPORTED = 10
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows a CSV: the header is row 1


class FeedbackError(ValueError):
    """The feedback breaks a rule; the message lists the rows and rules."""


@dataclass(frozen=True)
class FeedbackLabels:
    """The labels (ticket id -> urgent), one per ticket, and how many rows gave them."""

    labels: dict[str, bool]
    rows: int
    repeated_rows: int

    def frame(self) -> pd.DataFrame:
        """The labels as a `ticket_id`, `urgent` (0/1) frame, for joining to predictions."""
        return pd.DataFrame({"ticket_id": pd.Series(list(self.labels), dtype=object),
                             "urgent": pd.Series([int(v) for v in self.labels.values()],
                                                 dtype="int64")})


def parse_feedback(table: pd.DataFrame, source: str = "feedback") -> FeedbackLabels:
    """Apply the rules to a table read from CSV (as text) or Parquet; `FeedbackError` naming
    every broken row (the first ten) when any rule is broken."""
    missing = [column for column in FEEDBACK_COLUMNS if column not in table.columns]
    if missing:
        raise FeedbackError(f"{source}: missing column(s) {', '.join(missing)}; expected a "
                            "header ticket_id,urgent")
    labels: dict[str, bool] = {}
    problems: list[str] = []
    repeated = 0
    for offset, (raw_ticket, raw_value) in enumerate(
            zip(table["ticket_id"], table["urgent"], strict=True)):
        row = offset + FIRST_DATA_ROW
        ticket = _text(raw_ticket)
        value = _text(raw_value).lower()
        if not ticket:
            problems.append(f"row {row}: ticket_id must not be empty")
        elif value not in TRUE | FALSE:
            problems.append(f"row {row}: urgent must be 0 or 1 (got {value!r})")
        elif ticket in labels:
            if labels[ticket] != (value in TRUE):
                problems.append(f"row {row}: ticket_id {ticket!r} has conflicting labels")
            repeated += 1
        else:
            labels[ticket] = value in TRUE
    if problems:
        more = len(problems) - MAX_REPORTED
        raise FeedbackError(f"{source}: " + "; ".join(problems[:MAX_REPORTED])
                            + (f"; and {more} more" if more > 0 else ""))
    return FeedbackLabels(labels=labels, rows=len(table), repeated_rows=repeated)


def _text(value: object) -> str:
    """A cell as stripped text; a missing cell (None, NaN) is empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()

"""Delayed labels: a CSV `ticket_id,urgent` saying which tickets turned out to be urgent.

Labels arrive after the predictions (a human triages the ticket), usually for a fraction of them;
`ab status` measures accuracy on the predictions whose ticket has a label. Bad rows are refused
with their row number, field and rule: a mislabelled file must not quietly change an accuracy.
"""

from __future__ import annotations

import csv
import io

from mlflow_project.data.io import read_bytes

TRUE = {"1", "true"}
FALSE = {"0", "false"}
MAX_REPORTED = 10


class FeedbackError(ValueError):
    """The feedback file breaks a rule; the message lists the rows and rules."""


def read_feedback(uri: str) -> dict[str, bool]:
    """ticket_id -> urgent, from a local path or `gs://` URI."""
    return parse_feedback(read_bytes(uri).decode("utf-8-sig"), uri)


def parse_feedback(text: str, source: str = "feedback") -> dict[str, bool]:
    """Parse the CSV text; FeedbackError naming every broken row (up to ten)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"ticket_id", "urgent"} - set(reader.fieldnames or ())
    if missing:
        raise FeedbackError(f"{source}: missing column(s) {', '.join(sorted(missing))}; "
                            "expected a header ticket_id,urgent")
    labels: dict[str, bool] = {}
    problems: list[str] = []
    for row_number, row in enumerate(reader, start=2):
        ticket = (row.get("ticket_id") or "").strip()
        value = (row.get("urgent") or "").strip().lower()
        if not ticket:
            problems.append(f"row {row_number}: ticket_id must not be empty")
        elif value not in TRUE | FALSE:
            problems.append(f"row {row_number}: urgent must be 0 or 1 (got {value!r})")
        elif ticket in labels and labels[ticket] != (value in TRUE):
            problems.append(f"row {row_number}: ticket_id {ticket!r} has conflicting labels")
        else:
            labels[ticket] = value in TRUE
    if problems:
        more = len(problems) - MAX_REPORTED
        raise FeedbackError(f"{source}: " + "; ".join(problems[:MAX_REPORTED])
                            + (f"; and {more} more" if more > 0 else ""))
    return labels

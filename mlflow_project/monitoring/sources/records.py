"""What every prediction-log source shares: the counts of a read and the check of one record.

A source turns its storage (JSONL files, a Cloud Logging export, a BigQuery table) into candidate
records; this module validates each against the contract (`contracts.prediction_log`), keeps the
ones inside the window and counts the rest, so every source skips and reports alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from contracts.prediction_log import PredictionRecord

MAX_EXAMPLES = 20


@dataclass(frozen=True)
class MalformedLine:
    """Where a malformed line is (file, object or table, and its line or row) and which rule it
    broke."""

    file: str
    line: int
    reason: str


@dataclass
class LogCounts:
    """What a read went through and what it skipped, and why.

    `files` counts the files, export objects or tables read; `lines` every non-blank line or
    row of them; `other_entries` the log entries that are not prediction records (other lines
    of the service's output, request logs), which are skipped without being malformed.
    """

    files: int = 0
    lines: int = 0
    malformed: int = 0
    outside_window: int = 0
    other_entries: int = 0
    malformed_reasons: Counter[str] = field(default_factory=Counter)
    malformed_examples: list[MalformedLine] = field(default_factory=list)

    def add_malformed(self, file: str, line: int, reason: str) -> None:
        """Count one malformed line under `reason`, keeping the first few as examples."""
        self.malformed += 1
        self.malformed_reasons[reason] += 1
        if len(self.malformed_examples) < MAX_EXAMPLES:
            self.malformed_examples.append(MalformedLine(file, line, reason))


def window_record(counts: LogCounts, file: str, line: int,
                  validate: Callable[[], PredictionRecord], since: datetime,
                  until: datetime) -> PredictionRecord | None:
    """The record `validate` returns when it is valid and `since <= timestamp < until`; else
    None, with the line counted as malformed (naming the broken field and rule) or outside the
    window."""
    try:
        record = validate()
    except ValidationError as error:
        counts.add_malformed(file, line, describe_error(error))
        return None
    if not since <= record.timestamp < until:
        counts.outside_window += 1
        return None
    return record


def describe_error(error: ValidationError) -> str:
    """A short reason for a malformed line: the first broken field and its rule."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].split(" at line ")[0]
    return f"{location}: {message}" if location else message
